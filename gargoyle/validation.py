"""What a switch accepts: its key, label, status and text, and the conditions it names.

The model, its QuerySet, the JSON API and the commands all check with these, so a bad value
gets the same message whichever way it comes in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle.constants import STATUSES

if TYPE_CHECKING:
    from gargoyle.conditions import ConditionSet
    from gargoyle.fields import Field
    from gargoyle.manager import SwitchManager

KEY_MAX_LENGTH = 64
LABEL_MAX_LENGTH = 64


def validate_status(status: Any) -> None:
    if isinstance(status, bool) or status not in STATUSES:
        raise ValidationError(
            _("status: %(status)r is not a switch status (use 1 disabled, 2 selective, 3 global, 4 inherit)."),
            params={"status": status},
        )


def text_problem(text: str) -> Any:
    """Why no database can store ``text``, or None: a NUL character (PostgreSQL refuses it), a
    lone surrogate (not text at all: what a command line gives for bytes that are not UTF-8)."""
    if "\x00" in text:
        return _("contains a NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("contains a character that is not text (a lone surrogate).")
    return None


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


def lookup_condition_set(manager: SwitchManager, condition_set_id: str) -> ConditionSet:
    """The registered condition set of that id; a ``ValidationError`` naming it otherwise."""
    try:
        return manager.get_condition_set_by_id(condition_set_id)
    except (KeyError, TypeError):  # TypeError: an unhashable id (a list) names no set either
        raise ValidationError(
            _("condition_set: %(id)r is not a registered condition set."), params={"id": condition_set_id}
        ) from None


def lookup_field(manager: SwitchManager, condition_set_id: str, field_name: str) -> tuple[ConditionSet, Field]:
    """The condition set and its field; a ``ValidationError`` naming what is unknown otherwise."""
    condition_set = lookup_condition_set(manager, condition_set_id)
    if not isinstance(field_name, str) or field_name not in condition_set.fields:
        raise ValidationError(
            _("field_name: %(set)s has no field %(field)r."), params={"set": condition_set_id, "field": field_name}
        )
    return condition_set, condition_set.fields[field_name]
