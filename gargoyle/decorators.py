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

    ::

        @switch_is_active("new_checkout", redirect_to="checkout")
        def express(request): ...

    Works on sync and async views.

    :param key: the switch's key.
    :param redirect_to: where to send the request when the switch is off: a path, URL or
        URL name (as ``redirect()`` takes it). Without it, the view raises ``Http404``.
    :param gargoyle: the manager to ask (default: the process-wide one).
    :returns: the decorator.
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
    """The response for a switched-off view.

    :param key: the switch's key (named in the 404 message).
    :param redirect_to: a path, URL or URL name, or ``None``.
    :returns: a redirect to ``redirect_to``.
    :raises ~django.http.Http404: when ``redirect_to`` is empty.
    """
    if not redirect_to:
        raise Http404(f"Switch {key!r} is not active")
    return HttpResponseRedirect(resolve_url(redirect_to))
