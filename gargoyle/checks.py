"""System checks: settings that cannot work, and stored switches that cannot be evaluated."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError, router

from gargoyle._conf import (
    DEFAULTS,
    MIN_API_TOKEN_LENGTH,
    get_settings,
    is_valid_cache_timeout,
    is_valid_check_interval,
    is_valid_flush_interval,
    is_valid_history_retention,
    is_valid_keys,
    is_valid_rollout_speed,
    is_valid_stale_days,
    is_valid_usage_retention,
)
from gargoyle._integration_checks import MIDDLEWARE as _MIDDLEWARE
from gargoyle._integration_checks import check_integrations, check_open_standards
from gargoyle._storage.validation import KEY_MAX_LENGTH, validate_description, validate_label
from gargoyle.constants import SELECTIVE, STATUSES
from gargoyle.declarations import check_declared_switches
from gargoyle.qa import check_qa_overrides
from gargoyle.visitors import check_visitor_settings

__all__ = [
    "announce_upgrade",
    "check_declared_switches",
    "check_integrations",
    "check_open_standards",
    "check_qa_overrides",
    "check_rollouts",
    "check_settings",
    "check_stale_switches",
    "check_stored_switches",
    "check_switch_defaults",
    "check_upgrade",
    "check_usage_settings",
    "check_visitor_settings",
]


def check_switch_defaults(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check ``GARGOYLE_SWITCH_DEFAULTS``: ``gargoyle.001`` and ``gargoyle.E002``.

    :returns: a warning for each default that gives both ``is_active`` and
        ``initial_status``, an error for each that cannot work.
    """
    messages: list[CheckMessage] = []
    defaults = getattr(settings, "GARGOYLE_SWITCH_DEFAULTS", {})
    if not isinstance(defaults, dict):
        return [Error("GARGOYLE_SWITCH_DEFAULTS must be a dict of {key: {...}}.", id="gargoyle.E002")]
    for key, default in defaults.items():
        where = f"settings.GARGOYLE_SWITCH_DEFAULTS[{key!r}]"
        if not isinstance(default, dict):
            messages.append(Error("Each switch default must be a dict.", hint=where, id="gargoyle.E002"))
            continue
        if "is_active" in default and "initial_status" in default:
            messages.append(
                Warning(
                    '"is_active" will take precedence over "initial_status" in GARGOYLE_SWITCH_DEFAULTS.',
                    hint=where,
                    id="gargoyle.001",
                )
            )
        messages.extend(_default_errors(key, default, where))
    return messages


