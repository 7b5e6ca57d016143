"""status/bulk/: the panel's bulk status change, all or nothing, with the row's permission checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.history import SwitchChange
from gargoyle.models import Switch
from tests.test_api import ALL, EDITOR, fails, ok, url

pytestmark = [pytest.mark.urls("tests.test_api"), pytest.mark.django_db]


@pytest.fixture
def login(client: Client, django_user_model: Any) -> Any:
    """Log ``client`` in as alice, staff with the given gargoyle permissions."""

    def as_user(*perms: str) -> Any:
        user = django_user_model.objects.create_user(username="alice", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="gargoyle", codename__in=perms))
        client.force_login(user)
        return user

    return as_user


@pytest.fixture
def admin(login: Any) -> Any:
    return login(*ALL)


@pytest.fixture
def three() -> list[str]:
    for key in ("alpha", "beta", "gamma"):
        Switch.objects.create(key=key, status=DISABLED)
    Switch.objects.filter(key="gamma").update(status=SELECTIVE)
    return ["alpha", "beta", "gamma"]


def statuses() -> dict[str, int]:
    return dict(Switch.objects.order_by("key").values_list("key", "status"))


def post(client: Client, keys: list[str], status: str) -> Any:
    return client.post(url("bulk-status"), {"key": keys, "status": status})


def test_sets_every_status_and_records_one_change_per_switch(client: Client, admin: Any, three: list[str]) -> None:
    data = ok(post(client, three, str(SELECTIVE)))
    assert statuses() == {"alpha": SELECTIVE, "beta": SELECTIVE, "gamma": SELECTIVE}
    assert [item["key"] for item in data["switches"]] == three
    # gamma was Selective already: two changes, each undoable alone.
    changes = SwitchChange.objects.filter(pk__in=data["changeIds"])
    assert sorted(change.switch_key for change in changes) == ["alpha", "beta"]
    assert data["changeSummary"] == "2 switches changed"
    assert all(change.username == "alice" for change in changes)
    ok(client.post(url("undo"), {"id": str(data["changeIds"][0])}))
    assert statuses()["alpha"] == DISABLED


def test_an_unknown_key_changes_nothing(client: Client, admin: Any, three: list[str]) -> None:
    before, changes = statuses(), SwitchChange.objects.count()
    fails(post(client, ["alpha", "nope", "beta"], str(SELECTIVE)), 404, "nope")
    assert statuses() == before
    assert SwitchChange.objects.count() == changes


@pytest.mark.parametrize("status", ["0", "5", " 2", "global", ""])
def test_a_bad_status_changes_nothing(client: Client, admin: Any, three: list[str], status: str) -> None:
    before = statuses()
    fails(post(client, three, status), 400, "status")
    assert statuses() == before


def test_no_key_is_refused(client: Client, admin: Any, three: list[str]) -> None:
    fails(post(client, [], str(SELECTIVE)), 400, "key:")
    fails(post(client, ["  "], str(SELECTIVE)), 400, "key:")


def test_global_needs_its_own_permission(client: Client, login: Any, three: list[str]) -> None:
    login(*EDITOR)
    before = statuses()
    fails(post(client, three, str(GLOBAL)), 403, "gargoyle.set_global")
    assert statuses() == before
    ok(post(client, three, str(DISABLED)))  # other statuses need only change_switch
    assert set(statuses().values()) == {DISABLED}


def test_viewers_may_not(client: Client, login: Any, three: list[str]) -> None:
    login("view_switch")
    before = statuses()
    fails(post(client, three, str(DISABLED)), 403, "gargoyle.change_switch")
    assert statuses() == before


def test_keys_are_taken_as_sent(client: Client, admin: Any) -> None:
    # A key may end in a space (validate_key allows it): it names that switch, not "foo".
    Switch.objects.create(key="foo ", status=DISABLED)
    Switch.objects.create(key="foo", status=DISABLED)
    ok(post(client, ["foo "], str(SELECTIVE)))
    assert statuses() == {"foo": DISABLED, "foo ": SELECTIVE}


def test_more_keys_than_the_limit_are_refused(client: Client, admin: Any, three: list[str]) -> None:
    from gargoyle._web.bulk import MAX_KEYS

    before = statuses()
    fails(post(client, [f"k{number}" for number in range(MAX_KEYS + 1)], str(SELECTIVE)), 400, "at most")
    assert statuses() == before


def test_bulk_undo_reverts_every_change_or_none(client: Client, login: Any, three: list[str]) -> None:
    user = login(*ALL)
    data = ok(post(client, three, str(GLOBAL)))
    assert set(statuses().values()) == {GLOBAL}
    undone = ok(client.post(url("bulk-undo"), {"id": [str(change) for change in data["changeIds"]]}))
    assert statuses() == {"alpha": DISABLED, "beta": DISABLED, "gamma": SELECTIVE}
    assert [item["key"] for item in undone["switches"]] == three
    assert len(undone["changeIds"]) == 3

    # Without set_global, undoing changes that left Global is refused: nothing is undone.
    ok(post(client, three, str(GLOBAL)))
    data = ok(post(client, three, str(DISABLED)))
    user.user_permissions.remove(*user.user_permissions.filter(codename="set_global"))
    user = type(user).objects.get(pk=user.pk)  # permissions are cached on the instance
    client.force_login(user)
    before = statuses()
    fails(client.post(url("bulk-undo"), {"id": [str(change) for change in data["changeIds"]]}), 403, "set_global")
    assert statuses() == before


def test_bulk_undo_is_refused_whole_when_one_cannot_be_undone(client: Client, admin: Any, three: list[str]) -> None:
    data = ok(post(client, three, str(DISABLED)))  # alpha, beta unchanged (already Disabled); gamma changes
    data = ok(post(client, three, str(SELECTIVE)))
    ok(post(client, ["alpha"], str(GLOBAL)))  # a later change of alpha's status
    before = statuses()
    fails(client.post(url("bulk-undo"), {"id": [str(change) for change in data["changeIds"]]}), 400, "alpha")
    assert statuses() == before
