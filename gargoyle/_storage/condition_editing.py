"""The condition edits of :class:`~gargoyle.models.Switch`: add, remove, set a percent, clear.

Each validates through the condition set's field, then edits the stored JSON (the pure edits
are in :mod:`gargoyle._storage.values`) on the locked, current row, so that two people editing
the same switch at once lose nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.ranges import Percent
from gargoyle._authoring.registry import ConditionSets
from gargoyle._storage import values
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import lookup_condition_set, lookup_field

if TYPE_CHECKING:
    from django.db.models.base import ModelState

__all__ = ["ConditionEditing"]


class ConditionEditing:
    """The condition methods of the ``Switch`` model (a mixin: the model is the only user)."""

    # What the model gives the mixin (declared for the type checker only).
    if TYPE_CHECKING:
        value: Any
        pk: Any
        _state: ModelState
        _stored: dict[str, str]

        def save(self, *args: Any, **kwargs: Any) -> None: ...

    def add_condition(
        self,
        manager: ConditionSets,
        condition_set: str,
        field_name: str,
        condition: Any,
        exclude: bool = False,
        commit: bool = True,
        *,
        required: bool = False,
    ) -> None:
        """Add a condition, validated and normalised by its field; a duplicate is ignored.

        >>> switch.add_condition(gargoyle, 'gargoyle.builtins.IPAddressConditionSet', 'percent', '0-50')
        >>> switch.add_condition(gargoyle, 'gargoyle.builtins.UserConditionSet(auth.user)', 'is_staff', '1',
        ...                      required=True)

        :param manager: the manager whose registry knows the condition set.
        :param condition_set: the condition set's id.
        :param field_name: the name of one of its fields, e.g. ``"percent"``.
        :param condition: the condition as the field takes it, e.g. ``"0-50"``.
        :param exclude: keep the matching subjects out instead of letting them in.
        :param commit: save now (locking the row); with ``False`` only this instance changes.
        :param required: the condition must match for the switch to be on, whatever else
            matches (required conditions are AND-ed; see :data:`~gargoyle.constants.REQUIRE`).
        :raises ~django.core.exceptions.ValidationError: for an unknown condition set or
            field, a condition the field rejects, or both ``exclude`` and ``required``; the
            switch is left as it was.
        """
        condition_set_, field = lookup_field(manager, condition_set, field_name)
        condition = field.clean(condition)
        mode = values.condition_mode(exclude, required)
        namespace = condition_set_.get_namespace()
        self._edit_value(lambda value: values.add_condition(value, namespace, field_name, condition, mode), commit)

    def remove_condition(
        self, manager: ConditionSets, condition_set: str, field_name: str, condition: Any, commit: bool = True
    ) -> None:
        """Remove a condition (include or exclude) if the switch has it; else do nothing.

        The condition may be given as stored or as typed (``"true"`` removes a stored
        ``"1"``).

        :param manager: the manager whose registry knows the condition set.
        :param condition_set: the condition set's id.
        :param field_name: the field's name.
        :param condition: the condition to remove.
        :param commit: save now (locking the row); with ``False`` only this instance changes.
        :raises ~django.core.exceptions.ValidationError: for an unknown condition set.
        """
        condition_set_ = lookup_condition_set(manager, condition_set)
        if not isinstance(field_name, str):
            raise ValidationError(_("field_name: a field name is text, not %(value)r."), params={"value": field_name})
        namespace = condition_set_.get_namespace()
        forms = {values.condition_text(condition)}  # a condition a script stored as a list: as JSON
        field = condition_set_.fields.get(field_name)
        if field is not None and isinstance(condition, str):
            with contextlib.suppress(ValidationError):
                forms.add(field.clean(condition))  # "true" was stored as "1", "00-50.0" as "0-50"
        self._edit_value(lambda value: values.remove_condition(value, namespace, field_name, forms), commit)

    def set_percent(
        self, manager: ConditionSets, condition_set: str, field_name: str, condition: Any, commit: bool = True
    ) -> None:
        """Make ``condition`` (e.g. ``"0-25"``) the only include range of a percent field.

        What a rollout step does: exclude conditions of the field stay, other fields are
        untouched. Like the other condition methods, it validates and locks the row.

        :param manager: the manager whose registry knows the condition set.
        :param condition_set: the condition set's id.
        :param field_name: the name of one of its :class:`~gargoyle.conditions.Percent` fields.
        :param condition: the range, as the field takes it.
        :param commit: save now (locking the row); with ``False`` only this instance changes.
        :raises ~django.core.exceptions.ValidationError: for an unknown condition set or
            field, a field that is not a percent, or a bad range; nothing changes then.
        """
        condition_set_, field = lookup_field(manager, condition_set, field_name)
        if not isinstance(field, Percent):
            raise ValidationError(
                _("field_name: %(set)s's %(field)r is not a percent field."),
                params={"set": condition_set, "field": field_name},
            )
        condition = field.clean(condition)
        namespace = condition_set_.get_namespace()
        self._edit_value(lambda value: values.set_include(value, namespace, field_name, condition), commit)

    def clear_conditions(
        self, manager: ConditionSets, condition_set: str, field_name: str | None = None, commit: bool = True
    ) -> None:
        """Remove every condition of a condition set, or of one of its fields.

        :param manager: the manager whose registry knows the condition set.
        :param condition_set: the condition set's id.
        :param field_name: only this field's conditions (default: all of the set's).
        :param commit: save now (locking the row); with ``False`` only this instance changes.
        :raises ~django.core.exceptions.ValidationError: for an unknown condition set.
        """
        condition_set_ = lookup_condition_set(manager, condition_set)
        namespace = condition_set_.get_namespace()
        self._edit_value(lambda value: values.clear_conditions(value, namespace, field_name), commit, repair=True)

    def _edit_value(self, edit: Callable[[dict[str, Any]], bool], commit: bool, repair: bool = False) -> None:
        """Apply ``edit`` to the conditions; with ``commit``, to the locked, current row.

        ``repair`` (clearing) replaces a value that is not an object at all with ``{}``.
        """
        if not commit or self._state.adding:
            self._repair_value(repair)
            edit(self.value)
            if commit:
                self.save()
            return
        with write_transaction(using=self._state.db):
            rows = cast(Any, type(self))._base_manager.select_for_update().filter(pk=self.pk)
            stored = rows.values_list("value", flat=True).first()
            if stored is not None:
                self.value = stored
                self._stored["value"] = json.dumps(stored, sort_keys=True, default=str)
            self._repair_value(repair)
            edit(self.value)
            self.save()

    def _repair_value(self, repair: bool) -> None:
        if repair and not isinstance(self.value, dict):
            self.value = {}
