"""Usage counts: every check counted in memory, flushed into hourly rows, rolled up into days."""

from __future__ import annotations

import datetime
import io
import json
import logging
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import QuerySet
from django.test import override_settings

from gargoyle import usage
from gargoyle._runtime.usage import UsageCounter, counter
from gargoyle._storage.usage import DAY, HOUR, HOURLY_DAYS, Counts, SwitchUsage, add_counts, roll_up
from gargoyle.checks import check_usage_settings
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

pytestmark = pytest.mark.django_db

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
NOW = datetime.datetime(2026, 12, 5, 10, 30, tzinfo=datetime.timezone.utc)
HOUR_START = NOW.replace(minute=0)


@pytest.fixture(autouse=True)
def fresh_counts() -> Any:
    counter.take()  # what earlier tests counted is not this test's
    counter._reported.clear()  # nor the hours it reported to the (rolled back) table
    yield
    counter.take()


def stored(key: str, period: str = HOUR) -> list[tuple[Any, ...]]:
    return list(
        SwitchUsage.objects.filter(switch_key=key, period=period)
        .order_by("start")
        .values_list("start", "on", "off", "defaults", "processes")
    )


def test_every_check_is_counted_and_flushed_once() -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    for _ in range(3):
        gargoyle.is_active("on")
    gargoyle.is_active("off")
    with override_settings(GARGOYLE_AUTO_CREATE=False):  # else the first check stores "missing"
        gargoyle.is_active("missing")
        gargoyle.is_active("missing", default=True)

    assert usage.flush() == 3
    hour = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    assert stored("on") == [(hour, 3, 0, 0, 1)]
    assert stored("off") == [(hour, 0, 1, 0, 1)]
    assert stored("missing") == [(hour, 0, 0, 2, 1)]
    assert usage.flush() == 0  # nothing new: nothing written, nothing counted twice
    gargoyle.is_active("on")
    usage.flush()
    assert stored("on") == [(hour, 4, 0, 0, 1)]  # the same process: still one process


def test_a_selective_switch_counts_each_answer(django_user_model: Any) -> None:
    switch = Switch.objects.create(key="staff_only", status=SELECTIVE)
    switch.add_condition(gargoyle, USER_SET, "is_staff", "1")
    staff = django_user_model(username="s", is_staff=True)
    visitor = django_user_model(username="v")
    for user in (staff, visitor, visitor):
        gargoyle.is_active("staff_only", user)
    usage.flush()
    assert [row[1:3] for row in stored("staff_only")] == [(1, 2)]


@override_settings(GARGOYLE_USAGE=False)
def test_counting_off_counts_nothing() -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    assert gargoyle.is_active("on") is True
    gargoyle.is_active("missing")
    assert usage.flush() == 0
    assert not SwitchUsage.objects.exists()


def test_two_processes_flushing_the_same_hour_add_up_exactly() -> None:
    first, second = UsageCounter(now=lambda: NOW), UsageCounter(now=lambda: NOW)
    first.tally("k")[1] += 5
    second.tally("k")[1] += 7
    second.tally("k")[0] += 2
    first.flush()
    second.flush()
    first.tally("k")[0] += 1
    first.flush()  # the same process again: the process count stays
    assert stored("k") == [(HOUR_START, 12, 3, 0, 2)]


def test_a_row_created_by_another_process_meanwhile_is_grown_not_duplicated() -> None:
    SwitchUsage.objects.create(switch_key="k", period=HOUR, start=HOUR_START, on=1)
    real_update, updates = QuerySet.update, []

    def update(queryset: Any, **fields: Any) -> int:
        updates.append(fields)
        # The first UPDATE ran before the other process inserted the row: it found none.
        return 0 if len(updates) == 1 else real_update(queryset, **fields)

    with mock.patch.object(QuerySet, "update", update):
        add_counts({"k": Counts(on=2, off=0, defaults=0)}, NOW, {"k"})
    assert len(updates) == 2  # the INSERT hit the unique constraint, and the row was grown
    assert stored("k") == [(HOUR_START, 3, 0, 0, 1)]


def test_a_failing_flush_never_raises_drops_one_interval_and_logs_once(caplog: Any) -> None:
    broken = UsageCounter(now=lambda: NOW)
    caplog.set_level(logging.WARNING, logger="gargoyle")
    with mock.patch("gargoyle._storage.usage.add_counts", side_effect=DatabaseError("the database is down")):
        broken.tally("k")[1] += 4
        assert broken.flush() == 0
        broken.tally("k")[1] += 1
        assert broken.flush() == 0
    assert [record.message for record in caplog.records].count(
        "gargoyle: could not store the switch usage counts: the database is down"
    ) == 1
    broken.tally("k")[1] += 2
    assert broken.flush() == 1
    assert stored("k") == [(HOUR_START, 2, 0, 0, 1)]  # the failed intervals are lost, not retried twice


