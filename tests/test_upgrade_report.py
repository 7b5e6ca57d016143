"""Switches whose answers changed at the upgrade from gargoyle-yplan are announced everywhere
staff look: ``manage.py check``, ``migrate``, ``upgrade_report``, ``list_switches``; never silently."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from gargoyle.checks import check_upgrade
from gargoyle.constants import SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from tests.upgrade import fixture
from tests.yplan_schema import build_yplan_database

DATABASES = ["default"]


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def warnings_by_id(check_id):
    return {message.obj: message for message in check_upgrade(databases=DATABASES) if message.id == check_id}


def test_check_names_each_changed_switch_and_says_what_changed(upgraded):
    changed = warnings_by_id("gargoyle.W007")

    assert set(changed) == set(gargoyle.upgrade_changes())
    assert "exclude_bob" in changed and "include_alice" not in changed
    message = changed["exclude_bob"]
    assert "answers differently than under gargoyle-yplan 2.1.1" in message.msg
    assert "anonymous users" in message.msg
    assert "upgrade_report --reviewed exclude_bob" in message.hint


def test_check_reports_statuses_outside_1_to_4(upgraded):
    odd = warnings_by_id("gargoyle.W008")

    assert set(odd) == {"status_zero", "status_seven", "status_seven_empty"}
    assert "evaluated as Selective" in odd["status_seven"].msg


def test_a_plain_check_stays_quiet_and_a_database_check_speaks(upgraded):
    assert check_upgrade() == []
    output = io.StringIO()
    call_command("check", databases=DATABASES, stdout=output, stderr=output)
    assert "gargoyle.W007" in output.getvalue() and "gargoyle.W008" in output.getvalue()


def test_upgrade_report_lists_switches_with_what_changed(upgraded):
    text = run("upgrade_report")
    assert "exclude_bob\n  - Exclude conditions only" in text
    assert "status_seven\n  - Stored status 7 is not 1-4" in text
    assert "\ninclude_alice\n" not in text

    listed = {entry["key"]: entry for entry in json.loads(run("upgrade_report", "--json"))}
    assert set(listed) == set(gargoyle.upgrade_changes()) | {"status_zero", "status_seven", "status_seven_empty"}
    assert [notice["code"] for notice in listed["alice_not_from_office"]["notices"]] == ["mixed"]


def test_marking_a_switch_reviewed_silences_it_everywhere(upgraded):
    assert "Marked reviewed: exclude_bob." in run("upgrade_report", "--reviewed", "exclude_bob")

    assert not Switch.objects.get(key="exclude_bob").carried_over
    assert "exclude_bob" not in warnings_by_id("gargoyle.W007")
    assert "exclude_bob" not in {entry["key"] for entry in json.loads(run("upgrade_report", "--json"))}
    assert gargoyle.is_active("exclude_bob"), "reviewing changes no answer"


def test_marking_an_unknown_switch_reviewed_is_refused_and_marks_nothing(upgraded):
    with pytest.raises(CommandError, match="No switch 'nope'; nothing was marked reviewed"):
        run("upgrade_report", "--reviewed", "exclude_bob", "nope")
    assert Switch.objects.get(key="exclude_bob").carried_over


def test_all_reviewed_leaves_only_the_statuses_to_fix(upgraded):
    run("upgrade_report", "--all-reviewed")

    assert warnings_by_id("gargoyle.W007") == {}
    remaining = {entry["key"] for entry in json.loads(run("upgrade_report", "--json"))}
    assert remaining == {"status_zero", "status_seven", "status_seven_empty"}


def test_list_switches_shows_the_notices(upgraded):
    table = run("list_switches")
    line_of = {line.split()[0]: i for i, line in enumerate(table.splitlines()) if line and not line.startswith(" ")}
    lines = table.splitlines()
    assert lines[line_of["exclude_bob"] + 1].startswith("    ! Exclude conditions only")
    listed = {row["key"]: row for row in json.loads(run("list_switches", "--json"))}
    assert listed["status_seven"]["state"] == "Unknown status 7: evaluated as Selective"
    assert listed["include_alice"]["notices"] == []


@pytest.mark.django_db(transaction=True)
def test_migrate_says_how_many_switches_need_a_look():
    rows = [(key, text, status, None, None) for key, status, text in fixture.SWITCHES if key.startswith("exclude_")]
    build_yplan_database(connection, rows, fixture.aware("2019-05-01"))

    output = run("migrate", "gargoyle")

    assert "gargoyle: 4 switches from gargoyle-yplan answer differently now" in output
    assert "exclude_bob" in output and "manage.py upgrade_report" in output
    assert "gargoyle:" not in run("migrate", "gargoyle"), "said once, when the migrations run"


@pytest.mark.django_db(transaction=True)
def test_a_new_database_has_nothing_carried_over():
    Switch.objects.create(key="exclude_bob", status=SELECTIVE, value={"auth.user": {"username": [["e", "bob"]]}})
    assert not Switch.objects.get(key="exclude_bob").carried_over
    assert gargoyle.upgrade_changes() == {}
    assert "No switch carried over" in run("upgrade_report")


@pytest.mark.urls("tests.test_api")
def test_the_api_shows_notices_and_marks_a_switch_reviewed(upgraded, admin_client):
    listed = {s["key"]: s for s in admin_client.get(reverse("gargoyle:switches")).json()["data"]["switches"]}
    assert [notice["code"] for notice in listed["exclude_bob"]["notices"]] == ["unjudged"]
    assert [notice["code"] for notice in listed["status_seven"]["notices"]] == ["status"]
    assert listed["include_alice"]["notices"] == []

    reply = admin_client.post(reverse("gargoyle:mark-reviewed"), {"key": "exclude_bob"})
    assert reply.status_code == 200, reply.content
    assert reply.json()["data"]["notices"] == []
    assert not Switch.objects.get(key="exclude_bob").carried_over
    assert "exclude_bob" not in gargoyle.upgrade_changes()

    missing = admin_client.post(reverse("gargoyle:mark-reviewed"), {"key": "nope"})
    assert (missing.status_code, missing.json()["success"]) == (404, False)
