"""Every change is recorded (who, when, before, after), and any recorded state can be restored."""

import io
import json
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import QuerySet
from django.test import RequestFactory

from gargoyle import gargoyle
from gargoyle.changes import made_by
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.history import SwitchChange, changes_of, restore
from gargoyle.models import Switch
from gargoyle.preview import preview

pytestmark = pytest.mark.django_db

USERS = "gargoyle.builtins.UserConditionSet(auth.user)"
IPS = "gargoyle.builtins.IPAddressConditionSet"


def summaries(key):
    return [change.summary for change in changes_of(key)]


class TestRecording:
    def test_each_write_path_is_recorded_once(self, tmp_path):
        switch = Switch.objects.create(key="feature", status=DISABLED)
        switch.status = GLOBAL
        switch.save()
        Switch.objects.filter(key="feature").update(label="Feature")
        gargoyle["feature"].add_condition(USERS, "username", "bob")
        call_command("add_switch", "feature", "--disabled", stdout=io.StringIO())
        fixture = tmp_path / "switches.json"
        fixture.write_text(
            json.dumps(
                [
                    {
                        "model": "gargoyle.switch",
                        "pk": "feature",
                        "fields": {
                            "status": SELECTIVE,
                            "value": {},
                            "date_created": "2026-01-01T00:00:00Z",
                            "date_modified": "2026-01-01T00:00:00Z",
                        },
                    }
                ]
            )
        )
        call_command("loaddata", str(fixture), verbosity=0)
        call_command("remove_switch", "feature", stdout=io.StringIO())
        assert summaries("feature") == [
            "deleted",
            "status Disabled → Selective; label cleared; removed User: Username bob",
            "status Global → Disabled",
            "added User: Username bob",
            "label changed to “Feature”",
            "status Disabled → Global",
            "added (Disabled)",
        ]

    def test_before_and_after_are_the_stored_fields(self):
        switch = Switch.objects.create(key="feature", status=DISABLED, label="Old")
        switch.label = "New"
        switch.save()
        change = changes_of("feature").first()
        assert change.before == {"key": "feature", "label": "Old", "description": None, "status": 1, "value": {}}
        assert change.after == {**change.before, "label": "New"}

    def test_a_save_without_a_change_records_nothing(self):
        switch = Switch.objects.create(key="feature")
        switch.save()
        assert len(summaries("feature")) == 1

    def test_who_made_the_change(self):
        alice = User.objects.create(username="alice")
        request = RequestFactory().post("/")
        request.user = alice
        with made_by(request):
            Switch.objects.create(key="feature")
        change = changes_of("feature").get()
        assert (change.user, change.username) == (alice, "alice")
        alice.delete()
        change.refresh_from_db()
        assert (change.user, change.username) == (None, "alice"), "the name outlives the account"

    def test_renames_are_found_under_both_keys(self):
        switch = Switch.objects.create(key="old")
        switch.key = "new"
        switch.save()
        assert summaries("new")[0] == "renamed old → new"
        assert summaries("old")[0] == "renamed old → new"

    def test_a_rolled_back_write_leaves_no_history(self):
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            Switch.objects.create(key="feature")
            raise RuntimeError
        assert not SwitchChange.objects.filter(switch_key="feature").exists()


class TestRestore:
    def test_undo_a_status_change(self):
        switch = Switch.objects.create(key="feature", status=DISABLED)
        switch.status = GLOBAL
        switch.save()
        restore(changes_of("feature").first())
        assert Switch.objects.get(key="feature").status == DISABLED
        assert not gargoyle.is_active("feature")

    def test_restore_an_older_state_and_record_it(self):
        switch = Switch.objects.create(key="feature", status=SELECTIVE)
        gargoyle["feature"].add_condition(USERS, "percent", "0-25")
        gargoyle["feature"].add_condition(IPS, "ip_address", "10.0.0.9", exclude=True)
        first_conditions = changes_of("feature").filter(summary__startswith="added User").last()
        switch = Switch.objects.get(key="feature")
        switch.status = GLOBAL
        switch.save()

        restore(first_conditions, state="after")

        stored = Switch.objects.get(key="feature")
        assert stored.status == SELECTIVE
        assert stored.value == {"auth.user": {"percent": [["i", "0-25"]]}}
        latest = changes_of("feature").first()
        assert latest.restored_from == first_conditions

    def test_restoring_before_an_addition_deletes_and_after_a_deletion_recreates(self):
        Switch.objects.create(key="feature", status=GLOBAL, label="Feature")
        added = changes_of("feature").get()
        restore(added)
        assert not Switch.objects.filter(key="feature").exists()
        deleted = changes_of("feature").first()
        restore(deleted)
        assert Switch.objects.get(key="feature").label == "Feature"
        assert gargoyle.is_active("feature")

    def test_unknown_state_is_refused(self):
        Switch.objects.create(key="feature")
        with pytest.raises(ValueError):
            restore(changes_of("feature").get(), state="sideways")
        assert Switch.objects.filter(key="feature").exists()


