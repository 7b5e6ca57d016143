"""Who a switch is on for: the panel's sentence, the percent estimate, the count of users it is
on for (the audience/ endpoint) and the preview's buckets."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import include, path, reverse

from gargoyle._web import audience
from gargoyle.cohorts import stable_bucket
from gargoyle.conditions import ConditionSet, String
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.preview import buckets

urlpatterns = [path("gargoyle/", include("gargoyle.urls"))]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

USERS = "gargoyle.builtins.UserConditionSet(auth.user)"
IPS = "gargoyle.builtins.IPAddressConditionSet"
HOST = "gargoyle.builtins.HostConditionSet"
UTC = "gargoyle.builtins.UTCTodayConditionSet"


def selective(key: str = "feature", **kwargs: Any) -> Switch:
    return Switch.objects.create(key=key, status=SELECTIVE, **kwargs)


def add(key: str, set_id: str, field: str, value: str, exclude: bool = False) -> None:
    gargoyle[key].add_condition(set_id, field, value, exclude=exclude)


def sentence(key: str = "feature") -> str:
    return audience.describe(gargoyle, Switch.objects.get(key=key))


def share(key: str = "feature") -> Any:
    return audience.estimate(gargoyle, Switch.objects.get(key=key))


class PlanConditionSet(ConditionSet):
    plan = String()

    def get_namespace(self) -> str:
        return "plan"

    def get_group_label(self) -> str:
        return "Plan"


@pytest.fixture
def plan_set() -> Any:
    gargoyle.register(PlanConditionSet)
    yield
    gargoyle.unregister(PlanConditionSet)


# -- the sentence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("set_id", "field", "value", "said"),
    [
        (USERS, "percent", "0-10", "10 % of signed-in users"),
        (USERS, "percent", "50-62.5", "12.5 % of signed-in users (buckets 50\u201362.5)"),
        (USERS, "is_staff", "1", "staff"),
        (USERS, "is_staff", "0", "non-staff users"),
        (USERS, "is_superuser", "1", "superusers"),
        (USERS, "is_active", "1", "active users"),
        (USERS, "username", "alice", "user alice"),
        (USERS, "email", "a@example.com", "user with email a@example.com"),
        (USERS, "date_joined", "2026-01-31", "users who joined from 31 Jan 2026"),
        (IPS, "ip_address", "10.0.0.0/8", "IP 10.0.0.0/8"),
        (IPS, "percent", "0-25", "25 % of IP addresses"),
        (IPS, "internal_ip", "1", "internal IPs"),
        (HOST, "hostname", "example.com", "host example.com"),
        (UTC, "today_is_on_or_after", "2027-01-01", "from 01 Jan 2027 (UTC)"),
        (UTC, "today_is_before", "2027-01-01", "before 01 Jan 2027 (UTC)"),
    ],
)
def test_each_built_in_condition_reads_as_who_it_picks(set_id: str, field: str, value: str, said: str) -> None:
    selective()
    add("feature", set_id, field, value)
    assert sentence() == f"On for: {said}"


def test_a_custom_set_reads_group_field_and_value(plan_set: Any) -> None:
    selective()
    add("feature", "tests.test_audience.PlanConditionSet", "plan", "pro")
    assert sentence() == "On for: Plan: pro"


def test_includes_are_or_ed_across_sets_and_excludes_come_after_except() -> None:
    selective()
    add("feature", USERS, "is_staff", "1")
    add("feature", USERS, "percent", "0-10")
    add("feature", IPS, "ip_address", "10.0.0.0/8", exclude=True)
    add("feature", USERS, "username", "mallory", exclude=True)
    # In the panel's order, whatever the order stored (PostgreSQL's jsonb sorts keys):
    # sets by group label, fields as the set declares them.
    assert sentence() == "On for: 10 % of signed-in users, or staff \u2014 except IP 10.0.0.0/8, user mallory"


def test_only_excludes_means_everyone_else() -> None:
    selective()
    add("feature", IPS, "ip_address", "10.0.0.0/8", exclude=True)
    assert sentence() == "On for: everyone \u2014 except IP 10.0.0.0/8"


def test_statuses() -> None:
    Switch.objects.create(key="on", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="orphan", status=INHERIT)
    Switch.objects.create(key="on:child", status=INHERIT)
    Switch.objects.create(key="on:global", status=GLOBAL)
    selective("empty")
    assert sentence("on") == "On for everyone"
    assert sentence("off") == "Off for everyone"
    assert sentence("empty") == "Off for everyone (no conditions)"
    assert sentence("on:child") == "Follows on"
    assert sentence("orphan") == "No parent to follow: off, unless the code asks with default=True"
    assert sentence("on:global") == "On for everyone (only where on is on)"


def test_unusable_conditions_say_callers_get_their_default() -> None:
    Switch.objects.create(key="feature", status=SELECTIVE, value={"nowhere": {"x": [["i", "1"]]}})
    assert sentence() == "Its conditions cannot be used: callers get their default"
    assert share() is None


# -- the estimate --------------------------------------------------------------------------------


def test_a_percent_rollout_is_estimated_overlaps_counted_once() -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    add("feature", USERS, "percent", "5-20")
    assert share() == {"percent": 20.0, "of": "signed-in users", "text": "about 20 % of signed-in users"}


def test_the_estimate_is_a_floor_with_other_includes_and_a_ceiling_with_excludes() -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    add("feature", IPS, "ip_address", "10.0.0.0/8", exclude=True)
    assert share()["text"] == "at most about 10 % of signed-in users"
    add("feature", USERS, "is_staff", "1")
    assert share()["text"] == "at least about 10 % of signed-in users"


def test_no_estimate_without_a_percent_or_across_kinds() -> None:
    selective()
    assert share() is None
    add("feature", USERS, "is_staff", "1")
    assert share() is None
    add("feature", USERS, "percent", "0-10")
    add("feature", IPS, "percent", "0-10")
    assert share() is None  # users and addresses do not add up


def test_legacy_percent_counts_both_ends() -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    with override_settings(GARGOYLE_LEGACY_PERCENT=True):
        assert share()["percent"] == 11.0


def test_the_payload_carries_the_sentence_and_the_estimate(client: Client, admin: Any) -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    data = ok(client.get(reverse("gargoyle:switches")))
    (item,) = data["switches"]
    assert item["audience"] == "On for: 10 % of signed-in users"
    assert item["audienceEstimate"]["text"] == "about 10 % of signed-in users"


# -- the count -----------------------------------------------------------------------------------


def ok(response: Any) -> Any:
    data = json.loads(response.content)
    assert response.status_code == 200, data
    assert data["success"] is True
    return data["data"]


@pytest.fixture
def admin(client: Client, django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user(username="admin", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_switch"))
    client.force_login(user)
    return user


@pytest.fixture
def shoppers(django_user_model: Any) -> list[Any]:
    users = [django_user_model.objects.create_user(username=f"shopper{n}") for n in range(30)]
    django_user_model.objects.create_user(username="gone", is_active=False)
    return users


def test_the_count_evaluates_each_active_user(client: Client, admin: Any, shoppers: list[Any]) -> None:
    selective()
    add("feature", USERS, "percent", "0-50")
    active = [admin, *shoppers]
    expected = sum(1 for user in active if stable_bucket("feature", user.pk) < 5000)
    assert 0 < expected < len(active)
    counted = ok(client.get(reverse("gargoyle:audience"), {"key": "feature"}))
    assert counted == {"on": expected, "of": len(active), "capped": False}


def test_the_count_stops_at_the_limit(
    client: Client, admin: Any, shoppers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    Switch.objects.create(key="feature", status=GLOBAL)
    monkeypatch.setattr(audience, "COUNT_LIMIT", 10)
    counted = ok(client.get(reverse("gargoyle:audience"), {"key": "feature"}))
    assert counted == {"on": 10, "of": 10, "capped": True}


def test_the_count_needs_the_view_permission_and_a_known_key(
    client: Client, django_user_model: Any, shoppers: list[Any]
) -> None:
    Switch.objects.create(key="feature", status=GLOBAL)
    client.force_login(django_user_model.objects.create_user(username="nobody", is_staff=True))
    response = client.get(reverse("gargoyle:audience"), {"key": "feature"})
    assert response.status_code == 403
    staff = django_user_model.objects.create_user(username="viewer", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_switch"))
    client.force_login(staff)
    response = client.get(reverse("gargoyle:audience"), {"key": "missing"})
    assert response.status_code == 404
    assert client.post(reverse("gargoyle:audience"), {"key": "feature"}).status_code == 405


# -- the preview's buckets -----------------------------------------------------------------------


def test_the_preview_names_the_users_bucket_and_whether_it_is_inside(django_user_model: Any) -> None:
    selective("new_checkout")
    add("new_checkout", USERS, "percent", "0-10")
    alice = django_user_model.objects.create_user(username="alice")
    bucket = Decimal(stable_bucket("new_checkout", alice.pk)) / 100
    (found,) = buckets(gargoyle, "new_checkout", username="alice")
    where = "inside" if bucket < 10 else "outside"
    assert found.text == f"alice is in bucket {bucket:.2f} of new_checkout: {where} 0\u201310"
    assert found.inside is (bucket < 10)
    assert found.bucket == bucket


def test_the_preview_buckets_an_address_and_marks_excludes() -> None:
    selective()
    add("feature", IPS, "percent", "0-100", exclude=True)
    (found,) = buckets(gargoyle, "feature", ip="203.0.113.7")
    bucket = Decimal(stable_bucket("feature", "203.0.113.7")) / 100
    assert found.text == f"203.0.113.7 is in bucket {bucket:.2f} of feature: inside 0\u2013100 (an exclude)"


def test_the_preview_buckets_follow_legacy_percent(django_user_model: Any) -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    users = [django_user_model.objects.create_user(username=f"u{n}") for n in range(3)]
    with override_settings(GARGOYLE_LEGACY_PERCENT=True):
        for user in users:
            (found,) = buckets(gargoyle, "feature", username=user.username)
            assert found.bucket == user.pk % 100
            assert found.inside is (user.pk % 100 <= 10)
            assert found.text.startswith(f"{user.username} is in bucket {user.pk % 100} of feature:")


def test_an_anonymous_visitor_has_no_user_bucket_and_bad_input_is_refused() -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    assert buckets(gargoyle, "feature") == []
    with pytest.raises(ValidationError, match="username: there is no user ghost"):
        buckets(gargoyle, "feature", username="ghost")
    assert Switch.objects.get(key="feature").value == {"auth.user": {"percent": [["i", "0-10"]]}}


def test_the_preview_endpoint_returns_the_buckets(client: Client, admin: Any) -> None:
    selective()
    add("feature", USERS, "percent", "0-10")
    data = ok(client.get(reverse("gargoyle:preview"), {"key": "feature", "username": "admin"}))
    (found,) = data["buckets"]
    assert found["subject"] == "admin"
    assert found["range"] == "0-10"
    assert found["text"].startswith("admin is in bucket ")


def test_a_bucket_on_the_upper_end_of_a_range_is_outside_it(django_user_model: Any) -> None:
    alice = django_user_model.objects.create_user(username="alice")
    bucket = Decimal(stable_bucket("feature", alice.pk)) / 100
    assert bucket > 0
    selective()
    add("feature", USERS, "percent", f"0-{bucket}")  # half-open: up to, not including, her bucket
    add("feature", USERS, "percent", f"{bucket}-100")
    below, above = buckets(gargoyle, "feature", username="alice")
    assert (below.inside, above.inside) == (False, True)
    assert gargoyle.is_active("feature", alice)  # the second range, as the preview says
