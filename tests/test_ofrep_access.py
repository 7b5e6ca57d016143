"""OFREP's endpoints (gargoyle.ofrep): who may ask for what, whose context counts, the bulk
lists and their ETags, methods, CSRF and headers. Every answer is validated against the OFREP
OpenAPI document for its status (tests/ofrep_schema.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from tests.ofrep_schema import checked


def control(request: Any) -> HttpResponse:
    """A POST view without csrf_exempt: shows that the CSRF check is on."""
    return HttpResponse("posted")


urlpatterns = [path("", include("gargoyle.ofrep")), path("control/", control)]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

TOKEN = "ofrep-robot-" + "r" * 32
SHORT = "short-but-listed"
TOKENS = {
    TOKEN: "robot",
    SHORT: "robot",
    "ofrep-nobody-" + "n" * 32: "nobody",
    "ofrep-viewless-" + "v" * 32: "viewless",
    "ofrep-sleeper-" + "s" * 32: "sleeper",
}
USER = "gargoyle.builtins.UserConditionSet(auth.user)"
IP = "gargoyle.builtins.IPAddressConditionSet"
PUBLIC = ["public", "staff_only", "office", "coded_public", "never_stored"]
SETTINGS = {
    "GARGOYLE_API_TOKENS": TOKENS,
    "GARGOYLE_CLIENT_SWITCHES": PUBLIC,
    "GARGOYLE_SWITCH_DEFAULTS": {"coded_public": {"is_active": True}, "coded_private": {"is_active": False}},
}


def token_of(username: str) -> str:
    return next(token for token, name in TOKENS.items() if name == username and len(token) >= 32)


@pytest.fixture(autouse=True)
def setup() -> Any:
    with override_settings(**SETTINGS):
        Switch.objects.create(key="public", status=GLOBAL)
        Switch.objects.create(key="private", status=GLOBAL)
        Switch.objects.create(key="staff_only", status=SELECTIVE).add_condition(gargoyle, USER, "is_staff", "1")
        Switch.objects.create(key="office", status=SELECTIVE).add_condition(gargoyle, IP, "ip_address", "10.0.0.0/8")
        Switch.objects.create(key="alice_only", status=SELECTIVE).add_condition(gargoyle, USER, "username", "alice")
        Switch.objects.create(key="half", status=SELECTIVE).add_condition(gargoyle, USER, "percent", "0-50")
        robot = User.objects.create_user("robot")
        robot.user_permissions.set(Permission.objects.filter(codename="view_switch"))
        User.objects.create_user("viewless")
        User.objects.create_user("sleeper", is_active=False).user_permissions.set(
            Permission.objects.filter(codename="view_switch")
        )
        yield


def post(client: Client, url: str, context: Any = None, headers: dict[str, str] | None = None) -> Any:
    body = json.dumps({"context": {"targetingKey": "1"} if context is None else context})
    return client.post(url, body, content_type="application/json", headers=headers)


def flag(client: Client, key: str, context: Any = None) -> tuple[int, Any]:
    response = post(client, f"/ofrep/v1/evaluate/flags/{key}", context)
    return response.status_code, checked(response, "flag")


def flags(client: Client, context: Any = None) -> tuple[int, Any]:
    response = post(client, "/ofrep/v1/evaluate/flags", context)
    return response.status_code, checked(response, "flags")


def values(bulk: dict[str, Any]) -> dict[str, Any]:
    return {item["key"]: item.get("value") for item in bulk["flags"]}


def bearer(token: str = TOKEN) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def session(user: User | None = None, **client_kwargs: Any) -> Client:
    client = Client(**client_kwargs)
    if user is not None:
        client.force_login(user)
    return client


# -- tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer " + "x" * 40},
        {"X-API-Key": "x" * 40},
        {"Authorization": f"Bearer {SHORT}"},  # listed, but shorter than 32 characters
        {"X-API-Key": SHORT},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": f"Bearer {token_of('nobody')}"},  # its user does not exist
        {"Authorization": f"Bearer {token_of('sleeper')}"},  # its user is inactive
    ],
)
def test_a_bad_token_gets_401_even_with_a_staff_session(headers: dict[str, str]) -> None:
    client = session(User.objects.create_superuser("admin"))
    for response in (
        post(client, "/ofrep/v1/evaluate/flags/public", headers=headers),
        post(client, "/ofrep/v1/evaluate/flags", headers=headers),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="gargoyle"'
        assert "value" not in json.loads(response.content) and "flags" not in json.loads(response.content)


def test_a_token_whose_user_may_not_view_switches_gets_403() -> None:
    for response in (
        post(bearer(token_of("viewless")), "/ofrep/v1/evaluate/flags/public"),
        post(Client(headers={"X-API-Key": token_of("viewless")}), "/ofrep/v1/evaluate/flags"),
    ):
        assert response.status_code == 403
        assert "view" in json.loads(response.content)["errorDetails"]
    # The legacy and change permissions let a user view switches too.
    User.objects.get(username="viewless").user_permissions.set(Permission.objects.filter(codename="change_switch"))
    assert flag(bearer(token_of("viewless")), "private")[0] == 200


def test_x_api_key_is_a_token_as_bearer_is() -> None:
    by_key = flag(Client(headers={"X-API-Key": TOKEN}), "private")
    assert (
        by_key
        == flag(bearer(), "private")
        == (200, {"key": "private", "reason": "STATIC", "value": True, "variant": "on"})
    )
    assert flags(Client(headers={"X-API-Key": TOKEN})) == flags(bearer())


def test_a_tokens_context_decides() -> None:
    assert flag(bearer(), "alice_only", {"targetingKey": "5", "username": "alice"})[1]["value"] is True
    assert flag(bearer(), "alice_only", {"targetingKey": "5", "username": "bob"})[1]["value"] is False
    assert flag(bearer(), "staff_only", {"targetingKey": "5", "is_staff": True})[1]["value"] is True
    assert flag(bearer(), "office", {"targetingKey": "", "ip": "10.9.8.7"})[1]["value"] is True
    assert flag(bearer(), "office", {"targetingKey": "", "ip": "192.0.2.1"})[1]["value"] is False
    # A user percent: the targeting key is the primary key that is_active buckets.
    answers = {pk: flag(bearer(), "half", {"targetingKey": str(pk)})[1]["value"] for pk in range(1, 41)}
    assert answers == {pk: gargoyle.is_active("half", User(pk=pk)) for pk in range(1, 41)}
    assert set(answers.values()) == {True, False}
    # A visitor ("" as the targeting key) is in no user percent.
    assert flag(bearer(), "half", {"targetingKey": ""})[1]["value"] is False


# -- browser sessions ---------------------------------------------------------------------------


def test_a_session_is_judged_as_itself_whatever_its_context_claims() -> None:
    staff = User.objects.create_user("stella", is_staff=True)
    alice = User.objects.create_user("alice")
    claims = {"targetingKey": str(staff.pk), "username": "stella", "is_staff": True, "ip": "10.0.0.1"}
    assert flag(session(alice), "staff_only", claims)[1]["value"] is False
    assert flag(session(staff), "staff_only", {"targetingKey": str(alice.pk)})[1]["value"] is True
    assert flag(session(REMOTE_ADDR="192.0.2.1"), "office", claims)[1]["value"] is False
    assert flag(session(REMOTE_ADDR="10.0.0.1"), "office", {"ip": "192.0.2.1"})[1]["value"] is True
    # Its bulk answer too; and it needs no targeting key, nor a valid one.
    bulk = flags(session(alice, REMOTE_ADDR="192.0.2.1"), {"targetingKey": 7, "ip": "nonsense"})[1]
    assert values(bulk) == {"coded_public": True, "office": False, "public": True, "staff_only": False}
    assert flag(Client(), "public", {})[0] == 200
    # Its context must still be an object.
    assert flag(Client(), "public", ["targetingKey"])[1]["errorCode"] == "PARSE_ERROR"


@pytest.mark.parametrize("key", ["private", "alice_only", "coded_private", "never_stored", "missing"])
def test_a_session_sees_only_the_public_switches_even_staff(key: str) -> None:
    for client in (Client(), session(User.objects.create_superuser(f"admin-{key}"))):
        status, body = flag(client, key)
        assert (status, body["key"], body["errorCode"]) == (404, key, "FLAG_NOT_FOUND")
    assert key not in values(flags(Client())[1])


def test_the_bulk_lists() -> None:
    # A session: the public keys that name a switch (stored, or a code default), sorted.
    status, bulk = flags(Client())
    assert status == 200
    assert [item["key"] for item in bulk["flags"]] == ["coded_public", "office", "public", "staff_only"]
    # A token: every switch and code default, sorted.
    status, bulk = flags(bearer())
    assert status == 200
    keys = ["alice_only", "coded_private", "coded_public", "half", "office", "private", "public", "staff_only"]
    assert [item["key"] for item in bulk["flags"]] == keys
    assert Switch.objects.count() == 6  # and no code default was stored by asking


# -- ETags --------------------------------------------------------------------------------------


def test_the_etag_is_stable_and_a_matching_if_none_match_gets_304() -> None:
    first, again = post(Client(), "/ofrep/v1/evaluate/flags"), post(Client(), "/ofrep/v1/evaluate/flags")
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert again["ETag"] == etag and again.content == first.content
    for header in (etag, f"W/{etag}", f'"other", {etag}', f'W/"other" , W/{etag}', "*"):
        response = post(Client(), "/ofrep/v1/evaluate/flags", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert checked(response, "flags") is None
        assert response["ETag"] == etag
    for header in ('"other"', etag[:-2] + '"', f"{etag[:-1]}x{etag[-1]}"):
        response = post(Client(), "/ofrep/v1/evaluate/flags", headers={"If-None-Match": header})
        assert response.status_code == 200, header
        assert checked(response, "flags") == json.loads(first.content)


def test_the_etag_follows_the_answers() -> None:
    etag = post(Client(), "/ofrep/v1/evaluate/flags")["ETag"]
    Switch.objects.filter(key="private").update(status=DISABLED)  # not public: the same answers
    assert post(Client(), "/ofrep/v1/evaluate/flags")["ETag"] == etag
    Switch.objects.filter(key="public").update(status=DISABLED)
    response = post(Client(), "/ofrep/v1/evaluate/flags", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert values(checked(response, "flags"))["public"] is False
    assert response["ETag"] != etag
    # Different answers for different contexts: different tags.
    tags = {
        post(bearer(), "/ofrep/v1/evaluate/flags", {"targetingKey": "1", "username": name})["ETag"]
        for name in ("alice", "bob")
    }
    assert len(tags) == 2


# -- methods, CSRF and headers ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/ofrep/v1/evaluate/flags", "/ofrep/v1/evaluate/flags/public"])
def test_only_post_is_allowed(url: str) -> None:
    for method in ("get", "put", "delete"):
        response = getattr(bearer(), method)(url)
        assert response.status_code == 405
        assert response["Allow"] == "POST"


def test_a_session_needs_no_csrf_token() -> None:
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "django.middleware.csrf.CsrfViewMiddleware"]):
        client = session(User.objects.create_user("alice"), enforce_csrf_checks=True)
        assert client.post("/control/").status_code == 403  # the check is on
        assert flag(client, "public")[0] == 200
        assert flags(client)[0] == 200


@pytest.mark.parametrize(
    ("client", "url", "status"),
    [
        (Client, "/ofrep/v1/evaluate/flags/public", 200),
        (Client, "/ofrep/v1/evaluate/flags/private", 404),
        (Client, "/ofrep/v1/evaluate/flags", 200),
        (bearer, "/ofrep/v1/evaluate/flags/public", 200),
        (lambda: bearer("x" * 40), "/ofrep/v1/evaluate/flags", 401),
        (lambda: bearer(token_of("viewless")), "/ofrep/v1/evaluate/flags", 403),
    ],
)
def test_answers_vary_by_caller_and_are_not_shared_by_caches(client: Any, url: str, status: int) -> None:
    response = post(client(), url)
    assert response.status_code == status
    assert {"Cookie", "Authorization", "X-API-Key"} <= {part.strip() for part in response["Vary"].split(",")}
    assert "private" in response["Cache-Control"]
