"""No click loses work: undo after a removal or a status change, what is typed into a box while
the row is rebuilt, a double click on a chip, two excludes in a row, the rename warning, input
checked before the round trip, and Inherit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gargoyle.constants import DISABLED, INHERIT, SELECTIVE
from gargoyle.models import ScheduledChange, Switch
from tests.browser.test_panel_browser import IP_SET, USER_SET, open_panel, row_of, stored

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def beta_with(*conditions: tuple[str, str, str, bool]) -> Switch:
    from gargoyle.manager import gargoyle

    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    for set_id, field, value, exclude in conditions:
        switch.add_condition(gargoyle, set_id, field, value, exclude=exclude)
    return switch


def requests_to(page: Any, path: str) -> list[Any]:
    """The POST requests the page sends to an API path ending in ``path``."""
    sent: list[Any] = []

    def seen(request: Any) -> None:
        if request.method == "POST" and request.url.split("?")[0].endswith(path):
            sent.append(request)

    page.on("request", seen)
    return sent


def toast(page: Any) -> Any:
    return page.locator("#gargoyle-live")


# -- undo -----------------------------------------------------------------------------------------


def test_undo_a_removal(page, login, admin_user, panel_url):
    beta_with((USER_SET, "username", "alice", False), (IP_SET, "ip_address", "10.0.0.1", True))
    before = stored("beta").value
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")

    row.get_by_role("button", name="Remove condition Exclude: IP Address 10.0.0.1").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    assert stored("beta").value == {"auth.user": {"username": [["i", "alice"]]}}
    # The notice names the value; the chip's place is kept, with its own Undo.
    expect(toast(page)).to_contain_text("Beta: removed exclude IP Address: 10.0.0.1.")
    expect(row.locator(".gargoyle-chip-placeholder")).to_contain_text("Removed: not 10.0.0.1")

    toast(page).get_by_role("button", name="Undo: Removed: not 10.0.0.1").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(2)
    expect(row.locator(".gargoyle-chip-exclude")).to_contain_text("10.0.0.1")
    expect(row.locator(".gargoyle-chip-placeholder")).to_have_count(0)
    expect(toast(page)).to_contain_text("Undone: Beta is back as it was.")
    assert stored("beta").value == before


def test_undo_a_removal_from_the_chips_place(page, login, admin_user, panel_url):
    beta_with((USER_SET, "username", "alice", False), (USER_SET, "username", "bob", False))
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    row.get_by_role("button", name="Remove condition Include: User Username: alice").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    undo = row.locator(".gargoyle-chip-placeholder").get_by_role("button", name=re.compile("^Undo"))
    undo.click()  # at once: the second click of a double click, not an undo
    page.wait_for_timeout(300)
    assert stored("beta").value == {"auth.user": {"username": [["i", "bob"]]}}
    page.wait_for_timeout(500)
    undo.click()
    expect(row.locator(".gargoyle-chip")).to_have_count(2)
    assert stored("beta").value == {"auth.user": {"username": [["i", "alice"], ["i", "bob"]]}}


def test_undo_a_status_change(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)
    toggles = row_of(page, "beta").get_by_role("group", name="Status of Beta")

    toggles.get_by_role("button", name="Selective").click()
    expect(toggles.get_by_role("button", name="Selective")).to_have_attribute("aria-pressed", "true")
    assert stored("beta").status == SELECTIVE
    expect(toast(page)).to_contain_text("Beta is now Selective")

    toast(page).get_by_role("button", name="Undo: Status of Beta: Selective").click()
    expect(toggles.get_by_role("button", name="Disabled")).to_have_attribute("aria-pressed", "true")
    expect(toggles.get_by_role("button", name="Disabled")).to_be_focused()
    assert stored("beta").status == DISABLED


# -- typing while the row is rebuilt --------------------------------------------------------------


def hold(page: Any, url: str) -> list[Any]:
    """Hold the panel's requests whose URL matches the pattern ``url`` (a slow server): the
    caller lets them go."""
    held: list[Any] = []
    page.route(re.compile(url), lambda route: held.append(route))
    return held


SCHEDULES = r"/api/schedules/\?"  # the list of a switch's scheduled changes (GET)


def let_go(page: Any, held: list[Any]) -> None:
    """Let the held requests go, once the page has sent one."""
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)  # the page's requests reach the route while Playwright waits
    assert held, "the box asked for nothing"
    while held:
        held.pop().continue_()


def open_schedule_box(page: Any, panel_url: str) -> tuple[Any, Any]:
    """Open beta's schedule box; with its list held, it says it is loading."""
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    row.get_by_role("button", name="Schedule", exact=True).click()
    box = row.locator(".gargoyle-panel-schedule")
    expect(box.locator(".gargoyle-loading")).to_be_visible()
    return row, box


