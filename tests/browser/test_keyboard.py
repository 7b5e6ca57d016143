"""The panel from the keyboard alone: the shortcuts and landmarks a keyboard user relies on."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gargoyle.constants import DISABLED
from gargoyle.models import Switch

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def open_panel(page: Any, url: str) -> None:
    page.goto(url)
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()


def test_slash_focuses_the_search_unless_the_user_is_typing(page, login, admin_user, panel_url):
    Switch.objects.create(key="new_checkout", label="New checkout", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)
    search = page.locator("#gargoyle-search")
    page.locator("body").press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the "/" itself is not typed into it

    # Typing a "/" into another field types it there.
    row = page.locator("li.gargoyle-switch").first
    row.get_by_role("button", name="Would it be on for…?").click()
    username = row.get_by_label("Username")
    expect(username).to_be_focused()
    username.press("/")
    expect(username).to_have_value("/")
    expect(search).not_to_be_focused()


def test_a_skip_link_leads_past_the_admin_navigation(page, login, admin_user, panel_url):
    login(admin_user)
    open_panel(page, panel_url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=re.compile("Skip to main content", re.IGNORECASE))
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is inside the main content, not the sidebar's navigation.
    assert page.evaluate("() => !!document.activeElement.closest('#content-start, main')")
    assert not page.evaluate("() => !!document.activeElement.closest('#nav-sidebar')")
