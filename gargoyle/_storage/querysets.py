"""``Switch.objects``: bulk writes that validate and report themselves like ``save()``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.utils.timezone import now

from gargoyle._storage import events, values
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import validate_key, validate_label, validate_status

# What a switch's answers and history need: not its dates, so that a date the database cannot
# read back (SQLite keeps any text, e.g. "0000-00-00") never stops the switches loading.
ROW_FIELDS = ("key", "value", "label", "description", "status", "carried_over")
DATE_FIELDS = ("date_created", "date_modified")

# The model: Switch, which this module cannot name (gargoyle._storage.switch imports it).
_M = TypeVar("_M", bound=models.Model)


class SwitchQuerySet(models.QuerySet[_M]):
    """Bulk writes report themselves too (``events``), so every process sees them."""

    def update(self, **kwargs: Any) -> int:
        if "status" in kwargs and not hasattr(kwargs["status"], "resolve_expression"):
            validate_status(kwargs["status"])
        if "key" in kwargs:
            validate_key(kwargs["key"])
        if "label" in kwargs and not hasattr(kwargs["label"], "resolve_expression"):
            validate_label(kwargs["label"])
        kwargs.setdefault("date_modified", now())
        with write_transaction(using=self.db):
            before = list(self.select_for_update().values(*ROW_FIELDS))
            count = super().update(**kwargs)
            events.rows_updated.send(sender=self.model, before=before, update=kwargs, using=self.db)
        return count

    update.alters_data = True  # type: ignore[attr-defined]  # Django's marker for methods that write

    def load(self) -> list[_M]:
        """The switches, as a list; if a stored date cannot be read, with their dates deferred.

        Each switch's dates are then read when asked for, and one that cannot be read shows as
        ``None`` (:meth:`Switch.to_dict <gargoyle.models.Switch.to_dict>`): the other
        switches, and that switch's own conditions and status, still load.
        """
        try:
            return list(self)
        except (ValueError, TypeError, OverflowError):  # SQLite's converters failed on a date
            return list(self.defer(*DATE_FIELDS))

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        for obj in objs:
            obj.check_fields()
            values.validate_shape(obj.value)
        keys = [obj.key for obj in objs]
        with write_transaction(using=self.db):
            # With ignore_conflicts/update_conflicts, only the rows that really changed count.
            before = list(self.filter(pk__in=keys).select_for_update().values(*ROW_FIELDS))
            created = super().bulk_create(objs, *args, **kwargs)
            events.rows_written.send(sender=self.model, before=before, keys=keys, using=self.db)
        return created

    def delete(self) -> tuple[int, dict[str, int]]:
        # Under the write lock, like every other write (see gargoyle._storage.transactions).
        with write_transaction(using=self.db):
            return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]  # Django's marker for methods that write
    delete.queryset_only = True  # type: ignore[attr-defined]  # Django's marker: not copied to the manager

    def bulk_update(self, objs: Iterable[Any], fields: Any, *args: Any, **kwargs: Any) -> int:
        # Django runs bulk_update through update() above, which announces the rows.
        objs = list(objs)
        for obj in objs:
            obj.check_fields()
        return super().bulk_update(objs, fields, *args, **kwargs)
