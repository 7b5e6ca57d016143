"""Progressive rollouts: the plan (``Rollout``), and what its guard counted (``RolloutSample``,
``RolloutSubject``).

What a rollout does at each evaluation (advance, wait, trip its guard) belongs to the write
pipeline (``gargoyle._writes.rollouts``); the public path is :mod:`gargoyle.rollouts`. See
docs/rollouts.rst.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, router, transaction
from django.db.models import F, Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from gargoyle._storage.validation import KEY_MAX_LENGTH

__all__ = ["Rollout", "RolloutSample", "RolloutSubject", "add_outcomes", "exposed_subjects", "samples_of"]

# Where a rollout stands: running and paused are "active" (at most one per switch).
RUNNING, PAUSED, COMPLETED, ROLLED_BACK, ABORTED = "running", "paused", "completed", "rolled_back", "aborted"
ACTIVE = (RUNNING, PAUSED)
# What a tripped guard does: back to 0 %, back to the previous stage (then paused), or pause.
ROLL_BACK, PREVIOUS_STAGE, PAUSE = "roll_back", "previous_stage", "pause"
#: The metric every guard watches: requests answered with a 5xx status (unhandled exceptions
#: included), among those where the switch answered on against those where it answered off.
ERRORS = "errors"


class Rollout(models.Model):
    """A switch's percent climbing through ``stages``, guarded by its error rate.

    ``stages`` is a list of ``{"percent", "hold", "min_exposed"}``: the share of subjects,
    the seconds to hold it at least, and how many distinct subjects must have been exposed
    (answered on) before it may widen. ``stage`` is the index of the current one, ``run``
    counts the stage's restarts (samples are kept per run, so a resumed stage starts
    afresh). The guard compares the share of bad requests (:data:`gargoyle.rollouts.ERRORS`, and ``metric``
    when the site reports one) where the switch answered on with that where it answered off.
    """

    STATES = (
        (RUNNING, _("running")),
        (PAUSED, _("paused")),
        (COMPLETED, _("completed")),
        (ROLLED_BACK, _("rolled back")),
        (ABORTED, _("aborted")),
    )
    ON_TRIP = (
        (ROLL_BACK, _("roll back to 0 %")),
        (PREVIOUS_STAGE, _("go back to the previous stage and pause")),
        (PAUSE, _("pause")),
    )

    switch_key = models.CharField(_("switch"), max_length=KEY_MAX_LENGTH, db_index=True)
    condition_set = models.CharField(_("condition set"), max_length=255)
    field = models.CharField(_("percent field"), max_length=64)
    stages = models.JSONField(_("stages"))
    stage = models.PositiveSmallIntegerField(_("stage"), default=0)
    run = models.PositiveIntegerField(_("run"), default=1)
    state = models.CharField(_("state"), max_length=12, choices=STATES, default=RUNNING)
    on_trip = models.CharField(_("when the guard trips"), max_length=16, choices=ON_TRIP, default=ROLL_BACK)
    max_increase = models.FloatField(_("largest tolerated rise of the error rate"), default=0.01)
    min_requests = models.PositiveIntegerField(_("requests per group before judging"), default=200)
    metric = models.CharField(_("metric reported by the site"), max_length=64, blank=True)
    stage_started_at = models.DateTimeField(_("stage started"), default=now)
    next_evaluation_at = models.DateTimeField(_("next evaluation"), default=now)
    last_step_at = models.DateTimeField(_("last step"), default=now)
    #: The newest history entry after the rollout's last step: a change recorded after it
    #: that is not the rollout's own pauses the rollout.
    last_step_change = models.BigIntegerField(_("newest change at the last step"), default=0)
    created_at = models.DateTimeField(_("created"), default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_name = models.CharField(_("created by (name)"), max_length=150, blank=True)
    outcome = models.TextField(_("latest decision"), blank=True)
    figures = models.JSONField(_("guard figures"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        app_label = "gargoyle"
        ordering = ("-created_at", "-id")
        default_permissions = ()
        verbose_name = _("rollout")
        verbose_name_plural = _("rollouts")
        indexes = [models.Index(fields=["state", "next_evaluation_at"], name="gargoyle_rollout_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["switch_key"], condition=Q(state__in=ACTIVE), name="gargoyle_one_active_rollout"
            )
        ]

    def __str__(self) -> str:
        return f"{self.switch_key}: stage {self.stage + 1} of {len(self.stages)} ({self.state})"

    @property
    def percent(self) -> Any:
        """The current stage's percent."""
        return self.stages[self.stage]["percent"]


