"""Scheduled changes: made, edited, cancelled; applied once when due, refused over a newer edit."""

from __future__ import annotations

import datetime
import io
import json
import logging
import threading
import time
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from gargoyle import schedules, signals
from gargoyle.changes import made_by
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import ScheduledChange, Switch, SwitchChange

pytestmark = pytest.mark.django_db

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
PERCENT = {"condition_set": USER_SET, "field": "percent"}
UTC = datetime.timezone.utc


def soon(minutes: float = 10) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def later(minutes: float = 20) -> datetime.datetime:
    """A moment after ``soon()``: when the schedules made for it are due."""
    return timezone.now() + datetime.timedelta(minutes=minutes)


def grant(user: Any, *codenames: str) -> Any:
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="gargoyle", codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # permissions are cached on the instance


class Request:
    def __init__(self, user: Any) -> None:
        self.user = user


@pytest.fixture
def switch() -> Switch:
    return Switch.objects.create(key="checkout", status=DISABLED)


@pytest.fixture
def staff(alice: Any) -> Any:
    return grant(alice, "change_switch", "set_global")


# -- making ------------------------------------------------------------------------------


def test_a_scheduled_status_is_applied_when_due_and_recorded_for_who_scheduled_it(switch, staff) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(), user=staff)
    assert schedules.apply_due() == []  # not due yet
    assert Switch.objects.get(key="checkout").status == DISABLED

    [applied] = schedules.apply_due(now=later())

    assert Switch.objects.get(key="checkout").status == GLOBAL
    assert gargoyle.is_active("checkout")  # this process sees it at once
    made.refresh_from_db()
    assert made.state == schedules.APPLIED == applied.state
    change = SwitchChange.objects.get(pk=made.change_id)
    assert (change.user, change.username, change.via) == (staff, "alice", "schedule")
    assert f"scheduled change #{made.pk}, made by alice" in change.note
    assert made.outcome == change.summary


def test_each_action_changes_what_it_says(switch, staff) -> None:
    switch.add_condition(gargoyle, USER_SET, "username", "bob")
    at = soon()
    schedules.schedule("checkout", "add_condition", {**PERCENT, "condition": "0-10", "exclude": False}, at, user=staff)
    schedules.schedule("checkout", "set_percent", {**PERCENT, "condition": "0-25"}, at, user=staff)
    schedules.schedule(
        "checkout", "remove_condition", {"condition_set": USER_SET, "field": "username", "condition": "bob"}, at
    )
    schedules.schedule("checkout", "status", {"status": SELECTIVE}, at, user=staff)

    resolved = schedules.apply_due(now=later())

    assert [s.state for s in resolved] == ["applied"] * 4
    assert Switch.objects.get(key="checkout").value == {"auth.user": {"percent": [["i", "0-25"]]}}


def test_set_percent_keeps_the_excludes_and_other_fields(switch) -> None:
    switch.add_condition(gargoyle, USER_SET, "percent", "0-5")
    switch.add_condition(gargoyle, USER_SET, "percent", "90-100", exclude=True)
    switch.add_condition(gargoyle, USER_SET, "is_staff", "1")
    schedules.schedule("checkout", "set_percent", {**PERCENT, "condition": "0-50"}, soon())

    schedules.apply_due(now=later())

    assert Switch.objects.get(key="checkout").value == {
        "auth.user": {"percent": [["e", "90-100"], ["i", "0-50"]], "is_staff": [["i", "1"]]}
    }


