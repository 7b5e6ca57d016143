"""The panel from the keyboard alone: the shortcuts and landmarks a keyboard user relies on."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gargoyle.constants import DISABLED, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"


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


def row_of(page: Any, key: str) -> Any:
    return page.locator("li.gargoyle-switch").filter(
        has=page.locator("code.gargoyle-key", has_text=re.compile(f"^{re.escape(key)}$"))
    )


def tab_to(page: Any, focus: str, *, limit: int = 120) -> None:
    """Press Tab until the control whose data-focus is ``focus`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.dataset.focus") == focus:
            return
    raise AssertionError(f"Tab never reached {focus}")


# Where the focused element's ring is clipped: the ancestors that clip their content
# (overflow other than visible) and do not contain the whole ring (the element's box grown
# by the outline's offset and width).
CLIPPED_BY = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 2) return ["no ring"];
  const grow = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth);
  const box = element.getBoundingClientRect();
  const ring = { left: box.left - grow, top: box.top - grow, right: box.right + grow, bottom: box.bottom + grow };
  const clipping = [];
  for (let parent = element.parentElement; parent; parent = parent.parentElement) {
    const parentStyle = getComputedStyle(parent);
    if (parentStyle.overflowX === "visible" && parentStyle.overflowY === "visible") continue;
    const edge = parent.getBoundingClientRect();
    if (ring.left < edge.left || ring.top < edge.top || ring.right > edge.right || ring.bottom > edge.bottom) {
      clipping.push(parent.className || parent.tagName);
    }
  }
  return clipping;
}"""


def test_the_focus_ring_shows_whole_on_every_control_of_a_row(page, login, admin_user, panel_url):
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    switch.add_condition(gargoyle, USER_SET, "username", "alice")
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    controls = row.locator("button:not([disabled]), input, select, a[href]")
    seen = 0
    page.locator("#gargoyle-search").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if not page.evaluate("() => !!document.activeElement.closest('li.gargoyle-switch')"):
            if seen:
                break
            continue
        seen += 1
        name = page.evaluate("() => document.activeElement.textContent || document.activeElement.ariaLabel")
        assert page.evaluate(CLIPPED_BY) == [], name
    # Every control of the row was reached, the status toggles among them.
    assert seen == controls.count() >= 8


def test_escape_closes_the_add_condition_and_preview_boxes(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    for tool, inside in (("Add a condition", "Condition"), ("Would it be on for…?", "Username")):
        button = row.get_by_role("button", name=tool)
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        row.get_by_label(inside, exact=True).focus()
        page.keyboard.press("Escape")
        expect(row.locator(".gargoyle-panel-box")).to_have_count(0)
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(button).to_be_focused()  # the focus goes back where the box was opened


def test_a_rollout_to_ten_percent_by_keyboard_alone(page, login, admin_user, panel_url):
    Switch.objects.create(key="new_checkout", label="New checkout", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "new_checkout")

    tab_to(page, "status-2")  # Selective
    page.keyboard.press("Enter")
    expect(row.get_by_role("button", name="Selective")).to_have_attribute("aria-pressed", "true")
    tab_to(page, "tool-condition")
    page.keyboard.press("Enter")
    condition = row.get_by_label("Condition", exact=True)
    expect(condition).to_be_focused()
    # A <select> takes the option's first letters as typed: "User: Percent".
    page.keyboard.type("User: Percent")
    expect(condition.locator("option:checked")).to_have_text("User: Percent")
    page.keyboard.press("Tab")
    while page.evaluate("() => document.activeElement.type") == "radio":  # the include choice stays
        page.keyboard.press("Tab")
    expect(row.get_by_label("From", exact=True)).to_be_focused()
    page.keyboard.type("0")
    page.keyboard.press("Tab")
    expect(row.get_by_label("To", exact=True)).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Enter")  # submits the form

    expect(row.locator(".gargoyle-chip")).to_have_text(re.compile(r"Percent: 10% \(0-10\)"))
    expect(row.locator(".gargoyle-effective")).to_have_text("On for: 10 % of signed-in users")
    expect(page.locator("#gargoyle-live")).to_contain_text("New checkout: added User: Percent 10% (0-10).")
    assert Switch.objects.get(key="new_checkout").value == {"auth.user": {"percent": [["i", "0-10"]]}}
    assert Switch.objects.get(key="new_checkout").status == SELECTIVE


def test_the_search_count_is_said_not_shown_as_a_notice(page, login, admin_user, panel_url):
    for key in ("new_checkout", "new_search", "dark_mode"):
        Switch.objects.create(key=key)
    login(admin_user)
    open_panel(page, panel_url)
    page.locator("#gargoyle-search").fill("new")
    expect(page.locator("#gargoyle-count")).to_have_text("2 of 3 switches match")
    # Screen readers hear it from a quiet live region; the notice stays empty.
    expect(page.locator("#gargoyle-status")).to_have_text("2 of 3 switches match")
    expect(page.locator("#gargoyle-status")).to_have_attribute("role", "status")
    expect(page.locator("#gargoyle-live")).to_be_empty()
    # An auto-created switch is labelled with its key: the heading shows it once.
    page.locator("#gargoyle-search").fill("")
    expect(row_of(page, "dark_mode").get_by_role("heading")).to_have_text("dark_mode")
