"""The switch panel in a real browser: what a staff user does, with the keyboard and the mouse."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.db import connection

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.history import SwitchChange
from gargoyle.models import Switch

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
IP_SET = "gargoyle.builtins.IPAddressConditionSet"


def row_of(page: Any, key: str) -> Any:
    return page.locator("li.gargoyle-switch").filter(
        has=page.locator("code.gargoyle-key", has_text=re.compile(f"^{re.escape(key)}$"))
    )


def stored(key: str) -> Switch:
    return Switch.objects.get(key=key)


def open_panel(page: Any, url: str) -> Any:
    response = page.goto(url)
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()
    return response


def live_text(page: Any) -> Any:
    return expect(page.locator("#gargoyle-live"))


# -- creating and targeting a switch -----------------------------------------------------------


def test_create_a_switch_and_give_it_conditions(page, login, admin_user, panel_url):
    login(admin_user)
    open_panel(page, panel_url)
    expect(page.get_by_role("heading", name="No switches yet")).to_be_visible()
    # Nothing to sort, filter or search yet: those tools wait for the first switch.
    expect(page.locator("#gargoyle-search")).to_be_hidden()
    expect(page.get_by_label("Show", exact=True)).to_be_hidden()

    page.get_by_role("button", name="Add your first switch").click()
    dialog = page.get_by_role("dialog", name="Add a switch")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Name")).to_be_focused()
    dialog.get_by_label("Name").fill("New checkout")
    expect(dialog.get_by_label("Key")).to_have_value("new_checkout")  # suggested from the name
    dialog.get_by_label("Description").fill("Redesigned checkout flow")
    dialog.get_by_role("button", name="Add switch").click()
    expect(dialog).to_be_hidden()

    row = row_of(page, "new_checkout")
    expect(row.get_by_role("heading")).to_contain_text("New checkout")
    expect(page.locator("#gargoyle-search")).to_be_visible()
    expect(row).to_contain_text("Redesigned checkout flow")
    live_text(page).to_contain_text("New checkout")
    switch = stored("new_checkout")
    assert (switch.label, switch.description, switch.status) == ("New checkout", "Redesigned checkout flow", DISABLED)

    # A 0-25 % user percent condition: two number inputs.
    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    expect(form.get_by_label("Condition")).to_be_focused()
    form.get_by_label("Condition").select_option(label="User: Percent")
    expect(form.locator("input[type=number]")).to_have_count(2)
    expect(form).to_contain_text("Enter a range")  # the field's help text
    form.get_by_label("From").fill("0")
    form.get_by_label("To").fill("25")
    form.get_by_role("button", name="Add condition").click()
    chips = row.locator(".gargoyle-chip")
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("Percent: 25% (0-25)")
    live_text(page).to_contain_text("User: Percent")

    # Bad input is refused with a message naming the field; nothing is stored.
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("From").fill("30")
    form.get_by_label("To").fill("10")
    form.get_by_role("button", name="Add condition").click()
    expect(form.get_by_role("alert")).to_contain_text("Percent")
    assert stored("new_checkout").value == {"auth.user": {"percent": [["i", "0-25"]]}}

    # An IP exclude: one text box and the Exclude checkbox.
    form.get_by_label("Condition").select_option(label="IP Address: Address or network")
    expect(form.locator("input[type=number]")).to_have_count(0)
    form.get_by_label("Address or network", exact=True).fill("10.0.0.1")
    form.get_by_label("Exclude").check()
    form.get_by_role("button", name="Add condition").click()
    expect(chips).to_have_count(2)
    excluded = row.locator(".gargoyle-chip-exclude")
    expect(excluded).to_contain_text("10.0.0.1")
    expect(excluded).to_contain_text("not")

    assert stored("new_checkout").value == {
        "auth.user": {"percent": [["i", "0-25"]]},
        "ip": {"ip_address": [["e", "10.0.0.1"]]},
    }


def test_field_types_choose_the_inputs(page, login, admin_user, panel_url):
    Switch.objects.create(key="typed", label="Typed", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "typed")
    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    inputs = form.locator(".gargoyle-condition-inputs")

    form.get_by_label("Condition").select_option(label="User: Staff")  # boolean: only Exclude
    expect(inputs.locator("input, select")).to_have_count(0)
    expect(form.get_by_label("Exclude")).to_be_visible()
    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-chip")).to_contain_text(["Staff"])

    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Joined on or after")
    expect(form.locator(".gargoyle-condition-inputs input[type=date]")).to_have_count(1)
    form.locator(".gargoyle-condition-inputs input[type=date]").fill("2019-01-01")
    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(2)
    expect(row.locator(".gargoyle-chip").nth(1)).to_contain_text("01 Jan 2019")

    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Username")
    expect(form.locator(".gargoyle-condition-inputs input[type=text]")).to_have_count(1)
    assert stored("typed").value == {"auth.user": {"is_staff": [["i", "1"]], "date_joined": [["i", "2019-01-01"]]}}


def test_a_field_type_of_your_own_names_its_input(page, login, admin_user, panel_url):
    """A field class's panel_type is the input: an HTML input type as it is, anything else a text box."""
    from gargoyle.conditions import ConditionSet, String
    from gargoyle.manager import gargoyle

    class Email(String):
        panel_type = "email"

    class Visits(String):
        panel_type = "number"

    class Colour(String):
        panel_type = "colour"  # no such input

    class Upload(String):
        panel_type = "file"  # an input whose value the form could not send

    class ShopperConditionSet(ConditionSet):
        email = Email()
        visits = Visits()
        colour = Colour()
        upload = Upload()

        def get_namespace(self) -> str:
            return "shopper"

        def get_group_label(self) -> str:
            return "Shopper"

    Switch.objects.create(key="typed", label="Typed", status=SELECTIVE)
    gargoyle.register(ShopperConditionSet)
    try:
        login(admin_user)
        open_panel(page, panel_url)
        row = row_of(page, "typed")
        row.get_by_role("button", name="Add a condition").click()
        form = row.locator("form.gargoyle-condition-form")
        inputs = form.locator(".gargoyle-condition-inputs input")
        for label, kind in [("Visits", "number"), ("Colour", "text"), ("Upload", "text"), ("Email", "email")]:
            form.get_by_label("Condition").select_option(label=f"Shopper: {label}")
            expect(inputs).to_have_count(1)
            expect(inputs).to_have_attribute("type", kind)
            expect(form.get_by_label(label, exact=True)).to_be_visible()

        form.get_by_label("Email", exact=True).fill("ada@example.com")
        form.get_by_role("button", name="Add condition").click()
        expect(row.locator(".gargoyle-chip")).to_contain_text(["ada@example.com"])
        assert stored("typed").value == {"shopper": {"email": [["i", "ada@example.com"]]}}
    finally:
        gargoyle.unregister(ShopperConditionSet)


