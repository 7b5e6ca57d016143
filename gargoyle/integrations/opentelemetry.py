"""OpenTelemetry: each answer as a ``feature_flag.evaluation`` event on the current span.

With ``GARGOYLE_OPENTELEMETRY = True`` and opentelemetry-api installed, each answer recorded
by :class:`~gargoyle.middleware.SwitchExposureMiddleware` adds an event to the span current
at the check (the request's, if your instrumentation made one), named and described with
OpenTelemetry's semantic conventions for feature flags:

* ``feature_flag.key``: the switch's key;
* ``feature_flag.provider.name``: ``"gargoyle"``;
* ``feature_flag.result.value``: ``true`` or ``false``;
* ``feature_flag.result.variant``: ``"on"`` or ``"off"``.

No span is recording: nothing is done (the API's no-op span).
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed

from gargoyle._conf import get_settings
from gargoyle._runtime import exposure

__all__ = ["EVENT", "PROVIDER", "api_problem", "connect", "install", "record_evaluation", "uninstall"]

EVENT = "feature_flag.evaluation"
PROVIDER = "gargoyle"


def api_problem() -> str | None:
    """Why answers cannot become span events (opentelemetry-api missing), or None."""
    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return "opentelemetry-api is not installed (pip install 'gargoyle[opentelemetry]')"
    return None


def record_evaluation(key: str, answer: bool) -> None:
    """Add one answer to the current span as a ``feature_flag.evaluation`` event."""
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(
            EVENT,
            {
                "feature_flag.key": key,
                "feature_flag.provider.name": PROVIDER,
                "feature_flag.result.value": answer,
                "feature_flag.result.variant": "on" if answer else "off",
            },
        )


def install() -> bool:
    """Start adding events, if opentelemetry-api is there; whether it is."""
    if api_problem() is not None:
        return False
    exposure.add_listener(record_evaluation)
    return True


def uninstall() -> None:
    exposure.remove_listener(record_evaluation)


def connect() -> None:
    """Follow ``GARGOYLE_OPENTELEMETRY`` now and whenever a test changes it (AppConfig.ready)."""
    _follow_setting()
    setting_changed.connect(_on_setting_changed, dispatch_uid="gargoyle.integrations.opentelemetry.setting")


def _follow_setting() -> None:
    if get_settings().opentelemetry:
        install()
    else:
        uninstall()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "GARGOYLE_OPENTELEMETRY":
        _follow_setting()
