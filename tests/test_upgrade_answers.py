"""After the upgrade, every switch gargoyle-yplan stored answers as gargoyle-yplan 2.1.1 did,
or is reported, with what changed.

``tests/upgrade/yplan_answers.json`` holds gargoyle-yplan's own answers (``tox -e yplan``
checks that gargoyle-yplan still gives them); here the same rows go through this project's
migrations and are asked the same questions.
"""

import json
from pathlib import Path

import pytest
from django.test import override_settings

from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from tests.upgrade import fixture

GOLDEN = json.loads((Path(fixture.__file__).with_name("yplan_answers.json")).read_text(encoding="utf-8"))
YPLAN = GOLDEN["answers"]


def our_answers(checks):
    return {
        key: {
            name: gargoyle.is_active(key, *instances, default=default) for name, (instances, default) in checks.items()
        }
        for key, _status, _text in fixture.SWITCHES
    }


def differences(ours):
    """``{key: [subjects answered differently]}``; what gargoyle-yplan raised on is not compared."""
    return {
        key: [name for name, answer in YPLAN[key].items() if answer != fixture.ERROR and answer != ours[key][name]]
        for key in YPLAN
    }


def yplan_failed_everywhere(key):
    return all(answer == fixture.ERROR for answer in YPLAN[key].values())


def test_the_golden_answers_cover_every_fixture_switch_and_subject():
    assert set(YPLAN) == {key for key, _status, _text in fixture.SWITCHES}
    assert all(set(answers) == set(fixture.SUBJECTS) for answers in YPLAN.values())
    assert GOLDEN["gargoyle-yplan"] == "2.1.1"


@pytest.mark.parametrize("legacy_percent", [True, False], ids=["legacy-percent", "new-percent"])
def test_each_switch_answers_as_before_or_is_reported(upgraded, legacy_percent):
    with override_settings(GARGOYLE_LEGACY_PERCENT=legacy_percent):
        changed = differences(our_answers(upgraded))
        report = gargoyle.upgrade_changes()

    unannounced = {key: names for key, names in changed.items() if names and key not in report}
    assert unannounced == {}, "answers changed without the switch being reported"
    false_alarms = sorted(key for key in report if not changed[key] and not yplan_failed_everywhere(key))
    assert false_alarms == [], "reported, yet gargoyle-yplan gave the same answers"
    assert Switch.objects.filter(carried_over=False).count() == 0, "every switch came from gargoyle-yplan"


def test_the_report_says_what_changed(upgraded):
    with override_settings(GARGOYLE_LEGACY_PERCENT=True):
        codes = {key: [notice.code for notice in notices] for key, notices in gargoyle.upgrade_changes().items()}
    assert codes["exclude_bob"] == ["unjudged"]
    assert codes["exclude_office_ip"] == ["unjudged"]
    assert codes["alice_not_from_office"] == ["mixed"]
    assert codes["exclude_anonymous"] == ["unjudged", "anonymous"]
    assert codes["boolean_zero"] == ["boolean-false"]
    assert codes["plan_gold"] == ["choice"]
    assert codes["ip_network_text"] == ["ip-text"]
    assert codes["selective_empty"] == ["empty"]
    assert codes["unknown_namespace"] == ["unusable"]
    assert codes["parent_exclude_bob:inherit"] == ["parent"]
    for unchanged in ("global", "include_alice", "exclude_host", "users_0_50", "boolean_empty", "email_empty"):
        assert unchanged not in codes
    [notice] = gargoyle.upgrade_changes()["exclude_bob"]
    assert "anonymous users" in notice.message and "checks without a user" in notice.message


def test_reviewed_switches_are_no_longer_reported(upgraded):
    assert "exclude_bob" in gargoyle.upgrade_changes()
    Switch.objects.filter(key="exclude_bob").update(carried_over=False)
    assert "exclude_bob" not in gargoyle.upgrade_changes()
    assert "parent_exclude_bob:inherit" in gargoyle.upgrade_changes(), "its own parent is still unreviewed"


def test_switches_created_after_the_upgrade_are_not_reported(upgraded):
    Switch.objects.create(key="new_exclude_bob", status=fixture.SELECTIVE, value=json.loads(fixture.SWITCHES[15][2]))
    assert not Switch.objects.get(key="new_exclude_bob").carried_over
    assert "new_exclude_bob" not in gargoyle.upgrade_changes()