# -- status ---------------------------------------------------------------------------------


def test_status_toggles_and_global_asks_first(page, login, admin_user, panel_url):
    Switch.objects.create(key="search_v2", label="Search v2", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "search_v2")
    toggles = row.get_by_role("group", name="Status of Search v2")
    expect(toggles.get_by_role("button", name="Selective")).to_have_attribute("aria-pressed", "true")
    expect(row).to_contain_text("Off for everyone (no conditions)")

    # Global asks in a dialog; cancelling changes nothing.
    toggles.get_by_role("button", name="Global").click()
    confirm = page.get_by_role("dialog", name="Turn Search v2 on for everyone?")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert stored("search_v2").status == SELECTIVE
    expect(toggles.get_by_role("button", name="Global")).to_have_attribute("aria-pressed", "false")

    toggles.get_by_role("button", name="Global").click()
    confirm.get_by_role("button", name="Yes, turn it on for everyone").click()
    expect(confirm).to_be_hidden()
    expect(toggles.get_by_role("button", name="Global")).to_have_attribute("aria-pressed", "true")
    expect(toggles.get_by_role("button", name="Selective")).to_have_attribute("aria-pressed", "false")
    expect(row).to_contain_text("On for everyone")
    expect(toggles.get_by_role("button", name="Global")).to_be_focused()  # focus back on the toggle
    live_text(page).to_contain_text("Search v2 is now Global")
    assert stored("search_v2").status == GLOBAL

    toggles.get_by_role("button", name="Disabled").click()
    expect(toggles.get_by_role("button", name="Disabled")).to_have_attribute("aria-pressed", "true")
    expect(row).to_contain_text("Off for everyone")
    assert stored("search_v2").status == DISABLED

    # search_v2 has no parent: Inherit says so first (see test_no_lost_work.py).
    toggles.get_by_role("button", name="Inherit").click()
    page.get_by_role("dialog", name="Inherit, without a parent?").get_by_role("button", name="Set Inherit").click()
    expect(toggles.get_by_role("button", name="Inherit")).to_have_attribute("aria-pressed", "true")
    assert stored("search_v2").status == INHERIT


