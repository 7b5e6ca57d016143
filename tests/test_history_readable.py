"""History you can read, and undo of one change: describe(), undo() and the JSON API's
history/undo/ and changeId."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.history import SwitchChange, changes_of, describe, undo, undo_refusal
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from tests.test_api import IP_SET, USER_SET, admin, fails, feature, login, make_user, ok, url, urlpatterns

__all__ = ["admin", "feature", "login", "make_user", "urlpatterns"]  # the fixtures and URLs of test_api

pytestmark = [pytest.mark.urls("tests.test_api"), pytest.mark.django_db]


def state(**fields: Any) -> dict[str, Any]:
    return {"key": "f", "label": None, "description": None, "status": SELECTIVE, "value": {}, **fields}


def latest(key: str = "feature") -> SwitchChange:
    change: SwitchChange = changes_of(key).first()
    return change


def snapshot(key: str = "feature") -> tuple[Any, ...]:
    switch = Switch.objects.get(key=key)
    return switch.key, switch.label, switch.description, switch.status, switch.value


# -- describe --------------------------------------------------------------------------------------


class TestDescribe:
    def test_conditions_are_named_through_the_registry(self) -> None:
        after = state(value={"auth.user": {"percent": [["i", "0-10"]]}, "ip": {"ip_address": [["e", "10.0.0.0/8"]]}})
        assert describe(state(), after) == "added User: Percent 10% (0-10); added exclude IP Address: 10.0.0.0/8"
        before = state(value={"ip": {"ip_address": [["i", "127.0.0.1"]]}})
        assert describe(before, state()) == "removed IP Address: 127.0.0.1"

    def test_booleans_and_plain_fields_read_as_words(self) -> None:
        after = state(value={"auth.user": {"is_staff": [["i", "1"]], "username": [["e", "bob"]]}})
        assert describe(state(), after) == "added User: Staff; added exclude User: Username bob"

    def test_an_unregistered_set_falls_back_to_its_stored_names(self) -> None:
        after = state(value={"shop.plan": {"plan": [["i", "pro"]]}})
        assert describe(state(), after) == "added shop.plan: plan pro"

    def test_status_rename_label_description_joined(self) -> None:
        after = state(key="g", status=GLOBAL, label="New", description="Why")
        assert describe(state(status=DISABLED), after) == (
            "renamed f → g; status Disabled → Global; label changed to “New”; description changed"
        )
        assert describe(state(label="Old"), state()) == "label cleared"

    def test_additions_deletions_and_restores(self) -> None:
        assert describe(None, state()) == "added (Selective)"
        assert describe(state(), None) == "deleted"
        assert describe(state(status=GLOBAL), state(), restored_from=14) == "restores #14: status Global → Selective"

    def test_a_restore_is_recorded_with_the_number_it_restores(self, feature: Switch) -> None:
        from gargoyle.history import restore

        feature.status = GLOBAL
        feature.save()
        status_change = latest()
        restore(status_change)
        assert latest().summary == f"restores #{status_change.pk}: status Global → Disabled"

    def test_the_api_describes_old_vague_entries_afresh(self, client: Client, admin: Any, feature: Switch) -> None:
        gargoyle["feature"].add_condition(USER_SET, "percent", "0-10")
        SwitchChange.objects.filter(pk=latest().pk).update(summary="conditions changed")  # as stored before
        entries = ok(client.get(url("history"), {"key": "feature"}))
        assert entries[0]["summary"] == "added User: Percent 10% (0-10)"


# -- undo ------------------------------------------------------------------------------------------


class TestUndo:
    def test_undo_a_removal_keeps_later_changes(self, feature: Switch) -> None:
        gargoyle["feature"].add_condition(IP_SET, "ip_address", "127.0.0.1")
        gargoyle["feature"].add_condition(USER_SET, "username", "bob")
        gargoyle["feature"].remove_condition(IP_SET, "ip_address", "127.0.0.1")
        removal = latest()
        gargoyle["feature"].add_condition(USER_SET, "username", "carol", exclude=True)
        switch = Switch.objects.get(key="feature")
        switch.status = SELECTIVE
        switch.save()

        undo(removal)

        stored = Switch.objects.get(key="feature")
        assert stored.status == SELECTIVE  # the later status change stays
        assert stored.value == {
            "auth.user": {"username": [["i", "bob"], ["e", "carol"]]},
            "ip": {"ip_address": [["i", "127.0.0.1"]]},
        }
        assert latest().restored_from_id == removal.pk
        assert latest().summary == f"restores #{removal.pk}: added IP Address: 127.0.0.1"

    def test_undo_a_removal_puts_the_condition_back_in_its_place(self, feature: Switch) -> None:
        for name in ("alice", "bob", "carol"):
            gargoyle["feature"].add_condition(USER_SET, "username", name)
        gargoyle["feature"].remove_condition(USER_SET, "username", "bob")
        removal = latest()
        gargoyle["feature"].add_condition(USER_SET, "username", "dave")

        undo(removal)

        usernames = Switch.objects.get(key="feature").value["auth.user"]["username"]
        assert [name for _mode, name in usernames] == ["alice", "bob", "carol", "dave"]

    def test_undo_a_status_change_after_a_label_change(self, feature: Switch) -> None:
        feature.status = GLOBAL
        feature.save()
        status_change = latest()
        feature.label = "Renamed"
        feature.save()
        undo(status_change)
        assert snapshot()[1:4] == ("Renamed", "A feature", DISABLED)

    def test_undo_a_rename_and_an_added_condition(self, feature: Switch) -> None:
        feature.key = "other"
        feature.save()
        undo(latest("other"))
        assert Switch.objects.filter(key="feature").exists() and not Switch.objects.filter(key="other").exists()
        gargoyle["feature"].add_condition(USER_SET, "percent", "0-10")
        undo(latest())
        assert Switch.objects.get(key="feature").value == {}

    def test_undo_an_addition_deletes_and_a_deletion_adds_back(self, feature: Switch) -> None:
        added = latest()
        undo(added)
        assert not Switch.objects.filter(key="feature").exists()
        undo(latest())  # the deletion
        assert snapshot() == ("feature", "Feature", "A feature", DISABLED, {})

    def test_a_later_change_to_the_same_thing_refuses_and_writes_nothing(self, feature: Switch) -> None:
        feature.status = GLOBAL
        feature.save()
        first = latest()
        feature.status = SELECTIVE
        feature.save()
        second = latest()
        before, count = snapshot(), SwitchChange.objects.count()
        with pytest.raises(ValidationError, match=f"status changed again since, by #{second.pk}"):
            undo(first)
        assert snapshot() == before and SwitchChange.objects.count() == count
        refusal = undo_refusal(first)
        assert refusal is not None and refusal.blocked_by == second.pk

    def test_a_condition_removed_since_refuses(self, feature: Switch) -> None:
        gargoyle["feature"].add_condition(USER_SET, "username", "bob")
        added = latest()
        gargoyle["feature"].remove_condition(USER_SET, "username", "bob")
        with pytest.raises(ValidationError, match=f"User: Username bob changed again since, by #{latest().pk}"):
            undo(added)

    def test_deleted_since_and_addition_with_later_changes_refuse(self, feature: Switch) -> None:
        added = latest()
        feature.status = GLOBAL
        feature.save()
        status_change = latest()
        with pytest.raises(ValidationError, match=f"by #{status_change.pk}; undoing its addition"):
            undo(added)
        feature.delete()
        with pytest.raises(ValidationError, match=f"the switch was deleted since, by #{latest().pk}"):
            undo(status_change)

    def test_a_deletion_whose_key_is_taken_again_refuses(self, feature: Switch) -> None:
        feature.delete()
        deletion = latest()
        Switch.objects.create(key="feature", status=GLOBAL)
        with pytest.raises(ValidationError, match="belongs to another switch now"):
            undo(deletion)
        assert Switch.objects.get(key="feature").status == GLOBAL


# -- the JSON API ----------------------------------------------------------------------------------


class TestApi:
    def test_every_mutation_answers_the_id_it_recorded(self, client: Client, admin: Any) -> None:
        def recorded(name: str, fields: dict[str, str]) -> Any:
            data = ok(client.post(url(name), fields))
            last = SwitchChange.objects.order_by("pk").last()
            assert (data["changeId"], data["changeSummary"]) == (last.pk, last.summary)
            return data["changeId"]

        recorded("add", {"key": "feature"})
        recorded("update", {"curkey": "feature", "name": "Feature"})
        status_id = recorded("status", {"key": "feature", "status": "2"})
        recorded("add-condition", {"key": "feature", "id": USER_SET, "field": "username", "username": "bob"})
        recorded("remove-condition", {"key": "feature", "id": USER_SET, "field": "username", "value": "bob"})
        recorded("undo", {"id": str(status_id)})
        recorded("restore", {"id": str(status_id), "state": "after"})
        unchanged = ok(client.post(url("status"), {"key": "feature", "status": "2"}))
        assert (unchanged["changeId"], unchanged["changeSummary"]) == (None, None)  # no change
        deleted = ok(client.post(url("delete"), {"key": "feature"}))
        assert deleted == {"changeId": SwitchChange.objects.order_by("pk").last().pk, "changeSummary": "deleted"}

    def test_undo_endpoint_and_history_flags(self, client: Client, admin: Any, feature: Switch) -> None:
        ok(
            client.post(
                url("add-condition"), {"key": "feature", "id": IP_SET, "field": "ip_address", "ip_address": "127.0.0.1"}
            )
        )
        removed = ok(
            client.post(
                url("remove-condition"), {"key": "feature", "id": IP_SET, "field": "ip_address", "value": "127.0.0.1"}
            )
        )
        entries = ok(client.get(url("history"), {"key": "feature"}))
        assert entries[0]["summary"] == "removed IP Address: 127.0.0.1"
        assert entries[0]["undoable"] is True and entries[0]["undoReason"] is None
        assert entries[1]["undoable"] is False and entries[1]["undoBlockedBy"] == removed["changeId"]
        assert entries[1]["undoReason"] == f"IP Address: 127.0.0.1 changed again since, by #{removed['changeId']}."

        data = ok(client.post(url("undo"), {"id": str(removed["changeId"])}))
        assert data["conditions"][0]["conditions"] == [["ip_address", "127.0.0.1", "127.0.0.1", False, "i"]]
        entry = ok(client.get(url("history"), {"key": "feature"}))[0]
        assert (entry["id"], entry["restoredFrom"]) == (data["changeId"], removed["changeId"])

    def test_undo_refused_is_a_400_with_the_reason(self, client: Client, admin: Any, feature: Switch) -> None:
        ok(client.post(url("status"), {"key": "feature", "status": "3"}))
        first = latest().pk
        second = ok(client.post(url("status"), {"key": "feature", "status": "2"}))["changeId"]
        fails(client.post(url("undo"), {"id": str(first)}), 400, f"status changed again since, by #{second}")
        assert Switch.objects.get(key="feature").status == SELECTIVE
        fails(client.post(url("undo"), {"id": "+1"}), 404, "no recorded change")
        fails(client.post(url("undo"), {}), 400, "id")

    def test_undo_needs_the_permissions_restore_needs(self, client: Client, login: Any, feature: Switch) -> None:
        feature.status = GLOBAL
        feature.save()
        feature.status = DISABLED
        feature.save()
        login("view_switch", "change_switch")
        fails(client.post(url("undo"), {"id": str(latest().pk)}), 403)  # would make it Global
        assert Switch.objects.get(key="feature").status == DISABLED
        added = SwitchChange.objects.get(before__isnull=True)
        fails(client.post(url("undo"), {"id": str(added.pk)}), 403)  # would delete it
        assert Switch.objects.filter(key="feature").exists()

    def test_undo_of_a_deletion_needs_the_add_permission(self, client: Client, login: Any, feature: Switch) -> None:
        feature.delete()
        login("view_switch", "change_switch")
        fails(client.post(url("undo"), {"id": str(latest().pk)}), 403)
        assert not Switch.objects.exists()

    def test_history_says_which_entry_is_the_state_now(self, client: Client, admin: Any, feature: Switch) -> None:
        ok(client.post(url("status"), {"key": "feature", "status": "2"}))
        entries = ok(client.get(url("history"), {"key": "feature"}))
        assert [entry["afterIsCurrent"] for entry in entries] == [True, False]
        ok(client.post(url("undo"), {"id": str(entries[0]["id"])}))  # back to Disabled, as after the addition
        entries = ok(client.get(url("history"), {"key": "feature"}))
        assert [entry["afterIsCurrent"] for entry in entries] == [True, False, True]
        assert entries[0]["summary"] == f"restores #{entries[1]['id']}: status Selective → Disabled"
