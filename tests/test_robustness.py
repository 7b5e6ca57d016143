"""Robustness: each test proves one fix from the review, and fails if that fix is reverted.

Snapshot immutability, signal receivers seeing the change, atomic save and version bump,
internal writes, async class-based views and templates, ``ais_active`` failures, odd keys,
auto-create, legacy condition sets, corrupt stored conditions, validation, imports, bulk
writes, test overrides, the database backstop, the reload lock and the jsonb migration.
"""

import json
import threading
import time
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.core.signals import request_started
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.forms import modelform_factory
from django.http import HttpResponse
from django.template import engines
from django.test import AsyncClient, override_settings
from django.urls import path
from django.views import View

from gargoyle import signals
from gargoyle._runtime import versions
from gargoyle._storage import version as db_version
from gargoyle.builtins import UserConditionSet
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.manager import SwitchManager, gargoyle
from gargoyle.mixins import SwitchActiveMixin
from gargoyle.models import Switch
from gargoyle.testutils import switches
from tests.yplan_schema import create_yplan_table, record_yplan_migrations

USER = "gargoyle.builtins.UserConditionSet(auth.user)"
FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"
URLS = pytest.mark.urls("tests.test_robustness")

# Tests that stand in for other processes or threads commit their writes.
committed = pytest.mark.django_db(transaction=True)


# -- helpers -------------------------------------------------------------------------------


def usernames(*names, mode="i"):
    """The stored conditions "username is one of ``names``" (a fresh dict every call)."""
    return {"auth.user": {"username": [[mode, name] for name in names]}}


def stored_value(key):
    return Switch.objects.get(key=key).value


def manager(**kwargs):
    """A fresh manager (as an old test suite would build), with the user condition set."""
    fresh = SwitchManager(Switch, key="key", value="value", instances=True, auto_create=False, **kwargs)
    fresh.register(UserConditionSet(User))
    return fresh


def new_request():
    request_started.send(sender=None)


