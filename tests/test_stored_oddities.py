"""Rows that the model would refuse today but that a database can hold (left by gargoyle-yplan
on SQLite, or by a script): each affects only its own switch, is reported, and can be fixed
from the panel and the JSON API."""

import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from gargoyle.checks import check_upgrade
from gargoyle.constants import DISABLED, GLOBAL
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

USERS = "gargoyle.builtins.UserConditionSet(auth.user)"
pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_api")]
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite keeps any text in any column; PostgreSQL refuses what does not fit"
)


def write_raw(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    gargoyle.refresh()


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@sqlite_only
@pytest.mark.parametrize("stamp", ["0000-00-00 00:00:00", "2020-13-01 00:00:00", "yesterday"])
def test_a_date_the_database_cannot_read_affects_nothing_else(admin_client, stamp):
    Switch.objects.create(key="good", status=GLOBAL)
    Switch.objects.create(key="bad", status=GLOBAL)
    write_raw("UPDATE gargoyle_switch SET date_modified = %s, date_created = %s WHERE key = 'bad'", stamp, stamp)

    assert gargoyle.is_active("good") and gargoyle.is_active("bad"), "answers never need the dates"
    listed = {s["key"]: s for s in admin_client.get(reverse("gargoyle:switches")).json()["data"]["switches"]}
    assert listed["bad"]["date_modified"] is None and listed["good"]["date_modified"] is not None
    reply = admin_client.post(reverse("gargoyle:status"), {"key": "bad", "status": str(DISABLED)})
    assert reply.status_code == 200, reply.content
    assert not gargoyle.is_active("bad")
    assert "bad" in run("list_switches") and '"key": "bad"' in run("export_switches")
    assert admin_client.post(reverse("gargoyle:delete"), {"key": "bad"}).status_code == 200
    assert list(Switch.objects.values_list("key", flat=True)) == ["good"]


@sqlite_only
def test_an_over_long_stored_label_or_key_blocks_no_edit_and_is_reported(admin_client):
    Switch.objects.create(key="labelled", status=DISABLED)
    Switch.objects.create(key="long", status=DISABLED)
    long_key = "k" * 70
    write_raw("UPDATE gargoyle_switch SET label = %s WHERE key = 'labelled'", "L" * 80)
    write_raw("UPDATE gargoyle_switch SET key = %s WHERE key = 'long'", long_key)

    for key in ("labelled", long_key):
        reply = admin_client.post(reverse("gargoyle:status"), {"key": key, "status": str(GLOBAL)})
        assert reply.status_code == 200, reply.content
        assert gargoyle.is_active(key)
    reported = {m.obj: m.msg for m in check_upgrade(databases=["default"]) if m.id == "gargoyle.W008"}
    assert "label" in reported["labelled"] and "64" in reported["labelled"]
    assert "key" in reported[long_key]
    listed = {s["key"]: s for s in admin_client.get(reverse("gargoyle:switches")).json()["data"]["switches"]}
    assert [n["code"] for n in listed["labelled"]["notices"]] == ["label"]
    assert "label" in json.dumps(run("list_switches"))


def test_a_condition_a_script_stored_as_a_list_shows_as_json_and_can_be_removed(admin_client):
    Switch.objects.create(key="f", status=GLOBAL)
    Switch.objects.filter(key="f").update(value={"auth.user": {"username": [["i", ["a"]], ["i", "bob"]]}})

    [group] = admin_client.get(reverse("gargoyle:switches")).json()["data"]["switches"][0]["conditions"]
    assert group["conditions"][0][:2] == ["username", '["a"]']
    fields = {"key": "f", "id": "gargoyle.builtins.UserConditionSet(auth.user)", "field": "username"}
    reply = admin_client.post(reverse("gargoyle:remove-condition"), {**fields, "value": '["a"]'})

    assert reply.status_code == 200, reply.content
    assert Switch.objects.get(key="f").value == {"auth.user": {"username": [["i", "bob"]]}}


def test_a_value_that_is_not_an_object_is_no_answer_change_at_the_upgrade():
    from gargoyle.upgrade import answer_changes

    rows = [
        {"key": key, "status": 2, "value": value, "carried_over": True}
        for key, value in (("list", []), ("null", None), ("empty", {}))
    ]
    changes = answer_changes(rows, gargoyle.namespaces(), legacy_percent=True)
    assert {key: [notice.code for notice in notices] for key, notices in changes.items()} == {"empty": ["empty"]}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add_condition(USERS, "username", "bob", exclude="no"), "exclude: pass True or False"),
        (lambda s: s.remove_condition(USERS, ["username"], "bob"), "field_name: a field name is text"),
        (lambda s: s.add_condition(["x"], "username", "bob"), "condition_set: ['x'] is not a registered"),
    ],
)
def test_odd_types_given_to_the_condition_methods_are_refused(call, message):
    Switch.objects.create(key="f", status=GLOBAL)
    with pytest.raises(ValidationError, match=re.escape(message)):
        call(gargoyle["f"])
    assert Switch.objects.get(key="f").value == {}


@pytest.mark.parametrize(
    ("fields", "message"), [({"key": ["a"]}, "key:"), ({"key": "f", "description": 5}, "description:")]
)
def test_odd_types_given_to_a_new_switch_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        Switch(**fields).save()
    assert not Switch.objects.exists()
