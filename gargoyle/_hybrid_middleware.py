"""The shape every gargoyle middleware shares: Django may call it from sync or async code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


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
