"""The Celery task, against real Celery: ``gargoyle.run_switch_schedules`` is a registered
task that applies the due scheduled changes, and a task's start counts as a request for the
version check.

Run by ``tox -e celery`` (Celery installed); skipped elsewhere, and failing instead of
skipping when GARGOYLE_INTEGRATION_TESTS=1 says the package must be there.
"""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from gargoyle.constants import DISABLED, GLOBAL
from gargoyle.models import ScheduledChange, Switch, SwitchChange

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    import celery
else:
    celery = pytest.importorskip("celery")

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    app = celery.Celery("tests", set_as_current=True)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    from gargoyle import tasks

    app.autodiscover_tasks(["gargoyle"], force=True)
    return app, tasks


def test_the_task_is_registered_under_its_documented_name(app) -> None:
    celery_app, tasks = app
    assert "gargoyle.run_switch_schedules" in celery_app.tasks
    assert celery_app.tasks["gargoyle.run_switch_schedules"].name == tasks.run_switch_schedules.name


def test_the_task_applies_the_due_changes_once(app) -> None:
    _celery_app, tasks = app
    Switch.objects.create(key="checkout", status=DISABLED)
    due = timezone.now() - datetime.timedelta(seconds=1)
    made = ScheduledChange.objects.create(
        base_change=SwitchChange.newest_id(),
        switch_key="checkout",
        action="status",
        arguments={"status": GLOBAL},
        due_at=due,
    )

    assert tasks.run_switch_schedules.delay().get() == {"applied": 1, "refused": 0, "rollouts": 0}
    assert tasks.run_switch_schedules.delay().get() == {"applied": 0, "refused": 0, "rollouts": 0}
    made.refresh_from_db()
    assert made.state == "applied"
    assert Switch.objects.get(key="checkout").status == GLOBAL
