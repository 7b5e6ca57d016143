"""The processes of test_rollout_simulation: synthetic traffic through Django's whole request
path (the exposure middleware included), with errors injected where the switch answers on.

Each request comes from its own random IP address, so the rollout (on the IP address
percent) exposes new subjects all the time. The view fails (500) with probability
``GARGOYLE_SIMULATION_FAILURE`` when the switch answered on and its percent is at least
``GARGOYLE_SIMULATION_BREAK_AT``.
"""

from __future__ import annotations

import os
import random
import time
import traceback
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

KEY = "checkout"
IP_SET = "gargoyle.builtins.IPAddressConditionSet"


def _percent_now() -> float:
    from gargoyle import gargoyle

    switch = gargoyle.get(KEY)
    ranges = [
        entry[1] for entry in (switch.value.get("ip", {}).get("percent", []) if switch else []) if entry[0] == "i"
    ]
    return max((float(text.split("-")[1]) for text in ranges), default=0.0)


def checkout(request: HttpRequest) -> HttpResponse:
    from gargoyle import gargoyle

    on = gargoyle.is_active(KEY, request)
    failure = float(os.environ.get("GARGOYLE_SIMULATION_FAILURE", "0"))
    breaks = on and failure and _percent_now() >= float(os.environ.get("GARGOYLE_SIMULATION_BREAK_AT", "0"))
    if breaks and random.random() < failure:
        raise RuntimeError("the new checkout broke")
    return HttpResponse("on" if on else "off")


urlpatterns = [path("checkout/", checkout)]


def _django(database: str, environment: dict[str, str]) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.production.rollout_settings"
    os.environ["GARGOYLE_SCRATCH_DB"] = database
    os.environ.update(environment)
    import django

    django.setup()


def setup_database(database: str, stages: list[Any], options: dict[str, Any]) -> None:
    """Migrate, create the switch and start its rollout (in a process of its own)."""
    _django(database, {})
    from django.core.management import call_command
    from django.db import connection

    from gargoyle import rollouts
    from gargoyle.models import Switch

    call_command("migrate", verbosity=0)
    Switch.objects.create(key=KEY, status=1)
    rollouts.start(KEY, stages, condition_set=IP_SET, **options)
    connection.close()


def serve(database: str, environment: dict[str, str], seconds: float, pause: float, results: Any) -> None:
    """Send requests for ``seconds`` (``pause`` between two), stopping early once the rollout
    ended; report how many were sent and how many failed."""
    try:
        _django(database, environment)
        from django.test import Client

        from gargoyle.models import Rollout

        client = Client(raise_request_exception=False)
        deadline, sent, failed = time.monotonic() + seconds, 0, 0
        next_look = time.monotonic() + 1
        while time.monotonic() < deadline:
            address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
            response = client.get("/checkout/", REMOTE_ADDR=address)
            sent += 1
            failed += response.status_code >= 500
            if pause:
                time.sleep(pause)
            if time.monotonic() >= next_look:
                next_look = time.monotonic() + 1
                if not Rollout.objects.filter(state="running").exists():
                    break
        results.put(("ok", (sent, failed)))
    except BaseException:
        results.put(("error", traceback.format_exc()))
