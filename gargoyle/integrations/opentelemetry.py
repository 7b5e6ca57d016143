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

from gargoyle.integrations import AnswerListener

__all__ = ["EVENT", "PROVIDER", "answers", "api_problem", "connect", "install", "record_evaluation", "uninstall"]

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


#: The listener that adds span events while ``GARGOYLE_OPENTELEMETRY`` is on.
answers = AnswerListener("GARGOYLE_OPENTELEMETRY", record_evaluation, api_problem)


def install() -> bool:
    """Start adding events, if opentelemetry-api is there; whether it is."""
    return answers.install()


def uninstall() -> None:
    answers.uninstall()


def connect() -> None:
    """Follow ``GARGOYLE_OPENTELEMETRY`` now and whenever a test changes it (AppConfig.ready)."""
    answers.connect()
