"""Progressive rollouts: the plan, the guard's statistics, each decision an evaluation makes
(wait, widen, complete, trip), people's buttons, and the middleware's counting."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from gargoyle import rollouts, signals
from gargoyle._runtime.outcomes import counter
from gargoyle._storage.rollout import RolloutSample, add_outcomes
from gargoyle.changes import made_by
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Rollout, Switch, SwitchChange

pytestmark = pytest.mark.django_db

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
HOUR = datetime.timedelta(hours=1)


def percent_of(key: str) -> list[list[str]]:
    return Switch.objects.get(key=key).value.get("auth.user", {}).get("percent", [])


def counts(rollout: Rollout, exposed: tuple[int, int], control: tuple[int, int], metric: str = "errors") -> None:
    """Store ``(requests, bad)`` for each group of the rollout's current stage run."""
    add_outcomes(
        {
            (rollout.pk, rollout.run, True, metric): list(exposed),
            (rollout.pk, rollout.run, False, metric): list(control),
        },
        {(rollout.pk, rollout.run): {f"subject-{number}" for number in range(exposed[0])}},
    )


def evaluate(rollout: Rollout, after: datetime.timedelta = HOUR * 2) -> Rollout:
    rollouts.evaluate_due(now=timezone.now() + after)
    rollout.refresh_from_db()
    return rollout


@pytest.fixture
def switch() -> Switch:
    return Switch.objects.create(key="checkout", status=DISABLED)


@pytest.fixture
def started(switch: Switch, alice: Any) -> Rollout:
    return rollouts.start("checkout", [1, 5, 25, 100], user=alice)


# -- the statistics -------------------------------------------------------------------------


def test_the_wilson_interval_matches_its_formula() -> None:
    low, high = rollouts.wilson(10, 100)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    assert rollouts.wilson(0, 0) == (0.0, 1.0)
    assert rollouts.wilson(0, 50)[0] == 0.0


def test_a_clear_rise_trips_and_noise_does_not() -> None:
    broken = rollouts.judge("errors", (1200, 49), (9800, 29), max_increase=0.01, min_requests=200)
    assert broken.tripped and broken.z > rollouts.Z_TRIP
    assert broken.summary() == "4.1 % errors vs 0.3 %, n = 1,200 / 9,800"
    noise = rollouts.judge("errors", (1200, 6), (9800, 29), max_increase=0.01, min_requests=200)
    assert not noise.tripped
    within = rollouts.judge("errors", (5000, 60), (50000, 150), max_increase=0.01, min_requests=200)
    assert not within.tripped  # 1.2 % vs 0.3 %: a rise under the tolerated point


def test_low_traffic_waits_however_bad_it_looks() -> None:
    few = rollouts.judge("errors", (20, 10), (5000, 5), max_increase=0.01, min_requests=200)
    assert (few.enough, few.tripped, few.z) == (False, False, None)
    few_bad = rollouts.judge("errors", (300, 4), (300, 0), max_increase=0.0, min_requests=200)
    assert not few_bad.tripped  # fewer than MIN_BAD bad requests among the exposed


def test_identical_groups_with_no_spread_do_not_divide_by_zero() -> None:
    same = rollouts.judge("errors", (500, 0), (500, 0), max_increase=0.01, min_requests=200)
    assert (same.z, same.tripped) == (-99.0, False)
    all_bad = rollouts.judge("errors", (500, 500), (500, 0), max_increase=0.01, min_requests=200)
    assert (all_bad.z, all_bad.tripped) == (99.0, True)


# -- the plan -------------------------------------------------------------------------------


