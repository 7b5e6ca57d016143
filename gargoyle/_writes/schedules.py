"""Scheduled changes: making, editing and cancelling them, and applying those that are due.

The public path is :mod:`gargoyle.schedules`; the rules are docs/schedules.rst's:

* A due schedule is applied at most once: each one is taken inside a write transaction
  (the version row locked first, as every writer does, then the schedule's row), and only
  while it is still pending. The change, its history entry and the schedule's new state
  commit together, so a process that dies half-way leaves it pending for the next one.
* A person's change to the switch after the schedule was made (or last edited) refuses it,
  with the reason recorded: a schedule never applies over a newer edit. Changes made by
  other schedules do not count (they were planned too).
* Making, editing and cancelling a schedule move the snapshot version, so every process
  learns when the next one is due (``next_due``) with the usual freshness.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gargoyle import signals
from gargoyle._authoring.ranges import Percent
from gargoyle._authoring.registry import ConditionSets, default_registry
from gargoyle._storage import values
from gargoyle._storage.change import VIA_ROLLOUT, VIA_SCHEDULE, SwitchChange
from gargoyle._storage.schedule import (
    ACTION_ARGUMENTS,
    ADD_CONDITION,
    APPLIED,
    CANCELLED,
    PENDING,
    REFUSED,
    REMOVE_CONDITION,
    SET_PERCENT,
    STATUS,
    ScheduledChange,
    as_utc,
)
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import lookup_field, validate_status
from gargoyle._writes.attribution import Automation, acting_for, made_by
from gargoyle._writes.describe import condition_name
from gargoyle._writes.history import recording
from gargoyle._writes.pipeline import switches_changed
from gargoyle.constants import GLOBAL

__all__ = ["apply_due", "cancel", "clean_arguments", "describe_action", "edit", "next_due", "schedule"]

logger = logging.getLogger("gargoyle")

#: How many due schedules one run applies; the rest wait for the next run.
BATCH = 100


# -- making, editing, cancelling ----------------------------------------------------------


def clean_arguments(action: str, arguments: Any, registry: ConditionSets | None = None) -> dict[str, Any]:
    """Check what ``action`` needs and return it normalised (a condition as its field stores it).

    :raises ~django.core.exceptions.ValidationError: naming the argument and the problem.
    """
    if action not in ACTION_ARGUMENTS:
        raise ValidationError(
            _("action: %(action)r is not one of %(actions)s."),
            params={"action": action, "actions": ", ".join(ACTION_ARGUMENTS)},
        )
    if not isinstance(arguments, dict):
        raise ValidationError(_("arguments: give the action's arguments as an object."))
    if action == STATUS:
        validate_status(arguments.get("status"))
        return {"status": arguments["status"]}
    set_id: Any = arguments.get("condition_set")  # checked by lookup_field, whatever was given
    field_name: Any = arguments.get("field")
    condition_set, field = lookup_field(registry or default_registry, set_id, field_name)
    if action == SET_PERCENT and not isinstance(field, Percent):
        raise ValidationError(
            _("field: %(set)s's %(field)r is not a percent field."),
            params={"set": condition_set.get_id(), "field": field.name},
        )
    cleaned: dict[str, Any] = {"condition_set": condition_set.get_id(), "field": field.name}
    condition = arguments.get("condition")
    if action == REMOVE_CONDITION:
        if not isinstance(condition, str) or not condition:
            raise ValidationError(_("condition: give the condition to remove, as text."))
        return {**cleaned, "condition": condition}
    cleaned["condition"] = field.clean(condition)
    if action == ADD_CONDITION:
        for flag in ("exclude", "required"):
            given = arguments.get(flag, False)
            if not isinstance(given, bool):
                raise ValidationError(
                    _("%(flag)s: pass true or false, not %(value)r."), params={"flag": flag, "value": given}
                )
            if given:
                cleaned[flag] = True
        cleaned.setdefault("exclude", False)
        values.condition_mode(cleaned["exclude"], cleaned.get("required", False))  # not both
    return cleaned


def describe_action(action: str, arguments: dict[str, Any]) -> str:
    """What a schedule will do, for people: ``"status → Global"``, ``"set User: Percent 25%
    (0-25)"``, ``"add exclude IP Address: 10.0.0.0/8"``, ``"remove User: Username bob"``."""
    if action == STATUS:
        labels: dict[Any, Any] = dict(Switch.STATUS_CHOICES)
        status = arguments.get("status")
        return gettext("status → %(status)s") % {"status": labels.get(status, status)}
    try:
        condition_set = default_registry.get_condition_set_by_id(arguments["condition_set"])
        name = condition_name(condition_set.get_namespace(), arguments["field"], arguments["condition"])
    except (KeyError, TypeError):  # a condition set no longer registered: say what is stored
        name = f"{arguments.get('condition_set')}: {arguments.get('field')} {arguments.get('condition')}"
    if action == SET_PERCENT:
        return gettext("set %(condition)s") % {"condition": name}
    if action == REMOVE_CONDITION:
        return gettext("remove %(condition)s") % {"condition": name}
    if arguments.get("exclude"):
        return gettext("add exclude %(condition)s") % {"condition": name}
    if arguments.get("required"):
        return gettext("add required %(condition)s") % {"condition": name}
    return gettext("add %(condition)s") % {"condition": name}