class RolloutSample(models.Model):
    """How many requests of one stage run answered on (``exposed``) or off, and how many of
    them were bad, for one metric. Each process adds its counts at every usage flush."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="samples")
    run = models.PositiveIntegerField()
    exposed = models.BooleanField()
    metric = models.CharField(max_length=64)
    requests = models.BigIntegerField(default=0)
    bad = models.BigIntegerField(default=0)

    class Meta:
        app_label = "gargoyle"
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["rollout", "run", "exposed", "metric"], name="gargoyle_rollout_sample_unique"
            )
        ]

    def __str__(self) -> str:
        group = "on" if self.exposed else "off"
        return f"rollout {self.rollout_id} run {self.run} {group}: {self.bad}/{self.requests} {self.metric}"


class RolloutSubject(models.Model):
    """One distinct subject exposed during a stage run (a digest of a user id or an address):
    stored until the stage's ``min_exposed`` is reached, no further."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="subjects")
    run = models.PositiveIntegerField()
    digest = models.CharField(max_length=32)

    class Meta:
        app_label = "gargoyle"
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["rollout", "run", "digest"], name="gargoyle_rollout_subject_unique")
        ]

    def __str__(self) -> str:
        return f"rollout {self.rollout_id} run {self.run}: {self.digest}"


def add_outcomes(
    samples: dict[tuple[int, int, bool, str], list[int]],
    subjects: dict[tuple[int, int], set[str]],
    using: str | None = None,
) -> None:
    """Add one process's counts (``(rollout id, run, exposed, metric) -> [requests, bad]``)
    and exposed subjects' digests, in one transaction; rows of ended rollouts are skipped."""
    alias = using or router.db_for_write(RolloutSample)
    with transaction.atomic(using=alias):
        # A write first (matching no row): on SQLite a transaction that reads before it writes
        # is refused at once when another writes, where one that writes first waits its turn.
        RolloutSample.objects.using(alias).filter(rollout_id=0).update(requests=F("requests"))
        known = set(
            Rollout.objects.using(alias)
            .filter(pk__in={key[0] for key in samples} | {run[0] for run in subjects})
            .values_list("pk", flat=True)
        )
        for (rollout_id, run, exposed, metric), (requests, bad) in sorted(samples.items()):
            if rollout_id not in known:
                continue
            rows = RolloutSample.objects.using(alias).filter(
                rollout_id=rollout_id, run=run, exposed=exposed, metric=metric
            )
            if rows.update(requests=F("requests") + requests, bad=F("bad") + bad):
                continue
            try:
                with transaction.atomic(using=alias):  # another process may create it at the same time
                    RolloutSample.objects.using(alias).create(
                        rollout_id=rollout_id, run=run, exposed=exposed, metric=metric, requests=requests, bad=bad
                    )
            except IntegrityError:
                rows.update(requests=F("requests") + requests, bad=F("bad") + bad)
        RolloutSubject.objects.using(alias).bulk_create(
            [
                RolloutSubject(rollout_id=rollout_id, run=run, digest=digest)
                for (rollout_id, run), digests in sorted(subjects.items())
                if rollout_id in known
                for digest in sorted(digests)
            ],
            ignore_conflicts=True,
        )


def samples_of(rollout: Rollout) -> dict[tuple[bool, str], tuple[int, int]]:
    """The current stage run's counts: ``(exposed, metric) -> (requests, bad)``."""
    rows = RolloutSample.objects.using(rollout._state.db).filter(rollout=rollout, run=rollout.run)
    return {(row.exposed, row.metric): (row.requests, row.bad) for row in rows}


def exposed_subjects(rollout: Rollout) -> int:
    """How many distinct subjects the current stage run exposed (counted up to its minimum)."""
    count: int = RolloutSubject.objects.using(rollout._state.db).filter(rollout=rollout, run=rollout.run).count()
    return count
