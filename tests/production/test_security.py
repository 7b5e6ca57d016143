"""Security (issue 5, point 6): every gargoyle endpoint refuses whoever may not use it.

The test walks the URLconf (the JSON API's include and the admin, which mounts the API
again and the switch and history pages), so an endpoint added later without a check fails
here. Only the endpoints listed in READS may answer a GET; every other one is mutating and
must refuse anonymous users, staff without the permission, a POST without a CSRF token and
a GET. No refused request may change anything in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from gargoyle import urls as api_urls
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import Rollout, ScheduledChange, SnapshotVersion, Switch

pytestmark = [pytest.mark.urls("tests.production.security_urls"), pytest.mark.django_db]

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"

# The only endpoints that read: they answer GET, and change nothing whatever the method.
# The admin's switch pages (change, delete, history, the object redirect) only lead to the
# panel (see gargoyle.admin), and the history admin is read only.
READS = {
    "switches",
    "preview",
    "audience",
    "history",
    "schedules",
    "rollouts",
    "gargoyle_switch_changelist",
    "gargoyle_switch_change",
    "gargoyle_switch_delete",
    "gargoyle_switch_history",
    "gargoyle_switchchange_changelist",
    "gargoyle_switchchange_change",
    "gargoyle_switchchange_history",
    None,  # the admin's unnamed "<object_id>/" redirect to the change page
}
# Valid data for each endpoint, so that a missing check is not hidden behind a 400.
DATA = {
    "add": {"key": "new"},
    "update": {"curkey": "feature", "name": "x", "key": "renamed"},  # a rename: the most to refuse
    "status": {"key": "feature", "status": "3"},
    "bulk-status": {"key": "feature", "status": "3"},
    "delete": {"key": "feature"},
    "add-condition": {"key": "feature", "id": USER_SET, "field": "username", "username": "bob"},
    "remove-condition": {"key": "feature", "id": USER_SET, "field": "username", "value": "alice"},
    "restore": {"id": "{change}", "state": "before"},
    "undo": {"id": "{change}"},
    "bulk-undo": {"id": "{change}"},
    "mark-reviewed": {"key": "feature"},
    "preview": {"key": "feature", "username": "viewer"},
    "audience": {"key": "feature"},
    "history": {"key": "feature"},
    "schedules": {"key": "feature"},
    "add-schedule": {"key": "feature", "action": "status", "status": "3", "due": "2040-01-01T09:00Z"},
    "edit-schedule": {"id": "{schedule}", "due": "2040-01-02T09:00Z"},
    "cancel-schedule": {"id": "{schedule}"},
    "rollouts": {"key": "feature"},
    "start-rollout": {"key": "feature", "stages": "1, 100"},
    "pause-rollout": {"id": "{rollout}"},
    "resume-rollout": {"id": "{rollout}"},
    "advance-rollout": {"id": "{rollout}"},
    "abort-rollout": {"id": "{rollout}"},
}


@dataclass
class Endpoint:
    route: str
    name: str | None
    api_name: str | None  # the gargoyle.urls name, under either mount

    @property
    def reads(self) -> bool:
        return (self.api_name if self.api_name is not None else self.name) in READS

    def url(self, switch_key: str, change_id: int) -> str:
        object_id = str(change_id) if "switchchange" in self.route else switch_key
        return "/" + re.sub(r"<(?:\w+:)?\w+>", object_id, self.route)

    def data(self, change_id: int) -> dict[str, str]:
        data = DATA.get(self.api_name or "", {})
        schedule = ScheduledChange.objects.filter(state="pending").order_by("-pk").values_list("pk", flat=True).first()
        rollout = Rollout.objects.order_by("-pk").values_list("pk", flat=True).first()
        return {
            name: value.format(change=change_id, schedule=schedule, rollout=rollout) for name, value in data.items()
        }


def walk(patterns: Any, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(walk(entry.url_patterns, route))
        elif isinstance(entry, URLPattern):
            found.append((route, entry))
    return found


def gargoyle_endpoints() -> list[Endpoint]:
    """Every URL of the JSON API's include, and every admin URL of gargoyle's models."""
    api_names = {pattern.callback: pattern.name for pattern in api_urls.urlpatterns}
    endpoints = []
    for route, pattern in walk(get_resolver().url_patterns):
        callback = getattr(pattern.callback, "__wrapped__", pattern.callback)
        in_gargoyle = route.startswith(("gargoyle/", "admin/gargoyle/")) or callback.__module__.startswith("gargoyle")
        if not in_gargoyle:
            continue
        api_name = api_names.get(callback) or api_names.get(pattern.callback)
        endpoints.append(Endpoint(route, pattern.name, api_name))
    return endpoints


def snapshot() -> dict[str, list]:
    return {
        "switches": sorted(map(repr, Switch.objects.order_by("key").values_list())),
        "history": list(SwitchChange.objects.order_by("id").values_list("id", "switch_key", "before", "after")),
        "version": list(SnapshotVersion.objects.values_list("number", flat=True)),
        "schedules": list(ScheduledChange.objects.order_by("id").values_list("id", "due_at", "state", "arguments")),
        "rollouts": list(Rollout.objects.order_by("id").values_list("id", "state", "stage", "run")),
    }


@pytest.fixture
def world() -> dict[str, Any]:
    switch = Switch(key="feature", label="Feature", status=2)
    switch.save()
    switch.add_condition(gargoyle, USER_SET, "username", "alice")  # two recorded changes to restore
    change = SwitchChange.objects.filter(switch_key="feature").order_by("id").last()
    ScheduledChange.objects.create(  # one to move or cancel
        switch_key="feature", action="status", arguments={"status": 1}, due_at=timezone.now() + timedelta(days=1)
    )
    Rollout.objects.create(  # one to pause, advance or abort (on a switch of its own: "feature" may start one)
        switch_key="other",
        condition_set=USER_SET,
        field="percent",
        stages=[{"percent": "1", "hold": 0, "min_exposed": 0}],
    )
    perms = Permission.objects.filter(content_type__app_label="gargoyle")
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.set(perms.filter(codename="view_switch"))
    return {
        "change": change.pk,
        "superuser": User.objects.create_superuser("root", "root@example.com", "pw"),
        "viewer": viewer,
        "nobody": User.objects.create_user("staff-without-permissions", is_staff=True),
        "customer": User.objects.create_user("customer", is_staff=False),
    }


def client_for(user: Any = None, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def refused_anonymous(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/login/" in response["Location"]


def test_the_walk_finds_every_api_endpoint_under_both_mounts():
    endpoints = gargoyle_endpoints()
    api = [endpoint for endpoint in endpoints if endpoint.api_name]

    assert len(api) == 2 * len(api_urls.urlpatterns), [endpoint.route for endpoint in api]
    assert any(endpoint.route.startswith("admin/gargoyle/switch/") and not endpoint.api_name for endpoint in endpoints)
    assert any(endpoint.route.startswith("admin/gargoyle/switchchange/") for endpoint in endpoints)
    assert sum(1 for endpoint in endpoints if not endpoint.reads) >= 2 * 7


def test_every_endpoint_refuses_anonymous_users_and_customers(world):
    for endpoint in gargoyle_endpoints():
        url = endpoint.url("feature", world["change"])
        for method in ("get", "post"):
            for user in (None, world["customer"]):
                before = snapshot()
                response = getattr(client_for(user), method)(url, endpoint.data(world["change"]))
                assert refused_anonymous(response), (endpoint.route, method, user, response.status_code)
                assert snapshot() == before, (endpoint.route, method, user)


def test_every_endpoint_refuses_staff_without_the_permission(world):
    for endpoint in gargoyle_endpoints():
        url = endpoint.url("feature", world["change"])
        data = endpoint.data(world["change"])
        users = [world["nobody"]] if endpoint.reads else [world["nobody"], world["viewer"]]
        for user in users:
            before = snapshot()
            if endpoint.reads:
                response = client_for(user).get(url, data, follow=True)
            else:
                response = client_for(user).post(url, data, follow=True)
            assert response.status_code == 403, (endpoint.route, user.username, response.status_code)
            assert snapshot() == before, (endpoint.route, user.username)


def test_every_mutating_endpoint_refuses_a_post_without_csrf_token(world):
    for endpoint in gargoyle_endpoints():
        if endpoint.reads:
            continue
        before = snapshot()
        response = client_for(world["superuser"], csrf=True).post(
            endpoint.url("feature", world["change"]), endpoint.data(world["change"])
        )
        assert response.status_code == 403, (endpoint.route, response.status_code)
        assert snapshot() == before, endpoint.route


def test_every_mutating_endpoint_refuses_get(world):
    for endpoint in gargoyle_endpoints():
        if endpoint.reads:
            continue
        before = snapshot()
        response = client_for(world["superuser"]).get(
            endpoint.url("feature", world["change"]), endpoint.data(world["change"])
        )
        if endpoint.api_name:
            assert response.status_code == 405, (endpoint.route, response.status_code)
        else:  # the admin's add/delete pages: a 403, or a redirect to the panel
            assert response.status_code in (302, 403, 405), (endpoint.route, response.status_code)
        assert snapshot() == before, endpoint.route


def test_read_endpoints_change_nothing_even_when_posted(world):
    for endpoint in gargoyle_endpoints():
        if not endpoint.reads:
            continue
        before = snapshot()
        response = client_for(world["superuser"]).post(
            endpoint.url("feature", world["change"]), endpoint.data(world["change"])
        )
        assert response.status_code < 500, endpoint.route
        assert snapshot() == before, endpoint.route


def test_the_permitted_user_gets_through(world):
    """The refusals above are the checks at work, not broken URLs: a superuser is served."""
    for endpoint in gargoyle_endpoints():
        Switch.objects.filter(key__in=["renamed", "new"]).delete()
        if not Switch.objects.filter(key="feature").exists():
            # Deleted by the previous endpoint: a new switch, with a change of its own to restore
            # (restoring the deleted one's changes would be refused: its key is taken).
            Switch.objects.create(key="feature").add_condition(gargoyle, USER_SET, "username", "alice")
            world["change"] = SwitchChange.objects.filter(switch_key="feature").order_by("id").last().pk
        if endpoint.api_name in ("undo", "bulk-undo"):  # a change nothing came after, so that it can be undone alone
            Switch.objects.get(key="feature").add_condition(gargoyle, USER_SET, "username", "zoe")
            world["change"] = SwitchChange.objects.filter(switch_key="feature").order_by("id").last().pk
        if endpoint.api_name == "start-rollout":  # the first mount's started one: ended, so another may start
            Rollout.objects.filter(switch_key="feature").update(state="aborted")
        if endpoint.api_name in ("edit-schedule", "cancel-schedule"):
            ScheduledChange.objects.create(  # a pending one, the newest: the one the endpoint's data names
                switch_key="feature",
                action="status",
                arguments={"status": 1},
                due_at=timezone.now() + timedelta(days=1),
            )
        if endpoint.api_name in ("pause-rollout", "resume-rollout", "advance-rollout", "abort-rollout"):
            Rollout.objects.create(  # the newest, so the one the endpoint's data names; in the state it takes
                switch_key=f"rolled-{endpoint.route}",
                condition_set=USER_SET,
                field="percent",
                stages=[{"percent": str(percent), "hold": 0, "min_exposed": 0} for percent in (1, 5, 100)],
                state="paused" if endpoint.api_name == "resume-rollout" else "running",
            )
        client = client_for(world["superuser"])
        url = endpoint.url("feature", world["change"])
        if endpoint.reads:
            response = client.get(url, endpoint.data(world["change"]), follow=True)
            assert response.status_code == 200, (endpoint.route, response.status_code)
        elif endpoint.api_name:
            response = client.post(url, endpoint.data(world["change"]))
            assert response.status_code == 200, (endpoint.route, response.status_code, response.content[:200])
