"""``gargoyle[key]`` returns a ``SwitchProxy``: a switch whose condition methods know the manager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gargoyle._authoring.fields import Field
from gargoyle._authoring.registry import ConditionSets

if TYPE_CHECKING:  # the models cannot be imported before Django's apps are ready
    from gargoyle._storage.switch import Switch


class SwitchProxy:
    """A :class:`~gargoyle.models.Switch` whose condition methods know their manager.

    ``gargoyle[key]`` returns one. Attributes are read from and written to the switch
    (``proxy.status = GLOBAL; proxy.save()``), and the condition methods take the
    switch's arguments without the first, the manager::

        gargoyle["new_checkout"].add_condition(
            condition_set="gargoyle.builtins.IPAddressConditionSet",
            field_name="ip_address",
            condition="10.0.0.0/8",
        )

    :param manager: the manager passed to the switch's methods.
    :param switch: the switch to wrap.
    """

    # Set with object.__setattr__ (this class's own __setattr__ writes to the switch).
    _manager: ConditionSets
    _switch: Switch

    def __init__(self, manager: ConditionSets, switch: Switch) -> None:
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
        """:meth:`Switch.add_condition <gargoyle.models.Switch.add_condition>`, with this manager."""
        return self._switch.add_condition(self._manager, *args, **kwargs)

    def remove_condition(self, *args: Any, **kwargs: Any) -> None:
        """:meth:`Switch.remove_condition <gargoyle.models.Switch.remove_condition>`, with this manager."""
        return self._switch.remove_condition(self._manager, *args, **kwargs)

    def clear_conditions(self, *args: Any, **kwargs: Any) -> None:
        """:meth:`Switch.clear_conditions <gargoyle.models.Switch.clear_conditions>`, with this manager."""
        return self._switch.clear_conditions(self._manager, *args, **kwargs)

    def get_active_conditions(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, str, Field, str, bool]]:
        """:meth:`Switch.get_active_conditions <gargoyle.models.Switch.get_active_conditions>`, with this manager."""
        return self._switch.get_active_conditions(self._manager, *args, **kwargs)

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """:meth:`Switch.to_dict <gargoyle.models.Switch.to_dict>`, with this manager."""
        return self._switch.to_dict(self._manager, *args, **kwargs)
