"""The cases every library runs, the fixtures they share, and the physical floor.

Each library module turns every case it can express into a :class:`~benchmarks.measure.Call`;
a case a library has no way to express is left out of its calls, and the report shows
``n/a`` for it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from benchmarks.measure import Call


@dataclass(frozen=True)
class Case:
    id: str
    label: str
    per_page: bool = False  # a render or a request: fewer calls in the counting pass


CASES = [
    Case("global", "GLOBAL switch"),
    Case("disabled", "DISABLED switch"),
    Case("unknown", "unknown key"),
    Case("selective", "SELECTIVE: user %, 100 names, IP excl."),
    Case("group", "SELECTIVE: group member"),
    Case("required", "SELECTIVE: required AND"),
    Case("child", "child key parent:child"),
    Case("template", "template: 20 tags (per render)", per_page=True),
    Case("request", "request: 20 checks (per request)", per_page=True),
    Case("group_request", "request: 20 group checks (per request)", per_page=True),
]

# The keys each library stores (the names are valid for all three).
KEYS = {
    "global": "bench_global",
    "disabled": "bench_disabled",
    "unknown": "bench_unknown",
    "selective": "bench_selective",
    "group": "bench_group",
    "required": "bench_required",
    "child": "bench_parent:child",
}
PARENT_KEY = "bench_parent"
PAGE_KEYS = [f"page_{i:02}" for i in range(20)]  # checked by the template and the view
PAGE_ON = {key: i % 2 == 0 for i, key in enumerate(PAGE_KEYS)}  # half on, half off
USERNAMES = [f"listed{i:03}" for i in range(100)]  # the 100 names of the SELECTIVE case
VISITOR = "visitor"  # the logged-in user judged: not one of the 100 names; staff, in GROUP
EXCLUDED_IP = "10.0.0.9"
VISITOR_IP = "127.0.0.1"
GROUP = "Beta testers"  # the visitor's group: the group case's condition
REQUIRED_NAMES = [*USERNAMES[:9], VISITOR]  # the required-AND case's include: 10 names, the visitor's among them
REQUIRED_NETWORK = "127.0.0.0/8"  # the required-AND case's required IP network (the visitor's address is in it)
REQUIRED_PATH = "^/page/"  # django-flags' required `path matches` (it has no IP condition): the visitor's path
GROUP_CHECKS = 20  # the group switch checks of the group_request view


@dataclass(frozen=True)
class Subjects:
    """Who the cases judge: a logged-in user, a request carrying it, a test client."""

    user: Any
    request: Any
    client: Client


# The visitor as loaded from the database and never judged: each group_request request
# gets a copy of it (see request_user).
_loaded_visitor: list[Any] = []


def create_subjects() -> Subjects:
    User = get_user_model()
    User.objects.bulk_create([User(username=name) for name in USERNAMES])
    visitor = User.objects.create(username=VISITOR, is_staff=True)
    visitor.groups.add(Group.objects.create(name=GROUP))
    _loaded_visitor[:] = [User.objects.get(pk=visitor.pk)]
    request = RequestFactory().get("/page/", REMOTE_ADDR=VISITOR_IP)
    request.user = visitor
    return Subjects(user=visitor, request=request, client=Client())


def request_user() -> Any:
    """The visitor as a new request's user: a new object, with nothing a library kept on the
    last request's (its groups). What ``AuthenticationMiddleware`` gives each request, less
    the session and user queries, which every library would pay alike (no middleware runs).
    """
    return copy.copy(_loaded_visitor[0])


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
