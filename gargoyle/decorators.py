"""``@switch_is_active``: a view that exists only while its switch is on."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url

from gargoyle._authoring.condition_sets import http_request_of
from gargoyle.manager import SwitchManager
from gargoyle.manager import gargoyle as default_manager


def switch_is_active(
    key: str, redirect_to: str | None = None, gargoyle: SwitchManager = default_manager
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve the view only when switch ``key`` is on for the request.

    ::

        @switch_is_active("new_checkout", redirect_to="checkout")
        def express(request): ...

    Works on sync and async views, and on the methods of a class-based view (a Django
    ``View`` or Django REST framework's ``APIView``/``ViewSet``): the request is the first
    argument, or the second after ``self``. Django REST framework's ``Request`` counts as the
    request it wraps, with the user the framework authenticated (put the decorator below
    ``@api_view``, so it receives that ``Request``). There an off switch's ``Http404``
    becomes the framework's own 404 answer, ``{"detail": "Not found."}``, naming no switch.

    :param key: the switch's key.
    :param redirect_to: where to send the request when the switch is off: a path, URL or
        URL name (as ``redirect()`` takes it). Without it, the view raises ``Http404``.
    :param gargoyle: the manager to ask (default: the process-wide one).
    :returns: the decorator.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapped(*args: Any, **kwargs: Any) -> Any:
                request = _request_in(args)
                if not await gargoyle.ais_active(key, *request):
                    return _switched_off(key, redirect_to, request)
                return await view(*args, **kwargs)

            return async_wrapped

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            request = _request_in(args)
            if not gargoyle.is_active(key, *request):
                return _switched_off(key, redirect_to, request)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _request_in(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The view's request, as the one subject: the first argument, or the second after a
    method's ``self`` (when the first is no request and the second is)."""
    if len(args) > 1 and http_request_of(args[0]) is None and http_request_of(args[1]) is not None:
        return args[1:2]
    return args[:1]


def _switched_off(key: str, redirect_to: str | None, request: tuple[Any, ...]) -> HttpResponseRedirect:
    """:func:`switch_off_response`, but a 404 without a message for a wrapped request: the
    REST framework shows that message to the client, which is not to learn the switch's key."""
    if not redirect_to and request and not isinstance(request[0], HttpRequest) and http_request_of(request[0]):
        raise Http404()
    return switch_off_response(key, redirect_to)


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
