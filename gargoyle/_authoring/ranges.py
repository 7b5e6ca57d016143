"""Number fields: a range of whole numbers (``"10-20"``), and the percent of subjects whose
stable bucket (:mod:`gargoyle.cohorts`) falls in a range (``"0-25"``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import Field, Matcher
from gargoyle._conf import get_settings
from gargoyle.cohorts import legacy_number, stable_bucket

__all__ = ["Percent", "Range"]


class Range(Field):
    """A numeric attribute within ``min-max``, both ends included (stored as ``"10-20"``).

    The panel and the JSON API post the two ends as ``<name>[min]`` and ``<name>[max]``.
    Each end is read with ``number_type``: ``int`` here, so whole numbers.
    """

    panel_type = "range"

    number_type: Callable[[str], Any] = int
    #: The message of the ``ValidationError`` for a malformed range.
    error_message = _("%(field)s: enter two whole numbers, the lower one first (e.g. 10-20).")

    def parse(self, condition: str) -> tuple[Any, Any]:
        """Split a stored ``"a-b"`` condition into two numbers, or raise ``ValidationError``."""
        error = ValidationError(self.error_message, params={"field": self.label})
        if not isinstance(condition, str):
            raise error
        parts = condition.strip().split("-")
        if len(parts) != 2 or not all(_plain_number(part.strip()) for part in parts):
            raise error
        try:
            low, high = (self.number_type(part.strip()) for part in parts)
        except (TypeError, ValueError, ArithmeticError):
            raise error from None
        if low > high:
            raise error
        return low, high

    def validate(self, data: Mapping[str, Any]) -> str:
        """Clean the range posted as ``<name>[min]`` and ``<name>[max]`` in ``data``."""
        low = data.get(f"{self.name}[min]", "")
        high = data.get(f"{self.name}[max]", "")
        return self.clean(f"{low}-{high}")

    def clean(self, value: Any) -> str:
        low, high = self.parse(value)
        return f"{low}-{high}"

    def is_active(self, condition: str, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return False
        low, high = self.parse(condition)
        inside: bool = low <= value <= high
        return inside

    def render(self, value: Any) -> SafeString:
        low, high = self.parse(value) if value else ("", "")
        return format_html(
            '<input type="number" value="{}" placeholder="from" name="{}[min]"> - '
            '<input type="number" value="{}" placeholder="to" name="{}[max]">',
            low,
            self.name,
            high,
            self.name,
        )

    def display(self, value: str) -> str:
        low, high = self.parse(value)
        return f"{self.label}: {low}-{high}"

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(Range):
            return super().matcher(conditions, switch_key)
        bounds = tuple(self.parse(condition) for condition in conditions)

        def matches(value: Any) -> bool:
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                return False
            return any(low <= value <= high for low, high in bounds)

        return matches


class Percent(Range):
    """A share of subjects: ``a-b`` selects the buckets ``a <= bucket < b`` (0.01 % steps).

    ``0-50`` is exactly half of all subjects, ``0-0`` nobody and ``0-100`` everyone. A
    subject's bucket is a stable hash of the switch key and the subject (a user's pk, an
    IP address): the same on every process, independent between switches, and widening
    the range only adds subjects.

    With ``GARGOYLE_LEGACY_PERCENT`` the bucket is gargoyle-yplan's ``number % 100`` and
    both ends are included, which keeps the cohorts a site already has.
    """

    panel_type = "percent"

    default_help_text = _("Enter a range, e.g. 0-50 for half of all subjects. Two decimals allowed.")
    error_message = _("%(field)s: enter two numbers between 0 and 100, the lower one first (e.g. 0-12.5).")

    def number_type(self, text: str) -> Decimal:
        """Read one end: a number from 0 to 100 with at most two decimals; ``ValueError`` otherwise."""
        number = Decimal(text)
        if not number.is_finite() or number < 0 or number > 100 or number != round(number, 2):
            raise ValueError(text)
        return number

    def clean(self, value: Any) -> str:
        low, high = self.parse(value)
        return f"{_plain(low)}-{_plain(high)}"

    def is_active(self, condition: str, value: Any) -> bool:
        """Whether a bucket ``value`` (a number in ``[0, 100)``) lies within ``condition``."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return False
        low, high = self.parse(condition)
        inside: bool = low <= Decimal(str(value)) < high
        return inside

    def display(self, value: str) -> str:
        low, high = self.parse(value)
        return f"{self.label}: {_plain(high - low)}% ({_plain(low)}-{_plain(high)})"

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(Percent):
            return super().matcher(conditions, switch_key)
        bounds = [self.parse(condition) for condition in conditions]
        if get_settings().legacy_percent:
            return _legacy_percent_matcher(bounds)
        hundredths = tuple((int(low * 100), int(high * 100)) for low, high in bounds)

        def matches(subject: Any) -> bool:
            if subject is None:
                return False
            bucket = stable_bucket(switch_key, subject)
            for low, high in hundredths:  # noqa: SIM110 (cheaper than any() and a generator)
                if low <= bucket < high:
                    return True
            return False

        return matches


def _legacy_percent_matcher(bounds: list[tuple[Decimal, Decimal]]) -> Matcher:
    inclusive = tuple((float(low), float(high)) for low, high in bounds)

    def matches(subject: Any) -> bool:
        number = legacy_number(subject)
        if number is None:
            return False
        bucket = number % 100
        return any(low <= bucket <= high for low, high in inclusive)

    return matches


def _plain_number(text: str) -> bool:
    """ASCII digits with at most one decimal point: what int() and Decimal() accept beyond
    that (other scripts' digits, ``1_000``, ``1e2``) is refused."""
    return text.isascii() and text.replace(".", "", 1).isdigit()


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