def test_stages_are_cleaned() -> None:
    assert rollouts.clean_stages([1, "5", 25.5, 100], hold=60, min_exposed=10) == [
        {"percent": "1", "hold": 60, "min_exposed": 10},
        {"percent": "5", "hold": 60, "min_exposed": 10},
        {"percent": "25.5", "hold": 60, "min_exposed": 10},
        {"percent": "100", "hold": 60, "min_exposed": 10},
    ]
    assert rollouts.clean_stages([{"percent": 2, "hold": 5, "min_exposed": 0}]) == [
        {"percent": "2", "hold": 5, "min_exposed": 0}
    ]


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([], "give 1 to 20 stages"),
        ("1,5", "give 1 to 20 stages"),
        ([5, 5], r"stage 2 \(5 %\) must be above the one before it"),
        ([0, 5], "stage 1's percent must be a number above 0"),
        ([101], "at most 100"),
        ([1.005], "two decimals at most"),
        ([True], "stage 1's percent"),
        ([{"percent": 1, "hold": -1}], "stage 1's hold must be a whole number"),
        ([{"percent": 1, "min_exposed": "many"}], "stage 1's min_exposed"),
    ],
)
def test_bad_stages_are_refused_and_nothing_changes(switch, stages, message) -> None:
    with pytest.raises(ValidationError, match=message):
        rollouts.start("checkout", stages)
    assert not Rollout.objects.exists()
    assert Switch.objects.get(key="checkout").status == DISABLED


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"on_trip": "panic"}, "on_trip: 'panic' is not roll_back"),
        ({"max_increase": 2}, "max_increase: a share from 0"),
        ({"min_requests": 0}, "min_requests: a whole number"),
        ({"metric": "errors"}, "metric: a name"),
        ({"field": "username"}, "not a percent field"),
        ({"condition_set": "nope"}, "'nope' is not a registered condition set"),
    ],
)
def test_bad_guard_settings_are_refused(switch, options, message) -> None:
    with pytest.raises(ValidationError, match=message):
        rollouts.start("checkout", [1, 100], **options)
    assert not Rollout.objects.exists()


def test_start_makes_the_switch_selective_at_the_first_stage(started, alice) -> None:
    stored = Switch.objects.get(key="checkout")
    assert stored.status == SELECTIVE
    assert percent_of("checkout") == [["i", "0-1"]]
    assert (started.state, started.stage, started.created_by_name) == ("running", 0, "alice")
    entries = SwitchChange.objects.filter(switch_key="checkout", via="rollout")
    assert entries.count() == 2  # the status, then the percent
    assert all(entry.note == f"rollout #{started.pk}: started by alice" for entry in entries)
    assert rollouts.current("checkout") == started


@pytest.mark.parametrize(
    ("status", "message"), [(GLOBAL, "is Global, on for everyone already"), (SELECTIVE, "has a rollout already")]
)
def test_a_global_switch_or_a_second_rollout_is_refused(switch, status, message) -> None:
    if status == SELECTIVE:
        rollouts.start("checkout", [1, 100])
    else:
        Switch.objects.filter(key="checkout").update(status=GLOBAL)
    with pytest.raises(ValidationError, match=message):
        rollouts.start("checkout", [1, 100])
    assert Rollout.objects.count() == (1 if status == SELECTIVE else 0)


def test_an_unknown_switch_is_refused() -> None:
    with pytest.raises(ValidationError, match="there is no switch 'ghost'"):
        rollouts.start("ghost", [1, 100])


# -- evaluations ----------------------------------------------------------------------------


def test_a_stage_waits_for_its_hold_its_exposures_and_its_sample(started) -> None:
    waiting = evaluate(started, after=datetime.timedelta(minutes=2))
    assert waiting.state == "running" and waiting.stage == 0
    assert waiting.outcome == ("waiting: 58 min of hold, 0 of 100 exposed, requests on/off 0/0 of 200 each")
    assert waiting.next_evaluation_at > timezone.now()
    assert percent_of("checkout") == [["i", "0-1"]]


def test_a_held_stage_with_its_sample_widens_and_the_last_completes(started) -> None:
    counts(started, exposed=(300, 1), control=(3000, 9))
    widened = evaluate(started)
    assert (widened.stage, widened.state, widened.run) == (1, "running", 2)
    assert percent_of("checkout") == [["i", "0-5"]]
    assert widened.outcome == "stage held and guard quiet: stage 2 of 4, 5 %"
    assert widened.figures == {}  # a new stage run starts with nothing counted

    for _stage in (2, 3):
        counts(widened, exposed=(300, 1), control=(3000, 9))
        widened = evaluate(widened, after=HOUR * 2 * _stage)
    assert (widened.stage, widened.state) == (3, "completed")
    assert percent_of("checkout") == [["i", "0-100"]]
    assert widened.finished_at is not None
    assert evaluate(widened, after=HOUR * 9).state == "completed"  # no longer evaluated


