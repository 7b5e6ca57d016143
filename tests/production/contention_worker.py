"""The worker processes of test_lost_updates: many writers of one switch at once.

Each worker loads the switch ONCE (a copy that goes stale as the others write) and then
runs its plan through the model API as fast as it can. ``plan`` is shared with the test,
which derives the exact expected final state from it.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

KEY = "contended"
USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
WORKERS = 4
OPERATIONS = 25
ADDS = 15
REMOVED = (0, 3, 6, 9, 12)  # each worker removes these of its own usernames again
DISABLED, SELECTIVE, GLOBAL, INHERIT = 1, 2, 3, 4
STATUS_CYCLE = (DISABLED, GLOBAL, INHERIT, SELECTIVE)
FINAL_STATUS = SELECTIVE


def username(worker: int, number: Any) -> str:
    return f"w{worker}-user{number}"


def plan(worker: int) -> tuple[list[tuple], tuple]:
    """The worker's concurrent operations, and its one operation after everyone's are done."""
    edits: list[tuple] = []
    for number in range(ADDS):
        edits.append(("add", username(worker, number), number % 4 == 3))  # some excludes
        if number - 2 in REMOVED:
            edits.append(("remove", username(worker, number - 2)))
    operations = []
    for position, edit in enumerate(edits):
        if position % 5 == 4:
            turn = len(operations) // 5
            how = "save" if turn % 2 == 0 else "update"  # a stale copy's save(), or QuerySet.update()
            operations.append(("status", STATUS_CYCLE[(worker + turn) % len(STATUS_CYCLE)], how))
        operations.append(edit)
    final = ("status", FINAL_STATUS, "update") if worker == 0 else ("add", username(worker, "final"), False)
    assert len(operations) + 1 == OPERATIONS, len(operations)
    return operations, final


def expected_conditions() -> set[tuple[str, str]]:
    """The (mode, username) pairs every plan leaves behind."""
    added: dict[str, str] = {}
    for worker in range(WORKERS):
        operations, final = plan(worker)
        for operation in [*operations, final]:
            if operation[0] == "add":
                added[operation[1]] = "e" if operation[2] else "i"
            elif operation[0] == "remove":
                del added[operation[1]]
    return {(mode, name) for name, mode in added.items()}


def setup_database(database: str) -> None:
    """Migrate the scratch database and create the switch (in a process of its own)."""
    _django(database)
    from django.core.management import call_command
    from django.db import connection

    from gargoyle.models import Switch

    call_command("migrate", verbosity=0)
    Switch.objects.create(key=KEY, status=SELECTIVE, label="Contended")
    connection.close()


def run(worker: int, database: str, start: Any, middle: Any, results: Any) -> None:
    try:
        _django(database)
        from django.db import connection

        from gargoyle import gargoyle
        from gargoyle.models import Switch

        switch = Switch.objects.get(key=KEY)  # one copy, stale after the others' first write
        operations, final = plan(worker)

        def apply(operation: tuple) -> None:
            kind = operation[0]
            if kind == "add":
                switch.add_condition(gargoyle, USER_SET, "username", operation[1], exclude=operation[2])
            elif kind == "remove":
                switch.remove_condition(gargoyle, USER_SET, "username", operation[1])
            elif operation[2] == "save":
                switch.status = operation[1]
                switch.save()
            else:
                Switch.objects.filter(key=KEY).update(status=operation[1])

        start.wait(timeout=60)
        for operation in operations:
            apply(operation)
        middle.wait(timeout=60)
        apply(final)
        connection.close()
        results.put((worker, "ok", ""))
    except BaseException:
        start.abort()
        middle.abort()
        results.put((worker, "error", traceback.format_exc()))


def _django(database: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.production.scratch_settings"
    os.environ["GARGOYLE_SCRATCH_DB"] = database
    import django

    django.setup()


def add_inside_open_transaction(database: str, locked: Any, release: Any, results: Any) -> None:
    """Add a condition and keep the transaction (and so the row lock) open until ``release``."""
    try:
        _django(database)
        from django.db import connection, transaction

        from gargoyle import gargoyle
        from gargoyle.models import Switch

        with transaction.atomic():
            Switch.objects.get(key=KEY).add_condition(gargoyle, USER_SET, "username", "added-meanwhile")
            locked.set()
            release.wait(timeout=30)
        connection.close()
        results.put(("adder", "ok", ""))
    except BaseException:
        locked.set()
        results.put(("adder", "error", traceback.format_exc()))


def save_status_while_locked(database: str, locked: Any, saving: Any, results: Any) -> None:
    """Change the status with ``save()`` while the other process holds the row."""
    try:
        _django(database)
        from django.db import connection

        from gargoyle.models import Switch

        locked.wait(timeout=30)
        switch = Switch.objects.get(key=KEY)
        switch.status = GLOBAL
        saving.set()
        switch.save()  # waits for the row lock; the other write commits first
        connection.close()
        results.put(("saver", "ok", ""))
    except BaseException:
        saving.set()
        results.put(("saver", "error", traceback.format_exc()))