@pytest.mark.parametrize(
    ("action", "arguments", "message"),
    [
        ("status", {"status": 7}, "status: 7 is not a switch status"),
        ("status", {}, "status: None is not a switch status"),
        ("rename", {}, "action: 'rename' is not one of status, add_condition"),
        ("status", [3], "arguments: give the action's arguments as an object"),
        ("set_percent", {**PERCENT, "condition": "50-10"}, "enter two numbers between 0 and 100"),
        ("set_percent", {"condition_set": USER_SET, "field": "username", "condition": "0-5"}, "is not a percent field"),
        ("add_condition", {"condition_set": "nope", "field": "x", "condition": "1"}, "'nope' is not a registered"),
        ("add_condition", {**PERCENT, "condition": "0-5", "exclude": "yes"}, "exclude: pass true or false"),
        ("remove_condition", {**PERCENT, "condition": ""}, "condition: give the condition to remove"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_is_stored(switch, action, arguments, message) -> None:
    with pytest.raises(ValidationError, match=message):
        schedules.schedule("checkout", action, arguments, soon())
    assert not ScheduledChange.objects.exists()


@pytest.mark.parametrize(
    ("due_at", "message"),
    [
        (timezone.now() - datetime.timedelta(seconds=1), "has passed"),
        (datetime.datetime(2030, 1, 1, 9, 0), "give a time with its time zone"),
        ("2030-01-01", "give a date and time"),
    ],
)
def test_a_moment_that_passed_or_has_no_zone_is_refused(switch, due_at, message) -> None:
    with pytest.raises(ValidationError, match=message):
        schedules.schedule("checkout", "status", {"status": GLOBAL}, due_at)
    assert not ScheduledChange.objects.exists()


def test_a_schedule_needs_an_existing_switch() -> None:
    with pytest.raises(ValidationError, match="there is no switch 'ghost'"):
        schedules.schedule("ghost", "status", {"status": GLOBAL}, soon())
    assert not ScheduledChange.objects.exists()


# -- editing and cancelling --------------------------------------------------------------


def test_edit_moves_and_changes_a_pending_schedule(switch, staff) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(), user=staff)
    schedules.edit(made.pk, due_at=soon(30), action="status", arguments={"status": SELECTIVE}, user=staff)

    assert schedules.apply_due(now=later()) == []  # moved past it
    [applied] = schedules.apply_due(now=later(40))
    assert applied.pk == made.pk
    assert Switch.objects.get(key="checkout").status == SELECTIVE


def test_a_bad_edit_leaves_the_schedule_as_it_was(switch) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon())
    with pytest.raises(ValidationError, match="status: 9"):
        schedules.edit(made.pk, due_at=soon(30), arguments={"status": 9})
    with pytest.raises(ValidationError, match="has passed"):
        schedules.edit(made.pk, due_at=timezone.now() - datetime.timedelta(minutes=1))
    stored = ScheduledChange.objects.get()
    assert (stored.arguments, stored.due_at) == ({"status": GLOBAL}, made.due_at)


def test_cancelled_schedules_never_apply_and_cannot_be_edited(switch, staff) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon())
    schedules.cancel(made.pk, user=staff)

    assert schedules.apply_due(now=later()) == []
    assert Switch.objects.get(key="checkout").status == DISABLED
    stored = ScheduledChange.objects.get()
    assert (stored.state, stored.outcome) == ("cancelled", "cancelled by alice")
    with pytest.raises(ValidationError, match="is already cancelled"):
        schedules.cancel(made.pk)
    with pytest.raises(ValidationError, match="is already cancelled"):
        schedules.edit(made.pk, due_at=soon())
    with pytest.raises(ValidationError, match="there is no scheduled change 999"):
        schedules.cancel(999)


# -- at most once, and never over a newer edit -------------------------------------------


def test_applying_twice_applies_once(switch) -> None:
    schedules.schedule("checkout", "add_condition", {**PERCENT, "condition": "0-10", "exclude": False}, soon())
    assert len(schedules.apply_due(now=later())) == 1
    assert schedules.apply_due(now=later()) == []
    assert SwitchChange.objects.filter(via="schedule").count() == 1


def test_a_persons_edit_after_scheduling_refuses_it_with_the_reason(switch, staff, bob, caplog) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(), user=staff)
    with made_by(Request(bob)):  # an incident: bob turns it off for good
        Switch.objects.get(key="checkout").add_condition(gargoyle, USER_SET, "username", "carol")

    with caplog.at_level(logging.WARNING, logger="gargoyle"):
        [refused] = schedules.apply_due(now=later())

    assert refused.state == "refused"
    assert refused.outcome.startswith("refused: bob changed the switch after this was scheduled (added User: Username")
    assert Switch.objects.get(key="checkout").status == DISABLED
    assert refused.change_id is None
    assert f"scheduled change #{made.pk} of 'checkout' refused: bob changed" in caplog.text


