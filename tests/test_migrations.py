"""A database created by gargoyle-yplan 2.1.1 migrates forward with every switch intact."""

import json
from datetime import datetime, timezone

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from gargoyle import gargoyle
from gargoyle.checks import check_stored_switches
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.models import Switch
from tests.yplan_schema import build_yplan_database

CREATED = datetime(2019, 5, 1, 12, 0, tzinfo=timezone.utc)

# (key, stored text as django-jsonfield wrote it, status, label, description)
YPLAN_ROWS = [
    ("percent_rollout", json.dumps({"auth.user": {"percent": [["i", "0-50"]]}}), SELECTIVE, "Rollout", None),
    (
        "staff_and_office",
        json.dumps(
            {
                "auth.user": {"is_staff": [["i", "1"]], "username": [["e", "mallory"]]},
                "ip": {"ip_address": [["i", "10.0.0.1"]]},
            }
        ),
        SELECTIVE,
        "Staff «and» office",
        "Ünïcode description with 'quotes'",
    ),
    ("global_switch", "{}", GLOBAL, None, None),
    ("parent:child", json.dumps({"host": {"hostname": [["i", "web-1"]]}}), DISABLED, "Child", "A child"),
    ("empty_text", "", SELECTIVE, None, None),
    ("null_text", "null", DISABLED, None, None),
    ("not_json", "{broken", SELECTIVE, None, None),
]


def build_yplan_schema():
    """The table, rows and migration records gargoyle-yplan 2.1.1 left behind."""
    build_yplan_database(connection, YPLAN_ROWS, CREATED)


@pytest.mark.django_db(transaction=True)
def test_yplan_database_migrates_without_losing_a_switch():
    build_yplan_schema()

    call_command("migrate", "gargoyle", verbosity=0)

    stored = {switch.key: switch for switch in Switch.objects.all()}
    assert set(stored) == {row[0] for row in YPLAN_ROWS}
    for key, text, status, label, description in YPLAN_ROWS:
        switch = stored[key]
        assert (switch.status, switch.label, switch.description, switch.date_created) == (
            status,
            label,
            description,
            CREATED,
        )
        if key not in ("empty_text", "null_text", "not_json"):
            assert switch.value == json.loads(text)
    assert stored["empty_text"].value == {}
    assert stored["null_text"].value == {}
    assert stored["not_json"].value == "{broken", "unreadable text is kept, not dropped"


@pytest.mark.django_db(transaction=True)
def test_migrated_switches_evaluate_and_report_problems():
    build_yplan_schema()
    call_command("migrate", "gargoyle", verbosity=0)
    gargoyle.refresh()

    staff = User.objects.create(username="boss", is_staff=True)
    mallory = User.objects.create(username="mallory", is_staff=True)
    assert gargoyle.is_active("global_switch")
    assert gargoyle.is_active("staff_and_office", staff)
    assert not gargoyle.is_active("staff_and_office", mallory)
    assert gargoyle.is_active("not_json", default=True), "a corrupt switch answers its default"
    assert not gargoyle.is_active("not_json")
    assert [message.obj for message in check_stored_switches(databases=["default"])] == ["not_json"]

    # The migrated table takes new writes through the JSON column.
    gargoyle["percent_rollout"].add_condition("gargoyle.builtins.IPAddressConditionSet", "ip_address", "10.9.9.9")
    assert Switch.objects.get(key="percent_rollout").value["ip"] == {"ip_address": [["i", "10.9.9.9"]]}


# Text Python's json reads but PostgreSQL's jsonb refuses: the migration must finish on
# every database, keep the row and report it, as for text that is not JSON at all.
JSONB_REFUSES = {
    "nan": '{"auth.user": {"percent": [["i", "0-50"]]}, "weight": NaN}',
    "infinity": "[Infinity]",
    "nul_escape": '{"auth.user": {"username": [["i", "a\\u0000b"]]}}',
    "lone_surrogate": '{"auth.user": {"username": [["i", "\\ud800"]]}}',
    "surrogate_key": '{"\\udfff": {}}',
}


@pytest.mark.django_db(transaction=True)
def test_text_that_jsonb_refuses_is_kept_and_reported():
    rows = [(key, text, SELECTIVE, None, None) for key, text in JSONB_REFUSES.items()]
    build_yplan_database(connection, rows, CREATED)

    call_command("migrate", "gargoyle", verbosity=0)
    gargoyle.refresh()

    stored = dict(Switch.objects.values_list("key", "value"))
    assert stored == JSONB_REFUSES, "each row is kept, its text as a JSON string"
    reported = {message.obj for message in check_stored_switches(databases=["default"])}
    assert reported == set(JSONB_REFUSES)
    assert not gargoyle.is_active("nan") and gargoyle.is_active("nan", default=True)
