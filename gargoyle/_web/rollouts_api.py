"""The JSON API's rollouts: ``rollouts/``, ``rollouts/start/`` and the buttons
``rollouts/pause/``, ``resume/``, ``advance/`` and ``abort/`` (docs/json-api.rst,
docs/rollouts.rst). Each write takes ``gargoyle.change_switch``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle._conf import get_settings
from gargoyle._storage.rollout import ACTIVE, ROLL_BACK, Rollout
from gargoyle._storage.schedule import as_utc
from gargoyle._web.api import _get_switch, _param
from gargoyle._web.auth import ApiError, View, api_view, message_of
from gargoyle._writes import rollouts

#: How many ended rollouts of a switch ``rollouts/?key=`` lists.
PAST_SHOWN = 5


def rollout_payload(rollout: Rollout) -> dict[str, Any]:
    """A rollout as the panel shows it (see docs/json-api.rst)."""
    stage = rollout.stages[rollout.stage]
    hold_ends = rollout.stage_started_at + datetime.timedelta(seconds=stage["hold"] / get_settings().rollout_speed)
    return {
        "id": rollout.pk,
        "key": rollout.switch_key,
        "state": rollout.state,
        "stage": rollout.stage,
        "stages": rollout.stages,
        "percent": rollout.percent,
        "conditionSet": rollout.condition_set,
        "field": rollout.field,
        "onTrip": rollout.on_trip,
        "maxIncrease": rollout.max_increase,
        "minRequests": rollout.min_requests,
        "metric": rollout.metric,
        "stageStartedAt": as_utc(rollout.stage_started_at),
        "holdEndsAt": as_utc(hold_ends),
        "nextEvaluationAt": as_utc(rollout.next_evaluation_at),
        "outcome": rollout.outcome,
        "figures": rollout.figures,
        "createdBy": rollout.created_by_name,
        "createdAt": as_utc(rollout.created_at),
        "finishedAt": as_utc(rollout.finished_at),
    }


@api_view("GET", None)
def rollouts_of(request: HttpRequest) -> dict[str, Any]:
    """Switch ``key``'s running or paused rollout (or None) and its last ended ones."""
    key = _get_switch(_param(request.GET, "key")).key
    found = list(Rollout.objects.filter(switch_key=key).order_by("-created_at", "-pk")[: PAST_SHOWN + 1])
    current = next((rollout for rollout in found if rollout.state in ACTIVE), None)
    past = [rollout_payload(rollout) for rollout in found if rollout is not current][:PAST_SHOWN]
    return {"rollout": rollout_payload(current) if current else None, "past": past}


def _number(request: HttpRequest, name: str, default: float, kind: Callable[[str], Any] = int) -> Any:
    text = request.POST.get(name, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise ApiError(400, _("%(field)s: %(value)r is not a number.") % {"field": name, "value": text}) from None


def _stages(request: HttpRequest) -> list[dict[str, Any]]:
    text = _param(request.POST, "stages")
    hold = _number(request, "hold", 60, float)  # minutes, in the form
    if not 0 <= hold <= 10**7:
        raise ApiError(400, _("hold: give the minutes each stage holds, 0 or more."))
    return rollouts.clean_stages(
        [part.strip() for part in text.replace(";", ",").split(",") if part.strip()],
        hold=round(hold * 60),
        min_exposed=_number(request, "min_exposed", 100),
    )


@api_view("POST", "gargoyle.change_switch")
def start(request: HttpRequest) -> dict[str, Any]:
    """Start a rollout of switch ``key``: ``stages`` ("1, 5, 25, 100"), ``hold`` (minutes per
    stage), ``min_exposed``, ``on_trip``, ``max_increase`` (percentage points),
    ``min_requests``, ``metric``, and the percent field (``id``, ``field``)."""
    key = _get_switch(_param(request.POST, "key")).key
    options: dict[str, Any] = {
        "on_trip": request.POST.get("on_trip") or ROLL_BACK,
        "max_increase": _number(request, "max_increase", 1.0, float) / 100,
        "min_requests": _number(request, "min_requests", 200),
        "metric": request.POST.get("metric", "").strip(),
    }
    if request.POST.get("id"):
        options["condition_set"] = request.POST["id"]
    if request.POST.get("field"):
        options["field"] = request.POST["field"]
    return rollout_payload(rollouts.start(key, _stages(request), user=request.user, **options))


def _button(action: Callable[..., Rollout]) -> View:
    """The endpoint of one of the rollout's buttons: ``action`` on rollout ``id``, as the caller."""

    def view(request: HttpRequest) -> dict[str, Any]:
        text = _param(request.POST, "id")
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise ApiError(400, _("id: %(id)r is not a rollout id.") % {"id": text})
        return rollout_payload(action(int(text), user=request.user))

    view.__doc__ = f"{(action.__doc__ or '').splitlines()[0]} (``id``)."
    view.__name__ = action.__name__
    return api_view("POST", "gargoyle.change_switch")(view)


pause = _button(rollouts.pause)
resume = _button(rollouts.resume)
abort = _button(rollouts.abort)


@api_view("POST", "gargoyle.change_switch")
def advance(request: HttpRequest) -> dict[str, Any]:
    """Widen rollout ``id`` to its next stage now; with ``stage`` (the stage the caller saw,
    from 0), a 409 instead when it moved meanwhile."""
    text = _param(request.POST, "id")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ApiError(400, _("id: %(id)r is not a rollout id.") % {"id": text})
    seen = request.POST.get("stage", "")
    if seen and (not seen.isascii() or not seen.isdigit() or len(seen) > 3):
        raise ApiError(400, _("stage: %(stage)r is not a stage number.") % {"stage": seen})
    try:
        moved = rollouts.advance(int(text), user=request.user, from_stage=int(seen) if seen else None)
    except rollouts.RolloutMoved as error:
        raise ApiError(409, message_of(error)) from None
    return rollout_payload(moved)
