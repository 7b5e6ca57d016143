"""The process of test_upgrade_at_scale: build a gargoyle-yplan 2.1.1 database, migrate it.

``python -m tests.production.upgrade_worker`` (with the scratch database in the environment,
see ``scratch_pg.process_env``) migrates Django's own apps, creates gargoyle-yplan's table
(a text ``value`` column, as django-jsonfield stored it) and its 0001/0002 migration records,
inserts ``yplan_rows()`` in bulk, times ``migrate gargoyle``, then answers the ``queries()``
with ``gargoyle.is_active``. It prints one JSON line: the time and the answers.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

COUNT = 10_000
CREATED = datetime(2019, 5, 1, 12, 0, tzinfo=timezone.utc)
DISABLED, SELECTIVE, GLOBAL, INHERIT = 1, 2, 3, 4


def key_of(number: int) -> str:
    kind = number % 10
    if kind == 7:  # a child of the Global switch two rows up
        return f"switch-{number - 2:05d}:child"
    if kind == 8:  # a child of the Disabled switch two rows up
        return f"switch-{number - 2:05d}:child"
    return f"switch-{number:05d}"


def ip_of(number: int) -> str:
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


def yplan_rows(count: int = COUNT) -> list[tuple]:
    """``(key, stored text, status, label, description)``: every kind of switch sites have."""
    rows = []
    for number in range(count):
        kind, variant = number % 10, (number // 10) % 2
        label = None if number % 3 == 0 else f"Switch «{number}»"
        description = None if number % 4 == 0 else f"Ünïcode 'description' {number}\nline two"
        status = SELECTIVE
        if kind == 0:
            value = {"auth.user": {"percent": [["i", "0-100" if variant == 0 else f"{number % 50}-{number % 50 + 7}"]]}}
        elif kind == 1:
            value = {
                "auth.user": {
                    "username": [["i", f"user-{number}"], ["i", f"user-{number + 1}"], ["e", "mallory"]],
                    "is_staff": [["e", "1"]] if variant else [],
                    "email": [["i", f"user-{number}@example.com"]],
                }
            }
            if not variant:
                del value["auth.user"]["is_staff"]
        elif kind == 2:
            value = {"ip": {"ip_address": [["i", ip_of(number)], ["i", "192.168.0.0/16"]], "internal_ip": [["i", "1"]]}}
        elif kind == 3:
            value = {"host": {"hostname": [["i", f"web-{number}"], ["i", f"worker-{number}"]]}}
        elif kind == 4:
            field = "today_is_on_or_after" if variant == 0 else "today_is_before"
            value = {"now_utc": {field: [["i", "2001-01-01"]]}, "now_app_tz": {field: [["i", "2001-01-01"]]}}
        elif kind == 5:
            value, status = ({} if variant else {"auth.user": {"username": [["i", "ignored"]]}}), GLOBAL
        elif kind == 6:
            value, status = {"auth.user": {"percent": [["i", "0-100"]]}, "ip": {"percent": [["i", "0-100"]]}}, DISABLED
        elif kind in (7, 8):
            value, status = {}, INHERIT
        elif variant == 0:
            value = {"auth.user": {"is_active": [["i", "1"]], "date_joined": [["i", "2020-02-29"]]}}
        else:
            value = None  # stored as "" or "null": no conditions
        if value is None:
            text = "" if number % 20 == 19 else "null"
        elif number % 1000 == 999:
            text = "{not json " + str(number)  # unreadable text is kept (as a JSON string)
        else:
            text = json.dumps(value)
        rows.append((key_of(number), text, status, label, description))
    return rows


def migrated_value(text: str):
    """What the migration must leave in the JSON column for a stored text."""
    if not text.strip() or text.strip() == "null":
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def queries(count: int = COUNT) -> list[tuple[str, str, str, bool]]:
    """``(key, subject kind, subject, expected answer)`` for a sample of every kind."""
    found = []
    for number in range(0, count, 37):
        kind, variant = number % 10, (number // 10) % 2
        key = key_of(number)
        if number % 1000 == 999:
            found.append((key, "none", "", False))  # corrupt: answers its default
        elif kind == 0 and variant == 0:
            found.append((key, "user", f"anyone-{number}", True))
        elif kind == 1:
            found.append((key, "user", f"user-{number}", True))
            found.append((key, "user", "mallory", False))
            found.append((key, "user", "nobody", False))
        elif kind == 2:
            found.append((key, "ip", ip_of(number), True))
            found.append((key, "ip", "192.168.7.7", True))
            found.append((key, "ip", "8.8.8.8", False))
        elif kind == 3:
            found.append((key, "none", "", False))
        elif kind == 4:
            found.append((key, "none", "", variant == 0))
        elif kind == 5:
            found.append((key, "user", "anyone", True))
        elif kind == 6:
            found.append((key, "user", "anyone", False))
        elif kind == 7:
            found.append((key, "user", "anyone", True))
        elif kind == 8 or (kind == 9 and variant == 1):
            found.append((key, "user", "anyone", False))
    return found


def build_yplan_database(rows: list[tuple]) -> None:
    from django.db import connection

    from tests.yplan_schema import create_yplan_table, record_yplan_migrations

    create_yplan_table(connection)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {q('gargoyle_switch')} VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (key, text, label, CREATED, CREATED, description, status)
                for key, text, status, label, description in rows
            ],
        )
    record_yplan_migrations(connection)


def main() -> None:
    import time

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory

    from gargoyle import gargoyle
    from gargoyle.checks import check_stored_switches

    for app in ("contenttypes", "auth"):  # the site's other apps are there already
        call_command("migrate", app, verbosity=0)
    build_yplan_database(yplan_rows())

    began = time.perf_counter()
    call_command("migrate", "gargoyle", verbosity=0)
    seconds = time.perf_counter() - began

    gargoyle.refresh()
    requests = RequestFactory()
    answers = []
    for number, (key, kind, subject, _expected) in enumerate(queries()):
        if kind == "user":
            instances = [User(pk=number + 1, username=subject, is_staff=False, is_active=True)]
        elif kind == "ip":
            instances = [requests.get("/", REMOTE_ADDR=subject)]
        else:
            instances = []
        answers.append(gargoyle.is_active(key, *instances))
    problems = sorted(message.obj for message in check_stored_switches())
    connection.close()
    print(json.dumps({"seconds": seconds, "answers": answers, "problems": problems}))


if __name__ == "__main__":
    main()
