"""What the current request checked: ``request.gargoyle_switches`` (key -> answer).

:class:`gargoyle.middleware.SwitchExposureMiddleware` opens a record for each request
(:func:`start`); every answer ``is_active`` gives while it is open lands in it, the last
answer per key. Without the middleware nothing is recorded and a check costs one
context-variable read more. Listeners (the Sentry integration) hear each answer as it is
recorded: they run on the hot path, so each must be quick and must not raise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

__all__ = ["Exposures", "add_listener", "checked", "record", "remove_listener", "start", "stop", "unrecorded"]

Listener = Callable[[str, bool], None]

#: The open record of the current request (or task), or None.
checked: ContextVar[dict[str, bool] | None] = ContextVar("gargoyle_checked", default=None)
_listeners: list[Listener] = []


class Exposures(dict[str, bool]):
    """A request's record that also tells the listeners of each answer."""

    def __setitem__(self, key: str, answer: bool) -> None:
        super().__setitem__(key, answer)
        for listener in _listeners:
            try:
                listener(key, answer)
            except Exception as error:  # is_active never raises: an integration's bug stays its own
                _log_once(listener, error)


_failed: set[Listener] = set()


def _log_once(listener: Listener, error: Exception) -> None:
    if listener not in _failed:
        _failed.add(listener)
        logging.getLogger("gargoyle").warning("gargoyle: a switch answer listener failed: %r", error)


def add_listener(listener: Listener) -> None:
    """Call ``listener(key, answer)`` for every answer recorded from now on."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def start() -> tuple[dict[str, bool], Token[dict[str, bool] | None]]:
    """Open a record for the current context; the record, and the token to close it with."""
    record_: dict[str, bool] = Exposures() if _listeners else {}  # a plain dict is cheaper to fill
    return record_, checked.set(record_)


def stop(token: Token[dict[str, bool] | None]) -> None:
    """Close the record :func:`start` opened."""
    checked.reset(token)


def record(key: str, answer: bool | None) -> None:
    """Record ``answer`` for ``key`` in the open record, if any (the slower paths' way)."""
    exposed = checked.get()
    if exposed is not None and (answer is True or answer is False):
        exposed[key] = answer


@contextmanager
def unrecorded() -> Iterator[None]:
    """Check switches without recording the answers in the open record (OFREP evaluates for
    a client: what it answers is not what this request served)."""
    token = checked.set(None)
    try:
        yield
    finally:
        checked.reset(token)