class TestPreview:
    @pytest.fixture
    def rollout(self):
        Switch.objects.create(key="rollout", status=SELECTIVE)
        gargoyle["rollout"].add_condition(USERS, "username", "alice")
        gargoyle["rollout"].add_condition(IPS, "ip_address", "10.0.0.0/8", exclude=True)
        User.objects.create(username="alice")
        User.objects.create(username="bob")

    def test_included_user(self, rollout):
        verdict = preview(gargoyle, "rollout", username="alice", ip="192.168.1.1")
        assert verdict.active
        assert verdict.reason == "Included by User: Username alice."

    def test_excluded_address_wins(self, rollout):
        verdict = preview(gargoyle, "rollout", username="alice", ip="10.1.2.3")
        assert not verdict.active
        assert verdict.reason == "Excluded by IP Address: 10.0.0.0/8."

    def test_nobody_matches(self, rollout):
        verdict = preview(gargoyle, "rollout", username="bob")
        assert not verdict.active
        assert verdict.reason == "No include condition matches them."

    def test_statuses_and_parents(self):
        Switch.objects.create(key="parent", status=DISABLED)
        Switch.objects.create(key="parent:child", status=GLOBAL)
        Switch.objects.create(key="empty", status=SELECTIVE)
        assert preview(gargoyle, "parent") == (False, "Disabled: off for everyone.")
        assert preview(gargoyle, "parent:child") == (False, "Its parent parent is off for them.")
        assert preview(gargoyle, "empty") == (False, "Selective with no conditions: off for everyone.")
        assert not preview(gargoyle, "nowhere").active

    def test_bad_input_names_the_field(self):
        Switch.objects.create(key="feature", status=GLOBAL)
        with pytest.raises(ValidationError, match="username: there is no user ghost"):
            preview(gargoyle, "feature", username="ghost")
        with pytest.raises(ValidationError, match=r"ip: 999\.1\.1\.1 is not an IP address"):
            preview(gargoyle, "feature", ip="999.1.1.1")


class TestRenames:
    def test_a_rename_with_other_changes_is_one_change_and_restores_in_place(self):
        switch = Switch.objects.create(key="old", label="Old", status=GLOBAL)
        switch.key, switch.label = "new", "New"
        switch.save()
        rename = changes_of("new").first()
        assert rename.summary == "renamed old → new; label changed to “New”"

        restore(rename)

        assert list(Switch.objects.values_list("key", "label")) == [("old", "Old")]
        assert gargoyle.is_active("old")
        assert not gargoyle.is_active("new")

    def test_a_label_longer_than_the_column_is_refused_everywhere(self):
        switch = Switch.objects.create(key="feature", label="Short")
        switch.label = "x" * 65
        with pytest.raises(ValidationError, match="label"):
            switch.save()
        with pytest.raises(ValidationError, match="label"):
            Switch.objects.filter(key="feature").update(label="x" * 65)
        assert Switch.objects.get(key="feature").label == "Short"


class TestRestoreNeverTouchesAnotherSwitch:
    def test_undoing_a_rename_whose_old_key_was_taken_since_is_refused(self):
        switch = Switch.objects.create(key="old", label="Renamed one", status=GLOBAL)
        switch.key = "new"
        switch.save()
        rename = changes_of("new").first()
        Switch.objects.create(key="old", label="Newcomer", status=DISABLED)

        with pytest.raises(ValidationError, match="key: a switch with the key 'old' already exists"):
            restore(rename)

        assert sorted(Switch.objects.values_list("key", "label", "status")) == [
            ("new", "Renamed one", GLOBAL),
            ("old", "Newcomer", DISABLED),
        ]

    def test_a_switch_renamed_since_the_change_is_restored_not_copied(self):
        switch = Switch.objects.create(key="feature", status=DISABLED)
        switch.status = GLOBAL
        switch.save()
        status_change = changes_of("feature").first()
        switch.key = "feature_v2"
        switch.save()

        restore(status_change)  # the state before, its key included: the renamed switch goes back

        assert list(Switch.objects.values_list("key", "status")) == [("feature", DISABLED)]

    def test_a_switch_deleted_and_added_again_since_is_not_the_same_switch(self):
        switch = Switch.objects.create(key="feature", status=DISABLED, label="First")
        switch.status = GLOBAL
        switch.save()
        status_change = changes_of("feature").first()
        switch.delete()
        Switch.objects.create(key="feature", status=SELECTIVE, label="Second")

        with pytest.raises(ValidationError, match="'feature' belongs to another switch now"):
            restore(status_change)

        assert list(Switch.objects.values_list("key", "label", "status")) == [("feature", "Second", SELECTIVE)]


class TestConcurrentRenames:
    def test_a_rename_onto_a_key_taken_after_the_check_is_refused(self):
        """Two renames onto one key: the second one's check ran before the first committed."""
        Switch.objects.create(key="taken")
        switch = Switch.objects.create(key="mine", label="Mine")
        switch.key = "taken"
        with mock.patch.object(QuerySet, "exists", return_value=False), transaction.atomic():
            with pytest.raises(ValidationError, match="key: a switch with the key 'taken' already exists"):
                switch.save()
            Switch.objects.create(key="other")  # the caller's transaction goes on (PostgreSQL aborts it otherwise)
        assert sorted(Switch.objects.values_list("key", "label")) == [
            ("mine", "Mine"),
            ("other", None),
            ("taken", None),
        ]
