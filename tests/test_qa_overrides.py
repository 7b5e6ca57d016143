"""QA overrides (gargoyle.qa): ``?gargoyle=key:on`` and the signed cookie, for permitted users only."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.checks import run_checks
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import include, path
from django.utils.functional import empty

from gargoyle import gargoyle, qa
from gargoyle._runtime.engine import CompiledSwitch
from gargoyle._runtime.outcomes import counter as outcomes_counter
from gargoyle._runtime.overrides import OverridableSwitch, forced
from gargoyle._runtime.usage import counter as usage_counter
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.models import Switch
from gargoyle.testutils import switches

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

KEYS = ("banner", "banner:photos", "banner:new", "checkout", "dark_mode")
SEEN: dict[str, Any] = {}


def page(request: HttpRequest) -> JsonResponse:
    SEEN["user_loaded"] = request.user._wrapped is not empty  # type: ignore[attr-defined]
    answers = {key: gargoyle.is_active(key, request) for key in KEYS}
    SEEN["recorded"] = dict(getattr(request, "gargoyle_switches", {}))
    return JsonResponse(answers)


async def async_page(request: HttpRequest) -> JsonResponse:
    return JsonResponse({key: await gargoyle.ais_active(key, request) for key in KEYS})


def failing(request: HttpRequest) -> HttpResponse:
    gargoyle.is_active("checkout", request)
    return HttpResponse(status=500)


urlpatterns = [
    path("page/", page),
    path("async/", async_page),
    path("failing/", failing),
    path("", include("gargoyle.ofrep")),
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gargoyle.middleware.SwitchExposureMiddleware",
    "gargoyle.middleware.SwitchOverrideMiddleware",
]
QA = override_settings(MIDDLEWARE=MIDDLEWARE, GARGOYLE_QA_SWITCHES=["banner", "checkout"], GARGOYLE_AUTO_CREATE=False)


@pytest.fixture(autouse=True)
def stored() -> None:
    Switch.objects.create(key="banner", status=GLOBAL)
    Switch.objects.create(key="banner:photos", status=INHERIT)
    Switch.objects.create(key="checkout", status=DISABLED)
    Switch.objects.create(key="dark_mode", status=DISABLED)
    SEEN.clear()


@pytest.fixture
def tester(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("tester", password="unused")
    user.user_permissions.add(Permission.objects.get(codename="override_switch", content_type__app_label="gargoyle"))
    return user


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def rows() -> list[dict[str, Any]]:
    return list(Switch.objects.order_by("key").values("key", "status", "value", "date_modified"))


# -- who may override ------------------------------------------------------------------------


@QA
def test_a_permitted_user_overrides_for_this_request_and_the_next(tester: Any) -> None:
    client = client_for(tester)
    first_response = client.get("/page/?gargoyle=banner:off,checkout:on")
    first = first_response.json()
    assert (first["banner"], first["checkout"]) == (False, True)
    cookie = client.cookies[qa.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "private" in first_response.headers["Cache-Control"]  # a tester's page is never shared
    later = client.get("/page/").json()  # no parameter: the cookie keeps them
    assert (later["banner"], later["checkout"], later["dark_mode"]) == (False, True, False)
    assert Client().get("/page/").json()["banner"] is True  # another browser: the stored answer


@QA
def test_superusers_have_the_permission(admin_user: Any) -> None:
    assert qa.may_override(admin_user)
    assert client_for(admin_user).get("/page/?gargoyle=checkout:on").json()["checkout"] is True


@QA
@pytest.mark.parametrize("who", ["anonymous", "plain user", "inactive superuser"])
def test_users_without_the_permission_are_ignored_and_lose_the_cookie(who: str, django_user_model: Any) -> None:
    user = {
        "anonymous": None,
        "plain user": django_user_model.objects.create_user("plain"),
        "inactive superuser": django_user_model.objects.create_superuser("boss", is_active=False),
    }[who]
    client = client_for(user)
    client.cookies[qa.COOKIE] = "anything"
    response = client.get("/page/?gargoyle=checkout:on")
    assert response.json()["checkout"] is False
    assert response.cookies[qa.COOKIE].value == ""  # deleted
    assert client_for(user).get("/page/?gargoyle=checkout:on").cookies.get(qa.COOKIE) is None


@QA
def test_a_cookie_set_for_another_user_is_ignored_and_deleted(tester: Any, admin_user: Any) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=checkout:on")
    client.force_login(admin_user)  # the same browser, another tester
    response = client.get("/page/")
    assert response.json()["checkout"] is False
    assert response.cookies[qa.COOKIE].value == ""


@QA
def test_switches_not_listed_cannot_be_overridden(tester: Any) -> None:
    response = client_for(tester).get("/page/?gargoyle=dark_mode:on,banner:photos:off")
    assert response.json()["dark_mode"] is False
    assert response.json()["banner:photos"] is True  # a child must be listed itself
    assert qa.COOKIE not in response.cookies


def test_with_the_setting_empty_the_feature_is_off(tester: Any) -> None:
    with override_settings(MIDDLEWARE=MIDDLEWARE):
        response = client_for(tester).get("/page/?gargoyle=checkout:on")
    assert response.json()["checkout"] is False
    assert qa.COOKIE not in response.cookies
    assert type(gargoyle._current_snapshot().switches["checkout"]) is CompiledSwitch


@QA
def test_visitors_without_parameter_or_cookie_pass_straight_through(tester: Any) -> None:
    client_for(tester).get("/page/")
    assert SEEN["user_loaded"] is False  # not even the user was read (the view checks no user condition)


# -- the cookie -------------------------------------------------------------------------------


@QA
def test_a_tampered_cookie_is_ignored_and_deleted(tester: Any) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=checkout:on")
    signed = client.cookies[qa.COOKIE].value
    flipped = ("A" if signed[1] != "A" else "B").join((signed[:1], signed[2:]))
    forged = signing.dumps({"user": str(tester.pk), "switches": {"checkout": True}}, salt="not gargoyle's")
    for bad in (flipped, forged, "garbage", ""):
        client.cookies[qa.COOKIE] = bad
        response = client.get("/page/")
        assert response.json()["checkout"] is False
        assert response.json()["banner"] is True
        assert response.cookies[qa.COOKIE].value == ""


@QA
def test_an_expired_cookie_is_ignored(tester: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=checkout:on")
    monkeypatch.setattr(qa, "COOKIE_MAX_AGE", -1)
    assert client.get("/page/").json()["checkout"] is False


@QA
def test_a_key_removed_from_the_setting_stops_counting(tester: Any) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=checkout:on,banner:off")
    with override_settings(GARGOYLE_QA_SWITCHES=["banner"]):
        answers = client.get("/page/").json()
    assert (answers["checkout"], answers["banner"]) == (False, False)


@QA
def test_clear_one_or_all(tester: Any) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=checkout:on,banner:off")
    answers = client.get("/page/?gargoyle=banner:clear").json()
    assert (answers["checkout"], answers["banner"]) == (True, True)
    response = client.get("/page/?gargoyle=clear")
    assert (response.json()["checkout"], response.json()["banner"]) == (False, True)
    assert response.cookies[qa.COOKIE].value == ""  # nothing left to keep
    assert client.get("/page/").json()["checkout"] is False


@QA
@pytest.mark.parametrize(
    "value",
    [
        "checkout:maybe",
        "checkout",
        ":on",
        ",,,",
        "",
        "checkout:ON",
        "missing:on",
        "checkout:on\x00",
        "é" * 5000 + ":on",
        "%ff%fe:on",
        "checkout:on:off",
    ],
)
def test_bad_values_change_nothing(tester: Any, value: str) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=banner:off")
    cookie = client.cookies[qa.COOKIE].value
    before = rows()
    response = client.get("/page/", {"gargoyle": value})
    assert response.status_code == 200
    assert response.json()["checkout"] is False and response.json()["banner"] is False
    assert qa.COOKIE not in response.cookies  # the cookie is left as it was
    assert client.cookies[qa.COOKIE].value == cookie
    assert rows() == before


@QA
def test_several_parameters_apply_in_order(tester: Any) -> None:
    answers = client_for(tester).get("/page/?gargoyle=checkout:on&gargoyle=checkout:off,banner:off").json()
    assert (answers["checkout"], answers["banner"]) == (False, False)


# -- evaluation -------------------------------------------------------------------------------


@QA
def test_children_follow_an_overridden_parent(tester: Any) -> None:
    Switch.objects.create(key="checkout:express", status=GLOBAL)
    client = client_for(tester)
    off = client.get("/page/?gargoyle=banner:off").json()
    assert (off["banner:photos"], off["banner:new"]) == (False, False)  # stored and unknown children
    Switch.objects.filter(key="banner").update(status=DISABLED)  # stored off: on turns them on again
    on = client.get("/page/?gargoyle=banner:on").json()
    assert (on["banner"], on["banner:photos"], on["banner:new"]) == (True, True, True)
    token = forced.set({"checkout": True})
    try:
        assert gargoyle.is_active("checkout:express") is True
    finally:
        forced.reset(token)
    assert gargoyle.is_active("checkout:express") is False


@QA
@override_settings(GARGOYLE_CLIENT_SWITCHES=["banner"])
def test_the_browser_s_ofrep_answers_follow_its_overrides(tester: Any) -> None:
    client = client_for(tester)
    client.get("/page/?gargoyle=banner:off")

    def flags(client: Client) -> list[tuple[str, bool, str]]:
        response = client.post("/ofrep/v1/evaluate/flags", "{}", content_type="application/json")
        return [(flag["key"], flag["value"], flag["reason"]) for flag in response.json()["flags"]]

    # Forced for this browser: the same answer whoever asks, so STATIC, as for a Global switch.
    assert flags(client) == [("banner", False, "STATIC")]
    assert flags(Client()) == [("banner", True, "STATIC")]  # another browser: the stored Global


@QA
def test_a_forced_answer_has_the_reason_static() -> None:
    from gargoyle.resolution import DEFAULT, STATIC, resolve

    staff = Switch.objects.get(key="checkout")
    staff.status = SELECTIVE
    staff.save()
    staff.add_condition(gargoyle, "gargoyle.builtins.UserConditionSet(auth.user)", "is_staff", "1")
    request = RequestFactory().get("/")
    assert (resolve("checkout", request).value, resolve("checkout", request).reason) == (False, DEFAULT)
    token = forced.set({"checkout": True})
    try:
        assert (resolve("checkout", request).value, resolve("checkout", request).reason) == (True, STATIC)
        assert resolve("banner:photos", request).reason == STATIC  # follows its Global parent
    finally:
        forced.reset(token)
    assert resolve("checkout", request).reason == DEFAULT


@QA
def test_test_overrides_beat_qa_overrides(tester: Any) -> None:
    with switches(checkout=False):
        assert client_for(tester).get("/page/?gargoyle=checkout:on").json()["checkout"] is False


@QA
def test_only_listed_switches_are_compiled_to_look_for_an_override() -> None:
    snapshot = gargoyle._current_snapshot()
    assert type(snapshot.switches["banner"]) is OverridableSwitch
    assert type(snapshot.switches["dark_mode"]) is CompiledSwitch
    assert snapshot.switches["dark_mode"].constant is False  # still a constant: it pays nothing
    assert snapshot.switches["banner"].constant is None
    assert gargoyle.is_active("banner") is True  # no override: the stored answer


@QA
def test_selective_switches_keep_their_conditions(tester: Any, admin_user: Any) -> None:
    switch = Switch.objects.get(key="checkout")
    switch.status = SELECTIVE
    switch.save()
    switch.add_condition(gargoyle, "gargoyle.builtins.UserConditionSet(auth.user)", "is_staff", "1")
    assert client_for(admin_user).get("/page/").json()["checkout"] is True
    assert client_for(admin_user).get("/page/?gargoyle=checkout:off").json()["checkout"] is False
    assert client_for(tester).get("/page/").json()["checkout"] is False


def test_changing_the_setting_recompiles(tester: Any) -> None:
    assert type(gargoyle._current_snapshot().switches["banner"]) is CompiledSwitch
    with override_settings(GARGOYLE_QA_SWITCHES=["banner"]):
        assert type(gargoyle._current_snapshot().switches["banner"]) is OverridableSwitch
    assert type(gargoyle._current_snapshot().switches["banner"]) is CompiledSwitch
    assert gargoyle._current_snapshot().switches["banner"].constant is True


@pytest.mark.django_db(transaction=True)  # the async view's queries run in another thread
@QA
def test_async_requests(tester: Any) -> None:
    client = AsyncClient()
    client.force_login(tester)
    answers = async_to_sync(client.get)("/async/?gargoyle=banner:off").json()
    assert (answers["banner"], answers["banner:photos"]) == (False, False)
    assert async_to_sync(client.get)("/async/").json()["banner"] is False  # the cookie
    assert forced.get() is None  # reset after the request


def test_the_override_ends_with_the_request() -> None:
    factory = RequestFactory()
    request = factory.get("/page/?gargoyle=banner:off")
    middleware = qa.SwitchOverrideMiddleware(lambda request: HttpResponse())
    with override_settings(GARGOYLE_QA_SWITCHES=["banner"]):
        request.user = type("Tester", (), {"is_authenticated": True, "pk": 1, "has_perm": lambda self, perm: True})()
        middleware(request)
        assert forced.get() is None
        assert qa.overrides_of(request) == {"banner": False}


# -- exposure, usage, rollouts ------------------------------------------------------------------


@QA
def test_overridden_answers_are_recorded_and_counted(tester: Any) -> None:
    usage_counter.take()
    client_for(tester).get("/page/?gargoyle=checkout:on")
    assert SEEN["recorded"]["checkout"] is True
    assert usage_counter.take()["checkout"][:2] == (1, 0)  # (on, off)


@pytest.mark.django_db(transaction=True)
@QA
def test_overridden_answers_are_not_counted_for_a_rollout(tester: Any) -> None:
    from gargoyle import rollouts

    rollouts.start("checkout", [100], condition_set="gargoyle.builtins.IPAddressConditionSet")
    gargoyle._runtime.next_check = 0.0
    outcomes_counter.samples.clear()
    client = client_for(tester)
    client.get("/failing/?gargoyle=checkout:off")
    assert outcomes_counter.samples == {}
    client.get("/failing/?gargoyle=clear")  # the rollout's own answer counts again
    assert sum(requests for requests, _bad in outcomes_counter.samples.values()) == 1


def test_unforced_leaves_out_overridden_keys_and_their_children() -> None:
    answers = {"a": True, "a:b": True, "a:b:c": False, "ab": True, "x": False}
    assert qa.unforced(answers, {"a": False}) == {"ab": True, "x": False}
    assert qa.unforced(answers, {}) == answers
    assert (qa.overridden_by("a:b:c", {"a": True, "a:b": False}), qa.overridden_by("ab", {"a": True})) == ("a:b", None)


# -- the parameter's helpers ----------------------------------------------------------------------


def test_parse_and_apply() -> None:
    allowed = ["a", "a:b"]
    changes = qa.parse(" a:on , a:b:off,c:on,clear,a:clear,a:maybe", allowed)
    assert changes == [("a", "on"), ("a:b", "off"), (None, "clear"), ("a", "clear")]
    assert qa.apply({"z": True}, [("a", "on"), ("a:b", "off")]) == {"z": True, "a": True, "a:b": False}
    assert qa.apply({"a": True}, changes) == {}


def test_override_url_keeps_the_other_parameters() -> None:
    request = RequestFactory().get("/shop/?page=2&gargoyle=a:on")
    assert qa.override_url(request, "a:b:off") == "/shop/?page=2&gargoyle=a:b:off"


# -- system checks ---------------------------------------------------------------------------------


def ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return [message.id for message in run_checks() if message.id in ("gargoyle.E026", "gargoyle.W027")]


def test_checks() -> None:
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    sessions = "django.contrib.sessions.middleware.SessionMiddleware"
    mine = "gargoyle.middleware.SwitchOverrideMiddleware"
    assert ids() == []
    assert ids(MIDDLEWARE=MIDDLEWARE, GARGOYLE_QA_SWITCHES=["banner"]) == []
    assert ids(GARGOYLE_QA_SWITCHES="banner") == ["gargoyle.E026"]  # a string is no list of keys
    assert ids(GARGOYLE_QA_SWITCHES=[1]) == ["gargoyle.E026"]
    assert ids(MIDDLEWARE=[sessions, mine, auth], GARGOYLE_QA_SWITCHES=["banner"]) == ["gargoyle.E026"]
    assert ids(MIDDLEWARE=[mine], GARGOYLE_QA_SWITCHES=[]) == ["gargoyle.E026"]  # no authentication at all
    assert ids(MIDDLEWARE=[sessions, auth, "gargoyle.qa.SwitchOverrideMiddleware"], GARGOYLE_QA_SWITCHES=["a"]) == []
    assert ids(MIDDLEWARE=[sessions, auth], GARGOYLE_QA_SWITCHES=["banner"]) == ["gargoyle.W027"]
