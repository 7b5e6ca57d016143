"""The models: :class:`Switch`, :class:`SnapshotVersion`, ``SwitchChange``, ``SwitchUsage``,
``ScheduledChange`` and the rollouts' ``Rollout``, ``RolloutSample`` and ``RolloutSubject``.

This is the public path (gargoyle-yplan's, and Django's ``models`` module of the app). The
models are defined in the storage layer, ``gargoyle/_storage/`` (see docs/architecture.rst).
The statuses and condition modes of :mod:`gargoyle.constants` are re-exported for
gargoyle-yplan's ``from gargoyle.models import SELECTIVE``.
"""

from __future__ import annotations

from gargoyle._storage.change import SwitchChange
from gargoyle._storage.querysets import SwitchQuerySet as SwitchQuerySet
from gargoyle._storage.rollout import Rollout, RolloutSample, RolloutSubject
from gargoyle._storage.schedule import ScheduledChange
from gargoyle._storage.switch import Switch
from gargoyle._storage.usage import SwitchUsage
from gargoyle._storage.version import SnapshotVersion

# The write pipeline and the history hear every write from the moment the models exist, even
# before any app's ready() runs (an app listed before "gargoyle" may write switches there).
from gargoyle._writes import history as _history  # noqa: F401
from gargoyle._writes import pipeline as _pipeline  # noqa: F401
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, SELECTIVE

__all__ = [
    "DISABLED",
    "EXCLUDE",
    "GLOBAL",
    "INCLUDE",
    "INHERIT",
    "SELECTIVE",
    "Rollout",
    "RolloutSample",
    "RolloutSubject",
    "ScheduledChange",
    "SnapshotVersion",
    "Switch",
    "SwitchChange",
    "SwitchUsage",
]
