"""gargoyle.resolution: an answer with its OpenFeature reason and variant, always the value
``is_active`` gives; and the ``switches_reloaded`` signal the OpenFeature provider listens to.

The evaluation contexts (gargoyle.contexts) are in test_contexts.py; the HTTP side in
test_ofrep.py and test_ofrep_access.py.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory, override_settings

from gargoyle import signals
from gargoyle.conditions import ConditionSet, String
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.resolution import (
    DEFAULT,
    DISABLED_REASON,
    ERROR,
    FLAG_NOT_FOUND,
    GENERAL,
    STATIC,
    TARGETING_MATCH,
    Resolution,
    aresolve,
    known,
    known_keys,
    resolve,
)
from gargoyle.testutils import switches

pytestmark = pytest.mark.django_db

USER = "gargoyle.builtins.UserConditionSet(auth.user)"
IP = "gargoyle.builtins.IPAddressConditionSet"
CODE_DEFAULTS = {"coded": {"is_active": True}, "coded_off": {"is_active": False}}


def selective(key: str, *conditions: tuple[str, str, str, bool]) -> Switch:
    switch = Switch.objects.create(key=key, status=SELECTIVE)
    for condition_set, field, value, exclude in conditions:
        switch.add_condition(gargoyle, condition_set, field, value, exclude=exclude)
    return switch


@pytest.fixture
def table() -> dict[str, Any]:
    """Every kind of switch, and the subjects to ask for: ``{name: instances}``."""
    alice = User.objects.create_user("alice")  # no password: nothing to hash
    bob = User.objects.create_user("bob")
    Switch.objects.create(key="global", status=GLOBAL)
    Switch.objects.create(key="off", status=DISABLED)
    Switch.objects.create(key="empty", status=SELECTIVE)
    selective("alice_only", (USER, "username", "alice", False))
    selective("not_bob", (USER, "username", "bob", True))
    selective("staff", (USER, "is_staff", "1", False))
    selective("half", (USER, "percent", "0-50", False))
    selective("office", (IP, "ip_address", "10.0.0.0/8", False), (USER, "username", "bob", True))
    Switch.objects.create(key="inherit", status=INHERIT)
    Switch.objects.create(key="off:child", status=GLOBAL)
    Switch.objects.create(key="global:inherit", status=INHERIT)
    Switch.objects.create(key="global:selective", status=SELECTIVE, value={"auth.user": {"username": [["i", "alice"]]}})
    Switch.objects.create(key="alice_only:inherit", status=INHERIT)
    Switch.objects.create(key="broken", status=SELECTIVE)
    Switch.objects.filter(key="broken").update(value={"nope": {"x": [["i", "1"]]}})
    staff = User.objects.create_user("stella", is_staff=True)

    def request(address: str, user: Any) -> Any:
        made = RequestFactory().get("/", REMOTE_ADDR=address)
        made.user = user
        return made

    return {
        "nobody": (),
        "alice": (alice,),
        "bob": (bob,),
        "staff": (staff,),
        "visitor": (AnonymousUser(),),
        "alice in the office": (request("10.1.2.3", alice),),
        "bob in the office": (request("10.1.2.3", bob),),
        "a visitor outside": (request("192.0.2.1", AnonymousUser()),),
        "many users": tuple(User(pk=pk, username=f"u{pk}") for pk in range(1, 6)),
    }


def answer(resolution: Resolution) -> tuple[Any, ...]:
    return resolution.value, resolution.reason, resolution.variant


@pytest.mark.parametrize(
    ("key", "who", "expected"),
    [
        ("global", "visitor", (True, STATIC, "on")),
        ("off", "alice", (False, STATIC, "off")),
        ("empty", "alice", (False, STATIC, "off")),
        ("alice_only", "alice", (True, TARGETING_MATCH, "on")),
        ("alice_only", "bob", (False, DEFAULT, "off")),
        ("alice_only", "nobody", (False, DEFAULT, "off")),
        ("not_bob", "alice", (True, DEFAULT, "on")),  # excludes only: on when none matched
        ("not_bob", "bob", (False, TARGETING_MATCH, "off")),  # an exclude decided
        ("staff", "staff", (True, TARGETING_MATCH, "on")),
        ("office", "alice in the office", (True, TARGETING_MATCH, "on")),
        ("office", "bob in the office", (False, TARGETING_MATCH, "off")),
        ("office", "a visitor outside", (False, DEFAULT, "off")),
        ("inherit", "alice", (False, DEFAULT, "off")),  # no parent: the caller's default
        ("off:child", "alice", (False, DISABLED_REASON, "off")),
        ("global:inherit", "visitor", (True, STATIC, "on")),  # the parent's reason
        ("global:selective", "alice", (True, TARGETING_MATCH, "on")),
        ("global:selective", "bob", (False, DEFAULT, "off")),
        ("alice_only:inherit", "alice", (True, TARGETING_MATCH, "on")),
        ("alice_only:inherit", "bob", (False, DISABLED_REASON, "off")),  # its parent is off for bob
    ],
)
def test_reasons_and_variants(table: dict[str, Any], key: str, who: str, expected: tuple[Any, ...]) -> None:
    resolution = resolve(key, *table[who])
    assert answer(resolution) == expected
    assert (resolution.key, resolution.error_code, resolution.error_message) == (key, None, None)
    assert resolution.status == Switch.objects.get(key=key).status


@pytest.mark.parametrize(("default", "variant"), [(True, "on"), (False, "off"), (None, None)])
def test_inherit_without_a_parent_answers_the_callers_default(default: bool | None, variant: str | None) -> None:
    Switch.objects.create(key="inherit", status=INHERIT)
    assert answer(resolve("inherit", default=default)) == (default, DEFAULT, variant)


@override_settings(GARGOYLE_SWITCH_DEFAULTS=CODE_DEFAULTS, GARGOYLE_AUTO_CREATE=True)
def test_a_code_default_not_stored_is_a_default_and_is_not_stored() -> None:
    assert answer(resolve("coded")) == (True, DEFAULT, "on")
    assert answer(resolve("coded_off", default=True)) == (False, DEFAULT, "off")
    assert resolve("coded").status == GLOBAL
    assert known("coded") and not known("missing")
    assert not Switch.objects.exists()
    Switch.objects.create(key="coded", status=DISABLED)  # once stored, the stored switch decides
    assert answer(resolve("coded")) == (False, STATIC, "off")


@pytest.mark.parametrize("default", [True, False, None])
@override_settings(GARGOYLE_AUTO_CREATE=True)
def test_an_unknown_key_is_not_found_and_never_auto_created(default: bool | None) -> None:
    Switch.objects.create(key="parent", status=GLOBAL)
    for key in ("missing", "parent:child"):  # not even through a stored parent
        resolution = resolve(key, default=default)
        assert (resolution.value, resolution.reason, resolution.variant) == (default, ERROR, None)
        assert (resolution.error_code, resolution.status) == (FLAG_NOT_FOUND, None)
        assert key in resolution.error_message
    assert list(Switch.objects.values_list("key", flat=True)) == ["parent"]


@pytest.mark.parametrize("default", [True, False, None])
def test_conditions_that_cannot_be_used_are_a_general_error(table: dict[str, Any], default: bool | None) -> None:
    resolution = resolve("broken", *table["alice"], default=default)
    assert (resolution.value, resolution.reason, resolution.variant) == (default, ERROR, None)
    assert (resolution.error_code, resolution.status) == (GENERAL, SELECTIVE)
    assert "nope" in resolution.error_message
    assert gargoyle.is_active("broken", *table["alice"], default=default) is default


class Exploding(ConditionSet):
    """A condition set with a bug: reading a field raises."""

    flavour = String()

    def get_namespace(self) -> str:
        return "exploding"

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        raise RuntimeError("the condition set broke")


@pytest.mark.parametrize("default", [True, False])
def test_a_condition_set_that_raises_is_a_general_error_with_the_default(default: bool) -> None:
    gargoyle.register(Exploding)
    try:
        Switch.objects.create(key="exploding", status=SELECTIVE, value={"exploding": {"flavour": [["i", "x"]]}})
        resolution = resolve("exploding", default=default)
        assert gargoyle.is_active("exploding", default=default) is default
    finally:
        gargoyle.unregister(Exploding)
    assert (resolution.value, resolution.reason, resolution.error_code) == (default, ERROR, GENERAL)
    assert resolution.error_message == "RuntimeError: the condition set broke"


def test_switches_forced_by_testutils_are_static(table: dict[str, Any]) -> None:
    with switches(alice_only=False, brand_new=True):
        assert answer(resolve("alice_only", *table["alice"])) == (False, STATIC, "off")
        assert answer(resolve("brand_new")) == (True, STATIC, "on")
        assert "brand_new" in known_keys()
    assert answer(resolve("alice_only", *table["alice"])) == (True, TARGETING_MATCH, "on")


@override_settings(GARGOYLE_SWITCH_DEFAULTS=CODE_DEFAULTS)
def test_known_keys_are_the_stored_switches_and_the_code_defaults_sorted() -> None:
    Switch.objects.create(key="zeta", status=GLOBAL)
    Switch.objects.create(key="coded", status=DISABLED)
    assert list(known_keys()) == ["coded", "coded_off", "zeta"]


@override_settings(GARGOYLE_SWITCH_DEFAULTS=CODE_DEFAULTS, GARGOYLE_AUTO_CREATE=False)
def test_resolve_and_is_active_always_agree_on_the_value(table: dict[str, Any]) -> None:
    keys = [*Switch.objects.values_list("key", flat=True), "coded", "coded_off"]
    checked = 0
    for key, instances, default in itertools.product(keys, table.values(), (True, False, None)):
        expected = gargoyle.is_active(key, *instances, default=default)
        resolution = resolve(key, *instances, default=default)
        assert resolution.value is expected, (key, instances, default, resolution)
        if resolution.error_code is None:
            assert resolution.variant == (None if expected is None else ("on" if expected else "off"))
        else:
            assert (key, resolution.error_code, resolution.variant) == ("broken", GENERAL, None)
        checked += 1
    assert checked == len(keys) * len(table) * 3
    # The table is worth its name: the percent switch splits the users, the office the requests.
    many = table["many users"]
    assert {resolve("half", user).value for user in many} == {True, False}


@override_settings(GARGOYLE_SWITCH_DEFAULTS=CODE_DEFAULTS)
def test_aresolve_gives_what_resolve_gives(table: dict[str, Any]) -> None:
    async def both(key: str, instances: tuple[Any, ...]) -> Resolution:
        return await aresolve(key, *instances, default=None)

    for key, who in [
        ("alice_only", "alice"),
        ("office", "alice in the office"),
        ("office", "a visitor outside"),
        ("alice_only:inherit", "bob"),
        ("inherit", "nobody"),
        ("coded", "nobody"),
        ("broken", "alice"),
        ("missing", "alice"),
    ]:
        assert async_to_sync(both)(key, table[who]) == resolve(key, *table[who], default=None)


def test_aresolve_loads_a_requests_user_off_the_event_loop() -> None:
    alice = User.objects.create_user("alice")
    selective("alice_only", (USER, "username", "alice", False))
    request = RequestFactory().get("/")
    request.user = alice

    async def asked() -> Resolution:
        return await aresolve("alice_only", request)

    assert answer(async_to_sync(asked)()) == (True, TARGETING_MATCH, "on")


# -- switches_reloaded -------------------------------------------------------------------------


@pytest.fixture
def reloads() -> Any:
    heard: list[tuple[Any, frozenset[str]]] = []

    def receiver(sender: Any, changed: frozenset[str], **kwargs: Any) -> None:
        heard.append((sender, changed))

    gargoyle.refresh()  # the rows as they are now are the starting point
    signals.switches_reloaded.connect(receiver, weak=False, dispatch_uid="test_resolution")
    yield heard
    signals.switches_reloaded.disconnect(dispatch_uid="test_resolution")


@pytest.mark.django_db(transaction=True)
@override_settings(GARGOYLE_AUTO_CREATE=False)
def test_switches_reloaded_is_sent_once_with_the_changed_keys(reloads: list[Any]) -> None:
    Switch.objects.create(key="unchanged", status=GLOBAL)
    gargoyle.is_active("unchanged")
    assert reloads == [(gargoyle, frozenset({"unchanged"}))]
    reloads.clear()
    Switch.objects.create(key="added", status=GLOBAL)
    Switch.objects.filter(key="unchanged").update(label="a label")  # any stored field counts
    assert reloads == []  # sent when the process reloads, at its next check
    for _ in range(3):
        assert gargoyle.is_active("added") is True
    assert reloads == [(gargoyle, frozenset({"added", "unchanged"}))]
    Switch.objects.filter(key="added").delete()
    assert resolve("added").error_code == FLAG_NOT_FOUND
    assert reloads[1:] == [(gargoyle, frozenset({"added"}))]


@pytest.mark.django_db(transaction=True)
def test_switches_reloaded_is_not_sent_for_a_reload_that_changed_nothing(reloads: list[Any]) -> None:
    gargoyle.refresh()
    Switch.objects.filter(key="nothing-matches").update(status=GLOBAL)  # a write that changes no row
    gargoyle.refresh()
    assert reloads == []


def test_switches_reloaded_waits_for_the_commit(reloads: list[Any]) -> None:
    # Inside the test's transaction the writing thread sees its write, but the process has
    # not reloaded committed switches: nobody may hear of a change that could roll back.
    Switch.objects.create(key="uncommitted", status=GLOBAL)
    assert gargoyle.is_active("uncommitted") is True
    assert reloads == []


@pytest.mark.django_db(transaction=True)
@override_settings(GARGOYLE_AUTO_CREATE=False)
def test_a_receiver_connected_for_the_manager_hears_its_reloads() -> None:
    heard: list[frozenset[str]] = []

    def receiver(sender: Any, changed: frozenset[str], **kwargs: Any) -> None:
        heard.append(changed)

    gargoyle.refresh()
    signals.switches_reloaded.connect(receiver, sender=gargoyle, weak=False, dispatch_uid="for-the-manager")
    try:
        Switch.objects.create(key="added", status=GLOBAL)
        assert gargoyle.is_active("added") is True
    finally:
        signals.switches_reloaded.disconnect(sender=gargoyle, dispatch_uid="for-the-manager")
    assert heard == [frozenset({"added"})]
