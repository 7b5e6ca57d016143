import os

import pytest

from gargoyle import signals

# The browser tests (tests/browser) run in their own tox environment, `tox -e browser`,
# which sets GARGOYLE_BROWSER_TESTS=1: Playwright's event loop must not share a process
# with the async tests of the main suite.
collect_ignore = [] if os.environ.get("GARGOYLE_BROWSER_TESTS") == "1" else ["browser"]

# The production tests (tests/production: many processes, outages, hostile input) run in
# `tox -e production`, which sets GARGOYLE_PRODUCTION_TESTS=1.
if os.environ.get("GARGOYLE_PRODUCTION_TESTS") != "1":
    collect_ignore.append("production")


SIGNAL_NAMES = (
    "switch_added",
    "switch_deleted",
    "switch_updated",
    "switch_status_updated",
    "switch_condition_added",
    "switch_condition_removed",
)


@pytest.fixture
def received():
    """Every gargoyle signal sent during the test, as ``(signal name, kwargs)``; the kwargs
    also carry ``key``, the switch's key as it was when the signal was sent."""
    events = []
    connected = []
    for name in SIGNAL_NAMES:

        def receiver(sender, name=name, **kwargs):
            events.append((name, {**kwargs, "key": kwargs["switch"].key}))

        getattr(signals, name).connect(receiver, weak=False)
        connected.append((name, receiver))
    yield events
    for name, receiver in connected:
        getattr(signals, name).disconnect(receiver)


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="unused")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="unused")


@pytest.fixture
def upgraded(transactional_db):
    """A database gargoyle-yplan 2.1.1 filled with ``tests/upgrade/fixture.py``'s switches and
    users, migrated by this project; yields ``{subject name: (instances, default)}``."""
    from django.contrib.auth.models import AnonymousUser, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory, override_settings

    from gargoyle import conditions
    from gargoyle.manager import gargoyle
    from tests.upgrade import fixture
    from tests.yplan_schema import build_yplan_database

    plan = fixture.plan_condition_set(conditions)
    gargoyle.register(plan)
    try:
        with override_settings(GARGOYLE_AUTO_CREATE=False, INTERNAL_IPS=[fixture.LOCAL]):
            rows = [(key, text, status, None, None) for key, status, text in fixture.SWITCHES]
            build_yplan_database(connection, rows, fixture.aware("2019-05-01"))
            call_command("migrate", "gargoyle", verbosity=0)
            fixture.create_users(User)
            gargoyle.refresh()
            yield fixture.checks(User, AnonymousUser, RequestFactory)
    finally:
        gargoyle.unregister(plan)
