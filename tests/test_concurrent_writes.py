"""Writes at the same moment from real threads wait their turn: a 4xx with a message or
success, never a 500, never a lost or duplicated switch.

On a SQLite file (the default set-up the docs start from) and, in ``tox -e services``,
on PostgreSQL. ``tests/concurrent_writers.py`` runs the threads in a process of its own.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
ALREADY_EXISTS = "key: a switch with the key 'renamed' already exists."


def run_writers(target):
    finished = subprocess.run(
        [sys.executable, "-m", "tests.concurrent_writers", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def written(request, tmp_path_factory):
    if request.param == "sqlite":
        yield run_writers(f"sqlite:{tmp_path_factory.mktemp('site') / 'db.sqlite3'}")
        return
    if not settings.SERVICES:
        pytest.skip("PostgreSQL runs in tox -e services")
    from tests.production.scratch_pg import scratch_database

    with scratch_database() as name:
        yield run_writers(f"postgresql:{name}")


def statuses(replies):
    return sorted(reply["status"] for reply in replies)


def test_no_reply_is_a_server_error(written):
    replies = [reply for scenario in written["replies"].values() for reply in scenario]
    assert [reply for reply in replies if isinstance(reply["status"], int) and reply["status"] >= 500] == []


def test_a_double_click_on_a_chip_removes_it_once(written):
    assert statuses(written["replies"]["double click on a chip's remove button"]) == [200, 200]
    assert written["stored"]["chip"]["value"] == {"auth.user": {"username": [["i", "bob"]]}}


def test_conditions_added_at_once_are_all_kept(written):
    assert statuses(written["replies"]["six conditions added at once"]) == [200] * 6
    stored = written["stored"]["adds"]["value"]["auth.user"]["username"]
    assert sorted(stored) == [["i", f"user{i}"] for i in range(6)]


def test_status_changes_of_different_switches_all_land(written):
    assert statuses(written["replies"]["four status changes"]) == [200] * 4
    assert [written["stored"][f"status{i}"]["status"] for i in range(4)] == [3] * 4


def test_renames_onto_one_key_leave_one_winner_and_lose_nothing(written):
    replies = written["replies"]["six renames onto one key"]
    assert statuses(replies) == [200] + [400] * 5
    assert {reply["message"] for reply in replies if reply["status"] == 400} == {ALREADY_EXISTS}
    left = sorted(key for key in written["stored"] if key.startswith("rename"))
    assert len(left) == 6 and "renamed" in left, "five switches keep their keys, one has the new one"


def test_an_import_and_an_edit_of_one_of_its_switches_do_not_deadlock(written):
    imported, added = written["replies"]["an import of two switches, and a condition added to the second"]
    assert imported["status"] == "ok" and added["status"] == 200, added["message"]
    assert written["stored"]["second"]["value"] == {"auth.user": {"username": [["i", "carol"]]}}, "applied after it"


def test_an_undo_racing_a_rename_finds_the_renamed_switch_and_copies_nothing(written):
    replies = written["replies"]["a rename, and an undo of an earlier change"]
    assert statuses(replies) == [200, 200]
    assert "moved_away" not in written["stored"], "one switch, put back in its state before (its key included)"
    assert written["stored"]["moved"]["status"] == 1
    assert re.fullmatch(
        r"restores #\d+: renamed moved_away → moved; status Global → Disabled", written["histories"]["moved"][-1]
    )


def test_removing_a_switch_renamed_meanwhile_removes_and_records_nothing(written):
    renamed, removed = written["replies"]["a rename, and remove_switch of the old key"]
    assert renamed["status"] == 200
    assert removed == {"status": "ok", "message": "No switch 'gone'; nothing removed."}
    assert "gone_away" in written["stored"]
    assert "deleted" not in written["histories"]["gone"]


@pytest.mark.urls("tests.test_api")
@pytest.mark.django_db
def test_a_database_busy_past_its_timeout_is_a_json_503_and_writes_nothing(admin_client):
    from unittest import mock

    from django.db import OperationalError
    from django.urls import reverse

    from gargoyle.models import Switch

    Switch.objects.create(key="feature", status=1)
    with mock.patch.object(Switch, "save", side_effect=OperationalError("database is locked")):
        reply = admin_client.post(reverse("gargoyle:status"), {"key": "feature", "status": "3"})

    assert reply.status_code == 503
    assert reply["Retry-After"] == "1"
    assert reply.json() == {
        "success": False,
        "data": "database: busy or unreachable (database is locked); nothing was written, try again.",
    }
    assert Switch.objects.get(key="feature").status == 1
