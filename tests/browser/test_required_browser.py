"""Required conditions in the panel: chosen in the form, stored as "r", shown as an "only if"
chip and in the row's words, and removed like any other."""

from __future__ import annotations

import pytest

from gargoyle.constants import SELECTIVE
from gargoyle.models import Switch
from tests.browser.test_panel_browser import open_panel, row_of, stored

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) these tests
    expect = None

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_required_condition_from_the_form_to_the_chip_and_back(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")

    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Staff")
    form.get_by_role("radio", name="Must match (required)").check()
    form.get_by_role("button", name="Add condition").click()
    chip = row.locator(".gargoyle-chip-required")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("only if")
    assert chip.evaluate("chip => getComputedStyle(chip).borderTopStyle") == "double"  # not colour alone
    expect(page.locator("#gargoyle-live")).to_contain_text("Beta: added required User: Staff.")
    assert stored("beta").value == {"auth.user": {"is_staff": [["r", "1"]]}}

    # An include beside it: the row says who, then the requirement.
    form = row.locator("form.gargoyle-condition-form")
    expect(form.get_by_role("radio", name="Must match (required)")).to_be_checked()  # the choice is kept
    form.get_by_label("Condition").select_option(label="IP Address: Address or network")
    form.get_by_role("radio", name="Let in (include)").check()
    form.get_by_label("Address or network", exact=True).fill("10.0.0.0/8")
    form.get_by_role("button", name="Add condition").click()
    expect(row.locator(".gargoyle-audience")).to_have_text("On for: IP 10.0.0.0/8 — only if staff")

    row.get_by_role("button", name="Remove condition required: User Staff").click()
    expect(row.locator(".gargoyle-chip-required")).to_have_count(0)
    expect(row.locator(".gargoyle-chip-include")).to_have_count(1)
    assert stored("beta").value == {"ip": {"ip_address": [["i", "10.0.0.0/8"]]}}
