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
#: (``{"condition_set_id", "field_name", "value", "exclude"}``).
switch_condition_added = django.dispatch.Signal()

#: A condition was removed. Arguments as for ``switch_condition_added``.
switch_condition_removed = django.dispatch.Signal()
