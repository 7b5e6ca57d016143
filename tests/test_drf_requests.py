"""A wrapped request (Django REST framework's ``Request``, duck-typed: an object whose ``_request``
is an ``HttpRequest``) is judged as the request it wraps, with the wrapper's own user, without
rest_framework installed. tests/integrations/test_drf.py checks the real thing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from gargoyle import gargoyle
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.decorators import switch_is_active
from gargoyle.evaluations import bulk_evaluation
from gargoyle.models import Switch

pytestmark = pytest.mark.django_db

ALICE_ONLY = {"auth.user": {"username": [["i", "alice"]]}}


class Wrapper:
    """Like DRF's ``Request``: the Django request in ``_request``, and a ``user`` of its own
    that the wrapped request does not know (a token's user; the session is anonymous)."""

    def __init__(self, request: HttpRequest, user: Any) -> None:
        self._request = request
        self.user = user


class Authenticating:
    """A wrapper whose ``user`` is found on first use, with a query, as DRF authenticates."""

    def __init__(self, request: HttpRequest, username: str) -> None:
        self._request = request
        self.username = username
        self.asked = 0

    @property
    def user(self) -> Any:
        self.asked += 1
        return User.objects.get(username=self.username)


def anonymous_request(address: str = "127.0.0.1") -> HttpRequest:
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


@pytest.fixture(autouse=True)
def switches() -> None:
    Switch.objects.create(key="alice_only", status=SELECTIVE, value=ALICE_ONLY)
    Switch.objects.create(key="office", status=SELECTIVE, value={"ip": {"ip_address": [["i", "10.0.0.0/8"]]}})
    Switch.objects.create(key="half", status=SELECTIVE, value={"auth.user": {"percent": [["i", "0-50"]]}})
    Switch.objects.create(key="everyone", status=GLOBAL)
    Switch.objects.create(key="nobody", status=DISABLED)


def test_the_wrappers_user_is_judged_not_the_wrapped_requests(alice: Any, bob: Any) -> None:
    assert gargoyle.is_active("alice_only", Wrapper(anonymous_request(), alice)) is True
    assert gargoyle.is_active("alice_only", Wrapper(anonymous_request(), bob)) is False
    assert gargoyle.is_active("alice_only", Wrapper(anonymous_request(), AnonymousUser())) is False
    assert gargoyle.is_active("alice_only", anonymous_request()) is False  # the wrapped request alone


def test_the_wrapped_request_is_judged_by_its_address(alice: Any) -> None:
    """The wrapper proxies nothing: the IP condition read the wrapped request's REMOTE_ADDR."""
    assert gargoyle.is_active("office", Wrapper(anonymous_request("10.1.2.3"), alice)) is True
    assert gargoyle.is_active("office", Wrapper(anonymous_request("192.0.2.1"), alice)) is False


def test_percent_answers_as_for_the_user_itself(django_user_model: Any) -> None:
    users = [django_user_model.objects.create_user(f"user{n}") for n in range(24)]
    answers = [gargoyle.is_active("half", Wrapper(anonymous_request(), user)) for user in users]
    assert answers == [gargoyle.is_active("half", user) for user in users]
    assert set(answers) == {True, False}


def test_async_checks_authenticate_outside_the_event_loop(alice: Any) -> None:
    """The wrapper's user costs a query: ``ais_active`` asks for it in a thread (a query in
    the event loop would raise, and the check answer its default)."""
    wrapper = Authenticating(anonymous_request(), "alice")
    assert async_to_sync(gargoyle.ais_active)("alice_only", wrapper) is True
    assert wrapper.asked == 1
    assert async_to_sync(gargoyle.ais_active)("alice_only", Authenticating(anonymous_request(), "bob")) is False


def test_constant_switches_never_ask_the_wrapper_for_its_user() -> None:
    wrapper = Authenticating(anonymous_request(), "nobody-of-that-name")
    assert gargoyle.is_active("everyone", wrapper) is True
    assert gargoyle.is_active("nobody", wrapper) is False
    assert async_to_sync(gargoyle.ais_active)("everyone", wrapper) is True
    assert wrapper.asked == 0


def test_an_object_whose_request_is_no_django_request_is_no_request(alice: Any) -> None:
    """Only an ``HttpRequest`` in ``_request`` makes a wrapper; other objects are judged as
    they are (here by nobody: no condition set judges them, their ``user`` is not read)."""
    assert gargoyle.is_active("alice_only", SimpleNamespace(_request="not a request", user=alice)) is False
    assert gargoyle.is_active("office", SimpleNamespace(_request=None, META={"REMOTE_ADDR": "10.0.0.1"})) is False


def test_bulk_answers_are_the_wrapped_requests(alice: Any) -> None:
    keys = ["alice_only", "office", "everyone", "nobody"]
    wrapped = anonymous_request("10.0.0.7")
    plain = anonymous_request("10.0.0.7")
    plain.user = alice
    assert bulk_evaluation(keys, Wrapper(wrapped, alice)) == bulk_evaluation(keys, plain)


class Resource:
    """A class-based view's method, decorated directly (no ``method_decorator``)."""

    @switch_is_active("alice_only")
    def get(self, request: Any) -> HttpResponse:
        return HttpResponse("on")


def test_the_decorator_finds_the_request_after_self(alice: Any, bob: Any) -> None:
    assert Resource().get(Wrapper(anonymous_request(), alice)).content == b"on"
    with pytest.raises(Http404):
        Resource().get(Wrapper(anonymous_request(), bob))


def test_the_decorator_on_a_function_view_given_a_wrapper(alice: Any, bob: Any) -> None:
    view = switch_is_active("alice_only")(lambda request, pk: HttpResponse(f"on {pk}"))
    assert view(Wrapper(anonymous_request(), alice), 7).content == b"on 7"
    with pytest.raises(Http404):
        view(Wrapper(anonymous_request(), bob), 7)


def test_the_decorator_on_an_async_view_given_a_wrapper(alice: Any, bob: Any) -> None:
    @switch_is_active("alice_only")
    async def view(request: Any) -> HttpResponse:
        return HttpResponse("on")

    assert async_to_sync(view)(Authenticating(anonymous_request(), "alice")).content == b"on"
    with pytest.raises(Http404) as raised:
        async_to_sync(view)(Wrapper(anonymous_request(), bob))
    assert raised.value.args == ()  # a REST framework shows the message: it names no switch
