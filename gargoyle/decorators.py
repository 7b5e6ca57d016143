"""``@switch_is_active``: a view that exists only while its switch is on."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url

from gargoyle.manager import SwitchManager
from gargoyle.manager import gargoyle as default_manager


def switch_is_active(
    key: str, redirect_to: str | None = None, gargoyle: SwitchManager = default_manager
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve the view only when switch ``key`` is on for the request.

    Otherwise raise ``Http404``, or redirect to ``redirect_to`` (a path, URL or URL name).
    Works on sync and async views.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if not await gargoyle.ais_active(key, request):
                    return switch_off_response(key, redirect_to)
                return await view(request, *args, **kwargs)

            return async_wrapped

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not gargoyle.is_active(key, request):
                return switch_off_response(key, redirect_to)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def switch_off_response(key: str, redirect_to: str | None) -> HttpResponseRedirect:
    """The redirect for a switched-off view, or ``Http404`` when there is nowhere to go."""
    if not redirect_to:
        raise Http404(f"Switch {key!r} is not active")
    return HttpResponseRedirect(resolve_url(redirect_to))