def test_keyboard_only_changes_the_status(page, login, admin_user, panel_url):
    Switch.objects.create(key="alpha", label="Alpha", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)

    def tab_to(focus: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.dataset.focus") == focus:
                return
        raise AssertionError(f"Tab never reached {focus}")

    tab_to("status-2")  # Selective
    selective = row_of(page, "alpha").get_by_role("button", name="Selective")
    expect(selective).to_be_focused()
    outline = selective.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Enter")
    expect(selective).to_have_attribute("aria-pressed", "true")
    expect(selective).to_be_focused()
    assert stored("alpha").status == SELECTIVE

    page.keyboard.press("Tab")  # on to Disabled
    disabled = row_of(page, "alpha").get_by_role("button", name="Disabled")
    expect(disabled).to_be_focused()
    page.keyboard.press("Space")
    expect(disabled).to_have_attribute("aria-pressed", "true")
    assert stored("alpha").status == DISABLED

    # The add dialog, by keyboard: Escape closes it and gives the focus back.
    page.get_by_role("button", name="Add a switch").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add a switch")
    expect(dialog).to_be_visible()
    page.keyboard.type("Beta")
    page.keyboard.press("Enter")  # submits the form
    expect(dialog).to_be_hidden()
    expect(row_of(page, "beta")).to_be_visible()
    assert stored("beta").label == "Beta"


# -- search and sort ---------------------------------------------------------------------------


def test_words_typed_before_the_script_runs_are_kept(page, login, admin_user, panel_url):
    Switch.objects.create(key="new_checkout", label="New checkout")
    Switch.objects.create(key="dark_mode", label="Dark mode")
    login(admin_user)

    def slow_main(route):  # the page is usable before its script has run
        time.sleep(0.5)
        route.continue_()

    page.route("**/panel/main.js*", slow_main)
    page.goto(panel_url, wait_until="commit")  # DOMContentLoaded waits for module scripts
    page.get_by_role("searchbox", name="Search switches").fill("dark")
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()
    expect(page.get_by_role("searchbox", name="Search switches")).to_have_value("dark")
    expect(page.locator("li.gargoyle-switch:visible code.gargoyle-key")).to_have_text(["dark_mode"])


def test_instant_search_and_sorting(page, login, admin_user, panel_url):
    Switch.objects.create(key="new_checkout", label="New checkout", description="Redesigned payment page")
    Switch.objects.create(key="search_v2", label="Search v2", description="Elasticsearch")
    Switch.objects.create(key="legacy_export", label="Legacy export", description="Old CSV export")
    login(admin_user)
    open_panel(page, panel_url)
    rows = page.locator("li.gargoyle-switch:visible code.gargoyle-key")
    expect(rows).to_have_text(["legacy_export", "search_v2", "new_checkout"])  # newest first
    expect(page.locator("#gargoyle-count")).to_have_text("3 switches")

    search = page.get_by_role("searchbox", name="Search switches")
    search.fill("check")  # key and label
    expect(rows).to_have_text(["new_checkout"])
    expect(page.locator("#gargoyle-count")).to_have_text("1 of 3 switches matches")
    search.fill("csv")  # description, any case
    expect(rows).to_have_text(["legacy_export"])
    search.fill("nothing like it")
    expect(rows).to_have_count(0)
    expect(page.get_by_text("No switch matches “nothing like it”.")).to_be_visible()
    page.get_by_role("button", name="Clear the search").click()
    expect(rows).to_have_count(3)
    expect(search).to_be_focused()

    sort = page.get_by_role("group", name="Sort by")
    sort.get_by_role("button", name="Sort by Label").click()
    expect(rows).to_have_text(["legacy_export", "new_checkout", "search_v2"])
    expect(sort.get_by_role("button", name="Sorted by Label, ascending")).to_have_attribute("aria-pressed", "true")
    sort.get_by_role("button", name="Sorted by Label, ascending").click()
    expect(rows).to_have_text(["search_v2", "new_checkout", "legacy_export"])
    sort.get_by_role("button", name="Sort by Created").click()
    expect(rows).to_have_text(["legacy_export", "search_v2", "new_checkout"])
    sort.get_by_role("button", name="Sorted by Created, descending").click()
    expect(rows).to_have_text(["new_checkout", "search_v2", "legacy_export"])

    # The search and order live in the URL: a reload keeps them.
    search.fill("e")
    page.reload()
    expect(page.get_by_role("searchbox", name="Search switches")).to_have_value("e")
    expect(
        page.get_by_role("group", name="Sort by").get_by_role("button", name="Sorted by Created, ascending")
    ).to_be_visible()


# -- preview --------------------------------------------------------------------------------


def test_preview_says_whether_and_why(page, login, admin_user, django_user_model, panel_url):
    django_user_model.objects.create_user(username="alice")
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    from gargoyle.manager import gargoyle

    switch.add_condition(gargoyle, USER_SET, "username", "alice")
    switch.add_condition(gargoyle, IP_SET, "ip_address", "10.0.0.1", exclude=True)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    row.get_by_role("button", name="Would it be on for…?").click()
    form = row.locator("form.gargoyle-preview-form")
    expect(form.get_by_label("Username")).to_be_focused()

    form.get_by_label("Username").fill("alice")
    form.get_by_role("button", name="Check").click()
    result = form.locator(".gargoyle-preview-result")
    expect(result).to_contain_text("On")
    expect(result).to_contain_text("Included by User: Username alice")

    form.get_by_label("IP address").fill("10.0.0.1")
    form.get_by_role("button", name="Check").click()
    expect(result).to_contain_text("Off")
    expect(result).to_contain_text("Excluded by IP Address: 10.0.0.1")

    form.get_by_label("Username").fill("nobody")
    form.get_by_role("button", name="Check").click()
    expect(form.get_by_role("alert")).to_contain_text("username")
    expect(form.get_by_label("Username")).to_have_attribute("aria-invalid", "true")


# -- removing a condition and rolling back ---------------------------------------------------


def test_remove_a_condition_then_roll_back_from_history(page, login, admin_user, panel_url):
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    from gargoyle.manager import gargoyle

    switch.add_condition(gargoyle, USER_SET, "percent", "0-25")
    switch.add_condition(gargoyle, IP_SET, "ip_address", "10.0.0.1", exclude=True)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    remove = row.get_by_role("button", name="Remove condition Exclude: IP Address 10.0.0.1")
    remove.click()
    expect(remove).to_have_count(0)
    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    expect(row.get_by_role("button", name=re.compile("^Remove condition Include: User Percent"))).to_be_focused()
    assert stored("beta").value == {"auth.user": {"percent": [["i", "0-25"]]}}

    row.get_by_role("button", name="History").click()
    history = row.locator("table.gargoyle-history")
    expect(history.locator("tbody tr")).to_have_count(4)  # added, two conditions, the removal
    latest = history.locator("tbody tr").first
    expect(latest).to_contain_text("removed exclude IP Address: 10.0.0.1")
    expect(latest).to_contain_text("admin")

    latest.get_by_role("button", name="Undo this change").click()  # recorded, so undoable in turn: no confirmation
    expect(row.locator(".gargoyle-chip")).to_have_count(2)
    expect(history.locator("tbody tr")).to_have_count(5)
    expect(history.locator("tbody tr").first).to_contain_text("restores #")
    assert stored("beta").value == {
        "auth.user": {"percent": [["i", "0-25"]]},
        "ip": {"ip_address": [["e", "10.0.0.1"]]},
    }
    restore = SwitchChange.objects.filter(switch_key="beta").first()
    assert restore.restored_from_id is not None
    assert restore.username == "admin"

    # "Restore this state" on the oldest change: the switch as it was added.
    history.locator("tbody tr").last.get_by_role("button", name="Restore this state").click()
    page.get_by_role("dialog", name="Restore this state?").get_by_role("button", name="Restore").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(0)
    assert stored("beta").value == {}


def test_a_double_click_on_a_chips_remove_button_sends_one_request(page, login, admin_user, panel_url):
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    from gargoyle.manager import gargoyle

    switch.add_condition(gargoyle, USER_SET, "username", "alice")
    switch.add_condition(gargoyle, USER_SET, "username", "bob")
    login(admin_user)
    open_panel(page, panel_url)
    removals = []
    page.on("request", lambda request: removals.append(request) if "conditions/remove" in request.url else None)
    row = row_of(page, "beta")

    row.get_by_role("button", name="Remove condition Include: User Username: alice").dblclick()

    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    expect(row.locator(".gargoyle-chip")).to_contain_text("bob")
    page.wait_for_timeout(300)  # a second request, had one been sent, would be on its way by now
    assert len(removals) == 1
    assert stored("beta").value == {"auth.user": {"username": [["i", "bob"]]}}


def test_upgrade_notices_and_marking_a_switch_reviewed(page, login, admin_user, panel_url, tmp_path):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE, value={"auth.user": {"username": [["e", "bob"]]}})
    Switch.objects.create(key="odd", label="Odd", status=SELECTIVE, value={"auth.user": {"username": [["i", "al"]]}})
    Switch.objects.filter(key="beta").update(carried_over=True)
    with connection.cursor() as cursor:  # as gargoyle-yplan could leave it (the model refuses it)
        cursor.execute("UPDATE gargoyle_switch SET status = 7 WHERE key = 'odd'")
    login(admin_user)
    open_panel(page, panel_url)
    beta, odd = row_of(page, "beta"), row_of(page, "odd")

    expect(beta.locator(".gargoyle-notice")).to_contain_text("Exclude conditions only")
    expect(odd.locator(".gargoyle-notice")).to_contain_text("Stored status 7 is not 1-4")
    expect(odd.get_by_role("button", name=re.compile("^Mark .* reviewed"))).to_have_count(0)
    page.screenshot(path=str(tmp_path / "notices.png"), full_page=True)

    beta.get_by_role("button", name="Mark Beta reviewed: its new answers are right").click()

    expect(beta.locator(".gargoyle-notice")).to_have_count(0)
    live_text(page).to_contain_text("Beta is marked reviewed")
    assert not stored("beta").carried_over
    odd.get_by_role("button", name="Selective").click()  # setting a status clears the other notice
    expect(odd.locator(".gargoyle-notice")).to_have_count(0)
    assert stored("odd").status == SELECTIVE


