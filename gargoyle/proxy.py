"""``gargoyle[key]`` returns a ``SwitchProxy``: a switch whose condition methods know the manager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gargoyle.manager import SwitchManager
    from gargoyle.models import Switch


class SwitchProxy:
    """Wraps a :class:`~gargoyle.models.Switch`, passing the manager to its condition methods."""

    def __init__(self, manager: SwitchManager, switch: Switch) -> None:
        object.__setattr__(self, "_manager", manager)
        object.__setattr__(self, "_switch", switch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._switch, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._switch, name, value)

    def __repr__(self) -> str:
        return f"<SwitchProxy: {self._switch!r}>"

    def __eq__(self, other: object) -> bool:
        other = other._switch if isinstance(other, SwitchProxy) else other
        return self._switch == other

    def __hash__(self) -> int:
        return hash(self._switch)

    def add_condition(self, *args: Any, **kwargs: Any) -> None:
        return self._switch.add_condition(self._manager, *args, **kwargs)

    def remove_condition(self, *args: Any, **kwargs: Any) -> None:
        return self._switch.remove_condition(self._manager, *args, **kwargs)

    def clear_conditions(self, *args: Any, **kwargs: Any) -> None:
        return self._switch.clear_conditions(self._manager, *args, **kwargs)

    def get_active_conditions(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return self._switch.get_active_conditions(self._manager, *args, **kwargs)

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self._switch.to_dict(self._manager, *args, **kwargs)
