"""Condition sets and the field types they declare: what a site writes to add its own conditions.

A condition set reads like a form: it declares fields (:class:`Percent`, :class:`String`,
...) as class attributes, says which subjects it can judge
(:meth:`ConditionSet.can_execute`) and how to read a field's value from one
(:meth:`ConditionSet.get_field_value`). Register it with ``gargoyle.register()``; its
conditions are stored under :meth:`ConditionSet.get_namespace`.

This module is the public path (gargoyle-yplan's); the classes are defined in the internal
condition authoring layer, ``gargoyle/_authoring/``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from gargoyle._authoring.condition_sets import ConditionSet, ModelConditionSet, RequestConditionSet
from gargoyle._authoring.condition_sets import ConditionSetBase as ConditionSetBase
from gargoyle._authoring.dates import AbstractDate, BeforeDate, OnOrAfterDate
from gargoyle._authoring.fields import Boolean, Choice, Field, String, describe_condition, titlize
from gargoyle._authoring.membership import Membership, PermissionName
from gargoyle._authoring.ranges import Percent, Range
from gargoyle.constants import EXCLUDE as EXCLUDE
from gargoyle.constants import INCLUDE as INCLUDE

# ConditionSetBase, EXCLUDE and INCLUDE were importable from here in gargoyle-yplan, though
# never documented: they are re-exported (``X as X``), not listed in __all__.
__all__ = [
    "AbstractDate",
    "BeforeDate",
    "Boolean",
    "Choice",
    "ConditionSet",
    "Field",
    "Membership",
    "ModelConditionSet",
    "OnOrAfterDate",
    "Percent",
    "PermissionName",
    "Range",
    "RequestConditionSet",
    "String",
    "ValidationError",
    "describe_condition",
    "titlize",
]
