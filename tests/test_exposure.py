"""request.gargoyle_switches (SwitchExposureMiddleware) and the usage_flushed signal."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import include, path

from gargoyle import gargoyle, usage
from gargoyle._runtime import exposure
from gargoyle._runtime.usage import counter
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.models import Switch
from gargoyle.signals import usage_flushed

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
SEEN: dict[str, Any] = {}


def page(request: Any) -> HttpResponse:
    gargoyle.is_active("on")
    gargoyle.is_active("off")
    gargoyle.is_active("staff_only", request)
    gargoyle.is_active("missing")
    SEEN["switches"] = dict(request.gargoyle_switches)
    return HttpResponse("ok")


async def async_page(request: Any) -> HttpResponse:
    await gargoyle.ais_active("on")
    await gargoyle.ais_active("staff_only", request)
    SEEN["switches"] = dict(request.gargoyle_switches)
    return HttpResponse("ok")


urlpatterns = [path("page/", page), path("async/", async_page), path("", include("gargoyle.ofrep"))]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gargoyle.middleware.SwitchExposureMiddleware",
]


@pytest.fixture
def switches() -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="staff_only", status=SELECTIVE).add_condition(gargoyle, USER_SET, "is_staff", "1")
    SEEN.clear()


@override_settings(MIDDLEWARE=MIDDLEWARE, GARGOYLE_AUTO_CREATE=False)
def test_the_request_knows_what_it_checked(switches: None, admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)  # staff: staff_only answers on
    assert client.get("/page/").status_code == 200
    assert SEEN["switches"] == {"on": True, "off": False, "staff_only": True, "missing": False}
    assert exposure.checked.get() is None  # closed after the response: nothing leaks


@pytest.mark.django_db(transaction=True)  # the async view's queries run in another thread
@override_settings(MIDDLEWARE=MIDDLEWARE)
def test_async_requests_too(switches: None) -> None:
    response = async_to_sync(AsyncClient().get)("/async/")
    assert response.status_code == 200
    assert SEEN["switches"] == {"on": True, "staff_only": False}


@override_settings(MIDDLEWARE=MIDDLEWARE, GARGOYLE_CLIENT_SWITCHES=["on", "staff_only"])
def test_ofrep_answers_are_not_recorded_as_the_request_s_exposure(switches: None, admin_user: Any) -> None:
    """OFREP answers for a client: a rollout must not count its (always 200) requests as exposed."""
    client = Client()
    client.force_login(admin_user)
    response = client.post("/ofrep/v1/evaluate/flags", "{}", content_type="application/json")
    assert [flag["value"] for flag in response.json()["flags"]] == [True, True]
    assert response.wsgi_request.gargoyle_switches == {}
    assert client.get("/page/").status_code == 200  # a page's own checks still are
    assert SEEN["switches"]["staff_only"] is True


def test_without_the_middleware_nothing_is_recorded(switches: None) -> None:
    assert gargoyle.is_active("on") is True
    assert exposure.checked.get() is None


def test_listeners_hear_each_answer(switches: None) -> None:
    heard: list[tuple[str, bool]] = []
    exposure.add_listener(lambda key, answer: heard.append((key, answer)))
    try:
        record, token = exposure.start()
        try:
            gargoyle.is_active("on")
            gargoyle.is_active("off")
        finally:
            exposure.stop(token)
    finally:
        exposure._listeners.clear()
    assert heard == [("on", True), ("off", False)]
    assert record == {"on": True, "off": False}


@pytest.mark.django_db(transaction=True)  # the signal is sent when the flush's write commits
def test_usage_flushed_tells_each_flush_its_counts(switches: None) -> None:
    counter.take()
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, counts: dict[str, Any], **kwargs: Any) -> None:
        received.append(counts)

    usage_flushed.connect(receiver)
    try:
        gargoyle.is_active("on")
        gargoyle.is_active("on")
        gargoyle.is_active("off")
        usage.flush()
        usage.flush()  # nothing new: no signal
    finally:
        usage_flushed.disconnect(receiver)
    assert received == [{"on": (2, 0, 0), "off": (0, 1, 0)}]


def test_a_failing_listener_never_breaks_a_check(switches: None, caplog: Any) -> None:
    def broken(key: str, answer: bool) -> None:
        raise RuntimeError("the integration is down")

    exposure.add_listener(broken)
    try:
        _, token = exposure.start()
        try:
            assert gargoyle.is_active("on") is True
            assert gargoyle.is_active("off") is False
        finally:
            exposure.stop(token)
    finally:
        exposure._listeners.clear()
    assert caplog.text.count("a switch answer listener failed") == 1