def test_editing_the_schedule_after_a_persons_edit_confirms_it(switch, staff) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(), user=staff)
    Switch.objects.filter(key="checkout").update(description="seen")
    schedules.edit(made.pk, due_at=soon(15), user=staff)  # looked at it again after the edit

    [applied] = schedules.apply_due(now=later())
    assert applied.state == "applied"


def test_changes_made_by_earlier_schedules_do_not_refuse_later_ones(switch) -> None:
    schedules.schedule("checkout", "set_percent", {**PERCENT, "condition": "0-10"}, soon(5))
    schedules.schedule("checkout", "set_percent", {**PERCENT, "condition": "0-50"}, soon(10))
    schedules.schedule("checkout", "status", {"status": SELECTIVE}, soon(10))

    assert [s.state for s in schedules.apply_due(now=later())] == ["applied"] * 3
    stored = Switch.objects.get(key="checkout")
    assert (stored.status, stored.value) == (SELECTIVE, {"auth.user": {"percent": [["i", "0-50"]]}})


def test_a_deleted_switch_refuses_its_schedules(switch) -> None:
    schedules.schedule("checkout", "status", {"status": GLOBAL}, soon())
    Switch.objects.filter(key="checkout").delete()
    [refused] = schedules.apply_due(now=later())
    assert refused.outcome == "refused: the switch checkout no longer exists (deleted or renamed)."
    assert not Switch.objects.filter(key="checkout").exists()


def test_a_scheduler_who_lost_the_right_is_refused(switch, alice) -> None:
    staff = grant(alice, "change_switch")  # may change, but not set Global
    schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(), user=staff)
    [refused] = schedules.apply_due(now=later())
    assert refused.outcome == "refused: alice may no longer make this change."
    assert Switch.objects.get(key="checkout").status == DISABLED


def test_a_change_the_switch_no_longer_takes_is_refused_and_leaves_it_as_it_was(switch) -> None:
    switch.add_condition(gargoyle, USER_SET, "percent", "0-10", exclude=True)
    schedules.edit(  # scheduled, then confirmed after the exclude was added
        schedules.schedule("checkout", "add_condition", {**PERCENT, "condition": "0-10", "exclude": False}, soon()).pk,
        due_at=soon(),
    )
    [refused] = schedules.apply_due(now=later())
    assert refused.state == "refused"
    assert "0-10 is already excluded" in refused.outcome
    assert Switch.objects.get(key="checkout").value == {"auth.user": {"percent": [["e", "0-10"]]}}


def test_a_change_already_made_applies_as_nothing_to_change(switch) -> None:
    schedules.schedule("checkout", "status", {"status": DISABLED}, soon())
    [applied] = schedules.apply_due(now=later())
    assert (applied.state, applied.change_id) == ("applied", None)
    assert applied.outcome == "nothing to change: the switch was already so"


def test_resolution_is_signalled_after_the_change(switch) -> None:
    seen: list[tuple[str, int]] = []

    def receiver(sender: Any, schedule: ScheduledChange, **kwargs: Any) -> None:
        seen.append((schedule.state, Switch.objects.get(key="checkout").status))

    signals.scheduled_change_resolved.connect(receiver)
    try:
        schedules.schedule("checkout", "status", {"status": GLOBAL}, soon())
        schedules.apply_due(now=later())
    finally:
        signals.scheduled_change_resolved.disconnect(receiver)
    assert seen == [("applied", GLOBAL)]


# -- moments -----------------------------------------------------------------------------


def test_moments_with_an_offset_are_exact_and_stored_in_utc() -> None:
    assert schedules.parse_moment("2027-03-01T09:00+01:00") == datetime.datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert schedules.parse_moment("2027-03-01T09:00Z", "Asia/Tokyo") == datetime.datetime(2027, 3, 1, 9, tzinfo=UTC)


