"""The field classes, under the path the manual named before 3.0's layout: import them from
:mod:`gargoyle.conditions` instead. :data:`Matcher` is documented here."""

from __future__ import annotations

from gargoyle._authoring.dates import AbstractDate, BeforeDate, OnOrAfterDate
from gargoyle._authoring.fields import Boolean, Choice, Field, Matcher, String, titlize
from gargoyle._authoring.ranges import Percent, Range

__all__ = [
    "AbstractDate",
    "BeforeDate",
    "Boolean",
    "Choice",
    "Field",
    "Matcher",
    "OnOrAfterDate",
    "Percent",
    "Range",
    "String",
    "titlize",
]