def _clean_due(due_at: Any, now: datetime.datetime) -> datetime.datetime:
    if not isinstance(due_at, datetime.datetime):
        raise ValidationError(_("due_at: give a date and time."))
    if settings.USE_TZ and timezone.is_naive(due_at):
        raise ValidationError(_("due_at: give a time with its time zone (%(due)s has none)."), params={"due": due_at})
    if not settings.USE_TZ and timezone.is_aware(due_at):
        due_at = timezone.make_naive(due_at, timezone.get_default_timezone())  # the site's wall clock, as Django
    if due_at <= now:
        raise ValidationError(_("due_at: %(due)s has passed; give a moment in the future."), params={"due": due_at})
    cleaned: datetime.datetime = due_at
    return cleaned


def _who(user: Any) -> dict[str, Any]:
    authenticated = user is not None and user.is_authenticated
    return {
        "scheduled_by": user if authenticated else None,
        "scheduled_by_name": user.get_username() if authenticated else "",
    }


def _alias(using: str | None) -> str:
    return using or router.db_for_write(ScheduledChange)


def schedule(
    key: str,
    action: str,
    arguments: dict[str, Any],
    due_at: datetime.datetime,
    *,
    user: Any = None,
    registry: ConditionSets | None = None,
    using: str | None = None,
) -> ScheduledChange:
    """Schedule a change of switch ``key`` for ``due_at`` (an aware datetime, in the future).

    :raises ~django.core.exceptions.ValidationError: for a switch that does not exist, an
        unknown action, bad arguments or a moment that has passed; nothing is stored then.
    """
    alias = _alias(using)
    arguments = clean_arguments(action, arguments, registry)
    due_at = _clean_due(due_at, timezone.now())
    with write_transaction(alias):
        if not Switch.objects.using(alias).filter(key=key).exists():
            raise ValidationError(_("key: there is no switch %(key)r."), params={"key": key})
        made = ScheduledChange.objects.using(alias).create(
            switch_key=key,
            action=action,
            arguments=arguments,
            due_at=due_at,
            base_change=SwitchChange.newest_id(alias),  # under the version lock: no write is in flight
            **_who(user),
        )
        switches_changed(alias)  # every process learns the new next_due
    return made


