"""Scheduled changes in the panel: schedule a percent range on a wall clock, see it listed in
the viewer's and the site's time zones, move it, cancel it; a time the clocks skip is refused."""

from __future__ import annotations

import datetime
import os

import pytest
from django.test import override_settings

from gargoyle import schedules
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.models import ScheduledChange, Switch
from tests.browser.test_panel_browser import open_panel, row_of

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)

UTC = datetime.timezone.utc


def open_schedule(page, panel_url, key):
    open_panel(page, panel_url)
    row = row_of(page, key)
    row.get_by_role("button", name="Schedule", exact=True).click()
    box = row.locator(".gargoyle-panel-schedule")
    expect(box.get_by_role("heading", name=f"Scheduled changes of {key}")).to_be_visible()
    return row, box


@override_settings(TIME_ZONE="Europe/Berlin")
def test_schedule_a_percent_range_then_move_and_cancel_it(page, login, admin_user, panel_url):
    Switch.objects.create(key="checkout", status=SELECTIVE)
    login(admin_user)
    row, box = open_schedule(page, panel_url, "checkout")
    expect(box).to_contain_text("Nothing scheduled.")

    box.get_by_label("Change").select_option(label="User: Percent")  # "Make this the only percent range"
    box.get_by_label("From").fill("0")
    box.get_by_label("To").fill("25")
    box.get_by_label("When").fill("2040-03-01T09:00")
    box.get_by_label("Time zone").select_option("Europe/Berlin")
    box.get_by_role("button", name="Schedule", exact=True).click()

    entry = box.locator("li.gargoyle-schedule")
    expect(entry).to_have_count(1)
    # The browser runs in UTC; the site's clock is Berlin's (UTC+1 in March).
    expect(entry).to_contain_text("Mar 1, 2040, 8:00 AM (your time) · Mar 1, 2040, 9:00 AM Europe/Berlin")
    expect(entry).to_contain_text("set User: Percent 25% (0-25)")
    expect(entry).to_contain_text("by admin")
    expect(row.locator(".gargoyle-schedule-line")).to_contain_text("set User: Percent 25% (0-25)")
    expect(page.locator("#gargoyle-live")).to_contain_text("Scheduled for")
    stored = ScheduledChange.objects.get()
    assert stored.due_at == datetime.datetime(2040, 3, 1, 8, 0, tzinfo=UTC)
    assert stored.arguments["condition"] == "0-25"

    entry.get_by_role("button", name="Move").click()
    entry.get_by_label("New time (UTC)").fill("2040-03-02T10:30")
    entry.get_by_role("button", name="Save").click()
    expect(box.locator("li.gargoyle-schedule")).to_contain_text("Mar 2, 2040, 10:30 AM (your time)")
    stored.refresh_from_db()
    assert stored.due_at == datetime.datetime(2040, 3, 2, 10, 30, tzinfo=UTC)

    box.locator("li.gargoyle-schedule").get_by_role("button", name="Cancel this change").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel this change").click()
    expect(box.locator("li.gargoyle-schedule")).to_contain_text("Cancelled")
    expect(box.locator("li.gargoyle-schedule")).to_contain_text("cancelled by admin")
    expect(row.locator(".gargoyle-schedule-line")).to_have_count(0)
    assert ScheduledChange.objects.get().state == "cancelled"
    shots = os.environ.get("GARGOYLE_SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=os.path.join(shots, "schedule.png"), full_page=True)


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_time_the_clocks_skip_is_refused_with_the_reason(page, login, admin_user, panel_url):
    Switch.objects.create(key="checkout", status=DISABLED)
    login(admin_user)
    _row, box = open_schedule(page, panel_url, "checkout")
    box.get_by_label("Change").select_option(label="Set the status to Selective")
    box.get_by_label("When").fill("2040-03-25T02:30")
    box.get_by_label("Time zone").select_option("Europe/Berlin")
    box.get_by_role("button", name="Schedule", exact=True).click()
    expect(box.get_by_role("alert")).to_contain_text("2040-03-25 02:30 does not exist in Europe/Berlin")
    expect(box.get_by_label("When")).to_have_attribute("aria-invalid", "true")
    assert not ScheduledChange.objects.exists()


def test_an_applied_and_a_refused_schedule_say_what_became_of_them(page, login, admin_user, panel_url):
    Switch.objects.create(key="checkout", status=DISABLED)
    soon = datetime.datetime.now(UTC) + datetime.timedelta(minutes=5)
    schedules.schedule("checkout", "status", {"status": SELECTIVE}, soon, user=admin_user)
    refused = schedules.schedule("checkout", "status", {"status": GLOBAL}, soon, user=admin_user)
    ScheduledChange.objects.filter(pk=refused.pk).update(scheduled_by=None)  # the scheduler left the site
    schedules.apply_due(now=soon + datetime.timedelta(minutes=1))
    login(admin_user)
    _row, box = open_schedule(page, panel_url, "checkout")

    entries = box.locator("li.gargoyle-schedule")
    expect(entries).to_have_count(2)
    expect(entries.filter(has_text="Applied")).to_contain_text("status Disabled → Selective")
    expect(entries.filter(has_text="Refused")).to_contain_text("refused: admin may no longer make this change.")
    expect(box.get_by_role("button", name="Move")).to_have_count(0)  # nothing pending to move
