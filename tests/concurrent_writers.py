"""Threads writing switches through the JSON API at the same moment, in a process of its own.

Run by ``tests/test_concurrent_writes.py`` against a SQLite file (``sqlite:PATH``, the
database the docs send newcomers to) or the PostgreSQL test server (``postgresql``)::

    python -m tests.concurrent_writers sqlite:/tmp/x.sqlite3

It prints one JSON object: for each scenario, the HTTP status and message of every reply
and the stored switches afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable

import django
from django.conf import settings

TOKEN = "t" * 40
USERS = "gargoyle.builtins.UserConditionSet(auth.user)"


def configure(target: str) -> None:
    if target.startswith("sqlite:"):
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": target.removeprefix("sqlite:")}
    else:
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("GARGOYLE_TEST_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("GARGOYLE_TEST_PG_PORT", "5432"),
            "USER": os.environ.get("GARGOYLE_TEST_PG_USER", "postgres"),
            "NAME": target.removeprefix("postgresql:"),
        }
    settings.configure(
        SECRET_KEY="tests-only",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "gargoyle"],
        DATABASES={"default": database},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        ROOT_URLCONF="gargoyle.urls",
        GARGOYLE_API_TOKENS={TOKEN: "admin"},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        ALLOWED_HOSTS=["testserver"],
    )
    django.setup()


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; return their results in order."""
    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def post(path: str, data: dict[str, str]) -> Callable[[], dict]:
    def call() -> dict:
        from django.test import Client

        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        response = client.post(f"/{path}", data)
        body = response.content.decode(errors="replace")
        message = json.loads(body)["data"] if "json" in response.get("Content-Type", "") else body[:200]
        return {"status": response.status_code, "message": message if response.status_code != 200 else ""}

    return call


def stored() -> dict:
    from gargoyle.models import Switch

    return {s.key: {"status": s.status, "value": s.value} for s in Switch.objects.order_by("key")}


def scenarios() -> dict:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from gargoyle.models import Switch

    call_command("migrate", verbosity=0)
    User.objects.create_superuser("admin", password="unused")
    report = {}

    Switch.objects.create(key="chip", status=2, value={"auth.user": {"username": [["i", "alice"], ["i", "bob"]]}})
    remove = {"key": "chip", "id": USERS, "field": "username", "value": "alice"}
    report["double click on a chip's remove button"] = at_once([post("conditions/remove/", remove)] * 2)

    Switch.objects.create(key="adds", status=2)
    adds = [{"key": "adds", "id": USERS, "field": "username", "username": f"user{i}"} for i in range(6)]
    report["six conditions added at once"] = at_once([post("conditions/add/", data) for data in adds])

    for i in range(4):
        Switch.objects.create(key=f"status{i}")
    report["four status changes"] = at_once([post("status/", {"key": f"status{i}", "status": "3"}) for i in range(4)])

    for i in range(6):
        Switch.objects.create(key=f"rename{i}")
    renames = [post("update/", {"curkey": f"rename{i}", "key": "renamed"}) for i in range(6)]
    report["six renames onto one key"] = at_once(renames)

    return {"replies": report, "stored": stored()}


if __name__ == "__main__":
    configure(sys.argv[1])
    print(json.dumps(scenarios()))
