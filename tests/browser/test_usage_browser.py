"""The panel shows how often each switch is checked: the figures and the chart of the last days."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from gargoyle._storage.usage import HOUR, SwitchUsage, hour_of
from gargoyle.constants import GLOBAL, SELECTIVE
from gargoyle.models import Switch
from tests.browser.test_panel_browser import open_panel, row_of

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_row_says_how_often_it_is_checked(page, login, admin_user, panel_url):
    Switch.objects.create(key="checked", label="Checked", status=SELECTIVE)
    Switch.objects.create(key="quiet", label="Quiet", status=GLOBAL)
    hour = hour_of(timezone.now())
    for start, on, off in ((hour, 1200, 800), (hour - datetime.timedelta(days=3), 500, 500)):
        SwitchUsage.objects.create(
            switch_key="checked", period=HOUR, start=start, on=on, off=off, processes=3, last_checked=start
        )
    login(admin_user)
    open_panel(page, panel_url)

    usage = row_of(page, "checked").locator(".gargoyle-usage")
    expect(usage).to_contain_text("Checked 2,000 times in 24 h (60% on) · 3,000 in 7 days · last checked")
    expect(usage).to_contain_text("by 3 processes this hour")
    chart = usage.locator("svg.gargoyle-usage-chart")
    expect(chart).to_have_attribute("aria-hidden", "true")  # the text says the figures
    expect(chart.locator("g")).to_have_count(14)
    expect(chart.locator("g").last.locator("title")).to_contain_text(": 1,200 on, 800 off")
    expect(row_of(page, "quiet").locator(".gargoyle-usage")).to_have_text(
        "Not checked yet (each process stores its counts every minute)."
    )
