"""The JSON API (gargoyle.urls): every endpoint, permission, method and CSRF rule, and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.test import Client, override_settings
from django.urls import include, path, reverse

from gargoyle._authoring.fields import Choice
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

urlpatterns = [path("gargoyle/", include("gargoyle.urls"))]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
IP_SET = "gargoyle.builtins.IPAddressConditionSet"
ALL = ("view_switch", "add_switch", "change_switch", "delete_switch", "set_global")
EDITOR = ("view_switch", "add_switch", "change_switch", "delete_switch")  # everything but set_global

MUTATIONS = {
    "add": {"key": "new"},
    "update": {"curkey": "feature", "name": "x"},
    "status": {"key": "feature", "status": "2"},
    "bulk-status": {"key": "feature", "status": "2"},
    "delete": {"key": "feature"},
    "add-condition": {"key": "feature", "id": USER_SET, "field": "username", "username": "bob"},
    "remove-condition": {"key": "feature", "id": USER_SET, "field": "username", "value": "bob"},
    "restore": {"id": "1"},
    "undo": {"id": "1"},
    "bulk-undo": {"id": "1"},
    "mark-reviewed": {"key": "feature"},
    "add-schedule": {"key": "feature", "action": "status", "status": "2", "due": "2040-01-01T09:00Z"},
    "edit-schedule": {"id": "1", "due": "2040-01-02T09:00Z"},
    "cancel-schedule": {"id": "1"},
    "start-rollout": {"key": "feature", "stages": "1, 100"},
    "pause-rollout": {"id": "1"},
    "resume-rollout": {"id": "1"},
    "advance-rollout": {"id": "1"},
    "abort-rollout": {"id": "1"},
}
READS = {
    "switches": {},
    "preview": {"key": "feature"},
    "history": {"key": "feature"},
    "audience": {"key": "feature"},
    "schedules": {"key": "feature"},
    "rollouts": {"key": "feature"},
}
NEEDS = {
    "add": "gargoyle.add_switch",
    "update": "gargoyle.change_switch",
    "status": "gargoyle.change_switch",
    "bulk-status": "gargoyle.change_switch",
    "delete": "gargoyle.delete_switch",
    "add-condition": "gargoyle.change_switch",
    "remove-condition": "gargoyle.change_switch",
    "restore": "gargoyle.change_switch",
    "undo": "gargoyle.change_switch",
    "bulk-undo": "gargoyle.change_switch",
    "mark-reviewed": "gargoyle.change_switch",
    "add-schedule": "gargoyle.change_switch",
    "edit-schedule": "gargoyle.change_switch",
    "cancel-schedule": "gargoyle.change_switch",
    "start-rollout": "gargoyle.change_switch",
    "pause-rollout": "gargoyle.change_switch",
    "resume-rollout": "gargoyle.change_switch",
    "advance-rollout": "gargoyle.change_switch",
    "abort-rollout": "gargoyle.change_switch",
}


def url(name: str) -> str:
    return reverse(f"gargoyle:{name}")


def body(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def ok(response: Any) -> Any:
    data = body(response)
    assert response.status_code == 200, data
    assert data["success"] is True
    return data["data"]


def fails(response: Any, status: int, *words: str) -> str:
    data = body(response)
    assert response.status_code == status, data
    assert data["success"] is False
    for word in words:
        assert word in data["data"]
    return data["data"]


@pytest.fixture
def make_user(django_user_model: Any) -> Any:
    def make(*perms: str, staff: bool = True, username: str = "alice", **extra: Any) -> Any:
        user = django_user_model.objects.create_user(username=username, is_staff=staff, **extra)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="gargoyle", codename__in=perms))
        return user

    return make


@pytest.fixture
def login(client: Client, make_user: Any) -> Any:
    """Log ``client`` in as a staff user with the given gargoyle permissions."""

    def as_user(*perms: str, **kwargs: Any) -> Any:
        user = make_user(*perms, **kwargs)
        client.force_login(user)
        return user

    return as_user


@pytest.fixture
def admin(login: Any) -> Any:
    return login(*ALL)


@pytest.fixture
def feature() -> Switch:
    switch = Switch(key="feature", label="Feature", description="A feature", status=DISABLED)
    switch.save()
    return switch


def stored(key: str) -> Switch:
    return Switch.objects.get(key=key)


# -- add/ ----------------------------------------------------------------------------------------


def test_add_creates_the_switch_and_records_the_user(client: Client, admin: Any) -> None:
    data = ok(client.post(url("add"), {"key": "new_thing", "name": "New thing", "desc": "Does things"}))
    assert data["key"] == "new_thing"
    assert data["label"] == "New thing"
    assert data["description"] == "Does things"
    assert data["status"] == DISABLED
    assert data["statusLabel"] == "Disabled for everyone"
    assert data["problem"] is None
    assert data["conditions"] == []
    assert isinstance(data["date_created"], str) and data["date_created"].endswith("Z")
    switch = stored("new_thing")
    assert (switch.label, switch.description) == ("New thing", "Does things")
    change = SwitchChange.objects.get(switch_key="new_thing")
    assert change.user == admin
    assert change.username == "alice"
    assert change.before is None


def test_add_without_label_shows_the_key_itself(client: Client, admin: Any) -> None:
    data = ok(client.post(url("add"), {"key": "plain_thing"}))
    assert data["label"] == "plain_thing"
    assert stored("plain_thing").label is None


def test_add_existing_key_is_refused(client: Client, admin: Any, feature: Switch) -> None:
    fails(client.post(url("add"), {"key": "feature", "name": "Other"}), 400, "key:", "already exists")
    assert stored("feature").label == "Feature"


def test_add_existing_key_found_only_on_insert_is_refused(
    client: Client, admin: Any, feature: Switch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another request adds the key between the check and the insert.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    fails(client.post(url("add"), {"key": "feature"}), 400, "key:", "already exists")
    assert stored("feature").label == "Feature"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({}, ["key:", "required"]),
        ({"key": "  "}, ["key:"]),
        ({"key": "k" * 65}, ["key:", "64"]),
        ({"key": "ok", "name": "n" * 65}, ["name:"]),
    ],
)
def test_add_bad_input(client: Client, admin: Any, fields: dict[str, str], words: list[str]) -> None:
    fails(client.post(url("add"), fields), 400, *words)
    assert not Switch.objects.exists()


@override_settings(GARGOYLE_SWITCH_DEFAULTS={"born_global": {"is_active": True}})
def test_add_that_would_start_global_needs_set_global(client: Client, login: Any) -> None:
    login(*EDITOR)
    fails(client.post(url("add"), {"key": "born_global"}), 403, "gargoyle.set_global")
    assert not Switch.objects.exists()


# -- update/ -------------------------------------------------------------------------------------


def test_update_renames_and_relabels(client: Client, admin: Any, feature: Switch) -> None:
    data = ok(client.post(url("update"), {"curkey": "feature", "key": "renamed", "name": "New", "desc": "New desc"}))
    assert (data["key"], data["label"], data["description"]) == ("renamed", "New", "New desc")
    assert not Switch.objects.filter(key="feature").exists()
    assert stored("renamed").label == "New"
    assert {change.username for change in SwitchChange.objects.filter(switch_key="renamed")} == {"alice"}


def test_update_keeps_fields_not_sent(client: Client, admin: Any, feature: Switch) -> None:
    data = ok(client.post(url("update"), {"curkey": "feature", "name": "Relabelled"}))
    assert (data["key"], data["label"], data["description"]) == ("feature", "Relabelled", "A feature")


def test_update_rename_onto_existing_key_changes_nothing(client: Client, admin: Any, feature: Switch) -> None:
    Switch(key="other", label="Other", status=GLOBAL).save()
    before = SwitchChange.objects.count()
    fails(
        client.post(url("update"), {"curkey": "feature", "key": "other", "name": "Clobber"}),
        400,
        "key:",
        "already exists",
    )
    assert (stored("feature").label, stored("feature").status) == ("Feature", DISABLED)
    assert (stored("other").label, stored("other").status) == ("Other", GLOBAL)
    assert SwitchChange.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"key": "x"}, 400, ["curkey:"]),
        ({"curkey": "missing", "key": "x"}, 404, ["key:", "missing"]),
        ({"curkey": "feature", "key": "k" * 65}, 400, ["key:"]),
        ({"curkey": "feature", "name": "n" * 65}, 400, ["name:"]),
    ],
)
def test_update_bad_input(
    client: Client, admin: Any, feature: Switch, fields: dict[str, str], status: int, words: list[str]
) -> None:
    fails(client.post(url("update"), fields), status, *words)
    assert stored("feature").label == "Feature"


# -- status/ -------------------------------------------------------------------------------------


@pytest.mark.parametrize("new_status", [SELECTIVE, GLOBAL, INHERIT, DISABLED])
def test_status_sets_the_status(client: Client, admin: Any, feature: Switch, new_status: int) -> None:
    data = ok(client.post(url("status"), {"key": "feature", "status": str(new_status)}))
    assert data["status"] == new_status
    assert stored("feature").status == new_status


def test_status_label_is_the_effective_one(client: Client, admin: Any, feature: Switch) -> None:
    data = ok(client.post(url("status"), {"key": "feature", "status": "2"}))
    assert data["statusLabel"] == "Selective with no conditions: off for everyone"
    assert gargoyle.is_active("feature") is False


@pytest.mark.parametrize("value", ["x", "9", "0", "", "3.5", "-1"])
def test_status_bad_values(client: Client, admin: Any, feature: Switch, value: str) -> None:
    fails(client.post(url("status"), {"key": "feature", "status": value}), 400, "status:")
    assert stored("feature").status == DISABLED


def test_status_unknown_switch(client: Client, admin: Any) -> None:
    fails(client.post(url("status"), {"key": "nope", "status": "2"}), 404, "nope")
    assert not Switch.objects.exists()


def test_status_global_needs_set_global(client: Client, login: Any, feature: Switch) -> None:
    login(*EDITOR)
    fails(client.post(url("status"), {"key": "feature", "status": "3"}), 403, "gargoyle.set_global")
    assert stored("feature").status == DISABLED
    ok(client.post(url("status"), {"key": "feature", "status": "2"}))  # other statuses are fine


# -- delete/ -------------------------------------------------------------------------------------


def test_delete_removes_the_switch(client: Client, admin: Any, feature: Switch) -> None:
    data = ok(client.post(url("delete"), {"key": "feature"}))
    assert data == {"changeId": SwitchChange.objects.get(after__isnull=True).pk, "changeSummary": "deleted"}
    assert not Switch.objects.filter(key="feature").exists()
    change = SwitchChange.objects.filter(switch_key="feature").first()
    assert change.after is None and change.username == "alice"


def test_delete_unknown_or_missing_key(client: Client, admin: Any) -> None:
    fails(client.post(url("delete"), {"key": "nope"}), 404, "key:")
    fails(client.post(url("delete"), {}), 400, "key:")


# -- conditions ----------------------------------------------------------------------------------


def add_condition(client: Client, **fields: str) -> Any:
    return client.post(url("add-condition"), {"key": "feature", **fields})


def test_add_percent_condition(client: Client, admin: Any, feature: Switch) -> None:
    data = ok(add_condition(client, id=USER_SET, field="percent", **{"percent[min]": "0", "percent[max]": "25"}))
    assert data["conditions"] == [
        {"id": USER_SET, "label": "User", "conditions": [["percent", "0-25", "Percent: 25% (0-25)", False, "i"]]}
    ]
    assert stored("feature").value == {"auth.user": {"percent": [["i", "0-25"]]}}
    assert SwitchChange.objects.first().summary == "added User: Percent 25% (0-25)"
    assert SwitchChange.objects.first().username == "alice"


def test_add_exclude_and_other_field_types(client: Client, admin: Any, feature: Switch) -> None:
    ok(add_condition(client, id=IP_SET, field="ip_address", ip_address="10.0.0.1", exclude="1"))
    ok(add_condition(client, id=USER_SET, field="is_staff", exclude="0"))
    ok(add_condition(client, id=USER_SET, field="date_joined", date_joined="2024-01-31"))
    assert stored("feature").value == {
        "ip": {"ip_address": [["e", "10.0.0.1"]]},
        "auth.user": {"is_staff": [["i", "1"]], "date_joined": [["i", "2024-01-31"]]},
    }


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"id": USER_SET, "field": "percent", "percent[min]": "0", "percent[max]": "250"}, 400, ["Percent:"]),
        ({"id": USER_SET, "field": "percent", "percent[min]": "50", "percent[max]": "10"}, 400, ["Percent:"]),
        ({"id": USER_SET, "field": "percent"}, 400, ["Percent:"]),
        ({"id": USER_SET, "field": "username", "username": ""}, 400, ["Username:"]),
        ({"id": USER_SET, "field": "date_joined", "date_joined": "31/01/2024"}, 400, ["Joined"]),
        ({"id": USER_SET, "field": "username", "username": "bob", "exclude": "maybe"}, 400, ["exclude:"]),
        ({"id": "nope.Set", "field": "username", "username": "bob"}, 404, ["id:"]),
        ({"id": USER_SET, "field": "shoe_size", "shoe_size": "9"}, 404, ["field:"]),
        ({"field": "username", "username": "bob"}, 400, ["id:"]),
        ({"id": USER_SET, "username": "bob"}, 400, ["field:"]),
    ],
)
def test_add_condition_bad_input(
    client: Client, admin: Any, feature: Switch, fields: dict[str, str], status: int, words: list[str]
) -> None:
    fails(add_condition(client, **fields), status, *words)
    assert stored("feature").value == {}


def test_add_condition_unknown_switch(client: Client, admin: Any) -> None:
    fails(add_condition(client, id=USER_SET, field="username", username="bob"), 404, "key:")
    assert not Switch.objects.exists()


def test_remove_condition(client: Client, admin: Any, feature: Switch) -> None:
    feature.add_condition(gargoyle, USER_SET, "username", "bob")
    feature.add_condition(gargoyle, USER_SET, "percent", "0-50", exclude=True)
    data = ok(
        client.post(url("remove-condition"), {"key": "feature", "id": USER_SET, "field": "percent", "value": "0-50"})
    )
    assert data["conditions"][0]["conditions"] == [["username", "bob", "Username: bob", False, "i"]]
    assert stored("feature").value == {"auth.user": {"username": [["i", "bob"]]}}
    assert SwitchChange.objects.first().username == "alice"


def test_each_conditions_text_names_its_field_where_the_value_alone_would_not(
    client: Client, admin: Any, feature: Switch
) -> None:
    feature.add_condition(gargoyle, USER_SET, "username", "bob")
    feature.add_condition(gargoyle, USER_SET, "is_staff", "1")
    feature.add_condition(gargoyle, USER_SET, "percent", "0-10")
    feature.add_condition(gargoyle, IP_SET, "ip_address", "10.0.0.0/8", exclude=True)
    (data,) = ok(client.get(url("switches")))["switches"]
    texts = {name: text for group in data["conditions"] for name, _, text, *_ in group["conditions"]}
    assert texts == {
        "username": "Username: bob",
        "is_staff": "Staff",
        "percent": "Percent: 10% (0-10)",
        "ip_address": "10.0.0.0/8",
    }
    # Switch.to_dict itself keeps gargoyle-yplan's texts: the value as display() shows it.
    groups = stored("feature").to_dict(gargoyle)["conditions"]
    assert {name: text for group in groups for name, _, text, *_ in group["conditions"]}["username"] == "bob"


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"id": USER_SET, "field": "username"}, 400, ["value:"]),
        ({"id": "nope.Set", "field": "username", "value": "bob"}, 404, ["id:"]),
        ({"id": USER_SET, "field": "shoe_size", "value": "bob"}, 404, ["field:"]),
        ({"key": "nope", "id": USER_SET, "field": "username", "value": "bob"}, 404, ["key:"]),
    ],
)
def test_remove_condition_bad_input(
    client: Client, admin: Any, feature: Switch, fields: dict[str, str], status: int, words: list[str]
) -> None:
    feature.add_condition(gargoyle, USER_SET, "username", "bob")
    fails(client.post(url("remove-condition"), {"key": "feature", **fields}), status, *words)
    assert stored("feature").value == {"auth.user": {"username": [["i", "bob"]]}}


# -- switches/ -----------------------------------------------------------------------------------


def test_switches_lists_everything(client: Client, admin: Any, feature: Switch) -> None:
    Switch(key="another", status=SELECTIVE).save()
    data = ok(client.get(url("switches")))
    assert [switch["key"] for switch in data["switches"]] == ["another", "feature"]
    assert data["switches"][1]["label"] == "Feature"
    assert data["switches"][0]["statusLabel"] == "Selective with no conditions: off for everyone"
    assert all(switch["problem"] is None for switch in data["switches"])
    assert data["permissions"] == {"view": True, "add": True, "change": True, "delete": True, "setGlobal": True}
    sets = {condition_set["id"]: condition_set for condition_set in data["conditionSets"]}
    assert sets[USER_SET]["label"] == "User"
    user_fields = {field["name"]: field for field in sets[USER_SET]["fields"]}
    assert user_fields["percent"]["type"] == "percent"
    assert "0-50" in user_fields["percent"]["help"]
    assert user_fields["username"] == {"name": "username", "label": "Username", "type": "string", "help": ""}
    assert user_fields["is_staff"]["type"] == "boolean"
    assert user_fields["date_joined"]["type"] == "date"


def test_switches_reports_problems(client: Client, admin: Any) -> None:
    Switch.objects.create(key="broken", status=SELECTIVE)
    Switch.objects.filter(key="broken").update(value={"auth.user": {"percent": [["i", "90-10"]]}})
    data = ok(client.get(url("switches")))
    assert data["switches"][0]["problem"]


@pytest.mark.parametrize("status", [DISABLED, GLOBAL, INHERIT])
def test_switches_reports_problems_of_switches_that_are_not_selective(client: Client, admin: Any, status: int) -> None:
    Switch.objects.create(key="broken", status=status)
    Switch.objects.create(key="healthy", status=status, value={"auth.user": {"percent": [["i", "0-10"]]}})
    Switch.objects.filter(key="broken").update(value={"auth.user": {"percent": [["i", "90-10"]]}})
    problems = {switch["key"]: switch["problem"] for switch in ok(client.get(url("switches")))["switches"]}
    assert "percent" in problems["broken"].lower()
    assert problems["healthy"] is None


def test_switches_permission_flags(client: Client, login: Any) -> None:
    login("view_switch", "change_switch")
    data = ok(client.get(url("switches")))
    assert data["permissions"] == {"view": True, "add": False, "change": True, "delete": False, "setGlobal": False}


def test_each_field_type_names_its_panel_input(client: Client, admin: Any) -> None:
    """The panel's input comes from the field class itself: a new type is one class."""
    from gargoyle.conditions import BeforeDate, Boolean, ConditionSet, Percent, Range, String

    class Email(String):
        panel_type = "email"

    class Subclassed(Range):  # a subclass keeps its base's input unless it says otherwise
        pass

    class ShopperConditionSet(ConditionSet):
        email = Email()
        share = Percent()
        spend = Subclassed()
        since = BeforeDate()
        vip = Boolean()
        name = String()

        def get_namespace(self) -> str:
            return "shopper"

    gargoyle.register(ShopperConditionSet)
    try:
        data = ok(client.get(url("switches")))
    finally:
        gargoyle.unregister(ShopperConditionSet)
    shopper = next(s for s in data["conditionSets"] if s["id"].endswith("ShopperConditionSet"))
    assert {field["name"]: field["type"] for field in shopper["fields"]} == {
        "email": "email",
        "share": "percent",
        "spend": "range",
        "since": "date",
        "vip": "boolean",
        "name": "string",
    }


