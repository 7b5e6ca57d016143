"""The group and permission conditions of the user condition set, and their field types."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client, RequestFactory
from django.test.utils import isolate_apps
from django.urls import include, path, reverse

from gargoyle._authoring.membership import EVERYTHING
from gargoyle._web import audience
from gargoyle.builtins import UserConditionSet, set_memberships
from gargoyle.conditions import Membership, PermissionName
from gargoyle.constants import SELECTIVE
from gargoyle.contexts import InvalidContext, context_of, subjects_from_context
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.resolution import resolve

urlpatterns = [path("gargoyle/", include("gargoyle.urls"))]

USERS = "gargoyle.builtins.UserConditionSet(auth.user)"


def switch(key: str, *conditions: tuple[str, str], exclude: bool = False) -> Switch:
    """A Selective switch with ``(field, condition)`` conditions of the user set."""
    stored = Switch.objects.create(key=key, status=SELECTIVE)
    for field, condition in conditions:
        stored.add_condition(gargoyle, USERS, field, condition, exclude=exclude)
    return stored


def fresh(user: User) -> User:
    """The user as a new request loads it: nothing cached on the object yet."""
    return User.objects.get(pk=user.pk)


def give(user: User, *permissions: str) -> None:
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def beta(django_user_model: Any) -> User:
    """alice, in the group "Beta testers", which may view switches."""
    group = Group.objects.create(name="Beta testers")
    group.permissions.add(Permission.objects.get(codename="view_switch"))
    alice = django_user_model.objects.create_user("alice")
    alice.groups.add(group)
    return alice


# -- the field types --------------------------------------------------------------------------------


def test_membership_cleans_names_and_refuses_empty_or_long_ones() -> None:
    field = Membership(label="Group", max_length=10)
    assert field.clean("  Beta  ") == "Beta"
    assert field.clean(field.clean(" Beta ")) == "Beta"  # cleaning twice changes nothing
    for bad, words in [("", "Group: enter a name."), ("   ", "enter a name"), ("x" * 11, "at most 10 characters")]:
        with pytest.raises(ValidationError, match=re.escape(words)):
            field.clean(bad)
    with pytest.raises(ValidationError, match="Group: conditions are strings, not int"):
        field.clean(3)


@pytest.mark.parametrize("good", ["gargoyle.view_switch", "shop.view_report", " auth.add_user "])
def test_permission_names_are_app_label_dot_codename(good: str) -> None:
    assert PermissionName(label="Permission").clean(good) == good.strip()


@pytest.mark.parametrize("bad", ["view_switch", "gargoyle.", ".view_switch", "my app.view", "shop.view report", "1x.y"])
def test_other_permission_names_are_refused_with_the_form_to_write(bad: str) -> None:
    with pytest.raises(ValidationError) as error:
        PermissionName(label="Permission").clean(bad)
    assert "Permission:" in str(error.value) and "app_label.codename" in str(error.value)


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        (frozenset({"Beta", "Staff"}), True),
        (["Beta"], True),
        (("Other",), False),
        ("Beta", True),  # one name: a set of one
        ("Bet", False),  # not a substring
        (frozenset(), False),
        (None, False),
        (7, False),  # no container
        (EVERYTHING, True),
    ],
)
def test_the_matcher_tests_membership_and_agrees_with_is_active(value: Any, matches: bool) -> None:
    field = Membership(label="Group")
    assert field.matcher(["Beta", "Gamma"], "key")(value) is matches
    assert any(field.is_active(condition, value) for condition in ["Beta", "Gamma"]) is matches


def test_a_subclass_that_overrides_is_active_is_asked_through_it() -> None:
    class CaseBlind(Membership):
        def is_active(self, condition: str, value: Any) -> bool:
            return condition.lower() in {name.lower() for name in value}

    assert CaseBlind().matcher(["beta"], "key")(["BETA"]) is True


# -- who matches ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_group_conditions_match_members_by_name(beta: User, bob: User) -> None:
    switch("beta_only", ("groups", "Beta testers"))
    switch("not_beta", ("groups", "Beta testers"), exclude=True)
    switch("someone", ("username", "bob"))
    Switch.objects.filter(key="someone").get().add_condition(gargoyle, USERS, "groups", "Beta testers", exclude=True)
    assert gargoyle.is_active("beta_only", fresh(beta)) is True
    assert gargoyle.is_active("beta_only", fresh(bob)) is False
    assert gargoyle.is_active("not_beta", fresh(beta)) is False  # an exclude alone turns nobody on
    assert gargoyle.is_active("someone", fresh(bob)) is True


@pytest.mark.django_db
def test_a_group_may_be_named_before_it_exists(bob: User) -> None:
    switch("later", ("groups", "Launch crew"))
    assert gargoyle.is_active("later", fresh(bob)) is False
    bob.groups.add(Group.objects.create(name="Launch crew"))
    assert gargoyle.is_active("later", fresh(bob)) is True


@pytest.mark.django_db
def test_permission_conditions_match_own_and_group_permissions(beta: User, bob: User) -> None:
    switch("viewers", ("permissions", "gargoyle.view_switch"))
    switch("adders", ("permissions", "gargoyle.add_switch"))
    assert gargoyle.is_active("viewers", fresh(beta)) is True  # through the group
    assert gargoyle.is_active("viewers", fresh(bob)) is False
    give(bob, "gargoyle.add_switch")
    assert gargoyle.is_active("adders", fresh(bob)) is True  # their own
    assert gargoyle.is_active("adders", fresh(beta)) is False


@pytest.mark.django_db
def test_an_active_superuser_has_every_permission_but_no_group(django_user_model: Any) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    switch("perm", ("permissions", "shop.permission_nobody_made"))
    switch("group", ("groups", "Beta testers"))
    assert gargoyle.is_active("perm", fresh(root)) is True  # as has_perm() says
    assert gargoyle.is_active("group", fresh(root)) is False
    root.is_active = False
    root.save()
    assert gargoyle.is_active("perm", fresh(root)) is False


@pytest.mark.django_db
def test_inactive_and_anonymous_users_have_no_group_or_permission(beta: User) -> None:
    switch("beta_only", ("groups", "Beta testers"))
    switch("viewers", ("permissions", "gargoyle.view_switch"))
    switch("everyone_but_beta", ("groups", "Beta testers"), exclude=True)
    Switch.objects.filter(key="everyone_but_beta").get().add_condition(gargoyle, USERS, "is_anonymous", "1")
    beta.is_active = False
    beta.save()
    assert gargoyle.is_active("beta_only", fresh(beta)) is False
    assert gargoyle.is_active("viewers", fresh(beta)) is False
    assert gargoyle.is_active("beta_only", AnonymousUser()) is False
    assert gargoyle.is_active("viewers", AnonymousUser()) is False
    assert gargoyle.is_active("everyone_but_beta", AnonymousUser()) is True  # an exclude does not keep them out


@pytest.mark.django_db
def test_a_user_model_without_groups_or_permissions_never_matches(django_assert_num_queries: Any) -> None:
    with isolate_apps("tests.testapp"):

        class Member(AbstractBaseUser):  # no PermissionsMixin
            username = models.CharField(max_length=30)
            USERNAME_FIELD = "username"

            class Meta:
                app_label = "testapp"

        members = UserConditionSet(Member)
    gargoyle.register(members)
    try:
        stored = Switch.objects.create(key="members", status=SELECTIVE)
        stored.add_condition(gargoyle, members.get_id(), "groups", "Beta testers")
        stored.add_condition(gargoyle, members.get_id(), "permissions", "gargoyle.view_switch")
        gargoyle.is_active("members")  # loads the switches
        with django_assert_num_queries(0):
            assert gargoyle.is_active("members", Member(pk=1, username="m")) is False
    finally:
        gargoyle.unregister(members)


# -- one query per user object, however many checks ------------------------------------------------


@pytest.fixture
def many_switches() -> list[str]:
    keys = []
    for number in range(5):
        keys.append(switch(f"group_{number}", ("groups", f"Group {number}"), ("groups", "Beta testers")).key)
        keys.append(switch(f"perm_{number}", ("permissions", f"gargoyle.perm_{number}")).key)
    gargoyle.is_active(keys[0])  # load them: what follows counts the subjects' queries only
    return keys


@pytest.mark.django_db
def test_a_requests_user_costs_one_query_for_groups_and_one_permission_lookup(
    beta: User, many_switches: list[str], django_assert_num_queries: Any
) -> None:
    request = RequestFactory().get("/")
    request.user = fresh(beta)
    # ModelBackend's get_all_permissions() reads the user's and the groups' permissions (two
    # queries) and keeps them in _perm_cache; the group names are one more.
    with django_assert_num_queries(3):
        answers = [gargoyle.is_active(key, request) for _ in range(20) for key in many_switches]
    assert answers.count(True) == 20 * 5  # every group switch, no permission switch
    with django_assert_num_queries(0):
        assert request.user.has_perm("gargoyle.view_switch")  # Django's cache, filled by the conditions
        assert [gargoyle.is_active(key, request) for key in many_switches].count(True) == 5


@pytest.mark.django_db
def test_a_superuser_costs_the_group_query_only(
    django_user_model: Any, many_switches: list[str], django_assert_num_queries: Any
) -> None:
    root = fresh(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    with django_assert_num_queries(1):
        answers = [gargoyle.is_active(key, root) for _ in range(10) for key in many_switches]
    assert answers.count(True) == 10 * 5  # every permission switch, no group switch


@pytest.mark.django_db
def test_prefetched_groups_cost_nothing(beta: User, django_assert_num_queries: Any) -> None:
    switch("beta_only", ("groups", "Beta testers"))
    gargoyle.is_active("beta_only")
    user = User.objects.prefetch_related("groups").get(pk=beta.pk)
    with django_assert_num_queries(0):
        assert gargoyle.is_active("beta_only", user) is True


@pytest.mark.django_db(transaction=True)  # the group query runs in gargoyle's worker thread
def test_async_checks_read_the_groups_off_the_event_loop(beta: User) -> None:
    switch("beta_only", ("groups", "Beta testers"))
    switch("viewers", ("permissions", "gargoyle.view_switch"))
    request = RequestFactory().get("/")
    request.user = fresh(beta)

    async def check() -> list[Any]:
        return [await gargoyle.ais_active("beta_only", request), await gargoyle.ais_active("viewers", request)]

    assert async_to_sync(check)() == [True, True]


# -- evaluation contexts: users built in memory ---------------------------------------------------


@pytest.mark.django_db
def test_a_context_user_reads_no_database_and_matches_only_what_the_context_lists(
    django_assert_num_queries: Any,
) -> None:
    switch("beta_only", ("groups", "Beta testers"))
    switch("viewers", ("permissions", "gargoyle.view_switch"))
    gargoyle.is_active("beta_only")
    listed = subjects_from_context(
        {"targetingKey": "4242", "groups": ["Beta testers"], "permissions": ["gargoyle.view_switch"]}
    )
    bare = subjects_from_context({"targetingKey": "4242"})  # no such user stored: never asked for
    root = subjects_from_context({"targetingKey": "4243", "is_superuser": True})
    with django_assert_num_queries(0):
        assert [resolve(key, *listed).value for key in ("beta_only", "viewers")] == [True, True]
        assert [resolve(key, *bare).value for key in ("beta_only", "viewers")] == [False, False]
        assert [resolve(key, *root).value for key in ("beta_only", "viewers")] == [False, True]


@pytest.mark.parametrize("bad", [{"groups": "Beta testers"}, {"permissions": [1]}, {"groups": None}])
def test_context_memberships_must_be_lists_of_strings(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidContext, match="must be a list of strings"):
        subjects_from_context({"targetingKey": "1", **bad})


@pytest.mark.django_db
def test_context_of_with_memberships_reads_back_as_the_same_answers(beta: User) -> None:
    give(beta, "gargoyle.add_switch")
    conditions = {
        "beta_only": ("groups", "Beta testers"),
        "other": ("groups", "Other"),
        "adders": ("permissions", "gargoyle.add_switch"),
    }
    for key, condition in conditions.items():
        switch(key, condition)
    request = RequestFactory().get("/")
    request.user = fresh(beta)
    assert "groups" not in context_of(request)  # by default: no query added
    context = context_of(request, memberships=True)
    assert context["groups"] == ["Beta testers"]
    assert context["permissions"] == ["gargoyle.add_switch", "gargoyle.view_switch"]
    subjects = subjects_from_context(context)
    answers = {key: resolve(key, *subjects).value for key in conditions}
    assert (
        answers
        == {key: gargoyle.is_active(key, request) for key in conditions}
        == {
            "beta_only": True,
            "other": False,
            "adders": True,
        }
    )


def test_set_memberships_gives_an_unsaved_user_its_groups() -> None:
    user = User(pk=99, username="ghost")
    set_memberships(user, groups=["Beta testers"], permissions=["shop.view_report"])
    users = UserConditionSet(User)
    assert users.get_field_value(user, "groups") == frozenset({"Beta testers"})
    assert users.get_field_value(user, "permissions") == frozenset({"shop.view_report"})
    assert users.get_field_value(User(username="unsaved"), "groups") == frozenset()  # no pk: no query


# -- the panel and the JSON API ---------------------------------------------------------------------


@pytest.fixture
def staff_client(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def post(client: Client, **fields: str) -> Any:
    return client.post(reverse("gargoyle:add-condition"), {"key": "feature", "id": USERS, **fields})


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_panel_lists_the_fields_with_their_labels(staff_client: Client) -> None:
    data = json.loads(staff_client.get(reverse("gargoyle:switches")).content)["data"]
    [users] = [s for s in data["conditionSets"] if s["id"] == USERS]
    fields = {field["name"]: field for field in users["fields"]}
    assert (fields["groups"]["label"], fields["groups"]["type"]) == ("Group", "string")
    assert "need not exist yet" in fields["groups"]["help"]
    assert (fields["permissions"]["label"], fields["permissions"]["type"]) == ("Permission", "string")
    assert "app_label.codename" in fields["permissions"]["help"]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_api_adds_group_and_permission_conditions(staff_client: Client) -> None:
    Switch.objects.create(key="feature", status=SELECTIVE)
    assert post(staff_client, field="groups", groups=" Beta testers ").status_code == 200
    assert post(staff_client, field="permissions", permissions="shop.view_report", mode="required").status_code == 200
    assert Switch.objects.get(key="feature").value == {
        "auth.user": {"groups": [["i", "Beta testers"]], "permissions": [["r", "shop.view_report"]]}
    }
    assert (
        SwitchChange.objects.filter(switch_key="feature").first().summary
        == "added required User: Permission shop.view_report"
    )
    assert audience.describe(gargoyle, Switch.objects.get(key="feature")) == (
        "On for: members of Beta testers — only if users with the permission shop.view_report"
    )


@pytest.mark.urls(__name__)
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"field": "groups", "groups": "  "}, "Group: enter a value."),
        ({"field": "groups", "groups": "x" * 151}, "Group: a name is at most 150 characters."),
        ({"field": "permissions", "permissions": "view_report"}, "Permission: view_report is not a permission"),
        ({"field": "permissions", "permissions": "shop.view report"}, "write app_label.codename"),
        ({"field": "permissions", "permissions": "bad\x00.x"}, "contains a NUL character."),
    ],
)
def test_the_api_refuses_bad_names_and_changes_nothing(
    staff_client: Client, fields: dict[str, str], words: str
) -> None:
    feature = switch("feature", ("groups", "Beta testers"))
    before = (Switch.objects.get(key="feature").value, SwitchChange.objects.count())
    response = post(staff_client, **fields)
    assert response.status_code == 400
    assert words in json.loads(response.content)["data"]
    assert (Switch.objects.get(key="feature").value, SwitchChange.objects.count()) == before
    assert feature.value == before[0]


@pytest.mark.django_db
def test_add_condition_from_code_refuses_a_bad_permission_and_keeps_the_switch(beta: User) -> None:
    stored = switch("feature", ("groups", "Beta testers"))
    with pytest.raises(ValidationError, match="Permission: nope is not a permission"):
        stored.add_condition(gargoyle, USERS, "permissions", "nope")
    assert Switch.objects.get(key="feature").value == {"auth.user": {"groups": [["i", "Beta testers"]]}}
    assert gargoyle.is_active("feature", fresh(beta)) is True
