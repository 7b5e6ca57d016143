"""Browser tests of the switch panel: Playwright driving Debian's Chromium against a live server.

Run them with ``tox -e browser`` (or ``pytest tests/browser``); the default test run leaves
them out. Without ``/usr/bin/chromium`` (``apt-get install chromium``) or the ``playwright``
package they are skipped, except in CI (``CI=true``), where that is a failure.

Every page is served with a strict Content-Security-Policy (see ``csp.py``), and any
uncaught script error, CSP report or ``alert()`` fails the test that caused it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

# Playwright's sync API runs an event loop in this thread; the test code still talks to the
# database synchronously between browser calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"  # Debian's package (apt-get install chromium)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IN_CI = os.environ.get("CI") == "true"
VIEWPORT = {"width": 1280, "height": 900}


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install playwright)"
    return None


def collect_static(root: Path) -> None:
    """Copy every app's static files into ``root`` (the test settings have no staticfiles app)."""
    from django.contrib.staticfiles.finders import get_finders

    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            target = root / path
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(path) as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy)


@pytest.fixture(scope="package", autouse=True)
def browser_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The admin at /admin/, static files at /static/, CSRF and a strict CSP on every response.

    Applied before the live server starts, which reads MIDDLEWARE and STATIC_URL once, and
    undone after this package's tests.
    """
    static_root = tmp_path_factory.mktemp("static")
    collect_static(static_root)
    middleware = [
        "django.middleware.security.SecurityMiddleware",
        "tests.browser.csp.csp_middleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    with override_settings(
        ROOT_URLCONF="tests.browser.urls",
        MIDDLEWARE=middleware,
        STATIC_URL="/static/",
        STATIC_ROOT=str(static_root),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


@pytest.fixture(scope="package")
def live_server(browser_settings: None, django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """pytest-django's live server, started for this package once its settings are in place.

    (pytest-django's own ``live_server`` is session-scoped: it would start before the
    package's settings, and keep them for the rest of the session.)
    """
    from pytest_django.live_server_helper import LiveServer

    addr = os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    with django_db_blocker.unblock():
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class Watch:
    """What a page said that a test must not ignore."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [
            message
            for message in self.console + self.errors
            if "Content Security Policy" in message or "Refused" in message
        ]


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def context(browser: Any, watch: Watch) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any, watch: Watch) -> Iterator[Any]:
    page = context.new_page()
    page.on("console", lambda message: watch.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watch.errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:  # alert(), confirm(), prompt(): the panel uses none
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    assert not watch.errors, f"uncaught errors in the page: {watch.errors}"
    assert not watch.csp_violations(), f"Content-Security-Policy violations: {watch.csp_violations()}"
    assert not watch.dialogs, f"the page opened browser dialogs: {watch.dialogs}"


@pytest.fixture
def login(context: Any, live_server: Any) -> Callable[[Any], None]:
    """Log ``user`` into the browser context (a session cookie, no login form)."""

    def log_in(user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return log_in


@pytest.fixture
def staff(django_user_model: Any) -> Callable[..., Any]:
    """A staff user holding the named gargoyle permissions."""

    def make(*codenames: str, username: str = "staff") -> Any:
        user = django_user_model.objects.create_user(username=username, password="secret", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="gargoyle", codename__in=codenames))
        return user

    return make


@pytest.fixture
def panel_url(live_server: Any) -> str:
    return f"{live_server.url}/admin/gargoyle/switch/"