def test_choice_fields_list_their_choices(client: Client, admin: Any) -> None:
    from gargoyle.conditions import ConditionSet

    class FruitConditionSet(ConditionSet):
        fruit = Choice([("a", "Apple"), "b"])

        def get_namespace(self) -> str:
            return "fruit"

    gargoyle.register(FruitConditionSet)
    try:
        data = ok(client.get(url("switches")))
    finally:
        gargoyle.unregister(FruitConditionSet)
    fruit = next(s for s in data["conditionSets"] if s["id"].endswith("FruitConditionSet"))
    assert fruit["fields"] == [
        {
            "name": "fruit",
            "label": "Fruit",
            "type": "choice",
            "help": "",
            "choices": [{"value": "a", "label": "Apple"}, {"value": "b", "label": "b"}],
        }
    ]


# -- preview/ ------------------------------------------------------------------------------------


def test_preview_answers_with_a_reason(client: Client, admin: Any, feature: Switch, make_user: Any) -> None:
    make_user(username="bob", staff=False)
    feature.status = SELECTIVE
    feature.save()
    feature.add_condition(gargoyle, USER_SET, "username", "bob")
    feature.add_condition(gargoyle, IP_SET, "ip_address", "10.0.0.0/8", exclude=True)
    assert ok(client.get(url("preview"), {"key": "feature", "username": "bob"})) == {
        "active": True,
        "reason": "Included by User: Username bob.",
        "buckets": [],
    }
    verdict = ok(client.get(url("preview"), {"key": "feature", "username": "bob", "ip": "10.1.2.3"}))
    assert verdict["active"] is False
    assert verdict["reason"].startswith("Excluded by IP Address")
    assert ok(client.get(url("preview"), {"key": "feature"}))["active"] is False


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"key": "feature", "ip": "not-an-ip"}, 400, ["ip:"]),
        ({"key": "feature", "username": "ghost"}, 400, ["username:"]),
        ({}, 400, ["key:"]),
        ({"key": "nope"}, 404, ["key:"]),
    ],
)
def test_preview_bad_input(
    client: Client, admin: Any, feature: Switch, params: dict[str, str], status: int, words: list[str]
) -> None:
    fails(client.get(url("preview"), params), status, *words)
    assert list(Switch.objects.values_list("key", flat=True)) == ["feature"]  # nothing auto-created


