"""Condition sets: declarative groups of fields that judge one kind of subject.

A condition set reads like a form: it declares fields (``Percent``, ``String``, ...) as
class attributes, says which subjects it can judge (:meth:`ConditionSet.can_execute`) and
how to read a field's value from one (:meth:`ConditionSet.get_field_value`). Register it
with ``gargoyle.register()``; its conditions are stored under
:meth:`ConditionSet.get_namespace`. The public path is :mod:`gargoyle.conditions`.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import Field
from gargoyle._authoring.ranges import Percent
from gargoyle.constants import EXCLUDE, INCLUDE

__all__ = ["ConditionSet", "ModelConditionSet", "RequestConditionSet"]


# The matchers of the switch being evaluated, for condition sets that override is_active()
# and call super(): set by the engine, so percent cohorts use the right switch key.
compiled_matchers: contextvars.ContextVar[dict[str, tuple[Any, Any]] | None] = contextvars.ContextVar(
    "gargoyle_compiled_matchers", default=None
)


def _matchers(field: Field, stored: Iterable[Any]) -> tuple[Any, Any]:
    """Matchers for stored entries outside an evaluation (no switch key for percent cohorts)."""
    includes = [condition for mode, condition in stored if mode == INCLUDE]
    excludes = [condition for mode, condition in stored if mode == EXCLUDE]
    return (field.matcher(includes, "") if includes else None, field.matcher(excludes, "") if excludes else None)


def http_request_of(instance: Any) -> HttpRequest | None:
    """The Django request ``instance`` is, or wraps; None for any other subject.

    A wrapper is an object whose ``_request`` is an ``HttpRequest``: Django REST framework's
    ``Request`` is one. Duck-typed, so the core never imports rest_framework.
    """
    if isinstance(instance, HttpRequest):
        return instance
    wrapped = getattr(instance, "_request", None)
    return wrapped if isinstance(wrapped, HttpRequest) else None


class ConditionSetBase(type):
    """Metaclass of :class:`ConditionSet`: collects the declared fields (inherited ones included) into ``fields``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> ConditionSetBase:
        fields: dict[str, Field] = {}
        for base in reversed(bases):
            fields.update(getattr(base, "fields", {}))
        for field_name, value in list(attrs.items()):
            if isinstance(value, Field):
                field = attrs.pop(field_name)
                field.set_values(field_name)
                fields[field_name] = field
        attrs["fields"] = fields
        return super().__new__(mcs, name, bases, attrs)


class ConditionSet(metaclass=ConditionSetBase):
    """Base class of every condition set.

    Declare fields as class attributes; they are collected into :attr:`fields` (and
    removed from the class, so a field may share a name with a method)::

        class CountryConditionSet(RequestConditionSet):
            country = String()

            def get_namespace(self):
                return "country"

            def get_field_value(self, instance, field_name):
                return instance.headers.get("CF-IPCountry")

    Override :meth:`can_execute`, :meth:`get_field_value`, :meth:`get_namespace` and
    :meth:`get_group_label` as needed; :meth:`is_active` rarely needs overriding.
    """

    #: The declared fields, ``{name: field}``, in declaration order (inherited first).
    fields: dict[str, Field]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def get_id(self) -> str:
        """The identifier the panel, the JSON API and :meth:`Switch.add_condition
        <gargoyle.models.Switch.add_condition>` use: ``"<module>.<Class>"``.
        """
        return f"{type(self).__module__}.{type(self).__name__}"

    def get_namespace(self) -> str:
        """The key this set's conditions are stored under in a switch's ``value``.

        Default: the class name. Changing it orphans the conditions already stored.
        """
        return type(self).__name__

    def get_group_label(self) -> str:
        """A human-readable name for the set, shown in the panel (default: the class name)."""
        return type(self).__name__

    def can_execute(self, instance: Any) -> bool:
        """Whether this set can judge ``instance``.

        Every check also offers ``None``, which stands for "no subject": return ``True``
        for it in sets that judge the moment (a date, the host), not a subject.
        Default: ``True`` for everything.
        """
        return True

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        """Read a field's value from a subject.

        Default: the subject's attribute named like the field (called if it is a method),
        ``pk`` for ``percent``, or ``None``.

        :param instance: a subject :meth:`can_execute` accepted.
        :param field_name: the name of one of :attr:`fields`.
        """
        if field_name == "percent":
            field_name = "pk"
        value = getattr(instance, field_name, None)
        return value() if callable(value) else value

    def is_active(self, instance: Any, conditions: Mapping[str, Any]) -> bool | None:
        """Judge one subject against a switch's stored conditions.

        :param instance: a subject :meth:`can_execute` accepted.
        :param conditions: the switch's whole ``value``.
        :returns: ``False`` when an exclude condition of this set matches, ``True`` when
            an include condition matches, ``None`` when neither does.
        """
        compiled = compiled_matchers.get()
        verdict = None
        for name, field in self.fields.items():
            stored = conditions.get(self.get_namespace(), {}).get(name) or ()
            if not stored:
                continue
            include, exclude = compiled[name] if compiled and name in compiled else _matchers(field, stored)
            value = self.get_field_value(instance, name)
            if exclude is not None and exclude(value):
                return False
            if include is not None and include(value):
                verdict = True
        return verdict

    def has_active_condition(self, conditions: Mapping[str, Any], instances: Iterable[Any]) -> bool | None:
        """Judge every subject this set can execute on, and ``None``, as :meth:`is_active` does.

        :param conditions: the switch's whole ``value``.
        :param instances: the subjects passed to ``gargoyle.is_active``.
        :returns: ``False`` if an exclude condition matched any subject, else ``True`` if an
            include condition matched one, else ``None``.
        """
        verdict = None
        for instance in itertools.chain(instances, [None]):
            if not self.can_execute(instance):
                continue
            result = self.is_active(instance, conditions)
            if result is False:
                return False
            if result:
                verdict = True
        return verdict


class ModelConditionSet(ConditionSet):
    """Judges instances of one model; its ``percent`` field buckets them by primary key.

    Register an instance for the model: ``gargoyle.register(MyConditionSet(Team))``. Its
    id is ``"<module>.<Class>(<app_label>.<model_name>)"`` and its namespace
    ``"<app_label>.<model_name>"``; the group label is the model's verbose name.

    :param model: the model class whose instances it judges.
    :type model: type[~django.db.models.Model]
    """

    percent = Percent(label=_("Percent"))  # named, not title-cased from the attribute: translated

    def __init__(self, model: type[Model]) -> None:
        #: The model class whose instances it judges.
        self.model = model

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.model.__name__}>"

    def can_execute(self, instance: Any) -> bool:
        return isinstance(instance, self.model)

    def get_id(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}({self.get_namespace()})"

    def get_namespace(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    def get_group_label(self) -> str:
        return str(self.model._meta.verbose_name).title()


class RequestConditionSet(ConditionSet):
    """Judges the ``HttpRequest`` passed to ``is_active`` (namespace ``"request"``).

    Subclasses read fields from the request in :meth:`~ConditionSet.get_field_value`.
    """

    def get_namespace(self) -> str:
        return "request"

    def can_execute(self, instance: Any) -> bool:
        return isinstance(instance, HttpRequest)
