"""gargoyle.contexts: evaluation contexts (OpenFeature's, OFREP's) as the subjects gargoyle judges."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from gargoyle.constants import SELECTIVE
from gargoyle.contexts import (
    InvalidContext,
    TargetingKeyMissing,
    context_of,
    subjects_from_context,
)
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.resolution import resolve

pytestmark = pytest.mark.django_db

USER = "gargoyle.builtins.UserConditionSet(auth.user)"
IP = "gargoyle.builtins.IPAddressConditionSet"
UTC = timezone.utc


def only(subjects: list[Any]) -> Any:
    (subject,) = subjects
    return subject


def test_the_targeting_key_is_a_users_primary_key_built_without_a_query(django_assert_num_queries: Any) -> None:
    context = {
        "targetingKey": "42",
        "username": "alice",
        "email": "alice@example.com",
        "is_staff": True,
        "is_superuser": False,
        "is_active": False,
        "plan": "premium",  # other attributes are ignored
    }
    with django_assert_num_queries(0):
        user = only(subjects_from_context(context))
    assert type(user) is User and user.pk == 42 and user._state.adding
    assert (user.username, user.email, user.is_staff, user.is_superuser, user.is_active) == (
        "alice",
        "alice@example.com",
        True,
        False,
        False,
    )
    assert not User.objects.exists()


@pytest.mark.parametrize("context", [{}, {"targetingKey": ""}, {"targetingKey": None}, {"username": "alice"}])
def test_without_a_targeting_key_the_context_is_a_visitor(context: dict[str, Any]) -> None:
    assert type(only(subjects_from_context(context))) is AnonymousUser


@pytest.mark.parametrize(("ip", "stored"), [("10.0.0.1", "10.0.0.1"), (" 2001:DB8::0:1 ", "2001:db8::1")])
def test_an_ip_is_a_request_from_that_address_with_the_user(ip: str, stored: str) -> None:
    request = only(subjects_from_context({"targetingKey": "7", "ip": ip}))
    assert isinstance(request, HttpRequest)
    assert request.META["REMOTE_ADDR"] == stored
    assert request.user.pk == 7


@pytest.mark.parametrize(
    ("context", "words"),
    [
        ({"targetingKey": 5}, "targetingKey: must be a string"),
        ({"targetingKey": "alice"}, "is not a primary key of auth.User"),
        ({"ip": 167772161}, "ip: must be a string"),
        ({"ip": "10.0.0.256"}, "is not an IP address"),
        ({"targetingKey": "1", "username": 5}, "username: must be a string"),
        ({"targetingKey": "1", "is_staff": "yes"}, "is_staff: must be a boolean"),
        ({"targetingKey": "1", "is_active": 1}, "is_active: must be a boolean"),  # 1 is no bool
        ({"targetingKey": "1", "date_joined": "yesterday"}, "is not an ISO 8601 date and time"),
        ({"targetingKey": "1", "date_joined": 1700000000}, "date_joined: must be an ISO 8601"),
    ],
)
def test_a_context_that_cannot_be_judged_is_invalid(context: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidContext) as raised:
        subjects_from_context(context)
    assert words in str(raised.value)
    assert raised.value.code == "INVALID_CONTEXT"


def test_a_context_must_be_a_mapping() -> None:
    with pytest.raises(InvalidContext, match="must be an object"):
        subjects_from_context(["targetingKey", "1"])  # type: ignore[arg-type]


def test_a_required_targeting_key_may_be_empty_but_not_missing() -> None:
    for context in ({}, {"targetingKey": None, "username": "alice"}):
        with pytest.raises(TargetingKeyMissing) as raised:
            subjects_from_context(context, require_targeting_key=True)
        assert raised.value.code == "TARGETING_KEY_MISSING"
        assert isinstance(raised.value, InvalidContext)
    assert type(only(subjects_from_context({"targetingKey": ""}, require_targeting_key=True))) is AnonymousUser


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00+02:00", datetime(2024, 3, 1, 8, tzinfo=UTC)),
        (" 2024-03-01T10:00:00.250000Z ", datetime(2024, 3, 1, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2024-03-01T10:00:00", datetime(2024, 3, 1, 9, tzinfo=UTC)),  # naive: in TIME_ZONE (Paris, UTC+1)
        ("2024-03-01", datetime(2024, 2, 29, 23, tzinfo=UTC)),
        (date(2024, 3, 1), datetime(2024, 2, 29, 23, tzinfo=UTC)),
        (datetime(2024, 3, 1, 10, tzinfo=UTC), datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ],
)
@override_settings(TIME_ZONE="Europe/Paris")
def test_date_joined_is_read_as_an_aware_moment(given: Any, expected: datetime) -> None:
    user = only(subjects_from_context({"targetingKey": "1", "date_joined": given}))
    assert user.date_joined.tzinfo is not None
    assert user.date_joined == expected


def test_date_joined_decides_a_joined_on_or_after_condition() -> None:
    switch = Switch.objects.create(key="newcomers", status=SELECTIVE)
    switch.add_condition(gargoyle, USER, "date_joined", "2024-01-01")
    for joined, expected in [("2024-06-01T00:00:00Z", True), ("2023-06-01T00:00:00Z", False)]:
        subjects = subjects_from_context({"targetingKey": "1", "date_joined": joined})
        assert resolve("newcomers", *subjects).value is expected


def test_a_context_without_date_joined_does_not_match_a_joined_on_or_after_condition() -> None:
    switch = Switch.objects.create(key="newcomers", status=SELECTIVE)
    switch.add_condition(gargoyle, USER, "date_joined", "2024-01-01")
    assert resolve("newcomers", *subjects_from_context({"targetingKey": "1"})).value is False


# -- GARGOYLE_CONTEXT_SUBJECTS -----------------------------------------------------------------

heard: list[dict[str, Any]] = []


def shop_subjects(context: dict[str, Any]) -> list[Any]:
    """A site's own mapping: a stored user by username, or refused."""
    heard.append(context)
    context["mutated"] = True  # the caller's context is not the dict given here
    user = User.objects.filter(username=context.get("targetingKey")).first()
    if user is None:
        raise InvalidContext("no such shopper")
    return [user]