def _default_errors(key: Any, default: dict[str, Any], where: str) -> list[CheckMessage]:
    problems = []
    if not isinstance(key, str) or not 0 < len(key) <= KEY_MAX_LENGTH:
        problems.append(f"the key must be a string of 1 to {KEY_MAX_LENGTH} characters")
    if "is_active" in default and not isinstance(default["is_active"], bool):
        problems.append('"is_active" must be True or False')
    status = default.get("initial_status")
    if "initial_status" in default and (isinstance(status, bool) or status not in STATUSES):
        problems.append('"initial_status" must be one of gargoyle.constants DISABLED, SELECTIVE, GLOBAL, INHERIT')
    for name, validate in (("label", validate_label), ("description", validate_description)):
        try:
            validate(default.get(name))
        except ValidationError as error:
            problems.append(f'"{name}" cannot be stored: {" ".join(error.messages)}')
    unknown = set(default) - {"is_active", "initial_status", "label", "description"}
    if unknown:
        problems.append(f"unknown entries {sorted(unknown)}")
    return [Error(f"Invalid switch default: {problem}.", hint=where, id="gargoyle.E002") for problem in problems]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the other settings: ``gargoyle.E003``, ``E004``, ``E006``, ``E009``, ``E010``,
    ``E019`` and ``W020``.

    :returns: errors for a ``GARGOYLE_CACHE_NAME`` that is not in ``CACHES``, a
        ``GARGOYLE_CHECK_INTERVAL`` that is not a number of seconds, a
        ``GARGOYLE_CACHE_TIMEOUT`` that is neither ``None`` nor a number of seconds above 0,
        ``GARGOYLE_API_TOKENS`` that are not long tokens mapped to usernames, and a
        ``GARGOYLE_HISTORY_RETENTION`` that is neither ``None`` nor a whole number of days,
        and a ``GARGOYLE_ROLLOUT_SPEED`` that is not a number above 0 (a warning for one other
        than 1 outside ``DEBUG``).
    """
    messages: list[CheckMessage] = []
    cache_name = getattr(settings, "GARGOYLE_CACHE_NAME", "default")
    if not isinstance(cache_name, str) or cache_name not in settings.CACHES:
        messages.append(
            Error(f"GARGOYLE_CACHE_NAME {cache_name!r} is not a cache in settings.CACHES.", id="gargoyle.E003")
        )
    if not is_valid_check_interval(getattr(settings, "GARGOYLE_CHECK_INTERVAL", 5)):
        messages.append(Error("GARGOYLE_CHECK_INTERVAL must be a number of seconds, 0 or more.", id="gargoyle.E004"))
    if not is_valid_cache_timeout(getattr(settings, "GARGOYLE_CACHE_TIMEOUT", DEFAULTS["GARGOYLE_CACHE_TIMEOUT"])):
        messages.append(
            Error(
                "GARGOYLE_CACHE_TIMEOUT must be a number of seconds above 0, or None.",
                hint="None leaves the cache's own timeouts, which may be none at all.",
                id="gargoyle.E009",
            )
        )
    tokens = getattr(settings, "GARGOYLE_API_TOKENS", {})
    if not isinstance(tokens, dict) or not all(
        # Headers arrive as Latin-1 text: a token with other characters could never match.
        isinstance(token, str) and len(token) >= MIN_API_TOKEN_LENGTH and token.isascii() and isinstance(user, str)
        for token, user in tokens.items()
    ):
        messages.append(
            Error(
                f"GARGOYLE_API_TOKENS must map ASCII tokens of at least {MIN_API_TOKEN_LENGTH} characters to "
                "usernames.",
                hint="Make a token with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="gargoyle.E006",
            )
        )
    retention = getattr(settings, "GARGOYLE_HISTORY_RETENTION", DEFAULTS["GARGOYLE_HISTORY_RETENTION"])
    if not is_valid_history_retention(retention):
        messages.append(
            Error(
                f"GARGOYLE_HISTORY_RETENTION must be a whole number of days, 1 or more, or None (got {retention!r}).",
                hint="None keeps the switch history forever. `manage.py prune_switch_history --apply`, run from "
                "cron, deletes the entries older than this many days.",
                id="gargoyle.E010",
            )
        )
    return messages + _rollout_speed_messages()


def _rollout_speed_messages() -> list[CheckMessage]:
    """``gargoyle.E019`` for a speed that is not a number above 0; ``W020`` for a fast clock
    outside ``DEBUG`` (a demo's setting left in production)."""
    speed = getattr(settings, "GARGOYLE_ROLLOUT_SPEED", DEFAULTS["GARGOYLE_ROLLOUT_SPEED"])
    if not is_valid_rollout_speed(speed):
        return [
            Error(
                f"GARGOYLE_ROLLOUT_SPEED must be a number above 0 and at most 3600 (got {speed!r}).",
                hint="1 is real time; 60 makes a rollout's minute pass in a second, for demos.",
                id="gargoyle.E019",
            )
        ]
    if speed != 1 and not settings.DEBUG:
        return [
            Warning(
                f"GARGOYLE_ROLLOUT_SPEED is {speed}: rollouts hold their stages {speed} times shorter than planned.",
                hint="A demo's setting: remove it in production.",
                id="gargoyle.W020",
            )
        ]
    return []


def check_usage_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the usage counting settings: ``gargoyle.E011``, ``E012`` and ``E013``.

    :returns: errors for a ``GARGOYLE_USAGE_FLUSH_INTERVAL`` that is neither ``None`` nor a
        number of seconds, 1 or more, a ``GARGOYLE_USAGE_RETENTION`` that is not a whole
        number of days, 8 or more, and a ``GARGOYLE_STALE_DAYS`` that is not a whole number
        of days or ``GARGOYLE_PERMANENT_SWITCHES`` that is not a list of keys. Gargoyle then
        uses the default.
    """
    messages: list[CheckMessage] = []
    interval = getattr(settings, "GARGOYLE_USAGE_FLUSH_INTERVAL", DEFAULTS["GARGOYLE_USAGE_FLUSH_INTERVAL"])
    if not is_valid_flush_interval(interval):
        messages.append(
            Error(
                "GARGOYLE_USAGE_FLUSH_INTERVAL must be a number of seconds from 1 to 86400, or None "
                f"(got {interval!r}).",
                hint="Each process adds its counts to the database this often; None stores them only when "
                "gargoyle.usage.flush() is called. Until fixed, the default (60) is used.",
                id="gargoyle.E011",
            )
        )
    retention = getattr(settings, "GARGOYLE_USAGE_RETENTION", DEFAULTS["GARGOYLE_USAGE_RETENTION"])
    if not is_valid_usage_retention(retention):
        messages.append(
            Error(
                f"GARGOYLE_USAGE_RETENTION must be a whole number of days from 8 to 3650 (got {retention!r}).",
                hint="Daily usage counts older than this are deleted. Until fixed, the default (90) is used.",
                id="gargoyle.E012",
            )
        )
    stale_days = getattr(settings, "GARGOYLE_STALE_DAYS", DEFAULTS["GARGOYLE_STALE_DAYS"])
    if get_settings().stale_days > get_settings().usage_retention:
        messages.append(
            Warning(
                f"GARGOYLE_STALE_DAYS ({get_settings().stale_days}) is longer than GARGOYLE_USAGE_RETENTION "
                f"({get_settings().usage_retention}): no switch can be found unchecked for that long.",
                hint="Keep the usage counts at least as long as the stale period.",
                id="gargoyle.W018",
            )
        )
    permanent = getattr(settings, "GARGOYLE_PERMANENT_SWITCHES", DEFAULTS["GARGOYLE_PERMANENT_SWITCHES"])
    if not is_valid_stale_days(stale_days) or not is_valid_keys(permanent):
        messages.append(
            Error(
                "GARGOYLE_STALE_DAYS must be a whole number of days from 1 to 3650, and GARGOYLE_PERMANENT_SWITCHES "
                f"a list of switch keys (got {stale_days!r} and {permanent!r}).",
                hint="Until fixed, 30 days and no permanent switch are used.",
                id="gargoyle.E013",
            )
        )
    return messages


def check_stale_switches(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn of stale switches, ``gargoyle.W014``, when ``GARGOYLE_STALE_CHECK`` is on.

    A database check, like :func:`check_stored_switches`: one warning per switch
    :func:`gargoyle.stale.stale_switches` reports, with the reason. Off by default.
    """
    from gargoyle.models import SwitchUsage
    from gargoyle.stale import stale_switches

    if not get_settings().stale_check or not databases or router.db_for_read(SwitchUsage) not in databases:
        return []
    try:
        found = stale_switches()
    except (DatabaseError, ImproperlyConfigured):
        return []  # not migrated yet
    return [
        Warning(
            f"Switch {stale.key!r} is stale: {stale.reason}.",
            hint="Remove the switch and the code that asks for it, or list its key in GARGOYLE_PERMANENT_SWITCHES.",
            obj=stale.key,
            id="gargoyle.W014",
        )
        for stale in found
    ]


def check_rollouts(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn, ``gargoyle.W021``, of rollouts running without ``SwitchExposureMiddleware``.

    A database check: without the middleware no request is counted, so a rollout's guard
    waits for its minimum sample forever (docs/rollouts.rst).
    """
    from gargoyle.models import Rollout

    if _MIDDLEWARE in settings.MIDDLEWARE or not databases or router.db_for_read(Rollout) not in databases:
        return []
    try:
        running = list(Rollout.objects.filter(state="running").values_list("switch_key", flat=True)[:10])
    except (DatabaseError, ImproperlyConfigured):
        return []  # not migrated yet
    return [
        Warning(
            f"Switch {key!r} is being rolled out, but {_MIDDLEWARE} is not in MIDDLEWARE: its guard counts no "
            "request, and its stages wait for their minimum sample forever.",
            hint=f"Add {_MIDDLEWARE!r} to MIDDLEWARE.",
            obj=key,
            id="gargoyle.W021",
        )
        for key in running
    ]


def check_stored_switches(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the stored switches: ``gargoyle.W005``.

    A database check (tagged ``database``): it reads the switch table only when Django asks
    for the database the switches live in, as ``manage.py check --database default`` and
    ``migrate`` do, so that a plain ``check`` (and ``runserver``) runs no query.

    :returns: a warning for each switch whose stored conditions cannot be used: a selective
        one answers its callers' default; another keeps answering by its status, but would
        once made selective. Nothing when the table does not exist yet.
    """
    from gargoyle._runtime.snapshot import evaluated_status, try_compile_rules
    from gargoyle.manager import gargoyle

    rows = _stored_rows(databases)
    namespaces = gargoyle.namespaces()
    warnings: list[CheckMessage] = []
    for row in rows:
        _rules, problem = try_compile_rules(row["key"], row["value"], namespaces)
        if problem is None:
            continue
        selective = evaluated_status(row["status"]) == SELECTIVE
        effect = "answers its default" if selective else "would answer its default if made Selective"
        warnings.append(
            Warning(
                f"Switch {row['key']!r} {effect}: {problem}",
                hint="Fix or remove its conditions (export_switches, edit the file, import_switches), "
                "or register the missing condition set.",
                obj=row["key"],
                id="gargoyle.W005",
            )
        )
    return warnings


def _stored_rows(databases: Any) -> list[dict[str, Any]]:
    """The stored switches by key, if Django asked for their database; else nothing."""
    from gargoyle._storage.querysets import ROW_FIELDS
    from gargoyle.models import Switch

    alias = router.db_for_read(Switch)
    if not databases or alias not in databases:
        return []
    try:
        return list(Switch._base_manager.using(alias).order_by("key").values(*ROW_FIELDS))
    except (DatabaseError, ImproperlyConfigured):
        return []  # not migrated yet, or no database: nothing stored to check


_STORED_HINTS = {
    "status": "Set its status in the panel or with the JSON API's status/.",
    "key": "Rename it in the panel or with the JSON API's update/.",
    "label": "Edit its label in the panel or with the JSON API's update/ (name).",
    "description": "Edit its description in the panel or with the JSON API's update/ (desc).",
}


def check_upgrade(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check what the upgrade from gargoyle-yplan left: ``gargoyle.W007`` and ``gargoyle.W008``.

    A database check, like :func:`check_stored_switches`.

    :returns: a warning for each switch carried over from gargoyle-yplan whose answers
        changed (until it is marked reviewed), and one for each stored value the model would
        refuse today (a status outside 1-4, a key or label too long, a NUL character).
    """
    from gargoyle.manager import gargoyle
    from gargoyle.upgrade import answer_changes, stored_notices

    rows = _stored_rows(databases)
    changes = answer_changes(rows, gargoyle.namespaces(), legacy_percent=get_settings().legacy_percent)
    messages: list[CheckMessage] = []
    for row in rows:
        key = row["key"]
        for notice in stored_notices(row):
            hint = _STORED_HINTS[notice.code]
            messages.append(Warning(f"Switch {key!r}: {notice.message}", hint=hint, obj=key, id="gargoyle.W008"))
        if key in changes:
            said = " ".join(notice.message for notice in changes[key])
            messages.append(
                Warning(
                    f"Switch {key!r} answers differently than under gargoyle-yplan 2.1.1. {said}",
                    hint=f"Review it; then mark it reviewed in the panel or with `upgrade_report --reviewed {key}`.",
                    obj=key,
                    id="gargoyle.W007",
                )
            )
    return messages


def announce_upgrade(sender: Any, using: str = "default", verbosity: int = 1, **kwargs: Any) -> None:
    """After ``migrate`` applied gargoyle migrations, say how many switches need a look.

    Connected to ``post_migrate`` for the gargoyle app, so that an upgrade announces itself
    where it is run: the switches :func:`check_upgrade` would warn about, which
    ``manage.py upgrade_report`` details.
    """
    plan = kwargs.get("plan") or []
    if verbosity < 1 or not any(migration.app_label == "gargoyle" for migration, _backwards in plan):
        return
    keys = sorted({message.obj for message in check_upgrade(databases=[using])})
    if keys:
        listed = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
        (kwargs.get("stdout") or sys.stdout).write(
            f"  gargoyle: {len(keys)} switches from gargoyle-yplan answer differently now or have an odd stored "
            f"value ({listed}). Run `manage.py upgrade_report` to see what changed.\n"
        )
