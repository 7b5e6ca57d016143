"""The history of every switch: who changed what, when, from which state to which.

Every write, whatever its path (panel, JSON API, admin, commands, model API, fixtures),
sends :data:`gargoyle.signals.switch_changed` once; each one becomes a
:class:`SwitchChange` in the same transaction. :func:`restore` puts a switch back into a
recorded state, and is recorded in turn.

This is the public path; the code lives in the write pipeline, ``gargoyle/_writes/``.
"""

from __future__ import annotations

from gargoyle._storage.change import SwitchChange
from gargoyle._writes.history import changes_of, current_key, describe, record, restore

__all__ = ["SwitchChange", "changes_of", "current_key", "describe", "record", "restore"]
