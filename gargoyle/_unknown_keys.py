"""Keys checked with no stored switch: what such a check answers, and auto-create.

A check of an unknown key answers its ``GARGOYLE_SWITCH_DEFAULTS`` entry, else its nearest
stored ancestor, else the caller's default (docs/architecture.rst, Evaluation). With
auto-create on, the manager stores the key the first time a snapshot meets it, so it shows
in the panel. The manager keeps the state (the keys a snapshot has met) and the error
logging; this module holds the rules and the write. It imports no model at import time:
the manager is imported before Django's apps are ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from gargoyle._conf import get_settings
from gargoyle._runtime.engine import CompiledSwitch
from gargoyle._runtime.snapshot import Snapshot
from gargoyle._runtime.threads import run_outside_event_loop
from gargoyle.constants import INHERIT

if TYPE_CHECKING:  # the models cannot be imported before Django's apps are ready
    from gargoyle._storage.switch import Switch

#: How the manager evaluates a compiled switch (logging, not raising, a condition set's bug).
Evaluate = Callable[[CompiledSwitch, Iterable[Any], "bool | None"], "bool | None"]


def answer(
    snapshot: Snapshot,
    key: str,
    instances: Iterable[Any],
    default: bool | None,
    evaluate: Evaluate,
    record: Callable[[str, bool], None] | None = None,
) -> bool | None:
    """What a check of ``key``, which ``snapshot`` has no stored switch for, answers.

    :param record: called first, with the key and whether storing it must keep this answer
        (see :func:`store`), when the key is to be auto-created.
    """
    fallback = snapshot.fallbacks.get(key)
    ancestor = None if fallback is not None else snapshot.nearest_ancestor(key)
    if record is not None:
        record(key, fallback is None and (ancestor is not None or bool(default)))
    if fallback is not None:
        return evaluate(fallback, instances, default)
    if ancestor is None:
        return default
    inherited = evaluate(ancestor, instances, None)
    return default if inherited is None else inherited


def store(model: type[Switch], key: str, keeps_answer: bool) -> None:
    """Auto-create: store an unknown key once, so it shows in the panel.

    It is stored disabled (or as ``GARGOYLE_SWITCH_DEFAULTS`` says), except where that
    would change the answer callers get: a ``parent:child`` key, or a check with
    ``default=True``, is stored as INHERIT, which keeps answering the parent or default.
    Its label is the key, unless ``GARGOYLE_SWITCH_DEFAULTS`` gives one.

    :raises Exception: whatever refuses the key or the write; the caller logs it.
    """
    from gargoyle._storage.transactions import write_transaction
    from gargoyle._storage.validation import validate_key

    def create() -> None:
        validate_key(key)
        defaults = auto_created(key, status=INHERIT if keeps_answer else None)
        with write_transaction():
            model.objects.get_or_create(key=key, defaults=defaults)

    run_outside_event_loop(create)


def get_or_create(model: type[Switch], key: str) -> Switch:
    """The stored switch ``key``, stored first as auto-create does if there is none."""
    # Also callable from an async view: the row is created off the event loop.
    return run_outside_event_loop(lambda: model.objects.get_or_create(key=key, defaults=auto_created(key))[0])


def auto_created(key: str, status: int | None = None) -> dict[str, Any]:
    """The fields an auto-created switch is stored with, beyond its key.

    Its label is the key itself (what code asks for, not a guess at a title), unless
    ``GARGOYLE_SWITCH_DEFAULTS`` names a label, which the model fills in. ``status``
    overrides the status the model would pick.
    """
    fields: dict[str, Any] = {} if status is None else {"status": status}
    configured = get_settings().switch_defaults.get(key)
    if not (isinstance(configured, Mapping) and configured.get("label")):
        fields["label"] = key
    return fields