# -- edit and delete ----------------------------------------------------------------------------


def test_edit_and_delete_dialogs(page, login, admin_user, panel_url):
    Switch.objects.create(key="alpha", label="Alpha", description="First")
    Switch.objects.create(key="taken", label="Taken")
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "alpha")

    edit = row.get_by_role("button", name="Edit Alpha")
    edit.click()
    dialog = page.get_by_role("dialog", name="Edit a switch")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Key")).to_have_value("alpha")
    page.keyboard.press("Escape")  # Esc closes, the focus goes back
    expect(dialog).to_be_hidden()
    expect(edit).to_be_focused()

    edit.click()
    dialog.get_by_label("Key").fill("taken")  # a rename onto another switch is refused
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.get_by_role("alert")).to_contain_text("already exists")
    expect(dialog.get_by_label("Key")).to_have_attribute("aria-invalid", "true")
    assert stored("taken").label == "Taken"

    dialog.get_by_label("Key").fill("alpha_v2")
    dialog.get_by_label("Name").fill("Alpha, renamed")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    row = row_of(page, "alpha_v2")
    expect(row.get_by_role("heading")).to_contain_text("Alpha, renamed")
    expect(row.get_by_role("button", name="Edit Alpha, renamed")).to_be_focused()
    assert not Switch.objects.filter(key="alpha").exists()
    assert stored("alpha_v2").description == "First"

    row.get_by_role("button", name="Delete Alpha, renamed").click()
    confirm = page.get_by_role("dialog", name="Delete Alpha, renamed?")
    confirm.get_by_role("button", name="Delete switch").click()
    expect(confirm).to_be_hidden()
    expect(row_of(page, "alpha_v2")).to_have_count(0)
    assert not Switch.objects.filter(key="alpha_v2").exists()
    live_text(page).to_contain_text("deleted")


