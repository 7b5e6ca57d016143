"""System checks for gargoyle's settings and stored switches, and how a broken switch evaluates."""

import io
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory, override_settings

from gargoyle._conf import get_settings
from gargoyle.builtins import HostConditionSet
from gargoyle.checks import check_settings, check_stored_switches, check_switch_defaults
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch


def ids(messages):
    return [message.id for message in messages]


def run_check():
    """``manage.py check``: return what it printed, raise SystemCheckError on errors."""
    out, err = io.StringIO(), io.StringIO()
    call_command("check", databases=["default"], stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


# -- GARGOYLE_SWITCH_DEFAULTS ----------------------------------------------------------------


@override_settings(GARGOYLE_SWITCH_DEFAULTS={"f": {"is_active": True, "initial_status": DISABLED}})
@pytest.mark.django_db
def test_a_default_with_both_is_active_and_initial_status_is_warned_about():
    assert ids(check_switch_defaults()) == ["gargoyle.001"]
    output = run_check()  # a warning does not stop manage.py
    assert "gargoyle.001" in output and "'f'" in output


@override_settings(
    GARGOYLE_SWITCH_DEFAULTS={
        "a": {"is_active": True, "label": "A", "description": "About a"},
        "b": {"initial_status": SELECTIVE},
        "c": {},
    }
)
@pytest.mark.django_db
def test_valid_defaults_pass_the_checks():
    assert check_switch_defaults() == []
    assert "gargoyle" not in run_check()


@pytest.mark.parametrize(
    "defaults",
    [
        pytest.param(["f"], id="not-a-dict"),
        pytest.param({"f": True}, id="entry-not-a-dict"),
        pytest.param({"f": {"is_active": "yes"}}, id="is_active-not-bool"),
        pytest.param({"f": {"initial_status": 9}}, id="bad-initial_status"),
        pytest.param({"f": {"initial_status": True}}, id="bool-initial_status"),
        pytest.param({"f": {"is_active": False, "label": "L" * 65}}, id="label-too-long"),
        pytest.param({"f": {"label": 5}}, id="label-not-text"),
        pytest.param({"f": {"description": "a\x00b"}}, id="description-with-nul"),
        pytest.param({"f": {"description": ["x"]}}, id="description-not-text"),
        pytest.param({"f": {"is_activ": True}}, id="unknown-entry"),
        pytest.param({"k" * 65: {"is_active": True}}, id="key-too-long"),
        pytest.param({"": {"is_active": True}}, id="empty-key"),
    ],
)
@pytest.mark.django_db
def test_malformed_defaults_are_errors(defaults):
    with override_settings(GARGOYLE_SWITCH_DEFAULTS=defaults):
        assert "gargoyle.E002" in ids(check_switch_defaults())
        with pytest.raises(SystemCheckError, match=r"gargoyle\.E002"):
            run_check()


# -- cache name and check interval -----------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_cache_name_is_an_error():
    with override_settings(GARGOYLE_CACHE_NAME="nope"):
        assert ids(check_settings()) == ["gargoyle.E003"]
        with pytest.raises(SystemCheckError, match=r"gargoyle\.E003"):
            run_check()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_cache_name_does_not_break_evaluation():
    Switch.objects.create(key="on", status=GLOBAL)
    assert gargoyle.is_active("on") is True
    with override_settings(GARGOYLE_CACHE_NAME="nope"):
        assert gargoyle.is_active("on") is True
        Switch.objects.filter(key="on").update(status=DISABLED)
        assert gargoyle.is_active("on", default=True) is False


@pytest.mark.parametrize("interval", ["5", -1, True, None, float("nan"), float("inf"), 10**400])
def test_a_bad_check_interval_is_an_error_and_the_default_applies(interval):
    with override_settings(GARGOYLE_CHECK_INTERVAL=interval):
        assert ids(check_settings()) == ["gargoyle.E004"]
        assert get_settings().check_interval == 5.0  # NaN would mean: never look for changes again


@pytest.mark.parametrize("timeout", [10**400, float("-inf")])
def test_a_huge_or_infinite_cache_timeout_is_an_error_not_a_crash(timeout):
    with override_settings(GARGOYLE_CACHE_TIMEOUT=timeout):
        assert ids(check_settings()) == ["gargoyle.E009"]
        assert get_settings().cache_timeout == 0.25


@pytest.mark.parametrize("name", [["default"], None, 5])
def test_a_cache_name_that_is_not_text_is_an_error_not_a_crash(name):
    with override_settings(GARGOYLE_CACHE_NAME=name):
        assert ids(check_settings()) == ["gargoyle.E003"]
        assert get_settings().cache_name == "default"


@pytest.mark.parametrize("interval", [0, 2.5, 30])
def test_a_valid_check_interval_passes(interval):
    with override_settings(GARGOYLE_CHECK_INTERVAL=interval):
        assert check_settings() == []


# -- stored switches that cannot be evaluated -------------------------------------------------

CORRUPT_VALUES = [
    pytest.param("not an object", id="not-an-object"),
    pytest.param(["i", "0-50"], id="a-list"),
    pytest.param({"nope": {"x": [["i", "1"]]}}, id="unregistered-namespace"),
    pytest.param({"ip": {"colour": [["i", "red"]]}}, id="unknown-field"),
    pytest.param({"ip": {"percent": [["i", "50-10"]]}}, id="invalid-percent"),
    pytest.param({"ip": {"percent": "0-50"}}, id="entries-not-a-list"),
    pytest.param({"ip": {"percent": [["x", "0-50"]]}}, id="bad-mode"),
    pytest.param({"ip": {"ip_address": [["i", 10]]}}, id="condition-not-a-string"),
]


@pytest.fixture
def healthy():
    Switch.objects.create(key="on", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="by-ip", status=SELECTIVE, value={"ip": {"ip_address": [["i", "10.0.0.1"]]}})
    Switch.objects.create(key="broken", status=SELECTIVE, value={"ip": {"ip_address": [["i", "10.0.0.1"]]}})


def assert_healthy_switches_work():
    assert gargoyle.is_active("on") is True
    assert gargoyle.is_active("off", default=True) is False
    assert gargoyle.is_active("by-ip", RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")) is True
    assert gargoyle.is_active("by-ip", RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")) is False


@pytest.mark.django_db
@pytest.mark.parametrize("value", CORRUPT_VALUES)
def test_a_corrupt_stored_switch_is_reported_and_answers_its_default(healthy, value):
    assert check_stored_switches(databases=["default"]) == []
    Switch.objects.filter(key="broken").update(value=value)

    messages = check_stored_switches(databases=["default"])
    assert [(m.id, m.obj) for m in messages] == [("gargoyle.W005", "broken")]
    assert "broken" in run_check()
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    assert gargoyle.is_active("broken", request, default=True) is True
    assert gargoyle.is_active("broken", request, default=False) is False
    assert_healthy_switches_work()


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "answer"), [(GLOBAL, True), (DISABLED, False)])
def test_corrupt_conditions_of_a_switch_that_is_not_selective_are_reported_too(healthy, status, answer):
    Switch.objects.filter(key="broken").update(value=CORRUPT_VALUES[0].values[0], status=status)

    [message] = check_stored_switches(databases=["default"])
    assert (message.id, message.obj) == ("gargoyle.W005", "broken")
    assert "if made Selective" in message.msg
    assert gargoyle.is_active("broken", default=not answer) is answer  # its status still decides


@pytest.mark.django_db
def test_a_condition_set_that_is_no_longer_registered_affects_only_its_switches(healthy):
    Switch.objects.filter(key="broken").update(value={"host": {"hostname": [["i", "somewhere"]]}})
    assert check_stored_switches(databases=["default"]) == []

    gargoyle.unregister(HostConditionSet)
    try:
        [message] = check_stored_switches(databases=["default"])
        assert (message.id, message.obj) == ("gargoyle.W005", "broken")
        assert "host" in message.msg
        assert gargoyle.is_active("broken", default=True) is True
        assert gargoyle.is_active("broken", default=False) is False
        assert_healthy_switches_work()
    finally:
        gargoyle.register(HostConditionSet)
    assert check_stored_switches(databases=["default"]) == []


@pytest.mark.django_db
def test_a_corrupt_switch_is_logged_once(healthy, caplog):
    Switch.objects.filter(key="broken").update(value="not an object")

    with caplog.at_level(logging.WARNING, logger="gargoyle"):
        for _ in range(3):
            gargoyle.is_active("broken")

    assert len([record for record in caplog.records if "broken" in record.getMessage()]) == 1


@pytest.mark.parametrize("tokens", [["token"], {"short": "alice"}, {"x" * 40: 5}, {"é" * 40: "alice"}])
def test_api_tokens_must_be_long_and_name_users(tokens):
    from gargoyle.checks import check_settings

    with override_settings(GARGOYLE_API_TOKENS=tokens):
        assert [message.id for message in check_settings()] == ["gargoyle.E006"]
    with override_settings(GARGOYLE_API_TOKENS={"x" * 40: "alice"}):
        assert check_settings() == []


@pytest.mark.django_db
def test_a_plain_check_reads_no_switch_and_runs_no_query(healthy, django_assert_num_queries):
    Switch.objects.filter(key="broken").update(value="not an object")
    from django.core import checks

    with django_assert_num_queries(0):
        plain = checks.run_checks()
    assert "gargoyle.W005" not in ids(plain)

    asked = checks.run_checks(databases=["default"], tags=[checks.Tags.database])
    assert [(m.id, m.obj) for m in asked if m.id == "gargoyle.W005"] == [("gargoyle.W005", "broken")]


# -- OFREP and the OpenFeature provider (gargoyle.E022, E023) ------------------------------------


def _open_standards_ids() -> list[str]:
    from gargoyle.checks import check_open_standards

    return [message.id for message in check_open_standards()]


@pytest.mark.parametrize("keys", ["checkout", [1, 2], {"checkout": True}, None])
def test_client_switches_that_are_not_a_list_of_keys_are_an_error_and_show_browsers_nothing(keys):
    with override_settings(GARGOYLE_CLIENT_SWITCHES=keys):
        assert _open_standards_ids() == ["gargoyle.E022"]
        assert get_settings().client_switches == frozenset()


@pytest.mark.parametrize(
    "hook",
    [
        "no_dots",
        "tests.no_such_module.subjects",
        "gargoyle.contexts.USER_ATTRIBUTES",  # imports, but is no function
        42,
    ],
)
def test_a_context_subjects_hook_that_cannot_be_called_is_an_error_and_gargoyle_s_own_mapping_applies(hook):
    from gargoyle.contexts import context_subjects_function, default_subjects

    with override_settings(GARGOYLE_CONTEXT_SUBJECTS=hook):
        assert _open_standards_ids() == ["gargoyle.E023"]
        assert context_subjects_function() is default_subjects


@pytest.mark.parametrize("hook", [None, "gargoyle.contexts.default_subjects", lambda context: []])
def test_valid_open_standards_settings_pass(hook):
    with override_settings(GARGOYLE_CLIENT_SWITCHES=("checkout", "search"), GARGOYLE_CONTEXT_SUBJECTS=hook):
        assert _open_standards_ids() == []
        assert get_settings().client_switches == {"checkout", "search"}
