"""Who is making the switch changes in progress: the request that :func:`made_by` names,
the recorded change they restore, if any (:func:`restoring`), and the machine acting for a
person (:func:`acting_for`: a schedule applied).

The write pipeline sends gargoyle's signals with the request, and the history records its
user and the change restored. The public path of :func:`made_by` is
``gargoyle.changes.made_by``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:  # gargoyle.changes imports this module; it must not need the models ready
    from gargoyle._storage.change import SwitchChange

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "gargoyle_current_request", default=None
)
_restoring: contextvars.ContextVar[SwitchChange | None] = contextvars.ContextVar("gargoyle_restoring", default=None)


@dataclass(frozen=True)
class Automation:
    """A machine making changes for a person: what it is (``via``), why (``note``), for whom."""

    via: str
    note: str
    user: Any = None  # the site's user model, or None (a command, or a deleted user)
    username: str = ""


_automation: contextvars.ContextVar[Automation | None] = contextvars.ContextVar("gargoyle_automation", default=None)


@contextlib.contextmanager
def made_by(request: HttpRequest | None) -> Iterator[None]:
    """Attribute the switch changes made inside the block to ``request`` and its user.

    The signals of :mod:`gargoyle.signals` are sent with this ``request``, and the
    history records its user. The panel and the JSON API do this for you; use it in your
    own views that change switches::

        with made_by(request):
            gargoyle["new_checkout"].add_condition(...)

    :param request: the request making the changes, or ``None``.
    """
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    """The request given to the innermost :func:`made_by` block, or None."""
    return _current_request.get()


@contextlib.contextmanager
def restoring(change: SwitchChange) -> Iterator[None]:
    """Record the switch changes made inside the block as going back from ``change``."""
    token = _restoring.set(change)
    try:
        yield
    finally:
        _restoring.reset(token)


def current_restore() -> SwitchChange | None:
    """The change given to the innermost :func:`restoring` block, or None."""
    return _restoring.get()


@contextlib.contextmanager
def acting_for(automation: Automation) -> Iterator[None]:
    """Record the switch changes made inside the block as made by ``automation``."""
    token = _automation.set(automation)
    try:
        yield
    finally:
        _automation.reset(token)


def current_automation() -> Automation | None:
    """The automation given to the innermost :func:`acting_for` block, or None."""
    return _automation.get()
