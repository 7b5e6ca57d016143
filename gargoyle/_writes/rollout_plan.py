"""A rollout's plan, checked before it starts: its stages (percents rising, each held for a
time and for a number of exposed subjects) and its guard (what to do when it trips, how much
worse the switched-on requests may be, on how many requests, by which metric)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.rollout import ERRORS, PAUSE, PREVIOUS_STAGE, ROLL_BACK

__all__ = ["MAX_EXPOSED", "MAX_STAGES", "clean_guard", "clean_stages"]

MAX_STAGES = 20
#: The most distinct subjects a stage may wait for (each process remembers those it stored).
MAX_EXPOSED = 100_000


def clean_stages(stages: Any, *, hold: Any = 3600, min_exposed: Any = 100) -> list[dict[str, Any]]:
    """The stages as stored: ``{"percent", "hold", "min_exposed"}`` each, percents rising.

    A stage may be a bare percent (``[1, 5, 25, 100]``), taking ``hold`` (seconds) and
    ``min_exposed`` (distinct subjects) for every stage.

    :raises ~django.core.exceptions.ValidationError: naming the stage and the problem.
    """
    if not isinstance(stages, (list, tuple)) or not 1 <= len(stages) <= MAX_STAGES:
        raise ValidationError(_("stages: give 1 to %(max)d stages, e.g. 1, 5, 25, 100."), params={"max": MAX_STAGES})
    cleaned: list[dict[str, Any]] = []
    for number, stage in enumerate(stages, 1):
        given = stage if isinstance(stage, dict) else {"percent": stage}
        percent = _percent(given.get("percent"), number)
        if cleaned and Decimal(percent) <= Decimal(cleaned[-1]["percent"]):
            raise ValidationError(
                _("stages: stage %(number)d (%(percent)s %%) must be above the one before it."),
                params={"number": number, "percent": percent},
            )
        cleaned.append(
            {
                "percent": percent,
                "hold": _whole(given.get("hold", hold), "hold", number),
                "min_exposed": _whole(given.get("min_exposed", min_exposed), "min_exposed", number, MAX_EXPOSED),
            }
        )
    return cleaned


def _percent(value: Any, number: int) -> str:
    error = ValidationError(
        _("stages: stage %(number)d's percent must be a number above 0 and at most 100, with two decimals at most."),
        params={"number": number},
    )
    if isinstance(value, bool):
        raise error
    try:
        percent = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise error from None
    if not percent.is_finite() or not 0 < percent <= 100 or percent != percent.quantize(Decimal("0.01")):
        raise error
    return format(percent.normalize(), "f")


def _whole(value: Any, name: str, number: int, limit: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise ValidationError(
            _("stages: stage %(number)d's %(name)s must be a whole number from 0 to %(limit)d."),
            params={"number": number, "name": name, "limit": limit},
        )
    return value


def clean_guard(on_trip: Any, max_increase: Any, min_requests: Any, metric: Any) -> None:
    if on_trip not in (ROLL_BACK, PREVIOUS_STAGE, PAUSE):
        raise ValidationError(
            _("on_trip: %(value)r is not roll_back, previous_stage or pause."), params={"value": on_trip}
        )
    if isinstance(max_increase, bool) or not isinstance(max_increase, (int, float)) or not 0 <= max_increase < 1:
        raise ValidationError(_("max_increase: a share from 0 to below 1 (0.01 is one percentage point)."))
    if isinstance(min_requests, bool) or not isinstance(min_requests, int) or not 1 <= min_requests <= 10**9:
        raise ValidationError(_("min_requests: a whole number, 1 or more."))
    if not isinstance(metric, str) or len(metric) > 64 or metric == ERRORS:
        raise ValidationError(_("metric: a name of at most 64 characters, other than “errors”."))
