"""A Django process driven by JSON-free text lines on stdin; it answers one JSON line each.

Commands (``support.Driver`` sends them):

``migrate``; ``set KEY STATUS`` (model API); ``bulk COUNT DESCRIPTION_LENGTH`` (many big
switches); ``request KEY [DEFAULT]`` (one simulated request: ``is_active``); ``create KEY``
(``Switch.objects.create``); ``command KEY`` (``add_switch``); ``cut_create KEY`` (create,
pausing inside the transaction after the row and history are written until the test sends
``go``); ``state KEY``; ``usage KEY`` (the stored usage counts, summed); ``quit``.
"""

import contextlib
import io
import json
import os
import sys
import traceback

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.production.worker_settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import connection  # noqa: E402

from gargoyle import gargoyle, signals  # noqa: E402
from gargoyle.constants import DISABLED, GLOBAL, INCLUDE  # noqa: E402
from gargoyle.history import SwitchChange  # noqa: E402
from gargoyle.models import SnapshotVersion, Switch, SwitchUsage  # noqa: E402


def bulk(count: int, description_length: int) -> dict:
    switches = [
        Switch(
            key=f"bulk_{number:05d}",
            label=f"Bulk switch {number}",
            description=f"{number} " + "d" * description_length,
            status=GLOBAL if number % 2 else DISABLED,
            value={
                "ip": {
                    "ip_address": [[INCLUDE, f"10.{number % 250}.{part}.0/24"] for part in range(20)],
                    "percent": [[INCLUDE, "0-50"]],
                }
            },
        )
        for number in range(count)
    ]
    Switch.objects.bulk_create(switches, batch_size=500)
    data = json.dumps(list(Switch.objects.filter(key__startswith="bulk_").values("key", "description", "value")))
    return {"ok": True, "bytes": len(data.encode()), "count": Switch.objects.filter(key__startswith="bulk_").count()}


def simulated_request(key: str, default: str = "0") -> dict:
    request_started.send(sender=None)
    try:
        return {"active": gargoyle.is_active(key, default=default == "1"), "pid": os.getpid()}
    finally:
        request_finished.send(sender=None)


def cut_create(key: str) -> dict:
    def pause(**kwargs):
        print(json.dumps({"event": "cut"}), flush=True)
        assert sys.stdin.readline().strip() == "go"

    signals.switch_added.connect(pause, dispatch_uid="driver-cut")
    try:
        Switch.objects.create(key=key, status=GLOBAL)
    finally:
        signals.switch_added.disconnect(dispatch_uid="driver-cut")
    return {"ok": True}


def state(key: str) -> dict:
    row = Switch.objects.filter(key=key).values("status").first()
    return {
        "row": row,
        "version": SnapshotVersion.objects.values_list("number", flat=True).first(),
        "history": SwitchChange.objects.filter(switch_key=key).count(),
        "switches": Switch.objects.count(),
    }


def usage(key: str) -> dict:
    from django.db.models import Max, Sum

    rows = SwitchUsage.objects.filter(switch_key=key)
    totals = rows.aggregate(on=Sum("on"), off=Sum("off"), defaults=Sum("defaults"), processes=Max("processes"))
    return {name: value or 0 for name, value in totals.items()} | {"rows": rows.count()}


def handle(command: str, *args: str) -> dict:
    if command == "migrate":
        call_command("migrate", verbosity=0)
        return {"ok": True}
    if command == "set":
        Switch.objects.update_or_create(key=args[0], defaults={"status": int(args[1])})
        return {"ok": True}
    if command == "bulk":
        return bulk(int(args[0]), int(args[1]))
    if command == "request":
        return simulated_request(*args)
    if command == "create":
        Switch.objects.create(key=args[0], status=GLOBAL)
        return {"ok": True}
    if command == "command":
        out = io.StringIO()
        call_command("add_switch", args[0], stdout=out)
        return {"ok": True, "output": out.getvalue()}
    if command == "cut_create":
        return cut_create(args[0])
    if command == "state":
        return state(args[0])
    if command == "usage":
        return usage(args[0])
    raise ValueError(command)


for line in sys.stdin:
    words = line.split()
    if words == ["quit"]:
        break
    try:
        answer = handle(*words)
    except Exception as error:  # reported to the test, which decides whether it was expected
        answer = {"error": f"{type(error).__module__}.{type(error).__name__}: {error}"}
        traceback.print_exc()
    with contextlib.suppress(Exception):  # a connection the outage broke
        connection.close()
    print(json.dumps(answer, default=str), flush=True)
