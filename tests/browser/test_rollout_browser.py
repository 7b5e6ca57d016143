"""Rollouts in the panel: start one, watch its stage and the guard's figures, pause, resume,
advance and abort it; a viewer sees it without the buttons."""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from gargoyle import rollouts
from gargoyle._storage.rollout import add_outcomes
from gargoyle.constants import DISABLED
from gargoyle.models import Rollout, Switch
from tests.browser.test_panel_browser import open_panel, row_of

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def open_rollout(page, panel_url, key):
    open_panel(page, panel_url)
    row = row_of(page, key)
    row.get_by_role("button", name="Rollout", exact=True).click()
    box = row.locator(".gargoyle-panel-rollout")
    expect(box.get_by_role("heading", name=f"Rollout of {key}")).to_be_visible()
    return row, box


def test_start_a_rollout_then_pause_resume_advance_and_abort(page, login, admin_user, panel_url):
    Switch.objects.create(key="checkout", status=DISABLED)
    login(admin_user)
    row, box = open_rollout(page, panel_url, "checkout")

    box.get_by_label("Stages (percent)").fill("1, 10, 100")
    box.get_by_label("Hold each stage (minutes)").fill("30")
    box.get_by_label("Exposed before widening").fill("50")
    box.get_by_label("When the guard trips").select_option("previous_stage")
    box.get_by_role("button", name="Start the rollout").click()

    expect(box.locator(".gargoyle-rollout-state")).to_contain_text("Rolling out stage 1 of 3, 1 %")
    expect(box.locator(".gargoyle-rollout-stages li")).to_have_count(3)
    expect(box.locator("li[aria-current=step]")).to_contain_text("1 % for at least 30 min and 50 exposed")
    expect(row.locator(".gargoyle-rollout-line")).to_contain_text("stage 1 of 3, 1 %")
    expect(row.locator(".gargoyle-conditions")).to_contain_text("Percent: 1% (0-1)")
    rollout = Rollout.objects.get()
    assert (rollout.stages[0], rollout.on_trip) == ({"percent": "1", "hold": 1800, "min_exposed": 50}, "previous_stage")

    box.get_by_role("button", name="Pause").click()
    expect(box.locator(".gargoyle-rollout-state")).to_contain_text("Rollout paused")
    box.get_by_role("button", name="Resume").click()
    expect(box.locator(".gargoyle-rollout-state")).to_contain_text("Rolling out")

    box.get_by_role("button", name="Advance now").click()
    page.get_by_role("dialog").get_by_role("button", name="Advance now").click()
    expect(box.locator(".gargoyle-rollout-state")).to_contain_text("stage 2 of 3, 10 %")
    expect(row.locator(".gargoyle-conditions")).to_contain_text("Percent: 10% (0-10)")

    box.get_by_role("button", name="Abort").click()
    page.get_by_role("dialog").get_by_role("button", name="Abort").click()
    expect(box.get_by_role("button", name="Start the rollout")).to_be_visible()
    expect(box.locator(".gargoyle-rollout-past")).to_contain_text("Aborted")
    expect(row.locator(".gargoyle-rollout-line")).to_have_count(0)
    assert Rollout.objects.get().state == "aborted"


def test_the_guards_figures_show_with_their_uncertainty(page, login, admin_user, staff, panel_url):
    Switch.objects.create(key="checkout", status=DISABLED)
    rollout = rollouts.start("checkout", [5, 25, 100], user=admin_user)
    add_outcomes(
        {(rollout.pk, rollout.run, True, "errors"): [150, 2], (rollout.pk, rollout.run, False, "errors"): [2900, 20]},
        {(rollout.pk, rollout.run): {f"user-{number}" for number in range(40)}},
    )
    rollouts.evaluate_due(now=timezone.now() + datetime.timedelta(minutes=2))
    login(staff("view_switch", username="viewer"))
    _row, box = open_rollout(page, panel_url, "checkout")

    expect(box).to_contain_text("Exposed in this stage: 40 of the 100 needed.")
    figures = box.locator("table.gargoyle-rollout-table tbody tr")
    expect(figures).to_have_count(1)
    expect(figures).to_contain_text("1.3 % (0.4 %\u20134.7 %), n = 150")
    expect(figures).to_contain_text("0.7 % (0.4 %\u20131.1 %), n = 2,900")
    expect(figures).to_contain_text("waiting for 200 requests in each group")
    expect(box.locator(".gargoyle-rollout-outcome")).to_contain_text("waiting: 58 min of hold, 40 of 100 exposed")
    expect(box.get_by_role("button", name="Pause")).to_have_count(0)  # a viewer has no buttons
    shots = os.environ.get("GARGOYLE_SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=os.path.join(shots, "rollout.png"), full_page=True)
