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
