"""Screenshots of the panel's main screens, on realistic demo data.

They run with the other browser tests (into a temporary folder). To refresh the
documentation's copies::

    GARGOYLE_SCREENSHOTS_DIR=docs/screenshots pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

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
HOST_SET = "gargoyle.builtins.HostConditionSet"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GARGOYLE_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_data(admin: Any) -> None:
    """A site mid-rollout: switches in every status, conditions of every kind, some history."""
    now = timezone.now()
    client = Client()
    client.force_login(admin)

    def api(endpoint: str, **fields: str) -> None:
        response = client.post(f"/gargoyle/{endpoint}/", fields)
        assert response.status_code == 200, response.content

    api("add", key="legacy_export", name="Legacy CSV export", desc="The old CSV export, to be removed after Q3.")
    api("add", key="search_v2", name="Search v2", desc="Search backed by the new index.")
    api("status", key="search_v2", status=str(GLOBAL))
    api("add", key="search_v2:facets", name="Search facets", desc="Facet sidebar for search v2; follows its parent.")
    api("status", key="search_v2:facets", status=str(INHERIT))
    api("add", key="beta_dashboard", name="Beta dashboard", desc="The rebuilt dashboard, for beta testers.")
    api("status", key="beta_dashboard", status=str(SELECTIVE))
    api("conditions/add", key="beta_dashboard", id=HOST_SET, field="hostname", hostname="web-3", exclude="0")
    api("conditions/add", key="beta_dashboard", id=USER_SET, field="username", username="alice", exclude="0")
    api("conditions/add", key="beta_dashboard", id=USER_SET, field="date_joined", date_joined="2019-01-01", exclude="0")
    api(
        "add", key="dark_mode_emails", name="Dark mode e-mails", desc="E-mail templates that follow the reader's theme."
    )
    api("status", key="dark_mode_emails", status=str(SELECTIVE))
    api(
        "add",
        key="new_checkout",
        name="New checkout",
        desc="Redesigned checkout flow: a quarter of signed-in users, never the office network.",
    )
    api(
        "conditions/add",
        key="new_checkout",
        id=USER_SET,
        field="percent",
        exclude="0",
        **{"percent[min]": "0", "percent[max]": "25"},
    )
    api("conditions/add", key="new_checkout", id=USER_SET, field="is_staff", exclude="0")
    api("conditions/add", key="new_checkout", id=IP_SET, field="ip_address", ip_address="10.0.0.0/8", exclude="1")
    api("status", key="new_checkout", status=str(SELECTIVE))
    assert Switch.objects.get(key="legacy_export").status == DISABLED
    # A switch whose condition set was removed from the code: the panel says so.
    Switch.objects.create(
        key="gold_plan_perks",
        label="Gold plan perks",
        description="Extras for the gold plan; its condition set went with the old billing app.",
        status=SELECTIVE,
        value={"billing.plan": {"tier": [["i", "gold"]]}},
    )

    # Spread the dates over the last weeks, as on a real site (plain SQL: this is scenery).
    ages = {
        "legacy_export": (90 * 24, 40 * 24),
        "gold_plan_perks": (60 * 24, 50 * 24),
        "search_v2": (30 * 24, 9 * 24),
        "search_v2:facets": (29 * 24, 29 * 24),
        "beta_dashboard": (12 * 24, 3 * 24),
        "dark_mode_emails": (5 * 24, 26),
        "new_checkout": (4 * 24, 0.3),
    }
    table, key_column = (connection.ops.quote_name(name) for name in (Switch._meta.db_table, "key"))
    with connection.cursor() as cursor:
        for key, (created, modified) in ages.items():
            cursor.execute(
                f"UPDATE {table} SET date_created = %s, date_modified = %s WHERE {key_column} = %s",
                [now - datetime.timedelta(hours=created), now - datetime.timedelta(hours=modified), key],
            )
    for key, (created, modified) in ages.items():
        changes = list(SwitchChange.objects.filter(switch_key=key).order_by("date", "id"))
        step = (created - modified) / max(len(changes) - 1, 1)
        for index, change in enumerate(changes):
            SwitchChange.objects.filter(pk=change.pk).update(
                date=now - datetime.timedelta(hours=created - index * step)
            )


def test_screenshots(page, login, admin_user, django_user_model, panel_url, shots):
    admin_user.first_name = "Ada"
    admin_user.save()
    django_user_model.objects.create_user(username="alice")
    demo_data(admin_user)
    login(admin_user)
    page.emulate_media(color_scheme="light")
    page.goto(panel_url)
    expect(page.locator("#content-main.gargoyle-ready")).to_be_attached()

    def row(key: str) -> Any:
        return page.locator("li.gargoyle-switch").filter(
            has=page.locator("code.gargoyle-key", has_text=re.compile(f"^{re.escape(key)}$"))
        )

    page.mouse.move(0, 0)
    page.screenshot(path=shots / "panel-list.png", full_page=True)

    # The edit dialog.
    row("new_checkout").get_by_role("button", name="Edit New checkout").click()
    expect(page.get_by_role("dialog", name="Edit a switch")).to_be_visible()
    page.screenshot(path=shots / "panel-edit-dialog.png")
    page.keyboard.press("Escape")

    # Global asks first.
    row("beta_dashboard").get_by_role("button", name="Global").click()
    expect(page.get_by_role("dialog", name="Turn Beta dashboard on for everyone?")).to_be_visible()
    page.screenshot(path=shots / "panel-confirm-global.png")
    page.keyboard.press("Escape")

    # Adding a percent condition.
    target = row("dark_mode_emails")
    target.get_by_role("button", name="Add a condition").click()
    form = target.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Percent")
    form.get_by_label("From").fill("0")
    form.get_by_label("To").fill("10")
    target.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    target.screenshot(path=shots / "panel-add-condition.png")
    target.get_by_role("button", name="Add a condition").click()

    # The preview.
    target = row("beta_dashboard")
    target.get_by_role("button", name="Would it be on for…?").click()
    preview = target.locator("form.gargoyle-preview-form")
    preview.get_by_label("Username").fill("alice")
    preview.get_by_role("button", name="Check").click()
    expect(preview.locator(".gargoyle-preview-result")).to_contain_text("Included by")
    page.mouse.move(0, 0)
    target.screenshot(path=shots / "panel-preview.png")
    target.get_by_role("button", name="Would it be on for…?").click()

    # The history.
    target = row("new_checkout")
    target.get_by_role("button", name="History").click()
    expect(target.locator("table.gargoyle-history tbody tr")).to_have_count(5)
    page.mouse.move(0, 0)
    target.screenshot(path=shots / "panel-history.png")
    target.get_by_role("button", name="History").click()

    # The dark theme follows the admin's.
    page.emulate_media(color_scheme="dark")
    row("new_checkout").get_by_role("button", name="Add a condition").click()
    page.mouse.move(0, 0)
    page.screenshot(path=shots / "panel-dark.png", full_page=True)

    # The empty state.
    page.emulate_media(color_scheme="light")
    Switch.objects.all().delete()
    page.reload()
    expect(page.get_by_role("heading", name="No switches yet")).to_be_visible()
    page.screenshot(path=shots / "panel-empty.png")
