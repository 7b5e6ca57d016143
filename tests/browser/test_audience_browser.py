"""Who gets a switch, in a real browser: the row's sentence and estimate, the user count asked
for with a button, and the preview's percent buckets."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from gargoyle.cohorts import stable_bucket
from gargoyle.constants import GLOBAL, INHERIT, SELECTIVE
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


def open_panel(page: Any, url: str) -> None:
    page.goto(url)
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()


def test_each_row_says_who_gets_it(page, login, admin_user, panel_url):
    switch = Switch.objects.create(key="rollout", label="Rollout", status=SELECTIVE)
    switch.add_condition(gargoyle, USER_SET, "is_staff", "1")
    switch.add_condition(gargoyle, USER_SET, "percent", "0-10")
    switch.add_condition(gargoyle, IP_SET, "ip_address", "10.0.0.0/8", exclude=True)
    Switch.objects.create(key="everyone", status=GLOBAL)
    Switch.objects.create(key="everyone:child", status=INHERIT)
    Switch.objects.create(key="empty", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)

    row = row_of(page, "rollout")
    expect(row.locator(".gargoyle-effective")).to_have_text(
        "On for: 10 % of signed-in users, or staff \u2014 except IP 10.0.0.0/8"
    )
    expect(row.locator(".gargoyle-estimate")).to_have_text("Estimate: at least about 10 % of signed-in users.")
    expect(row_of(page, "everyone").locator(".gargoyle-effective")).to_have_text("On for everyone")
    expect(row_of(page, "everyone:child").locator(".gargoyle-effective")).to_have_text("Follows everyone")
    expect(row_of(page, "empty").locator(".gargoyle-effective")).to_have_text("Off for everyone (no conditions)")
    expect(row_of(page, "empty").locator(".gargoyle-estimate")).to_have_count(0)
    for key in ("everyone", "empty"):  # on for everyone, or for no one: nothing to count
        expect(row_of(page, key).get_by_role("button", name="Count users")).to_have_count(0)
    expect(row_of(page, "everyone:child").get_by_role("button", name="Count users")).to_be_visible()
    expect(page.locator("#content-main")).not_to_contain_text("null")


def test_adding_a_percent_condition_updates_the_sentence(page, login, admin_user, panel_url):
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "beta")
    expect(row.locator(".gargoyle-effective")).to_have_text("Off for everyone (no conditions)")

    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Percent")
    form.get_by_label("From").fill("0")
    form.get_by_label("To").fill("10")
    form.locator("button[type=submit]").click()
    expect(row.locator(".gargoyle-effective")).to_have_text("On for: 10 % of signed-in users")
    expect(row.locator(".gargoyle-estimate")).to_have_text("Estimate: about 10 % of signed-in users.")


def test_the_user_count_is_asked_for_and_forgotten_when_the_switch_changes(
    page, login, admin_user, django_user_model, panel_url
):
    users = [django_user_model.objects.create_user(username=f"shopper{n:02d}") for n in range(40)]
    switch = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    switch.add_condition(gargoyle, USER_SET, "percent", "0-50")
    active = [admin_user, *users]
    expected = sum(1 for user in active if stable_bucket("beta", user.pk) < 5000)
    login(admin_user)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_panel(page, panel_url)
    assert not [url for url in requests if "/api/audience/" in url], "counted on page load"

    row = row_of(page, "beta")
    row.get_by_role("button", name="Count users").click()
    expect(row.locator(".gargoyle-count")).to_have_text(f"On for {expected} of {len(active)} active users.")

    row.get_by_role("button", name="Global").click()  # asks first
    page.get_by_role("dialog").get_by_role("button", name="Yes, turn it on for everyone").click()
    expect(row.locator(".gargoyle-effective")).to_have_text("On for everyone")
    expect(row.get_by_role("button", name="Count users")).to_have_count(0)  # everyone: nothing to count

    row.get_by_role("button", name="Selective").click()
    expect(row.locator(".gargoyle-effective")).to_have_text("On for: 50 % of signed-in users")
    counted = f"On for {expected} of {len(active)} active users."
    expect(row.locator(".gargoyle-count")).to_have_text(counted)  # the state it was counted for

    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Staff")
    form.locator("button[type=submit]").click()
    expect(row.locator(".gargoyle-effective")).to_have_text("On for: 50 % of signed-in users, or staff")
    expect(row.locator(".gargoyle-count")).to_have_text("")  # counted for the conditions before
    row.get_by_role("button", name="Count users").click()
    staff_too = expected + (stable_bucket("beta", admin_user.pk) >= 5000)  # admin_user is staff
    expect(row.locator(".gargoyle-count")).to_have_text(f"On for {staff_too} of {len(active)} active users.")


def test_the_preview_shows_the_bucket(page, login, admin_user, django_user_model, panel_url):
    alice = django_user_model.objects.create_user(username="alice")
    switch = Switch.objects.create(key="new_checkout", label="New checkout", status=SELECTIVE)
    switch.add_condition(gargoyle, USER_SET, "percent", "0-10")
    bucket = Decimal(stable_bucket("new_checkout", alice.pk)) / 100
    where = "inside" if bucket < 10 else "outside"
    login(admin_user)
    open_panel(page, panel_url)
    row = row_of(page, "new_checkout")
    row.get_by_role("button", name="Would it be on for…?").click()
    form = row.locator("form.gargoyle-preview-form")
    form.get_by_label("Username").fill("alice")
    form.get_by_role("button", name="Check").click()
    expect(form.locator(".gargoyle-bucket")).to_have_text(
        f"alice is in bucket {bucket:.2f} of new_checkout: {where} 0\u201310"
    )
    expect(form.locator(".gargoyle-preview-result")).to_contain_text("On" if bucket < 10 else "Off")
