"""The history of every switch: who changed what, when, from which state to which.

Every write, whatever its path (panel, JSON API, admin, commands, model API, fixtures),
sends :data:`gargoyle.signals.switch_changed` once; each one becomes a
:class:`SwitchChange` in the same transaction. :func:`restore` puts a switch back into a
recorded state, :func:`undo` reverts one change alone (refusing, with the reason, when a
later change touched the same thing); both are recorded in turn.

This is the public path; the code lives in the write pipeline, ``gargoyle/_writes/``.
"""

from __future__ import annotations

from gargoyle._storage.change import SwitchChange
from gargoyle._writes.describe import describe
from gargoyle._writes.history import changes_of, record
from gargoyle._writes.undo import UndoRefused, current_key, later_changes, restore, undo, undo_refusal

__all__ = [
    "SwitchChange",
    "UndoRefused",
    "changes_of",
    "current_key",
    "describe",
    "later_changes",
    "record",
    "restore",
    "undo",
    "undo_refusal",
]
