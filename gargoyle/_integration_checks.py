"""System checks of the integrations' settings (Sentry, OpenTelemetry, OpenFeature and OFREP).

Re-exported by :mod:`gargoyle.checks`, where they are documented.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from gargoyle._conf import import_problem, is_valid_context_subjects, is_valid_keys, is_valid_webhook

MIDDLEWARE = "gargoyle.middleware.SwitchExposureMiddleware"


def check_integrations(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the integrations' settings: ``gargoyle.W015``, ``E016`` and ``W017``.

    :returns: a warning when ``GARGOYLE_SENTRY`` is on but sentry-sdk 2.20+ is missing or
        ``SwitchExposureMiddleware`` is not in ``MIDDLEWARE`` (no answer would reach
        Sentry), and an error for a ``GARGOYLE_SENTRY_WEBHOOK`` that is neither ``None`` nor
        ``{"url": "https://...", "secret": "..."}``; a warning when
        ``GARGOYLE_OPENTELEMETRY`` is on but opentelemetry-api or the middleware is missing.
    """
    from gargoyle.integrations import opentelemetry, sentry

    messages: list[CheckMessage] = []
    for integration, check_id, package in (
        (sentry, "W015", "sentry-sdk 2.20 or later"),
        (opentelemetry, "W017", "opentelemetry-api"),
    ):
        listener = integration.answers
        problem = listener.problem() if listener.enabled() else None
        if listener.enabled() and problem is None and MIDDLEWARE not in settings.MIDDLEWARE:
            problem = f"{MIDDLEWARE} is not in MIDDLEWARE"
        if problem is not None:
            messages.append(
                Warning(
                    f"{listener.setting} is on, but no answer reaches it: {problem}.",
                    hint=f"Install {package} and add the middleware (docs/integrations.rst).",
                    id=f"gargoyle.{check_id}",
                )
            )
    webhook = getattr(settings, "GARGOYLE_SENTRY_WEBHOOK", None)
    if not is_valid_webhook(webhook):
        messages.append(
            Error(
                'GARGOYLE_SENTRY_WEBHOOK must be None or {"url": "https://...", "secret": "..."}.',
                hint="Until fixed, no switch change is sent to Sentry.",
                id="gargoyle.E016",
            )
        )
    return messages


def check_open_standards(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the settings of OFREP and the OpenFeature provider: ``gargoyle.E022`` and ``E023``.

    :returns: an error for a ``GARGOYLE_CLIENT_SWITCHES`` that is not a list of keys (no
        switch is shown to browsers meanwhile), and one for a ``GARGOYLE_CONTEXT_SUBJECTS``
        that is neither ``None``, a callable, nor the dotted path of a callable that imports
        (gargoyle's own mapping is used meanwhile).
    """
    messages: list[CheckMessage] = []
    if not is_valid_keys(getattr(settings, "GARGOYLE_CLIENT_SWITCHES", ())):
        messages.append(
            Error(
                "GARGOYLE_CLIENT_SWITCHES must be a list, tuple or set of switch keys.",
                hint="Until fixed, browsers see no switch (docs/openfeature.rst).",
                id="gargoyle.E022",
            )
        )
    problem = _context_subjects_problem(getattr(settings, "GARGOYLE_CONTEXT_SUBJECTS", None))
    if problem is not None:
        messages.append(
            Error(
                f"GARGOYLE_CONTEXT_SUBJECTS {problem}.",
                hint="Until fixed, evaluation contexts are read as gargoyle.contexts.default_subjects reads them.",
                id="gargoyle.E023",
            )
        )
    return messages


def _context_subjects_problem(value: Any) -> str | None:
    if not is_valid_context_subjects(value):
        return "must be None, a function, or the dotted path of one"
    return import_problem(value)