def test_a_broken_stage_rolls_back_to_zero_and_tells_everyone(started, caplog, settings) -> None:
    settings.ADMINS = [("Ops", "ops@example.com")]
    tripped: list[Any] = []

    def receiver(sender: Any, rollout: Rollout, figures: Any, **kwargs: Any) -> None:
        tripped.append((rollout.state, figures.summary()))

    signals.rollout_guard_tripped.connect(receiver)
    counts(started, exposed=(1200, 49), control=(9800, 29))
    try:
        with caplog.at_level(logging.ERROR, logger="gargoyle"):
            rolled = evaluate(started, after=datetime.timedelta(minutes=2))  # before its hold: a guard acts at once
    finally:
        signals.rollout_guard_tripped.disconnect(receiver)

    assert rolled.state == "rolled_back"
    assert percent_of("checkout") == [["i", "0-0"]]
    why = "guard tripped: 4.1 % errors vs 0.3 %, n = 1,200 / 9,800; rolled back to 0 %"
    assert rolled.outcome == why
    assert tripped == [("rolled_back", "4.1 % errors vs 0.3 %, n = 1,200 / 9,800")]
    assert why in caplog.text
    [message] = mail.outbox
    assert message.subject.endswith("Rollout of checkout stopped")
    assert why in message.body
    last = SwitchChange.objects.filter(switch_key="checkout").first()
    assert (last.via, last.username) == ("rollout", "alice")
    assert last.note == f"rollout #{started.pk}: {why}"


def test_on_trip_previous_stage_goes_back_one_stage_and_pauses(switch) -> None:
    rollout = rollouts.start("checkout", [1, 5, 100], on_trip=rollouts.PREVIOUS_STAGE)
    counts(rollout, exposed=(300, 1), control=(3000, 9))
    rollout = evaluate(rollout)
    assert percent_of("checkout") == [["i", "0-5"]]
    counts(rollout, exposed=(1000, 80), control=(1000, 2))
    rollout = evaluate(rollout, after=HOUR * 3)
    assert (rollout.state, rollout.stage) == ("paused", 0)
    assert percent_of("checkout") == [["i", "0-1"]]
    assert rollout.outcome.endswith("; back to stage 1 and paused")


def test_on_trip_pause_leaves_the_switch_and_says_why_in_the_history(switch) -> None:
    rollout = rollouts.start("checkout", [1, 100], on_trip=rollouts.PAUSE)
    counts(rollout, exposed=(1000, 80), control=(1000, 2))
    rollout = evaluate(rollout)
    assert rollout.state == "paused"
    assert percent_of("checkout") == [["i", "0-1"]]
    note = SwitchChange.objects.filter(switch_key="checkout").first()
    assert note.summary.startswith("guard tripped: 8.0 % errors vs 0.2 %") and note.before == note.after


def test_a_site_metric_guards_beside_the_errors(switch) -> None:
    rollout = rollouts.start("checkout", [1, 100], metric="payment_failed")
    counts(rollout, exposed=(1000, 1), control=(1000, 1))
    counts(rollout, exposed=(400, 60), control=(4000, 40), metric="payment_failed")
    rollout = evaluate(rollout)
    assert rollout.state == "rolled_back"
    assert "15.0 % payment_failed vs 1.0 %" in rollout.outcome


def test_a_persons_change_pauses_the_rollout(started, bob) -> None:
    class Request:
        user = bob

    with made_by(Request()):
        Switch.objects.get(key="checkout").add_condition(gargoyle, USER_SET, "username", "carol")
    paused = evaluate(started)
    assert paused.state == "paused"
    assert paused.outcome.startswith("paused: bob changed the switch (added User: Username carol")


def test_evaluating_twice_decides_once(started) -> None:
    counts(started, exposed=(300, 1), control=(3000, 9))
    now = timezone.now() + HOUR * 2
    assert len(rollouts.evaluate_due(now=now)) == 1
    assert rollouts.evaluate_due(now=now) == []  # its next evaluation is a minute later
    started.refresh_from_db()
    assert started.stage == 1


@override_settings(GARGOYLE_ROLLOUT_SPEED=60)
def test_a_fast_clock_holds_a_stage_sixty_times_shorter(started) -> None:
    counts(started, exposed=(300, 1), control=(3000, 9))
    assert evaluate(started, after=datetime.timedelta(seconds=61)).stage == 1  # an hour's hold, in a minute


# -- people's buttons -----------------------------------------------------------------------