def test_wall_clock_moments_follow_the_zone_across_dst() -> None:
    berlin = "Europe/Berlin"
    assert schedules.parse_moment("2027-03-27 09:00", berlin) == datetime.datetime(2027, 3, 27, 8, tzinfo=UTC)
    assert schedules.parse_moment("2027-03-29 09:00", berlin) == datetime.datetime(2027, 3, 29, 7, tzinfo=UTC)
    with override_settings(TIME_ZONE="America/New_York"):
        assert schedules.parse_moment("2027-11-08 09:00") == datetime.datetime(2027, 11, 8, 14, tzinfo=UTC)


def test_a_wall_clock_time_skipped_by_dst_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"2027-03-28 02:30 does not exist in Europe/Berlin \(the clocks go"):
        schedules.parse_moment("2027-03-28 02:30", "Europe/Berlin")


def test_a_wall_clock_time_that_happens_twice_asks_for_the_offset() -> None:
    with pytest.raises(ValidationError, match=r"happens twice .* 2027-10-31T02:30\+02:00 or 2027-10-31T02:30\+01:00"):
        schedules.parse_moment("2027-10-31 02:30", "Europe/Berlin")
    assert schedules.parse_moment("2027-10-31T02:30+01:00") == datetime.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [("next tuesday", None, "is not a date and time"), ("2027-01-01 09:00", "Mars/Olympus", "is not a time zone")],
)
def test_unreadable_moments_are_refused(text, zone, message) -> None:
    with pytest.raises(ValidationError, match=message):
        schedules.parse_moment(text, zone)


def test_a_schedule_made_across_a_dst_change_applies_at_its_utc_moment(switch) -> None:
    due = schedules.parse_moment("2027-03-28 03:30", "Europe/Berlin")  # first hour of summer time
    ScheduledChange.objects.create(
        base_change=SwitchChange.newest_id(),
        switch_key="checkout",
        action="status",
        arguments={"status": GLOBAL},
        due_at=due,
    )
    assert schedules.apply_due(now=datetime.datetime(2027, 3, 28, 1, 29, tzinfo=UTC)) == []
    assert len(schedules.apply_due(now=datetime.datetime(2027, 3, 28, 1, 30, tzinfo=UTC))) == 1


@override_settings(USE_TZ=False, TIME_ZONE="Europe/Berlin")
def test_without_use_tz_moments_are_stored_on_the_sites_wall_clock(switch) -> None:
    due = schedules.parse_moment("2030-06-01 09:00")
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, due)
    assert ScheduledChange.objects.get(pk=made.pk).due_at == datetime.datetime(2030, 6, 1, 9, 0)
    assert schedules.next_due_timestamp() == datetime.datetime(2030, 6, 1, 7, 0, tzinfo=UTC).timestamp()
    [applied] = schedules.apply_due(now=datetime.datetime(2030, 6, 1, 9, 0))
    assert applied.state == "applied"


# -- applied from the version check ------------------------------------------------------


def _check_now() -> None:
    gargoyle._runtime.next_check = 0.0  # the check a request (or the interval) would make
    gargoyle.is_active("checkout")


def _join_applier() -> None:
    for thread in threading.enumerate():
        if thread.name == "gargoyle-schedules":
            thread.join(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_every_process_learns_the_next_due_moment_from_its_version_check() -> None:
    Switch.objects.create(key="checkout")
    first = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(30))
    _check_now()
    assert gargoyle._runtime.due.next_due == first.due_at.timestamp()
    sooner = schedules.schedule("checkout", "status", {"status": SELECTIVE}, soon(5))
    _check_now()
    assert gargoyle._runtime.due.next_due == sooner.due_at.timestamp()
    schedules.cancel(sooner.pk)
    _check_now()
    assert gargoyle._runtime.due.next_due == first.due_at.timestamp()