def test_hourly_rows_roll_up_into_days_and_old_days_go() -> None:
    old_day = (NOW - datetime.timedelta(days=HOURLY_DAYS + 1)).replace(hour=0, minute=0)
    for hour, on, processes in ((3, 10, 2), (4, 5, 3)):
        SwitchUsage.objects.create(
            switch_key="k", period=HOUR, start=old_day.replace(hour=hour), on=on, off=1, processes=processes
        )
    SwitchUsage.objects.create(switch_key="k", period=HOUR, start=HOUR_START, on=7)  # recent: stays hourly
    SwitchUsage.objects.create(switch_key="k", period=DAY, start=old_day - datetime.timedelta(days=100), on=99)

    assert roll_up(NOW, retention_days=90) == 3
    assert stored("k", DAY) == [(old_day, 15, 2, 0, 3)]
    assert stored("k") == [(HOUR_START, 7, 0, 0, 0)]
    assert roll_up(NOW, retention_days=90) == 0  # nothing left to do: the totals stay
    assert stored("k", DAY) == [(old_day, 15, 2, 0, 3)]


def test_usage_of_reads_the_windows_the_chart_and_the_last_check() -> None:
    rows = [
        (HOUR_START, 6, 4, 1),  # within 24 hours
        (HOUR_START - datetime.timedelta(hours=23), 1, 1, 0),  # the oldest hour of the 24
        (HOUR_START - datetime.timedelta(hours=24), 10, 0, 0),  # 7 days only
        (HOUR_START - datetime.timedelta(days=7), 100, 0, 0),  # beyond 7 days: the chart only
    ]
    for start, on, off, processes in rows:
        SwitchUsage.objects.create(
            switch_key="k", period=HOUR, start=start, on=on, off=off, processes=processes, last_checked=start
        )
    figures = usage.usage_of(["k", "unchecked"], now=NOW)["k"]
    assert "unchecked" not in usage.usage_of(["k", "unchecked"], now=NOW)
    assert (figures.on_24h, figures.off_24h, figures.checks_24h) == (7, 5, 12)
    assert (figures.on_7d, figures.checks_7d) == (17, 22)
    assert figures.share_on_24h == pytest.approx(7 / 12)
    assert figures.last_checked == HOUR_START
    assert figures.processes == 1
    assert len(figures.days) == usage.CHART_DAYS
    assert figures.days[-1] == usage.DayCount(NOW.date(), 6, 4)
    assert sum(day.on for day in figures.days) == 117
    assert figures.as_dict()["checks24h"] == 12


def test_checks_of_the_settings() -> None:
    assert check_usage_settings() == []
    with override_settings(GARGOYLE_USAGE_FLUSH_INTERVAL=0.1, GARGOYLE_USAGE_RETENTION=3):
        assert [message.id for message in check_usage_settings()] == ["gargoyle.E011", "gargoyle.E012"]
    with override_settings(GARGOYLE_USAGE_FLUSH_INTERVAL=None, GARGOYLE_USAGE_RETENTION=30):
        assert check_usage_settings() == []


def test_the_flusher_thread_stores_counts_on_its_own(transactional_db: Any) -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    own = UsageCounter()
    with override_settings(GARGOYLE_USAGE_FLUSH_INTERVAL=1):
        own.ensure_flusher()
        own.tally("on")[1] += 3
        for _ in range(300):  # up to 30 s: a loaded machine may be slow to run the thread
            if SwitchUsage.objects.filter(switch_key="on").exists():
                break
            own._stop.wait(0.1)
        own.stop()
    assert [row[1] for row in stored("on")] == [3]
    call_command("check")  # still a healthy project


@pytest.mark.urls("tests.test_api")
def test_the_json_api_gives_each_switch_its_figures(admin_client: Any) -> None:
    Switch.objects.create(key="checked", status=GLOBAL)
    Switch.objects.create(key="never", status=GLOBAL)
    gargoyle.is_active("checked")
    gargoyle.is_active("checked")
    usage.flush()
    switches = {item["key"]: item for item in admin_client.get("/gargoyle/switches/").json()["data"]["switches"]}
    figures = switches["checked"]["usage"]
    assert (figures["checks24h"], figures["on24h"], figures["checks7d"], figures["processes"]) == (2, 2, 2, 1)
    assert figures["lastChecked"] is not None
    assert len(figures["days"]) == usage.CHART_DAYS and figures["days"][-1]["on"] == 2
    assert switches["never"]["usage"] is None
    # A write's reply carries them too.
    reply = admin_client.post("/gargoyle/update/", {"curkey": "checked", "name": "Checked"}).json()["data"]
    assert reply["usage"]["checks24h"] == 2


