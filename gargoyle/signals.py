"""Signals sent for every change to a switch, whoever makes it (panel, admin, commands,
model API, ``QuerySet.update``, fixtures).

Every signal is sent with ``sender=Switch`` (the model class), ``switch`` (the instance,
as saved) and ``request`` (the request making the change, when known: see
:func:`gargoyle.changes.made_by`; ``None`` otherwise). They are sent inside the writing
transaction, after the process's own snapshot sees the change; a save that changes
nothing sends none::

    from gargoyle.signals import switch_status_updated

    @receiver(switch_status_updated)
    def announce(sender, request, switch, status, old_status, **kwargs):
        ...
"""

import django.dispatch

#: Any write to a switch, once per write. Arguments: ``request``, ``switch``, ``before``
#: and ``after`` (the stored fields as dicts: key, label, description, status, value;
#: ``None`` before an addition and after a deletion). The history is built from it.
switch_changed = django.dispatch.Signal()

#: A switch was created. Arguments: ``request``, ``switch``.
switch_added = django.dispatch.Signal()

#: A switch was deleted. Arguments: ``request``, ``switch``.
switch_deleted = django.dispatch.Signal()

#: A switch's key, label or description changed. Arguments: ``request``, ``switch``,
#: ``changes`` (``{field: (old, new)}``).
switch_updated = django.dispatch.Signal()

#: A switch's status changed. Arguments: ``request``, ``switch``, ``status``, ``old_status``.
switch_status_updated = django.dispatch.Signal()

#: A condition was added. Arguments: ``request``, ``switch``, ``condition``
#: (``{"condition_set_id", "field_name", "value", "exclude", "mode"}``).
switch_condition_added = django.dispatch.Signal()

#: A condition was removed. Arguments as for ``switch_condition_added``.
switch_condition_removed = django.dispatch.Signal()

#: A process stored its usage counts (``GARGOYLE_USAGE``; see docs/measuring.rst): once per
#: flush with checks, from the flushing thread, after the write committed. Arguments:
#: ``counts`` (``{key: (on, off, defaults)}``, the checks since the previous flush). Sent
#: with ``sender=None``. For statsd or Prometheus counters: add each count to your own
#: metric here, rather than on every check.
usage_flushed = django.dispatch.Signal()

#: A scheduled change was resolved when it came due: applied or refused (see
#: docs/schedules.rst). Arguments: ``schedule`` (the :class:`~gargoyle.models.ScheduledChange`;
#: ``state`` is ``"applied"`` or ``"refused"``, ``outcome`` says what happened). Sent with
#: ``sender=ScheduledChange`` after the change committed; the change itself sends the signals
#: above like any other, with ``request=None``.
scheduled_change_resolved = django.dispatch.Signal()

#: A rollout's guard tripped (see docs/rollouts.rst): the exposed group's bad requests rose
#: beyond what the rollout tolerates, and it rolled back or paused. Arguments: ``rollout``
#: (the :class:`~gargoyle.models.Rollout`, as it now is; ``outcome`` says what it did) and
#: ``figures`` (the guard's figures of the metric that tripped: ``exposed_rate``,
#: ``control_rate``, ``exposed_requests``, ``control_requests``, ``z``, ``summary()``). Sent
#: with ``sender=Rollout`` after the rollback committed; ADMINS are mailed and the log has an
#: error too.
rollout_guard_tripped = django.dispatch.Signal()

#: A process's manager now answers from switches that changed (see docs/architecture.rst,
#: Freshness): sent once per reload that changed a stored switch, from the thread that
#: reloaded (a request's, at its version check), so keep receivers quick. Arguments:
#: ``changed`` (a frozenset of the keys added, changed or deleted). Sent with
#: ``sender=`` the :class:`~gargoyle.manager.SwitchManager`. The OpenFeature provider
#: (:mod:`gargoyle.openfeature`) turns it into its ``PROVIDER_CONFIGURATION_CHANGED`` event.
switches_reloaded = django.dispatch.Signal()
