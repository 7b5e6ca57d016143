"""Sticky percent for anonymous visitors: VisitorCookieMiddleware, the visitor condition set and its settings."""

from __future__ import annotations

import json
import logging
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.core import signing
from django.core.checks import run_checks
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import include, path, reverse

from gargoyle._conf import get_settings
from gargoyle._web import audience
from gargoyle.cohorts import stable_bucket
from gargoyle.constants import GLOBAL, SELECTIVE
from gargoyle.contexts import subjects_from_context
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.resolution import resolve
from gargoyle.visitors import SALT, Visitor, VisitorCookieMiddleware, check_visitor_settings, visitor_id

VISITORS = "gargoyle.builtins.VisitorConditionSet"
USERS = "gargoyle.builtins.UserConditionSet(auth.user)"
NAME = "gargoyle_visitor"
YEAR = 365 * 24 * 60 * 60
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gargoyle.middleware.VisitorCookieMiddleware",
]


def page(request: HttpRequest) -> HttpResponse:
    """The answers of the switches named by ``?check=``."""
    return JsonResponse({key: gargoyle.is_active(key, request) for key in request.GET.getlist("check")})


async def async_page(request: HttpRequest) -> HttpResponse:
    return JsonResponse({key: await gargoyle.ais_active(key, request) for key in request.GET.getlist("check")})


def own_cookie(request: HttpRequest) -> HttpResponse:
    response = page(request)
    response.set_cookie(NAME, "the view's own")
    return response


