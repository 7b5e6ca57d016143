"""Every write to switches, whatever its path, goes through here.

Model signals (``save``, ``delete``, fixtures) and the bulk ``QuerySet`` events
(``gargoyle._storage.events``) report their rows before and after. This module then

1. sends gargoyle's own signals (:mod:`gargoyle.signals`) describing the change;
2. moves the database's snapshot version inside the writing transaction;
3. tells every runtime in this process: at once for the writing thread's own view, and
   after commit for everyone (the shared cache token changes, so other processes reload
   on their next request).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from django.db import connections, transaction
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver

from gargoyle import signals
from gargoyle._authoring.registry import default_registry
from gargoyle._runtime.loader import live_runtimes
from gargoyle._runtime.pending import CommitHook
from gargoyle._storage import events, values, version
from gargoyle._storage.querysets import ROW_FIELDS
from gargoyle._storage.switch import Switch
from gargoyle._writes.attribution import current_request
from gargoyle.constants import EXCLUDE

Row = Mapping[str, Any]


# -- model signals -------------------------------------------------------------------------


@receiver(pre_save, sender=Switch, dispatch_uid="gargoyle.pipeline.before_save")
def _before_save(sender: type[Switch], instance: Switch, **kwargs: Any) -> None:
    instance.check_fields()
    stored_key = getattr(instance, "_stored_key", None) or instance.key
    # Locked, so that concurrent writers record their "before" in the order they commit.
    instance._row_before = _row_of(sender, stored_key, kwargs.get("using"), lock=True)


@receiver(post_save, sender=Switch, dispatch_uid="gargoyle.pipeline.after_save")
def _after_save(sender: type[Switch], instance: Switch, using: str, **kwargs: Any) -> None:
    before = getattr(instance, "_row_before", None)
    instance._row_before = None
    after = _row_of(sender, instance.key, using)
    switches_changed(using)  # first, so that signal receivers already see the change
    announce(before, after, instance)


@receiver(post_delete, sender=Switch, dispatch_uid="gargoyle.pipeline.after_delete")
def _after_delete(sender: type[Switch], instance: Switch, using: str, **kwargs: Any) -> None:
    switches_changed(using)
    announce({name: getattr(instance, name) for name in ROW_FIELDS}, None, instance)


@receiver(post_migrate, dispatch_uid="gargoyle.pipeline.after_migrate")
def _after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # Migrations and `flush` write with SQL that sends no model signals.
    if getattr(sender, "name", None) == "gargoyle":
        with contextlib.suppress(Exception):
            version.bump_db_version(using)
        for runtime in live_runtimes():
            runtime.note_committed()


def _row_of(model: type[Switch], key: Any, using: str | None, lock: bool = False) -> dict[str, Any] | None:
    if key is None:
        return None
    rows = model._base_manager.using(using).filter(pk=key)
    if lock and connections[using or "default"].in_atomic_block:
        rows = rows.select_for_update()
    row: dict[str, Any] | None = rows.values(*ROW_FIELDS).first()  # the plugin types no values(*names)
    return row


# -- bulk writes ---------------------------------------------------------------------------


@receiver(events.rows_updated, dispatch_uid="gargoyle.pipeline.rows_updated")
def rows_updated(
    sender: type[Switch], before: list[Row], update: Mapping[str, Any] | None, using: str, **kwargs: Any
) -> None:
    """Announce a ``QuerySet.update`` (and so ``bulk_update``) from the rows it touched."""
    model = sender
    if not before:
        return
    new_key = (update or {}).get("key")
    keys = [new_key] if new_key is not None else [row["key"] for row in before]
    after = _rows(model, keys, using)
    switches_changed(using)
    for row in before:
        new_row = after.get(new_key if new_key is not None else row["key"])
        if new_row is not None:
            announce(row, new_row, model.from_row(new_row, using))


@receiver(events.rows_written, dispatch_uid="gargoyle.pipeline.rows_written")
def rows_written(sender: type[Switch], before: list[Row], keys: list[str], using: str, **kwargs: Any) -> None:
    """Announce a ``bulk_create``: the rows it added, and those it changed on conflict."""
    model = sender
    old = {row["key"]: row for row in before}
    written = [(old.get(key), row) for key, row in _rows(model, keys, using).items() if old.get(key) != row]
    if not written:
        return
    switches_changed(using)
    for old_row, new_row in written:
        announce(old_row, new_row, model.from_row(new_row, using))


def _rows(model: type[Switch], keys: list[str], using: str) -> dict[str, Row]:
    return {row["key"]: row for row in model._base_manager.using(using).filter(pk__in=keys).values(*ROW_FIELDS)}


# -- announcing ----------------------------------------------------------------------------


def announce(before: Row | None, after: Row | None, switch: Switch) -> None:
    """Send gargoyle's signals for the difference between two stored rows of a switch."""
    request = current_request()
    old_fields, new_fields = stored_fields(before), stored_fields(after)
    if old_fields == new_fields:
        return  # saved without a change
    signals.switch_changed.send(sender=Switch, request=request, switch=switch, before=old_fields, after=new_fields)
    if before is None:
        signals.switch_added.send(sender=Switch, request=request, switch=switch)
        return
    if after is None:
        signals.switch_deleted.send(sender=Switch, request=request, switch=switch)
        return
    changes = {
        name: (before[name], after[name]) for name in ("key", "label", "description") if before[name] != after[name]
    }
    if changes:
        signals.switch_updated.send(sender=Switch, request=request, switch=switch, changes=changes)
    if before["status"] != after["status"]:
        signals.switch_status_updated.send(
            sender=Switch, request=request, switch=switch, status=after["status"], old_status=before["status"]
        )
    old, new = _conditions(before["value"]), _conditions(after["value"])
    for condition in sorted(new - old):
        signals.switch_condition_added.send(
            sender=Switch, request=request, switch=switch, condition=_describe(condition)
        )
    for condition in sorted(old - new):
        signals.switch_condition_removed.send(
            sender=Switch, request=request, switch=switch, condition=_describe(condition)
        )


def stored_fields(row: Row | None) -> dict[str, Any] | None:
    """What a change is about: the row without its timestamps."""
    return None if row is None else {name: row[name] for name in ("key", "label", "description", "status", "value")}


def _conditions(value: Any) -> set[tuple[str, str, str, str]]:
    return {entry for entry in values.iter_conditions(value) if all(isinstance(part, str) for part in entry)}


def _describe(condition: tuple[str, str, str, str]) -> dict[str, Any]:
    namespace, field_name, mode, value = condition
    sets = default_registry.namespaces().get(namespace)
    return {
        "condition_set_id": sets[0].get_id() if sets else namespace,
        "field_name": field_name,
        "value": value,
        "exclude": mode == EXCLUDE,
        "mode": mode,
    }


# -- the version and the runtimes ------------------------------------------------------------


def switches_changed(using: str) -> None:
    """Move the version and tell this process's runtimes; call once per write."""
    version.bump_db_version(using)
    if not connections[using].in_atomic_block:
        _committed()
        return
    hook = CommitHook(using, _committed)
    transaction.on_commit(hook, using=using)
    for runtime in live_runtimes():
        runtime.note_uncommitted_write(hook)


def _committed() -> None:
    for runtime in live_runtimes():
        runtime.note_committed()
