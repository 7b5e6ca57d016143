"""OpenFeature, for real: gargoyle's provider through the OpenFeature API (openfeature-sdk), and
gargoyle's OFREP endpoints through the OFREP provider (openfeature-provider-ofrep) against a
live server.

Run by ``tox -e openfeature`` (both packages installed); skipped elsewhere, and failing instead
of skipping when GARGOYLE_INTEGRATION_TESTS=1 says the packages must be there.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.test import RequestFactory, override_settings

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.contexts import InvalidContext, TargetingKeyMissing, subjects_from_context
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    from openfeature import api
    from openfeature.contrib.provider.ofrep import OFREPProvider
else:
    api = pytest.importorskip("openfeature.api")
    try:
        from openfeature.contrib.provider.ofrep import OFREPProvider
    except ImportError:
        OFREPProvider = None

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.provider import ProviderStatus

from gargoyle.openfeature import GargoyleProvider, evaluation_context

pytestmark = pytest.mark.django_db

USER = "gargoyle.builtins.UserConditionSet(auth.user)"
IP = "gargoyle.builtins.IPAddressConditionSet"
ALICE = EvaluationContext(targeting_key="1001", attributes={"username": "alice"})
BOB = EvaluationContext(targeting_key="1002", attributes={"username": "bob"})
CODE_DEFAULTS = {"coded": {"is_active": True}}


@pytest.fixture
def switches() -> None:
    Switch.objects.create(key="global", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="alice_only", status=SELECTIVE).add_condition(gargoyle, USER, "username", "alice")
    Switch.objects.create(key="office", status=SELECTIVE).add_condition(gargoyle, IP, "ip_address", "10.0.0.0/8")
    Switch.objects.create(key="inherit", status=INHERIT)
    Switch.objects.create(key="off:child", status=GLOBAL)
    Switch.objects.create(key="broken", status=SELECTIVE)
    Switch.objects.filter(key="broken").update(value={"nope": {"x": [["i", "1"]]}})


@pytest.fixture
def use() -> Any:
    """``use(provider)``: make it the API's provider (ready), and give a client; reset afterwards."""

    def using(provider: Any) -> Any:
        api.set_provider_and_wait(provider)
        return api.get_client()

    yield using
    api.shutdown()


def details(client: Any, key: str, default: Any = False, context: Any = ALICE) -> tuple[Any, ...]:
    found = client.get_boolean_details(key, default, context)
    return found.value, found.reason, found.variant, found.error_code


# -- GargoyleProvider ---------------------------------------------------------------------------


def test_the_provider_is_named_gargoyle_and_gets_ready(use: Any, switches: None) -> None:
    api.set_provider(GargoyleProvider())  # initialized in a thread of the SDK's
    client = api.get_client()
    deadline = time.monotonic() + 5
    while client.get_provider_status() != ProviderStatus.READY and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.get_provider_status() == ProviderStatus.READY
    assert api.get_provider_metadata().name == "gargoyle"
    assert client.get_boolean_value("global", False) is True


@pytest.mark.parametrize(
    ("key", "context", "default", "expected"),
    [
        ("global", ALICE, False, (True, Reason.STATIC, "on", None)),
        ("off", ALICE, True, (False, Reason.STATIC, "off", None)),
        ("alice_only", ALICE, False, (True, Reason.TARGETING_MATCH, "on", None)),
        ("alice_only", BOB, True, (False, Reason.DEFAULT, "off", None)),
        ("off:child", ALICE, True, (False, Reason.DISABLED, "off", None)),
        ("inherit", ALICE, True, (True, Reason.DEFAULT, "on", None)),  # the caller's default
        ("inherit", ALICE, False, (False, Reason.DEFAULT, "off", None)),
        ("coded", ALICE, False, (True, Reason.DEFAULT, "on", None)),
        ("office", EvaluationContext(attributes={"ip": "10.1.1.1"}), False, (True, Reason.TARGETING_MATCH, "on", None)),
        ("missing", ALICE, True, (True, Reason.ERROR, None, ErrorCode.FLAG_NOT_FOUND)),
        ("broken", ALICE, True, (True, Reason.ERROR, None, ErrorCode.GENERAL)),
    ],
)
@override_settings(GARGOYLE_SWITCH_DEFAULTS=CODE_DEFAULTS, GARGOYLE_AUTO_CREATE=True)
def test_every_reason(use: Any, switches: None, key: str, context: Any, default: bool, expected: Any) -> None:
    client = use(GargoyleProvider())
    count = Switch.objects.count()
    assert details(client, key, default, context) == expected
    assert Switch.objects.count() == count  # never auto-created


