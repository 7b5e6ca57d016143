"""Running database work from code that may be inside an event loop (async views)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

T = TypeVar("T")

_worker: ThreadPoolExecutor | None = None


def in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_outside_event_loop(function: Callable[[], T]) -> T:
    """Call ``function`` here, or in a worker thread when this thread runs an event loop.

    Lets the sync API (``is_active``, ``{% ifswitch %}``) load switches and users from
    async views without ``SynchronousOnlyOperation``.
    """
    if not in_event_loop():
        return function()

    def closing() -> T:
        try:
            return function()
        finally:
            connections.close_all()  # the worker thread's connections only

    global _worker
    if _worker is None:
        _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gargoyle")
    return _worker.submit(closing).result()
