"""The history of every switch: who changed what, when, from which state to which.

The public path is :mod:`gargoyle.history`.

Every write, whatever its path (panel, JSON API, admin, commands, model API, fixtures),
sends :data:`gargoyle.signals.switch_changed` once; :func:`record` makes each one a
:class:`SwitchChange` in the same transaction. Saying what a change did is
``describe.py``'s; going back (restore, undo) is ``undo.py``'s.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest

from gargoyle import signals
from gargoyle._storage.change import SwitchChange
from gargoyle._storage.switch import Switch
from gargoyle._writes.attribution import current_automation, current_restore
from gargoyle._writes.describe import describe

__all__ = ["changes_of", "record", "recording"]

_recorded: contextvars.ContextVar[list[SwitchChange] | None] = contextvars.ContextVar("gargoyle_recorded", default=None)


@receiver(signals.switch_changed, dispatch_uid="gargoyle.history.record")
def record(
    sender: Any,
    switch: Switch,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> SwitchChange:
    """Store one change as a :class:`SwitchChange`.

    Connected to :data:`gargoyle.signals.switch_changed`; it takes that signal's arguments.

    :returns: the new record.
    """
    user: Any = getattr(request, "user", None)  # the site's user model, AnonymousUser, or None
    authenticated = user is not None and user.is_authenticated
    automation = current_automation()
    change: SwitchChange = SwitchChange.objects.using(switch._state.db or "default").create(
        switch_key=(after or before or {}).get("key", switch.key),
        user=automation.user if automation else user if authenticated else None,
        username=automation.username if automation else user.get_username() if authenticated else "",
        summary=describe(before, after, restored_from=getattr(current_restore(), "pk", None)),
        before=before,
        after=after,
        restored_from=current_restore(),
        via=automation.via if automation else "",
        note=automation.note if automation else "",
    )
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append(change)
    return change


@contextlib.contextmanager
def recording() -> Iterator[list[SwitchChange]]:
    """Collect the changes recorded inside the block (in this thread), oldest first.

    The JSON API answers each write with the id of the change it recorded this way.
    """
    recorded: list[SwitchChange] = []
    token = _recorded.set(recorded)
    try:
        yield recorded
    finally:
        _recorded.reset(token)


def changes_of(key: str) -> models.QuerySet[SwitchChange]:
    """The recorded changes of a switch, newest first.

    A rename is found under the old key and the new one.

    :param key: the switch's key.
    :returns: a queryset of :class:`SwitchChange`.
    """
    changes: models.QuerySet[SwitchChange] = SwitchChange.objects.filter(
        models.Q(switch_key=key) | models.Q(before__key=key) | models.Q(after__key=key)
    ).select_related("user")
    return changes
