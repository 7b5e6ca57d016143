"""Required conditions (mode "r"): every one must match, AND-ed with the includes, and an
exclude still wins (docs/concepts.rst, "Required conditions"). Through the engine, the model,
the JSON API, the history, schedules, the panel's sentence, the preview and resolve()."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from gargoyle import schedules
from gargoyle._web.audience import describe as audience_sentence
from gargoyle.cohorts import stable_bucket
from gargoyle.constants import EXCLUDE, INCLUDE, REQUIRE, SELECTIVE
from gargoyle.history import SwitchChange, undo
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.preview import explain
from gargoyle.resolution import resolve
from gargoyle.transfer import export_switches
from tests.test_api import IP_SET, USER_SET, admin, fails, feature, login, make_user, ok, url, urlpatterns
from tests.test_compat import NamePrefixConditionSet, Team

__all__ = ["admin", "feature", "login", "make_user", "urlpatterns"]  # fixtures and urls used here

pytestmark = [pytest.mark.urls("tests.test_api"), pytest.mark.django_db]

STAFF = ("auth.user", "is_staff", "1")
OFFICE = ("ip", "ip_address", "10.0.0.0/8")


def store(key: str, *conditions: tuple[str, str, str, str]) -> Switch:
    """A Selective switch with ``(mode, namespace, field, condition)`` entries, stored as given."""
    value: dict[str, Any] = {}
    for mode, namespace, field, condition in conditions:
        value.setdefault(namespace, {}).setdefault(field, []).append([mode, condition])
    return Switch.objects.create(key=key, status=SELECTIVE, value=value)


def request_by(user: Any, ip: str = "192.0.2.1") -> Any:
    request = RequestFactory().get("/", REMOTE_ADDR=ip)
    request.user = user
    return request


@pytest.fixture
def staff(db: Any) -> User:
    return User.objects.create(username="sam", is_staff=True)


@pytest.fixture
def customer(db: Any) -> User:
    return User.objects.create(username="cleo")


# -- what is_active answers -----------------------------------------------------------------------


class TestEvaluation:
    def test_required_conditions_alone_are_anded(self, staff: User, customer: User) -> None:
        store("office_staff", (REQUIRE, *STAFF), (REQUIRE, *OFFICE))
        assert gargoyle.is_active("office_staff", request_by(staff, "10.1.2.3"))
        assert not gargoyle.is_active("office_staff", request_by(staff, "192.0.2.1"))  # staff, not in the office
        assert not gargoyle.is_active("office_staff", request_by(customer, "10.1.2.3"))  # in the office, not staff
        assert not gargoyle.is_active("office_staff", request_by(AnonymousUser(), "10.1.2.3"))

    def test_each_required_condition_of_one_field_must_match(self, staff: User) -> None:
        store("two_names", (REQUIRE, "auth.user", "username", "sam"), (REQUIRE, "auth.user", "username", "cleo"))
        assert not gargoyle.is_active("two_names", staff)  # nobody is both

    def test_includes_still_pick_who_among_those_meeting_the_requirements(self, staff: User) -> None:
        other_staff = User.objects.create(username="olga", is_staff=True)
        store("pilot", (INCLUDE, "auth.user", "username", "sam"), (REQUIRE, *STAFF))
        assert gargoyle.is_active("pilot", staff)
        assert not gargoyle.is_active("pilot", other_staff)  # meets the requirement, no include matches

    def test_a_requirement_keeps_out_whoever_an_include_lets_in(self, customer: User) -> None:
        store("pilot", (INCLUDE, "auth.user", "username", "cleo"), (REQUIRE, *STAFF))
        assert not gargoyle.is_active("pilot", customer)

    def test_an_exclude_wins_over_met_requirements(self, staff: User) -> None:
        store("pilot", (REQUIRE, *STAFF), (EXCLUDE, "auth.user", "username", "sam"))
        assert not gargoyle.is_active("pilot", staff)

    def test_a_requirement_on_a_subject_not_given_is_not_met(self, staff: User) -> None:
        store("office_only", (REQUIRE, *OFFICE))
        assert not gargoyle.is_active("office_only", staff)  # a user, no request: no address to match
        assert gargoyle.is_active("office_only", request_by(staff, "10.0.0.7"))

    def test_a_required_percent_is_a_share_of_those_the_includes_pick(self, db: Any) -> None:
        users = [User.objects.create(username=f"u{n}", is_staff=n % 2 == 0) for n in range(200)]
        store("half_of_staff", (REQUIRE, "auth.user", "percent", "0-50"), (INCLUDE, *STAFF))
        on = {user.pk for user in users if gargoyle.is_active("half_of_staff", user)}
        in_half = {user.pk for user in users if stable_bucket("half_of_staff", user.pk) < 5_000}
        assert on == {user.pk for user in users if user.is_staff} & in_half
        assert 0 < len(on) < 100

    def test_a_child_with_requirements_still_follows_its_parent(self, staff: User) -> None:
        store("shop", (REQUIRE, *OFFICE))
        store("shop:beta", (REQUIRE, *STAFF))
        assert gargoyle.is_active("shop:beta", request_by(staff, "10.0.0.1"))
        assert not gargoyle.is_active("shop:beta", request_by(staff, "192.0.2.1"))

    def test_a_condition_set_that_judges_itself_never_sees_required_conditions_as_includes(self) -> None:
        gargoyle.register(NamePrefixConditionSet)
        try:
            store("acme_pro", (REQUIRE, "name_prefix", "prefix", "acme"), (INCLUDE, "name_prefix", "prefix", "ac"))
            assert gargoyle.is_active("acme_pro", Team(name="acme-eu"))
            # Its own is_active reads every entry as an include: given "acme" it would let "ac..." in.
            assert not gargoyle.is_active("acme_pro", Team(name="active"))
            store("acme_only", (REQUIRE, "name_prefix", "prefix", "acme"))
            assert gargoyle.is_active("acme_only", Team(name="acme-us"))
            assert not gargoyle.is_active("acme_only", Team(name="other"))
        finally:
            gargoyle.unregister(NamePrefixConditionSet)

    def test_an_unknown_mode_is_refused_with_the_modes_named(self) -> None:
        with pytest.raises(ValidationError, match=r'is not an \["i", "e" or "r", condition\] pair'):
            Switch.objects.create(key="odd", status=SELECTIVE, value={"auth.user": {"is_staff": [["x", "1"]]}})
        assert not Switch.objects.filter(key="odd").exists()


# -- the model ------------------------------------------------------------------------------------


class TestModel:
    def test_add_condition_required_stores_mode_r(self) -> None:
        switch = Switch.objects.create(key="f", status=SELECTIVE)
        switch.add_condition(gargoyle, USER_SET, "is_staff", "1", required=True)
        assert Switch.objects.get(key="f").value == {"auth.user": {"is_staff": [["r", "1"]]}}
        assert gargoyle.REQUIRE == REQUIRE == "r"

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"exclude": True, "required": True}, "either excluded or required"),
            ({"required": "yes"}, "required: pass True or False"),
        ],
    )
    def test_bad_flags_are_refused_and_nothing_changes(self, arguments: dict[str, Any], message: str) -> None:
        switch = Switch.objects.create(key="f", status=SELECTIVE, value={"ip": {"ip_address": [["i", "10.0.0.1"]]}})
        with pytest.raises(ValidationError, match=message):
            switch.add_condition(gargoyle, USER_SET, "is_staff", "1", **arguments)
        assert Switch.objects.get(key="f").value == {"ip": {"ip_address": [["i", "10.0.0.1"]]}}

    def test_a_condition_stored_as_an_include_cannot_also_be_required(self) -> None:
        switch = Switch.objects.create(key="f", status=SELECTIVE)
        switch.add_condition(gargoyle, USER_SET, "is_staff", "1")
        with pytest.raises(ValidationError, match="already included"):
            switch.add_condition(gargoyle, USER_SET, "is_staff", "1", required=True)
        assert Switch.objects.get(key="f").value == {"auth.user": {"is_staff": [["i", "1"]]}}

    def test_to_dict_keeps_gargoyle_yplans_tuples_unless_asked_for_modes(self) -> None:
        store("f", (REQUIRE, *STAFF), (EXCLUDE, "auth.user", "username", "bob"))
        plain = gargoyle["f"].to_dict()["conditions"][0]["conditions"]
        with_modes = gargoyle["f"].to_dict(modes=True)["conditions"][0]["conditions"]
        assert sorted(plain) == [("is_staff", "1", "Staff", False), ("username", "bob", "bob", True)]
        assert sorted(with_modes) == [("is_staff", "1", "Staff", False, "r"), ("username", "bob", "bob", True, "e")]

    def test_a_rollout_step_keeps_required_conditions(self) -> None:
        store("f", (REQUIRE, "auth.user", "percent", "0-50"), (INCLUDE, "auth.user", "percent", "0-10"))
        Switch.objects.get(key="f").set_percent(gargoyle, USER_SET, "percent", "0-25")
        entries = Switch.objects.get(key="f").value["auth.user"]["percent"]
        assert sorted(entries) == [["i", "0-25"], ["r", "0-50"]]

    def test_a_rollout_keeps_a_required_cap_of_the_same_range(self) -> None:
        """A required 0-50 is a cap ("never more than half"): a rollout reaching 0-50, then
        0-100, must not turn it into an include and lift it."""
        from gargoyle import rollouts

        users = [User.objects.create(username=f"user{number}") for number in range(200)]
        store("cap", (REQUIRE, "auth.user", "percent", "0-50"))
        rollout = rollouts.start("cap", [10, 50, 100])
        rollouts.advance(rollout.pk)
        assert sorted(Switch.objects.get(key="cap").value["auth.user"]["percent"]) == [["i", "0-50"], ["r", "0-50"]]
        rollouts.advance(rollout.pk)
        assert sorted(Switch.objects.get(key="cap").value["auth.user"]["percent"]) == [["i", "0-100"], ["r", "0-50"]]
        capped = [user for user in users if gargoyle.is_active("cap", user)]
        assert capped == [user for user in users if stable_bucket("cap", user.pk) < 5000]

    def test_export_keeps_the_mode(self) -> None:
        store("f", (REQUIRE, *STAFF))
        [exported] = export_switches(Switch.objects.all())["switches"]
        assert exported["value"] == {"auth.user": {"is_staff": [["r", "1"]]}}


# -- the JSON API, the history and schedules -----------------------------------------------------


def add_condition(client: Client, **fields: str) -> Any:
    return client.post(url("add-condition"), {"key": "feature", **fields})


class TestApi:
    def test_mode_required(self, client: Client, admin: Any, feature: Switch) -> None:
        feature.status = SELECTIVE
        feature.save()
        data = ok(add_condition(client, id=USER_SET, field="is_staff", mode="required"))
        assert data["conditions"] == [
            {"id": USER_SET, "label": "User", "conditions": [["is_staff", "1", "Staff", False, "r"]]}
        ]
        assert Switch.objects.get(key="feature").value == {"auth.user": {"is_staff": [["r", "1"]]}}
        assert data["audience"] == "On for: staff"
        assert SwitchChange.objects.first().summary == "added required User: Staff"

    def test_mode_include_and_exclude_words(self, client: Client, admin: Any, feature: Switch) -> None:
        ok(add_condition(client, id=USER_SET, field="username", username="bob", mode="exclude"))
        ok(add_condition(client, id=USER_SET, field="username", username="ann", mode="include", exclude="0"))
        assert Switch.objects.get(key="feature").value == {"auth.user": {"username": [["e", "bob"], ["i", "ann"]]}}

    @pytest.mark.parametrize(
        ("fields", "words"),
        [
            ({"mode": "must"}, ("mode:", "'must'")),
            ({"mode": "required", "exclude": "1"}, ("exclude:", "contradicts")),
            ({"mode": "include", "exclude": "yes"}, ("contradicts",)),
        ],
    )
    def test_bad_modes_are_refused_and_nothing_changes(
        self, client: Client, admin: Any, feature: Switch, fields: dict[str, str], words: tuple[str, ...]
    ) -> None:
        fails(add_condition(client, id=USER_SET, field="is_staff", **fields), 400, *words)
        assert Switch.objects.get(key="feature").value == {}
        assert not SwitchChange.objects.filter(summary__contains="Staff").exists()

    def test_undo_puts_a_removed_requirement_back_as_required(
        self, client: Client, admin: Any, feature: Switch
    ) -> None:
        feature.add_condition(gargoyle, USER_SET, "is_staff", "1", required=True)
        gargoyle["feature"].remove_condition(USER_SET, "is_staff", "1")
        removal = SwitchChange.objects.first()
        assert removal.summary == "removed required User: Staff"
        undo(removal)
        assert Switch.objects.get(key="feature").value == {"auth.user": {"is_staff": [["r", "1"]]}}

    def test_a_scheduled_required_condition(self, client: Client, admin: Any, feature: Switch) -> None:
        due = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat()
        fields = {"key": "feature", "action": "add_condition", "id": IP_SET, "field": "ip_address"}
        made = ok(
            client.post(url("add-schedule"), {**fields, "ip_address": "10.0.0.0/8", "mode": "required", "due": due})
        )
        assert made["summary"] == "add required IP Address: 10.0.0.0/8"
        schedules.apply_due(now=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2))
        assert Switch.objects.get(key="feature").value == {"ip": {"ip_address": [["r", "10.0.0.0/8"]]}}

    def test_a_schedule_refuses_exclude_and_required_at_once(self, feature: Switch) -> None:
        arguments = {
            "condition_set": USER_SET,
            "field": "is_staff",
            "condition": "1",
            "exclude": True,
            "required": True,
        }
        soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        with pytest.raises(ValidationError, match="either excluded or required"):
            schedules.schedule("feature", "add_condition", arguments, soon)


# -- words: the panel's sentence, the preview, resolve() -------------------------------------------


class TestExplained:
    def test_the_panel_sentence(self) -> None:
        store("alone", (REQUIRE, *STAFF), (REQUIRE, *OFFICE))
        assert audience_sentence(gargoyle, Switch.objects.get(key="alone")) == "On for: IP 10.0.0.0/8 and staff"
        store("with", (INCLUDE, "auth.user", "percent", "0-10"), (REQUIRE, *OFFICE))
        assert (
            audience_sentence(gargoyle, Switch.objects.get(key="with"))
            == "On for: 10 % of signed-in users — only if IP 10.0.0.0/8"
        )

    def test_the_estimate_of_a_lone_required_percent(self) -> None:
        from gargoyle._web.audience import estimate

        store("only_capped", (REQUIRE, "auth.user", "percent", "0-10"))
        assert estimate(gargoyle, Switch.objects.get(key="only_capped")) == {
            "percent": 10.0,
            "of": "signed-in users",
            "text": "about 10 % of signed-in users",
        }
        store("capped_staff", (REQUIRE, "auth.user", "percent", "0-10"), (REQUIRE, *STAFF))
        assert (
            estimate(gargoyle, Switch.objects.get(key="capped_staff"))["text"]
            == "at most about 10 % of signed-in users"
        )
        store("included", (INCLUDE, "auth.user", "percent", "0-20"), (REQUIRE, *STAFF))
        assert estimate(gargoyle, Switch.objects.get(key="included"))["text"] == "at most about 20 % of signed-in users"

    def test_the_preview_names_the_requirement_not_met(self, staff: User, customer: User) -> None:
        store("f", (REQUIRE, *STAFF))
        assert explain(gargoyle, "f", customer) == "The required condition User: Staff does not match them."
        assert explain(gargoyle, "f", staff) == "Every required condition matches them."

    def test_the_preview_asks_a_condition_set_that_judges_itself(self) -> None:
        gargoyle.register(NamePrefixConditionSet)
        try:
            store("acme_only", (REQUIRE, "name_prefix", "prefix", "acme"))
            assert explain(gargoyle, "acme_only", Team(name="acme-us")) == "Every required condition matches them."
            assert explain(gargoyle, "acme_only", Team(name="other")) == (
                "The required condition NamePrefixConditionSet: Prefix acme does not match them."
            )
            store("acme_include", (INCLUDE, "name_prefix", "prefix", "acme"))
            assert explain(gargoyle, "acme_include", Team(name="acme-us")).startswith("Included by ")
        finally:
            gargoyle.unregister(NamePrefixConditionSet)

    def test_the_preview_buckets_say_which_range_is_required(self, staff: User) -> None:
        from gargoyle.preview import buckets

        store("capped", (INCLUDE, "auth.user", "percent", "0-10"), (REQUIRE, "auth.user", "percent", "0-50"))
        found = buckets(gargoyle, "capped", username="sam")
        assert [(bucket.range, bucket.exclude, bucket.required) for bucket in found] == [
            ("0-10", False, False),
            ("0-50", False, True),
        ]
        assert found[1].text.endswith(" (required)") and not found[0].text.endswith(")")

    def test_resolve_gives_targeting_match(self, staff: User, customer: User) -> None:
        store("f", (REQUIRE, *STAFF))
        assert (resolve("f", customer).value, resolve("f", customer).reason) == (False, "TARGETING_MATCH")
        assert (resolve("f", staff).value, resolve("f", staff).reason) == (True, "TARGETING_MATCH")
        store("g", (REQUIRE, *STAFF), (INCLUDE, "auth.user", "username", "nobody"))
        assert (resolve("g", staff).value, resolve("g", staff).reason) == (False, "DEFAULT")