@pytest.mark.parametrize(
    ("method", "default"),
    [
        ("get_string_details", "blue"),
        ("get_integer_details", 7),
        ("get_float_details", 0.5),
        ("get_object_details", {}),
    ],
)
@override_settings(GARGOYLE_SWITCH_DEFAULTS=CODE_DEFAULTS)
def test_a_switch_is_no_string_number_or_object(use: Any, switches: None, method: str, default: Any) -> None:
    client = use(GargoyleProvider())
    for key in ("global", "coded"):  # an integer request gets its default, not True (a bool is an int)
        found = getattr(client, method)(key, default, ALICE)
        assert (found.value, found.reason, found.error_code) == (default, Reason.ERROR, ErrorCode.TYPE_MISMATCH)
        assert type(found.value) is type(default)
    found = getattr(client, method)("missing", default, ALICE)
    assert (found.value, found.error_code) == (default, ErrorCode.FLAG_NOT_FOUND)


def test_a_context_that_cannot_be_judged(use: Any, switches: None) -> None:
    client = use(GargoyleProvider())
    for context in (
        EvaluationContext(attributes={"ip": "not an address"}),
        EvaluationContext(targeting_key="alice"),  # not a primary key
        EvaluationContext(targeting_key="1", attributes={"is_staff": "yes"}),
    ):
        assert details(client, "global", False, context) == (False, Reason.ERROR, None, ErrorCode.INVALID_CONTEXT)


def test_a_required_targeting_key(use: Any, switches: None) -> None:
    provider = GargoyleProvider(require_targeting_key=True)
    client = use(provider)
    missing = (False, Reason.ERROR, None, ErrorCode.TARGETING_KEY_MISSING)
    assert details(client, "global", False, EvaluationContext(attributes={"username": "alice"})) == missing
    assert details(client, "global", False, None) == missing
    assert details(client, "alice_only", False, ALICE) == (True, Reason.TARGETING_MATCH, "on", None)
    # Asked directly, the provider takes "" for a visitor.
    found = provider.resolve_boolean_details("global", False, EvaluationContext(targeting_key=""))
    assert (found.value, found.reason, found.error_code) == (True, Reason.STATIC, None)


@pytest.mark.xfail(
    strict=True,
    reason="gargoyle/openfeature.py GargoyleProvider._subjects(): with require_targeting_key=True a visitor "
    "cannot be asked for through the OpenFeature API: the SDK's EvaluationContext.merge keeps "
    "`ctx2.targeting_key or self.targeting_key`, so an empty targeting key arrives as None (and "
    "evaluation_context() of an anonymous request has none at all): always TARGETING_KEY_MISSING",
)
def test_a_required_targeting_key_lets_a_visitor_be_asked_for(use: Any, switches: None) -> None:
    client = use(GargoyleProvider(require_targeting_key=True))
    assert details(client, "global", False, EvaluationContext(targeting_key="")) == (True, Reason.STATIC, "on", None)


def test_a_subjects_function_decides_and_may_refuse(use: Any, switches: None) -> None:
    alice = User.objects.create_user("alice")
    asked: list[dict[str, Any]] = []

    def shoppers(context: dict[str, Any]) -> list[Any]:
        asked.append(context)
        if not context["targetingKey"]:
            raise TargetingKeyMissing("a shopper is needed")
        if context["targetingKey"] != "alice":
            raise InvalidContext("unknown shopper")
        return [alice]

    client = use(GargoyleProvider(subjects=shoppers))
    found = client.get_boolean_details("alice_only", False, EvaluationContext("alice", {"plan": "gold"}))
    assert (found.value, found.reason) == (True, Reason.TARGETING_MATCH)
    assert asked == [{"targetingKey": "alice", "plan": "gold"}]
    assert details(client, "alice_only", True, EvaluationContext()) == (
        True,
        Reason.ERROR,
        None,
        ErrorCode.TARGETING_KEY_MISSING,
    )
    assert details(client, "alice_only", True, EvaluationContext("bob"))[3] == ErrorCode.INVALID_CONTEXT


