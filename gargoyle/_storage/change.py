"""The ``SwitchChange`` model: one recorded write to one switch.

The write pipeline's history (``gargoyle._writes.history``) records and restores them; the
public path is :mod:`gargoyle.history`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.validation import KEY_MAX_LENGTH

__all__ = ["SwitchChange"]

#: ``SwitchChange.via`` of a change a person (or code of theirs) made, a schedule's, a rollout's.
#: (No ``choices``: a new kind of automation needs no migration.)
BY_PERSON, VIA_SCHEDULE, VIA_ROLLOUT = "", "schedule", "rollout"
#: ``SwitchChange.via`` of a change ``manage.py sync_switches`` made (``GARGOYLE_SWITCHES``).
VIA_SYNC = "sync_switches"


class SwitchChange(models.Model):
    """One write to one switch, with the state before and after it.

    ``before`` and ``after`` hold the switch's ``key``, ``label``, ``description``,
    ``status`` and ``value`` (``None`` before an addition and after a deletion). ``user``
    and ``username`` say who made the change, when it was made through a request; the
    username is kept when the user is deleted. ``restored_from`` points at the change
    that a rollback restored. ``via`` says whether a person or a machine (a schedule)
    made it, and ``note`` why: a machine's change names the person it acts for in
    ``user``. Newest first by default.
    """

    switch_key = models.CharField(_("switch"), max_length=KEY_MAX_LENGTH, db_index=True)
    date = models.DateTimeField(_("when"), default=now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)  # kept when the user is deleted
    summary = models.TextField(_("what"))
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    restored_from = models.ForeignKey(
        "self", verbose_name=_("restored from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: What made the change: "" a person (or code), ``"schedule"`` a scheduled change applied.
    via = models.CharField(_("made by"), max_length=16, blank=True, default="")
    #: Why a machine made it: which schedule, for whom (empty for a person's change).
    note = models.TextField(_("note"), blank=True, default="")

    @classmethod
    def newest_id(cls, using: str | None = None) -> int:
        """The id of the newest history entry (0 without any): a marker that later entries pass."""
        found: int | None = cls.objects.using(using).aggregate(newest=models.Max("id"))["newest"]
        return found or 0

    class Meta:
        app_label = "gargoyle"
        ordering = ("-date", "-id")
        default_permissions = ()
        verbose_name = _("switch change")
        verbose_name_plural = _("switch changes")

    def __str__(self) -> str:
        return f"{self.switch_key}: {self.summary}"