def _pending(schedule_id: Any, alias: str) -> ScheduledChange:
    found: ScheduledChange | None = (
        ScheduledChange.objects.using(alias).select_for_update().filter(pk=schedule_id).first()
        if isinstance(schedule_id, int) and not isinstance(schedule_id, bool)
        else None
    )
    if found is None:
        raise ValidationError(_("id: there is no scheduled change %(id)r."), params={"id": schedule_id})
    if found.state != PENDING:
        raise ValidationError(
            _("id: scheduled change %(id)s is already %(state)s."),
            params={"id": schedule_id, "state": found.get_state_display()},
        )
    return found


def edit(
    schedule_id: int,
    *,
    due_at: datetime.datetime | None = None,
    action: str | None = None,
    arguments: dict[str, Any] | None = None,
    user: Any = None,
    registry: ConditionSets | None = None,
    using: str | None = None,
) -> ScheduledChange:
    """Move a pending schedule, or change what it does. It counts as made again now: only a
    person's change to the switch after this edit refuses it.

    :raises ~django.core.exceptions.ValidationError: for an unknown or no longer pending
        schedule, or a bad new value; the schedule is left as it was.
    """
    alias = _alias(using)
    with write_transaction(alias):
        found = _pending(schedule_id, alias)
        new_action = found.action if action is None else action
        given = found.arguments if arguments is None else arguments
        found.arguments = clean_arguments(new_action, given, registry)
        found.action = new_action
        if due_at is not None:
            found.due_at = _clean_due(due_at, timezone.now())
        found.scheduled_at = timezone.now()
        found.base_change = SwitchChange.newest_id(alias)
        for name, value in _who(user).items():
            setattr(found, name, value)
        found.save()
        switches_changed(alias)
    return found


def cancel(schedule_id: int, *, user: Any = None, using: str | None = None) -> ScheduledChange:
    """Cancel a pending schedule; the outcome names who cancelled it.

    :raises ~django.core.exceptions.ValidationError: for an unknown or no longer pending schedule.
    """
    alias = _alias(using)
    with write_transaction(alias):
        found = _pending(schedule_id, alias)
        name = _who(user)["scheduled_by_name"]
        found.state, found.resolved_at = CANCELLED, timezone.now()
        found.outcome = gettext("cancelled by %(name)s") % {"name": name} if name else gettext("cancelled")
        found.save(update_fields=["state", "resolved_at", "outcome"])
        switches_changed(alias)
    return found


# -- applying -----------------------------------------------------------------------------


