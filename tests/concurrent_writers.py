"""Threads writing switches through the JSON API at the same moment, in a process of its own.

Run by ``tests/test_concurrent_writes.py`` against a SQLite file (``sqlite:PATH``, the
database the docs send newcomers to) or the PostgreSQL test server (``postgresql``)::

    python -m tests.concurrent_writers sqlite:scratch.sqlite3

It prints one JSON object: for each scenario, the HTTP status and message of every reply
and the stored switches afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
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


def slowly(call: Callable[[], object]) -> Callable[[], object]:
    """Run ``call`` as the slow writer: it pauses after each switch it writes (see :func:`pause`)."""

    def slow() -> object:
        threading.current_thread().name = "slow"
        return call()

    return slow


def later(call: Callable[[], object], seconds: float = 0.15) -> Callable[[], object]:
    """Start ``call`` once the slow writer has begun (and holds its first locks)."""

    def delayed() -> object:
        time.sleep(seconds)
        return call()

    return delayed


def pause(sender: object, **kwargs: object) -> None:
    """On each write's ``switch_changed``: the slow writer holds its locks a while, inside its
    transaction, so that the other writers meet them."""
    if threading.current_thread().name == "slow":
        time.sleep(0.4)


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


def command(*args: str) -> Callable[[], dict]:
    def call() -> dict:
        from io import StringIO

        from django.core.management import CommandError, call_command

        out = StringIO()
        try:
            call_command(*args, stdout=out)
        except CommandError as error:
            return {"status": "CommandError", "message": str(error)}
        return {"status": "ok", "message": out.getvalue().strip()}

    return call


def importing(keys: list[str]) -> Callable[[], dict]:
    def call() -> dict:
        from gargoyle.transfer import import_switches

        entries = [
            {"key": key, "label": f"Imported {key}", "description": None, "status": 2, "value": {}} for key in keys
        ]
        return {"status": "ok", "message": str(import_switches(entries))}

    return call


def restoring(change_id: int) -> Callable[[], dict]:
    return post("history/restore/", {"id": str(change_id), "state": "before"})


def history_of(key: str) -> list[str]:
    from gargoyle.history import changes_of

    return [change.summary for change in changes_of(key).order_by("pk")]


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

    report.update(slow_writers())
    return {"replies": report, "stored": stored(), "histories": {key: history_of(key) for key in ("gone", "moved")}}


def slow_writers() -> dict:
    """Writers that hold their locks a while (see :func:`pause`) against quick ones."""
    from gargoyle.history import changes_of
    from gargoyle.models import Switch
    from gargoyle.signals import switch_changed

    switch_changed.connect(pause, dispatch_uid="concurrent_writers.pause")
    report = {}

    for key in ("first", "second"):
        Switch.objects.create(key=key, status=2)
    add = {"key": "second", "id": USERS, "field": "username", "username": "carol"}
    report["an import of two switches, and a condition added to the second"] = at_once(
        [slowly(importing(["first", "second"])), later(post("conditions/add/", add))]
    )

    switch = Switch.objects.create(key="moved", status=1)
    switch.status = 3
    switch.save()
    undo = changes_of("moved").order_by("-pk").first().pk
    report["a rename, and an undo of an earlier change"] = at_once(
        [slowly(post("update/", {"curkey": "moved", "key": "moved_away"})), later(restoring(undo))]
    )

    Switch.objects.create(key="gone", status=1)
    report["a rename, and remove_switch of the old key"] = at_once(
        [slowly(post("update/", {"curkey": "gone", "key": "gone_away"})), later(command("remove_switch", "gone"))]
    )
    switch_changed.disconnect(dispatch_uid="concurrent_writers.pause")
    return report


if __name__ == "__main__":
    configure(sys.argv[1])
    print(json.dumps(scenarios()))
