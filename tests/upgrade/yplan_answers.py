"""What gargoyle-yplan 2.1.1 itself answers for the switches and subjects of ``fixture.py``.

Run by ``tox -e yplan`` (Django 3.2 and gargoyle-yplan 2.1.1 from the package index, with
its own requirements), as a script so that this checkout's ``gargoyle`` package cannot
shadow gargoyle-yplan's::

    python tests/upgrade/yplan_answers.py --check   # compare with yplan_answers.json (CI)
    python tests/upgrade/yplan_answers.py --write   # write it again

Each switch is stored alone (with its ancestors), exactly as django-jsonfield left its
text, and asked about every subject with auto-create off; what gargoyle-yplan raised
instead of answering is recorded as ``"error"``.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import json
import sys
from pathlib import Path

import django
import fixture  # this directory is the script's: sys.path[0]
from django.conf import settings

GOLDEN = Path(__file__).with_name("yplan_answers.json")


def configure() -> None:
    settings.configure(
        SECRET_KEY="yplan-answers",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "gargoyle"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        INTERNAL_IPS=[fixture.LOCAL],
        GARGOYLE_AUTO_CREATE=False,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()


def store(connection, rows) -> None:
    """Replace the switch table's rows with ``rows``, written as gargoyle-yplan left them."""
    stamp = datetime.datetime(2019, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM gargoyle_switch")
        for key, status, text in rows:
            cursor.execute(
                "INSERT INTO gargoyle_switch (key, value, label, date_created, date_modified, description, status)"
                " VALUES (%s, %s, NULL, %s, %s, NULL, %s)",
                [key, text, stamp, stamp, status],
            )


def answers() -> dict:
    from django.contrib.auth.models import AnonymousUser, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory

    import gargoyle.builtins  # noqa: F401  (registers the built-in condition sets)
    from gargoyle import conditions
    from gargoyle.manager import gargoyle as manager

    call_command("migrate", verbosity=0)
    manager.register(fixture.plan_condition_set(conditions))
    fixture.create_users(User)
    checks = fixture.checks(User, AnonymousUser, RequestFactory)
    found = {}
    for key, _status, _text in fixture.SWITCHES:
        store(connection, fixture.family(key))
        manager.clear_cache()
        found[key] = {name: ask(manager, key, instances, default) for name, (instances, default) in checks.items()}
    return {"gargoyle-yplan": "2.1.1", "django": django.get_version(), "answers": found}


def ask(manager, key, instances, default):
    try:
        return manager.is_active(key, *instances, default=default)
    except Exception:
        return fixture.ERROR


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail if yplan_answers.json differs")
    mode.add_argument("--write", action="store_true", help="write yplan_answers.json")
    options = parser.parse_args()
    configure()
    text = json.dumps(answers(), indent=1, sort_keys=True) + "\n"
    if options.write:
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN.name}")
        return 0
    committed = GOLDEN.read_text(encoding="utf-8")
    if committed == text:
        print(f"{GOLDEN.name}: gargoyle-yplan 2.1.1 gives the committed answers")
        return 0
    sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), text.splitlines(True), "committed", "now"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
