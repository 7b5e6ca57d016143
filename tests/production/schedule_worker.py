"""The worker processes of test_schedule_races: many processes applying the same due schedules."""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
SWITCHES = 20
STEPS = ("0-1", "0-5", "0-25")  # each switch's schedules, in due order: every one changes it


def _django(database: str, **settings: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.production.scratch_settings"
    os.environ["GARGOYLE_SCRATCH_DB"] = database
    os.environ.update(settings)
    import django

    django.setup()


def setup_database(database: str, due_in: float) -> None:
    """Migrate, then make SWITCHES switches with one schedule per step, due ``due_in`` seconds
    from now (negative: already due), a millisecond apart in step order."""
    _django(database)
    import datetime

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from gargoyle.models import ScheduledChange, Switch, SwitchChange

    call_command("migrate", verbosity=0)
    start = timezone.now() + datetime.timedelta(seconds=due_in)
    for number in range(SWITCHES):
        Switch.objects.create(key=f"switch-{number}", status=2)
        for step, condition in enumerate(STEPS):
            ScheduledChange.objects.create(
                base_change=SwitchChange.newest_id(),
                switch_key=f"switch-{number}",
                action="set_percent",
                arguments={"condition_set": USER_SET, "field": "percent", "condition": condition},
                due_at=start + datetime.timedelta(milliseconds=step),
            )
    connection.close()


def apply_until_done(database: str, start: Any, results: Any) -> None:
    """Call apply_due() until nothing is due; report how many this process resolved."""
    try:
        _django(database)
        from django.db import connection

        from gargoyle.schedules import apply_due

        start.wait(timeout=60)
        resolved = []
        while True:
            done = apply_due()
            if not done:
                break
            resolved.extend(found.pk for found in done)
        connection.close()
        results.put(("ok", resolved))
    except BaseException:
        start.abort()
        results.put(("error", traceback.format_exc()))


def serve_checks(database: str, seconds: float, results: Any) -> None:
    """Answer checks for ``seconds``, as a process serving requests would: nothing else."""
    try:
        _django(database, GARGOYLE_CHECK_INTERVAL="0.2")
        from gargoyle import gargoyle

        deadline = time.monotonic() + seconds
        checks = 0
        while time.monotonic() < deadline:
            gargoyle.is_active("switch-0")
            checks += 1
            time.sleep(0.005)
        results.put(("ok", checks))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def apply_then_hang(database: str, applying: Any, results: Any) -> None:
    """Start applying, then hang inside the transaction (holding its locks) until killed."""
    try:
        _django(database)
        from gargoyle import signals
        from gargoyle.schedules import apply_due

        def hang(**kwargs: Any) -> None:
            applying.set()
            time.sleep(120)

        signals.switch_changed.connect(hang, weak=False)
        apply_due()
        results.put(("error", "apply_due returned: the process was meant to be killed inside it"))
    except BaseException:
        results.put(("error", traceback.format_exc()))