def test_pause_resume_advance_and_abort(started, alice) -> None:
    rollouts.pause(started.pk, user=alice)
    started.refresh_from_db()
    assert (started.state, started.outcome) == ("paused", "paused by alice")
    with pytest.raises(ValidationError, match="is paused"):
        rollouts.pause(started.pk)
    assert rollouts.evaluate_due(now=timezone.now() + HOUR * 3) == []  # a paused rollout is not judged

    resumed = rollouts.resume(started.pk, user=alice)
    assert (resumed.state, resumed.run) == ("running", started.run + 1)
    advanced = rollouts.advance(started.pk, user=alice)
    assert (advanced.stage, advanced.outcome) == (1, "advanced by alice: stage 2 of 4, 5 %")
    assert percent_of("checkout") == [["i", "0-5"]]

    aborted = rollouts.abort(started.pk, user=alice)
    assert aborted.state == "aborted"
    assert percent_of("checkout") == [["i", "0-0"]]
    with pytest.raises(ValidationError, match="is aborted"):
        rollouts.resume(started.pk)
    with pytest.raises(ValidationError, match="there is no rollout 999"):
        rollouts.abort(999)
    assert rollouts.current("checkout") is None
    rollouts.start("checkout", [10, 100])  # a new rollout may start once the last one ended


# -- counting from the middleware -----------------------------------------------------------


def checkout_view(request: HttpRequest) -> HttpResponse:
    on = gargoyle.is_active("checkout", request)
    if request.GET.get("metric"):
        rollouts.report(request, "payment_failed", bad=request.GET["metric"] == "bad")
    if on and request.GET.get("fail"):
        raise RuntimeError("the new checkout broke")
    return HttpResponse("on" if on else "off")


urlpatterns = [path("checkout/", checkout_view)]


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@override_settings(MIDDLEWARE=["gargoyle.middleware.SwitchExposureMiddleware"])
def test_the_middleware_counts_errors_metrics_and_subjects_for_the_guard() -> None:
    Switch.objects.create(key="checkout", status=DISABLED)
    rollout = rollouts.start(  # every address: every request exposed
        "checkout", [100], condition_set="gargoyle.builtins.IPAddressConditionSet", metric="payment_failed"
    )
    counter.take()
    gargoyle._runtime.next_check = 0.0
    client = Client(raise_request_exception=False)
    assert client.get("/checkout/").content == b"on"
    assert client.get("/checkout/?fail=1").status_code == 500  # an unhandled exception counts as an error
    client.get("/checkout/?metric=bad", REMOTE_ADDR="10.0.0.2")
    client.get("/checkout/?metric=good", REMOTE_ADDR="10.0.0.3")

    counter.flush()

    stored = {
        (sample.exposed, sample.metric): (sample.requests, sample.bad)
        for sample in RolloutSample.objects.filter(rollout=rollout, run=rollout.run)
    }
    assert stored == {(True, "errors"): (4, 1), (True, "payment_failed"): (2, 1)}
    assert rollout.subjects.filter(run=rollout.run).count() == 3  # 127.0.0.1, 10.0.0.2, 10.0.0.3


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@override_settings(MIDDLEWARE=["gargoyle.middleware.SwitchExposureMiddleware"])
def test_requests_of_switches_without_a_running_rollout_are_not_counted() -> None:
    Switch.objects.create(key="checkout", status=GLOBAL)
    counter.take()
    Client().get("/checkout/")
    assert counter.samples == {}


# -- what the review found: automation meeting automation, failures, moved stages -----------


def test_a_schedule_made_before_a_rollback_is_refused_after_it(started, alice) -> None:
    from gargoyle import schedules

    soon = timezone.now() + datetime.timedelta(minutes=5)
    schedules.schedule(
        "checkout", "set_percent", {"condition_set": USER_SET, "field": "percent", "condition": "0-25"}, soon
    )
    rollouts.abort(started.pk, user=alice)  # the incident: back to 0 %
    [refused] = schedules.apply_due(now=soon + datetime.timedelta(minutes=1))
    assert refused.state == "refused"
    assert refused.outcome.startswith("refused: a rollout (alice) changed the switch after this was scheduled")
    assert percent_of("checkout") == [["i", "0-0"]]