def write_from_another_process(key, status):
    """Change a switch as another process would: SQL and the version row, no cache publish."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE gargoyle_switch SET status = %s WHERE key = %s", [status, key])
    db_version.bump_db_version()


def log_in(client, user):
    if hasattr(client, "aforce_login"):  # Django 5.0+
        async_to_sync(client.aforce_login)(user)
    else:
        client.force_login(user)


def get(client, url):
    return async_to_sync(client.get)(url)


@pytest.fixture
def shared_cache(tmp_path):
    """A cache other processes could share (file based): the per-request check applies."""
    with override_settings(CACHES={"default": {"BACKEND": FILE_CACHE, "LOCATION": str(tmp_path)}}):
        yield caches["default"]


def keys_sent(events, name):
    return [kwargs["key"] for signal_name, kwargs in events if signal_name == name]


@pytest.fixture
def answers_in_receiver():
    """``connect(signal, *instances)``: a list filled with what ``is_active`` says in the receiver."""
    connected = []

    def connect(signal, *instances):
        answers = []

        def receiver(sender, switch, **kwargs):
            answers.append(gargoyle.is_active(switch.key, *instances))

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return answers

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


# -- views for the async tests (this module is their URLconf) ------------------------------


class AsyncSwitchedView(SwitchActiveMixin, View):
    switch_key = "async_feature"
    switch_redirect_to = "/elsewhere/"

    async def get(self, request):
        return HttpResponse("async mixin on")


class AsyncSwitched404View(SwitchActiveMixin, View):
    switch_key = "async_feature"

    async def get(self, request):
        return HttpResponse("async mixin on")


async def async_template_view(request):
    template = engines["django"].from_string(
        "{% load gargoyle_tags %}{% ifswitch async_feature %}shown{% else %}hidden{% endifswitch %}"
    )
    return HttpResponse(template.render({}, request))


urlpatterns = [
    path("async-mixin/", AsyncSwitchedView.as_view()),
    path("async-mixin-404/", AsyncSwitched404View.as_view()),
    path("async-template/", async_template_view),
]


# -- 1. the snapshot is immutable ----------------------------------------------------------


@pytest.mark.django_db
def test_an_unsaved_condition_edit_never_changes_what_is_active_answers():
    Switch.objects.create(key="x", status=SELECTIVE, value=usernames("alice"))
    alice, bob = User(pk=1, username="alice"), User(pk=2, username="bob")
    assert gargoyle.is_active("x", bob) is False

    gargoyle["x"].add_condition(condition_set=USER, field_name="username", condition="bob", commit=False)

    assert gargoyle.is_active("x", bob) is False
    with switches(unrelated=True):  # recompiles the snapshot from the rows it holds
        assert gargoyle.is_active("x", bob) is False
        assert gargoyle.is_active("x", alice) is True
    assert gargoyle.is_active("x", bob) is False
    assert gargoyle["x"].value == usernames("alice")
    assert stored_value("x") == usernames("alice")


@pytest.mark.django_db
def test_editing_a_switch_from_values_leaves_the_snapshot_alone():
    Switch.objects.create(key="x", status=SELECTIVE, value=usernames("alice"))
    bob = User(pk=2, username="bob")
    [switch] = [s for s in gargoyle.values() if s.key == "x"]
    switch.value["auth.user"]["username"].append(["i", "bob"])

    with switches(unrelated=True):
        assert gargoyle.is_active("x", bob) is False
    assert gargoyle["x"].value == usernames("alice")


# -- 2. signal receivers see the new state -------------------------------------------------


@pytest.mark.django_db
def test_status_updated_receiver_sees_the_new_status(answers_in_receiver):
    switch = Switch.objects.create(key="feature", status=DISABLED)
    gargoyle.refresh()
    assert gargoyle.is_active("feature") is False
    answers = answers_in_receiver(signals.switch_status_updated)

    switch.status = GLOBAL
    switch.save()
    Switch.objects.filter(key="feature").update(status=DISABLED)

    assert answers == [True, False]


@pytest.mark.django_db
def test_switch_added_receiver_sees_the_new_switch(answers_in_receiver):
    gargoyle.refresh()
    answers = answers_in_receiver(signals.switch_added)

    Switch.objects.create(key="brand_new_global", status=GLOBAL)

    assert answers == [True]


@pytest.mark.django_db
def test_condition_added_receiver_sees_the_new_condition(answers_in_receiver):
    alice = User(pk=1, username="alice")
    Switch.objects.create(key="feature", status=SELECTIVE)
    gargoyle.refresh()
    assert gargoyle.is_active("feature", alice) is False
    answers = answers_in_receiver(signals.switch_condition_added, alice)

    gargoyle["feature"].add_condition(condition_set=USER, field_name="username", condition="alice")

    assert answers == [True]


@committed
def test_receivers_see_the_new_state_when_the_write_commits(answers_in_receiver):
    switch = Switch.objects.create(key="feature", status=DISABLED)
    gargoyle.refresh()
    answers = answers_in_receiver(signals.switch_status_updated)

    switch.status = GLOBAL
    switch.save()

    assert answers == [True]


# -- 3. the row and the version change together --------------------------------------------


@committed
def test_a_failed_version_bump_rolls_the_save_back():
    switch = Switch.objects.create(key="feature", status=DISABLED)
    switch.status = GLOBAL

    with (
        mock.patch("gargoyle._storage.version.bump_db_version", side_effect=OperationalError("version row locked")),
        pytest.raises(OperationalError),
    ):
        switch.save()

    assert Switch.objects.get(key="feature").status == DISABLED
    assert gargoyle.is_active("feature") is False
    switch.save()  # the instance still knows the status is unsaved
    assert Switch.objects.get(key="feature").status == GLOBAL
    assert gargoyle.is_active("feature") is True


# -- 4. Django's internal writes move the version -----------------------------------------


@committed
def test_an_update_through_the_base_manager_moves_the_version_and_is_seen_at_once():
    gm = manager(timeout=60)
    Switch.objects.create(key="feature", status=DISABLED)
    assert gm.is_active("feature") is False
    version = db_version.read_db_version()

    updated = Switch._base_manager.filter(key="feature").update(status=GLOBAL)

    assert updated == 1
    assert db_version.read_db_version() != version
    assert gm.is_active("feature") is True


# -- 5. async class-based views and templates ----------------------------------------------


@URLS
@committed
def test_async_view_with_the_mixin_serves_only_the_matching_user(alice, bob):
    assert AsyncSwitchedView.view_is_async and AsyncSwitched404View.view_is_async
    Switch.objects.create(key="async_feature", status=SELECTIVE, value=usernames("alice"))
    client = AsyncClient()

    anonymous = get(client, "/async-mixin/")
    assert (anonymous.status_code, anonymous["Location"]) == (302, "/elsewhere/")
    assert get(client, "/async-mixin-404/").status_code == 404

    log_in(client, alice)
    response = get(client, "/async-mixin/")
    assert (response.status_code, response.content) == (200, b"async mixin on")
    assert get(client, "/async-mixin-404/").status_code == 200

    log_in(client, bob)
    redirect = get(client, "/async-mixin/")
    assert (redirect.status_code, redirect["Location"]) == (302, "/elsewhere/")
    assert get(client, "/async-mixin-404/").status_code == 404


@URLS
@committed
def test_ifswitch_with_a_user_condition_inside_an_async_view(alice, bob):
    Switch.objects.create(key="async_feature", status=SELECTIVE, value=usernames("alice"))
    client = AsyncClient()
    assert get(client, "/async-template/").content == b"hidden"

    log_in(client, alice)
    assert get(client, "/async-template/").content == b"shown"

    log_in(client, bob)
    assert get(client, "/async-template/").content == b"hidden"


# -- 6. ais_active when loading the user fails ---------------------------------------------


def request_whose_user_fails(rf):
    async def auser():
        raise OperationalError("the session store is down")

    request = rf.get("/")
    request.auser = auser
    return request


@committed
def test_ais_active_answers_a_global_switch_without_the_user(rf):
    Switch.objects.create(key="everyone", status=GLOBAL)
    Switch.objects.create(key="nobody", status=DISABLED)
    request = request_whose_user_fails(rf)

    assert async_to_sync(gargoyle.ais_active)("everyone", request) is True
    assert async_to_sync(gargoyle.ais_active)("nobody", request, default=True) is False


@committed
def test_ais_active_answers_the_default_for_a_user_switch_when_the_user_cannot_load(rf):
    Switch.objects.create(key="users", status=SELECTIVE, value=usernames("alice"))
    request = request_whose_user_fails(rf)

    assert async_to_sync(gargoyle.ais_active)("users", request) is False
    assert async_to_sync(gargoyle.ais_active)("users", request, default=True) is True


# -- 7. keys that are not strings ----------------------------------------------------------


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True)
@pytest.mark.parametrize("key", [None, 5, 1.5, b"feature", ("feature",)], ids=repr)
def test_a_key_that_is_not_a_string_answers_the_default_and_records_nothing(key):
    gargoyle.refresh()

    assert gargoyle.is_active(key) is False
    assert gargoyle.is_active(key, default=True) is True
    assert async_to_sync(gargoyle.ais_active)(key, default=True) is True
    assert not Switch.objects.exists()


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True)
@pytest.mark.parametrize("key", [["feature"], {"key": "feature"}], ids=repr)
def test_an_unhashable_key_answers_the_default_and_records_nothing(key):
    gargoyle.refresh()

    assert gargoyle.is_active(key, default=True) is True
    assert async_to_sync(gargoyle.ais_active)(key, default=True) is True
    assert not Switch.objects.exists()


# -- 8. auto-create keeps the answer -------------------------------------------------------


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True)
def test_auto_created_key_checked_with_default_true_stays_on():
    gargoyle.refresh()

    answers = [gargoyle.is_active("brand_new", default=True) for _ in range(3)]
    assert Switch.objects.get(key="brand_new").status == INHERIT
    gargoyle.refresh()
    answers.append(gargoyle.is_active("brand_new", default=True))

    assert answers == [True] * 4
    assert Switch.objects.filter(key="brand_new").count() == 1


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True)
def test_auto_created_child_of_a_global_parent_stays_on():
    Switch.objects.create(key="parent", status=GLOBAL)
    gargoyle.refresh()

    assert gargoyle.is_active("parent:child") is True
    assert Switch.objects.get(key="parent:child").status == INHERIT
    assert gargoyle.is_active("parent:child") is True
    gargoyle.refresh()
    assert gargoyle.is_active("parent:child") is True


@pytest.mark.django_db
@override_settings(GARGOYLE_AUTO_CREATE=True)
def test_auto_created_top_level_key_with_default_false_is_stored_disabled():
    gargoyle.refresh()

    assert gargoyle.is_active("plain_unknown") is False
    assert Switch.objects.get(key="plain_unknown").status == DISABLED
    gargoyle.refresh()
    assert gargoyle.is_active("plain_unknown") is False


# -- 9. legacy condition sets --------------------------------------------------------------


class LegacyUserConditionSet(UserConditionSet):
    """A gargoyle-yplan style set: overrides ``is_active`` and defers to ``super()``."""

    calls = 0

    def is_active(self, instance, conditions):
        type(self).calls += 1
        return super().is_active(instance, conditions)


def cohort(gm, key, users):
    return {user.pk for user in users if gm.is_active(key, user)}


@pytest.mark.django_db
def test_legacy_condition_set_calling_super_keeps_per_switch_percent_cohorts():
    builtin = manager(timeout=60)
    legacy = SwitchManager(Switch, auto_create=False, timeout=60)
    legacy.register(LegacyUserConditionSet(User))
    for key in ("rollout_a", "rollout_b"):
        Switch.objects.create(key=key, status=SELECTIVE, value={"auth.user": {"percent": [["i", "0-50"]]}})
    users = [User(pk=pk, username=f"user{pk}") for pk in range(1, 1001)]
    LegacyUserConditionSet.calls = 0

    legacy_a, legacy_b = cohort(legacy, "rollout_a", users), cohort(legacy, "rollout_b", users)

    assert LegacyUserConditionSet.calls >= 2000, "the overridden is_active was asked"
    assert legacy_a == cohort(builtin, "rollout_a", users)
    assert legacy_b == cohort(builtin, "rollout_b", users)
    assert legacy_a != legacy_b, "each switch draws its own cohort"
    assert 400 < len(legacy_a) < 600


@pytest.mark.parametrize("condition_set_class", [UserConditionSet, LegacyUserConditionSet])
def test_condition_set_is_active_called_directly_judges_username_conditions(condition_set_class):
    condition_set = condition_set_class(User)
    conditions = {"auth.user": {"username": [["i", "alice"], ["e", "mallory"]]}}

    assert condition_set.is_active(User(username="alice"), conditions) is True
    assert condition_set.is_active(User(username="mallory"), conditions) is False
    assert condition_set.is_active(User(username="carol"), conditions) is None
    assert condition_set.is_active(User(username="carol"), {}) is None
    assert condition_set.has_active_condition(conditions, [User(username="alice")]) is True
    assert condition_set.has_active_condition(conditions, [User(username="alice"), User(username="mallory")]) is False


# -- 10. editing corrupt stored conditions -------------------------------------------------

CORRUPT_FIELDS = [
    {"auth.user": {"username": "bob"}},
    {"auth.user": {"username": ["bob"]}},
    {"auth.user": {"username": [["i"]]}},
    {"auth.user": {"username": None}},
    {"auth.user": "bob"},
    {"auth.user": ["username", "bob"]},
]


def store_corrupt(key, value):
    Switch.objects.create(key=key, status=SELECTIVE)
    Switch.objects.filter(key=key).update(value=value)  # only a raw write can store this
    assert stored_value(key) == value


@pytest.mark.django_db
@pytest.mark.parametrize("value", CORRUPT_FIELDS, ids=json.dumps)
def test_editing_corrupt_conditions_raises_validation_error_and_keeps_the_row(value):
    store_corrupt("corrupt", value)

    with pytest.raises(ValidationError):
        gargoyle["corrupt"].add_condition(condition_set=USER, field_name="username", condition="alice")
    assert stored_value("corrupt") == value
    with pytest.raises(ValidationError):
        gargoyle["corrupt"].remove_condition(condition_set=USER, field_name="username", condition="bob")
    assert stored_value("corrupt") == value
    with pytest.raises(ValidationError):
        Switch.objects.get(key="corrupt").add_condition(gargoyle, USER, "username", "alice", exclude=True)
    assert stored_value("corrupt") == value


@pytest.mark.django_db
@pytest.mark.parametrize("value", CORRUPT_FIELDS, ids=json.dumps)
def test_clearing_the_corrupt_condition_set_repairs_the_switch(value):
    store_corrupt("corrupt", value)

    gargoyle["corrupt"].clear_conditions(condition_set=USER)

    assert stored_value("corrupt") == {}
    gargoyle["corrupt"].add_condition(condition_set=USER, field_name="username", condition="alice")
    assert stored_value("corrupt") == usernames("alice")
    assert gargoyle.is_active("corrupt", User(username="alice")) is True


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["corrupt", ["auth.user"], 5], ids=json.dumps)
def test_editing_a_value_that_is_not_an_object_raises_validation_error(value):
    store_corrupt("corrupt", value)

    with pytest.raises(ValidationError):
        gargoyle["corrupt"].add_condition(condition_set=USER, field_name="username", condition="alice")
    with pytest.raises(ValidationError):
        gargoyle["corrupt"].remove_condition(condition_set=USER, field_name="username", condition="alice")
    assert stored_value("corrupt") == value


@pytest.mark.django_db
def test_adding_next_to_a_condition_that_is_not_a_string_is_refused():
    value = {"auth.user": {"username": [["i", 5]]}}
    store_corrupt("corrupt", value)

    with pytest.raises(ValidationError):
        gargoyle["corrupt"].add_condition(condition_set=USER, field_name="username", condition="alice")
    assert stored_value("corrupt") == value
    gargoyle["corrupt"].clear_conditions(condition_set=USER, field_name="username")
    assert stored_value("corrupt") == {}


@pytest.mark.django_db
def test_clearing_conditions_repairs_a_value_that_is_not_an_object():
    """The error above says "clear them first": clearing must then make the switch editable."""
    store_corrupt("corrupt", "corrupt")

    gargoyle["corrupt"].clear_conditions(condition_set=USER)

    gargoyle["corrupt"].add_condition(condition_set=USER, field_name="username", condition="alice")
    assert stored_value("corrupt") == usernames("alice")


# -- 11. include and exclude of the same condition -----------------------------------------


@pytest.mark.django_db
def test_excluding_an_included_condition_is_refused(received):
    Switch.objects.create(key="f", status=SELECTIVE, value=usernames("alice"))

    with pytest.raises(ValidationError) as error:
        gargoyle["f"].add_condition(condition_set=USER, field_name="username", condition="alice", exclude=True)

    assert "username" in " ".join(error.value.messages)
    assert stored_value("f") == usernames("alice")
    assert keys_sent(received, "switch_condition_added") == [], "nothing was announced"


@pytest.mark.django_db
def test_including_an_excluded_condition_is_refused():
    Switch.objects.create(key="f", status=SELECTIVE, value=usernames("mallory", mode="e"))

    with pytest.raises(ValidationError) as error:
        Switch.objects.get(key="f").add_condition(gargoyle, USER, "username", "mallory")

    assert "username" in " ".join(error.value.messages)
    assert stored_value("f") == usernames("mallory", mode="e")


@pytest.mark.django_db
def test_adding_the_identical_condition_twice_is_a_silent_no_op(received):
    Switch.objects.create(key="f", status=SELECTIVE)
    gargoyle["f"].add_condition(condition_set=USER, field_name="username", condition="alice")
    gargoyle["f"].add_condition(condition_set=USER, field_name="username", condition="alice")
    gargoyle["f"].add_condition(condition_set=USER, field_name="username", condition=" alice ")

    assert stored_value("f") == usernames("alice")
    assert keys_sent(received, "switch_condition_added") == ["f"]


# -- 12. remove_condition takes the condition as typed --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field_name", "typed", "stored"),
    [("percent", "00-50.0", "0-50"), ("is_staff", "true", "1"), ("is_staff", "No", "0")],
)
def test_remove_condition_accepts_the_condition_as_typed(field_name, typed, stored):
    Switch.objects.create(key="f", status=SELECTIVE)
    gargoyle["f"].add_condition(condition_set=USER, field_name=field_name, condition=typed)
    assert stored_value("f") == {"auth.user": {field_name: [["i", stored]]}}

    gargoyle["f"].remove_condition(condition_set=USER, field_name=field_name, condition=typed)

    assert stored_value("f") == {}


# -- 13. a stale instance of a deleted switch ----------------------------------------------


@committed
def test_a_stale_instance_of_a_deleted_switch_is_stored_again(received):
    switch = Switch.objects.create(key="f", status=DISABLED, label="Feature")
    Switch.objects.filter(key="f").delete()
    switch.status = GLOBAL

    switch.save()

    stored = Switch.objects.get(key="f")
    assert (stored.status, stored.label) == (GLOBAL, "Feature")
    assert gargoyle.is_active("f") is True
    assert keys_sent(received, "switch_added") == ["f", "f"]


# -- 14. validation of status, key and value ----------------------------------------------


@pytest.mark.django_db
def test_true_is_not_a_switch_status():
    with pytest.raises(ValidationError):
        Switch(key="b", status=True).save()
    assert not Switch.objects.filter(key="b").exists()

    Switch.objects.create(key="a", status=GLOBAL)
    with pytest.raises(ValidationError):
        Switch.objects.filter(key="a").update(status=True)
    assert Switch.objects.get(key="a").status == GLOBAL


@pytest.mark.django_db
def test_renaming_by_update_to_an_overlong_key_is_refused():
    Switch.objects.create(key="a", status=GLOBAL)

    with pytest.raises(ValidationError) as error:
        Switch.objects.filter(key="a").update(key="x" * 100)

    assert "key" in " ".join(error.value.messages)
    assert list(Switch.objects.values_list("key", "status")) == [("a", GLOBAL)]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["a string", ["auth.user"], {"auth.user": {"username": "bob"}}], ids=json.dumps)
def test_saving_a_value_that_is_not_conditions_is_refused(value):
    with pytest.raises(ValidationError):
        Switch(key="junk", value=value).save()
    with pytest.raises(ValidationError):
        Switch.objects.bulk_create([Switch(key="junk", value=value)])
    assert not Switch.objects.exists()


@pytest.mark.django_db
def test_a_switch_with_a_corrupt_stored_value_can_still_change_status():
    store_corrupt("c", "corrupt")
    switch = Switch.objects.get(key="c")
    switch.status = GLOBAL

    switch.save()

    stored = Switch.objects.get(key="c")
    assert (stored.status, stored.value) == (GLOBAL, "corrupt")
    assert gargoyle.is_active("c") is True


# -- 15. import_switches with a key that is not text ----------------------------------------


@pytest.mark.django_db
def test_import_of_a_key_that_is_not_text_is_a_command_error(tmp_path):
    document = {
        "format": "gargoyle-switches",
        "version": 1,
        "switches": [
            {"key": ["a"], "status": GLOBAL, "value": {}},
            {"key": ["a"], "status": GLOBAL, "value": {}},
            {"key": "fine", "status": GLOBAL, "value": {}},
        ],
    }
    export = tmp_path / "switches.json"
    export.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("import_switches", str(export))

    message = str(error.value)
    assert "switch #1" in message and "switch #2" in message and "key" in message
    assert not Switch.objects.exists()


# -- 16. bulk_create with ignore_conflicts --------------------------------------------------


@pytest.mark.django_db
def test_bulk_create_ignoring_conflicts_announces_only_the_new_rows(received):
    Switch.objects.create(key="old", status=DISABLED)
    del received[:]

    Switch.objects.bulk_create(
        [Switch(key="old", status=GLOBAL), Switch(key="new", status=GLOBAL)], ignore_conflicts=True
    )

    assert keys_sent(received, "switch_added") == ["new"]
    assert keys_sent(received, "switch_status_updated") == []
    assert Switch.objects.get(key="old").status == DISABLED
    assert (gargoyle.is_active("old"), gargoyle.is_active("new")) == (False, True)


# -- 17. test overrides of parents and children ----------------------------------------------


@pytest.mark.django_db
def test_overriding_a_child_on_wins_over_its_disabled_parent():
    Switch.objects.create(key="parent", status=DISABLED)
    Switch.objects.create(key="parent:child", status=GLOBAL)
    assert gargoyle.is_active("parent:child") is False

    with switches(**{"parent:child": True, "parent:unstored": True}):
        assert gargoyle.is_active("parent:child") is True
        assert gargoyle.is_active("parent:unstored") is True
        assert gargoyle.is_active("parent") is False

    assert gargoyle.is_active("parent:child") is False


@pytest.mark.django_db
def test_overriding_a_parent_off_turns_its_stored_children_off():
    Switch.objects.create(key="parent", status=GLOBAL)
    Switch.objects.create(key="parent:child", status=GLOBAL)
    Switch.objects.create(key="parent:inherit", status=INHERIT)
    Switch.objects.create(key="parent:users", status=SELECTIVE, value=usernames("alice"))
    alice = User(pk=1, username="alice")

    with switches(parent=False):
        assert gargoyle.is_active("parent:child") is False
        assert gargoyle.is_active("parent:inherit", default=True) is False
        assert gargoyle.is_active("parent:users", alice) is False

    assert gargoyle.is_active("parent:child") is True
    assert gargoyle.is_active("parent:users", alice) is True


# -- 18. the database backstop for a lost cache publish -------------------------------------


@committed
def test_a_lost_cache_publish_is_caught_by_the_database_check(shared_cache):
    interval = 0.2
    gm = manager(timeout=interval)
    Switch.objects.create(key="feature", status=DISABLED)
    new_request()
    assert gm.is_active("feature") is False
    token = shared_cache.get(versions.CACHE_KEY)

    with mock.patch("gargoyle._runtime.versions.publish_cache_token", side_effect=ConnectionError("cache blip")):
        write_from_another_process("feature", GLOBAL)
    written = time.monotonic()
    assert shared_cache.get(versions.CACHE_KEY) == token, "no process published the change"

    seen_after = None
    while time.monotonic() - written < 10 * interval:
        new_request()
        if gm.is_active("feature"):
            seen_after = time.monotonic() - written
            break
        time.sleep(0.02)

    assert seen_after is not None, "the change was never seen"
    assert seen_after < interval + 0.3


# -- 19. the writer waits for a reload in flight -------------------------------------------


@committed
def test_the_writer_sees_its_committed_change_while_another_thread_holds_the_lock():
    gm = manager(timeout=60)
    switch = Switch.objects.create(key="feature", status=DISABLED)
    assert gm.is_active("feature") is False
    holding = threading.Event()

    def hold_the_lock():  # stands in for a reload in flight in another thread
        with gm._runtime._lock:
            holding.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    try:
        assert holding.wait(5)
        switch.status = GLOBAL
        switch.save()
        assert gm._runtime._lock.locked(), "the other thread still holds the lock"
        assert gm.is_active("feature") is True
    finally:
        thread.join()


# -- 20. Switch.clean() (the admin's validation) -------------------------------------------

BAD_VALUES = [
    {"nope": {"username": [["i", "bob"]]}},
    {"auth.user": {"percent": [["i", "50-10"]]}},
    {"auth.user": {"percent": [["i", "half"]]}},
    {"auth.user": {"shoe_size": [["i", "42"]]}},
    "not an object",
]


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD_VALUES, ids=json.dumps)
def test_clean_reports_bad_conditions_as_a_value_error(value):
    switch = Switch(key="f", status=SELECTIVE, value=value)

    with pytest.raises(ValidationError) as error:
        switch.clean()

    assert list(error.value.message_dict) == ["value"]
    form = modelform_factory(Switch, fields=("key", "status", "value"))(
        data={"key": "f", "status": SELECTIVE, "value": json.dumps(value)}
    )
    assert not form.is_valid()
    assert "value" in form.errors


@pytest.mark.django_db
def test_clean_accepts_valid_conditions():
    value = {"auth.user": {"percent": [["i", "0-50"]], "username": [["e", "bob"]]}, "ip": {"internal_ip": [["i", "1"]]}}
    switch = Switch(key="f", status=SELECTIVE, value=value)

    switch.clean()
    switch.full_clean()
    form = modelform_factory(Switch, fields=("key", "status", "value"))(
        data={"key": "f", "status": SELECTIVE, "value": json.dumps(value)}
    )
    assert form.is_valid(), form.errors


# -- 21. a gargoyle-yplan database with a jsonb column (PostgreSQL) ------------------------

CREATED = "2019-05-01 12:00:00+00"
JSONB_ROWS = [
    # (key, stored JSON, status, label, description)
    ("percent_rollout", {"auth.user": {"percent": [["i", "0-50"]]}}, SELECTIVE, "Rollout", None),
    (
        "staff_and_office",
        {
            "auth.user": {"is_staff": [["i", "1"]], "username": [["e", "mallory"]]},
            "ip": {"ip_address": [["i", "10.0.0.1"]]},
        },
        SELECTIVE,
        "Staff «and» office",
        "Ünïcode description with 'quotes'",
    ),
    ("global_switch", {}, GLOBAL, None, None),
    ("parent:child", {"host": {"hostname": [["i", "web-1"]]}}, DISABLED, "Child", "A child"),
    ("null_json", None, DISABLED, None, None),
]


def build_yplan_jsonb_schema():
    """gargoyle-yplan's table as django-jsonfield created it on PostgreSQL >= 9.4: ``value jsonb``."""
    MigrationExecutor(connection).migrate([("gargoyle", None)])
    create_yplan_table(connection, value_type="jsonb")
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for key, value, status, label, description in JSONB_ROWS:
            cursor.execute(
                f"INSERT INTO {q('gargoyle_switch')} VALUES (%s, %s::jsonb, %s, %s, %s, %s, %s)",
                [key, json.dumps(value), label, CREATED, CREATED, description, status],
            )
    record_yplan_migrations(connection)


@committed
def test_yplan_database_with_a_jsonb_column_migrates_intact():
    if connection.vendor != "postgresql":
        pytest.skip("django-jsonfield created jsonb columns only on PostgreSQL")
    build_yplan_jsonb_schema()

    call_command("migrate", "gargoyle", verbosity=0)
    gargoyle.refresh()

    stored = {switch.key: switch for switch in Switch.objects.all()}
    assert set(stored) == {row[0] for row in JSONB_ROWS}
    for key, value, status, label, description in JSONB_ROWS:
        switch = stored[key]
        assert (switch.status, switch.label, switch.description) == (status, label, description)
        assert switch.value == ({} if value is None else value)
    staff = User.objects.create(username="boss", is_staff=True)
    mallory = User.objects.create(username="mallory", is_staff=True)
    assert gargoyle.is_active("global_switch")
    assert gargoyle.is_active("staff_and_office", staff)
    assert not gargoyle.is_active("staff_and_office", mallory)
    gargoyle["percent_rollout"].add_condition(USER, "username", "boss")
    assert stored_value("percent_rollout")["auth.user"]["username"] == [["i", "boss"]]