# -- safety -----------------------------------------------------------------------------------

XSS = "<img src=x onerror=alert(1)>\"q\" 's' <script>alert(2)</script>"  # a label: 64 characters at most


def test_html_in_labels_stays_inert_text(page, login, admin_user, panel_url, watch):
    key = "x\"'<b>"
    switch = Switch.objects.create(key=key, label=XSS, description=XSS, status=SELECTIVE)
    from gargoyle.manager import gargoyle

    switch.add_condition(gargoyle, USER_SET, "username", "<i>bob</i>")
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, key)
    expect(row.locator(".gargoyle-label-text")).to_have_text(XSS)
    expect(row.locator(".gargoyle-description")).to_have_text(XSS)
    expect(row.locator(".gargoyle-chip-text")).to_have_text("Username: <i>bob</i>")
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#content-main script").count() == 0

    row.get_by_role("button", name=f"Edit {XSS}").click()
    dialog = page.get_by_role("dialog", name="Edit a switch")
    expect(dialog.get_by_label("Name")).to_have_value(XSS)
    expect(dialog.get_by_label("Key")).to_have_value(key)
    page.keyboard.press("Escape")

    # Toggling, previewing and the history keep it text too.
    row.get_by_role("button", name="Disabled").click()
    live_text(page).to_contain_text(XSS)
    row.get_by_role("button", name="History").click()
    expect(row.locator("table.gargoyle-history tbody tr").first).to_be_visible()
    page.wait_for_timeout(300)
    assert watch.dialogs == []  # no alert() ran
    assert page.locator("img[src=x]").count() == 0