# -- history/ and history/restore/ ---------------------------------------------------------------


def test_history_newest_first_with_users(client: Client, admin: Any) -> None:
    ok(client.post(url("add"), {"key": "feature", "name": "Feature"}))
    ok(client.post(url("status"), {"key": "feature", "status": "2"}))
    entries = ok(client.get(url("history"), {"key": "feature"}))
    assert [entry["summary"] for entry in entries] == ["status Disabled → Selective", "added (Disabled)"]
    assert {entry["username"] for entry in entries} == {"alice"}
    assert entries[0]["before"]["status"] == DISABLED and entries[0]["after"]["status"] == SELECTIVE
    assert entries[0]["restoredFrom"] is None
    assert set(entries[0]) == {
        "id",
        "date",
        "username",
        "summary",
        "before",
        "after",
        "restoredFrom",
        "via",
        "note",
    } | {
        "undoable",
        "undoBlockedBy",
        "undoReason",
        "afterIsCurrent",
    }
    assert entries[0]["date"] >= entries[1]["date"]


def test_history_is_limited_and_kept_for_deleted_switches(client: Client, admin: Any, feature: Switch) -> None:
    for index in range(55):
        feature.description = f"d{index}"
        feature.save()
    assert len(ok(client.get(url("history"), {"key": "feature"}))) == 50
    feature.delete()
    assert ok(client.get(url("history"), {"key": "feature"}))[0]["summary"] == "deleted"


