"""What gargoyle's middlewares share: Django may call them from sync or async code, and their
system checks ask where in ``MIDDLEWARE`` one is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.utils.module_loading import import_string


class HybridMiddleware:
    """A middleware that follows the kind of the handler it wraps: when ``get_response`` is a
    coroutine function, so is the middleware (``__call__`` then returns ``_acall``'s awaitable)."""

    sync_capable = True
    async_capable = True
    __call__: Callable[..., Any]  # each middleware defines it

    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


def middleware_position(cls: type) -> int | None:
    """The index in ``MIDDLEWARE`` of the first entry that is ``cls`` or a subclass of it."""
    for index, path in enumerate(settings.MIDDLEWARE):
        try:
            found = import_string(path)
        except ImportError:
            continue  # Django reports it when it loads the middleware
        if isinstance(found, type) and issubclass(found, cls):
            return index
    return None
