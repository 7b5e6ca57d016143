"""The Sentry integration, against the real sentry-sdk: a captured error carries the switches
its request checked; switch changes reach Sentry's change-tracking webhook, signed.

Run by ``tox -e sentry`` (sentry-sdk installed); skipped elsewhere, and failing instead of
skipping when GARGOYLE_INTEGRATION_TESTS=1 says the package must be there.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import threading
from typing import Any

import pytest
from django.core.checks import run_checks
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from gargoyle import gargoyle
from gargoyle.constants import DISABLED, GLOBAL
from gargoyle.integrations import sentry as integration
from gargoyle.models import Switch

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    import sentry_sdk
    from sentry_sdk.transport import Transport
else:
    sentry_sdk = pytest.importorskip("sentry_sdk")
    from sentry_sdk.transport import Transport

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db(transaction=True)]

MIDDLEWARE = ["gargoyle.middleware.SwitchExposureMiddleware"]


class Capturing(Transport):
    """Keeps what the SDK would send: the events of the envelopes."""

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


def failing_view(request: Any) -> HttpResponse:
    gargoyle.is_active("new_checkout", request)
    gargoyle.is_active("dark_mode", request)
    try:
        raise ValueError("checkout broke")
    except ValueError:
        sentry_sdk.capture_exception()
    return HttpResponse("handled")


urlpatterns = [path("fail/", failing_view)]


@pytest.fixture
def transport() -> Any:
    capturing = Capturing()
    sentry_sdk.init(dsn="https://public@sentry.invalid/1", transport=capturing, default_integrations=False)
    yield capturing
    sentry_sdk.get_client().close()


def flags_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    return event["contexts"]["flags"]["values"]


@override_settings(GARGOYLE_SENTRY=True, MIDDLEWARE=MIDDLEWARE)
def test_an_error_in_sentry_lists_the_switches_its_request_checked(transport: Any) -> None:
    Switch.objects.create(key="new_checkout", status=GLOBAL)
    Switch.objects.create(key="dark_mode", status=DISABLED)
    with sentry_sdk.isolation_scope():
        assert Client().get("/fail/").status_code == 200
    (event,) = transport.events
    assert event["exception"]["values"][0]["value"] == "checkout broke"
    assert flags_of(event) == [{"flag": "new_checkout", "result": True}, {"flag": "dark_mode", "result": False}]


@override_settings(GARGOYLE_SENTRY=False, MIDDLEWARE=MIDDLEWARE)
def test_off_by_default(transport: Any) -> None:
    Switch.objects.create(key="new_checkout", status=GLOBAL)
    with sentry_sdk.isolation_scope():
        Client().get("/fail/")
    (event,) = transport.events
    assert "flags" not in event.get("contexts", {}) or flags_of(event) == []


@override_settings(GARGOYLE_SENTRY=True, MIDDLEWARE=[])
def test_the_check_says_when_no_answer_can_reach_sentry() -> None:
    assert [message.id for message in run_checks() if message.id.startswith("gargoyle.")] == ["gargoyle.W015"]


class Hook(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook_url() -> Any:
    Hook.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/flags/hooks/provider/generic/"
    server.shutdown()


def received_entries() -> list[dict[str, Any]]:
    return [entry for _, body in Hook.received for entry in json.loads(body)["data"]]


def wait_for_entries(count: int) -> None:
    for _ in range(200):
        if len(received_entries()) >= count:
            return
        threading.Event().wait(0.05)


def test_changes_reach_the_webhook_signed(hook_url: str) -> None:
    with override_settings(GARGOYLE_SENTRY_WEBHOOK={"url": hook_url, "secret": "s3cret"}):
        switch = Switch.objects.create(key="new_checkout", status=DISABLED)
        switch.status = GLOBAL
        switch.save()
        switch.delete()
        wait_for_entries(3)
    assert [entry["action"] for entry in received_entries()] == ["created", "updated", "deleted"]
    for headers, body in Hook.received:
        assert headers["X-Sentry-Signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert json.loads(body)["meta"] == {"version": 1}
    entry = received_entries()[0]
    assert entry["flag"] == "new_checkout"
    assert entry["created_by"]["type"] == "name"


def test_many_changes_go_in_batches(hook_url: str) -> None:
    with override_settings(GARGOYLE_SENTRY_WEBHOOK={"url": hook_url, "secret": "s"}):
        Switch.objects.bulk_create([Switch(key=f"k{number:03}") for number in range(150)])
        wait_for_entries(150)
    assert len(received_entries()) == 150
    assert 2 <= len(Hook.received) < 150  # batches of at most 100, not a request per change


def test_a_failing_webhook_never_fails_the_change(caplog: Any) -> None:
    with override_settings(GARGOYLE_SENTRY_WEBHOOK={"url": "http://127.0.0.1:9/nothing", "secret": "s"}):
        Switch.objects.create(key="new_checkout", status=GLOBAL)
        for _ in range(100):
            if "could not send a switch change to Sentry" in caplog.text:
                break
            threading.Event().wait(0.05)
    assert Switch.objects.filter(key="new_checkout").exists()
    assert "could not send a switch change to Sentry" in caplog.text
    assert integration.sdk_problem() is None