@pytest.mark.django_db(transaction=True)
def test_the_version_check_after_the_moment_applies_it() -> None:
    Switch.objects.create(key="checkout", status=DISABLED)
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, timezone.now() + datetime.timedelta(seconds=1))
    _check_now()
    assert not gargoyle.is_active("checkout")
    time.sleep(1.1)

    _check_now()
    _join_applier()

    assert ScheduledChange.objects.get(pk=made.pk).state == "applied"
    _check_now()
    assert gargoyle.is_active("checkout")
    assert gargoyle._runtime.due.next_due is None  # nothing else pending


@pytest.mark.django_db(transaction=True)
@override_settings(GARGOYLE_APPLY_SCHEDULES=False)
def test_with_apply_schedules_off_only_the_command_applies_them() -> None:
    Switch.objects.create(key="checkout", status=DISABLED)
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, timezone.now() + datetime.timedelta(seconds=1))
    _check_now()
    time.sleep(1.1)
    _check_now()
    _join_applier()
    assert ScheduledChange.objects.get(pk=made.pk).state == "pending"


# -- the commands and the Celery task ----------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_command_adds_lists_moves_and_cancels(switch) -> None:
    added = run(
        "switch_schedules", "add", "checkout", "--at", "2040-03-01 09:00", "--zone", "Europe/Berlin", "--percent", "0-5"
    )
    made = ScheduledChange.objects.get()
    assert added == f"Scheduled #{made.pk}: checkout set_percent at 2040-03-01 08:00 UTC.\n"
    assert made.arguments == {**PERCENT, "condition": "0-5"}
    assert f"#{made.pk}  2040-03-01 08:00 UTC  checkout  set_percent" in run("switch_schedules", "list")
    run("switch_schedules", "edit", str(made.pk), "--at", "2040-03-02T09:00Z", "--status", "global")
    made.refresh_from_db()
    assert (made.action, made.arguments, made.due_at) == (
        "status",
        {"status": GLOBAL},
        datetime.datetime(2040, 3, 2, 9, tzinfo=UTC),
    )
    assert run("switch_schedules", "cancel", str(made.pk)) == f"Cancelled #{made.pk}.\n"
    assert run("switch_schedules", "list") == "No scheduled changes.\n"
    listed = json.loads(run("switch_schedules", "list", "--all", "--json"))
    assert [(row["id"], row["state"]) for row in listed] == [(made.pk, "cancelled")]


def test_the_command_schedules_a_required_condition(switch) -> None:
    at = ["--at", "2040-03-01T09:00Z"]
    run("switch_schedules", "add", "checkout", *at, "--add-condition", USER_SET, "is_staff", "1", "--required")
    made = ScheduledChange.objects.get()
    assert made.arguments == {
        "condition_set": USER_SET,
        "field": "is_staff",
        "condition": "1",
        "exclude": False,
        "required": True,
    }
    both = ["--add-condition", USER_SET, "is_staff", "1", "--required", "--exclude"]
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("switch_schedules", "add", "checkout", *at, *both)
    assert ScheduledChange.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "checkout", "--at", "2040-03-25 02:30", "--zone", "Europe/Berlin", "--status", "global"],
            "does not exist",
        ),
        (["add", "checkout", "--at", "2001-01-01T00:00Z", "--status", "global"], "has passed"),
        (["add", "ghost", "--at", "2040-01-01T00:00Z", "--status", "global"], "there is no switch 'ghost'"),
        (["add", "checkout", "--at", "2040-01-01T00:00Z", "--percent", "5-1"], "the lower one first"),
        (["cancel", "404"], "there is no scheduled change 404"),
    ],
)
def test_the_command_refuses_bad_input_and_stores_nothing(switch, args, message) -> None:
    with pytest.raises(CommandError, match=message):
        run("switch_schedules", *args)
    assert not ScheduledChange.objects.filter(state="pending").exists()


def test_run_switch_schedules_applies_what_is_due(switch) -> None:
    assert run("run_switch_schedules") == "Nothing due.\n"
    made = ScheduledChange.objects.create(
        base_change=SwitchChange.newest_id(),
        switch_key="checkout",
        action="status",
        arguments={"status": GLOBAL},
        due_at=timezone.now(),
    )
    assert run("run_switch_schedules").startswith(f"#{made.pk} checkout: applied: status Disabled → Global")
    assert Switch.objects.get(key="checkout").status == GLOBAL


