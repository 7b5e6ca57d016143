"""What a switch accepts: its key, label, status and text, and the conditions it names.

The model, its QuerySet, the JSON API and the commands all check with these, so a bad value
gets the same message whichever way it comes in.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._authoring.fields import Field, text_problem
from gargoyle._authoring.registry import ConditionSets
from gargoyle.constants import STATUSES

KEY_MAX_LENGTH = 64
LABEL_MAX_LENGTH = 64


def validate_status(status: Any) -> None:
    if isinstance(status, bool) or status not in STATUSES:
        raise ValidationError(
            _("status: %(status)r is not a switch status (use 1 disabled, 2 selective, 3 global, 4 inherit)."),
            params={"status": status},
        )


def validate_text(name: str, text: Any) -> None:
    """Text columns take only text a database can store (see :func:`text_problem`)."""
    problem = text_problem(text) if isinstance(text, str) else None
    if problem is not None:
        raise ValidationError("%(field)s: %(problem)s", params={"field": name, "problem": problem})


def validate_description(description: Any) -> None:
    if description is not None and not isinstance(description, str):
        raise ValidationError(_("description: a description is text."))
    validate_text("description", description)


def validate_label(label: Any) -> None:
    validate_text("label", label)
    if label is not None and (not isinstance(label, str) or len(label) > LABEL_MAX_LENGTH):
        raise ValidationError(
            _("label: a label is text of at most %(max)d characters."), params={"max": LABEL_MAX_LENGTH}
        )


def validate_key(key: Any) -> None:
    validate_text("key", key)
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX_LENGTH:
        raise ValidationError(
            _("key: a switch key is 1 to %(max)d characters (got %(key)r)."), params={"max": KEY_MAX_LENGTH, "key": key}
        )


def lookup_condition_set(manager: ConditionSets, condition_set_id: str) -> ConditionSet:
    """The registered condition set of that id; a ``ValidationError`` naming it otherwise."""
    try:
        return manager.get_condition_set_by_id(condition_set_id)
    except (KeyError, TypeError):  # TypeError: an unhashable id (a list) names no set either
        raise ValidationError(
            _("condition_set: %(id)r is not a registered condition set."), params={"id": condition_set_id}
        ) from None


def lookup_field(manager: ConditionSets, condition_set_id: str, field_name: str) -> tuple[ConditionSet, Field]:
    """The condition set and its field; a ``ValidationError`` naming what is unknown otherwise."""
    condition_set = lookup_condition_set(manager, condition_set_id)
    if not isinstance(field_name, str) or field_name not in condition_set.fields:
        raise ValidationError(
            _("field_name: %(set)s has no field %(field)r."), params={"set": condition_set_id, "field": field_name}
        )
    return condition_set, condition_set.fields[field_name]