def test_async_evaluation(use: Any, switches: None) -> None:
    client = use(GargoyleProvider())

    async def ask(key: str, default: bool, context: Any) -> tuple[Any, ...]:
        found = await client.get_boolean_details_async(key, default, context)
        return found.value, found.reason, found.variant, found.error_code

    assert async_to_sync(ask)("alice_only", False, ALICE) == (True, Reason.TARGETING_MATCH, "on", None)
    assert async_to_sync(ask)("alice_only", True, BOB) == (False, Reason.DEFAULT, "off", None)
    assert async_to_sync(ask)("missing", True, ALICE) == (True, Reason.ERROR, None, ErrorCode.FLAG_NOT_FOUND)
    invalid = EvaluationContext(attributes={"ip": "nope"})
    assert async_to_sync(ask)("global", False, invalid) == (False, Reason.ERROR, None, ErrorCode.INVALID_CONTEXT)


def test_a_requests_context_gives_the_requests_answers(use: Any, switches: None) -> None:
    client = use(GargoyleProvider())
    Switch.objects.create(key="staff", status=SELECTIVE).add_condition(gargoyle, USER, "is_staff", "1")
    Switch.objects.create(key="half", status=SELECTIVE).add_condition(gargoyle, USER, "percent", "0-50")
    keys = ["global", "off", "alice_only", "office", "staff", "half", "inherit"]
    for username, address in [("alice", "10.0.0.9"), ("bob", "192.0.2.1"), ("stella", "10.1.1.1"), (None, "10.2.2.2")]:
        request = RequestFactory().get("/", REMOTE_ADDR=address)
        if username is None:
            request.user = AnonymousUser()
        else:
            request.user = User.objects.create_user(username, is_staff=username == "stella")
        context = evaluation_context(request)
        answers = {key: client.get_boolean_value(key, False, context) for key in keys}
        assert answers == {key: gargoyle.is_active(key, request) for key in keys}, username


@pytest.mark.django_db(transaction=True)
@override_settings(GARGOYLE_AUTO_CREATE=False)
def test_a_change_is_announced_when_the_process_reloads(use: Any) -> None:
    Switch.objects.create(key="checkout", status=DISABLED)
    client = use(GargoyleProvider())
    assert client.get_boolean_value("checkout", True) is False  # the process has these switches
    heard: list[EventDetails] = []
    arrived = threading.Event()

    def handler(event: EventDetails) -> None:
        heard.append(event)
        arrived.set()

    client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, handler)
    Switch.objects.filter(key="checkout").update(status=GLOBAL)
    Switch.objects.create(key="banner", status=GLOBAL)
    assert client.get_boolean_value("checkout", False) is True  # its next check reloads
    assert arrived.wait(5)
    (event,) = heard
    assert event.flags_changed == ["banner", "checkout"]
    assert event.provider_name == "gargoyle"
    # After shutdown the provider listens no more.
    api.shutdown()
    arrived.clear()
    Switch.objects.filter(key="banner").update(status=DISABLED)
    gargoyle.is_active("banner")
    assert not arrived.wait(0.3)
    assert len(heard) == 1


# -- OFREP: the OFREP provider against gargoyle's endpoints ------------------------------------

TOKEN = "ofrep-robot-" + "r" * 32
needs_ofrep = pytest.mark.skipif(OFREPProvider is None, reason="openfeature-provider-ofrep is not installed")


@pytest.fixture(scope="module")
def live_server(django_db_setup: None, django_db_blocker: Any) -> Any:
    """pytest-django's live server, started for this module with a STATIC_URL (its static files
    handler needs one, and the suite's settings have none), as tests/browser/conftest.py does."""
    from pytest_django.live_server_helper import LiveServer

    with override_settings(STATIC_URL="/static/"):
        with django_db_blocker.unblock():
            started = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
        yield started
        started.stop()


@pytest.fixture
def server(live_server: Any, switches: None) -> Any:
    robot = User.objects.create_user("robot")
    robot.user_permissions.set(Permission.objects.filter(codename="view_switch"))
    with override_settings(GARGOYLE_API_TOKENS={TOKEN: "robot"}, GARGOYLE_CLIENT_SWITCHES=["global", "inherit"]):
        yield live_server.url


