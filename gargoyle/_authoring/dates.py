"""Date fields: conditions on the day a subject (a user's join date, today) falls on."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import Field, Matcher

__all__ = ["AbstractDate", "BeforeDate", "OnOrAfterDate"]


class AbstractDate(Field):
    """A date condition (``YYYY-MM-DD``) compared with the subject's date or datetime.

    Subclasses say how in :meth:`date_is_active` and :meth:`threshold`. A value that is
    not a date or datetime never matches.
    """

    panel_type = "date"

    #: How conditions are stored (``strptime`` format).
    DATE_FORMAT = "%Y-%m-%d"
    #: How :meth:`~Field.display` shows them.
    PRETTY_DATE_FORMAT = "%d %b %Y"

    def str_to_date(self, value: str) -> datetime.date:
        """Parse a stored condition; ``ValueError`` if it is not ``YYYY-MM-DD`` (ASCII digits)."""
        if not value.isascii():
            raise ValueError(f"{value!r} is not YYYY-MM-DD")  # strptime reads other scripts' digits
        return datetime.datetime.strptime(value, self.DATE_FORMAT).date()

    def clean(self, value: Any) -> str:
        value = super().clean(value).strip()
        try:
            date = self.str_to_date(value)
        except ValueError:
            raise ValidationError(
                _("%(field)s: enter a valid date as YYYY-MM-DD."), params={"field": self.label}
            ) from None
        return date.isoformat()  # YYYY-MM-DD with four year digits, even before year 1000

    def display(self, value: str) -> str:
        return f"{self.label}: {self.str_to_date(value).strftime(self.PRETTY_DATE_FORMAT)}"

    def render(self, value: Any) -> SafeString:
        value = value or datetime.date.today().strftime(self.DATE_FORMAT)
        return format_html('<input type="date" value="{}" name="{}">', value, self.name)

    def is_active(self, condition: str, value: Any) -> bool:
        day = _as_date(value)
        return day is not None and self.date_is_active(self.str_to_date(condition), day)

    def date_is_active(self, condition_date: datetime.date, value: datetime.date) -> bool:
        """Whether the subject's date ``value`` matches the condition's date; subclasses decide."""
        raise NotImplementedError

    def threshold(self, dates: list[datetime.date]) -> datetime.date:
        """The one date that decides for a list of conditions (any of them matching).

        Subclasses that define it get a precompiled matcher; others fall back to checking
        each condition with :meth:`date_is_active`.
        """
        raise NotImplementedError

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(AbstractDate) or type(self).threshold is AbstractDate.threshold:
            return super().matcher(conditions, switch_key)
        limit = self.threshold([self.str_to_date(self.clean(condition)) for condition in conditions])
        date_is_active = self.date_is_active

        def matches(value: Any) -> bool:
            day = _as_date(value)
            return day is not None and date_is_active(limit, day)

        return matches


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return None


class BeforeDate(AbstractDate):
    """Matches dates strictly before the condition's date."""

    def date_is_active(self, before_this_date: datetime.date, value: datetime.date) -> bool:
        return value < before_this_date

    def threshold(self, dates: list[datetime.date]) -> datetime.date:
        return max(dates)


class OnOrAfterDate(AbstractDate):
    """Matches dates on or after the condition's date."""

    def date_is_active(self, after_this_date: datetime.date, value: datetime.date) -> bool:
        return value >= after_this_date

    def threshold(self, dates: list[datetime.date]) -> datetime.date:
        return min(dates)