def test_a_scheduled_change_to_a_rolled_out_switch_pauses_the_rollout(started) -> None:
    from gargoyle import schedules

    soon = timezone.now() + datetime.timedelta(minutes=5)
    schedules.schedule("checkout", "status", {"status": DISABLED}, soon)
    schedules.apply_due(now=soon)
    paused = evaluate(started)
    assert paused.state == "paused"
    assert paused.outcome == "paused: a schedule of someone changed the switch (status Selective → Disabled)"
    assert Switch.objects.get(key="checkout").status == DISABLED  # the rollout did not turn it back on


def test_one_rollout_that_cannot_change_its_switch_does_not_stop_the_others(switch, caplog) -> None:
    Switch.objects.create(key="other", status=DISABLED)
    stuck = rollouts.start("checkout", [1, 100])
    broken = rollouts.start("other", [1, 100])
    Rollout.objects.filter(pk=stuck.pk).update(condition_set="gone.ConditionSet")  # no longer registered
    counts(stuck, exposed=(300, 1), control=(3000, 9))
    counts(broken, exposed=(1000, 80), control=(1000, 2))

    with caplog.at_level(logging.ERROR, logger="gargoyle"):
        rollouts.evaluate_due(now=timezone.now() + HOUR * 2)

    stuck.refresh_from_db()
    broken.refresh_from_db()
    assert stuck.state == "paused"
    assert stuck.outcome.startswith("paused: its change was refused: condition_set: 'gone.ConditionSet'")
    assert broken.state == "rolled_back"
    assert f"could not evaluate rollout #{stuck.pk}" in caplog.text


def test_advance_from_a_stage_the_rollout_left_changes_nothing(started) -> None:
    rollouts.advance(started.pk, from_stage=0)
    with pytest.raises(rollouts.RolloutMoved, match=r"is at stage 2 of 4 \(5 %\) now"):
        rollouts.advance(started.pk, from_stage=0)  # a second click on the same, stale, box
    assert percent_of("checkout") == [["i", "0-5"]]


def test_a_metric_of_the_sites_own_holds_the_stage_until_its_sample_is_there(switch) -> None:
    rollout = rollouts.start("checkout", [1, 100], metric="payment_failed")
    counts(rollout, exposed=(300, 1), control=(3000, 9))
    counts(rollout, exposed=(3, 3), control=(30, 0), metric="payment_failed")
    waiting = evaluate(rollout)
    assert (waiting.state, waiting.stage) == ("running", 0)
    assert waiting.outcome == "waiting: payment_failed on/off 3/30 of 200 each"


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@override_settings(
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "gargoyle.middleware.SwitchExposureMiddleware",
    ]
)
def test_a_user_percent_counts_signed_in_requests_only(django_user_model) -> None:
    Switch.objects.create(key="checkout", status=DISABLED)
    rollout = rollouts.start("checkout", [100])
    counter.take()
    gargoyle._runtime.next_check = 0.0
    client = Client()
    client.get("/checkout/")  # anonymous: a user percent never judges it
    client.force_login(django_user_model.objects.create_user("dora"))
    assert client.get("/checkout/").content == b"on"
    counter.flush()
    assert {(s.exposed, s.requests) for s in RolloutSample.objects.filter(rollout=rollout)} == {(True, 1)}


@pytest.mark.django_db(transaction=True)
def test_an_async_view_reads_the_schedules_outside_its_event_loop() -> None:
    import asyncio

    Switch.objects.create(key="checkout", status=DISABLED)
    rollout = rollouts.start("checkout", [1, 100])

    async def check() -> None:
        gargoyle._runtime.next_check = 0.0
        await gargoyle.ais_active("checkout")

    asyncio.run(check())
    assert gargoyle.running_rollouts()["checkout"].rollout_id == rollout.pk
    assert gargoyle._runtime.due.next_due == rollout.next_evaluation_at.timestamp()


def test_a_rollout_without_the_exposure_middleware_is_reported(started) -> None:
    from gargoyle.checks import check_rollouts

    with override_settings(MIDDLEWARE=[]):
        [warning] = check_rollouts(databases=["default"])
    assert warning.id == "gargoyle.W021" and warning.obj == "checkout"
    with override_settings(MIDDLEWARE=["gargoyle.middleware.SwitchExposureMiddleware"]):
        assert check_rollouts(databases=["default"]) == []
    with override_settings(MIDDLEWARE=[]):
        assert check_rollouts(databases=None) == []  # a database check: only when asked for
