"""The cases every library runs, the fixtures they share, and the physical floor.

Each library module turns every case into a :class:`~benchmarks.measure.Call`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from benchmarks.measure import Call


@dataclass(frozen=True)
class Case:
    id: str
    label: str


CASES = [
    Case("global", "GLOBAL switch"),
    Case("disabled", "DISABLED switch"),
    Case("unknown", "unknown key"),
    Case("selective", "SELECTIVE: user %, 100 names, IP excl."),
    Case("child", "child key parent:child"),
    Case("template", "template: 20 tags (per render)"),
    Case("request", "request: 20 checks (per request)"),
]

# The keys each library stores (the names are valid for all three).
KEYS = {
    "global": "bench_global",
    "disabled": "bench_disabled",
    "unknown": "bench_unknown",
    "selective": "bench_selective",
    "child": "bench_parent:child",
}
PARENT_KEY = "bench_parent"
PAGE_KEYS = [f"page_{i:02}" for i in range(20)]  # checked by the template and the view
PAGE_ON = {key: i % 2 == 0 for i, key in enumerate(PAGE_KEYS)}  # half on, half off
USERNAMES = [f"listed{i:03}" for i in range(100)]  # the 100 names of the SELECTIVE case
VISITOR = "visitor"  # the logged-in user judged: not one of the 100 names
EXCLUDED_IP = "10.0.0.9"
VISITOR_IP = "127.0.0.1"


@dataclass(frozen=True)
class Subjects:
    """Who the cases judge: a logged-in user, a request carrying it, a test client."""

    user: Any
    request: Any
    client: Client


def create_subjects() -> Subjects:
    User = get_user_model()
    User.objects.bulk_create([User(username=name) for name in USERNAMES])
    visitor = User.objects.create(username=VISITOR)
    request = RequestFactory().get("/page/", REMOTE_ADDR=VISITOR_IP)
    request.user = visitor
    return Subjects(user=visitor, request=request, client=Client())


def listed_users() -> list[Any]:
    return list(get_user_model().objects.filter(username__in=USERNAMES))


def page_template(load: str, tag: Any) -> str:
    """A template checking every page key; ``tag(key)`` writes "1" when on, "0" when off."""
    return "{% load " + load + " %}" + "".join(tag(key) for key in PAGE_KEYS)


def baselines() -> dict[str, Call]:
    """A plain dict lookup, and a one-line function around it: the physical floor."""
    table = dict.fromkeys([*KEYS.values(), *PAGE_KEYS], True)

    def lookup(key: str) -> bool:
        return table[key]

    return {
        "dict lookup": Call("table[key]", {"table": table, "key": KEYS["global"]}),
        "one-line function": Call("lookup(key)", {"lookup": lookup, "key": KEYS["global"]}),
    }
