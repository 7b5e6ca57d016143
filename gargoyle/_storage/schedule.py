"""The ``ScheduledChange`` model: a change to a switch, to be made at a moment in the future.

What a schedule does when it is due, and the rule for a switch edited in between, belong to
the write pipeline (``gargoyle._writes.schedules``); the public path is
:mod:`gargoyle.schedules`. See docs/schedules.rst.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.change import SwitchChange
from gargoyle._storage.validation import KEY_MAX_LENGTH

__all__ = ["ScheduledChange", "as_utc"]


def as_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A stored moment in UTC: as it is with ``USE_TZ``, read on the site's wall clock
    (``TIME_ZONE``) without it, where Django stores naive local times."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(datetime.timezone.utc)


# The actions a schedule can take.
STATUS, ADD_CONDITION, REMOVE_CONDITION, SET_PERCENT = "status", "add_condition", "remove_condition", "set_percent"
#: Each action a schedule can take, and the arguments it needs.
ACTION_ARGUMENTS: dict[str, tuple[str, ...]] = {
    STATUS: ("status",),
    ADD_CONDITION: ("condition_set", "field", "condition", "exclude"),
    REMOVE_CONDITION: ("condition_set", "field", "condition"),
    SET_PERCENT: ("condition_set", "field", "condition"),
}

# Where a schedule stands.
PENDING, APPLIED, REFUSED, CANCELLED = "pending", "applied", "refused", "cancelled"


class ScheduledChange(models.Model):
    """One change to one switch, made when ``due_at`` comes (stored in UTC).

    ``action`` is one of ``status``, ``add_condition``, ``remove_condition`` and
    ``set_percent`` (replace the include conditions of a percent field with one range);
    ``arguments`` holds what it needs (see :data:`gargoyle.schedules.ACTION_ARGUMENTS`).
    ``scheduled_at`` is when it was made or last edited, and ``base_change`` the newest
    history entry then: a change to the switch recorded after it, other than a schedule's,
    makes it refused instead of applied. ``state`` is ``pending``, then ``applied``,
    ``refused`` (``outcome`` says why) or ``cancelled``; ``change`` is the history entry
    written when it applied.
    """

    ACTIONS = (
        (STATUS, _("set the status")),
        (ADD_CONDITION, _("add a condition")),
        (REMOVE_CONDITION, _("remove a condition")),
        (SET_PERCENT, _("set a percent range")),
    )
    STATES = (
        (PENDING, _("pending")),
        (APPLIED, _("applied")),
        (REFUSED, _("refused")),
        (CANCELLED, _("cancelled")),
    )

    switch_key = models.CharField(_("switch"), max_length=KEY_MAX_LENGTH, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=ACTIONS)
    arguments = models.JSONField(_("arguments"), default=dict)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=PENDING)
    scheduled_at = models.DateTimeField(_("scheduled"), default=now)
    #: The id of the newest history entry when it was made or last edited: a change recorded
    #: after it (a higher id) is newer than the schedule, whatever the hosts' clocks say.
    base_change = models.BigIntegerField(_("newest change when scheduled"), default=0)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scheduled_by_name = models.CharField(_("scheduled by (name)"), max_length=150, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    change = models.ForeignKey(
        SwitchChange, verbose_name=_("change"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "gargoyle"
        ordering = ("due_at", "id")
        default_permissions = ()
        verbose_name = _("scheduled change")
        verbose_name_plural = _("scheduled changes")
        indexes = [models.Index(fields=["state", "due_at"], name="gargoyle_schedule_due")]

    def __str__(self) -> str:
        return f"{self.switch_key}: {self.action} {self.arguments} at {self.due_at}"

    def as_row(self) -> dict[str, Any]:
        """The fields a reader needs, as plain values."""
        return {
            "id": self.pk,
            "key": self.switch_key,
            "action": self.action,
            "arguments": dict(self.arguments),
            "dueAt": as_utc(self.due_at),
            "state": self.state,
            "scheduledAt": as_utc(self.scheduled_at),
            "scheduledBy": self.scheduled_by_name,
            "resolvedAt": as_utc(self.resolved_at),
            "outcome": self.outcome,
            "changeId": self.change_id,
        }