@pytest.mark.parametrize("setting", ["tests.test_contexts.shop_subjects", shop_subjects])
def test_the_context_subjects_setting_replaces_the_mapping(setting: Any) -> None:
    heard.clear()
    alice = User.objects.create_user("alice")
    context = {"targetingKey": "alice", "ip": "not an address: the default mapping would refuse it"}
    with override_settings(GARGOYLE_CONTEXT_SUBJECTS=setting):
        assert subjects_from_context(context) == [alice]
        assert "mutated" not in context
        assert heard == [{**context, "mutated": True}]
        with pytest.raises(InvalidContext, match="no such shopper"):
            subjects_from_context({"targetingKey": "bob"})
        with pytest.raises(TargetingKeyMissing):  # checked before the site's function is asked
            subjects_from_context({}, require_targeting_key=True)
    assert len(heard) == 2
    with pytest.raises(InvalidContext, match="not a primary key"):  # back to the default mapping
        subjects_from_context({"targetingKey": "alice"})


# -- context_of: a request as a context --------------------------------------------------------


def test_context_of_a_visitors_request_is_its_address() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    request.user = AnonymousUser()
    assert context_of(request) == {"ip": "192.0.2.7"}
    assert context_of(HttpRequest()) == {}


def test_context_of_a_signed_in_request_reads_back_as_the_same_answers() -> None:
    joined = datetime(2024, 5, 1, 12, tzinfo=UTC)
    alice = User.objects.create_user("alice", email="a@example.com", is_staff=True, date_joined=joined)
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    request.user = alice
    context = context_of(request)
    assert context == {
        "targetingKey": str(alice.pk),
        "username": "alice",
        "email": "a@example.com",
        "is_staff": True,
        "is_superuser": False,
        "is_active": True,
        "date_joined": joined.isoformat(),
        "ip": "10.1.2.3",
    }
    conditions = [
        ("username", USER, "username", "alice"),
        ("email", USER, "email", "a@example.com"),
        ("staff", USER, "is_staff", "1"),
        ("newcomers", USER, "date_joined", "2024-05-01"),
        ("veterans", USER, "date_joined", "2024-05-02"),
        ("office", IP, "ip_address", "10.0.0.0/8"),
        ("half", USER, "percent", "0-50"),
        ("other_half", USER, "percent", "50-100"),
        ("half_the_addresses", IP, "percent", "0-50"),
    ]
    for key, condition_set, field, value in conditions:
        Switch.objects.create(key=key, status=SELECTIVE).add_condition(gargoyle, condition_set, field, value)
    subjects = subjects_from_context(context)
    answers = {key: resolve(key, *subjects).value for key, *_ in conditions}
    assert answers == {key: gargoyle.is_active(key, request) for key, *_ in conditions}
    assert {True, False} <= set(answers.values())
