from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GargoyleAppConfig(AppConfig):
    name = "gargoyle"
    verbose_name = _("Gargoyle")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from gargoyle import autodiscover  # the write receivers connected with the models (models.py)
        from gargoyle.checks import (
            announce_upgrade,
            check_declared_switches,
            check_integrations,
            check_open_standards,
            check_qa_overrides,
            check_rollouts,
            check_settings,
            check_stale_switches,
            check_stored_switches,
            check_switch_defaults,
            check_upgrade,
            check_usage_settings,
            check_visitor_settings,
        )

        checks.register(check_switch_defaults)
        checks.register(check_declared_switches)
        checks.register(check_settings)
        checks.register(check_usage_settings)
        checks.register(check_integrations)
        checks.register(check_open_standards)
        checks.register(check_qa_overrides)
        checks.register(check_visitor_settings)
        checks.register(check_stored_switches, checks.Tags.database)
        checks.register(check_upgrade, checks.Tags.database)
        checks.register(check_stale_switches, checks.Tags.database)
        checks.register(check_rollouts, checks.Tags.database)
        from gargoyle.integrations import opentelemetry, sentry

        sentry.connect()
        opentelemetry.connect()
        post_migrate.connect(announce_upgrade, sender=self, dispatch_uid="gargoyle.checks.announce_upgrade")
        autodiscover()