def service(url: str, token: str = TOKEN) -> Any:
    return OFREPProvider(url, headers_factory=lambda: {"Authorization": f"Bearer {token}"})


@needs_ofrep
@pytest.mark.django_db(transaction=True)
def test_ofrep_answers_with_reason_and_variant(use: Any, server: str) -> None:
    client = use(service(server))
    assert details(client, "alice_only", False, ALICE) == (True, Reason.TARGETING_MATCH, "on", None)
    found = client.get_boolean_details("alice_only", True, BOB)
    assert (found.value, found.reason, found.variant) == (False, Reason.TARGETING_MATCH, "off")
    assert found.flag_metadata == {"openfeatureReason": "DEFAULT"}
    assert details(client, "off:child", True, ALICE) == (False, Reason.DISABLED, "off", None)
    # Inherit without a parent: no value is sent, the client keeps the caller's default.
    assert details(client, "inherit", True, ALICE) == (True, Reason.STATIC, "default", None)
    office = EvaluationContext(targeting_key="1", attributes={"ip": "10.3.3.3"})
    assert details(client, "office", False, office) == (True, Reason.TARGETING_MATCH, "on", None)


@needs_ofrep
@pytest.mark.django_db(transaction=True)
def test_ofrep_errors(use: Any, server: str) -> None:
    client = use(service(server))
    count = Switch.objects.count()
    assert details(client, "missing", True, ALICE) == (True, Reason.ERROR, None, ErrorCode.FLAG_NOT_FOUND)
    assert Switch.objects.count() == count
    no_key = EvaluationContext(attributes={"username": "alice"})
    assert details(client, "global", False, no_key) == (False, Reason.ERROR, None, ErrorCode.TARGETING_KEY_MISSING)
    bad_ip = EvaluationContext(targeting_key="1", attributes={"ip": "nope"})
    assert details(client, "global", False, bad_ip) == (False, Reason.ERROR, None, ErrorCode.INVALID_CONTEXT)
    assert details(client, "broken", True, ALICE) == (True, Reason.ERROR, None, ErrorCode.GENERAL)


@needs_ofrep
@pytest.mark.django_db(transaction=True)
def test_ofrep_with_an_unknown_token_is_a_general_error(use: Any, server: str) -> None:
    client = use(service(server, token="x" * 40))
    found = client.get_boolean_details("global", False, ALICE)
    assert (found.value, found.reason, found.error_code) == (False, Reason.ERROR, ErrorCode.GENERAL)
    assert found.error_message == "unauthorized"


@needs_ofrep
@pytest.mark.django_db(transaction=True)
def test_ofrep_without_a_token_sees_only_the_public_switches(use: Any, server: str) -> None:
    client = use(OFREPProvider(server))
    # No token: judged as the request itself (a visitor), whatever the context says.
    assert details(client, "global", False, ALICE) == (True, Reason.STATIC, "on", None)
    assert details(client, "alice_only", True, ALICE) == (True, Reason.ERROR, None, ErrorCode.FLAG_NOT_FOUND)
    assert details(client, "off", True, EvaluationContext()) == (True, Reason.ERROR, None, ErrorCode.FLAG_NOT_FOUND)


@needs_ofrep
@pytest.mark.django_db(transaction=True)
def test_ofrep_a_visitor_needs_its_empty_targeting_key_in_the_attributes(use: Any, server: str) -> None:
    client = use(service(server))
    Switch.objects.create(key="visitors", status=SELECTIVE).add_condition(gargoyle, USER, "is_anonymous", "1")
    # The OFREP provider sends no targetingKey for an empty one, and a service must send one...
    missing = details(client, "visitors", False, EvaluationContext(targeting_key=""))
    assert missing == (False, Reason.ERROR, None, ErrorCode.TARGETING_KEY_MISSING)
    # ...which an attribute does.
    visitor = EvaluationContext(attributes={"targetingKey": ""})
    assert details(client, "visitors", False, visitor) == (True, Reason.TARGETING_MATCH, "on", None)
    assert subjects_from_context({"targetingKey": ""})[0].is_anonymous
