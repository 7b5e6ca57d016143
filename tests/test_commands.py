"""The management commands: add_switch, remove_switch, list_switches, export_switches, import_switches."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory, override_settings

from gargoyle.manager import gargoyle
from gargoyle.models import DISABLED, GLOBAL, INHERIT, SELECTIVE, Switch

ROW = ("key", "label", "description", "status", "value")


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def rows():
    return {values[0]: values for values in Switch.objects.values_list(*ROW)}


def ip_request(address):
    return RequestFactory().get("/", REMOTE_ADDR=address)


@pytest.fixture
def switches():
    """A few switches of every kind, with conditions in two condition sets."""
    Switch.objects.create(key="global", status=GLOBAL, label="Everyone", description="On for all")
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="global:child", status=INHERIT, label="Child")
    Switch.objects.create(
        key="selective",
        status=SELECTIVE,
        label="Some",
        value={
            "ip": {"ip_address": [["i", "10.0.0.1"], ["e", "10.0.0.2"]], "percent": [["i", "0-12.5"]]},
            "auth.user": {"username": [["i", "alice"]], "is_staff": [["e", "1"]]},
        },
    )
    return rows()


# -- add_switch / remove_switch ----------------------------------------------------------------


@pytest.mark.django_db
def test_add_switch_creates_a_global_switch():
    run("add_switch", "feature")

    assert Switch.objects.get(key="feature").status == GLOBAL
    assert gargoyle.is_active("feature") is True


@pytest.mark.django_db
def test_add_switch_disabled_creates_a_disabled_switch():
    run("add_switch", "feature", "--disabled")

    assert Switch.objects.get(key="feature").status == DISABLED
    assert gargoyle.is_active("feature", default=True) is False


@pytest.mark.django_db
@override_settings(
    GARGOYLE_SWITCH_DEFAULTS={"feature": {"is_active": False, "label": "Feature", "description": "What it does"}}
)
def test_add_switch_takes_label_and_description_from_the_switch_defaults():
    assert "created" in run("add_switch", "feature")

    switch = Switch.objects.get(key="feature")
    assert (switch.status, switch.label, switch.description) == (GLOBAL, "Feature", "What it does")
    assert "unchanged" in run("add_switch", "feature")
    assert "updated" in run("add_switch", "feature", "--disabled")


@pytest.mark.django_db
def test_add_switch_sets_the_status_of_an_existing_switch_and_keeps_the_rest(switches):
    run("add_switch", "selective")
    assert rows()["selective"] == (*switches["selective"][:3], GLOBAL, switches["selective"][4])

    run("add_switch", "selective", "--disabled")
    assert rows()["selective"] == (*switches["selective"][:3], DISABLED, switches["selective"][4])
    assert {key: row for key, row in rows().items() if key != "selective"} == {
        key: row for key, row in switches.items() if key != "selective"
    }


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["k" * 65, "  "], ids=["too-long", "blank"])
def test_add_switch_refuses_a_bad_key_and_writes_nothing(switches, key):
    with pytest.raises(CommandError, match="key"):
        run("add_switch", key)

    assert rows() == switches


@pytest.mark.django_db
def test_remove_switch_removes_only_that_switch(switches):
    run("remove_switch", "off")

    assert set(rows()) == set(switches) - {"off"}
    assert "off" not in gargoyle


@pytest.mark.django_db
def test_remove_switch_of_an_unknown_key_says_so_and_changes_nothing(switches):
    output = run("remove_switch", "nope")

    assert "nope" in output
    assert rows() == switches


# -- list_switches ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_switches_shows_status_and_meaning(switches):
    Switch.objects.create(key="empty", status=SELECTIVE)
    lines = {line.split()[0]: line for line in run("list_switches").splitlines()[1:]}

    assert set(lines) == {"empty", "global", "global:child", "off", "selective"}
    assert "Global" in lines["global"]
    assert "Disabled" in lines["off"]
    assert "off for everyone" in lines["empty"]
    assert "Active for conditions" in lines["selective"]
    assert "problem" not in run("list_switches")


@pytest.mark.django_db
def test_list_switches_json(switches):
    Switch.objects.create(key="empty", status=SELECTIVE)
    listed = {row["key"]: row for row in json.loads(run("list_switches", "--json"))}

    assert set(listed) == {"empty", "global", "global:child", "off", "selective"}
    assert listed["selective"]["conditions"] == 5
    assert listed["global"]["label"] == "Everyone"
    assert "off" in listed["empty"]["state"]
    assert listed["empty"]["state"] != listed["selective"]["state"]
    assert all(row["problem"] == "" for row in listed.values())


@pytest.mark.django_db
def test_list_switches_reports_switches_that_cannot_be_evaluated(switches):
    Switch.objects.filter(key="selective").update(value={"nope": {"x": [["i", "1"]]}})

    table = run("list_switches")
    listed = {row["key"]: row for row in json.loads(run("list_switches", "--json"))}

    [line] = [line for line in table.splitlines() if line.startswith("selective ")]
    assert "problem" in line and "nope" in line
    assert "nope" in listed["selective"]["problem"]
    assert listed["global"]["problem"] == ""


@pytest.mark.django_db
def test_list_switches_reports_unusable_conditions_of_a_switch_that_is_not_selective(switches):
    Switch.objects.filter(key="off").update(value={"nope": {"x": [["i", "1"]]}})

    listed = {row["key"]: row for row in json.loads(run("list_switches", "--json"))}
    assert "nope" in listed["off"]["problem"]
    assert listed["off"]["state"] == "Disabled for everyone"  # its status still decides


@pytest.mark.django_db
def test_list_switches_without_switches():
    assert "No switches" in run("list_switches")
    assert json.loads(run("list_switches", "--json")) == []


# -- export_switches -------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_switches_writes_every_switch_as_json(switches):
    document = json.loads(run("export_switches"))

    assert document["format"] == "gargoyle-switches"
    exported = {entry["key"]: tuple(entry[name] for name in ROW) for entry in document["switches"]}
    assert exported == switches


@pytest.mark.django_db
def test_export_switches_to_a_file(switches, tmp_path):
    path = tmp_path / "switches.json"
    output = run("export_switches", "--output", str(path))

    assert output == ""
    assert json.loads(path.read_text()) == json.loads(run("export_switches"))


# -- import_switches -------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_wipe_import_restores_every_switch(switches, tmp_path):
    path = tmp_path / "switches.json"
    run("export_switches", "--output", str(path))
    Switch.objects.all().delete()
    assert gargoyle.is_active("selective", ip_request("10.0.0.1")) is False

    run("import_switches", str(path))

    assert rows() == switches
    assert gargoyle.is_active("selective", ip_request("10.0.0.1")) is True
    assert gargoyle.is_active("selective", ip_request("10.0.0.2")) is False
    assert gargoyle.is_active("global:child") is True


@pytest.mark.django_db
def test_import_from_standard_input(switches, monkeypatch):
    document = json.loads(run("export_switches"))
    Switch.objects.all().delete()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(document)))

    run("import_switches", "-")

    assert rows() == switches


def document(*entries):
    return json.dumps({"format": "gargoyle-switches", "version": 1, "switches": list(entries)})


@pytest.mark.django_db
def test_import_updates_existing_switches_and_keeps_others(switches, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(document({"key": "off", "status": GLOBAL, "label": "Now on"}, {"key": "new", "status": DISABLED}))

    run("import_switches", str(path))

    after = rows()
    assert after["off"] == ("off", "Now on", None, GLOBAL, {})
    assert after["new"] == ("new", None, None, DISABLED, {})
    assert {key: after[key] for key in switches if key != "off"} == {k: v for k, v in switches.items() if k != "off"}
    assert gargoyle.is_active("off") is True


@pytest.mark.django_db
def test_import_replace_deletes_switches_not_in_the_file(switches, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(document({"key": "off", "status": GLOBAL}))

    run("import_switches", str(path), "--replace")

    assert list(rows()) == ["off"]
    assert "selective" not in gargoyle


@pytest.mark.django_db
def test_import_dry_run_writes_nothing(switches, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(document({"key": "off", "status": GLOBAL}, {"key": "new", "status": GLOBAL}))

    output = run("import_switches", str(path), "--dry-run", "--replace")

    assert "2" in output
    assert rows() == switches


VALID = [
    {"key": "off", "status": GLOBAL},
    {"key": "new", "status": SELECTIVE, "value": {"ip": {"percent": [["i", "0-50"]]}}},
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{not json", ["not JSON"], id="bad-json"),
        pytest.param(json.dumps({"format": "other", "version": 1, "switches": VALID}), ["format"], id="format"),
        pytest.param(json.dumps([VALID]), ["format"], id="not-an-object"),
        pytest.param(document(*VALID, {"key": "bad-status", "status": 7}), ["bad-status", "status"], id="status"),
        pytest.param(
            document(*VALID, {"key": "ns", "status": SELECTIVE, "value": {"nope": {"x": [["i", "1"]]}}}),
            ["'ns'", "nope"],
            id="unknown-namespace",
        ),
        pytest.param(
            document(*VALID, {"key": "pct", "status": SELECTIVE, "value": {"ip": {"percent": [["i", "50-10"]]}}}),
            ["'pct'", "Percent"],
            id="invalid-percent",
        ),
        pytest.param(
            document(*VALID, {"key": "field", "status": SELECTIVE, "value": {"ip": {"colour": [["i", "red"]]}}}),
            ["'field'", "colour"],
            id="unknown-field",
        ),
        pytest.param(document(*VALID, {"key": "off", "status": DISABLED}), ["'off'", "twice"], id="duplicate-key"),
        pytest.param(document(*VALID, {"key": "k" * 65, "status": GLOBAL}), ["k" * 65, "key"], id="key-too-long"),
        pytest.param(
            document(*VALID, {"key": "lbl", "status": GLOBAL, "label": "x" * 65}), ["'lbl'", "label"], id="label"
        ),
    ],
)
def test_an_invalid_document_is_refused_and_nothing_is_written(switches, tmp_path, text, expected):
    path = tmp_path / "in.json"
    path.write_text(text)

    with pytest.raises(CommandError) as error:
        run("import_switches", str(path), "--replace")

    for part in expected:
        assert part in str(error.value)
    assert rows() == switches
    assert gargoyle.is_active("off") is False


@pytest.mark.django_db
def test_every_problem_of_a_document_is_listed(switches, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(document({"key": "one", "status": 0}, *VALID, {"key": "two", "status": GLOBAL, "label": 5}))

    with pytest.raises(CommandError) as error:
        run("import_switches", str(path))

    assert "'one'" in str(error.value) and "status" in str(error.value)
    assert "'two'" in str(error.value) and "label" in str(error.value)
    assert rows() == switches


@pytest.mark.django_db
def test_import_of_a_missing_file_is_a_command_error(switches, tmp_path):
    with pytest.raises(CommandError, match=r"missing\.json"):
        run("import_switches", str(tmp_path / "missing.json"))

    assert rows() == switches


# -- odd arguments: a CommandError, never a traceback -------------------------------------------

NOT_UTF8 = "\udcff"  # what Python makes of the byte 0xff in a command line argument


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add_switch", NOT_UTF8), "key: contains a character that is not text"),
        (("remove_switch", NOT_UTF8), "No switch '\\udcff'; nothing removed."),
        (("upgrade_report", "--reviewed", NOT_UTF8), "No switch '\\udcff'; nothing was marked reviewed."),
        (("remove_switch", "a\x00b"), "nothing removed"),
    ],
)
def test_arguments_that_are_not_text_are_refused(args, message):
    Switch.objects.create(key="kept")
    with pytest.raises(CommandError) as error:
        run(*args)
    assert message in str(error.value)
    assert list(Switch.objects.values_list("key", "status")) == [("kept", DISABLED)]


@pytest.mark.django_db
def test_export_to_a_path_that_cannot_be_written_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="nothing was exported"):
        run("export_switches", "-o", str(tmp_path / "missing" / "switches.json"))
    with pytest.raises(CommandError, match="nothing was exported"):
        run("export_switches", "-o", str(tmp_path))


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCH_DEFAULTS={"promo": {"is_active": False, "label": "L" * 65}})
def test_add_switch_refused_by_the_model_is_a_command_error():
    with pytest.raises(CommandError, match="label: a label is text of at most 64 characters"):
        run("add_switch", "promo")
    assert not Switch.objects.exists()
