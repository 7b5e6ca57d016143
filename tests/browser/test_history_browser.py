"""The history list in a real browser: numbered entries saying exactly what changed, "Undo
this change" of one change alone, the reason where it cannot, and no no-op restore."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gargoyle.constants import GLOBAL, SELECTIVE
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
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


def open_history(page: Any, panel_url: str, key: str) -> tuple[Any, Any]:
    page.goto(panel_url)
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()
    row = row_of(page, key)
    row.get_by_role("button", name="History").click()
    return row, row.locator("table.gargoyle-history")


def test_undo_a_removal_from_the_history_keeps_later_changes(page, login, admin_user, panel_url):
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    switch.add_condition(gargoyle, IP_SET, "ip_address", "127.0.0.1")
    switch.add_condition(gargoyle, USER_SET, "percent", "0-10")
    switch.remove_condition(gargoyle, IP_SET, "ip_address", "127.0.0.1")
    removal = SwitchChange.objects.filter(switch_key="beta").first()
    switch.status = GLOBAL  # a later change of something else
    switch.save()
    login(admin_user)
    row, history = open_history(page, panel_url, "beta")

    rows = history.locator("tbody tr")
    expect(rows).to_have_count(5)
    number = re.compile(f"^#{removal.pk}$")
    removal_row = rows.filter(has=page.locator(".gargoyle-change-number", has_text=number))
    expect(removal_row).to_contain_text("removed IP Address: 127.0.0.1")
    expect(rows.filter(has_text="added User: Percent 10% (0-10)")).to_have_count(1)
    expect(rows.first).to_contain_text("status Selective → Global")
    # The addition of 127.0.0.1 cannot be undone alone: its removal came later, and says so.
    added_row = rows.filter(has_text="added IP Address: 127.0.0.1")
    expect(added_row).to_contain_text(
        f"Cannot be undone alone: IP Address: 127.0.0.1 changed again since, by #{removal.pk}"
    )
    expect(added_row.get_by_role("button", name="Undo this change")).to_have_count(0)

    removal_row.get_by_role("button", name="Undo this change").click()
    expect(row.locator(".gargoyle-chip")).to_have_count(2)
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text(f"restores #{removal.pk}: added IP Address: 127.0.0.1")
    expect(page.locator("#gargoyle-live")).to_contain_text(f"Undone: #{removal.pk}")
    stored = Switch.objects.get(key="beta")
    assert stored.status == GLOBAL  # the later change stays
    assert stored.value == {"ip": {"ip_address": [["i", "127.0.0.1"]]}, "auth.user": {"percent": [["i", "0-10"]]}}
    # The removal's undo is recorded as restoring it, by the one who clicked.
    undo = SwitchChange.objects.filter(switch_key="beta").first()
    assert (undo.restored_from_id, undo.username) == (removal.pk, "admin")


def test_the_newest_row_offers_no_restore_that_changes_nothing(page, login, admin_user, panel_url):
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    switch.status = GLOBAL
    switch.save()
    login(admin_user)
    _row, history = open_history(page, panel_url, "beta")
    newest, oldest = history.locator("tbody tr").first, history.locator("tbody tr").last
    expect(newest).to_contain_text("The switch is in this state now.")
    expect(newest.get_by_role("button", name="Restore this state")).to_have_count(0)
    expect(newest.get_by_role("button", name="Undo this change")).to_have_count(1)
    # The addition's state (Selective) differs from now: it can be restored; undoing the
    # addition alone is impossible since the switch changed after it, and it says by what.
    expect(oldest.get_by_role("button", name="Restore this state")).to_have_count(1)
    expect(oldest).to_contain_text("Cannot be undone alone")
    expect(oldest).to_contain_text(f"#{SwitchChange.objects.filter(switch_key='beta').first().pk}")
