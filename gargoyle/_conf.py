"""Gargoyle's settings, read once and read again whenever a test changes them."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from gargoyle.constants import DISABLED, GLOBAL, STATUSES

# Shorter API tokens are refused, at the check and at the door: they can be guessed.
MIN_API_TOKEN_LENGTH = 32
# The longest span, in days, a usage or stale setting may name (ten years): further back
# than any stored count, and well inside what datetime arithmetic can reach.
MAX_DAYS = 3650

Setting = Literal[
    "GARGOYLE_AUTO_CREATE",
    "GARGOYLE_SWITCH_DEFAULTS",
    "GARGOYLE_SWITCHES",
    "GARGOYLE_CACHE_NAME",
    "GARGOYLE_CHECK_INTERVAL",
    "GARGOYLE_CACHE_TIMEOUT",
    "GARGOYLE_LEGACY_PERCENT",
    "GARGOYLE_API_TOKENS",
    "GARGOYLE_HISTORY_RETENTION",
    "GARGOYLE_USAGE",
    "GARGOYLE_USAGE_FLUSH_INTERVAL",
    "GARGOYLE_USAGE_RETENTION",
    "GARGOYLE_STALE_DAYS",
    "GARGOYLE_PERMANENT_SWITCHES",
    "GARGOYLE_STALE_CHECK",
    "GARGOYLE_SENTRY",
    "GARGOYLE_SENTRY_WEBHOOK",
    "GARGOYLE_OPENTELEMETRY",
    "GARGOYLE_APPLY_SCHEDULES",
    "GARGOYLE_ROLLOUT_SPEED",
    "GARGOYLE_CLIENT_SWITCHES",
    "GARGOYLE_CONTEXT_SUBJECTS",
    "GARGOYLE_QA_SWITCHES",
    "GARGOYLE_VISITOR_COOKIE_NAME",
    "GARGOYLE_VISITOR_COOKIE_AGE",
    "GARGOYLE_VISITOR_COOKIE_CONSENT",
]


class Defaults(TypedDict):
    """The type of :data:`DEFAULTS`."""

    GARGOYLE_AUTO_CREATE: bool
    GARGOYLE_SWITCH_DEFAULTS: Mapping[str, Mapping[str, Any]]
    GARGOYLE_SWITCHES: Mapping[str, Mapping[str, Any]]
    GARGOYLE_CACHE_NAME: str
    GARGOYLE_CHECK_INTERVAL: float
    GARGOYLE_CACHE_TIMEOUT: float | None
    GARGOYLE_LEGACY_PERCENT: bool
    GARGOYLE_API_TOKENS: Mapping[str, str]
    GARGOYLE_HISTORY_RETENTION: int | None
    GARGOYLE_USAGE: bool
    GARGOYLE_USAGE_FLUSH_INTERVAL: float | None
    GARGOYLE_USAGE_RETENTION: int
    GARGOYLE_STALE_DAYS: int
    GARGOYLE_PERMANENT_SWITCHES: Collection[str]
    GARGOYLE_STALE_CHECK: bool
    GARGOYLE_SENTRY: bool
    GARGOYLE_SENTRY_WEBHOOK: Mapping[str, str] | None
    GARGOYLE_OPENTELEMETRY: bool
    GARGOYLE_APPLY_SCHEDULES: bool
    GARGOYLE_ROLLOUT_SPEED: float
    GARGOYLE_CLIENT_SWITCHES: Collection[str]
    GARGOYLE_CONTEXT_SUBJECTS: str | Callable[[dict[str, Any]], Any] | None
    GARGOYLE_QA_SWITCHES: Collection[str]
    GARGOYLE_VISITOR_COOKIE_NAME: str
    GARGOYLE_VISITOR_COOKIE_AGE: int
    GARGOYLE_VISITOR_COOKIE_CONSENT: str | Callable[[Any], bool] | None


DEFAULTS: Defaults = {
    "GARGOYLE_AUTO_CREATE": True,
    "GARGOYLE_SWITCH_DEFAULTS": {},
    # Switches sync_switches writes to the database (gargoyle.declarations); read by it alone.
    "GARGOYLE_SWITCHES": {},
    "GARGOYLE_CACHE_NAME": "default",
    "GARGOYLE_CHECK_INTERVAL": 5.0,
    # A healthy Redis or Memcached answers in a few milliseconds, even across a network.
    "GARGOYLE_CACHE_TIMEOUT": 0.25,
    "GARGOYLE_LEGACY_PERCENT": False,
    "GARGOYLE_API_TOKENS": {},
    # None: the history is kept forever; prune_switch_history is never run for you.
    "GARGOYLE_HISTORY_RETENTION": None,
    # Count every check in memory and add the counts to the database now and then.
    "GARGOYLE_USAGE": True,
    "GARGOYLE_USAGE_FLUSH_INTERVAL": 60.0,
    "GARGOYLE_USAGE_RETENTION": 90,
    # Stale switches (gargoyle.stale): unchecked or settled this many days.
    "GARGOYLE_STALE_DAYS": 30,
    "GARGOYLE_PERMANENT_SWITCHES": (),
    "GARGOYLE_STALE_CHECK": False,
    # Sentry (gargoyle.integrations.sentry): answers on errors, changes on its timeline.
    "GARGOYLE_SENTRY": False,
    "GARGOYLE_SENTRY_WEBHOOK": None,
    "GARGOYLE_OPENTELEMETRY": False,
    # Processes apply due scheduled changes when a version check notices them (schedules.rst).
    "GARGOYLE_APPLY_SCHEDULES": True,
    # Rollouts' clock: 60 makes a minute of hold pass in a second (demos, never production).
    "GARGOYLE_ROLLOUT_SPEED": 1.0,
    # OFREP and the browser (gargoyle.ofrep): the switches a browser session may ask for.
    "GARGOYLE_CLIENT_SWITCHES": (),
    # Evaluation contexts as subjects (gargoyle.contexts): None is gargoyle's own mapping.
    "GARGOYLE_CONTEXT_SUBJECTS": None,
    # QA overrides (gargoyle.qa): the switches a permitted user may force for their browser.
    "GARGOYLE_QA_SWITCHES": (),
    # The visitor cookie (gargoyle.visitors): a year; None consent is "allowed".
    "GARGOYLE_VISITOR_COOKIE_NAME": "gargoyle_visitor",
    "GARGOYLE_VISITOR_COOKIE_AGE": 365 * 24 * 60 * 60,
    "GARGOYLE_VISITOR_COOKIE_CONSENT": None,
}


@dataclass(frozen=True)
class GargoyleSettings:
    auto_create: bool
    switch_defaults: Mapping[str, Mapping[str, Any]]
    cache_name: str
    check_interval: float
    cache_timeout: float | None  # None: the cache's own timeouts (gargoyle._runtime.token_cache)
    legacy_percent: bool
    api_tokens: Mapping[str, str]
    history_retention: int | None  # days; None keeps every entry (gargoyle.management prune_switch_history)
    usage: bool  # count checks (gargoyle._runtime.usage)
    usage_flush_interval: float | None  # seconds; None: no background flushing
    usage_retention: int  # days of daily usage rows kept
    stale_days: int  # gargoyle.stale
    permanent_switches: frozenset[str]  # never reported as stale
    stale_check: bool  # the system check gargoyle.W014
    sentry: bool  # answers to Sentry's feature flags
    sentry_webhook: dict[str, str] | None  # {"url", "secret"} of Sentry's change tracking
    opentelemetry: bool  # answers as span events (gargoyle.integrations.opentelemetry)
    apply_schedules: bool  # due scheduled changes applied from the version check (gargoyle.schedules)
    rollout_speed: float  # how much faster than real time rollouts hold and evaluate (gargoyle.rollouts)
    client_switches: frozenset[str]  # what browser sessions may ask OFREP for (gargoyle.ofrep)
    context_subjects: str | Callable[[dict[str, Any]], Any] | None  # gargoyle.contexts
    qa_switches: frozenset[str]  # what a tester may force for their browser (gargoyle.qa)
    visitor_cookie_name: str  # gargoyle.visitors
    visitor_cookie_age: int  # seconds
    visitor_cookie_consent: str | Callable[[Any], bool] | None  # None: allowed


@functools.cache
def get_settings() -> GargoyleSettings:
    """Return gargoyle's settings, falling back to the documented defaults."""

    def read(name: Setting) -> Any:
        return getattr(settings, name, DEFAULTS[name])

    interval = read("GARGOYLE_CHECK_INTERVAL")
    cache_name = read("GARGOYLE_CACHE_NAME")
    return GargoyleSettings(
        auto_create=bool(read("GARGOYLE_AUTO_CREATE")),
        switch_defaults=_mapping(read("GARGOYLE_SWITCH_DEFAULTS")),
        cache_name=cache_name if isinstance(cache_name, str) else DEFAULTS["GARGOYLE_CACHE_NAME"],
        check_interval=float(interval) if is_valid_check_interval(interval) else DEFAULTS["GARGOYLE_CHECK_INTERVAL"],
        cache_timeout=_cache_timeout(read("GARGOYLE_CACHE_TIMEOUT")),
        legacy_percent=bool(read("GARGOYLE_LEGACY_PERCENT")),
        api_tokens=_mapping(read("GARGOYLE_API_TOKENS")),
        history_retention=_history_retention(read("GARGOYLE_HISTORY_RETENTION")),
        usage=bool(read("GARGOYLE_USAGE")),
        usage_flush_interval=_flush_interval(read("GARGOYLE_USAGE_FLUSH_INTERVAL")),
        usage_retention=_usage_retention(read("GARGOYLE_USAGE_RETENTION")),
        stale_days=_stale_days(read("GARGOYLE_STALE_DAYS")),
        permanent_switches=_keys(read("GARGOYLE_PERMANENT_SWITCHES")),
        stale_check=bool(read("GARGOYLE_STALE_CHECK")),
        sentry=bool(read("GARGOYLE_SENTRY")),
        sentry_webhook=_webhook(read("GARGOYLE_SENTRY_WEBHOOK")),
        opentelemetry=bool(read("GARGOYLE_OPENTELEMETRY")),
        apply_schedules=bool(read("GARGOYLE_APPLY_SCHEDULES")),
        rollout_speed=_rollout_speed(read("GARGOYLE_ROLLOUT_SPEED")),
        client_switches=_keys(read("GARGOYLE_CLIENT_SWITCHES")),
        context_subjects=_context_subjects(read("GARGOYLE_CONTEXT_SUBJECTS")),
        qa_switches=_keys(read("GARGOYLE_QA_SWITCHES")),
        visitor_cookie_name=_visitor_cookie_name(read("GARGOYLE_VISITOR_COOKIE_NAME")),
        visitor_cookie_age=_visitor_cookie_age(read("GARGOYLE_VISITOR_COOKIE_AGE")),
        visitor_cookie_consent=_visitor_consent(read("GARGOYLE_VISITOR_COOKIE_CONSENT")),
    )