def test_what_is_typed_while_the_schedules_load_is_kept(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    held = hold(page, SCHEDULES)
    row, box = open_schedule_box(page, panel_url)

    # Typed before the scheduled changes arrive: the choice builds its inputs, then they are filled.
    box.get_by_label("Change").select_option(label="User: Percent")
    box.get_by_label("When").fill("2040-03-01T09:00")
    box.get_by_label("From").fill("0")
    box.get_by_label("To").fill("25")
    let_go(page, held)
    expect(box).to_contain_text("Nothing scheduled.")
    expect(box.get_by_label("When")).to_have_value("2040-03-01T09:00")
    expect(box.get_by_label("To")).to_have_value("25")
    expect(box.get_by_label("To")).to_be_focused()  # still typing there

    box.get_by_role("button", name="Schedule", exact=True).click()
    let_go(page, held)
    expect(box.locator("li.gargoyle-schedule")).to_contain_text("set User: Percent 25% (0-25)")
    # Sent: the form starts afresh.
    expect(box.get_by_label("When")).to_have_value("")

    # An open "Move" form stays open, with the time typed in it, when the row is rebuilt.
    entry = box.locator("li.gargoyle-schedule")
    entry.get_by_role("button", name="Move").click()
    entry.get_by_label("New time (UTC)").fill("2040-03-02T10:30")
    row.get_by_role("group", name="Status of Beta").get_by_role("button", name="Disabled").click()
    expect(toast(page)).to_contain_text("Beta is now Disabled")
    expect(entry.get_by_label("New time (UTC)")).to_be_visible()
    expect(entry.get_by_label("New time (UTC)")).to_have_value("2040-03-02T10:30")


def test_a_schedule_being_sent_when_the_row_is_rebuilt_is_sent_once(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    held = hold(page, SCHEDULES)
    posts = hold(page, r"/api/schedules/add/$")
    _, box = open_schedule_box(page, panel_url)
    box.get_by_label("Change").select_option(label="Set the status to Global")
    box.get_by_label("When").fill("2040-03-01T09:00")
    box.get_by_role("button", name="Schedule", exact=True).click()

    let_go(page, held)  # the list arrives while the schedule is on its way: the row is rebuilt
    expect(box).to_contain_text("Nothing scheduled.")
    expect(box.get_by_label("When")).to_have_value("2040-03-01T09:00")
    expect(box.get_by_role("button", name="Schedule", exact=True)).to_be_disabled()

    let_go(page, posts)
    let_go(page, held)
    expect(box.locator("li.gargoyle-schedule")).to_have_count(1)
    expect(box.get_by_label("When")).to_have_value("")
    assert ScheduledChange.objects.count() == 1


def test_a_choice_that_is_gone_takes_what_was_typed_after_it(page, login, admin_user, panel_url):
    """A removal scheduled for a condition removed meanwhile is not turned into another change."""
    beta_with((USER_SET, "username", "alice", False), (USER_SET, "username", "bob", False))
    login(admin_user)
    held = hold(page, SCHEDULES)
    row, box = open_schedule_box(page, panel_url)
    let_go(page, held)
    change = box.get_by_label("Change")
    removal = change.locator("option", has_text="alice").get_attribute("value")
    change.select_option(removal)
    box.get_by_label("When").fill("2040-03-01T09:00")

    row.get_by_role("button", name="Remove condition Include: User Username: alice").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    expect(change.locator("option", has_text="alice")).to_have_count(0)
    expect(change).not_to_have_value(removal)
    expect(box.get_by_label("When")).to_have_value("")


def test_what_is_typed_into_the_rollout_form_survives_a_status_change(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    row.get_by_role("button", name="Rollout", exact=True).click()
    box = row.locator(".gargoyle-panel-rollout")
    box.get_by_label("Stages (percent)").fill("2, 20, 100")
    box.get_by_label("When the guard trips").select_option("pause")

    # A status set on the same row rebuilds it.
    row.get_by_role("group", name="Status of Beta").get_by_role("button", name="Selective").click()
    expect(toast(page)).to_contain_text("Beta is now Selective")
    expect(box.get_by_label("Stages (percent)")).to_have_value("2, 20, 100")
    expect(box.get_by_label("When the guard trips")).to_have_value("pause")

    box.get_by_role("button", name="Start the rollout").click()
    expect(box.locator(".gargoyle-rollout-state")).to_contain_text("Rolling out stage 1 of 3, 2 %")
    assert stored("beta").status == SELECTIVE


def test_a_half_typed_condition_survives_a_status_change(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="IP Address: Address or network")
    form.get_by_role("radio", name="Keep out (exclude)").check()
    form.get_by_label("Address or network", exact=True).fill("10.0.0.9")

    row.get_by_role("group", name="Status of Beta").get_by_role("button", name="Selective").click()
    expect(toast(page)).to_contain_text("Beta is now Selective")
    expect(form.get_by_label("Address or network", exact=True)).to_have_value("10.0.0.9")
    expect(form.get_by_role("radio", name="Keep out (exclude)")).to_be_checked()

    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-chip-exclude")).to_contain_text("10.0.0.9")
    assert stored("beta").value == {"ip": {"ip_address": [["e", "10.0.0.9"]]}}
    # Sent: the field and the mode stay chosen, the address is empty for the next one.
    expect(form.get_by_label("Address or network", exact=True)).to_have_value("")
    expect(form.get_by_role("radio", name="Keep out (exclude)")).to_be_checked()


# -- the chips ------------------------------------------------------------------------------------


def test_a_double_click_on_a_chip_removes_one_condition(page, login, admin_user, panel_url):
    beta_with(*[(USER_SET, "username", name, False) for name in ("alice", "bob", "carol")])
    login(admin_user)
    open_panel(page, panel_url)
    removals = requests_to(page, "conditions/remove/")
    row = row_of(page, "beta")

    row.get_by_role("button", name="Remove condition Include: User Username: alice").dblclick()
    expect(row.locator(".gargoyle-chip")).to_have_count(2)
    # A second click on the same spot, once the first answered: the removed chip's place
    # holds a placeholder, and clicks on the row's chips are ignored for a moment anyway.
    box = row.locator(".gargoyle-chip-placeholder").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 6, box["y"] + box["height"] / 2)
    page.wait_for_timeout(700)
    assert len(removals) == 1
    assert stored("beta").value == {"auth.user": {"username": [["i", "bob"], ["i", "carol"]]}}
    expect(row.locator(".gargoyle-chip")).to_have_count(2)


def test_two_excludes_in_a_row_stay_excludes(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    expect(form.get_by_role("radio", name="Let in (include)")).to_be_checked()  # the first add
    form.get_by_label("Condition").select_option(label="IP Address: Address or network")
    form.get_by_role("radio", name="Keep out (exclude)").check()
    form.get_by_label("Address or network", exact=True).fill("10.0.0.1")
    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    expect(toast(page)).to_contain_text("Beta: added exclude IP Address: 10.0.0.1.")

    form = row.locator("form.gargoyle-condition-form")  # rebuilt: the choice is kept
    expect(form.get_by_role("radio", name="Keep out (exclude)")).to_be_checked()
    form.get_by_label("Address or network", exact=True).fill("10.0.0.2")
    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-chip-exclude")).to_have_count(2)
    for chip in row.locator(".gargoyle-chip-exclude").all():
        expect(chip).to_contain_text("not")
        assert chip.evaluate("chip => getComputedStyle(chip).borderTopStyle") == "dashed"  # not colour alone
    assert stored("beta").value == {"ip": {"ip_address": [["e", "10.0.0.1"], ["e", "10.0.0.2"]]}}

    # Back to include: an explicit choice, kept in turn.
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_role("radio", name="Let in (include)").check()
    form.get_by_label("Address or network", exact=True).fill("10.0.0.3")
    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-chip-include")).to_have_count(1)
    expect(row.locator("form.gargoyle-condition-form").get_by_role("radio", name="Let in (include)")).to_be_checked()


# -- the edit dialog ------------------------------------------------------------------------------


def test_renaming_a_key_warns_before_saving(page, login, admin_user, panel_url):
    Switch.objects.create(key="alpha", label="Alpha")
    login(admin_user)
    open_panel(page, panel_url)
    row_of(page, "alpha").get_by_role("button", name="Edit Alpha").click()
    dialog = page.get_by_role("dialog", name="Edit a switch")
    warning = dialog.locator(".gargoyle-rename-warning")
    expect(warning).to_be_hidden()  # nothing renamed yet

    dialog.get_by_label("Key").fill("alpha_v2")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Renaming alpha to alpha_v2")
    expect(warning).to_contain_text("new buckets")
    expect(warning).to_contain_text("still asking for alpha get their default")
    assert stored("alpha").key == "alpha"  # a warning, nothing saved yet
    expect(dialog.get_by_label("Key")).to_have_accessible_description(re.compile("Renaming alpha to alpha_v2"))

    dialog.get_by_label("Key").fill("alpha")
    expect(warning).to_be_hidden()
    dialog.get_by_label("Key").fill("alpha_v2")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    assert Switch.objects.filter(key="alpha_v2").exists()


def test_keys_templates_cannot_use_are_refused_with_the_rule(page, login, admin_user, panel_url):
    login(admin_user)
    open_panel(page, panel_url)
    adds = requests_to(page, "/add/")
    page.get_by_role("button", name="Add a switch").first.click()
    dialog = page.get_by_role("dialog", name="Add a switch")
    for bad in ("new checkout", "'quoted'", 'ends"', "a%}b"):
        dialog.get_by_label("Key").fill(bad)
        dialog.get_by_role("button", name="Add switch").click()
        error = dialog.locator("#gargoyle-switch-key-error")
        expect(error).to_contain_text("{% ifswitch key %}")
        expect(error).to_contain_text("a space or line break, a quote mark")
        expect(dialog.get_by_label("Key")).to_have_attribute("aria-invalid", "true")
        expect(dialog.get_by_label("Key")).to_be_focused()
    page.wait_for_timeout(200)
    assert adds == []
    assert not Switch.objects.exists()

    dialog.get_by_label("Key").fill("new_checkout")
    dialog.get_by_role("button", name="Add switch").click()
    expect(dialog).to_be_hidden()
    assert stored("new_checkout")


# -- input checked before the round trip ----------------------------------------------------------


def test_condition_input_is_checked_before_the_round_trip(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    adds = requests_to(page, "conditions/add/")
    row = row_of(page, "beta")
    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    error = form.locator(".gargoyle-condition-row + .gargoyle-inline-error")  # right below the inputs
    add = form.get_by_role("button", name="Add condition")

    form.get_by_label("Condition").select_option(label="User: Percent")
    add.click()
    expect(error).to_have_text("Percent: enter a value.")
    expect(form.get_by_label("From")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("From")).to_be_focused()

    form.get_by_label("From").fill("30")
    form.get_by_label("To").fill("10")
    add.click()
    expect(error).to_have_text("Percent: the lower number comes first (From 30, To 10).")

    form.get_by_label("From").fill("0")
    form.get_by_label("To").fill("150")
    add.click()
    expect(error).to_have_text("Percent: a percent is a number from 0 to 100.")
    expect(form.get_by_label("To")).to_have_attribute("aria-invalid", "true")

    form.get_by_label("Condition").select_option(label="User: Username")
    add.click()
    expect(error).to_have_text("Username: enter a value.")
    page.wait_for_timeout(200)
    assert adds == []
    assert stored("beta").value == {}

    # Right input: the message goes, the condition is added.
    form.get_by_label("Condition").select_option(label="User: Percent")
    form.get_by_label("From").fill("0")
    form.get_by_label("To").fill("10")
    add.click()
    expect(row.locator(".gargoyle-chip")).to_have_count(1)
    expect(row.locator(".gargoyle-inline-error")).to_be_hidden()
    assert stored("beta").value == {"auth.user": {"percent": [["i", "0-10"]]}}


def test_an_email_field_wants_an_email(page, login, admin_user, panel_url):
    from gargoyle.conditions import ConditionSet, String
    from gargoyle.manager import gargoyle

    class Email(String):
        panel_type = "email"

    class ShopperConditionSet(ConditionSet):
        email = Email()

        def get_namespace(self) -> str:
            return "shopper"

        def get_group_label(self) -> str:
            return "Shopper"

    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    gargoyle.register(ShopperConditionSet)
    try:
        login(admin_user)
        open_panel(page, panel_url)
        adds = requests_to(page, "conditions/add/")
        row = row_of(page, "beta")
        row.get_by_role("button", name="Add a condition").click()
        form = row.locator("form.gargoyle-condition-form")
        form.get_by_label("Condition").select_option(label="Shopper: Email")
        form.get_by_label("Email", exact=True).fill("bob")
        form.get_by_role("button", name="Add condition").click()
        expect(form.get_by_role("alert")).to_have_text("Email: “bob” is not an email address (name@example.com).")
        page.wait_for_timeout(200)
        assert adds == []
        assert stored("beta").value == {}
    finally:
        gargoyle.unregister(ShopperConditionSet)


# -- Inherit --------------------------------------------------------------------------------------


def test_inherit_is_offered_plainly_only_with_a_parent(page, login, admin_user, panel_url):
    Switch.objects.create(key="shop", label="Shop", status=DISABLED)
    Switch.objects.create(key="shop:cart", label="Cart", status=DISABLED)
    Switch.objects.create(key="orphan:cart", label="Orphan", status=DISABLED)
    login(admin_user)
    open_panel(page, panel_url)

    # A parent exists: Inherit is set at once, no question asked.
    cart = row_of(page, "shop:cart").get_by_role("group", name="Status of Cart")
    cart.get_by_role("button", name="Inherit").click()
    expect(cart.get_by_role("button", name="Inherit")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(toast(page)).to_contain_text("Cart is now Inherit")
    assert stored("shop:cart").status == INHERIT

    # No parent: it says plainly what Inherit would do, and asks first.
    orphan = row_of(page, "orphan:cart").get_by_role("group", name="Status of Orphan")
    orphan.get_by_role("button", name="Inherit").click()
    confirm = page.get_by_role("dialog", name="Inherit, without a parent?")
    expect(confirm).to_contain_text("Inherit: no parent switch “orphan” — callers get their default.")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert stored("orphan:cart").status == DISABLED

    # A key without ":" cannot have a parent at all.
    row_of(page, "shop").get_by_role("group", name="Status of Shop").get_by_role("button", name="Inherit").click()
    expect(confirm).to_contain_text("shop has no parent")
    confirm.get_by_role("button", name="Set Inherit").click()
    expect(confirm).to_be_hidden()
    assert stored("shop").status == INHERIT
