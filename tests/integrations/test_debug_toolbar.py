"""The django-debug-toolbar panel, through the real toolbar: the switches a request checked,
their answers and reasons, and the QA override links for a permitted user.

Run by ``tox -e debug-toolbar`` (django-debug-toolbar installed); skipped elsewhere, and
failing instead of skipping when GARGOYLE_INTEGRATION_TESTS=1 says the package must be there.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.checks.registry import registry
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from gargoyle import gargoyle, qa
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.models import Switch

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    import debug_toolbar
else:
    debug_toolbar = pytest.importorskip("debug_toolbar")

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db(transaction=True)]

PANEL = "gargoyle.integrations.debug_toolbar.SwitchesPanel"
USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
KEYS = ("banner", "banner:photos", "staff_only", "missing")


def page(request: HttpRequest) -> HttpResponse:
    answers = " ".join(f"{key}={gargoyle.is_active(key, request)}" for key in KEYS)
    return HttpResponse(f"<html><body><p id='answers'>{answers}</p></body></html>")


async def async_page(request: HttpRequest) -> HttpResponse:
    answers = " ".join([f"{key}={await gargoyle.ais_active(key, request)}" for key in KEYS])
    return HttpResponse(f"<html><body><p id='answers'>{answers}</p></body></html>")


def __getattr__(name: str) -> Any:
    """``urlpatterns``, built when Django first resolves a URL: the toolbar's URLs import its
    models, which need its app installed, as only the tests' settings make it."""
    if name == "urlpatterns":
        from debug_toolbar.toolbar import debug_toolbar_urls

        return [path("page/", page), path("async/", async_page), *debug_toolbar_urls()]
    raise AttributeError(name)


TOOLBAR = "debug_toolbar.middleware.DebugToolbarMiddleware"
AUTH = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
EXPOSURE = "gargoyle.middleware.SwitchExposureMiddleware"
OVERRIDE = "gargoyle.middleware.SwitchOverrideMiddleware"


@contextlib.contextmanager
def toolbar_settings(*middleware: str, **more: Any) -> Iterator[None]:
    """The toolbar on for 127.0.0.1, with the panel; its app installed last, once the settings
    its ready() reads are in place."""
    with (
        override_settings(
            DEBUG=True,
            INTERNAL_IPS=["127.0.0.1"],
            STATIC_URL="/static/",
            MIDDLEWARE=[TOOLBAR, *AUTH, *middleware],
            DEBUG_TOOLBAR_PANELS=["debug_toolbar.panels.request.RequestPanel", PANEL],
            GARGOYLE_AUTO_CREATE=False,
            **more,
        ),
        override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "debug_toolbar"]),
    ):
        yield


@pytest.fixture(autouse=True, scope="module")
def toolbar_checks_removed_afterwards() -> Iterator[None]:
    """The toolbar registers its system checks for the whole process when its app loads; once
    these tests uninstalled it, they would fail the suite's later checks."""
    yield
    for checks in (registry.registered_checks, registry.deployment_checks):
        for check in [check for check in checks if check.__module__.startswith("debug_toolbar")]:
            checks.discard(check)


@pytest.fixture(autouse=True)
def stored() -> None:
    Switch.objects.create(key="banner", status=GLOBAL, label="Sale banner")
    Switch.objects.create(key="banner:photos", status=INHERIT)
    Switch.objects.create(key="staff_only", status=SELECTIVE).add_condition(gargoyle, USER_SET, "is_staff", "1")
    Switch.objects.create(key="dark_mode", status=DISABLED)


