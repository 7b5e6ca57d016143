"""The Switch model API, its validation, and the signals and version moves of every write path."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from gargoyle._storage.version import read_db_version
from gargoyle.changes import made_by
from gargoyle.manager import gargoyle
from gargoyle.models import DISABLED, GLOBAL, INHERIT, SELECTIVE, Switch

USER = "gargoyle.builtins.UserConditionSet(auth.user)"
IP = "gargoyle.builtins.IPAddressConditionSet"


def ip_request(address="10.0.0.1"):
    return RequestFactory().get("/", REMOTE_ADDR=address)


def stored_value(key):
    return Switch.objects.get(key=key).value


def sent(events, name):
    return [kwargs for signal_name, kwargs in events if signal_name == name]


# -- conditions ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_condition_through_the_manager_proxy_is_stored_and_evaluated():
    Switch.objects.create(key="f", status=SELECTIVE)
    gargoyle["f"].add_condition(condition_set=IP, field_name="ip_address", condition="10.0.0.1")

    assert stored_value("f") == {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    assert gargoyle.is_active("f", ip_request("10.0.0.1")) is True
    assert gargoyle.is_active("f", ip_request("10.0.0.2")) is False


@pytest.mark.django_db
def test_add_condition_on_the_model_takes_the_manager_and_exclude():
    switch = Switch.objects.create(key="f", status=SELECTIVE)
    switch.add_condition(gargoyle, USER, "username", "alice")
    switch.add_condition(gargoyle, USER, "username", "bob", exclude=True)

    assert stored_value("f") == {"auth.user": {"username": [["i", "alice"], ["e", "bob"]]}}


@pytest.mark.django_db
def test_adding_the_same_condition_twice_stores_it_once():
    switch = Switch.objects.create(key="f", status=SELECTIVE)
    switch.add_condition(gargoyle, IP, "percent", "0-50")
    switch.add_condition(gargoyle, IP, "percent", "0-50")

    assert stored_value("f") == {"ip": {"percent": [["i", "0-50"]]}}


@pytest.mark.django_db
def test_commit_false_edits_the_instance_only_until_save():
    switch = Switch.objects.create(key="f", status=SELECTIVE)
    switch.add_condition(gargoyle, IP, "ip_address", "10.0.0.1", commit=False)

    assert switch.value == {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    assert stored_value("f") == {}
    switch.save()
    assert stored_value("f") == {"ip": {"ip_address": [["i", "10.0.0.1"]]}}

    switch.remove_condition(gargoyle, IP, "ip_address", "10.0.0.1", commit=False)
    assert stored_value("f") == {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    switch.save()
    assert stored_value("f") == {}


@pytest.mark.django_db
def test_remove_condition_removes_include_or_exclude():
    value = {"ip": {"ip_address": [["i", "10.0.0.1"], ["e", "10.0.0.2"]]}}
    switch = Switch.objects.create(key="f", status=SELECTIVE, value=value)

    switch.remove_condition(gargoyle, IP, "ip_address", "10.0.0.2")
    assert stored_value("f") == {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    gargoyle["f"].remove_condition(condition_set=IP, field_name="ip_address", condition="10.0.0.1")
    assert stored_value("f") == {}


@pytest.mark.django_db
def test_clear_conditions_of_a_field_or_of_a_whole_condition_set():
    value = {
        "ip": {"ip_address": [["i", "10.0.0.1"]], "percent": [["i", "0-10"]]},
        "auth.user": {"username": [["i", "alice"]]},
    }
    switch = Switch.objects.create(key="f", status=SELECTIVE, value=value)

    switch.clear_conditions(gargoyle, IP, "percent")
    assert stored_value("f") == {"ip": {"ip_address": [["i", "10.0.0.1"]]}, "auth.user": {"username": [["i", "alice"]]}}
    gargoyle["f"].clear_conditions(condition_set=IP)
    assert stored_value("f") == {"auth.user": {"username": [["i", "alice"]]}}

    switch = Switch.objects.get(key="f")
    switch.clear_conditions(gargoyle, USER, commit=False)
    assert stored_value("f") == {"auth.user": {"username": [["i", "alice"]]}}
    switch.save()
    assert stored_value("f") == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("condition_set", "field_name", "condition", "named"),
    [
        pytest.param(IP, "percent", "50-10", "Percent", id="percent-reversed"),
        pytest.param(IP, "percent", "0-101", "Percent", id="percent-above-100"),
        pytest.param(IP, "ip_address", "not-an-ip", "Address or network", id="ip"),
        pytest.param(USER, "is_staff", "maybe", "Staff", id="boolean"),
        pytest.param(USER, "date_joined", "2024-13-45", "Joined on or after", id="date"),
        pytest.param(USER, "username", 42, "Username", id="not-text"),
    ],
)
def test_a_condition_its_field_rejects_raises_and_stores_nothing(condition_set, field_name, condition, named):
    value = {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    switch = Switch.objects.create(key="f", status=SELECTIVE, value=value)

    with pytest.raises(ValidationError) as error:
        switch.add_condition(gargoyle, condition_set, field_name, condition)

    assert named in " ".join(error.value.messages)
    assert stored_value("f") == value


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("condition_set", "field_name", "named"),
    [
        pytest.param("gargoyle.builtins.NoSuchConditionSet", "percent", "condition_set", id="condition-set"),
        pytest.param(IP, "no_such_field", "field_name", id="field"),
    ],
)
def test_unknown_condition_set_or_field_raises_validation_error(condition_set, field_name, named):
    switch = Switch.objects.create(key="f", status=SELECTIVE)

    with pytest.raises(ValidationError) as error:
        switch.add_condition(gargoyle, condition_set, field_name, "0-50")

    assert named in " ".join(error.value.messages)
    assert stored_value("f") == {}


@pytest.mark.django_db
def test_unknown_condition_set_is_refused_by_remove_and_clear_too():
    value = {"ip": {"percent": [["i", "0-50"]]}}
    switch = Switch.objects.create(key="f", status=SELECTIVE, value=value)

    with pytest.raises(ValidationError):
        switch.remove_condition(gargoyle, "nope.Nope", "percent", "0-50")
    with pytest.raises(ValidationError):
        switch.clear_conditions(gargoyle, "nope.Nope")
    assert stored_value("f") == value


@pytest.mark.django_db
@pytest.mark.parametrize("condition", [50, None, ["0-50"], {"min": 0}])
def test_a_condition_that_is_not_a_string_is_a_validation_error(condition):
    switch = Switch.objects.create(key="f", status=SELECTIVE)

    with pytest.raises(ValidationError):
        switch.add_condition(gargoyle, IP, "percent", condition)
    with pytest.raises(ValidationError):
        gargoyle["f"].add_condition(condition_set=USER, field_name="username", condition=condition)
    assert stored_value("f") == {}


# -- to_dict and status labels -------------------------------------------------------------


@pytest.mark.django_db
def test_to_dict_describes_the_switch_and_its_conditions_by_group():
    value = {
        "ip": {"percent": [["i", "0-50"]], "ip_address": [["e", "10.0.0.0/8"]]},
        "auth.user": {"username": [["i", "alice"]]},
    }
    Switch.objects.create(key="f", label="Feature", description="Does things", status=SELECTIVE, value=value)

    data = gargoyle["f"].to_dict()
    switch = Switch.objects.get(key="f")

    assert data == switch.to_dict(gargoyle)
    assert set(data) == {
        "key",
        "status",
        "statusLabel",
        "label",
        "description",
        "date_modified",
        "date_created",
        "conditions",
    }
    assert (data["key"], data["status"], data["label"], data["description"]) == (
        "f",
        SELECTIVE,
        "Feature",
        "Does things",
    )
    assert data["statusLabel"] == switch.get_status_label()
    assert data["date_created"] == switch.date_created
    assert data["date_modified"] == switch.date_modified
    groups = {group["id"]: group for group in data["conditions"]}
    assert set(groups) == {IP, USER}
    assert groups[IP]["label"] == "IP Address"
    assert sorted(groups[IP]["conditions"]) == [
        ("ip_address", "10.0.0.0/8", "10.0.0.0/8", True),
        ("percent", "0-50", "Percent: 50% (0-50)", False),
    ]
    assert groups[USER]["conditions"] == [("username", "alice", "alice", False)]
    json.dumps(data["conditions"])  # the panel and the JSON API send it as JSON


@pytest.mark.django_db
def test_to_dict_of_a_switch_without_conditions_has_no_groups():
    Switch.objects.create(key="f", status=GLOBAL)

    assert gargoyle["f"].to_dict()["conditions"] == []


def test_selective_without_conditions_is_labelled_off():
    without = Switch(key="f", status=SELECTIVE)
    with_conditions = Switch(key="f", status=SELECTIVE, value={"ip": {"percent": [["i", "0-50"]]}})

    assert "off" in without.get_status_label().lower()
    assert "off" not in with_conditions.get_status_label().lower()
    assert without.get_status_label() != with_conditions.get_status_label()


def test_every_status_has_its_own_label():
    value = {"ip": {"percent": [["i", "0-5"]]}}
    labels = [Switch(key="f", status=s, value=value).get_status_label() for s in (DISABLED, SELECTIVE, GLOBAL, INHERIT)]

    assert all(labels)
    assert len(set(labels)) == 4


def test_inherit_without_a_parent_is_labelled_as_the_default():
    child = Switch(key="checkout:express", status=INHERIT).get_status_label()
    orphan = Switch(key="express", status=INHERIT).get_status_label()

    assert "parent" in child.lower()
    assert "default" in orphan.lower()
    assert child != orphan


# -- saving --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [{"key": "f", "status": 99}, {"key": ""}, {"key": "   "}, {"key": "k" * 65}],
    ids=["bad-status", "empty-key", "blank-key", "key-too-long"],
)
def test_saving_a_bad_status_or_key_raises_and_writes_nothing(fields):
    with pytest.raises(ValidationError):
        Switch(**fields).save()
    with pytest.raises(ValidationError):
        Switch.objects.create(**fields)

    assert Switch.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_status_on_an_existing_switch_leaves_it_as_stored():
    Switch.objects.create(key="f", status=GLOBAL)
    switch = Switch.objects.get(key="f")
    switch.status = "on"

    with pytest.raises(ValidationError) as error:
        switch.save()
    with pytest.raises(ValidationError):
        Switch.objects.filter(key="f").update(status=0)

    assert "status" in " ".join(error.value.messages)
    assert Switch.objects.get(key="f").status == GLOBAL


@pytest.mark.django_db
def test_renaming_onto_an_existing_key_is_refused_and_both_switches_are_kept():
    Switch.objects.create(key="a", status=GLOBAL, label="A", value={"ip": {"percent": [["i", "0-10"]]}})
    Switch.objects.create(key="b", status=DISABLED, label="B")
    switch = Switch.objects.get(key="a")
    switch.key = "b"

    with pytest.raises(ValidationError) as error:
        switch.save()

    assert "key" in " ".join(error.value.messages)
    rows = {s.key: (s.status, s.label, s.value) for s in Switch.objects.all()}
    assert rows == {"a": (GLOBAL, "A", {"ip": {"percent": [["i", "0-10"]]}}), "b": (DISABLED, "B", {})}


@pytest.mark.django_db
def test_renaming_onto_a_free_key_moves_the_switch():
    value = {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    Switch.objects.create(key="a", status=SELECTIVE, label="A", value=value)
    switch = Switch.objects.get(key="a")
    switch.key = "c"
    switch.save()

    assert list(Switch.objects.values_list("key", "status", "label", "value")) == [("c", SELECTIVE, "A", value)]
    assert "a" not in gargoyle
    assert gargoyle.is_active("c", ip_request()) is True


@pytest.mark.django_db
def test_a_stale_copy_saves_only_its_own_changes():
    Switch.objects.create(key="f", status=SELECTIVE)
    first = Switch.objects.get(key="f")
    stale = Switch.objects.get(key="f")

    first.add_condition(gargoyle, IP, "ip_address", "10.0.0.1")
    stale.label = "Renamed"
    stale.save()
    stale.add_condition(gargoyle, USER, "username", "alice")

    switch = Switch.objects.get(key="f")
    assert switch.label == "Renamed"
    assert switch.value == {"ip": {"ip_address": [["i", "10.0.0.1"]]}, "auth.user": {"username": [["i", "alice"]]}}


@pytest.mark.django_db
def test_a_stale_copy_does_not_undo_a_status_change():
    Switch.objects.create(key="f", status=DISABLED)
    first = Switch.objects.get(key="f")
    stale = Switch.objects.get(key="f")

    first.status = GLOBAL
    first.save()
    stale.description = "Explained"
    stale.save()

    assert Switch.objects.values_list("status", "description").get() == (GLOBAL, "Explained")


# -- GARGOYLE_SWITCH_DEFAULTS ----------------------------------------------------------------

DEFAULTS = {
    "both": {"is_active": True, "initial_status": DISABLED, "label": "Both", "description": "Has both"},
    "off": {"is_active": False, "initial_status": GLOBAL},
    "selective": {"initial_status": SELECTIVE},
}


@override_settings(GARGOYLE_SWITCH_DEFAULTS=DEFAULTS)
def test_defaults_apply_when_constructing_a_switch():
    both = Switch(key="both")

    assert (both.status, both.label, both.description) == (GLOBAL, "Both", "Has both")
    assert Switch(key="off").status == DISABLED
    assert Switch(key="selective").status == SELECTIVE
    assert Switch(key="unlisted").status == DISABLED


@override_settings(GARGOYLE_SWITCH_DEFAULTS=DEFAULTS)
def test_explicit_values_win_over_defaults():
    switch = Switch(key="both", status=DISABLED, label="Mine")

    assert (switch.status, switch.label) == (DISABLED, "Mine")


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCH_DEFAULTS=DEFAULTS)
def test_auto_created_switches_are_stored_with_their_defaults():
    assert gargoyle.is_active("both") is True
    assert gargoyle.is_active("off", default=True) is False

    assert Switch.objects.get(key="both").status == GLOBAL
    assert Switch.objects.get(key="both").label == "Both"
    assert Switch.objects.get(key="off").status == DISABLED


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True)
def test_auto_created_switches_are_labelled_with_their_key():
    gargoyle.refresh()
    gargoyle.is_active("new_checkout")
    gargoyle.is_active("search_v2:facets", default=True)
    gargoyle["beta-dashboard"]

    for key in ("new_checkout", "search_v2:facets", "beta-dashboard"):
        switch = Switch.objects.get(key=key)
        assert switch.label == key
        assert switch.to_dict(gargoyle)["label"] == key


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True, GARGOYLE_SWITCH_DEFAULTS=DEFAULTS)
def test_an_auto_created_switch_takes_the_label_its_default_names():
    gargoyle.refresh()
    gargoyle.is_active("both")
    gargoyle["selective"]

    assert Switch.objects.get(key="both").label == "Both"
    assert Switch.objects.get(key="selective").label == "selective"
    assert Switch.objects.get(key="selective").status == SELECTIVE


@pytest.mark.django_db
def test_a_switch_without_a_label_shows_its_key():
    switch = Switch.objects.create(key="new_checkout")

    assert switch.label is None
    assert switch.to_dict(gargoyle)["label"] == "new_checkout"


# -- signals -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_save_and_delete_send_signals(received):
    switch = Switch.objects.create(key="f", label="Old", status=DISABLED)
    assert [kw["key"] for kw in sent(received, "switch_added")] == ["f"]

    switch.label, switch.description, switch.status = "New", "Explained", GLOBAL
    switch.save()
    [updated] = sent(received, "switch_updated")
    assert updated["changes"] == {"label": ("Old", "New"), "description": (None, "Explained")}
    [status] = sent(received, "switch_status_updated")
    assert (status["status"], status["old_status"], status["switch"].key) == (GLOBAL, DISABLED, "f")

    switch.delete()
    assert [kw["key"] for kw in sent(received, "switch_deleted")] == ["f"]


@pytest.mark.django_db
def test_condition_methods_send_condition_signals(received):
    switch = Switch.objects.create(key="f", status=SELECTIVE)
    switch.add_condition(gargoyle, IP, "ip_address", "10.0.0.1")
    gargoyle["f"].add_condition(condition_set=USER, field_name="username", condition="bob", exclude=True)
    switch.add_condition(gargoyle, IP, "ip_address", "10.0.0.1")  # duplicate: no change, no signal

    assert [kw["condition"] for kw in sent(received, "switch_condition_added")] == [
        {"condition_set_id": IP, "field_name": "ip_address", "value": "10.0.0.1", "exclude": False, "mode": "i"},
        {"condition_set_id": USER, "field_name": "username", "value": "bob", "exclude": True, "mode": "e"},
    ]

    switch.remove_condition(gargoyle, IP, "ip_address", "10.0.0.1")
    gargoyle["f"].clear_conditions(condition_set=USER)
    assert [kw["condition"] for kw in sent(received, "switch_condition_removed")] == [
        {"condition_set_id": IP, "field_name": "ip_address", "value": "10.0.0.1", "exclude": False, "mode": "i"},
        {"condition_set_id": USER, "field_name": "username", "value": "bob", "exclude": True, "mode": "e"},
    ]
    assert all(kw["key"] == "f" for _, kw in received)


@pytest.mark.django_db
def test_queryset_update_and_delete_send_signals_for_every_row(received):
    Switch.objects.bulk_create([Switch(key="a"), Switch(key="b"), Switch(key="c", status=GLOBAL)])
    assert sorted(kw["key"] for kw in sent(received, "switch_added")) == ["a", "b", "c"]

    Switch.objects.filter(key__in=["a", "b"]).update(status=GLOBAL, label="Same")
    assert sorted((kw["key"], kw["old_status"], kw["status"]) for kw in sent(received, "switch_status_updated")) == [
        ("a", DISABLED, GLOBAL),
        ("b", DISABLED, GLOBAL),
    ]
    assert sorted((kw["key"], kw["changes"]["label"]) for kw in sent(received, "switch_updated")) == [
        ("a", (None, "Same")),
        ("b", (None, "Same")),
    ]

    Switch.objects.filter(key__in=["b", "c"]).delete()
    assert sorted(kw["key"] for kw in sent(received, "switch_deleted")) == ["b", "c"]


@pytest.mark.django_db
def test_bulk_update_sends_each_signal_once(received):
    Switch.objects.create(key="a")
    Switch.objects.create(key="b")
    received.clear()
    switches = list(Switch.objects.order_by("key"))
    for switch in switches:
        switch.label = "Same"
        switch.value = {"ip": {"percent": [["i", "0-10"]]}}
    Switch.objects.bulk_update(switches, ["label", "value"])

    assert sorted((name, kw["key"]) for name, kw in received) == [
        ("switch_condition_added", "a"),
        ("switch_condition_added", "b"),
        ("switch_updated", "a"),
        ("switch_updated", "b"),
    ]
    assert [kw["changes"] for kw in sent(received, "switch_updated")] == [{"label": (None, "Same")}] * 2


@pytest.mark.django_db
def test_bulk_update_of_status_is_accepted_and_sends_status_updated(received):
    Switch.objects.create(key="a")
    switch = Switch.objects.get(key="a")
    switch.status = GLOBAL
    Switch.objects.bulk_update([switch], ["status"])

    assert Switch.objects.get(key="a").status == GLOBAL
    assert [(kw["key"], kw["old_status"], kw["status"]) for kw in sent(received, "switch_status_updated")] == [
        ("a", DISABLED, GLOBAL)
    ]


@pytest.mark.django_db
def test_renaming_sends_switch_updated_with_the_key_change(received):
    Switch.objects.create(key="a")
    received.clear()
    switch = Switch.objects.get(key="a")
    switch.key = "c"
    switch.save()

    assert [kw["changes"] for kw in sent(received, "switch_updated")] == [{"key": ("a", "c")}]
    assert sent(received, "switch_added") == []
    assert sent(received, "switch_deleted") == []


def write_fixture(path, status, value):
    fields = {
        "value": value,
        "label": "From fixture",
        "description": None,
        "status": status,
        "date_created": "2024-01-01T00:00:00Z",
        "date_modified": "2024-01-01T00:00:00Z",
    }
    path.write_text(json.dumps([{"model": "gargoyle.switch", "pk": "f", "fields": fields}]))
    return str(path)


@pytest.mark.django_db
def test_loaddata_sends_signals(received, tmp_path):
    call_command("loaddata", write_fixture(tmp_path / "a.json", DISABLED, {}), stdout=io.StringIO())
    assert [kw["key"] for kw in sent(received, "switch_added")] == ["f"]

    value = {"ip": {"ip_address": [["i", "10.0.0.1"]]}}
    call_command("loaddata", write_fixture(tmp_path / "b.json", SELECTIVE, value), stdout=io.StringIO())
    [status] = sent(received, "switch_status_updated")
    assert (status["old_status"], status["status"]) == (DISABLED, SELECTIVE)
    [added] = sent(received, "switch_condition_added")
    assert added["condition"] == {
        "condition_set_id": IP,
        "field_name": "ip_address",
        "value": "10.0.0.1",
        "exclude": False,
        "mode": "i",
    }


@pytest.mark.django_db
def test_add_switch_and_remove_switch_commands_send_signals(received):
    call_command("add_switch", "f", stdout=io.StringIO())
    call_command("add_switch", "f", "--disabled", stdout=io.StringIO())
    call_command("remove_switch", "f", stdout=io.StringIO())

    assert [name for name, _ in received] == ["switch_added", "switch_status_updated", "switch_deleted"]
    status = sent(received, "switch_status_updated")[0]
    assert (status["old_status"], status["status"]) == (GLOBAL, DISABLED)


@pytest.mark.django_db
def test_made_by_attributes_the_request_in_signals(received):
    request = ip_request()
    with made_by(request):
        switch = Switch.objects.create(key="f", status=SELECTIVE)
        switch.add_condition(gargoyle, IP, "percent", "0-50")
        Switch.objects.filter(key="f").update(status=GLOBAL)
        switch.delete()
    Switch.objects.create(key="g")

    assert [name for name, _ in received] == [
        "switch_added",
        "switch_condition_added",
        "switch_status_updated",
        "switch_deleted",
        "switch_added",
    ]
    assert [kw["request"] for _, kw in received] == [request, request, request, request, None]


# -- every write path moves the version and is seen at once ---------------------------------

ON_FOR_REQUEST = {"status": SELECTIVE, "value": {"ip": {"ip_address": [["i", "10.0.0.1"]]}}}


def _save(tmp_path):
    switch = Switch.objects.get(key="f")
    switch.status = GLOBAL
    switch.save()


def _bulk_update(tmp_path):
    switch = Switch.objects.get(key="f")
    switch.status = GLOBAL
    Switch.objects.bulk_update([switch], ["status"])


def _loaddata(tmp_path):
    call_command("loaddata", write_fixture(tmp_path / "f.json", GLOBAL, {}), stdout=io.StringIO())


WRITE_PATHS = [
    pytest.param(None, lambda p: Switch.objects.create(key="f", status=GLOBAL), True, id="create"),
    pytest.param(None, lambda p: Switch.objects.bulk_create([Switch(key="f", status=GLOBAL)]), True, id="bulk_create"),
    pytest.param(None, _loaddata, True, id="loaddata"),
    pytest.param(None, lambda p: call_command("add_switch", "f", stdout=io.StringIO()), True, id="add_switch"),
    pytest.param({"status": DISABLED}, _save, True, id="save"),
    pytest.param(
        {"status": DISABLED}, lambda p: Switch.objects.filter(key="f").update(status=GLOBAL), True, id="update"
    ),
    pytest.param({"status": DISABLED}, _bulk_update, True, id="bulk_update"),
    pytest.param(
        {"status": SELECTIVE},
        lambda p: gargoyle["f"].add_condition(condition_set=IP, field_name="ip_address", condition="10.0.0.1"),
        True,
        id="add_condition",
    ),
    pytest.param(
        ON_FOR_REQUEST,
        lambda p: Switch.objects.get(key="f").remove_condition(gargoyle, IP, "ip_address", "10.0.0.1"),
        False,
        id="remove_condition",
    ),
    pytest.param(
        ON_FOR_REQUEST,
        lambda p: Switch.objects.get(key="f").clear_conditions(gargoyle, IP),
        False,
        id="clear_conditions",
    ),
    pytest.param({"status": GLOBAL}, lambda p: Switch.objects.get(key="f").delete(), False, id="delete"),
    pytest.param({"status": GLOBAL}, lambda p: Switch.objects.filter(key="f").delete(), False, id="queryset_delete"),
    pytest.param(
        {"status": GLOBAL},
        lambda p: call_command("remove_switch", "f", stdout=io.StringIO()),
        False,
        id="remove_switch",
    ),
]


def check_write_path(initial, write, active_after, tmp_path):
    if initial is None:
        assert "f" not in gargoyle
    else:
        Switch.objects.create(key="f", **initial)
        assert gargoyle.is_active("f", ip_request()) is not active_after
    version = read_db_version()

    write(tmp_path)

    assert read_db_version() != version
    assert gargoyle.is_active("f", ip_request()) is active_after


@pytest.mark.django_db
@pytest.mark.parametrize(("initial", "write", "active_after"), WRITE_PATHS)
def test_every_write_path_is_seen_at_once_inside_a_transaction(initial, write, active_after, tmp_path):
    check_write_path(initial, write, active_after, tmp_path)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("initial", "write", "active_after"), WRITE_PATHS)
def test_every_write_path_is_seen_at_once_when_committed(initial, write, active_after, tmp_path):
    check_write_path(initial, write, active_after, tmp_path)


# -- conditions as gargoyle-yplan's code added them --------------------------------------------


@pytest.mark.django_db
@override_settings(INTERNAL_IPS=["10.0.0.1"])
def test_an_empty_boolean_condition_means_true_as_gargoyle_yplan_tests_added_it():
    switch = Switch.objects.create(key="f", status=SELECTIVE)
    switch.add_condition(gargoyle, IP, "internal_ip", "")

    assert stored_value("f") == {"ip": {"internal_ip": [["i", "1"]]}}
    assert gargoyle.is_active("f", RequestFactory().get("/", REMOTE_ADDR="10.0.0.1"))
    assert not gargoyle.is_active("f", RequestFactory().get("/", REMOTE_ADDR="10.0.0.2"))


@pytest.mark.django_db
def test_an_empty_email_condition_matches_users_without_one_and_never_anonymous(django_user_model):
    from django.contrib.auth.models import AnonymousUser

    switch = Switch.objects.create(key="f", status=SELECTIVE)
    switch.add_condition(gargoyle, USER, "email", "")
    switch.add_condition(gargoyle, USER, "username", "")

    assert stored_value("f") == {"auth.user": {"email": [["i", ""]], "username": [["i", ""]]}}
    assert gargoyle.is_active("f", django_user_model.objects.create(username="erin", email=""))
    assert not gargoyle.is_active("f", django_user_model.objects.create(username="alice", email="a@example.com"))
    assert not gargoyle.is_active("f", AnonymousUser())
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert not gargoyle.is_active("f", request)


@pytest.mark.django_db
def test_a_switch_with_an_odd_stored_status_can_still_be_edited_but_not_given_one():
    from django.db import connection

    Switch.objects.create(key="odd", status=SELECTIVE, value={"auth.user": {"username": [["i", "alice"]]}})
    with connection.cursor() as cursor:  # as gargoyle-yplan could leave it
        cursor.execute("UPDATE gargoyle_switch SET status = 7 WHERE key = 'odd'")
    gargoyle.refresh()

    switch = Switch.objects.get(key="odd")
    assert switch.get_status_label() == "Unknown status 7: evaluated as Selective"
    switch.label = "Odd one"
    switch.save()
    gargoyle["odd"].add_condition(USER, "username", "bob")
    stored = Switch.objects.get(key="odd")
    assert (stored.status, stored.label) == (7, "Odd one")
    assert stored.value == {"auth.user": {"username": [["i", "alice"], ["i", "bob"]]}}

    stored.status = 9
    with pytest.raises(ValidationError, match="status: 9 is not a switch status"):
        stored.save()
    assert Switch.objects.get(key="odd").status == 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"key": "\ud800"}, "key"),
        ({"key": "f", "label": "\udcff"}, "label"),
        ({"key": "f", "description": "\ud800"}, "description"),
    ],
)
def test_text_that_is_not_text_is_refused_naming_the_field(fields, named):
    with pytest.raises(ValidationError, match=f"{named}: contains a character that is not text"):
        Switch(**fields).save()
    assert not Switch.objects.exists()


@pytest.mark.django_db
def test_a_condition_that_is_not_text_is_refused_and_stores_nothing():
    Switch.objects.create(key="f", status=SELECTIVE)
    with pytest.raises(ValidationError, match="Username: contains a character that is not text"):
        gargoyle["f"].add_condition(USER, "username", "\ud800")
    assert stored_value("f") == {}
