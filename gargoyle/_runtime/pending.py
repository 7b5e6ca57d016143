"""A thread's writes to switches inside a transaction that is still open.

The write pipeline registers a :class:`CommitHook` with ``transaction.on_commit`` for each
such write and tells the runtimes; the runtime keeps the writing thread's hooks in a
:class:`PendingWrites`, with the provisional snapshot that shows those writes to that thread
only (docs/architecture.rst, "Freshness").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connections

if TYPE_CHECKING:
    from gargoyle._runtime.snapshot import Snapshot


class CommitHook:
    """Registered with ``transaction.on_commit`` for a write inside a transaction."""

    def __init__(self, using: str, callback: Callable[[], None]) -> None:
        self.using = using
        self.callback = callback

    def __call__(self) -> None:
        self.callback()

    def is_pending(self) -> bool:
        # Django drops the callbacks of a rolled-back transaction or savepoint from this list.
        entries = getattr(connections[self.using], "run_on_commit", ())
        return any(entry[1] is self for entry in entries)


class PendingWrites:
    """One thread's uncommitted writes, and the provisional snapshot that shows them."""

    __slots__ = ("hooks", "snapshot")

    def __init__(self, hook: CommitHook) -> None:
        self.hooks = [hook]
        self.snapshot: Snapshot | None = None

    def still_open(self) -> bool:
        return any(hook.is_pending() for hook in self.hooks)
