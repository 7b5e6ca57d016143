"""Switches in a page's JavaScript: ``{% client_switches %}`` and ``gargoyle/switches.js`` in Chromium.

A switch of ``GARGOYLE_CLIENT_SWITCHES`` flipped in the panel reaches the page after a reload,
and after ``refresh()`` without one (a new ETag; nothing changed since is a 304); a switch not
listed is never in the page; all under the strict Content-Security-Policy of ``csp.py``. The
OpenFeature web SDK's OFREP provider, loaded from npm's ESM builds with an import map, reads
the same endpoint. The pages are in ``client_switches_urls.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.models import Switch
from tests.browser.client_switches_urls import Unmounted, missing_openfeature
from tests.browser.conftest import IN_CI, Watch
from tests.browser.csp import POLICY

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)

BULK = "/ofrep/v1/evaluate/flags"


@pytest.fixture(autouse=True)
def client_switch_urls() -> Iterator[None]:
    """The test pages and OFREP's URLs; only ``checkout`` and ``no_such_switch`` are for browsers."""
    with override_settings(
        ROOT_URLCONF="tests.browser.client_switches_urls", GARGOYLE_CLIENT_SWITCHES=["checkout", "no_such_switch"]
    ):
        yield


@pytest.fixture
def switches() -> None:
    Switch.objects.create(key="checkout", label="Checkout", status=DISABLED)
    Switch.objects.create(key="server_secret", label="Server secret", status=GLOBAL)


@pytest.fixture
def another_page(context: Any, watch: Watch) -> Callable[[], Any]:
    """More pages in the test's browser context (one session), watched as ``page`` is."""

    def open_page() -> Any:
        extra = context.new_page()
        extra.on("console", lambda message: watch.console.append(f"{message.type}: {message.text}"))
        extra.on("pageerror", lambda error: watch.errors.append(str(error)))
        return extra

    return open_page


def open_test_page(page: Any, url: str) -> Any:
    response = page.goto(url)
    expect(page.locator("body.ready")).to_be_attached()
    return response


def page_data(page: Any, element_id: str = "gargoyle-client-switches") -> dict[str, Any]:
    """What ``{% client_switches %}`` put into the page (as the page holds it now)."""
    return json.loads(page.locator(f"script#{element_id}").text_content())


def refresh(page: Any) -> bool:
    return page.evaluate("() => window.gargoyleSwitches.refresh()")


def bulk_responses(page: Any) -> list[Any]:
    """Every answer of the bulk endpoint to ``page`` from now on."""
    seen: list[Any] = []
    page.on("response", lambda response: seen.append(response) if response.url.endswith(BULK) else None)
    return seen


def flip_in_the_panel(panel: Any, url: str, key: str, label: str, status: str) -> None:
    """Set ``key``'s status with the panel's toggles, as staff would (Global asks first)."""
    panel.goto(url)
    expect(panel.locator("#content-main.gargoyle-ready")).to_be_attached()
    row = panel.locator("li.gargoyle-switch").filter(
        has=panel.locator("code.gargoyle-key", has_text=re.compile(f"^{re.escape(key)}$"))
    )
    toggles = row.get_by_role("group", name=f"Status of {label}")
    toggles.get_by_role("button", name=status).click()
    if status == "Global":
        panel.get_by_role("dialog", name=f"Turn {label} on for everyone?").get_by_role(
            "button", name="Yes, turn it on for everyone"
        ).click()
    expect(toggles.get_by_role("button", name=status)).to_have_attribute("aria-pressed", "true")


def test_a_switch_flipped_in_the_panel_reaches_the_page(
    page, another_page, login, admin_user, live_server, panel_url, switches
):
    login(admin_user)
    url = f"{live_server.url}/client-switches/"
    response = open_test_page(page, url)
    assert response.headers["content-security-policy"] == POLICY  # script-src 'self': no inline script
    expect(page.locator("#checkout")).to_have_text("off")
    first = page_data(page)
    assert first["url"] == BULK
    assert [flag["key"] for flag in first["flags"]] == ["checkout"]  # listed and named a switch
    assert page.evaluate("() => window.gargoyleSwitches.flags()") == {
        "checkout": {"value": False, "reason": "STATIC", "variant": "off"}
    }
    assert "server_secret" not in page.content()

    # Nothing changed yet: the page's own ETag gets a 304, and refresh() says false.
    answers = bulk_responses(page)
    assert refresh(page) is False
    assert answers[-1].status == 304
    assert answers[-1].request.headers["if-none-match"] == first["etag"]

    panel = another_page()
    flip_in_the_panel(panel, panel_url, "checkout", "Checkout", "Global")
    assert Switch.objects.get(key="checkout").status == GLOBAL

    # Without a reload: a 200 with a new ETag, the new answer, and the listener told.
    assert refresh(page) is True
    assert answers[-1].status == 200
    new_etag = answers[-1].headers["etag"]
    assert new_etag != first["etag"]
    expect(page.locator("#checkout")).to_have_text("on")
    expect(page.locator("#changes")).to_have_text('[["checkout"]]')
    assert page.evaluate("() => window.gargoyleSwitches.isActive('checkout')") is True
    assert page.evaluate("() => window.gargoyleSwitches.isActive('server_secret', 'absent')") == "absent"
    assert "server_secret" not in json.dumps(answers[-1].json())

    # Nothing changed since: the new ETag is sent, and gets a 304.
    assert refresh(page) is False
    assert (answers[-1].status, answers[-1].request.headers["if-none-match"]) == (304, new_etag)

    # After a reload the page starts with the new answer and that same ETag.
    open_test_page(page, url)
    expect(page.locator("#checkout")).to_have_text("on")
    assert page_data(page)["etag"] == new_etag
    assert refresh(page) is False
    assert answers[-1].status == 304

    # And back: Disabled in the panel, off in the page.
    flip_in_the_panel(panel, panel_url, "checkout", "Checkout", "Disabled")
    assert refresh(page) is True
    expect(page.locator("#checkout")).to_have_text("off")
    assert page_data(page)["etag"] == new_etag  # the element is left as rendered