def test_history_bad_input(client: Client, admin: Any) -> None:
    fails(client.get(url("history")), 400, "key:")
    fails(client.get(url("history"), {"key": "never"}), 404, "key:")


def test_history_of_a_switch_without_changes(client: Client, admin: Any, feature: Switch) -> None:
    SwitchChange.objects.all().delete()
    assert ok(client.get(url("history"), {"key": "feature"})) == []


def test_restore_before_and_after(client: Client, admin: Any, feature: Switch) -> None:
    ok(client.post(url("status"), {"key": "feature", "status": "2"}))
    change = SwitchChange.objects.first()
    data = ok(client.post(url("restore"), {"id": str(change.pk)}))
    assert data["status"] == DISABLED
    assert stored("feature").status == DISABLED
    undo = SwitchChange.objects.first()
    assert undo.restored_from == change and undo.username == "alice"
    ok(client.post(url("restore"), {"id": str(change.pk), "state": "after"}))
    assert stored("feature").status == SELECTIVE
    history = ok(client.get(url("history"), {"key": "feature"}))
    assert history[0]["restoredFrom"] == change.pk


def test_restore_before_an_addition_deletes_and_needs_delete(client: Client, login: Any, feature: Switch) -> None:
    added = SwitchChange.objects.get(switch_key="feature", before__isnull=True)
    login("view_switch", "change_switch")
    fails(client.post(url("restore"), {"id": str(added.pk)}), 403, "gargoyle.delete_switch")
    assert Switch.objects.filter(key="feature").exists()