def test_the_task_applies_what_is_due_without_celery_too(switch) -> None:
    from gargoyle.tasks import run_switch_schedules

    ScheduledChange.objects.create(
        base_change=SwitchChange.newest_id(),
        switch_key="checkout",
        action="status",
        arguments={"status": GLOBAL},
        due_at=timezone.now(),
    )
    result = run_switch_schedules() if callable(run_switch_schedules) else run_switch_schedules.apply().get()
    assert result == {"applied": 1, "refused": 0, "rollouts": 0}


# -- clocks ------------------------------------------------------------------------------


def test_hosts_whose_clocks_disagree_apply_a_schedule_once(switch) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon(10))
    behind, ahead = made.due_at - datetime.timedelta(minutes=5), made.due_at + datetime.timedelta(seconds=1)
    assert schedules.apply_due(now=behind) == []  # its clock says not yet
    assert len(schedules.apply_due(now=ahead)) == 1  # the first whose clock has passed applies it
    assert schedules.apply_due(now=made.due_at + datetime.timedelta(minutes=5)) == []  # the slow one, later
    assert SwitchChange.objects.filter(via="schedule").count() == 1


def test_a_wall_clock_that_jumps_back_after_the_moment_does_not_hand_over_again() -> None:
    from gargoyle._runtime.due import DueWatch

    handed: list[Any] = []
    watch = DueWatch(lambda: 1_000.0, lambda then: handed.append(then))
    watch.refresh()
    with mock.patch("gargoyle._runtime.due.time.time", return_value=999.0):
        watch.poll()
    assert handed == []  # not yet
    with mock.patch("gargoyle._runtime.due.time.time", return_value=1_000.5):
        watch.poll()
    with mock.patch("gargoyle._runtime.due.time.time", return_value=2_000.0):  # an hour later: still one
        watch.poll()
    assert len(handed) == 1
    handed[0](None)  # the applier: nothing more pending
    with mock.patch("gargoyle._runtime.due.time.time", return_value=1_000.5):  # the clock set back
        watch.poll()
    assert len(handed) == 1


def test_a_failing_read_of_the_schedules_is_logged_once_and_leaves_checks_alone(caplog) -> None:
    from gargoyle._runtime.due import DueWatch

    def broken() -> float:
        raise RuntimeError("no table yet")

    watch = DueWatch(broken, lambda then: None)
    with caplog.at_level(logging.WARNING, logger="gargoyle"):
        watch.refresh()
        watch.refresh()
    assert caplog.text.count("cannot read the scheduled changes (RuntimeError: no table yet)") == 1
    assert watch.next_due is None


def test_a_failing_receiver_does_not_hold_the_other_schedules_back(switch) -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("a receiver's bug")

    Switch.objects.create(key="other", status=DISABLED)
    schedules.schedule("checkout", "status", {"status": GLOBAL}, soon())
    schedules.schedule("other", "status", {"status": GLOBAL}, soon())
    signals.scheduled_change_resolved.connect(broken)
    try:
        assert len(schedules.apply_due(now=later())) == 2
    finally:
        signals.scheduled_change_resolved.disconnect(broken)


@pytest.mark.parametrize("text", ["0001-01-01T00:00+01:00", "9999-12-31 23:59"])
def test_dates_at_the_ends_of_the_calendar_are_refused_clearly(text) -> None:
    with pytest.raises(ValidationError, match="out of the range of dates"):
        schedules.parse_moment(text, "America/New_York")


@override_settings(USE_TZ=False, TIME_ZONE="America/New_York")
def test_without_use_tz_the_api_row_says_utc(switch) -> None:
    made = schedules.schedule("checkout", "status", {"status": GLOBAL}, schedules.parse_moment("2030-01-01T12:00Z"))
    assert ScheduledChange.objects.get(pk=made.pk).due_at == datetime.datetime(2030, 1, 1, 7, 0)  # New York's clock
    assert made.as_row()["dueAt"] == datetime.datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
