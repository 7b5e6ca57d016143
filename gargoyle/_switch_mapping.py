"""The manager as a mapping of the stored switches: ``gargoyle[key]``, ``key in gargoyle``,
``len(gargoyle)``, iteration, ``get``, ``keys``, ``values``, ``items`` and ``del gargoyle[key]``,
all read from the in-process snapshot (no query), as gargoyle-yplan's manager offered them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from gargoyle import _unknown_keys as unknown_keys
from gargoyle.proxy import SwitchProxy

if TYPE_CHECKING:  # the models cannot be imported before Django's apps are ready
    from gargoyle._authoring.registry import ConditionSets
    from gargoyle._runtime.snapshot import Snapshot
    from gargoyle._storage.switch import Switch

__all__ = ["StoredSwitchMapping"]


class StoredSwitchMapping:
    """The mapping methods of :class:`~gargoyle.manager.SwitchManager` (its only user)."""

    # What the manager gives the mixin (declared for the type checker only).
    if TYPE_CHECKING:

        @property
        def model(self) -> type[Switch]: ...

        @property
        def auto_create(self) -> bool: ...

        def refresh(self) -> None: ...

        def _current_snapshot(self) -> Snapshot: ...

    def _instance(self, row: Mapping[str, Any]) -> Switch:
        return self.model.from_row(row)

    def _proxy(self, switch: Switch) -> SwitchProxy:
        return SwitchProxy(cast("ConditionSets", self), switch)  # the manager is one

    def __getitem__(self, key: str) -> SwitchProxy:
        """``gargoyle[key]``: the stored switch, wrapped so its methods know this manager.

        With auto-create on, an unknown key is stored (disabled, or as
        ``GARGOYLE_SWITCH_DEFAULTS`` says, labelled with its key unless that names a label)
        and returned.

        :raises KeyError: if there is no such switch and auto-create is off.
        """
        row = self._current_snapshot().rows.get(key)
        if row is not None:
            return self._proxy(self._instance(row))
        if not self.auto_create:
            raise KeyError(key)
        return self._proxy(unknown_keys.get_or_create(self.model, key))

    def __delitem__(self, key: str) -> None:
        """``del gargoyle[key]``: delete a stored switch.

        :raises KeyError: if there is no such switch.
        """
        deleted, _ = self.model.objects.filter(key=key).delete()
        if not deleted:
            raise KeyError(key)

    def clear_cache(self) -> None:
        """gargoyle-yplan's name for :meth:`refresh`."""
        self.refresh()

    def __contains__(self, key: object) -> bool:
        """``key in gargoyle``: whether a switch with this key is stored."""
        return key in self._current_snapshot().rows

    def __iter__(self) -> Iterator[str]:
        """Iterate over the stored switches' keys."""
        return iter(list(self._current_snapshot().rows))

    def __len__(self) -> int:
        """The number of stored switches."""
        return len(self._current_snapshot().rows)

    def get(self, key: str, default: Any = None) -> Any:
        """The stored switch (as ``gargoyle[key]`` returns it), or ``default``; never creates one."""
        row = self._current_snapshot().rows.get(key)
        return default if row is None else self._proxy(self._instance(row))

    def keys(self) -> list[str]:
        """The stored switches' keys."""
        return list(self._current_snapshot().rows)

    def values(self) -> list[Switch]:
        """The stored switches, as plain :class:`~gargoyle.models.Switch` objects (as in gargoyle-yplan).

        Unlike ``gargoyle[key]``, their condition methods take the manager first.
        """
        return [self._instance(row) for row in self._current_snapshot().rows.values()]

    def items(self) -> list[tuple[str, Switch]]:
        """``(key, switch)`` for every stored switch; the switches as :meth:`values` returns them."""
        return [(key, self._instance(row)) for key, row in self._current_snapshot().rows.items()]