def test_restore_deleting_with_permission(client: Client, admin: Any, feature: Switch) -> None:
    added = SwitchChange.objects.get(switch_key="feature", before__isnull=True)
    restored = SwitchChange.objects.first
    data = ok(client.post(url("restore"), {"id": str(added.pk)}))
    assert data == {"changeId": restored().pk, "changeSummary": restored().summary}
    assert not Switch.objects.filter(key="feature").exists()


def test_restore_a_deleted_switch_needs_add(client: Client, login: Any, feature: Switch) -> None:
    feature.delete()
    deleted = SwitchChange.objects.get(switch_key="feature", after__isnull=True)
    login("view_switch", "change_switch")
    fails(client.post(url("restore"), {"id": str(deleted.pk)}), 403, "gargoyle.add_switch")
    assert not Switch.objects.filter(key="feature").exists()


def test_restore_global_state_needs_set_global(client: Client, login: Any, feature: Switch) -> None:
    feature.status = GLOBAL
    feature.save()
    feature.status = DISABLED
    feature.save()
    to_disabled = SwitchChange.objects.first()
    login(*EDITOR)
    fails(client.post(url("restore"), {"id": str(to_disabled.pk)}), 403, "gargoyle.set_global")
    assert stored("feature").status == DISABLED
    ok(client.post(url("restore"), {"id": str(to_disabled.pk), "state": "after"}))  # Disabled: allowed


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({}, 400, ["id:"]),
        ({"id": "x"}, 404, ["id:"]),
        ({"id": "999999"}, 404, ["id:"]),
        ({"id": "1", "state": "sideways"}, 400, ["state:"]),
    ],
)
def test_restore_bad_input(client: Client, admin: Any, fields: dict[str, str], status: int, words: list[str]) -> None:
    fails(client.post(url("restore"), fields), status, *words)


def test_restore_of_a_corrupt_change_is_refused(client: Client, admin: Any) -> None:
    change = SwitchChange.objects.create(switch_key="feature", summary="odd", before="not a state", after=None)
    fails(client.post(url("restore"), {"id": str(change.pk)}), 400)
    assert not Switch.objects.exists()


# -- permissions, methods, CSRF and tokens ---------------------------------------------------------


ENDPOINTS = [(name, "post", fields) for name, fields in MUTATIONS.items()] + [
    (name, "get", params) for name, params in READS.items()
]


@pytest.mark.parametrize(("name", "method", "fields"), ENDPOINTS)
def test_anonymous_gets_401(client: Client, feature: Switch, name: str, method: str, fields: dict) -> None:
    response = getattr(client, method)(url(name), fields)
    fails(response, 401, "authentication:")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stored("feature").label == "Feature"


@pytest.mark.parametrize(("name", "method", "fields"), ENDPOINTS)
def test_non_staff_gets_403(client: Client, login: Any, feature: Switch, name: str, method: str, fields: dict) -> None:
    login(*ALL, staff=False)
    fails(getattr(client, method)(url(name), fields), 403, "staff")
    assert stored("feature").label == "Feature"


@pytest.mark.parametrize(("name", "method", "fields"), ENDPOINTS)
def test_deactivated_staff_gets_401(client: Client, make_user: Any, name: str, method: str, fields: dict) -> None:
    user = make_user(*ALL)
    client.force_login(user)
    user.is_active = False
    user.save()
    fails(getattr(client, method)(url(name), fields), 401)


@pytest.mark.parametrize(("name", "fields"), list(MUTATIONS.items()))
def test_mutations_need_their_permission(client: Client, login: Any, feature: Switch, name: str, fields: dict) -> None:
    login("view_switch")
    fails(client.post(url(name), fields), 403, NEEDS[name])
    assert stored("feature").label == "Feature" and stored("feature").value == {}
    assert not Switch.objects.filter(key="new").exists()


