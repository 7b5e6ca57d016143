"""GARGOYLE_SWITCHES and ``manage.py sync_switches``: the dry run, --check, --apply, --update,
the history's actor, invalid declarations (nothing written) and the system check gargoyle.E028."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import override_settings

from gargoyle import declarations
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, REQUIRE, SELECTIVE
from gargoyle.declarations import check_declared_switches
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

ROW = ("key", "label", "description", "status", "value")

DECLARED = {
    "new_checkout": {
        "status": "selective",
        "label": "New checkout",
        "value": {"auth.user": {"percent": [["i", "0-10"]]}, "ip": {"ip_address": [["e", "10.0.0.0/8"]]}},
    },
    "payments_kill_switch": {"status": GLOBAL, "label": "Payments"},
}


def sync(*args, **options):
    out = io.StringIO()
    call_command("sync_switches", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def rows():
    return {values[0]: values for values in Switch.objects.order_by("key").values_list(*ROW)}


def history():
    return list(SwitchChange.objects.order_by("id").values_list("switch_key", "via", "note", "user", "summary"))


# -- the dry run -----------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_the_dry_run_prints_what_it_would_create_and_writes_nothing():
    output = sync()

    assert output.splitlines() == [
        "new_checkout: to create",
        "    status: Selective",
        '    label: "New checkout"',
        "    conditions: + User: Percent 10% (0-10)",
        "    conditions: + exclude IP Address: 10.0.0.0/8",
        "payments_kill_switch: to create",
        "    status: Global",
        '    label: "Payments"',
        "Dry run, nothing written: 2 to create, 0 differ, 0 in sync. Run with --apply to write.",
    ]
    assert rows() == {} and history() == []


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_check_fails_while_a_declared_switch_is_missing_and_passes_once_applied():
    with pytest.raises(CommandError, match=r"2 declared switches to write: new_checkout, payments_kill_switch"):
        sync("--check")
    assert rows() == {}

    sync("--apply")
    assert "in sync" in sync("--check")


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES={})
def test_an_empty_setting_says_so_and_lists_no_switch_as_declared():
    Switch.objects.create(key="legacy", status=GLOBAL)

    output = sync("--check", verbosity=2)

    assert "GARGOYLE_SWITCHES declares no switch." in output
    assert "Not declared, left alone: 1 switch: legacy." in output


# -- --apply and --update ---------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_apply_creates_the_switches_as_declared_and_they_answer_so():
    output = sync("--apply")

    assert "new_checkout: created" in output and "payments_kill_switch: created" in output
    assert output.splitlines()[-1] == "2 created, 0 updated, 0 differ, left as stored, 0 in sync."
    assert rows() == {
        "new_checkout": ("new_checkout", "New checkout", None, SELECTIVE, DECLARED["new_checkout"]["value"]),
        "payments_kill_switch": ("payments_kill_switch", "Payments", None, GLOBAL, {}),
    }
    assert gargoyle.is_active("payments_kill_switch") is True


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_the_history_says_sync_switches_made_each_change():
    sync("--apply")

    assert history() == [
        ("new_checkout", "sync_switches", "declared in GARGOYLE_SWITCHES", None, "added (Selective)"),
        ("payments_kill_switch", "sync_switches", "declared in GARGOYLE_SWITCHES", None, "added (Global)"),
    ]


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_a_second_run_says_in_sync_and_writes_nothing():
    sync("--apply")
    before, recorded = rows(), history()

    output = sync("--apply", "--update")

    assert output.splitlines() == [
        "new_checkout: in sync",
        "payments_kill_switch: in sync",
        "0 created, 0 updated, 2 in sync.",
    ]
    assert rows() == before and history() == recorded


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_apply_leaves_a_kill_switch_flipped_in_the_panel_and_shows_its_drift():
    sync("--apply")
    switch = Switch.objects.get(key="payments_kill_switch")
    switch.status = DISABLED  # an incident: someone turned payments off in the panel
    switch.save()
    recorded = history()

    output = sync("--apply")

    assert (
        "payments_kill_switch: differs, left as stored (--update changes it)\n    status: Disabled -> Global" in output
    )
    assert "0 created, 0 updated, 1 differs, left as stored, 1 in sync." in output
    assert Switch.objects.get(key="payments_kill_switch").status == DISABLED
    assert history() == recorded
    assert "payments_kill_switch" in sync("--check")  # drift alone does not fail --check...
    with pytest.raises(CommandError, match="1 declared switch to write: payments_kill_switch"):
        sync("--check", "--update")  # ...unless --apply --update would change it


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_update_brings_a_switch_to_its_declaration_field_by_field_and_keeps_the_rest():
    Switch.objects.create(
        key="new_checkout",
        status=GLOBAL,
        label="Checkout",
        description="Written in the panel",  # not declared: not managed
        value={"auth.user": {"percent": [["i", "0-50"]]}, "ip": {"ip_address": [["e", "10.0.0.0/8"]]}},
    )

    dry_run = sync("--update")
    assert dry_run.splitlines()[:6] == [
        "new_checkout: to update",
        "    status: Global -> Selective",
        '    label: "Checkout" -> "New checkout"',
        "    conditions: + User: Percent 10% (0-10)",
        "    conditions: - User: Percent 50% (0-50)",
        "payments_kill_switch: to create",
    ]
    assert rows()["new_checkout"][3] == GLOBAL

    sync("--apply", "--update")

    assert rows()["new_checkout"] == (
        "new_checkout",
        "New checkout",
        "Written in the panel",
        SELECTIVE,
        DECLARED["new_checkout"]["value"],
    )
    entry = SwitchChange.objects.filter(switch_key="new_checkout").latest("id")
    assert (entry.via, entry.user) == ("sync_switches", None)
    assert entry.summary.startswith("status Global → Selective; label changed to “New checkout”")


@pytest.mark.django_db
@override_settings(
    GARGOYLE_SWITCHES={"beta": {"status": 2, "value": {"auth.user": {"is_staff": [["i", "1"]], "percent": []}}}}
)
def test_the_same_conditions_in_another_order_are_in_sync():
    Switch.objects.create(key="beta", status=SELECTIVE, value={"auth.user": {"is_staff": [["i", "1"], ["i", "1"]]}})

    assert sync("--check", "--update").splitlines()[0] == "beta: in sync"


@pytest.mark.django_db
def test_a_pasted_export_entry_and_required_conditions_are_declarations(tmp_path):
    Switch.objects.create(
        key="staff_in_germany",
        status=SELECTIVE,
        label="Staff in Germany",
        value={"auth.user": {"is_staff": [[REQUIRE, "1"]], "username": [["i", "alice"]]}},
    )
    call_command("export_switches", "-o", str(tmp_path / "export.json"), stderr=io.StringIO())
    exported = json.loads((tmp_path / "export.json").read_text())["switches"][0]
    Switch.objects.all().delete()

    with override_settings(GARGOYLE_SWITCHES={"staff_in_germany": exported}):
        assert "    conditions: + required User: " in sync()
        sync("--apply")

    assert rows()["staff_in_germany"] == tuple(exported[name] for name in ROW)


@pytest.mark.django_db
@override_settings(
    GARGOYLE_SWITCHES={"born": {"status": INHERIT}},
    GARGOYLE_SWITCH_DEFAULTS={"born": {"is_active": True, "label": "From the defaults"}},
)
def test_a_created_switch_takes_what_it_does_not_declare_from_the_switch_defaults():
    assert '    label: "From the defaults"' in sync()

    sync("--apply")

    assert rows()["born"][1:4] == ("From the defaults", None, INHERIT)  # the declared status wins
    assert "born: in sync" in sync()


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES={"declared": {"status": "global"}})
def test_switches_not_declared_are_never_deleted_and_are_listed_with_verbosity_2():
    Switch.objects.create(key="zeta", status=GLOBAL)
    Switch.objects.create(key="alpha", status=DISABLED)

    output = sync("--apply", "--update")
    assert "Not declared, left alone: 2 switches (--verbosity 2 lists them)." in output
    assert "Not declared, left alone: 2 switches: alpha, zeta." in sync(verbosity=2)
    assert set(rows()) == {"alpha", "declared", "zeta"}


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_json_format_lists_each_switch_its_state_action_and_changes():
    Switch.objects.create(key="payments_kill_switch", status=DISABLED, label="Payments")
    Switch.objects.create(key="other", status=GLOBAL)

    document = json.loads(sync("--format", "json"))

    assert document["applied"] is False and document["update"] is False
    assert document["notDeclared"] == ["other"]
    by_key = {switch["key"]: switch for switch in document["switches"]}
    assert by_key["payments_kill_switch"] == {
        "key": "payments_kill_switch",
        "state": "differs",
        "action": None,
        "changes": [{"field": "status", "old": DISABLED, "new": GLOBAL}],
    }
    assert (by_key["new_checkout"]["state"], by_key["new_checkout"]["action"]) == ("missing", "create")


# -- invalid declarations: a CommandError, and nothing written ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("declared", "message"),
    [
        pytest.param(
            {"status": 7}, r"GARGOYLE_SWITCHES\['new_checkout'\]: status: 7 is not a switch status", id="status"
        ),
        pytest.param({"status": "on"}, r"status: 'on' is not a switch status", id="status-name"),
        pytest.param({"label": "x"}, r"\['new_checkout'\]: status: missing", id="no-status"),
        pytest.param(
            {"status": 2, "value": {"billing.plan": {"plan": [["i", "pro"]]}}},
            r"\['new_checkout'\]: value: No registered condition set stores conditions under 'billing.plan'",
            id="unknown-condition-set",
        ),
        pytest.param(
            {"status": 2, "value": {"auth.user": {"shoe_size": [["i", "42"]]}}},
            r"\['new_checkout'\]: value: auth.user has no field 'shoe_size'",
            id="unknown-field",
        ),
        pytest.param(
            {"status": 2, "value": {"auth.user": {"percent": [["i", "50-10"]]}}},
            r"\['new_checkout'\]: value: Percent: ",
            id="bad-condition",
        ),
        pytest.param(
            {"status": 2, "value": {"auth.user": {"percent": [["x", "0-10"]]}}},
            r"\['new_checkout'\]: value: .* is not an \[\"i\", \"e\" or \"r\", condition\] pair",
            id="bad-mode",
        ),
        pytest.param({"is_active": True}, r"unknown fields \['is_active'\] \(is_active and initial_status", id="field"),
        pytest.param({"status": 1, "key": "other"}, r"key: 'other' is not the key it is declared under", id="key"),
        pytest.param({"status": 1, "label": "L" * 65}, r"label: a label is text of at most 64", id="label"),
        pytest.param(
            {"status": 1, "value": {"ip": {"ip_address": {"10.0.0.1"}}}}, r"cannot be stored as JSON", id="set"
        ),
        pytest.param("global", r"a declaration is a dict", id="not-a-dict"),
    ],
)
def test_an_invalid_declaration_names_the_key_and_the_problem_and_writes_nothing(declared, message):
    Switch.objects.create(key="payments_kill_switch", status=DISABLED, label="Old")
    before, recorded = rows(), history()

    setting = {"new_checkout": declared, "payments_kill_switch": {"status": "global"}, "fine": {"status": 1}}
    with override_settings(GARGOYLE_SWITCHES=setting), pytest.raises(CommandError, match=message) as raised:
        sync("--apply", "--update")

    assert str(raised.value).startswith("Nothing was written:")
    assert rows() == before and history() == recorded


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "message"),
    [
        pytest.param(
            ["new_checkout"], r"GARGOYLE_SWITCHES: must be a dict of \{key: declaration\}, not list", id="list"
        ),
        pytest.param({"k" * 65: {"status": 1}}, r"key: a switch key is 1 to 64 characters", id="long-key"),
        pytest.param({"  ": {"status": 1}}, r"GARGOYLE_SWITCHES\['  '\]: key: a switch key", id="blank-key"),
    ],
)
def test_a_bad_setting_or_key_is_refused_and_nothing_is_written(setting, message):
    with override_settings(GARGOYLE_SWITCHES=setting), pytest.raises(CommandError, match=message):
        sync("--apply")

    assert rows() == {}


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_the_writes_are_one_transaction(monkeypatch):
    """A write the database refuses halfway rolls back the switches written before it."""
    Switch.objects.create(key="payments_kill_switch", status=DISABLED)
    before, recorded = rows(), history()
    write = declarations._write

    def refuse_the_second(declaration, state):
        if declaration.key == "payments_kill_switch":
            from django.db import IntegrityError

            raise IntegrityError("refused")
        write(declaration, state)

    monkeypatch.setattr(declarations, "_write", refuse_the_second)
    with pytest.raises(CommandError, match="Nothing was written:\n  - The database refused it: refused"):
        sync("--apply", "--update")

    assert rows() == before and history() == recorded


# -- the system check --------------------------------------------------------------------------------


@override_settings(GARGOYLE_SWITCHES={"bad": {"status": 9}, "fine": {"status": "global"}, "": {"status": 1}})
def test_the_check_reports_each_malformed_declaration_as_e028_without_a_query():
    messages = check_declared_switches()  # no django_db mark: a query would fail the test

    assert [(message.id, message.hint) for message in messages] == [
        ("gargoyle.E028", "settings.GARGOYLE_SWITCHES['bad']"),
        ("gargoyle.E028", "settings.GARGOYLE_SWITCHES['']"),
    ]
    assert "status: 9 is not a switch status" in messages[0].msg


@override_settings(GARGOYLE_SWITCHES=DECLARED)
def test_valid_declarations_pass_the_check():
    assert check_declared_switches() == []


@override_settings(GARGOYLE_SWITCHES={"x": {"status": 2, "value": {"billing.plan": {"plan": [["i", "pro"]]}}}})
def test_the_check_reads_the_shape_only_and_leaves_condition_sets_to_the_command():
    assert check_declared_switches() == []


@pytest.mark.django_db
@override_settings(GARGOYLE_SWITCHES={"x": {"status": 2, "value": "on"}})
def test_a_malformed_setting_stops_the_command_at_the_system_checks():
    with pytest.raises(SystemCheckError, match=r"gargoyle.E028.*value: conditions must be a JSON object"):
        call_command("sync_switches", skip_checks=False, stdout=io.StringIO(), stderr=io.StringIO())
    assert rows() == {}