def test_list_switches_with_usage() -> None:
    Switch.objects.create(key="checked", status=GLOBAL)
    Switch.objects.create(key="never", status=DISABLED)
    for _ in range(1234):
        gargoyle.is_active("checked")
    usage.flush()
    out = io.StringIO()
    call_command("list_switches", "--usage", stdout=out)
    header, *lines = out.getvalue().splitlines()
    assert header.split()[:7] == ["KEY", "STATUS", "CONDITIONS", "CHECKS_24H", "ON_24H", "CHECKS_7D", "LAST_CHECKED"]
    rows = {line.split()[0]: line.split() for line in lines}
    assert rows["checked"][3:6] == ["1,234", "100%", "1,234"]
    assert rows["never"][3:7] == ["0", "-", "0", "never"]
    out = io.StringIO()
    call_command("list_switches", "--usage", "--json", stdout=out)
    by_key = {row["key"]: row["usage"] for row in json.loads(out.getvalue())}
    assert (by_key["checked"]["checks_24h"], by_key["checked"]["on_7d"]) == (1234, 1234)
    assert by_key["never"] == {"checks_24h": 0, "on_24h": 0, "checks_7d": 0, "on_7d": 0, "last_checked": None}


@override_settings(USE_TZ=False)
def test_without_use_tz_hours_are_the_sites_wall_clock() -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    gargoyle.is_active("on")
    assert usage.flush() == 1  # no "timezone-aware datetimes" error from the database
    (row,) = SwitchUsage.objects.filter(switch_key="on")
    assert row.start.tzinfo is None and row.start.minute == 0
    figures = usage.usage_of(["on"])["on"]
    assert (figures.checks_24h, figures.days[-1].on) == (1, 1)


def test_a_key_no_switch_could_have_is_not_counted_and_spoils_nothing() -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    with override_settings(GARGOYLE_AUTO_CREATE=False):
        gargoyle.is_active("x" * 65)  # longer than a key may be: no row could hold it
        gargoyle.is_active("on")
    assert usage.flush() == 1
    assert list(SwitchUsage.objects.values_list("switch_key", flat=True)) == ["on"]


def test_an_unknown_child_is_counted_under_its_own_key_not_its_parents() -> None:
    Switch.objects.create(key="parent", status=GLOBAL)
    with override_settings(GARGOYLE_AUTO_CREATE=False):
        assert gargoyle.is_active("parent:child") is True  # the parent's answer
    usage.flush()
    assert [row[1:4] for row in stored("parent:child")] == [(0, 0, 1)]
    assert stored("parent") == []  # asked on the child's behalf: not a check of the parent


@override_settings(GARGOYLE_SWITCH_DEFAULTS={"beta": {"is_active": True}}, GARGOYLE_AUTO_CREATE=False)
def test_a_defaults_key_not_stored_yet_counts_its_answer_once() -> None:
    gargoyle.refresh()
    assert gargoyle.is_active("beta") is True
    usage.flush()
    assert [row[1:4] for row in stored("beta")] == [(1, 0, 0)]


def test_a_fork_starts_the_child_without_the_parents_counts() -> None:
    own = UsageCounter(now=lambda: NOW)
    own.tally("k")[1] += 3
    own.count_default("missing")
    own.after_fork()
    assert own.take() == {}
    own.tally("k")[1] += 1  # the same list objects: compiled switches keep counting into them
    assert own.take() == {"k": (1, 0, 0)}


def test_a_flush_never_raises_whatever_fails(caplog: Any) -> None:
    broken = UsageCounter(now=lambda: NOW)
    broken.tally("k")[1] += 1
    with mock.patch("gargoyle._storage.usage.add_counts", side_effect=ValueError("not a database error")):
        assert broken.flush() == 0
    assert "not a database error" in caplog.text


@override_settings(GARGOYLE_USAGE_FLUSH_INTERVAL=1e300, GARGOYLE_STALE_DAYS=10**6, GARGOYLE_USAGE_RETENTION=10**6)
def test_huge_settings_are_refused_not_overflowed() -> None:
    assert [message.id for message in check_usage_settings()] == ["gargoyle.E011", "gargoyle.E012", "gargoyle.E013"]


@override_settings(GARGOYLE_STALE_DAYS=120, GARGOYLE_USAGE_RETENTION=90)
def test_a_stale_period_longer_than_the_counts_are_kept_is_warned_of() -> None:
    assert [message.id for message in check_usage_settings()] == ["gargoyle.W018"]