@pytest.mark.parametrize(("name", "params"), list(READS.items()))
def test_reads_need_the_view_permission(client: Client, login: Any, feature: Switch, name: str, params: dict) -> None:
    login("add_switch")
    fails(client.get(url(name), params), 403, "gargoyle.view_switch")


@pytest.mark.parametrize("codename", ["view_switch", "can_view", "change_switch"])
def test_reads_accept_the_legacy_and_change_permissions(client: Client, login: Any, codename: str) -> None:
    login(codename)
    assert ok(client.get(url("switches")))["permissions"]["view"] is True


@pytest.mark.parametrize(("name", "fields"), list(MUTATIONS.items()))
def test_mutations_refuse_get(client: Client, admin: Any, feature: Switch, name: str, fields: dict) -> None:
    response = client.get(url(name), fields)
    fails(response, 405, "POST")
    assert response["Allow"] == "POST"
    assert stored("feature").label == "Feature"


@pytest.mark.parametrize(("name", "params"), list(READS.items()))
def test_reads_refuse_post(client: Client, admin: Any, feature: Switch, name: str, params: dict) -> None:
    response = client.post(url(name), params)
    fails(response, 405, "GET")
    assert response["Allow"] == "GET"


def csrf_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session_requests_need_the_csrf_token(make_user: Any, feature: Switch) -> None:
    client = csrf_client(make_user(*ALL))
    fails(client.post(url("status"), {"key": "feature", "status": "2"}), 403, "csrf:")
    assert stored("feature").status == DISABLED
    assert ok(client.get(url("switches")))  # safe methods need no token


def test_session_requests_with_the_csrf_token_pass(make_user: Any, feature: Switch) -> None:
    from django.middleware.csrf import _get_new_csrf_string

    client = csrf_client(make_user(*ALL))
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    ok(client.post(url("status"), {"key": "feature", "status": "2"}, headers={"X-CSRFToken": token}))
    assert stored("feature").status == SELECTIVE


ROBOT_TOKEN = "s3cret-token-" + "r" * 32
GHOST_TOKEN = "other-token-" + "g" * 32
TOKENS = {ROBOT_TOKEN: "robot", GHOST_TOKEN: "ghost", 42: "robot", "short-token": "robot"}


@override_settings(GARGOYLE_API_TOKENS=TOKENS)
def test_token_requests_skip_csrf_and_are_attributed(make_user: Any, feature: Switch) -> None:
    robot = make_user(*ALL, username="robot")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {ROBOT_TOKEN}"})
    ok(client.post(url("status"), {"key": "feature", "status": "2"}))
    assert stored("feature").status == SELECTIVE
    assert SwitchChange.objects.first().user == robot
    assert ok(client.get(url("switches")))["permissions"]["setGlobal"] is True


@override_settings(GARGOYLE_API_TOKENS=TOKENS)
def test_token_requests_still_need_permissions(make_user: Any, feature: Switch) -> None:
    make_user("view_switch", username="robot")
    client = Client(headers={"Authorization": f"Bearer {ROBOT_TOKEN}"})
    fails(client.post(url("status"), {"key": "feature", "status": "2"}), 403, "gargoyle.change_switch")
    assert stored("feature").status == DISABLED


@override_settings(GARGOYLE_API_TOKENS=TOKENS)
def test_token_of_a_non_staff_user(make_user: Any, feature: Switch) -> None:
    make_user(*ALL, username="robot", staff=False)
    client = Client(headers={"Authorization": f"Bearer {ROBOT_TOKEN}"})
    fails(client.get(url("switches")), 403, "staff")


@override_settings(GARGOYLE_API_TOKENS=TOKENS)
def test_token_of_an_inactive_user(make_user: Any, feature: Switch) -> None:
    make_user(*ALL, username="robot", is_active=False)
    client = Client(headers={"Authorization": f"Bearer {ROBOT_TOKEN}"})
    fails(client.get(url("switches")), 403, "staff")


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Bearer wrong", ["fewer than 32 characters"]),
        ("Bearer ", ["fewer than 32 characters"]),
        ("Bearer 42", ["fewer than 32 characters"]),
        (f"Bearer {'x' * 40}", ["unknown API token"]),
        (f"Bearer {GHOST_TOKEN}", ["does not exist"]),
        (f"Bearer {ROBOT_TOKEN[:-1]}é", ["unknown API token"]),
        ("Bearer short-token", ["fewer than 32 characters"]),
    ],
)
@override_settings(GARGOYLE_API_TOKENS=TOKENS)
def test_bad_tokens_get_401(client: Client, admin: Any, feature: Switch, header: str, words: list[str]) -> None:
    # A bad token is refused even though the session is logged in.
    fails(client.post(url("status"), {"key": "feature", "status": "2"}, headers={"Authorization": header}), 401, *words)
    assert stored("feature").status == DISABLED


@override_settings(GARGOYLE_API_TOKENS="not a mapping")
def test_tokens_setting_that_is_not_a_mapping(client: Client) -> None:
    fails(client.get(url("switches"), headers={"Authorization": "Bearer x"}), 401)


def test_tokens_are_off_by_default_and_other_schemes_use_the_session(client: Client, admin: Any) -> None:
    fails(Client().get(url("switches"), headers={"Authorization": "Bearer x"}), 401)
    ok(client.get(url("switches"), headers={"Authorization": "Basic eDp5"}))


