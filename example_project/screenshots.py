#!/usr/bin/env python
"""Screenshots of the switch panel, taken from the example shop, for the documentation.

From the repository root, in a virtualenv with gargoyle, Django and playwright installed::

    python example_project/screenshots.py docs/screenshots

or simply ``tox -e screenshots``. It needs Debian's Chromium (``/usr/bin/chromium``;
``CHROMIUM=...`` picks another binary), never a browser downloaded by Playwright.

What it does, from nothing each time:

1. a fresh SQLite database in a temporary folder (``EXAMPLE_DB_PATH``), through the same
   commands as ``run.sh``: ``create_database``, ``migrate`` and ``seed_demo``;
2. the shop's ``runserver`` on a free port of 127.0.0.1;
3. Chromium logs in to the admin as admin / admin, gives a few switches some history
   through the panel's JSON API (Dark mode, rolled out to staff, then 5 %, then 20 % of
   the users), then drives the panel at ``/admin/gargoyle/switch/`` and saves each screen
   under the names the docs use (``SHOTS``);
4. last, it deletes every switch to show the empty panel, and stops the server.

The folder given on the command line gets the PNG files; nothing else is written there.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANAGE = HERE / "manage.py"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
PANEL = "/admin/gargoyle/switch/"
API = PANEL + "api/"
USERS = "gargoyle.builtins.UserConditionSet(auth.user)"
SELECTIVE = "2"  # gargoyle.constants.SELECTIVE, as the API's form field

#: The screenshots, by file name; every one is written on each run.
SHOTS = (
    "panel-list.png",
    "panel-edit-dialog.png",
    "panel-confirm-global.png",
    "panel-add-condition.png",
    "panel-preview.png",
    "panel-history.png",
    "panel-schedule.png",
    "panel-rollout.png",
    "panel-dark.png",
    "panel-empty.png",
)


def log(message: str) -> None:
    print(f"screenshots: {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shop_environment(database: Path) -> dict[str, str]:
    """The example's settings on the temporary SQLite file, whatever the caller had set."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("EXAMPLE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="demo.settings",  # a test run sets its own
        EXAMPLE_DB_PATH=str(database),
        EXAMPLE_DEBUG_TOOLBAR="0",  # the toolbar's handle would sit on every screenshot
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *arguments: str) -> None:
    done = subprocess.run(
        [sys.executable, str(MANAGE), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"screenshots: manage.py {' '.join(arguments)} failed")


@contextmanager
def shop_server(env: dict[str, str], log_file: Path) -> Iterator[str]:
    """``runserver`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_file.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(server, base + "/admin/login/", log_file)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_up(server: subprocess.Popen[bytes], url: str, log_file: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log_file.read_text())
            raise SystemExit("screenshots: the shop's server stopped before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"screenshots: the shop's server did not answer {url} within {seconds:.0f} s")


class Panel:
    """The browser page on the panel, and the panel's JSON API in the same session."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base

    def log_in(self, username: str, password: str) -> None:
        self.page.goto(f"{self.base}/admin/login/?next={PANEL}")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(f"{self.base}{PANEL}")

    def api(self, endpoint: str, **fields: str) -> Any:
        """POST to the panel's API (or GET without fields) as the logged-in user; its data."""
        url = f"{self.base}{API}{endpoint}/"
        if fields:
            token = next(c["value"] for c in self.page.context.cookies(self.base) if c["name"] == "csrftoken")
            headers = {"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest", "Referer": self.base + PANEL}
            response = self.page.request.post(url, form=fields, headers=headers)
        else:
            response = self.page.request.get(url)
        reply = response.json() if "json" in response.headers.get("content-type", "") else {}
        if not response.ok or not reply.get("success"):
            raise SystemExit(f"screenshots: {endpoint} {fields} answered {response.status}: {response.text()[:300]}")
        return reply.get("data")

    def open(self, color_scheme: str = "light") -> None:
        """Load the panel afresh and wait until it has drawn its switches (or its empty state)."""
        self.page.emulate_media(color_scheme=color_scheme)
        self.page.goto(self.base + PANEL)
        self.page.locator("#content-main.gargoyle-ready").wait_for(state="attached")
        self.page.evaluate("document.fonts.ready")
        self.rest()

    def row(self, key: str) -> Any:
        exact = re.compile(f"^{re.escape(key)}$")
        return self.page.locator("li.gargoyle-switch").filter(
            has=self.page.locator("code.gargoyle-key", has_text=exact)
        )

    def to_top(self) -> None:
        """The top of the list behind a modal dialog (opening it scrolled to its switch)."""
        self.page.evaluate("window.scrollTo(0, 0)")

    def rest(self) -> None:
        """No hover effect, and no animation half-way, in the next picture."""
        self.page.mouse.move(0, 0)
        self.page.wait_for_timeout(400)

    def shot(self, folder: Path, name: str, element: Any = None, full_page: bool = False) -> None:
        assert name in SHOTS, name
        self.rest()
        target = folder / name
        if element is None:
            self.page.screenshot(path=target, full_page=full_page, animations="disabled")
        else:
            element.screenshot(path=target, animations="disabled")
        log(f"wrote {name}")


def give_history(panel: Panel) -> None:
    """Dark mode, rolled out step by step: staff first, then 5 %, then 20 % of the users."""
    panel.api(
        "update",
        curkey="dark_mode",
        key="dark_mode",
        name="Dark mode",
        desc="A dark theme for the whole shop: staff first, then a growing share of shoppers.",
    )
    panel.api("conditions/add", key="dark_mode", id=USERS, field="is_staff", exclude="0")
    panel.api("status", key="dark_mode", status=SELECTIVE)
    percent = {"percent[min]": "0", "percent[max]": "5"}
    panel.api("conditions/add", key="dark_mode", id=USERS, field="percent", exclude="0", **percent)
    panel.api("conditions/remove", key="dark_mode", id=USERS, field="percent", value="0-5")
    percent["percent[max]"] = "20"
    panel.api("conditions/add", key="dark_mode", id=USERS, field="percent", exclude="0", **percent)


def delete_every_switch(panel: Panel) -> None:
    keys = [switch["key"] for switch in panel.api("switches")["switches"]]
    for key in sorted(keys, key=lambda key: (-key.count(":"), key)):  # children first
        panel.api("delete", key=key)


def take_screenshots(page: Any, base: str, folder: Path) -> None:
    from playwright.sync_api import expect

    panel = Panel(page, base)
    panel.log_in("admin", "admin")
    give_history(panel)

    # The list, as the shop's demo leaves it (and Dark mode, changed last, on top).
    panel.open()
    expect(panel.row("new_checkout")).to_be_visible()
    panel.shot(folder, "panel-list.png", full_page=True)

    # The edit dialog.
    panel.row("recommendations").get_by_role("button", name="Edit Recommendations").click()
    expect(page.get_by_role("dialog", name="Edit a switch")).to_be_visible()
    panel.to_top()
    panel.shot(folder, "panel-edit-dialog.png")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Global asks first.
    panel.row("product_reviews").get_by_role("button", name="Global").click()
    expect(page.get_by_role("dialog", name="Turn Product reviews on for everyone?")).to_be_visible()
    panel.to_top()
    panel.shot(folder, "panel-confirm-global.png")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    # A 10 % rollout for the gift cards, ready to add.
    row = panel.row("gift_cards")
    row.get_by_role("button", name="Add a condition").click()
    form = row.locator("form.gargoyle-condition-form")
    form.get_by_label("Condition").select_option(label="User: Percent")
    form.get_by_label("From").fill("0")
    form.get_by_label("To").fill("10")
    row.scroll_into_view_if_needed()
    panel.shot(folder, "panel-add-condition.png", element=row)
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)

    # Would Recommendations (10 % of the users) be on for shopper24? Yes: bucket 3.39.
    row = panel.row("recommendations")
    row.get_by_role("button", name="Would it be on for…?").click()
    preview = row.locator("form.gargoyle-preview-form")
    preview.get_by_label("Username").fill("shopper24")
    preview.get_by_role("button", name="Check").click()
    expect(preview.locator(".gargoyle-preview-result")).to_contain_text("shopper24 is in bucket 3.39")
    expect(preview.locator(".gargoyle-bucket")).to_have_count(1)
    row.scroll_into_view_if_needed()
    panel.shot(folder, "panel-preview.png", element=row)
    page.keyboard.press("Escape")
    expect(preview).to_have_count(0)

    # Dark mode's history: every step of its rollout.
    row = panel.row("dark_mode")
    row.get_by_role("button", name="History").click()
    expect(row.locator("table.gargoyle-history tbody tr")).to_have_count(7)
    row.scroll_into_view_if_needed()
    panel.shot(folder, "panel-history.png", element=row)

    # The gift cards widen to 25 % on a Monday morning, scheduled; another change ready to schedule.
    panel.api(
        "schedules/add",
        key="gift_cards",
        action="set_percent",
        id=USERS,
        field="percent",
        due="2030-03-04 09:00",
        **{"percent[min]": "0", "percent[max]": "25"},
    )
    panel.open()
    row = panel.row("gift_cards")
    row.get_by_role("button", name="Schedule", exact=True).click()
    box = row.locator(".gargoyle-panel-schedule")
    expect(box.locator("li.gargoyle-schedule")).to_have_count(1)
    box.get_by_label("Change").select_option(label="Set the status to Global")
    box.get_by_label("When").fill("2030-03-11T09:00")
    row.scroll_into_view_if_needed()
    panel.shot(folder, "panel-schedule.png", element=row)
    page.keyboard.press("Escape")

    # Quick view's guarded rollout, with the guard's figures from the simulated visitors.
    panel.open()
    row = panel.row("quick_view")
    row.get_by_role("button", name="Rollout", exact=True).click()
    expect(row.locator("table.gargoyle-rollout-table")).to_be_visible()
    row.scroll_into_view_if_needed()
    panel.shot(folder, "panel-rollout.png", element=row)
    page.keyboard.press("Escape")

    # The dark theme follows the admin's (the operating system's preference, here).
    panel.open(color_scheme="dark")
    expect(panel.row("new_checkout")).to_be_visible()
    panel.shot(folder, "panel-dark.png", full_page=True)

    # With no switch at all.
    delete_every_switch(panel)
    panel.open()
    expect(page.get_by_role("heading", name="No switches yet")).to_be_visible()
    panel.shot(folder, "panel-empty.png")


def run(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"screenshots: {CHROMIUM} is missing (apt-get install chromium)")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gargoyle-screenshots-") as scratch:
        env = shop_environment(Path(scratch) / "shop.sqlite3")
        log("a fresh example database: create_database, migrate, seed_demo")
        for command in (["create_database"], ["migrate", "--noinput"], ["seed_demo"]):
            manage(env, *command)
        log("a few seconds of visitors, so that quick_view's rollout has figures")
        manage(env, "simulate_traffic", "--seconds", "5")
        with shop_server(env, Path(scratch) / "server.log") as base, sync_playwright() as playwright:
            log(f"the shop runs at {base}")
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(
                    viewport=VIEWPORT, locale="en-US", timezone_id="UTC", color_scheme="light"
                )
                context.set_default_timeout(15_000)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                take_screenshots(page, base, folder)
                if errors:
                    raise SystemExit(f"screenshots: the panel raised errors: {errors}")
            finally:
                browser.close()
    log(f"{len(SHOTS)} screenshots in {folder}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to write the PNG files, e.g. docs/screenshots")
    run(parser.parse_args(argv).folder)


if __name__ == "__main__":
    main()