def test_the_page_is_judged_as_its_visitor(page, login, admin_user, live_server):
    """Staff only: on for the staff session, off for an anonymous one; the page cannot ask as someone else."""
    Switch.objects.create(key="checkout", status=SELECTIVE, value={"auth.user": {"is_staff": [["i", "1"]]}})
    url = f"{live_server.url}/client-switches/"
    open_test_page(page, url)
    expect(page.locator("#checkout")).to_have_text("off")
    login(admin_user)
    open_test_page(page, url)
    expect(page.locator("#checkout")).to_have_text("on")
    # A context claiming to be someone else is ignored: the session decides.
    claimed = page.evaluate(
        """async (url) => {
            const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({context: {targetingKey: "nobody", is_staff: false}})});
            return (await response.json()).flags;
        }""",
        BULK,
    )
    assert claimed == page_data(page)["flags"]


def test_a_failed_refresh_keeps_the_answers_and_rejects(page, live_server, switches):
    Switch.objects.filter(key="checkout").update(status=GLOBAL)
    open_test_page(page, f"{live_server.url}/client-switches/")
    expect(page.locator("#checkout")).to_have_text("on")
    check = """async () => {
        try { await window.gargoyleSwitches.refresh(); return "resolved"; }
        catch (error) { return error.message; }
    }"""

    page.route(f"**{BULK}", lambda route: route.fulfill(status=500, body="down"))
    assert page.evaluate(check) == "gargoyle: the switches could not be refreshed (HTTP 500)"
    page.unroute(f"**{BULK}")
    page.route(f"**{BULK}", lambda route: route.abort())
    assert page.evaluate(check) != "resolved"  # the network's own error
    page.unroute(f"**{BULK}")
    assert page.evaluate("() => window.gargoyleSwitches.isActive('checkout')") is True
    expect(page.locator("#changes")).to_have_text("none")

    # Two at once share one request.
    answers = bulk_responses(page)
    assert page.evaluate(
        """async () => {
            const one = window.gargoyleSwitches.refresh();
            const two = window.gargoyleSwitches.refresh();
            return one === two && (await one) === false;
        }"""
    )
    page.wait_for_timeout(200)
    assert [response.status for response in answers] == [304]


def test_another_element_id_is_loaded_by_the_page(page, live_server, switches):
    open_test_page(page, f"{live_server.url}/client-switches/?element=checkout-flags")
    assert page.locator("script#gargoyle-client-switches").count() == 0
    assert page_data(page, "checkout-flags")["flags"][0]["key"] == "checkout"
    assert page.evaluate("() => Object.keys(window.gargoyleSwitches.flags())") == ["checkout"]
    assert refresh(page) is False


def test_without_the_endpoint_the_page_keeps_its_answers(page, live_server, switches):
    with override_settings(ROOT_URLCONF=Unmounted):
        open_test_page(page, f"{live_server.url}/client-switches/")
        assert page_data(page)["url"] is None
        message = page.evaluate("() => window.gargoyleSwitches.refresh().then(() => 'resolved', (e) => e.message)")
        assert "mount gargoyle.ofrep" in message
        expect(page.locator("#checkout")).to_have_text("off")


# -- the OpenFeature web SDK ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openfeature_modules() -> None:
    reason = missing_openfeature()
    if reason:
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def test_the_openfeature_ofrep_provider_reads_the_same_endpoint(
    openfeature_modules, page, another_page, login, admin_user, live_server, panel_url, switches
):
    login(admin_user)
    answers = bulk_responses(page)
    response = open_test_page(page, f"{live_server.url}/client-switches/openfeature/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and re.search(r"script-src 'self' 'sha256-[^']+';", policy)
    expect(page.locator("#checkout")).to_have_text("off")
    details = page.evaluate(
        """() => Object.fromEntries(["checkout", "server_secret"].map((key) => {
            const details = window.openFeature.getBooleanDetails(key, true);
            return [key, {value: details.value, reason: details.reason, errorCode: details.errorCode ?? null}];
        }))"""
    )
    assert details == {
        "checkout": {"value": False, "reason": "STATIC", "errorCode": None},
        "server_secret": {"value": True, "reason": "ERROR", "errorCode": "FLAG_NOT_FOUND"},  # its default
    }
    assert answers[0].status == 200
    assert answers[0].headers["etag"] == page_data(page)["etag"]  # what the page was given

    flip_in_the_panel(another_page(), panel_url, "checkout", "Checkout", "Global")
    expect(page.locator("#checkout")).to_have_text("on")  # the provider polled, and heard of it
    changed = [response for response in answers if response.status == 200][-1]
    with page.expect_response(lambda response: response.url.endswith(BULK) and response.status == 304) as polled:
        pass  # its next poll sends the new ETag, and nothing changed since
    assert polled.value.request.headers["if-none-match"] == changed.headers["etag"]
    assert page.evaluate("() => window.gargoyleSwitches.refresh()") is True
    assert page.evaluate("() => window.gargoyleSwitches.isActive('checkout')") is True
    page.goto("about:blank")  # no more polls while the test's database is torn down