# -- never a 500 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("add", {"key": "nul\x00key"}),
        ("add", {"key": "ok", "name": "nul\x00"}),
        ("update", {"curkey": "feature\x00"}),
        ("status", {"key": "feature", "status": "\x00"}),
        ("status", {"key": "feature", "status": "1" * 5000}),
        ("add-condition", {"key": "feature", "id": USER_SET, "field": "percent", "percent[min]": "nan"}),
        ("add-condition", {"key": "feature", "id": USER_SET, "field": "username", "username": "a\x00b"}),
        ("remove-condition", {"key": "feature", "id": "\x00", "field": "x", "value": "y"}),
        ("restore", {"id": "1e400"}),
        ("restore", {"id": "\x00"}),
        ("delete", {"key": "\x00"}),
    ],
)
def test_odd_input_is_never_a_500(client: Client, admin: Any, feature: Switch, name: str, fields: dict) -> None:
    response = client.post(url(name), fields)
    assert 200 <= response.status_code < 500
    assert body(response)["success"] is (response.status_code == 200)


@pytest.mark.parametrize(
    ("method", "name", "fields", "field"),
    [
        ("post", "add", {"key": "nul\x00key"}, "key"),
        (
            "post",
            "add-condition",
            {"key": "feature", "id": USER_SET, "field": "username", "username": "a\x00"},
            "username",
        ),
        ("post", "status", {"key": "feature", "status\x00": "2"}, "status"),
        ("get", "preview", {"key": "feature", "username": "a\x00b"}, "username"),
        ("get", "history", {"key": "\x00"}, "key"),
    ],
)
def test_nul_characters_are_refused(
    client: Client, admin: Any, feature: Switch, method: str, name: str, fields: dict, field: str
) -> None:
    fails(getattr(client, method)(url(name), fields), 400, f"{field}: contains a NUL character")
    assert stored("feature").value == {} and stored("feature").status == DISABLED


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("preview", {"key": "feature", "username": "a\x00b"}),
        ("preview", {"key": "fea\x00ture"}),
        ("history", {"key": "\x00"}),
    ],
)
def test_odd_query_is_never_a_500(client: Client, admin: Any, feature: Switch, name: str, params: dict) -> None:
    response = client.get(url(name), params)
    assert 200 <= response.status_code < 500


def test_a_malformed_body_is_a_400(client: Client, admin: Any) -> None:
    fails(client.generic("POST", url("add"), b"garbage", content_type="multipart/form-data"), 400, "bad request")
    assert not Switch.objects.exists()


def test_a_vanished_row_is_a_404(client: Client, admin: Any, feature: Switch, monkeypatch: pytest.MonkeyPatch) -> None:
    def vanish(self: Switch, *args: Any, **kwargs: Any) -> None:
        raise Switch.DoesNotExist("Switch matching query does not exist.")

    monkeypatch.setattr(Switch, "refresh_from_db", vanish)
    fails(client.post(url("status"), {"key": "feature", "status": "2"}), 404)


def test_payload_keeps_the_stored_label_apart_from_the_displayed_one():
    from gargoyle._web.api import switch_payload

    payload = switch_payload(Switch(key="no_label"))
    assert (payload["label"], payload["storedLabel"]) == ("no_label", "")


# -- schedules/ ------------------------------------------------------------------------------------


def test_a_change_scheduled_through_the_api_is_listed_moved_and_cancelled(client: Client, admin: Any, feature) -> None:
    made = ok(
        client.post(
            url("add-schedule"),
            {
                "key": "feature",
                "action": "set_percent",
                "id": USER_SET,
                "field": "percent",
                "percent[min]": "0",
                "percent[max]": "25",
                "due": "2040-03-01 09:00",
                "zone": "Europe/Berlin",
            },
        )
    )
    assert made["summary"] == "set User: Percent 25% (0-25)"
    assert made["dueAt"] == "2040-03-01T08:00:00.000000Z"
    assert (made["state"], made["scheduledBy"]) == ("pending", "alice")
    listed = ok(client.get(url("schedules"), {"key": "feature"}))
    assert [item["id"] for item in listed["schedules"]] == [made["id"]]
    assert listed["siteTimeZone"] == "America/Chicago"
    assert ok(client.get(url("switches")))["switches"][0]["schedules"] == [
        {"id": made["id"], "dueAt": "2040-03-01T08:00:00.000000Z", "summary": "set User: Percent 25% (0-25)"}
    ]

    moved = ok(client.post(url("edit-schedule"), {"id": str(made["id"]), "due": "2040-03-02T09:00Z"}))
    assert moved["dueAt"] == "2040-03-02T09:00:00.000000Z"
    cancelled = ok(client.post(url("cancel-schedule"), {"id": str(made["id"])}))
    assert (cancelled["state"], cancelled["outcome"]) == ("cancelled", "cancelled by alice")
    assert ok(client.get(url("schedules")))["schedules"] == []  # only pending ones without a key
    assert [item["state"] for item in ok(client.get(url("schedules"), {"key": "feature"}))["schedules"]] == [
        "cancelled"
    ]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"action": "status", "status": "9"}, 400, ["status: '9'"]),
        ({"action": "rename"}, 400, ["action: 'rename'"]),
        ({"action": "status", "status": "2", "due": "2000-01-01T00:00Z"}, 400, ["has passed"]),
        ({"action": "status", "status": "2", "due": "soon"}, 400, ["is not a date and time"]),
        ({"action": "status", "status": "2", "due": "2040-03-25 02:30", "zone": "America/Chicago"}, 200, []),
        (
            {"action": "status", "status": "2", "due": "2040-03-11 02:30", "zone": "America/Chicago"},
            400,
            ["does not exist"],
        ),
        ({"action": "status", "status": "2", "due": "2040-11-04 01:30"}, 400, ["happens twice", "-05:00 or"]),
        ({"action": "add_condition", "id": "nope", "field": "x"}, 404, ["no condition set 'nope'"]),
        ({"action": "add_condition", "id": USER_SET, "field": "percent", "percent[min]": "5"}, 400, ["Percent"]),
        ({"action": "remove_condition", "id": USER_SET, "field": "username"}, 400, ["value: this field is required"]),
        ({"key": "ghost", "action": "status", "status": "2"}, 404, ["no switch 'ghost'"]),
    ],
)
def test_bad_schedules_get_a_clear_error_and_store_nothing(client, admin, feature, fields, status, words) -> None:
    data = {"key": "feature", "due": "2040-03-01T09:00Z", **fields}
    response = client.post(url("add-schedule"), data)
    if status == 200:
        ok(response)
        return
    fails(response, status, *words)
    assert ok(client.get(url("schedules")))["schedules"] == []


