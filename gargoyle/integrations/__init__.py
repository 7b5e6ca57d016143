"""Optional integrations with other tools, each with its own pip extra: ``sentry``
(``pip install "django-gargoyle[sentry]"``) and ``opentelemetry`` (docs/integrations.rst),
``drf`` (docs/drf.rst), ``jinja2`` (docs/jinja2.rst) and ``debug_toolbar`` (docs/debug-toolbar.rst).

Sentry and OpenTelemetry hear each answer a request gets (through ``SwitchExposureMiddleware``) while their setting
is on: :class:`AnswerListener` keeps the listener in step with the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.signals import setting_changed

from gargoyle._conf import get_settings
from gargoyle._runtime import exposure

__all__ = ["AnswerListener"]


class AnswerListener:
    """``listener(key, answer)``, heard while the setting ``setting`` is on and ``problem()``
    (what is missing: a package) says None."""

    def __init__(self, setting: str, listener: Callable[[str, bool], None], problem: Callable[[], str | None]) -> None:
        self.setting = setting
        self.listener = listener
        self.problem = problem

    def install(self) -> bool:
        """Start hearing answers, if nothing is missing; whether it does."""
        if self.problem() is not None:
            return False
        exposure.add_listener(self.listener)
        return True

    def uninstall(self) -> None:
        """Stop hearing answers."""
        exposure.remove_listener(self.listener)

    def connect(self) -> None:
        """Follow the setting now and whenever a test changes it (from ``AppConfig.ready``)."""
        self._follow()
        setting_changed.connect(self._on_setting_changed, weak=False, dispatch_uid=f"gargoyle.{self.setting}")

    def enabled(self) -> bool:
        """Whether the setting is on."""
        return bool(getattr(get_settings(), self.setting.removeprefix("GARGOYLE_").lower()))

    def _follow(self) -> None:
        if self.enabled():
            self.install()
        else:
            self.uninstall()

    def _on_setting_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting == self.setting:
            self._follow()
