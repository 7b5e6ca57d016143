"""``SwitchExposureMiddleware``: each request knows which switches it checked and what they
answered, as ``request.gargoyle_switches`` (``{"new_checkout": True, ...}``, the last answer
per key). Add it to ``MIDDLEWARE`` (anywhere: it only opens and closes the record)::

    MIDDLEWARE = [..., "gargoyle.middleware.SwitchExposureMiddleware"]

The Sentry integration reads the same answers (docs/measuring.rst).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from gargoyle._runtime import exposure

__all__ = ["SwitchExposureMiddleware"]


class SwitchExposureMiddleware:
    """Record every switch a request checks in ``request.gargoyle_switches`` (sync and async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        request.gargoyle_switches, token = exposure.start()  # type: ignore[attr-defined]
        try:
            response: HttpResponseBase = self.get_response(request)
        finally:
            exposure.stop(token)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request.gargoyle_switches, token = exposure.start()  # type: ignore[attr-defined]
        try:
            response: HttpResponseBase = await self.get_response(request)
        finally:
            exposure.stop(token)
        return response
