"""Set-valued fields: a condition matches when it is one of the subject's members.

A user's groups and permissions are sets of names; a condition names one of them. Import
the fields from :mod:`gargoyle.conditions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import Field, Matcher

__all__ = ["EVERYTHING", "Membership", "PermissionName"]


class _Everything:
    """A set that contains every name: an active superuser's permissions (no query to list them)."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str)

    def __repr__(self) -> str:
        return "EVERYTHING"


#: The value of a subject that holds every member (``Membership`` matches any condition).
EVERYTHING = _Everything()


class Membership(Field):
    """A set-valued attribute (a user's group names): a condition matches when it is a member.

    The subject's value is a set of strings (any container: a ``frozenset``, a list...); a
    single string counts as a set of one, and ``None`` or a value that is no container
    matches nothing. Conditions are stripped of surrounding blanks and may not be empty.

    :param max_length: the longest condition accepted (``None``: any length), e.g. the
        ``max_length`` of the model field the names come from.
    :param kwargs: ``label`` and ``help_text``, as for :class:`Field`.
    """

    def __init__(self, label: Any = None, help_text: Any = None, max_length: int | None = None) -> None:
        #: The longest condition ``clean()`` accepts, or ``None``.
        self.max_length = max_length
        super().__init__(label=label, help_text=help_text)

    def clean(self, value: Any) -> str:
        text = super().clean(value).strip()
        if not text:
            raise ValidationError(_("%(field)s: enter a name."), params={"field": self.label})
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(
                _("%(field)s: a name is at most %(max)d characters."),
                params={"field": self.label, "max": self.max_length},
            )
        return text

    def is_active(self, condition: str, value: Any) -> bool:
        return _contains(value, condition)

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(Membership):
            return super().matcher(conditions, switch_key)
        wanted = tuple(dict.fromkeys(conditions))  # a switch holds few: testing each beats a set intersection
        wanted_set = frozenset(wanted)

        def matches(value: Any) -> bool:
            if value is None:
                return False
            if isinstance(value, str):
                return value in wanted_set
            try:
                for condition in wanted:  # a loop, not any(): no generator per check
                    if condition in value:
                        return True
            except TypeError:  # not a container
                return False
            return False

        return matches


def _contains(value: Any, condition: str) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value == condition
    try:
        return condition in value
    except TypeError:
        return False


class PermissionName(Membership):
    """A :class:`Membership` of permission names, ``"app_label.codename"`` as Django's
    ``has_perm`` takes them (``"shop.view_report"``).

    ``clean()`` refuses a condition that is not of that form: an app label (a Python
    identifier), a dot and a codename, without blanks. The permission need not exist yet.
    """

    default_help_text = _("app_label.codename, as for has_perm(), e.g. shop.view_report.")

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        app_label, dot, codename = text.partition(".")
        if not dot or not app_label.isidentifier() or not codename or any(c.isspace() for c in text):
            raise ValidationError(
                _("%(field)s: %(value)s is not a permission: write app_label.codename (e.g. shop.view_report)."),
                params={"field": self.label, "value": text},
            )
        return text