def test_no_content_security_policy_violations(page, login, admin_user, panel_url, watch):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    response = open_panel(page, panel_url)
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # Every screen once: dialogs, condition form, preview, history, the toast.
    row = row_of(page, "beta")
    page.get_by_role("button", name="Add a switch").click()
    page.keyboard.press("Escape")
    row.get_by_role("button", name="Edit Beta").click()
    page.keyboard.press("Escape")
    row.get_by_role("button", name="Global").click()
    page.get_by_role("button", name="Cancel").click()
    row.get_by_role("button", name="Add a condition").click()
    row.locator("form.gargoyle-condition-form").get_by_label("Condition").select_option(label="User: Percent")
    row.get_by_role("button", name="Would it be on for…?").click()
    row.get_by_role("button", name="Check").click()
    expect(row.locator(".gargoyle-preview-result")).to_contain_text("Off")
    row.get_by_role("button", name="History").click()
    expect(row.locator("table.gargoyle-history")).to_be_visible()
    row.get_by_role("button", name="Disabled").click()
    live_text(page).to_contain_text("Beta is now Disabled")
    page.wait_for_timeout(200)
    assert watch.csp_violations() == []
    assert watch.errors == []

    # The watcher does see a violation when there is one: an inline style attribute.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')")
    page.wait_for_timeout(200)
    assert watch.csp_violations(), "a blocked inline style should have been reported"
    watch.console.clear()


