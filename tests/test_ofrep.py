"""OFREP's endpoints (gargoyle.ofrep): every answer and error, each validated against the OFREP
OpenAPI document (tests/ofrep/openapi.yaml) for its status.

Who may ask for what (tokens, sessions, their contexts), the bulk lists, ETags, methods, CSRF
and headers are in test_ofrep_access.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from tests import ofrep_schema
from tests.ofrep_schema import checked

pytestmark = pytest.mark.django_db

TOKEN = "ofrep-robot-" + "r" * 32
USER = "gargoyle.builtins.UserConditionSet(auth.user)"
SETTINGS = {
    "GARGOYLE_API_TOKENS": {TOKEN: "robot"},
    "GARGOYLE_CLIENT_SWITCHES": ["broken", "global"],
    "GARGOYLE_SWITCH_DEFAULTS": {"coded": {"is_active": True}},
    "GARGOYLE_AUTO_CREATE": True,  # OFREP never creates a switch, even so
}
ALICE = {"targetingKey": "1001", "username": "alice"}
BOB = {"targetingKey": "1002", "username": "bob"}
DEFAULTED = {"openfeatureReason": "DEFAULT"}


@pytest.fixture(autouse=True)
def settings_for_ofrep() -> Any:
    with override_settings(**SETTINGS):
        yield


@pytest.fixture
def robot() -> Client:
    """A service: a token whose user may view switches (no staff flag needed)."""
    user = User.objects.create_user("robot")
    user.user_permissions.set(Permission.objects.filter(codename="view_switch"))
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def stored() -> dict[str, Any]:
    """Every kind of switch; returns the stored rows, to show that asking changes none."""
    Switch.objects.create(key="global", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="empty", status=SELECTIVE)
    Switch.objects.create(key="alice_only", status=SELECTIVE).add_condition(gargoyle, USER, "username", "alice")
    Switch.objects.create(key="not_bob", status=SELECTIVE).add_condition(
        gargoyle, USER, "username", "bob", exclude=True
    )
    Switch.objects.create(key="inherit", status=INHERIT)
    Switch.objects.create(key="off:child", status=GLOBAL)
    Switch.objects.create(key="global:inherit", status=INHERIT)
    Switch.objects.create(key="broken", status=SELECTIVE)
    Switch.objects.filter(key="broken").update(value={"nope": {"x": [["i", "1"]]}})
    return rows()


def rows() -> dict[str, Any]:
    return {row["key"]: row for row in Switch.objects.values("key", "status", "value", "label")}


def flag(client: Client, key: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    """POST evaluate/flags/<key>: (status, JSON validated for that status)."""
    data = body if isinstance(body, (str, bytes)) else json.dumps({"context": ALICE} if body is None else body)
    response = client.post(f"/ofrep/v1/evaluate/flags/{key}", data, content_type="application/json", headers=headers)
    return response.status_code, checked(response, "flag")


def flags(client: Client, body: Any = None, **headers: str) -> tuple[int, Any]:
    """POST evaluate/flags: (status, JSON validated for that status)."""
    data = body if isinstance(body, (str, bytes)) else json.dumps({"context": ALICE} if body is None else body)
    response = client.post("/ofrep/v1/evaluate/flags", data, content_type="application/json", headers=headers)
    return response.status_code, checked(response, "flags")


# -- the document, and the one narrowing the tests read it with ---------------------------------


def test_the_documents_code_default_branch_must_be_narrowed_to_validate_anything() -> None:
    success = {"key": "a", "reason": "STATIC", "variant": "on", "value": True}
    as_published = ofrep_schema.errors(success, "serverEvaluationSuccess", document=ofrep_schema.published())
    assert len(as_published) == 1 and "is valid under each of" in as_published[0]
    assert ofrep_schema.errors(success, "serverEvaluationSuccess") == []
    assert ofrep_schema.errors({"key": "a", "reason": "STATIC", "variant": "default"}, "serverEvaluationSuccess") == []
    # Still strict: OFREP has no DEFAULT reason, a key is required, a value must have a type.
    for wrong in ({**success, "reason": "DEFAULT"}, {"reason": "STATIC", "value": True}, {**success, "value": None}):
        assert ofrep_schema.errors(wrong, "serverEvaluationSuccess"), wrong
    # The narrowing is the only change.
    published, narrowed = ofrep_schema.published(), ofrep_schema.narrowed()
    before, after = published["components"]["schemas"], narrowed["components"]["schemas"]
    assert before["codeDefaultFlag"] == {**before["codeDefaultFlag"], "type": "object", "properties": {}}
    assert [name for name in before if before[name] != after[name]] == ["codeDefaultFlag"]
    assert before.keys() == after.keys()
    assert {**published, "components": None} == {**narrowed, "components": None}


# -- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "context", "expected"),
    [
        ("global", ALICE, {"reason": "STATIC", "value": True, "variant": "on"}),
        ("off", ALICE, {"reason": "STATIC", "value": False, "variant": "off"}),
        ("empty", ALICE, {"reason": "STATIC", "value": False, "variant": "off"}),
        ("alice_only", ALICE, {"reason": "TARGETING_MATCH", "value": True, "variant": "on"}),
        # Nothing matched: OFREP has no DEFAULT reason, the metadata keeps OpenFeature's.
        ("alice_only", BOB, {"reason": "TARGETING_MATCH", "metadata": DEFAULTED, "value": False, "variant": "off"}),
        ("not_bob", ALICE, {"reason": "TARGETING_MATCH", "metadata": DEFAULTED, "value": True, "variant": "on"}),
        ("not_bob", BOB, {"reason": "TARGETING_MATCH", "value": False, "variant": "off"}),
        ("off:child", ALICE, {"reason": "DISABLED", "value": False, "variant": "off"}),
        ("global:inherit", ALICE, {"reason": "STATIC", "value": True, "variant": "on"}),
        ("coded", ALICE, {"reason": "STATIC", "metadata": DEFAULTED, "value": True, "variant": "on"}),
        # The caller's own default: no value, which OFREP clients read as "use yours".
        ("inherit", ALICE, {"reason": "STATIC", "metadata": DEFAULTED, "variant": "default"}),
    ],
)
def test_every_reason(robot: Client, stored: dict[str, Any], key: str, context: Any, expected: Any) -> None:
    status, body = flag(robot, key, {"context": context})
    assert (status, body) == (200, {"key": key, **expected})
    # The bulk answer for the same context says the same.
    status, bulk = flags(robot, {"context": context})
    assert status == 200
    assert [item for item in bulk["flags"] if item["key"] == key] == [body]
    assert rows() == stored


def test_a_code_default_is_not_stored_by_asking(robot: Client) -> None:
    assert flag(robot, "coded")[0] == 200
    assert flags(robot)[0] == 200
    assert not Switch.objects.exists()


@override_settings(GARGOYLE_SWITCH_DEFAULTS={"coded_selective": {"initial_status": SELECTIVE}})
def test_a_selective_code_default_is_static(robot: Client) -> None:
    status, body = flag(robot, "coded_selective")
    assert (status, body["reason"], body["metadata"]) == (200, "STATIC", DEFAULTED)


def test_conditions_that_cannot_be_used_are_a_general_error(robot: Client, stored: dict[str, Any]) -> None:
    status, body = flag(robot, "broken")
    assert (status, body["key"], body["errorCode"]) == (400, "broken", "GENERAL")
    assert "'nope'" in body["errorDetails"]  # a service is told why
    status, bulk = flags(robot)
    assert status == 200  # one switch failing fails no other
    assert [item for item in bulk["flags"] if item["key"] == "broken"] == [body]
    assert {item["key"]: item.get("value") for item in bulk["flags"]}["global"] is True
    # A browser is told less.
    status, body = flag(Client(), "broken")
    assert (status, body) == (
        400,
        {"key": "broken", "errorCode": "GENERAL", "errorDetails": "Switch 'broken' cannot be evaluated."},
    )
    assert rows() == stored


# -- errors -------------------------------------------------------------------------------------


BAD_REQUESTS = [
    ("PARSE_ERROR", "not json"),
    ("PARSE_ERROR", b"\xff\xfe{}"),
    ("PARSE_ERROR", "[]"),
    ("PARSE_ERROR", '"context"'),
    ("PARSE_ERROR", '{"context": ["targetingKey", "1"]}'),
    ("PARSE_ERROR", '{"context": "targetingKey=1"}'),
    ("TARGETING_KEY_MISSING", ""),
    ("TARGETING_KEY_MISSING", "{}"),
    ("TARGETING_KEY_MISSING", '{"context": {}}'),
    ("TARGETING_KEY_MISSING", '{"context": {"targetingKey": null, "username": "alice"}}'),
    ("INVALID_CONTEXT", '{"context": {"targetingKey": 1001}}'),
    ("INVALID_CONTEXT", '{"context": {"targetingKey": "alice"}}'),
    ("INVALID_CONTEXT", '{"context": {"targetingKey": "1", "ip": "10.0.0.300"}}'),
    ("INVALID_CONTEXT", '{"context": {"targetingKey": "1", "is_staff": "true"}}'),
    ("INVALID_CONTEXT", '{"context": {"targetingKey": "1", "date_joined": "last week"}}'),
]


@pytest.mark.parametrize(("code", "body"), BAD_REQUESTS)
@pytest.mark.parametrize("key", ["global", "missing"])
def test_a_bad_request_for_one_flag(robot: Client, stored: dict[str, Any], code: str, body: Any, key: str) -> None:
    status, answer = flag(robot, key, body)
    assert (status, answer["key"], answer["errorCode"]) == (400, key, code)
    assert answer["errorDetails"]
    assert rows() == stored


@pytest.mark.parametrize(("code", "body"), BAD_REQUESTS)
def test_a_bad_request_for_every_flag(robot: Client, stored: dict[str, Any], code: str, body: Any) -> None:
    status, answer = flags(robot, body)
    assert (status, answer["errorCode"]) == (400, code)
    assert "key" not in answer
    assert rows() == stored


@pytest.mark.parametrize("key", ["missing", "global:missing", "Global", "global/child"])
def test_an_unknown_key_is_not_found_and_not_created(robot: Client, stored: dict[str, Any], key: str) -> None:
    status, body = flag(robot, key)
    assert (status, body["key"], body["errorCode"]) == (404, key, "FLAG_NOT_FOUND")
    assert key in body["errorDetails"]
    assert rows() == stored  # no auto-created switch, though GARGOYLE_AUTO_CREATE is on
    assert Switch.objects.count() == len(stored)
