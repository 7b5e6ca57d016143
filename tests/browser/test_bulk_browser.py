"""The panel's list filters and bulk status change, as the admin's list_filter and actions would be."""

from __future__ import annotations

import pytest

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.models import Switch
from tests.browser.test_panel_browser import open_panel, row_of

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def some_switches() -> None:
    Switch.objects.create(key="alpha", label="Alpha", status=DISABLED)
    Switch.objects.create(key="beta", label="Beta", status=DISABLED)
    Switch.objects.create(key="gamma", label="Gamma", status=GLOBAL)
    Switch.objects.create(key="gamma:child", label="Child", status=INHERIT)
    # Conditions no registered set can read: it needs attention.
    unreadable = {"billing.plan": {"tier": [["i", "x"]]}}
    Switch.objects.create(key="broken", label="Broken", status=SELECTIVE, value=unreadable)


def statuses() -> dict[str, int]:
    return dict(Switch.objects.order_by("key").values_list("key", "status"))


def shown(page) -> list[str]:
    return page.locator("li.gargoyle-switch:not([hidden]) code.gargoyle-key").all_inner_texts()


def test_the_show_menu_filters_and_the_url_keeps_it(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    show = page.get_by_label("Show", exact=True)
    show.select_option("disabled")
    expect(page.locator("#gargoyle-count")).to_have_text("2 of 5 switches match")
    assert sorted(shown(page)) == ["alpha", "beta"]
    assert "show=disabled" in page.url
    show.select_option("attention")
    assert shown(page) == ["broken"]
    page.reload()
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()
    expect(page.get_by_label("Show", exact=True)).to_have_value("attention")
    assert shown(page) == ["broken"]
    page.get_by_label("Show", exact=True).select_option("inherit")
    assert shown(page) == ["gamma:child"]
    page.get_by_label("Show", exact=True).select_option("")
    expect(page.locator("#gargoyle-count")).to_have_text("5 switches")


def test_bulk_status_change_with_undo(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    bar = page.locator("#gargoyle-bulk")
    expect(bar).to_be_hidden()
    row_of(page, "alpha").get_by_role("checkbox", name="Select Alpha").check()
    row_of(page, "beta").get_by_role("checkbox", name="Select Beta").check()
    expect(bar).to_contain_text("2 switches selected.")
    expect(page.get_by_label("Select all shown")).to_have_js_property("indeterminate", True)

    bar.get_by_role("button", name="Selective").click()
    expect(row_of(page, "alpha").get_by_role("button", name="Selective")).to_have_attribute("aria-pressed", "true")
    expect(row_of(page, "beta").get_by_role("button", name="Selective")).to_have_attribute("aria-pressed", "true")
    assert statuses()["alpha"] == statuses()["beta"] == SELECTIVE
    live = page.locator("#gargoyle-live")
    expect(live).to_contain_text("Set to Selective: 2 switches changed.")
    expect(bar).to_be_visible()  # still chosen: the next status is one click away

    live.get_by_role("button", name="Undo: the status of 2 switches").click()
    expect(live).to_contain_text("Undone: 2 switches are back as they were.")
    expect(row_of(page, "alpha").get_by_role("button", name="Disabled")).to_have_attribute("aria-pressed", "true")
    assert statuses()["alpha"] == statuses()["beta"] == DISABLED

    bar.get_by_role("button", name="Clear the selection").click()
    expect(bar).to_be_hidden()
    expect(row_of(page, "alpha").get_by_role("checkbox", name="Select Alpha")).not_to_be_checked()


def test_bulk_global_asks_first_and_only_changes_what_is_shown(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    page.get_by_label("Show", exact=True).select_option("disabled")
    page.get_by_label("Select all shown").check()
    bar = page.locator("#gargoyle-bulk")
    expect(bar).to_contain_text("2 switches selected.")
    bar.get_by_role("button", name="Global").click()
    dialog = page.get_by_role("dialog", name="Turn 2 switches on for everyone?")
    expect(dialog).to_contain_text("whatever their conditions say: Beta, Alpha.")  # in the list's order
    dialog.get_by_role("button", name="Cancel").click()
    assert statuses()["alpha"] == DISABLED
    bar.get_by_role("button", name="Global").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, turn it on for everyone").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert statuses() == {"alpha": GLOBAL, "beta": GLOBAL, "broken": SELECTIVE, "gamma": GLOBAL, "gamma:child": INHERIT}


def test_without_set_global_the_bulk_global_is_off(page, login, staff, panel_url):
    some_switches()
    login(staff("view_switch", "change_switch"))
    open_panel(page, panel_url)
    row_of(page, "alpha").get_by_role("checkbox", name="Select Alpha").check()
    expect(page.locator("#gargoyle-bulk").get_by_role("button", name="Global")).to_be_disabled()


def test_view_only_staff_get_no_check_boxes(page, login, staff, panel_url):
    some_switches()
    login(staff("view_switch"))
    open_panel(page, panel_url)
    expect(page.locator("input.gargoyle-select")).to_have_count(0)
    expect(page.get_by_label("Select all shown")).to_be_hidden()


def test_editing_under_a_filter_keeps_the_row_and_the_focus(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    page.get_by_label("Show", exact=True).select_option("global")
    assert shown(page) == ["gamma"]
    off = row_of(page, "gamma").get_by_role("button", name="Disabled")
    off.click()
    expect(off).to_have_attribute("aria-pressed", "true")
    # No longer Global, but the row just edited stays put (as after a search), with the focus.
    assert shown(page) == ["gamma"]
    expect(off).to_be_focused()
    expect(page.locator("#gargoyle-switches")).to_be_visible()
    expect(page.locator("#gargoyle-no-match")).to_be_hidden()


def test_a_switch_added_under_a_filter_shows(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    page.get_by_label("Show", exact=True).select_option("global")
    page.get_by_role("button", name="Add a switch").click()
    dialog = page.get_by_role("dialog", name="Add a switch")
    dialog.get_by_label("Name").fill("Delta")
    dialog.get_by_role("button", name="Add switch").click()
    expect(row_of(page, "delta")).to_be_visible()  # Disabled: the filter gave way
    expect(page.get_by_label("Show", exact=True)).to_have_value("")


def test_bulk_inherit_asks_for_switches_without_a_parent(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    row_of(page, "alpha").get_by_role("checkbox", name="Select Alpha").check()
    page.locator("#gargoyle-bulk").get_by_role("button", name="Inherit").click()
    dialog = page.get_by_role("dialog", name="Inherit, without a parent?")
    expect(dialog).to_contain_text("These have no parent to follow")
    expect(dialog).to_contain_text("Alpha")
    dialog.get_by_role("button", name="Cancel").click()
    assert statuses()["alpha"] == DISABLED


def test_one_switch_reads_in_the_singular_and_hidden_rows_leave_the_selection(page, login, admin_user, panel_url):
    some_switches()
    login(admin_user)
    open_panel(page, panel_url)
    row_of(page, "alpha").get_by_role("checkbox", name="Select Alpha").check()
    row_of(page, "gamma").get_by_role("checkbox", name="Select Gamma").check()
    bar = page.locator("#gargoyle-bulk")
    page.locator("#gargoyle-search").fill("alpha")  # gamma is hidden now: no longer chosen
    expect(bar).to_contain_text("1 switch selected.")
    bar.get_by_role("button", name="Global").click()
    dialog = page.get_by_role("dialog", name="Turn 1 switch on for everyone?")
    expect(dialog).to_contain_text("Alpha.")
    dialog.get_by_role("button", name="Yes, turn it on for everyone").click()
    expect(dialog).to_be_hidden()
    assert statuses()["alpha"] == GLOBAL and statuses()["gamma"] == GLOBAL  # gamma was Global already
    page.locator("#gargoyle-search").fill("")
    expect(row_of(page, "gamma").get_by_role("checkbox", name="Select Gamma")).not_to_be_checked()