def test_scheduling_global_takes_the_right_to_set_global(client: Client, login: Any, feature) -> None:
    login(*EDITOR)
    due = "2040-03-01T09:00Z"
    fails(client.post(url("add-schedule"), {"key": "feature", "action": "status", "status": "3", "due": due}), 403)
    made = ok(client.post(url("add-schedule"), {"key": "feature", "action": "status", "status": "2", "due": due}))
    assert made["summary"] == "status → Selective"


def test_a_resolved_schedule_cannot_be_moved_or_cancelled(client: Client, admin: Any, feature) -> None:
    made = ok(
        client.post(
            url("add-schedule"), {"key": "feature", "action": "status", "status": "2", "due": "2040-01-01T00:00Z"}
        )
    )
    ok(client.post(url("cancel-schedule"), {"id": str(made["id"])}))
    fails(client.post(url("cancel-schedule"), {"id": str(made["id"])}), 400, "is already cancelled")
    fails(client.post(url("edit-schedule"), {"id": str(made["id"]), "due": "2041-01-01T00:00Z"}), 400, "already")
    fails(client.post(url("cancel-schedule"), {"id": "x1"}), 400, "is not a schedule id")


def test_the_history_says_which_changes_a_schedule_made(client: Client, admin: Any, feature) -> None:
    from gargoyle import schedules

    made = ok(
        client.post(
            url("add-schedule"), {"key": "feature", "action": "status", "status": "2", "due": "2040-01-01T00:00Z"}
        )
    )
    schedules.apply_due(now=schedules.parse_moment("2040-01-01T00:01Z"))
    [entry, *_] = ok(client.get(url("history"), {"key": "feature"}))
    assert (entry["username"], entry["via"]) == ("alice", "schedule")
    assert entry["note"].startswith(f"scheduled change #{made['id']}, made by alice")


# -- rollouts/ -------------------------------------------------------------------------------------


def test_a_rollout_started_through_the_api_shows_and_answers_its_buttons(client: Client, admin: Any, feature) -> None:
    started = ok(
        client.post(
            url("start-rollout"),
            {
                "key": "feature",
                "stages": "1, 10; 100",
                "hold": "30",
                "min_exposed": "50",
                "max_increase": "2",
                "on_trip": "pause",
                "min_requests": "300",
                "metric": "payment_failed",
            },
        )
    )
    assert (started["state"], started["stage"], started["percent"], started["onTrip"]) == ("running", 0, "1", "pause")
    assert started["stages"][0] == {"percent": "1", "hold": 1800, "min_exposed": 50}
    assert (started["maxIncrease"], started["minRequests"], started["metric"]) == (0.02, 300, "payment_failed")
    assert started["createdBy"] == "alice"
    assert ok(client.get(url("switches")))["switches"][0]["rollout"] == {
        "id": started["id"],
        "state": "running",
        "stage": 0,
        "stageCount": 3,
        "percent": "1",
        "outcome": "started: stage 1 of 3, 1 %",
    }
    rid = str(started["id"])
    assert ok(client.post(url("pause-rollout"), {"id": rid}))["state"] == "paused"
    assert ok(client.post(url("resume-rollout"), {"id": rid}))["state"] == "running"
    assert ok(client.post(url("advance-rollout"), {"id": rid}))["percent"] == "10"
    assert ok(client.post(url("abort-rollout"), {"id": rid}))["state"] == "aborted"
    listed = ok(client.get(url("rollouts"), {"key": "feature"}))
    assert listed["rollout"] is None and [past["state"] for past in listed["past"]] == ["aborted"]
    fails(client.post(url("resume-rollout"), {"id": rid}), 400, "is aborted")
    fails(client.post(url("pause-rollout"), {"id": "x"}), 400, "is not a rollout id")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"stages": "1, 1"}, ["stage 2 (1 %) must be above"]),
        ({"stages": "1, lots"}, ["stage 2's percent must be a number"]),
        ({"stages": "1", "hold": "soon"}, ["hold: 'soon' is not a number"]),
        ({"stages": "1", "hold": "-5"}, ["hold: give the minutes"]),
        ({"stages": "1", "on_trip": "explode"}, ["on_trip: 'explode'"]),
        ({"stages": "1", "id": USER_SET, "field": "username"}, ["not a percent field"]),
    ],
)
def test_a_bad_rollout_gets_a_clear_error_and_changes_nothing(
    client: Client, admin: Any, feature, fields, words
) -> None:
    fails(client.post(url("start-rollout"), {"key": "feature", **fields}), 400, *words)
    assert ok(client.get(url("rollouts"), {"key": "feature"})) == {"rollout": None, "past": []}
    assert stored("feature").status == DISABLED and stored("feature").value == {}


def test_advance_answers_409_when_the_rollout_moved_since_the_page_was_drawn(
    client: Client, admin: Any, feature
) -> None:
    started = ok(client.post(url("start-rollout"), {"key": "feature", "stages": "1, 5, 25"}))
    rid = str(started["id"])
    assert ok(client.post(url("advance-rollout"), {"id": rid, "stage": "0"}))["percent"] == "5"
    fails(client.post(url("advance-rollout"), {"id": rid, "stage": "0"}), 409, "is at stage 2 of 3 (5 %) now")
    fails(client.post(url("advance-rollout"), {"id": rid, "stage": "first"}), 400, "is not a stage number")
    assert ok(client.get(url("rollouts"), {"key": "feature"}))["rollout"]["percent"] == "5"