urlpatterns = [
    path("page/", page),
    path("async/", async_page),
    path("own/", own_cookie),
    path("gargoyle/", include("gargoyle.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def visitor_switch(key: str, condition: str = "0-50", exclude: bool = False) -> Switch:
    switch = Switch.objects.create(key=key, status=SELECTIVE)
    switch.add_condition(gargoyle, VISITORS, "percent", condition, exclude=exclude)
    return switch


def answers(response: Any) -> dict[str, bool]:
    assert response.status_code == 200
    result: dict[str, bool] = json.loads(response.content)
    return result


def checking(*keys: str) -> str:
    return "?" + "&".join(f"check={key}" for key in keys)


def id_in(cookie_value: str) -> int:
    """The visitor id a cookie value holds (its signature checked as the middleware checks it)."""
    request = RequestFactory().get("/")
    request.COOKIES[NAME] = cookie_value
    return int(request.get_signed_cookie(NAME, salt=SALT))


def in_bucket(key: str, visitor: int, low: int = 0, high: int = 50) -> bool:
    return low * 100 <= stable_bucket(key, visitor) < high * 100


@pytest.fixture
def client() -> Any:
    with override_settings(MIDDLEWARE=MIDDLEWARE):
        yield Client()


# -- the cookie: only when a visitor condition is evaluated ---------------------------------------


def test_no_cookie_unless_a_visitor_condition_is_evaluated(client: Client) -> None:
    Switch.objects.create(key="global", status=GLOBAL)
    Switch.objects.create(key="staff", status=SELECTIVE).add_condition(gargoyle, USERS, "is_staff", "1")
    visitor_switch("half")
    for response in (client.get("/page/"), client.get("/page/" + checking("global", "staff", "missing"))):
        assert answers(response) is not None
        assert NAME not in response.cookies
    assert client.cookies.get(NAME) is None


def test_the_first_visitor_check_sets_a_signed_http_only_lax_cookie(client: Client) -> None:
    visitor_switch("half")
    response = client.get("/page/" + checking("half"))
    morsel = response.cookies[NAME]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == YEAR
    assert morsel["path"] == "/"
    assert not morsel["secure"]  # SESSION_COOKIE_SECURE is False here
    assert "Cookie" in response["Vary"]  # no shared cache may give one visitor's page to another
    visitor = id_in(morsel.value)
    assert answers(response) == {"half": in_bucket("half", visitor)}


@override_settings(SESSION_COOKIE_SECURE=True, GARGOYLE_VISITOR_COOKIE_NAME="ab", GARGOYLE_VISITOR_COOKIE_AGE=600)
def test_the_cookie_follows_the_settings(client: Client) -> None:
    visitor_switch("half")
    morsel = client.get("/page/" + checking("half")).cookies["ab"]
    assert morsel["secure"] is True
    assert morsel["max-age"] == 600


def test_a_returning_visitor_keeps_its_id_and_gets_no_new_cookie(client: Client) -> None:
    keys = [visitor_switch(f"switch_{number}").key for number in range(20)]
    first = client.get("/page/" + checking(*keys))
    visitor = id_in(first.cookies[NAME].value)
    expected = {key: in_bucket(key, visitor) for key in keys}
    assert answers(first) == expected
    for address in ("10.0.0.1", "192.0.2.7", "2001:db8::1"):  # the visitor moves between networks
        again = client.get("/page/" + checking(*keys), REMOTE_ADDR=address)
        assert answers(again) == expected
        assert NAME not in again.cookies  # never set again on a response that has it
        assert "Cookie" in again["Vary"]


def test_visitors_fall_in_independent_buckets_per_switch(client: Client) -> None:
    keys = [visitor_switch(f"switch_{number}", "0-100" if number == 0 else "0-50").key for number in range(8)]
    response = client.get("/page/" + checking(*keys))
    assert answers(response)["switch_0"] is True  # 0-100: every visitor with a cookie
    visitor = id_in(response.cookies[NAME].value)
    assert answers(response) == {key: in_bucket(key, visitor, high=100 if key == "switch_0" else 50) for key in keys}


def test_an_exclude_keeps_the_visitor_bucket_out(client: Client) -> None:
    switch = visitor_switch("everyone_but", "0-100", exclude=True)
    switch.add_condition(gargoyle, USERS, "is_anonymous", "1")
    assert answers(client.get("/page/" + checking("everyone_but"))) == {"everyone_but": False}


@pytest.mark.parametrize(
    "forged",
    [
        "12345",  # not signed
        "12345:1tAaaa:forgedsignature",
        signing.get_cookie_signer(salt=NAME + "another.salt").sign("12345"),  # signed for another purpose
    ],
)
def test_a_tampered_cookie_is_replaced_by_a_new_id(client: Client, forged: str) -> None:
    visitor_switch("half")
    client.cookies[NAME] = forged
    response = client.get("/page/" + checking("half"))
    assert response.cookies[NAME].value != forged
    visitor = id_in(response.cookies[NAME].value)
    assert answers(response) == {"half": in_bucket("half", visitor)}


def test_an_expired_cookie_is_replaced(client: Client) -> None:
    visitor_switch("half")
    with mock.patch("time.time", return_value=1_000_000_000.0):  # long ago
        old = signing.get_cookie_signer(salt=NAME + SALT).sign("12345")
    client.cookies[NAME] = old
    response = client.get("/page/" + checking("half"))
    assert id_in(response.cookies[NAME].value) != 12345


def test_a_view_that_sets_the_cookie_itself_is_left_alone(client: Client) -> None:
    visitor_switch("half")
    assert client.get("/own/" + checking("half")).cookies[NAME].value == "the view's own"


# -- no middleware, no consent: no bucket ------------------------------------------------------------


def test_without_the_middleware_the_visitor_is_in_no_bucket() -> None:
    visitor_switch("everyone", "0-100")
    response = Client().get("/page/" + checking("everyone"))
    assert answers(response) == {"everyone": False}
    assert NAME not in response.cookies
    assert visitor_id(RequestFactory().get("/")) is None


def refuse(request: HttpRequest) -> bool:
    return False


def consent_cookie(request: HttpRequest) -> bool:
    """A site's hook: the visitor accepted the cookie banner."""
    return request.COOKIES.get("consent") == "yes"


def broken(request: HttpRequest) -> bool:
    raise RuntimeError("the consent service is down")


@pytest.mark.parametrize("hook", [refuse, "tests.test_visitors.refuse", broken, "no.such.hook"])
def test_without_consent_no_cookie_and_no_bucket(client: Client, hook: Any, caplog: Any) -> None:
    visitor_switch("everyone", "0-100")
    with override_settings(GARGOYLE_VISITOR_COOKIE_CONSENT=hook), caplog.at_level(logging.ERROR, "gargoyle"):
        response = client.get("/page/" + checking("everyone"))
    assert answers(response) == {"everyone": False}
    assert NAME not in response.cookies
    assert ("consent service is down" in caplog.text) == (hook is broken)


@override_settings(GARGOYLE_VISITOR_COOKIE_CONSENT="tests.test_visitors.consent_cookie")
def test_consent_given_then_withdrawn(client: Client) -> None:
    visitor_switch("everyone", "0-100")
    assert NAME not in client.get("/page/" + checking("everyone")).cookies
    client.cookies["consent"] = "yes"
    given = client.get("/page/" + checking("everyone"))
    assert answers(given) == {"everyone": True}
    assert NAME in given.cookies
    client.cookies["consent"] = "no"
    withdrawn = client.get("/page/" + checking("everyone"))
    assert answers(withdrawn) == {"everyone": False}
    assert withdrawn.cookies[NAME].value == "" and withdrawn.cookies[NAME]["max-age"] == 0  # deleted
    assert NAME not in client.get("/page/").cookies  # a page without visitor conditions asks nothing


def test_the_consent_hook_is_asked_at_most_once_per_request(client: Client) -> None:
    keys = [visitor_switch(f"switch_{number}").key for number in range(5)]
    calls: list[HttpRequest] = []

    def counting(request: HttpRequest) -> bool:
        calls.append(request)
        return True

    with override_settings(GARGOYLE_VISITOR_COOKIE_CONSENT=counting):
        client.get("/page/" + checking(*keys, *keys))
        assert len(calls) == 1
        client.get("/page/")
        assert len(calls) == 1  # not asked where no visitor condition is evaluated


def test_a_consent_hook_that_checks_a_visitor_switch_does_not_loop(client: Client) -> None:
    visitor_switch("everyone", "0-100")
    inner: list[bool | None] = []

    def asks_a_switch(request: HttpRequest) -> bool:
        inner.append(gargoyle.is_active("everyone", request))  # the visitor is not known yet: no bucket
        return True

    with override_settings(GARGOYLE_VISITOR_COOKIE_CONSENT=asks_a_switch):
        response = client.get("/page/" + checking("everyone"))
    assert inner == [False]
    assert answers(response) == {"everyone": True}
    assert NAME in response.cookies


# -- existing behaviour -------------------------------------------------------------------------------


def test_user_percent_keeps_anonymous_users_out_even_with_the_middleware(client: Client) -> None:
    Switch.objects.create(key="users", status=SELECTIVE).add_condition(gargoyle, USERS, "percent", "0-100")
    response = client.get("/page/" + checking("users"))
    assert answers(response) == {"users": False}
    assert NAME not in response.cookies


@override_settings(GARGOYLE_LEGACY_PERCENT=True)
def test_legacy_percent_buckets_the_id_as_it_buckets_a_primary_key(client: Client) -> None:
    visitor_switch("legacy", "0-49")
    response = client.get("/page/" + checking("legacy"))
    assert answers(response) == {"legacy": id_in(response.cookies[NAME].value) % 100 <= 49}


def test_an_evaluation_context_has_no_visitor() -> None:
    visitor_switch("everyone", "0-100")
    subjects = subjects_from_context({"targetingKey": "", "ip": "192.0.2.1"})
    assert resolve("everyone", *subjects).value is False


# -- async -----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the async view's queries run in another thread
@override_settings(MIDDLEWARE=MIDDLEWARE)
def test_async_requests() -> None:
    visitor_switch("half")
    client = AsyncClient()
    first = async_to_sync(client.get)("/async/" + checking("half"))
    visitor = id_in(first.cookies[NAME].value)
    assert answers(first) == {"half": in_bucket("half", visitor)}
    client.cookies[NAME] = first.cookies[NAME].value
    again = async_to_sync(client.get)("/async/" + checking("half"), REMOTE_ADDR="10.9.9.9")
    assert answers(again) == answers(first)
    assert NAME not in again.cookies
    assert NAME not in async_to_sync(client.get)("/async/").cookies


def test_the_middleware_is_async_capable_like_the_others() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert VisitorCookieMiddleware.sync_capable and VisitorCookieMiddleware.async_capable
    assert VisitorCookieMiddleware(view).is_async is True
    request = RequestFactory().get("/")
    VisitorCookieMiddleware(lambda request: HttpResponse())(request)
    assert isinstance(request.gargoyle_visitor, Visitor)
    assert request.gargoyle_visitor.evaluated is False


# -- the panel, the JSON API, the audience ---------------------------------------------------------


@pytest.fixture
def staff(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def add(client: Client, **fields: str) -> Any:
    return client.post(
        reverse("gargoyle:add-condition"), {"key": "feature", "id": VISITORS, "field": "percent", **fields}
    )


def test_the_panel_offers_the_visitor_percent(staff: Client) -> None:
    data = json.loads(staff.get(reverse("gargoyle:switches")).content)["data"]
    [visitors] = [s for s in data["conditionSets"] if s["id"] == VISITORS]
    assert visitors["label"] == "Visitor"
    [field] = visitors["fields"]
    assert (field["name"], field["label"], field["type"]) == ("percent", "Percent", "percent")
    assert "cookie" in field["help"]


def test_the_api_adds_a_visitor_percent(staff: Client) -> None:
    Switch.objects.create(key="feature", status=SELECTIVE)
    assert add(staff, **{"percent[min]": "0", "percent[max]": "12.5"}).status_code == 200
    switch = Switch.objects.get(key="feature")
    assert switch.value == {"visitor": {"percent": [["i", "0-12.5"]]}}
    assert SwitchChange.objects.filter(switch_key="feature").first().summary == "added Visitor: Percent 12.5% (0-12.5)"
    assert audience.describe(gargoyle, switch) == "On for: 12.5 % of visitors (by cookie)"


@pytest.mark.parametrize(
    "fields",
    [{"percent[min]": "50", "percent[max]": "10"}, {"percent[min]": "0", "percent[max]": "101"}, {}],
)
def test_the_api_refuses_a_bad_range_and_changes_nothing(staff: Client, fields: dict[str, str]) -> None:
    visitor_switch("feature", "0-10")
    before = (Switch.objects.get(key="feature").value, SwitchChange.objects.count())
    response = add(staff, **fields)
    assert response.status_code == 400
    assert "Percent:" in json.loads(response.content)["data"]
    assert (Switch.objects.get(key="feature").value, SwitchChange.objects.count()) == before


# -- settings and checks ---------------------------------------------------------------------------------


def ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return [message.id for message in check_visitor_settings()]


def test_the_default_settings_pass_and_are_read() -> None:
    assert ids() == []
    config = get_settings()
    assert (config.visitor_cookie_name, config.visitor_cookie_age, config.visitor_cookie_consent) == (NAME, YEAR, None)
    assert "gargoyle.E024" not in [message.id for message in run_checks()]


@pytest.mark.parametrize(
    "settings",
    [
        {"GARGOYLE_VISITOR_COOKIE_NAME": ""},
        {"GARGOYLE_VISITOR_COOKIE_NAME": "my visitor"},
        {"GARGOYLE_VISITOR_COOKIE_NAME": "a;b"},
        {"GARGOYLE_VISITOR_COOKIE_NAME": 3},
        {"GARGOYLE_VISITOR_COOKIE_NAME": "sessionid"},  # Django's session cookie
        {"GARGOYLE_VISITOR_COOKIE_NAME": "gargoyle_qa"},
        {"GARGOYLE_VISITOR_COOKIE_AGE": 0},
        {"GARGOYLE_VISITOR_COOKIE_AGE": True},
        {"GARGOYLE_VISITOR_COOKIE_AGE": "31536000"},
        {"GARGOYLE_VISITOR_COOKIE_AGE": 86400.5},
        {"GARGOYLE_VISITOR_COOKIE_AGE": 10**12},
        {"GARGOYLE_VISITOR_COOKIE_CONSENT": 3},
        {"GARGOYLE_VISITOR_COOKIE_CONSENT": "nodots"},
        {"GARGOYLE_VISITOR_COOKIE_CONSENT": "no.such.hook"},
        {"GARGOYLE_VISITOR_COOKIE_CONSENT": "gargoyle.visitors.SALT"},  # not callable
    ],
)
def test_invalid_settings_are_reported(settings: dict[str, Any]) -> None:
    assert ids(MIDDLEWARE=MIDDLEWARE, **settings) == ["gargoyle.E024"]
    with override_settings(MIDDLEWARE=MIDDLEWARE, **settings):
        assert "gargoyle.E024" in [message.id for message in run_checks()]


def test_invalid_settings_fall_back_safely() -> None:
    with override_settings(GARGOYLE_VISITOR_COOKIE_NAME="bad name", GARGOYLE_VISITOR_COOKIE_AGE=-1):
        assert (get_settings().visitor_cookie_name, get_settings().visitor_cookie_age) == (NAME, YEAR)
    with override_settings(GARGOYLE_VISITOR_COOKIE_CONSENT=3):
        hook = get_settings().visitor_cookie_consent
        assert callable(hook) and hook(RequestFactory().get("/")) is False  # never "allowed" by mistake


def test_settings_without_the_middleware_warn() -> None:
    assert ids(GARGOYLE_VISITOR_COOKIE_AGE=600) == ["gargoyle.W025"]
    assert ids(GARGOYLE_VISITOR_COOKIE_AGE=600, MIDDLEWARE=MIDDLEWARE) == []
    assert ids(GARGOYLE_VISITOR_COOKIE_AGE=600, MIDDLEWARE=["gargoyle.visitors.VisitorCookieMiddleware"]) == []
    assert ids() == []  # nothing set: a site that does not use visitors is not nagged


# -- rollouts: a visitor is one subject, whatever its address -----------------------------------------


def test_a_visitor_is_counted_as_one_subject_across_addresses() -> None:
    from django.contrib.auth.models import AnonymousUser

    from gargoyle.middleware import subject_of

    visitor_switch("half")
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        before = subject_of(request)  # no visitor condition judged it yet: its address
        gargoyle.is_active("half", request)
        seen.append((before, subject_of(request)))
        return HttpResponse()

    middleware = VisitorCookieMiddleware(view)
    first = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    response = middleware(first)
    again = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")  # the same browser, another network
    again.COOKIES[NAME] = response.cookies[NAME].value
    middleware(again)
    visitor = id_in(response.cookies[NAME].value)
    assert seen == [("ip:10.0.0.1", f"visitor:{visitor}"), ("ip:10.0.0.2", f"visitor:{visitor}")]


def test_a_guarded_rollout_climbs_the_visitor_percent_and_counts_anonymous_requests() -> None:
    from gargoyle import rollouts
    from gargoyle._writes.rollout_evaluation import active_rollouts

    Switch.objects.create(key="banner", status=SELECTIVE)
    rollout = rollouts.start("banner", [5, 50, 100], condition_set=VISITORS, field="percent")
    switch = Switch.objects.get(key="banner")
    assert switch.value == {"visitor": {"percent": [["i", "0-5"]]}}
    assert rollout.condition_set == VISITORS
    assert active_rollouts()["banner"].signed_in_only is False  # anonymous visitors are who it judges