def _seconds(value: Any) -> float | None:
    """``value`` as a finite number of seconds, or None (not a number, NaN, infinite, huge)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return seconds if math.isfinite(seconds) else None


def is_valid_check_interval(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_CHECK_INTERVAL``: seconds, 0 or more (NaN never is:
    a process would never check for changes again)."""
    seconds = _seconds(value)
    return seconds is not None and seconds >= 0


def is_valid_cache_timeout(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_CACHE_TIMEOUT``: None, or seconds above 0."""
    if value is None:
        return True
    seconds = _seconds(value)
    return seconds is not None and seconds > 0


def _cache_timeout(value: Any) -> float | None:
    # An invalid value (reported by gargoyle.E009) must not leave the cache unbounded.
    if not is_valid_cache_timeout(value):
        return DEFAULTS["GARGOYLE_CACHE_TIMEOUT"]
    return None if value is None else float(value)


def is_valid_history_retention(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_HISTORY_RETENTION``: None, or a whole number of
    days, 1 or more."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)


def _history_retention(value: Any) -> int | None:
    # An invalid value (reported by gargoyle.E010) prunes nothing: history is never lost to a typo.
    return value if value is not None and is_valid_history_retention(value) else None


def is_valid_flush_interval(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_USAGE_FLUSH_INTERVAL``: None, or seconds, 1 or more
    (a shorter interval would write to the database several times a second per process)."""
    if value is None:
        return True
    seconds = _seconds(value)
    return seconds is not None and 1 <= seconds <= 86400  # a day: longer waits overflow the thread's timer


def _flush_interval(value: Any) -> float | None:
    # An invalid value (reported by gargoyle.E011) keeps the default: counts are still stored.
    if not is_valid_flush_interval(value):
        return DEFAULTS["GARGOYLE_USAGE_FLUSH_INTERVAL"]
    return None if value is None else float(value)


def is_valid_usage_retention(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_USAGE_RETENTION``: a whole number of days, 8 or more
    (the hourly rows the panel reads cover the last 8 days)."""
    return isinstance(value, int) and not isinstance(value, bool) and 8 <= value <= MAX_DAYS


def _usage_retention(value: Any) -> int:
    # An invalid value (reported by gargoyle.E012) keeps the default.
    return value if is_valid_usage_retention(value) else DEFAULTS["GARGOYLE_USAGE_RETENTION"]


def is_valid_stale_days(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_STALE_DAYS``: a whole number of days, 1 or more."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DAYS


def _stale_days(value: Any) -> int:
    # An invalid value (reported by gargoyle.E013) keeps the default.
    return value if is_valid_stale_days(value) else DEFAULTS["GARGOYLE_STALE_DAYS"]


def is_valid_keys(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_PERMANENT_SWITCHES``: a list, tuple or set of keys
    (a string is refused: it would read as a set of one-letter keys)."""
    return isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(key, str) for key in value)


def _keys(value: Any) -> frozenset[str]:
    return frozenset(value) if is_valid_keys(value) else frozenset()


def is_valid_webhook(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_SENTRY_WEBHOOK``: None, or ``{"url": "https://...",
    "secret": "..."}``."""
    if value is None:
        return True
    return (
        isinstance(value, Mapping)
        and set(value) == {"url", "secret"}
        and isinstance(value["url"], str)
        and value["url"].startswith(("https://", "http://"))
        and isinstance(value["secret"], str)
        and bool(value["secret"])
    )


def _webhook(value: Any) -> dict[str, str] | None:
    # An invalid value (reported by gargoyle.E016) sends nothing: never to a half-set URL.
    return dict(value) if value is not None and is_valid_webhook(value) else None


def is_valid_rollout_speed(value: Any) -> bool:
    return (
        not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and 0 < value <= 3600
    )


def _rollout_speed(value: Any) -> float:
    return float(value) if is_valid_rollout_speed(value) else DEFAULTS["GARGOYLE_ROLLOUT_SPEED"]


def is_valid_context_subjects(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_CONTEXT_SUBJECTS``: None, a dotted path or a callable."""
    return value is None or (isinstance(value, str) and "." in value) or callable(value)


def _context_subjects(value: Any) -> str | Callable[[dict[str, Any]], Any] | None:
    # An invalid value (reported by gargoyle.E023) falls back to gargoyle's own mapping.
    return value if is_valid_context_subjects(value) else None


# RFC 6265's cookie-name (an RFC 2616 token): visible ASCII but separators.
_COOKIE_NAME_CHARACTERS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_valid_visitor_cookie_name(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_VISITOR_COOKIE_NAME``: a cookie name (a token)."""
    return isinstance(value, str) and 0 < len(value) <= 100 and set(value) <= _COOKIE_NAME_CHARACTERS


def _visitor_cookie_name(value: Any) -> str:
    # An invalid value (reported by gargoyle.E024) keeps the default.
    return value if is_valid_visitor_cookie_name(value) else DEFAULTS["GARGOYLE_VISITOR_COOKIE_NAME"]


def is_valid_visitor_cookie_age(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_VISITOR_COOKIE_AGE``: whole seconds, 1 to ten years."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DAYS * 86400


def _visitor_cookie_age(value: Any) -> int:
    return value if is_valid_visitor_cookie_age(value) else DEFAULTS["GARGOYLE_VISITOR_COOKIE_AGE"]


def is_valid_visitor_consent(value: Any) -> bool:
    """Whether ``value`` can be ``GARGOYLE_VISITOR_COOKIE_CONSENT``: None, a dotted path or a callable."""
    return value is None or (isinstance(value, str) and "." in value) or callable(value)


def _no_consent(request: Any) -> bool:
    return False


def _visitor_consent(value: Any) -> str | Callable[[Any], bool] | None:
    # An invalid value (reported by gargoyle.E024) must not read as "allowed": no cookie then.
    return value if is_valid_visitor_consent(value) else _no_consent


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _forget_settings(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("GARGOYLE_") or setting == "CACHES":
        get_settings.cache_clear()


setting_changed.connect(_forget_settings)


def default_status(default: dict[str, Any]) -> int | None:
    """The status a ``GARGOYLE_SWITCH_DEFAULTS`` entry asks for; ``is_active`` wins."""
    if default.get("is_active") is True:
        return GLOBAL
    if default.get("is_active") is False:
        return DISABLED
    if default.get("initial_status") in STATUSES:
        status: int = default["initial_status"]  # equal to one of STATUSES
        return status
    return None


def import_problem(value: Any) -> str | None:
    """For a setting that takes a function or its dotted path: what is wrong with a path that
    does not import, or names something not callable; None otherwise (and for a function)."""
    if not isinstance(value, str):
        return None
    try:
        found = import_string(value)
    except ImportError as error:
        return f"cannot be imported: {error}"
    return None if callable(found) else f"names {found!r}, which is not callable"