@pytest.fixture
def tester(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("tester", password="unused")
    user.user_permissions.add(Permission.objects.get(codename="override_switch", content_type__app_label="gargoyle"))
    return user


def panel_of(client: Client, url: str) -> tuple[str, str]:
    """The page's toolbar button text and the panel's content, fetched as the toolbar's script does."""
    response = client.get(url)
    assert response.status_code == 200
    page_html = response.content.decode()
    request_id = re.search(r'data-request-id="([0-9a-f]+)"', page_html)
    assert request_id is not None, "the toolbar is not on the page"
    button = re.search(r'id="djdt-SwitchesPanel".*?</li>', page_html, re.S)
    assert button is not None, "the Switches panel is not in the toolbar"
    rendered = client.get("/__debug__/render_panel/", {"request_id": request_id.group(1), "panel_id": "SwitchesPanel"})
    return button.group(0), html.unescape(rendered.json()["content"])


def text(content: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", content).split())


@pytest.mark.parametrize("exposure", [False, True], ids=["alone", "with the exposure middleware"])
def test_the_panel_lists_each_checked_switch_with_its_answer_and_why(exposure: bool) -> None:
    with toolbar_settings(*([EXPOSURE] if exposure else [])):
        button, content = panel_of(Client(), "/page/")
    assert "4 checked" in text(button)
    shown = text(content)
    assert "banner Sale banner on Global: on for everyone." in shown
    assert "banner:photos on Inherit: it follows its parent banner." in shown
    assert "staff_only off No include condition matches them." in shown
    assert "missing off No switch missing is stored: callers get their default." in shown
    assert "dark_mode" not in shown  # not checked by this request
    assert "GARGOYLE_QA_SWITCHES is empty" in shown  # no QA controls


def test_the_panel_reads_a_record_opened_before_the_toolbar() -> None:
    with toolbar_settings(), override_settings(MIDDLEWARE=[EXPOSURE, TOOLBAR, *AUTH]):  # before the toolbar
        client = Client()
        response = client.get("/page/")
        assert response.wsgi_request.gargoyle_switches["banner"] is True  # not shadowed
        _button, content = panel_of(client, "/page/")
    assert "staff_only off" in text(content)


def test_a_permitted_user_gets_links_that_override_for_their_browser(tester: Any) -> None:
    with toolbar_settings(OVERRIDE, GARGOYLE_QA_SWITCHES=["banner", "staff_only"]):
        client = Client()
        client.force_login(tester)
        _button, content = panel_of(client, "/page/?page=2")
        links = dict(
            re.findall(r'<tr data-gargoyle-qa="([^"]+)">.*?href="([^"]+)" data-gargoyle-action="off"', content, re.S)
        )
        assert links == {
            "banner": "/page/?page=2&gargoyle=banner:off",
            "staff_only": "/page/?page=2&gargoyle=staff_only:off",
        }
        assert "gargoyle=clear" in content

        followed = client.get(links["banner"])  # what clicking "Off" does
        assert b"banner=False banner:photos=False" in followed.content
        button, content = panel_of(client, "/page/")  # the cookie keeps it
    shown = text(content)
    assert "2 overridden" in text(button)  # banner and the child that follows it
    assert "banner Sale banner off (QA) Overridden for this browser (QA): off. Without the override: Global" in shown
    assert "banner:photos off (QA) Follows banner, overridden for this browser (QA): off." in shown
    assert "banner forced off" in shown and "staff_only none" in shown
    assert client.cookies[qa.COOKIE].value


def test_without_the_permission_there_are_no_links(django_user_model: Any) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_user("plain"))
    with toolbar_settings(OVERRIDE, GARGOYLE_QA_SWITCHES=["banner"]):
        _button, content = panel_of(client, "/page/?gargoyle=banner:off")
    assert "gargoyle=banner" not in content.replace("/page/?gargoyle=banner:off", "")
    assert "takes the permission gargoyle.override_switch" in text(content)
    assert "banner Sale banner on Global" in text(content)  # the parameter did nothing


def test_without_the_middleware_the_panel_says_so(tester: Any) -> None:
    client = Client()
    client.force_login(tester)
    with toolbar_settings(GARGOYLE_QA_SWITCHES=["banner"]):
        _button, content = panel_of(client, "/page/")
    assert "SwitchOverrideMiddleware is not in MIDDLEWARE" in text(content)


def test_async_requests(tester: Any) -> None:
    client = AsyncClient()
    client.force_login(tester)
    with toolbar_settings(OVERRIDE, GARGOYLE_QA_SWITCHES=["banner"]):
        response = async_to_sync(client.get)("/async/?gargoyle=banner:off")
        page_html = response.content.decode()
        request_id = re.search(r'data-request-id="([0-9a-f]+)"', page_html)
        assert request_id is not None
        rendered = Client().get(
            "/__debug__/render_panel/", {"request_id": request_id.group(1), "panel_id": "SwitchesPanel"}
        )
    shown = text(html.unescape(rendered.json()["content"]))
    assert "banner Sale banner off (QA) Overridden for this browser (QA): off." in shown
    assert "staff_only off" in shown
