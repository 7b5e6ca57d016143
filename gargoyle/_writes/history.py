"""The history of every switch: who changed what, when, from which state to which.

The public path is :mod:`gargoyle.history`.

Every write, whatever its path (panel, JSON API, admin, commands, model API, fixtures),
sends :data:`gargoyle.signals.switch_changed` once; each one becomes a
:class:`SwitchChange` in the same transaction. :func:`restore` puts a switch back into a
recorded state, and is recorded in turn.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle import signals
from gargoyle._storage.change import SwitchChange
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._writes.attribution import made_by

_restoring: contextvars.ContextVar[SwitchChange | None] = contextvars.ContextVar("gargoyle_restoring", default=None)


def describe(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """A one-line account of a change, for people, e.g. ``"status Disabled → Global"``.

    :param before: the stored fields before the change, or ``None`` for an addition.
    :param after: the stored fields after it, or ``None`` for a deletion.
    """
    if before is None:
        return str(_("added (%(status)s)") % {"status": _status(after)})
    if after is None:
        return str(_("deleted"))
    parts = []
    if before["key"] != after["key"]:
        parts.append(str(_("renamed %(old)s to %(new)s") % {"old": before["key"], "new": after["key"]}))
    if before["status"] != after["status"]:
        parts.append(str(_("status %(old)s → %(new)s") % {"old": _status(before), "new": _status(after)}))
    for name in ("label", "description"):
        if before[name] != after[name]:
            parts.append(str(_("%(field)s changed") % {"field": name}))
    if before["value"] != after["value"]:
        parts.append(str(_("conditions changed")))
    return "; ".join(parts)


def _status(fields: dict[str, Any] | None) -> str:
    labels = dict(Switch.STATUS_CHOICES)
    status: Any = (fields or {}).get("status")  # a stored status, or anything a script stored
    return str(labels.get(status, status))


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
    change: SwitchChange = SwitchChange.objects.using(switch._state.db or "default").create(
        switch_key=(after or before or {}).get("key", switch.key),
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        summary=describe(before, after),
        before=before,
        after=after,
        restored_from=_restoring.get(),
    )
    return change


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


def restore(change: SwitchChange, *, state: str = "before", request: HttpRequest | None = None) -> Switch | None:
    """Put the switch back into the state ``before`` (undo) or ``after`` a recorded change.

    The switch is the one the change was made to, wherever later renames took it: restoring
    never touches another switch that has taken its key since. Restoring the state before
    an addition deletes the switch. The restore is itself recorded, as a change whose
    ``restored_from`` is ``change``.

    :param change: the recorded change.
    :param state: ``"before"`` or ``"after"``.
    :param request: the request making the restore, for the history.
    :returns: the restored switch, or ``None`` if it was deleted.
    :raises ValueError: if ``state`` is neither.
    :raises ~django.core.exceptions.ValidationError: if the state cannot be stored now
        (its key has been taken by another switch); nothing is written then.
    """
    if state not in ("before", "after"):
        raise ValueError("state is 'before' or 'after'")
    target = getattr(change, state)
    with _restored_from(change), made_by(request), write_transaction():
        key = current_key(change)
        current = None if key is None else Switch.objects.select_for_update().filter(key=key).first()
        if target is None:
            if current is not None:
                current.delete()
            return None
        if current is None and Switch.objects.filter(key=target["key"]).exists():
            raise ValidationError(
                _("key: %(key)r belongs to another switch now; rename or delete that one first."),
                params={"key": target["key"]},
            )
        switch = current or Switch(key=target["key"])
        for name in ("key", "label", "description", "status", "value"):
            setattr(switch, name, target[name])
        switch.save()  # renaming onto a key another switch has taken since is refused here
        return switch


def current_key(change: SwitchChange) -> str | None:
    """The key of the switch ``change`` was made to, as it is now.

    Follows the renames recorded after ``change``; ``None`` if the switch has been deleted
    since (or by ``change`` itself).
    """
    key: str | None = (change.after or {}).get("key")
    position = change.pk
    while key is not None:
        later = SwitchChange.objects.filter(pk__gt=position, before__key=key).order_by("pk").only("pk", "after")
        moved = next((c for c in later.iterator() if (c.after or {}).get("key") != key), None)
        if moved is None:
            return key
        key, position = (moved.after or {}).get("key"), moved.pk
    return None


@contextlib.contextmanager
def _restored_from(change: SwitchChange) -> Iterator[None]:
    token = _restoring.set(change)
    try:
        yield
    finally:
        _restoring.reset(token)
