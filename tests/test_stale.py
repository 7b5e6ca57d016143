"""Stale switches: unchecked for N days, or settled (the same answer for everyone) for N days."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from gargoyle._storage.usage import DAY, HOUR, SwitchUsage, hour_of
from gargoyle.checks import check_stale_switches, check_usage_settings
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.models import Switch
from gargoyle.stale import stale_switches

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def aged(key: str, status: int, days: int) -> Switch:
    switch = Switch.objects.create(key=key, status=status)
    then = NOW - datetime.timedelta(days=days)
    Switch.objects.filter(key=key).update(date_created=then)  # date_modified is auto_now: set it below
    Switch._base_manager.filter(key=key).update(date_modified=then)
    return switch


def checked(key: str, days_ago: float, on: int = 1, off: int = 0) -> None:
    start = hour_of(NOW - datetime.timedelta(days=days_ago))
    SwitchUsage.objects.create(switch_key=key, period=HOUR, start=start, on=on, off=off, last_checked=start)


@pytest.fixture
def counted_for_weeks() -> None:
    """Counting has run for 60 days (an old daily row of some other switch says so)."""
    start = (NOW - datetime.timedelta(days=60)).replace(hour=0, minute=0, second=0, microsecond=0)
    SwitchUsage.objects.create(switch_key="elsewhere", period=DAY, start=start, on=1)


def reasons() -> dict[str, str]:
    return {stale.key: stale.code for stale in stale_switches(now=NOW)}


def test_each_reason(counted_for_weeks: None) -> None:
    aged("forgotten", SELECTIVE, 90)  # never checked in 30 days
    aged("launched", GLOBAL, 40)
    checked("launched", 1)
    aged("killed", DISABLED, 40)
    checked("killed", 1, on=0, off=5)
    aged("everyone", SELECTIVE, 40)
    checked("everyone", 2, on=50)
    aged("rollout", SELECTIVE, 40)
    checked("rollout", 2, on=5, off=45)  # still deciding: not stale
    aged("fresh", GLOBAL, 3)  # changed lately
    checked("fresh", 1)
    aged("young", SELECTIVE, 5)  # created lately, never checked: not yet
    aged("child", INHERIT, 40)
    checked("child", 1, on=3)
    assert reasons() == {
        "forgotten": "not_checked",
        "launched": "same_answer",
        "killed": "same_answer",
        "everyone": "always_on",
        "child": "always_on",
    }
    stale = {item.key: item for item in stale_switches(now=NOW)}
    assert stale["launched"].reason == "Global and unchanged for 30 days: every check got the same answer"
    assert stale["forgotten"].last_checked is None
    assert stale["launched"].last_checked is not None


def test_no_switch_is_unchecked_before_the_counts_go_back_that_far() -> None:
    aged("forgotten", SELECTIVE, 90)
    checked("other", 3)  # counting began 3 days ago (the upgrade)
    assert reasons() == {}


@override_settings(GARGOYLE_PERMANENT_SWITCHES=["maintenance_mode"], GARGOYLE_STALE_DAYS=10)
def test_permanent_switches_and_the_days_setting(counted_for_weeks: None) -> None:
    aged("maintenance_mode", DISABLED, 400)
    aged("launched", GLOBAL, 15)
    checked("launched", 1)
    assert reasons() == {"launched": "same_answer"}  # 10 days, not 30
    assert {stale.key for stale in stale_switches(20, now=NOW)} == set()


def test_the_command_lists_and_fails_for_ci(counted_for_weeks: None) -> None:
    out = io.StringIO()
    call_command("stale_switches", stdout=out)
    assert out.getvalue().strip() == "No stale switches."
    call_command("stale_switches", "--fail", stdout=io.StringIO())  # nothing stale: no failure
    aged("forgotten", SELECTIVE, 90)
    out = io.StringIO()
    call_command("stale_switches", stdout=out)
    header, line = out.getvalue().splitlines()
    assert header.split() == ["KEY", "LAST", "CHECKED", "REASON"]
    assert line.startswith("forgotten  never") and "not checked for 30 days" in line
    with pytest.raises(CommandError, match="1 stale switch") as error:
        call_command("stale_switches", "--fail", stdout=io.StringIO())
    assert error.value.returncode == 1
    out = io.StringIO()
    call_command("stale_switches", "--json", "--days", "60", stdout=out)
    assert [item["code"] for item in json.loads(out.getvalue())] == ["not_checked"]
    with pytest.raises(CommandError, match="--days"):
        call_command("stale_switches", "--days", "0")


def test_the_system_check_is_off_by_default(counted_for_weeks: None) -> None:
    aged("forgotten", SELECTIVE, 90)
    assert check_stale_switches(databases=["default"]) == []
    with override_settings(GARGOYLE_STALE_CHECK=True):
        assert check_stale_switches() == []  # not asked for the database: no query
        (warning,) = check_stale_switches(databases=["default"])
    assert warning.id == "gargoyle.W014" and "forgotten" in warning.msg


@override_settings(GARGOYLE_STALE_DAYS=0, GARGOYLE_PERMANENT_SWITCHES="maintenance_mode")
def test_bad_settings_are_reported_and_defaults_used() -> None:
    assert [message.id for message in check_usage_settings()] == ["gargoyle.E013"]
    assert stale_switches() == []  # 30 days, no permanent switch: nothing stored, nothing stale


@pytest.mark.urls("tests.test_api")
def test_the_json_api_and_the_panel_filter_read_it(admin_client: Any, counted_for_weeks: None) -> None:
    aged("forgotten", SELECTIVE, 90)
    aged("fresh", SELECTIVE, 1)
    switches = {item["key"]: item for item in admin_client.get("/gargoyle/switches/").json()["data"]["switches"]}
    assert switches["forgotten"]["stale"]["code"] == "not_checked"
    assert switches["fresh"]["stale"] is None


def test_always_on_needs_counts_going_back_the_whole_period() -> None:
    aged("everyone", SELECTIVE, 300)
    checked("everyone", 0.1, on=3)  # counting began an hour ago (the upgrade)
    assert reasons() == {}
