"""The ``Switch`` model: the source of truth. Its condition edits are in ``condition_editing``.

Evaluation lives in the runtime (``gargoyle._runtime``); what a write means (signals, the
version, history) in the write pipeline (``gargoyle._writes``), which hears every write.
The public path is :mod:`gargoyle.models`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import Field
from gargoyle._authoring.registry import ConditionSets, default_registry
from gargoyle._conf import default_status, get_settings
from gargoyle._storage import values
from gargoyle._storage.condition_editing import ConditionEditing
from gargoyle._storage.querysets import SwitchQuerySet
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import (
    KEY_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    validate_description,
    validate_key,
    validate_label,
    validate_status,
)
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INHERIT, SELECTIVE, STATUSES

__all__ = ["Switch"]


class Switch(ConditionEditing, models.Model):
    """A feature switch: a key, a status and conditions stored as JSON.

    ``value`` holds the conditions by condition set namespace, then by field, each as a
    ``[mode, condition]`` pair (mode :data:`~gargoyle.constants.INCLUDE` ``"i"`` or
    :data:`~gargoyle.constants.EXCLUDE` ``"e"``)::

        {"auth.user": {"percent": [["i", "0-50"]], "username": [["e", "bob"]]}}

    Edit conditions with the methods below rather than by hand: they validate the
    condition and lock the row, so concurrent edits lose nothing. Every write, including
    ``QuerySet.update()``, ``bulk_create()`` and ``delete()``, sends the signals of
    :mod:`gargoyle.signals` and is seen by every process.

    The condition methods take the manager that knows the condition sets first;
    ``gargoyle[key]`` returns a :class:`~gargoyle.proxy.SwitchProxy` that passes it for you.

    :param args: field values in declaration order, as for any model.
    :param kwargs: field values by name. A new switch given a ``key`` but no ``status``
        takes its status (and a missing label and description) from
        ``GARGOYLE_SWITCH_DEFAULTS``.
    """

    #: The ``status`` field's choices: ``(status, name)`` pairs.
    STATUS_CHOICES = (
        (DISABLED, _("Disabled")),
        (SELECTIVE, _("Selective")),
        (GLOBAL, _("Global")),
        (INHERIT, _("Inherit")),
    )

    #: What each status means for users, as :meth:`get_status_label` says it.
    STATUS_LABELS = {
        INHERIT: _("Inherit from parent"),
        GLOBAL: _("Active for everyone"),
        SELECTIVE: _("Active for conditions"),
        DISABLED: _("Disabled for everyone"),
    }
    #: :meth:`get_status_label` of a SELECTIVE switch without conditions.
    NO_CONDITIONS_LABEL = _("Selective with no conditions: off for everyone")
    #: :meth:`get_status_label` of an INHERIT switch whose key has no parent part.
    NO_PARENT_LABEL = _("Inherit, without a parent: callers get their default")
    #: :meth:`get_status_label` of a stored status outside 1-4 (gargoyle-yplan could store one).
    UNKNOWN_STATUS_LABEL = _("Unknown status %(status)s: evaluated as Selective")

    key = models.CharField(_("key"), max_length=KEY_MAX_LENGTH, primary_key=True)
    value = models.JSONField(_("conditions"), default=dict, blank=True)
    label = models.CharField(_("label"), max_length=LABEL_MAX_LENGTH, null=True, blank=True)
    date_created = models.DateTimeField(_("created"), default=now)
    date_modified = models.DateTimeField(_("modified"), auto_now=True)
    description = models.TextField(_("description"), null=True, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), default=DISABLED, choices=STATUS_CHOICES)
    #: Stored by gargoyle-yplan and not yet marked reviewed since the upgrade (see :mod:`gargoyle.upgrade`).
    carried_over = models.BooleanField(_("carried over from gargoyle-yplan"), default=False, editable=False)

    objects = SwitchQuerySet.as_manager()

    #: The stored row before a save, as the write pipeline's ``pre_save`` receiver read it.
    _row_before: dict[str, Any] | None

    class Meta:
        app_label = "gargoyle"
        permissions = (
            ("can_view", "Can view"),
            ("set_global", "Can set a switch Global"),
            # gargoyle.qa: force GARGOYLE_QA_SWITCHES on or off for one's own browser.
            ("override_switch", "Can override switches for own browser (QA)"),
        )
        base_manager_name = "objects"  # so even Django's internal writes announce themselves
        verbose_name = _("switch")
        verbose_name_plural = _("switches")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs and "key" in kwargs:  # a new switch: GARGOYLE_SWITCH_DEFAULTS fills the gaps
            defaults = _defaults_for(kwargs)
            if "status" in kwargs:
                defaults.pop("status", None)
            kwargs = {**kwargs, **defaults}
        super().__init__(*args, **kwargs)
        self._remember_stored_state()

    def __str__(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def from_row(cls, row: Mapping[str, Any], db: str | None = None) -> Switch:
        """An instance from a ``values()`` row of every field, without a query.

        :param row: ``{field name: value}`` for the model's fields; those left out (the
            dates of the snapshot's rows) are deferred, read when first asked for.
        :param db: the database alias the instance belongs to (default: the model's).
        """
        names = [f.attname for f in cls._meta.concrete_fields if f.attname in row]  # others: deferred
        row = {**row, "value": copy.deepcopy(row["value"])}  # the snapshot's rows stay untouched
        return cls.from_db(db or cls.objects.db, names, [row[name] for name in names])

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any) -> Switch:
        """Django's hook for loaded rows; also remembers the stored state, so :meth:`save` writes only changes."""
        instance: Switch = super().from_db(db, field_names, values, **kwargs)  # kwargs: Django 6.1's fetch_mode
        instance._remember_stored_state()
        return instance

    # -- saving ---------------------------------------------------------------------------

    def _remember_stored_state(self) -> None:
        """Remember the key and fields as stored, so saves write only what changed."""
        self._stored_key = self.key if not self._state.adding else None
        self._stored = self._field_snapshot()

    def _field_snapshot(self) -> dict[str, str]:
        # Read from __dict__ so deferred fields are not loaded just to be compared.
        loaded = vars(self)
        return {
            name: json.dumps(loaded[name], sort_keys=True, default=str)
            for name in ("value", "label", "description", "status", "date_created")
            if name in loaded
        }

    def check_fields(self) -> None:
        """Check the key, status, label and description, without looking at conditions.

        A new switch is checked whole; a stored one, only in the fields that changed since it
        was loaded, so that a value stored before these rules can stay while others change.

        :raises ~django.core.exceptions.ValidationError: naming the field and the problem
            (e.g. a key longer than 64 characters, an unknown status).
        """
        # Only what changes: a value stored before these rules (by gargoyle-yplan, or SQL) may
        # stay while other fields are edited; it is reported (gargoyle.upgrade.stored_notices).
        if self._stored_key is None or self._stored_key != self.key:
            validate_key(self.key)
        for name, validate in (
            ("status", validate_status),
            ("label", validate_label),
            ("description", validate_description),
        ):
            if self._stored_key is None or self._stored.get(name) != json.dumps(getattr(self, name), default=str):
                validate(getattr(self, name))

    def clean(self) -> None:
        """Model validation (``full_clean()``, forms): :meth:`check_fields`, then the conditions.

        :raises ~django.core.exceptions.ValidationError: for a bad field, or for conditions
            that are malformed or whose field or condition set is unknown (under ``value``).
        """
        self.check_fields()
        try:
            values.validate_value(self.value, default_registry.namespaces(), self.key)
        except ValidationError as error:
            raise ValidationError({"value": error.messages}) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the switch; an existing switch writes only the fields changed since loading.

        Changing ``key`` renames the switch. Takes Django's ``save()`` arguments.

        :raises ~django.core.exceptions.ValidationError: for an invalid key, status, label
            or description, a malformed ``value``, or a rename onto a key that is taken;
            nothing is written then.
        """
        self.check_fields()
        if self._stored_key is None or self._stored.get("value") != self._field_snapshot().get("value"):
            values.validate_shape(self.value)  # a corrupt stored value may still get a new status
        if self._stored_key is not None and self._stored_key != self.key:
            self._rename_and_save()
            return
        # The row and the snapshot version change together, or not at all.
        with write_transaction(using=kwargs.get("using") or self._state.db):
            if self._stored_key is not None and not args and "update_fields" not in kwargs:
                self._save_changed_fields(**kwargs)
            else:
                super().save(*args, **kwargs)
        self._remember_stored_state()

    save.alters_data = True  # type: ignore[attr-defined]  # Django's marker for methods that write

    def delete(self, using: str | None = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Delete the switch; ``(0, {})``, announcing nothing, if it is no longer stored.

        A stale copy of a switch deleted or renamed since it was read deletes nothing (and
        records nothing), rather than announcing a deletion that did not happen.
        """
        using = using or self._state.db or router.db_for_write(type(self), instance=self)
        with write_transaction(using=using):
            if not type(self)._base_manager.using(using).filter(pk=self.pk).exists():
                return 0, {}
            return super().delete(using=using, keep_parents=keep_parents)

    delete.alters_data = True  # type: ignore[attr-defined]  # Django's marker for methods that write

    def _save_changed_fields(self, **kwargs: Any) -> None:
        if not type(self)._base_manager.filter(pk=self.pk).exists():
            super().save(force_insert=True, **kwargs)  # deleted meanwhile: store it again
            return
        changed = [name for name, text in self._field_snapshot().items() if self._stored.get(name) != text]
        super().save(update_fields=[*changed, "date_modified"], **kwargs)

    def _rename_and_save(self) -> None:
        new_key, old_key = self.key, self._stored_key
        manager = type(self)._base_manager
        taken = ValidationError(_("key: a switch with the key %(key)r already exists."), params={"key": new_key})
        with write_transaction(using=self._state.db):
            if manager.filter(key=new_key).exists():
                raise taken
            # One UPDATE (and so one recorded change) for the new key and every changed field.
            changed = {
                name: getattr(self, name)
                for name, text in self._field_snapshot().items()
                if self._stored.get(name) != text
            }
            try:
                with transaction.atomic(using=self._state.db):  # a savepoint: the caller's transaction goes on
                    renamed = type(self).objects.filter(key=old_key).update(key=new_key, **changed)
            except IntegrityError:
                raise taken from None  # renamed onto the same key by someone else since the check
        if not renamed:  # the old row is gone: there is nothing to rename, store it as new
            self._stored_key = None
            self.save()
            return
        self._remember_stored_state()

    def get_active_conditions(self, manager: ConditionSets) -> Iterator[tuple[str, str, Field, str, bool]]:
        """Yield ``(condition_set_id, group_label, field, condition, exclude)`` for each condition.

        Conditions of condition sets that are not registered in ``manager`` are skipped.
        Condition sets come by group label, then fields in declaration order. A required
        condition has ``exclude`` False, as in gargoyle-yplan's tuple; :meth:`to_dict` gives
        each condition's mode.

        :param manager: the manager whose registry knows the condition sets.
        """
        for condition_set_id, group, field, condition, mode in self._conditions_by_mode(manager):
            yield condition_set_id, group, field, condition, mode == EXCLUDE

    def _conditions_by_mode(self, manager: ConditionSets) -> Iterator[tuple[str, str, Field, str, str]]:
        value = self.value if isinstance(self.value, dict) else {}
        for condition_set in sorted(manager.get_condition_sets(), key=lambda s: str(s.get_group_label())):
            stored = value.get(condition_set.get_namespace())
            if not isinstance(stored, dict):
                continue
            group = condition_set.get_group_label()
            for name, field in condition_set.fields.items():
                for entry in stored.get(name) or ():
                    if isinstance(entry, (list, tuple)) and len(entry) == 2:
                        yield condition_set.get_id(), group, field, entry[1], entry[0]

    def has_conditions(self) -> bool:
        """Whether any condition is stored, in any namespace (registered or not)."""
        return any(True for _ in values.iter_conditions(self.value))

    def get_status_label(self) -> str:
        """What the status means for users, e.g. ``"Active for everyone"``.

        A SELECTIVE switch without conditions is labelled as off for everyone, and an
        INHERIT switch without a ``parent:`` part in its key as answering the default.
        """
        if self.status not in STATUSES:
            return str(self.UNKNOWN_STATUS_LABEL % {"status": self.status})
        if self.status == SELECTIVE and not self.has_conditions():
            return str(self.NO_CONDITIONS_LABEL)
        if self.status == INHERIT and ":" not in self.key:
            return str(self.NO_PARENT_LABEL)
        return str(self.STATUS_LABELS[self.status])

    def to_dict(self, manager: ConditionSets, *, name_fields: bool = False, modes: bool = False) -> dict[str, Any]:
        """The switch as the panel and the JSON API show it.

        :param manager: the manager whose registry knows the condition sets.
        :param name_fields: give each condition's text as
            :meth:`gargoyle.conditions.Field.labelled` shows it
            (``"Username: alice"``, as the panel's chips do) instead of ``Field.display()``
            (``"alice"``, as gargoyle-yplan's ``to_dict`` did).
        :param modes: add each condition's mode to its tuple (see below).
        :returns: ``key``, ``status``, ``statusLabel``, ``label`` (the key itself when
            empty), ``description``, ``date_created``, ``date_modified`` (``None`` when stored
            as text the database cannot read back) and ``conditions``: a
            list of ``{"id", "label", "conditions"}`` groups, each condition a tuple
            ``(field name, condition, display text, exclude)`` as in gargoyle-yplan (the text
            as ``name_fields`` says), or with ``modes`` ``(field name, condition, display
            text, exclude, mode)``, ``mode`` being ``"i"``, ``"e"`` or ``"r"``: without it, a
            required condition looks like an include.
        """
        groups: list[dict[str, Any]] = []
        for condition_set_id, group, field, condition, mode in self._conditions_by_mode(manager):
            if not groups or groups[-1]["id"] != condition_set_id:
                groups.append({"id": condition_set_id, "label": str(group), "conditions": []})
            text = values.condition_text(condition)
            shown = _safe_text(field.labelled if name_fields else field.display, text)
            condition_tuple = (field.name, text, shown, mode == EXCLUDE)
            groups[-1]["conditions"].append((*condition_tuple, mode) if modes else condition_tuple)
        return {
            "key": self.key,
            "status": self.status,
            "statusLabel": self.get_status_label(),
            "label": self.label or self.key,
            "description": self.description,
            "date_modified": self._readable_date("date_modified"),
            "date_created": self._readable_date("date_created"),
            "conditions": groups,
        }

    def _readable_date(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except (ValueError, TypeError, OverflowError):
            return None  # stored as text the database cannot convert (SQLite): shown as unknown


def _safe_text(show: Callable[[str], str], condition: str) -> str:
    try:
        return str(show(condition))
    except (ValueError, ValidationError):
        return condition  # a corrupt stored condition still shows as typed


def _defaults_for(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Initial status, label and description from ``GARGOYLE_SWITCH_DEFAULTS``."""
    key = kwargs["key"]
    default = get_settings().switch_defaults.get(key) if isinstance(key, str) else None  # else: refused on save
    if not isinstance(default, dict):
        return {}
    found: dict[str, Any] = {}
    status = default_status(default)
    if status is not None:
        found["status"] = status
    for name in ("label", "description"):
        if not kwargs.get(name) and default.get(name):
            found[name] = default[name]
    return found
