"""An accessibility audit of every state of the panel: axe-core, run in Chromium.

axe-core comes from the npm registry: ``tox -e browser`` installs it and names its script in
``GARGOYLE_AXE_SCRIPT``. Without it the audit is skipped, except in CI (``CI=true``), where
that is a failure. A state passes with no violation of "serious" or "critical" impact.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.models import Switch, SwitchUsage
from tests.browser.conftest import IN_CI, VIEWPORT

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)

#: The impacts that fail the audit.
FAILING_IMPACTS = ("serious", "critical")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A context that lets axe-core's own inline styles through the page's strict CSP (the
    panel's compliance is tested in test_panel_browser.py; here the audit must not fail on
    its instrument)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC", bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture(scope="module")
def axe_script() -> str:
    path = os.environ.get("GARGOYLE_AXE_SCRIPT", "")
    if not path or not Path(path).is_file():
        reason = "axe-core is not installed (tox -e browser installs it from the npm registry)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture
def audit(page: Any, axe_script: str) -> Callable[[str], None]:
    """Run axe-core on the page as it is now; fail with each serious or critical violation."""

    def run(state: str) -> None:
        # Evaluated through the DevTools protocol, which the page's CSP does not govern.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_script)
        results = page.evaluate("async () => JSON.stringify(await window.axe.run(document))")
        found = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            for violation in json.loads(results)["violations"]
            if violation["impact"] in FAILING_IMPACTS
        ]
        assert found == [], f"accessibility violations in the state '{state}':\n" + "\n".join(found)

    return run


def open_panel(page: Any, url: str) -> None:
    page.goto(url)
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()


def row_of(page: Any, key: str) -> Any:
    return page.locator("li.gargoyle-switch").filter(
        has=page.locator("code.gargoyle-key", has_text=re.compile(f"^{re.escape(key)}$"))
    )


def some_switches() -> None:
    Switch.objects.create(key="new_checkout", label="New checkout", status=SELECTIVE, description="The redesign")
    Switch.objects.filter(key="new_checkout").update(
        value={
            "auth.user": {"percent": [["i", "0-10"]], "is_staff": [["i", "1"]]},
            "ip": {"ip_address": [["e", "10.0.0.1"]]},
        }
    )
    Switch.objects.create(key="search", label="Search", status=GLOBAL)
    Switch.objects.create(key="search:facets", status=INHERIT)
    Switch.objects.create(key="legacy_banner", status=DISABLED)
    # Usage figures with a chart, and a stale switch (settled for weeks), for the audit too.
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    for back in range(0, 14 * 24, 6):
        start = hour - datetime.timedelta(hours=back)
        SwitchUsage.objects.create(switch_key="search", period="h", start=start, on=40, processes=2, last_checked=start)
    SwitchUsage.objects.create(switch_key="old", period="d", start=hour - datetime.timedelta(days=60), on=1)
    old = now - datetime.timedelta(days=60)
    Switch.objects.filter(key="search").update(date_created=old)
    Switch._base_manager.filter(key="search").update(date_modified=old)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_state_of_the_panel(page, login, admin_user, panel_url, audit, scheme):
    page.emulate_media(color_scheme=scheme)
    login(admin_user)
    open_panel(page, panel_url)
    audit("no switches yet")

    some_switches()
    open_panel(page, panel_url)
    audit("the list")

    row = row_of(page, "new_checkout")
    row.get_by_role("button", name="Add a condition").click()
    expect(row.locator("form.gargoyle-condition-form")).to_be_visible()
    audit("the add-condition form")
    row.locator("form.gargoyle-condition-form").get_by_role("button", name="Add condition").click()
    expect(row.get_by_role("alert").first).to_be_visible()
    audit("the add-condition form with an error")

    row.get_by_role("button", name="Would it be on for…?").click()
    preview = row.locator("form").filter(has=page.get_by_label("Username"))
    preview.get_by_label("Username").fill("nobody")
    preview.get_by_role("button").last.click()
    audit("the preview")

    row.get_by_role("button", name="History").click()
    expect(row.get_by_role("list").last).to_be_visible()
    audit("the history")

    row.get_by_role("button", name="Schedule", exact=True).click()
    box = row.locator(".gargoyle-panel-schedule")
    box.get_by_label("When").fill("2040-01-01T09:00")
    box.get_by_role("button", name="Schedule", exact=True).click()
    expect(box.locator("li.gargoyle-schedule")).to_have_count(1)
    audit("the schedule box, with a change to come")

    rollout_row = row_of(page, "search:facets")
    rollout_row.get_by_role("button", name="Rollout", exact=True).click()
    expect(rollout_row.get_by_role("button", name="Start the rollout")).to_be_visible()
    audit("the rollout form")
    rollout_row.get_by_role("button", name="Start the rollout").click()
    expect(rollout_row.locator(".gargoyle-rollout-state")).to_contain_text("Rolling out")
    audit("a running rollout")
    rollout_row.get_by_role("button", name="Rollout", exact=True).click()

    page.get_by_role("button", name="Add a switch").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    audit("the add dialog")
    page.keyboard.press("Escape")

    row_of(page, "legacy_banner").get_by_role("button", name=re.compile("Global")).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    audit("the confirmation before Global")
    page.keyboard.press("Escape")

    expect(row_of(page, "search").locator(".gargoyle-usage-chart")).to_be_visible()
    expect(row_of(page, "search").locator(".gargoyle-badge-stale")).to_be_visible()
    audit("usage figures, a chart and a stale badge")
    row_of(page, "search").get_by_role("checkbox", name="Select Search").check()
    row_of(page, "legacy_banner").get_by_role("checkbox", name="Select legacy_banner").check()
    expect(page.locator("#gargoyle-bulk")).to_be_visible()
    audit("two switches selected, with the bulk status bar")
    page.get_by_label("Show", exact=True).select_option("attention")
    audit("the filter without results")
    page.get_by_label("Show", exact=True).select_option("")

    page.locator("#gargoyle-search").fill("no such switch")
    audit("a search without results")


def test_the_panel_for_view_only_staff(page, login, staff, panel_url, audit):
    some_switches()
    login(staff("can_view"))
    open_panel(page, panel_url)
    audit("the list, view only")


def test_the_audit_fails_on_a_real_violation(page, login, admin_user, panel_url, audit):
    """The audit can fail: an image button without a name is a critical violation."""
    login(admin_user)
    open_panel(page, panel_url)
    page.evaluate("() => document.body.append(Object.assign(document.createElement('input'), {type: 'image'}))")
    with pytest.raises(AssertionError, match="input-image-alt"):
        audit("a nameless image button")