# -- permissions ---------------------------------------------------------------------------------


def test_view_only_staff_sees_no_edit_controls(page, login, staff, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE, value={"ip": {"ip_address": [["e", "10.0.0.1"]]}})
    login(staff("view_switch"))
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    expect(row).to_contain_text("Selective")
    expect(page.get_by_role("button", name="Add a switch")).to_be_hidden()
    for name in ("Inherit", "Global", "Selective", "Disabled", "Edit Beta", "Delete Beta", "Add a condition"):
        expect(row.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(row.locator(".gargoyle-chip-remove")).to_have_count(0)
    expect(row.locator(".gargoyle-chip")).to_contain_text("10.0.0.1")

    # Preview and history stay available, without restore buttons.
    row.get_by_role("button", name="Would it be on for…?").click()
    row.get_by_role("button", name="Check").click()
    expect(row.locator(".gargoyle-preview-result")).to_contain_text("No exclude condition matches them")
    row.get_by_role("button", name="History").click()
    expect(row.locator("table.gargoyle-history tbody tr")).to_have_count(1)
    expect(row.get_by_role("button", name="Restore this state")).to_have_count(0)

    # Hidden is not the only guard: the API refuses the change.
    status = page.evaluate(
        """async () => {
            const token = document.querySelector('#gargoyle-csrf [name=csrfmiddlewaretoken]').value;
            const data = JSON.parse(document.getElementById('gargoyle-data').textContent);
            const response = await fetch(data.urls.status, {
                method: 'POST', headers: {'X-CSRFToken': token}, body: new URLSearchParams({key: 'beta', status: '3'}),
            });
            return response.status;
        }"""
    )
    assert status == 403
    assert stored("beta").status == SELECTIVE


def test_global_needs_its_own_permission(page, login, staff, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(staff("view_switch", "change_switch"))
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    expect(row.get_by_role("button", name="Global")).to_be_disabled()
    row.get_by_role("button", name="Disabled").click()
    expect(row.get_by_role("button", name="Disabled")).to_have_attribute("aria-pressed", "true")
    expect(row.get_by_role("button", name="Edit Beta")).to_be_visible()
    expect(row.get_by_role("button", name="Delete Beta")).to_have_count(0)
    expect(page.get_by_role("button", name="Add a switch")).to_be_hidden()


def test_anonymous_visitors_go_to_the_admin_login(page, panel_url):
    page.goto(panel_url)
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))


def test_django_switch_pages_lead_into_the_panel(page, login, admin_user, live_server):
    Switch.objects.create(key="alpha", label="Alpha")
    Switch.objects.create(key="beta", label="Beta")
    login(admin_user)
    page.goto(f"{live_server.url}/admin/gargoyle/switch/add/")  # the admin index's "Add" link
    expect(page.get_by_role("dialog", name="Add a switch")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/gargoyle/switch/$"))
    page.keyboard.press("Escape")

    page.goto(f"{live_server.url}/admin/gargoyle/switch/beta/change/")
    expect(page.get_by_role("searchbox", name="Search switches")).to_have_value("beta")
    expect(page.locator("li.gargoyle-switch:visible code.gargoyle-key")).to_have_text(["beta"])