def next_due(using: str | None = None) -> datetime.datetime | None:
    """When the earliest pending schedule is due, or None."""
    found: datetime.datetime | None = (
        ScheduledChange.objects.using(_alias(using))
        .filter(state=PENDING)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return found


def apply_due(*, now: datetime.datetime | None = None, using: str | None = None) -> list[ScheduledChange]:
    """Apply (or refuse) every pending schedule due by ``now``, oldest first, each at most once.

    Safe to run from many processes at once. A schedule that cannot be applied for a reason
    that may pass (the database failing) is logged and stays pending, to be tried again by
    the next run; the others go on.

    :returns: the schedules this call resolved (applied or refused).
    """
    alias = _alias(using)
    now = now or timezone.now()
    due = ScheduledChange.objects.using(alias).filter(state=PENDING, due_at__lte=now).order_by("due_at", "pk")
    resolved = []
    for pk in list(due.values_list("pk", flat=True)[:BATCH]):
        try:
            found = _apply_one(pk, alias)
        except Exception as error:  # one schedule's failure is not the others'
            logger.error("gargoyle: could not apply scheduled change #%s: %s: %s", pk, type(error).__name__, error)
            continue
        if found is not None:
            resolved.append(found)
            _announce(found)
    return resolved


def _apply_one(pk: int, alias: str) -> ScheduledChange | None:
    with write_transaction(alias):  # the version row first: one lock order with every writer
        found = ScheduledChange.objects.using(alias).select_for_update().filter(pk=pk, state=PENDING).first()
        if found is None:
            return None  # applied or cancelled by another process meanwhile
        _resolve(found, alias)
    return found


def _resolve(found: ScheduledChange, alias: str) -> None:
    refusal = _refusal(found, alias)
    change = None
    if refusal is None:
        try:
            with transaction.atomic(using=alias):  # a savepoint: a refused change leaves no trace
                change = _make(found, alias)
        except ValidationError as error:
            refusal = " ".join(error.messages)
    found.state = REFUSED if refusal else APPLIED
    found.resolved_at = timezone.now()
    found.change = change
    found.outcome = refusal or (change.summary if change else gettext("nothing to change: the switch was already so"))
    found.save(update_fields=["state", "resolved_at", "change", "outcome"])


def _refusal(found: ScheduledChange, alias: str) -> str | None:
    """Why the schedule must not apply now, or None."""
    if not Switch.objects.using(alias).filter(key=found.switch_key).exists():
        return gettext("refused: the switch %(key)s no longer exists (deleted or renamed).") % {"key": found.switch_key}
    newer = (  # by id, not date: the hosts' clocks may disagree
        SwitchChange.objects.using(alias)
        .filter(switch_key=found.switch_key, pk__gt=found.base_change)
        .exclude(via=VIA_SCHEDULE)  # a plan of schedules builds on itself
        .order_by("-id")
        .first()
    )
    if newer is not None:
        return gettext("refused: %(who)s changed the switch after this was scheduled (%(what)s, %(when)s UTC).") % {
            "who": _who_made(newer),
            "what": newer.summary,
            "when": _utc(newer.date),
        }
    if found.scheduled_by_name and not _may_still(found):
        return gettext("refused: %(name)s may no longer make this change.") % {"name": found.scheduled_by_name}
    return None


def _who_made(change: SwitchChange) -> str:
    if change.via == VIA_ROLLOUT:  # a rollback, an abort: the rollout acts for its starter
        return gettext("a rollout") + (f" ({change.username})" if change.username else "")
    return change.username or gettext("someone")


def _may_still(found: ScheduledChange) -> bool:
    user = found.scheduled_by
    if user is None or not user.is_active or not user.has_perm("gargoyle.change_switch"):
        return False
    return found.action != STATUS or found.arguments["status"] != GLOBAL or user.has_perm("gargoyle.set_global")


def _utc(moment: datetime.datetime) -> str:
    found = as_utc(moment)
    return found.strftime("%Y-%m-%d %H:%M") if found else ""


def _make(found: ScheduledChange, alias: str) -> SwitchChange | None:
    """Make the schedule's change to the locked switch; the history entry it recorded, or None."""
    switch = Switch.objects.using(alias).select_for_update().get(key=found.switch_key)
    note = gettext("scheduled change #%(id)s, made by %(name)s at %(made)s UTC for %(due)s UTC") % {
        "id": found.pk,
        "name": found.scheduled_by_name or gettext("a command"),
        "made": _utc(found.scheduled_at),
        "due": _utc(found.due_at),
    }
    automation = Automation(VIA_SCHEDULE, note, found.scheduled_by, found.scheduled_by_name)
    with recording() as recorded, made_by(None), acting_for(automation):
        _act(switch, found.action, found.arguments)
    return recorded[-1] if recorded else None


def _act(switch: Switch, action: str, arguments: dict[str, Any]) -> None:
    if action == STATUS:
        if switch.status != arguments["status"]:
            switch.status = arguments["status"]
            switch.save()
        return
    ids = (default_registry, arguments["condition_set"], arguments["field"], arguments["condition"])
    if action == ADD_CONDITION:
        switch.add_condition(*ids, exclude=arguments["exclude"], required=arguments.get("required", False))
    elif action == REMOVE_CONDITION:
        switch.remove_condition(*ids)
    else:
        switch.set_percent(*ids)


def _announce(found: ScheduledChange) -> None:
    if found.state == REFUSED:
        logger.warning("gargoyle: scheduled change #%s of %r %s", found.pk, found.switch_key, found.outcome)
    signals.scheduled_change_resolved.send_robust(sender=ScheduledChange, schedule=found)
