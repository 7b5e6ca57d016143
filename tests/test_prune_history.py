"""prune_switch_history and GARGOYLE_HISTORY_RETENTION (gargoyle.E010)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import override_settings
from django.utils.timezone import now

from gargoyle._conf import get_settings
from gargoyle.checks import check_settings
from gargoyle.history import restore
from gargoyle.models import DISABLED, GLOBAL, SELECTIVE, Switch, SwitchChange


def run(*args, **options):
    out = io.StringIO()
    call_command("prune_switch_history", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def history():
    return sorted(SwitchChange.objects.values_list("pk", "switch_key", "summary"))


def age(change, days):
    SwitchChange.objects.filter(pk=change.pk).update(date=now() - timedelta(days=days))


def changes(key):
    return list(SwitchChange.objects.filter(switch_key=key).order_by("pk"))


@pytest.fixture
def entries(db):
    """'kept' changed three times long ago, 'gone' added and deleted long ago, 'fresh' today."""
    switch = Switch.objects.create(key="kept", status=DISABLED)
    switch.status = SELECTIVE
    switch.save()
    switch.label = "Kept"
    switch.save()
    for change, days in zip(changes("kept"), (400, 300, 200), strict=True):
        age(change, days)
    Switch.objects.create(key="gone").delete()
    for change in changes("gone"):
        age(change, 400)
    Switch.objects.create(key="fresh", status=GLOBAL)
    return {key: changes(key) for key in ("kept", "gone", "fresh")}


# -- what is pruned ----------------------------------------------------------------------------


def test_a_dry_run_says_what_would_go_per_switch_and_deletes_nothing(entries):
    before = history()

    out = run("--older-than", "180d")

    assert out.splitlines()[0].startswith("Would delete 4 history entries older than 180 days (before ")
    assert out.splitlines()[1:] == [
        "  gone  2",
        "  kept  2",
        "Nothing was deleted (dry run). Run again with --apply to delete them.",
    ]
    assert history() == before


def test_apply_deletes_old_entries_and_keeps_the_newest_of_each_existing_switch(entries):
    out = run("--older-than", "180d", "--apply")

    assert out.splitlines()[0].startswith("Deleted 4 history entries older than 180 days")
    assert changes("gone") == []
    # 200 days old, but the newest entry of a switch that exists: it records its current state.
    assert changes("kept") == entries["kept"][-1:]
    assert changes("fresh") == entries["fresh"]
    assert Switch.objects.get(key="kept").label == "Kept"  # switches are not touched


def test_a_second_run_finds_nothing(entries):
    run("--older-than", "180d", "--apply")
    before = history()

    assert run("--older-than", "180d", "--apply").startswith("No history entries older than 180 days")
    assert history() == before


def test_a_switch_without_history_does_not_stop_the_pruning(entries):
    # gargoyle-yplan stored switches without history: they have no newest entry to keep.
    Switch.objects.create(key="from_yplan")
    SwitchChange.objects.filter(switch_key="from_yplan").delete()

    run("--older-than", "180d", "--apply")

    assert changes("gone") == []
    assert changes("kept") == entries["kept"][-1:]


def test_a_large_history_is_deleted_in_batches(entries, monkeypatch):
    monkeypatch.setattr("gargoyle.management.commands.prune_switch_history.BATCH_SIZE", 1)

    assert run("--older-than", "180d", "--apply").startswith("Deleted 4 history entries")
    assert SwitchChange.objects.count() == 2


def test_the_newest_entry_follows_a_rename(entries):
    switch = Switch.objects.get(key="kept")
    switch.key = "renamed"
    switch.save()
    [rename] = changes("renamed")
    age(rename, 250)

    run("--older-than", "180d", "--apply")

    assert changes("kept") == []
    assert changes("renamed") == [rename]


@pytest.mark.parametrize(
    ("older_than", "deleted"),
    [("1d", 4), ("4800h", 4), ("7201h", 3), ("350d", 3), ("57w", 3), ("58w", 0), ("1000w", 0)],
)
def test_hours_days_and_weeks(entries, older_than, deleted):
    count = SwitchChange.objects.count()

    run("--older-than", older_than, "--apply")

    assert count - SwitchChange.objects.count() == deleted


def test_an_entry_that_restored_a_pruned_one_stays_and_loses_only_the_link(entries):
    restoring = restore(entries["kept"][0], state="after")
    assert restoring is not None
    [restore_entry] = [c for c in changes("kept") if c.restored_from_id]

    run("--older-than", "180d", "--apply")

    kept = SwitchChange.objects.get(pk=restore_entry.pk)
    assert kept.restored_from is None
    assert (kept.summary, kept.before, kept.after) == (restore_entry.summary, restore_entry.before, restore_entry.after)


def test_an_age_too_large_for_the_calendar_prunes_nothing(entries):
    before = history()

    assert run("--older-than", "999999999999d", "--apply").startswith("No history entries older than")
    assert history() == before


def test_quiet_when_asked(entries):
    assert run("--older-than", "180d", "--apply", verbosity=0) == ""
    assert changes("gone") == []


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "older_than", ["180", "180x", "d", "0d", "-5d", "1.5d", "180 d", " 180d", "180D", "180days", "\u0661\u0668d", ""]
)
def test_an_age_that_is_not_one_is_refused_and_nothing_is_deleted(entries, older_than):
    before = history()

    with pytest.raises(CommandError, match=r"is not an age: write a whole number, 1 or more, and a unit"):
        run(f"--older-than={older_than}", "--apply")

    assert history() == before


def test_without_an_age_or_the_setting_it_says_what_to_pass(entries):
    before = history()

    with pytest.raises(CommandError, match=r"--older-than 180d .*GARGOYLE_HISTORY_RETENTION = 180"):
        run("--apply")

    assert history() == before


# -- GARGOYLE_HISTORY_RETENTION ----------------------------------------------------------------


@override_settings(GARGOYLE_HISTORY_RETENTION=180)
def test_the_setting_is_the_default_age(entries):
    out = run("--apply")

    assert out.startswith("Deleted 4 history entries older than 180 days")
    assert changes("gone") == []


@override_settings(GARGOYLE_HISTORY_RETENTION=180)
def test_older_than_wins_over_the_setting(entries):
    assert run("--older-than", "58w", "--apply").startswith("No history entries older than 58 weeks")


@override_settings(GARGOYLE_HISTORY_RETENTION=1)
def test_the_setting_alone_never_prunes(entries):
    # Nothing runs the command for you: entries stay until it is run.
    Switch.objects.create(key="another")
    assert SwitchChange.objects.filter(switch_key="gone").count() == 2


BAD_RETENTIONS = ["180", "180d", 0, -1, 1.5, True, float("nan"), timedelta(days=180)]


@pytest.mark.parametrize("retention", BAD_RETENTIONS, ids=repr)
def test_a_bad_retention_is_a_check_error_and_prunes_nothing(entries, retention):
    before = history()
    with override_settings(GARGOYLE_HISTORY_RETENTION=retention):
        [error] = check_settings()
        assert error.id == "gargoyle.E010"
        assert "whole number of days" in error.msg
        assert get_settings().history_retention is None

        with pytest.raises(CommandError, match="GARGOYLE_HISTORY_RETENTION must be a whole number of days"):
            run("--apply")  # as with --skip-checks
        with pytest.raises(SystemCheckError, match=r"gargoyle\.E010"):
            run("--apply", skip_checks=False)

    assert history() == before


@pytest.mark.parametrize("retention", [None, 1, 180, 3650])
def test_a_valid_retention_passes_the_check(retention):
    with override_settings(GARGOYLE_HISTORY_RETENTION=retention):
        assert check_settings() == []
        assert get_settings().history_retention == retention


def test_the_history_is_kept_forever_by_default():
    assert get_settings().history_retention is None
