"""The field types a condition set declares: how a condition is cleaned, shown and matched.

The number ranges and percents are in :mod:`gargoyle._authoring.ranges`, the date fields in
:mod:`gargoyle._authoring.dates`; import them all from :mod:`gargoyle.conditions`.

Each field turns the stored condition strings of one switch into a *matcher*, a
callable that answers "does this subject's value match any of them?". Matchers are
built once per snapshot, so parsing (ranges to numbers, lists to sets, IPs to networks)
never happens on the ``is_active`` hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Boolean",
    "Choice",
    "Field",
    "Matcher",
    "String",
    "describe_condition",
    "text_problem",
    "titlize",
]

#: The type of a matcher: called with a subject's field value, it answers whether any of
#: a switch's conditions on that field match it.
Matcher = Callable[[Any], bool]


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


def titlize(name: str) -> str:
    """A field name as a label: ``"date_joined"`` becomes ``"Date Joined"``."""
    return name.title().replace("_", " ")


class Field:
    """A condition on one attribute of the subject, e.g. a user's ``username``.

    The base class compares the stored condition with the value for equality. Subclass it
    for a new kind of condition: override :meth:`clean` to validate and normalise what is
    stored, :meth:`is_active` to match one condition, and optionally :meth:`matcher` to
    precompile a switch's conditions, :meth:`display` and :meth:`render` for the panel.

    :param label: the name shown in the panel (default: the attribute name, title-cased).
    :param help_text: a hint shown next to the input in the panel.
    """

    #: The help text of fields declared without one.
    default_help_text: Any = None
    #: The input the panel shows for this field, sent as ``type`` by the JSON API:
    #: ``"string"`` (a text box), ``"percent"`` and ``"range"`` (two numbers), ``"date"``,
    #: ``"boolean"`` (no input: adding the condition means "is true"), ``"choice"`` (a
    #: menu of the ``Choice``'s choices), or an HTML input type (``"email"``, ``"number"``,
    #: ``"url"``, ``"tel"``, ``"time"``, ``"datetime-local"``, ``"month"``, ``"week"``,
    #: ``"search"``); anything else shows a text box.
    panel_type: str = "string"

    def __init__(self, label: Any = None, help_text: Any = None) -> None:
        self.label = label
        self.help_text = help_text or self.default_help_text
        self.set_values(None)

    def set_values(self, name: str | None) -> None:
        """Give the field its attribute name (done when the condition set class is built)."""
        self.name = name
        # A lazy label is a label: testing it would translate it, maybe before Django is ready.
        if name and not isinstance(self.label, Promise) and not self.label:
            self.label = titlize(name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.name}>"

    def is_active(self, condition: str, value: Any) -> bool:
        """Whether one stored condition matches the subject's value.

        :param condition: a condition as stored (cleaned).
        :param value: what :meth:`ConditionSet.get_field_value
            <gargoyle.conditions.ConditionSet.get_field_value>` read from the subject.
        """
        equal: bool = condition == value
        return equal

    def validate(self, data: Mapping[str, Any]) -> str:
        """Clean the condition posted in ``data`` (the panel's or a JSON API call's fields).

        :param data: the posted fields; the condition is under the field's name.
        :returns: the condition as it is stored.
        :raises ~django.core.exceptions.ValidationError: if it is missing or invalid.
        """
        value = None if self.name is None else data.get(self.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError(_("%(field)s: enter a value."), params={"field": self.label})
        return self.clean(value)

    def clean(self, value: Any) -> str:
        """Validate a condition and return it as it is stored.

        :raises ~django.core.exceptions.ValidationError: with a message naming the field,
            if the condition is not a string, contains a NUL character, or is invalid for
            the field.
        """
        if not isinstance(value, str):
            raise ValidationError(
                _("%(field)s: conditions are strings, not %(type)s."),
                params={"field": self.label, "type": type(value).__name__},
            )
        problem = text_problem(value)
        if problem is not None:
            raise ValidationError("%(field)s: %(problem)s", params={"field": self.label, "problem": problem})
        return value

    def render(self, value: Any) -> SafeString:
        """HTML inputs for entering a condition (gargoyle-yplan's API; the panel builds its own)."""
        return format_html('<input type="text" value="{}" name="{}">', value or "", self.name)

    def display(self, value: str) -> str:
        """A stored condition as people read it, e.g. ``"Percent: 50% (0-50)"``."""
        return value

    def labelled(self, value: str) -> str:
        """A stored condition naming its field, as a chip shows it: ``"Plan: pro"``.

        ``display()`` when it names the field already (``"Percent: 50% (0-50)"``, ``"Staff"``).
        """
        shown = str(self.display(value))
        label = str(self.label or self.name)
        if shown == label or shown.startswith(f"{label}:"):
            return shown
        return f"{label}: {shown}"

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        """Build the predicate "does a value match any of ``conditions``?" for one switch.

        Called once per switch when the snapshot is built, never per check. Fields that
        only override :meth:`is_active` get this generic version; the built-in fields
        override it with a precompiled one.

        :param conditions: the switch's stored conditions on this field, of one mode.
        :param switch_key: the switch's key (percent cohorts depend on it).
        :returns: a :data:`~gargoyle.fields.Matcher`.
        """
        conditions = tuple(conditions)
        is_active = self.is_active
        return lambda value: any(is_active(condition, value) for condition in conditions)

    def _is_active_overridden(self, base: type[Field]) -> bool:
        # A subclass that redefines is_active must be asked through it, not a fast path.
        return type(self).is_active is not base.is_active


class Boolean(Field):
    """True/false attributes (``is_staff``). The stored condition says which one matches.

    Conditions are stored as ``"1"`` (true) or ``"0"`` (false); ``clean()`` also accepts
    ``true``/``false``, ``yes``/``no``, ``on``/``off``, and an empty string as true. The
    panel offers no input: adding the condition means "is true" (or, with exclude, "is not
    true"). gargoyle-yplan ignored the stored value and its own tests added booleans as
    ``""``, so an empty condition, stored or given, means "is true".
    """

    panel_type = "boolean"

    #: The spellings that mean true (an empty condition is gargoyle-yplan's way of saying it).
    TRUE = frozenset({"1", "true", "yes", "on", ""})
    #: The spellings that mean false.
    FALSE = frozenset({"0", "false", "no", "off"})

    def validate(self, data: Mapping[str, Any]) -> str:
        # The panel sends no value for a boolean: adding the condition means "is true".
        value = None if self.name is None else data.get(self.name)
        return self.clean("1" if value is None or value == "" else value)

    def clean(self, value: Any) -> str:
        text = super().clean(value).strip().lower()
        if text in self.TRUE:
            return "1"
        if text in self.FALSE:
            return "0"
        raise ValidationError(_("%(field)s: enter 1 (true) or 0 (false)."), params={"field": self.label})

    def is_active(self, condition: str, value: Any) -> bool:
        return bool(value) == (condition.strip().lower() in self.TRUE)

    def render(self, value: Any) -> SafeString:
        return format_html('<input type="hidden" value="1" name="{}">', self.name)

    def display(self, value: str) -> str:
        if value.strip().lower() in self.FALSE:
            return str(_("Not %(label)s") % {"label": self.label})
        return str(self.label)

    def labelled(self, value: str) -> str:
        return self.display(value)  # "Staff", "Not Staff": the label is the condition

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(Boolean):
            return super().matcher(conditions, switch_key)
        wanted = frozenset(self.clean(condition) == "1" for condition in conditions)
        return lambda value: bool(value) in wanted


class Choice(Field):
    """One of a fixed set of values; the stored condition is the value that matches.

    :param choices: the allowed values, or ``(value, label)`` pairs.
    :param kwargs: ``label`` and ``help_text``, as for :class:`Field`.
    """

    panel_type = "choice"

    def __init__(self, choices: Iterable[Any], **kwargs: Any) -> None:
        self.choices = list(choices)
        super().__init__(**kwargs)

    def _values(self) -> list[Any]:
        return [c[0] if isinstance(c, (list, tuple)) else c for c in self.choices]

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if text not in self._values():
            raise ValidationError(
                _("%(field)s: %(value)s is not one of the choices."), params={"field": self.label, "value": text}
            )
        return text

    def is_active(self, condition: str, value: Any) -> bool:
        equal: bool = value == condition
        return equal

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(Choice):
            return super().matcher(conditions, switch_key)
        return _membership(frozenset(conditions))


def _membership(values: frozenset[Any]) -> Matcher:
    def matches(value: Any) -> bool:
        try:
            return value in values
        except TypeError:  # an unhashable value matches no stored string
            return False

    return matches


class String(Field):
    """A text attribute compared exactly (``username``, ``email``).

    Conditions are stripped of surrounding blanks. An empty condition matches subjects
    whose attribute is the empty string (gargoyle-yplan's meaning, kept for its stored
    data and code); the panel and the JSON API ask for a value (:meth:`~Field.validate`).
    """

    def clean(self, value: Any) -> str:
        return super().clean(value).strip()

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(String):
            return super().matcher(conditions, switch_key)
        return _membership(frozenset(conditions))


def describe_condition(group_label: str, field: Field, condition: str) -> str:
    """A condition named in full, as history and the preview say it: ``"User: Percent 10% (0-10)"``,
    ``"User: Username alice"``, ``"IP Address: 10.0.0.0/8"``, ``"Plan: pro"``.

    A condition stored corrupt reads as typed.
    """
    label = str(field.label or field.name)
    try:
        shown = field.display(condition) if label == group_label else field.labelled(condition)
    except (ValueError, TypeError, ValidationError):
        shown = condition
    if shown.startswith(f"{label}: "):
        shown = f"{label} {shown[len(label) + 2 :]}"  # "Percent: 10% (0-10)" -> "Percent 10% (0-10)"
    return f"{group_label}: {shown}"
