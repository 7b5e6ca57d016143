"""``SwitchManager``: the public API (``gargoyle.is_active``, the registry; the mapping access
to the stored switches is ``gargoyle/_switch_mapping.py``).

``gargoyle`` is the process-wide manager. ``is_active`` reads the in-process snapshot: no
SQL and no cache round trip, except the version check its runtime runs at most once per
request (``gargoyle/_runtime/loader.py``). The manager is the top of the layers
(docs/architecture.rst): the only place that knows both a registry of condition sets and a
runtime, and it holds them rather than inheriting from them.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from time import monotonic
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.apps import apps

from gargoyle import _unknown_keys as unknown_keys
from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._authoring.fields import Field
from gargoyle._authoring.registry import ConditionRegistry, default_registry
from gargoyle._conf import get_settings
from gargoyle._runtime import exposure, usage
from gargoyle._runtime.engine import CompiledSwitch
from gargoyle._runtime.exposure import checked
from gargoyle._runtime.loader import SnapshotRuntime
from gargoyle._runtime.snapshot import Snapshot, try_compile_rules
from gargoyle._runtime.subjects import async_subjects_of
from gargoyle._switch_mapping import StoredSwitchMapping
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, REQUIRE, SELECTIVE
from gargoyle.signals import switches_reloaded
from gargoyle.upgrade import Notice, answer_changes, stored_notices

if TYPE_CHECKING:  # the models cannot be imported before Django's apps are ready
    from gargoyle._storage.switch import Switch

logger = logging.getLogger("gargoyle")


class SwitchManager(StoredSwitchMapping):
    """Evaluates switches and holds the registry of condition sets.

    Most code uses the process-wide instance, :data:`gargoyle.gargoyle`. Build your own
    only to keep a separate registry (old test suites do). The constructor keeps
    gargoyle-yplan's signature: ``SwitchManager(Switch, key='key', value='value',
    instances=True, auto_create=True)``.

    It is also a mapping of the stored switches: ``gargoyle[key]``, ``key in gargoyle``,
    ``len(gargoyle)``, iteration over the keys, :meth:`get`, :meth:`keys`, :meth:`values`,
    :meth:`items`, and ``del gargoyle[key]`` to delete one.

    :param model: the switch model, or its ``"app_label.ModelName"``.
    :param key: kept for compatibility (the name of the key field); not used.
    :param value: kept for compatibility (the name of the value field); not used.
    :param instances: kept for compatibility; not used.
    :param auto_create: record unknown keys when they are first checked. Off unless given,
        as in gargoyle-yplan; ``None`` follows ``GARGOYLE_AUTO_CREATE``, as the
        process-wide manager does.
    :param cache: a cache alias or cache instance for the version token (default: the
        ``GARGOYLE_CACHE_NAME`` setting).
    :param timeout: the version check interval in seconds (default: the
        ``GARGOYLE_CHECK_INTERVAL`` setting).
    :param registry: the registry of condition sets (default: a new, empty one; the
        process-wide manager's is the one ``gargoyle.builtins`` registers into).
    :param kwargs: ignored, as gargoyle-yplan's extra arguments are.
    """

    #: :data:`gargoyle.constants.DISABLED`, as gargoyle-yplan's manager offered it.
    DISABLED = DISABLED
    #: :data:`gargoyle.constants.SELECTIVE`.
    SELECTIVE = SELECTIVE
    #: :data:`gargoyle.constants.GLOBAL`.
    GLOBAL = GLOBAL
    #: :data:`gargoyle.constants.INHERIT`.
    INHERIT = INHERIT
    #: :data:`gargoyle.constants.INCLUDE`.
    INCLUDE = INCLUDE
    #: :data:`gargoyle.constants.EXCLUDE`.
    EXCLUDE = EXCLUDE
    #: :data:`gargoyle.constants.REQUIRE`.
    REQUIRE = REQUIRE

    def __init__(
        self,
        model: type[Switch] | str = "gargoyle.Switch",
        key: str = "key",
        value: str = "value",
        instances: bool = True,
        auto_create: bool | None = False,
        cache: Any = None,
        timeout: float | None = None,
        registry: ConditionRegistry | None = None,
        **kwargs: Any,
    ) -> None:
        self._model = model
        self.key = key
        self.value = value
        self.instances = instances
        self._auto_create_arg = auto_create
        self._registry = ConditionRegistry() if registry is None else registry
        self._seen_unknown: set[str] = set()
        self._upgrade_report: tuple[Snapshot, dict[str, list[Notice]]] | None = None
        self._rows_heard: Mapping[str, Any] | None = None  # the rows switches_reloaded last told of
        # The runtime calls back without keeping the manager alive (a dropped manager is freed
        # at once, and stops hearing writes), and looks the methods up per call (subclasses
        # and tests may replace them).
        self._runtime = SnapshotRuntime(
            load_rows=_calling(self, "_load_rows"),
            read_version=_read_db_version,
            namespaces=_calling(self, "namespaces"),
            on_reload=_calling(self, "_reloaded"),
            cache=cache,
            check_interval=timeout,
            read_next_due=_read_next_due,
            on_due=_apply_due_schedules,
            read_rollouts=_read_rollouts,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._registry!r}>"

    @property
    def model(self) -> type[Switch]:
        """The switch model class (a string given to the constructor is resolved on first use)."""
        if isinstance(self._model, str):
            self._model = apps.get_model(self._model)
        return self._model

    @property
    def auto_create(self) -> bool:
        """Whether unknown keys are recorded when first checked (see the constructor)."""
        if self._auto_create_arg is None:
            return get_settings().auto_create
        return bool(self._auto_create_arg)

    # -- evaluation ---------------------------------------------------------------------------

    def is_active(self, key: str, *instances: Any, default: bool | None = False, **kwargs: Any) -> bool | None:
        """Whether switch ``key`` is on for ``instances``.

        >>> gargoyle.is_active('my_feature', request)

        It reads this process's snapshot of the switches: no SQL, no cache round trip. It
        never raises: a switch whose conditions cannot be evaluated answers ``default``
        (and the problem is logged once).

        :param key: the switch's key; ``parent:child`` keys follow their parent.
        :param instances: the subjects to judge: requests, users, or any object a
            registered condition set can judge. A request with a ``user`` also counts as
            that user. With none, only the subject-free condition sets (host, dates) apply.
        :param default: the answer for a key with no stored switch (and no
            ``GARGOYLE_SWITCH_DEFAULTS`` entry), or whose conditions cannot be evaluated.
        :param kwargs: ignored, as gargoyle-yplan ignored them.
        :returns: ``True`` or ``False``; ``default`` in the cases above.
        """
        runtime = self._runtime
        snapshot = runtime.snapshot if monotonic() < runtime.fresh_until else runtime.current()
        try:
            switch = snapshot.switches.get(key)
        except TypeError:  # an unhashable key names no switch
            return default
        if switch is None:
            return self._unknown_switch(snapshot, key, instances, default)
        if switch.constant is not None:
            if switch.tally is not None:  # GARGOYLE_USAGE: one count in memory, stored later
                switch.tally[switch.constant] += 1
            exposed = checked.get()
            if exposed is not None:  # SwitchExposureMiddleware: the request remembers the answer
                exposed[key] = switch.constant
            return switch.constant
        return self._evaluate(switch, instances, default)

    async def ais_active(self, key: str, *instances: Any, default: bool | None = False) -> bool | None:
        """:meth:`is_active` for async code: ``await gargoyle.ais_active(key, request)``.

        The same arguments and answer; ``request.user`` is loaded without blocking the
        event loop.
        """
        runtime = self._runtime
        snapshot = runtime.snapshot
        if monotonic() >= runtime.fresh_until:
            # In the thread that runs sync code: its own uncommitted writes are visible there.
            snapshot = await sync_to_async(runtime.current)()
        switch = snapshot.switches.get(key) if isinstance(key, str) else None
        if switch is not None and switch.constant is not None:
            return self._answered(switch, switch.constant)
        try:
            subjects = await async_subjects_of(instances)
        except Exception as error:  # e.g. the session store is down: answer like a failed condition
            self._log_once(str(key), error)
            return default
        if switch is None:
            return self._unknown_switch(snapshot, key, subjects, default)
        return self._evaluate(switch, subjects, default)

    def _evaluate(self, switch: CompiledSwitch, instances: Iterable[Any], default: bool | None) -> bool | None:
        return self._answered(switch, self._judge(switch, instances, default))

    def _judge(self, switch: CompiledSwitch, instances: Iterable[Any], default: bool | None) -> bool | None:
        """The switch's answer, neither counted nor recorded (a condition set's bug: ``default``)."""
        try:
            return switch.evaluate(instances, default)
        except Exception as error:  # a condition set's bug affects only this switch
            self._log_once(switch.key, error)
            return default

    @staticmethod
    def _answered(switch: CompiledSwitch, answer: bool | None) -> bool | None:
        """Count ``answer`` and record it for the request (``is_active`` does both inline)."""
        tally = switch.tally
        if tally is not None:  # constant indexes: cheaper than tally[answer] (a default may be None)
            if answer is True:
                tally[1] += 1
            elif answer is False:
                tally[0] += 1
        exposure.record(switch.key, answer)
        return answer

    def _unknown_switch(
        self, snapshot: Snapshot, key: str, instances: Iterable[Any], default: bool | None
    ) -> bool | None:
        if not isinstance(key, str):
            return default
        record = None
        if snapshot.loaded and key not in self._seen_unknown:
            self._seen_unknown.add(key)  # once per key and snapshot, recorded or not
            record = self._record_switch if self.auto_create else None
        # Judged quietly: a parent asked on a child's behalf is not counted or recorded itself.
        answer = unknown_keys.answer(snapshot, key, instances, default, self._judge, record)
        fallback = snapshot.fallbacks.get(key)
        if fallback is not None:  # a GARGOYLE_SWITCH_DEFAULTS key, not stored yet: its own counts
            return self._answered(fallback, answer)
        if get_settings().usage:
            usage.counter.count_default(key)  # no switch stored under the key asked for
        exposure.record(key, answer)
        return answer

    def _record_switch(self, key: str, keeps_answer: bool) -> None:
        """Auto-create ``key`` (:func:`gargoyle._unknown_keys.store`), logging a failure once."""
        try:
            unknown_keys.store(self.model, key, keeps_answer)
        except Exception as error:
            self._log_once(key, error)

    def _log_once(self, key: str, error: Exception) -> None:
        self._runtime.warn_once(key, type(error).__name__, f"{type(error).__name__}: {error}")

    # -- the runtime ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the switches now, whatever the version says.

        Only needed after writing the table with raw SQL: every other way of writing
        switches is noticed without it.
        """
        self._runtime.refresh()

    def _reloaded(self) -> None:
        """After every reload: forget the unknown keys met, and tell who listens what changed."""
        self._seen_unknown.clear()
        snapshot, previous = self._runtime.snapshot, self._rows_heard
        rows = snapshot.rows
        if rows is previous or not snapshot.loaded:
            return
        self._rows_heard = rows
        if previous is not None and switches_reloaded.has_listeners(self):  # not for the first load
            changed = frozenset(key for key in rows.keys() | previous.keys() if rows.get(key) != previous.get(key))
            if changed:
                switches_reloaded.send_robust(sender=self, changed=changed)

    def running_rollouts(self) -> Mapping[str, Any]:
        """The running rollouts by switch key, whose requests the exposure middleware counts
        (read at each reload: no query)."""
        return self._runtime.due.rollouts

    def _current_snapshot(self) -> Snapshot:
        # What this thread answers from now: for the mapping methods, the reports and the
        # preview (gargoyle.preview), which explain answers. is_active reads it more directly.
        return self._runtime.current()

    def push_overrides(self, overrides: dict[str, bool]) -> None:
        """Force switches on or off in this process, on top of the stored ones.

        Used by :class:`gargoyle.testutils.switches`; the latest layer wins.

        :param overrides: ``{key: True or False}``; keep the dict to pass it to
            :meth:`pop_overrides`.
        """
        self._runtime.push_overrides(overrides)

    def pop_overrides(self, overrides: dict[str, bool]) -> None:
        """Remove a layer given to :meth:`push_overrides` (the same dict object)."""
        self._runtime.pop_overrides(overrides)

    def _load_rows(self) -> list[dict[str, Any]]:
        from gargoyle._storage.querysets import ROW_FIELDS

        return list(self.model._base_manager.values(*ROW_FIELDS))

    def problems(self) -> dict[str, str]:
        """Switches whose stored conditions cannot be used, with the reason.

        :returns: ``{key: reason}`` for the selective switches, which answer their callers'
            default; :meth:`problem_of` checks a switch of any status.
        """
        return dict(self._current_snapshot().problems)

    def problem_of(self, switch: Switch) -> str | None:
        """Why ``switch``'s stored conditions cannot be used, or None if they can.

        Checked whatever its status: a switch that is not selective does not use its
        conditions, but would once made selective, so staff should hear of it first.
        """
        problem = self._current_snapshot().problems.get(switch.key)
        if problem is not None or switch.status == SELECTIVE or not switch.value:
            return problem
        return try_compile_rules(switch.key, switch.value, self.namespaces())[1]

    def upgrade_changes(self) -> dict[str, list[Notice]]:
        """The switches carried over from gargoyle-yplan whose answers changed, with why.

        Computed once per snapshot (see :func:`gargoyle.upgrade.answer_changes`).

        :returns: ``{key: [Notice, ...]}`` for the switches not yet marked reviewed.
        """
        snapshot = self._current_snapshot()
        cached = self._upgrade_report
        if cached is None or cached[0] is not snapshot:
            report = answer_changes(
                snapshot.rows.values(), self.namespaces(), legacy_percent=get_settings().legacy_percent
            )
            cached = self._upgrade_report = (snapshot, report)
        return cached[1]

    def notices_of(self, switch: Switch) -> list[Notice]:
        """What staff should know about ``switch``: stored values the model would refuse today
        (:func:`~gargoyle.upgrade.stored_notices`), and answers changed at the upgrade."""
        stored = {name: getattr(switch, name) for name in ("key", "status", "label", "description")}
        changes = self.upgrade_changes().get(switch.key, []) if switch.carried_over else []
        return stored_notices(stored) + changes

    # -- the registry -------------------------------------------------------------------------

    def register(self, condition_set: ConditionSet | type[ConditionSet]) -> Any:
        """Register a condition set, so switches can have its conditions.

        Usable as a class decorator. Registering a set with the id of a registered one
        replaces it.

        :param condition_set: a :class:`~gargoyle.conditions.ConditionSet` instance, or a
            class whose constructor takes no argument (it is instantiated).
        :returns: ``condition_set``, unchanged.
        """
        self._registry.register(condition_set)
        self._runtime.rebuild()
        return condition_set

    def unregister(self, condition_set: ConditionSet | type[ConditionSet] | str) -> bool:
        """Unregister a condition set.

        :param condition_set: the condition set instance, its id, or a class whose
            constructor takes no argument.
        :returns: whether it was registered.
        """
        found = self._registry.unregister(condition_set)
        self._runtime.rebuild()
        return found

    def get_condition_set_by_id(self, switch_id: str) -> ConditionSet:
        """The registered condition set with this id.

        :param switch_id: a condition set id, e.g. ``"gargoyle.builtins.HostConditionSet"``
            (the name is gargoyle-yplan's).
        :raises KeyError: if no registered condition set has this id.
        """
        return self._registry.get_condition_set_by_id(switch_id)

    def get_condition_sets(self) -> list[ConditionSet]:
        """Every registered condition set, in the order they were registered."""
        return self._registry.get_condition_sets()

    def get_all_conditions(self) -> Iterator[tuple[str, str, Field]]:
        """Yield ``(condition_set_id, group_label, field)`` for every registered field.

        Condition sets come by group label; each set's fields in declaration order.
        """
        return self._registry.get_all_conditions()

    def namespaces(self) -> dict[str, list[ConditionSet]]:
        """The registered condition sets by the namespace their conditions are stored under.

        :returns: ``{namespace: [condition set, ...]}``.
        """
        return self._registry.namespaces()


def _calling(manager: SwitchManager, name: str) -> Callable[[], Any]:
    """A function that calls ``manager.<name>()``, holding the manager by a weak reference."""
    reference = weakref.ref(manager)

    def call() -> Any:
        target = reference()
        if target is None:
            raise ReferenceError("the manager of this runtime has been garbage-collected")
        return getattr(target, name)()

    return call


def _read_db_version() -> int | None:
    from gargoyle._storage.version import read_db_version

    return read_db_version()


def _read_next_due() -> float | None:
    from gargoyle.schedules import next_due_timestamp

    return next_due_timestamp(rollouts=False)  # the runtime reads the rollouts' own


def _read_rollouts() -> dict[str, Any]:
    from gargoyle._writes.rollout_evaluation import active_rollouts

    return active_rollouts()


def _apply_due_schedules(then: Callable[[float | None], None]) -> None:
    from gargoyle.schedules import apply_in_background

    apply_in_background(then)


#: The process-wide manager, also importable as ``from gargoyle import gargoyle``.
gargoyle = SwitchManager("gargoyle.Switch", auto_create=None, registry=default_registry)
