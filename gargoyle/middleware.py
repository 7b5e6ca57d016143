"""``SwitchExposureMiddleware``: each request knows which switches it checked and what they
answered, as ``request.gargoyle_switches`` (``{"new_checkout": True, ...}``, the last answer
per key). Add it to ``MIDDLEWARE`` (anywhere: it only opens and closes the record)::

    MIDDLEWARE = [..., "gargoyle.middleware.SwitchExposureMiddleware"]

The Sentry integration reads the same answers (docs/measuring.rst), and so do the guards of
running rollouts (docs/rollouts.rst): when a request checked a switch that is being rolled
out, its end (a 5xx status, an unhandled exception already turned into one, the metrics
reported with :func:`gargoyle.rollouts.report`) is counted for the rollout's guard.

``SwitchOverrideMiddleware`` (defined in :mod:`gargoyle.qa`) applies a tester's QA overrides;
an answer it forced is recorded, but never counted for a rollout's guard.

``VisitorCookieMiddleware`` (defined in :mod:`gargoyle.visitors`) keeps an anonymous
visitor's percent bucket in a signed cookie, set only when a visitor condition needs it.
"""

from __future__ import annotations

from collections.abc import Awaitable

from django.http import HttpRequest, HttpResponseBase

from gargoyle._hybrid_middleware import HybridMiddleware
from gargoyle._runtime import exposure, outcomes
from gargoyle.manager import gargoyle
from gargoyle.qa import SwitchOverrideMiddleware, unforced
from gargoyle.visitors import Visitor, VisitorCookieMiddleware

__all__ = ["SwitchExposureMiddleware", "SwitchOverrideMiddleware", "VisitorCookieMiddleware", "subject_of"]


class SwitchExposureMiddleware(HybridMiddleware):
    """Record every switch a request checks in ``request.gargoyle_switches`` (sync and async)."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        request.gargoyle_switches, token = exposure.start()  # type: ignore[attr-defined]
        try:
            response: HttpResponseBase = self.get_response(request)
        finally:
            exposure.stop(token)
        _count_for_rollouts(request, response)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request.gargoyle_switches, token = exposure.start()  # type: ignore[attr-defined]
        try:
            response: HttpResponseBase = await self.get_response(request)
        finally:
            exposure.stop(token)
        _count_for_rollouts(request, response)
        return response


def _count_for_rollouts(request: HttpRequest, response: HttpResponseBase) -> None:
    """Count the request for the guards of the rollouts whose switches it checked."""
    rollouts = gargoyle.running_rollouts()
    answers: dict[str, bool] = request.gargoyle_switches  # type: ignore[attr-defined]
    if not rollouts or not answers or rollouts.keys().isdisjoint(answers):
        return
    overrides = getattr(request, "gargoyle_overrides", None)
    if overrides:  # a tester's forced answers say nothing of the rollout (gargoyle.qa)
        answers = unforced(answers, overrides)
    metrics: dict[str, bool] = getattr(request, "gargoyle_metrics", None) or {}
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and getattr(user, "is_authenticated", False))
    outcomes.counter.record(rollouts, answers, response.status_code >= 500, metrics, subject_of(request), signed_in)


def subject_of(request: HttpRequest) -> str | None:
    """Who a request is, for counting distinct exposed subjects: its user, else its visitor
    cookie's id when a visitor condition judged it (:mod:`gargoyle.visitors`), else its address."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    visitor = getattr(request, "gargoyle_visitor", None)
    if isinstance(visitor, Visitor) and visitor.evaluated and visitor.id is not None:
        return f"visitor:{visitor.id}"  # one browser, whatever addresses it comes from
    address = request.META.get("REMOTE_ADDR")
    return f"ip:{address}" if address else None
