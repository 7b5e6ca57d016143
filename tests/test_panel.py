"""The switch panel inside the admin: access, the page it renders, and the API mounted under it."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import include, path, reverse

from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.history import SwitchChange
from gargoyle.models import Switch

urlpatterns = [
    path("admin/", admin.site.urls),
    path("gargoyle/", include("gargoyle.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

PANEL = "admin:gargoyle_switch_changelist"
XSS = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"  # 62 characters: a label
XSS_TEXT = XSS + " \"quoted\" 'single' & more"
STATIC = Path(__file__).resolve().parent.parent / "gargoyle" / "static" / "gargoyle"
ENTRY = "gargoyle/panel/main.js"  # the panel's entry module; it imports the others


@pytest.fixture
def make_user(django_user_model: Any) -> Any:
    def make(*codenames: str, staff: bool = True, username: str = "alice", **extra: Any) -> Any:
        user = django_user_model.objects.create_user(username=username, password="x", is_staff=staff, **extra)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="gargoyle", codename__in=codenames))
        return user

    return make


@pytest.fixture
def client_for(make_user: Any) -> Any:
    def login(*codenames: str, **kwargs: Any) -> Client:
        client = Client()
        client.force_login(make_user(*codenames, **kwargs))
        return client

    return login


def panel_data(response: Any) -> dict[str, Any]:
    match = re.search(rb'<script id="gargoyle-data" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the page carries its data in a json_script block"
    return json.loads(match.group(1))


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes and where it stands."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], bool]] = []
        self.in_main = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.in_main += 1
        self.tags.append((tag, dict(attrs), self.in_main > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main -= 1


def tags_of(response: Any) -> list[tuple[str, dict[str, str | None], bool]]:
    parser = Tags()
    parser.feed(response.content.decode())
    return parser.tags


def script_sources() -> str:
    """Every script of the panel (all the .js files under gargoyle/static/gargoyle/), joined."""
    files = sorted(STATIC.rglob("*.js"))
    assert files, "the panel has scripts"
    return "\n".join(path.read_text() for path in files)


# -- who may see the panel -----------------------------------------------------------------------


def test_anonymous_users_go_to_the_admin_login(client: Client) -> None:
    url = reverse(PANEL)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "next=" in response["Location"]


def test_non_staff_users_go_to_the_admin_login(client_for: Any) -> None:
    response = client_for("view_switch", staff=False).get(reverse(PANEL))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_view_permission_is_refused(client_for: Any) -> None:
    assert client_for().get(reverse(PANEL)).status_code == 403


@pytest.mark.parametrize("codename", ["view_switch", "can_view", "change_switch"])
def test_the_view_permission_shows_the_panel(client_for: Any, codename: str) -> None:
    Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    response = client_for(codename).get(reverse(PANEL))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert [switch["key"] for switch in panel_data(response)["switches"]] == ["beta"]


def test_the_panel_is_listed_in_the_admin_index(client_for: Any) -> None:
    response = client_for("view_switch").get(reverse("admin:index"))
    assert reverse(PANEL).encode() in response.content


# -- what the page holds ---------------------------------------------------------------------------


def test_the_page_data(client_for: Any) -> None:
    switch = Switch.objects.create(key="beta", label="Beta", description="Rebuilt", status=SELECTIVE)
    from gargoyle.manager import gargoyle

    switch.add_condition(gargoyle, "gargoyle.builtins.UserConditionSet(auth.user)", "percent", "0-25")
    response = client_for("view_switch", "add_switch", "change_switch", "delete_switch", "set_global").get(
        reverse(PANEL)
    )
    data = panel_data(response)
    [beta] = data["switches"]
    assert beta["label"] == "Beta"
    assert beta["description"] == "Rebuilt"
    assert beta["statusLabel"] == "Active for conditions"
    assert beta["audience"] == "On for: 25 % of signed-in users"
    assert beta["problem"] is None
    assert beta["conditions"][0]["conditions"] == [["percent", "0-25", "Percent: 25% (0-25)", False, "i"]]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", beta["date_modified"])  # as the API writes it
    assert data["permissions"] == {"view": True, "add": True, "change": True, "delete": True, "setGlobal": True}
    user_set = next(s for s in data["conditionSets"] if s["id"].startswith("gargoyle.builtins.UserConditionSet"))
    assert {"name": "percent", "type": "percent"}.items() <= user_set["fields"][0].items()
    base = reverse(PANEL)
    assert data["urls"] == {
        "add": f"{base}api/add/",
        "update": f"{base}api/update/",
        "status": f"{base}api/status/",
        "bulkStatus": f"{base}api/status/bulk/",
        "bulkUndo": f"{base}api/history/undo/bulk/",
        "delete": f"{base}api/delete/",
        "addCondition": f"{base}api/conditions/add/",
        "removeCondition": f"{base}api/conditions/remove/",
        "switches": f"{base}api/switches/",
        "preview": f"{base}api/preview/",
        "history": f"{base}api/history/",
        "restore": f"{base}api/history/restore/",
        "undo": f"{base}api/history/undo/",
        "audience": f"{base}api/audience/",
        "markReviewed": f"{base}api/upgrade/reviewed/",
        "schedules": f"{base}api/schedules/",
        "addSchedule": f"{base}api/schedules/add/",
        "editSchedule": f"{base}api/schedules/edit/",
        "cancelSchedule": f"{base}api/schedules/cancel/",
        "rollouts": f"{base}api/rollouts/",
        "startRollout": f"{base}api/rollouts/start/",
        "pauseRollout": f"{base}api/rollouts/pause/",
        "resumeRollout": f"{base}api/rollouts/resume/",
        "advanceRollout": f"{base}api/rollouts/advance/",
        "abortRollout": f"{base}api/rollouts/abort/",
    }
    assert data["siteTimeZone"] == "America/Chicago"  # the panel shows a schedule's time there too


def test_permissions_block_follows_the_user(client_for: Any) -> None:
    data = panel_data(client_for("view_switch").get(reverse(PANEL)))
    assert data["permissions"] == {"view": True, "add": False, "change": False, "delete": False, "setGlobal": False}
    data = panel_data(client_for("view_switch", "change_switch", username="bob").get(reverse(PANEL)))
    assert data["permissions"] == {"view": True, "add": False, "change": True, "delete": False, "setGlobal": False}


def test_selective_without_conditions_says_off(client_for: Any) -> None:
    Switch.objects.create(key="beta", status=SELECTIVE)
    [beta] = panel_data(client_for("view_switch").get(reverse(PANEL)))["switches"]
    assert beta["statusLabel"] == "Selective with no conditions: off for everyone"


def test_the_page_has_no_inline_script_or_style(client_for: Any) -> None:
    Switch.objects.create(key="beta", label="Beta", description="x")
    tags = tags_of(client_for("view_switch").get(reverse(PANEL)))
    scripts = [attrs for tag, attrs, _ in tags if tag == "script"]
    assert any((attrs.get("src") or "").endswith(ENTRY) and attrs.get("type") == "module" for attrs in scripts)
    inline = [attrs for attrs in scripts if not attrs.get("src")]
    assert inline == [{"id": "gargoyle-data", "type": "application/json"}]
    assert not [tag for tag, _, _ in tags if tag == "style"]
    assert not [(tag, attrs) for tag, attrs, in_main in tags if in_main and "style" in attrs]
    assert not [(tag, attrs) for tag, attrs, _ in tags if any(name.startswith("on") for name in attrs)]
    stylesheets = [attrs["href"] for tag, attrs, _ in tags if tag == "link" and attrs.get("rel") == "stylesheet"]
    assert any(href.endswith("gargoyle/panel.css") for href in stylesheets)


def test_labels_with_html_are_escaped_in_the_page(client_for: Any) -> None:
    Switch.objects.create(key="x\"'<b>", label=XSS, description=XSS_TEXT)
    response = client_for("view_switch").get(reverse(PANEL))
    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert "<img src=x" not in content
    [switch] = panel_data(response)["switches"]
    assert (switch["key"], switch["label"], switch["description"]) == ("x\"'<b>", XSS, XSS_TEXT)


def test_the_page_carries_a_csrf_token_and_the_panel_frame(client_for: Any) -> None:
    response = client_for("view_switch").get(reverse(PANEL))
    tags = tags_of(response)
    assert any(tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" for tag, attrs, _ in tags)
    ids = {attrs.get("id") for _, attrs, _ in tags}
    assert {"gargoyle-switches", "gargoyle-live", "gargoyle-switch-dialog", "gargoyle-confirm-dialog"} <= ids
    live = next(attrs for _, attrs, _ in tags if attrs.get("id") == "gargoyle-live")
    assert live["aria-live"] == "polite"
    dialogs = [attrs for tag, attrs, _ in tags if tag == "dialog"]
    assert all(attrs.get("aria-labelledby") for attrs in dialogs)


def test_every_text_the_script_uses_is_in_the_page(client_for: Any) -> None:
    content = client_for("view_switch").get(reverse(PANEL)).content.decode()
    texts = set(re.findall(r'data-text="(\w+)"', content))
    used = set(re.findall(r'\bt\("(\w+)"', script_sources()))
    dynamic = {"statusInherit", "statusGlobal", "statusSelective", "statusDisabled", "sort_created", "sort_modified"}
    dynamic |= {"sort_label", "countOne", "countMatch", "countMatchOne", "count", "sortedAscending"}
    dynamic |= {"sortedDescending", "restoreBeforeMessage", "restoreAfterMessage", "from", "to", "addCondition"}
    dynamic |= {"preview", "history"}
    assert used | dynamic <= texts


# -- the static files --------------------------------------------------------------------------------


def test_static_files_are_found_through_staticfiles() -> None:
    assert finders.find(ENTRY)
    assert finders.find("gargoyle/panel.css")


def test_the_script_builds_no_markup_from_strings() -> None:
    script = script_sources()
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "jQuery",
    ):
        assert forbidden not in script, forbidden
    assert 'setAttribute("style"' not in script


# -- the API under the admin -----------------------------------------------------------------------


def api_url(name: str) -> str:
    return reverse(f"admin:gargoyle_switch_api_{name}")


def test_the_api_under_the_admin_works_with_the_session_and_csrf(make_user: Any) -> None:
    Switch.objects.create(key="beta", label="Beta", status=DISABLED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("view_switch", "change_switch"))
    client.get(reverse(PANEL))  # sets the CSRF cookie, as the page does for the script
    token = client.cookies["csrftoken"].value

    refused = client.post(api_url("status"), {"key": "beta", "status": "2"})
    assert refused.status_code == 403
    assert Switch.objects.get(key="beta").status == DISABLED

    response = client.post(api_url("status"), {"key": "beta", "status": "2"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["success"] is True
    assert body["data"]["status"] == SELECTIVE
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert Switch.objects.get(key="beta").status == SELECTIVE
    change = SwitchChange.objects.filter(switch_key="beta").first()
    assert change.username == "alice"

    listing = json.loads(client.get(api_url("switches")).content)["data"]
    assert [switch["key"] for switch in listing["switches"]] == ["beta"]
    assert listing["permissions"]["change"] is True


def test_the_api_under_the_admin_checks_permissions(client_for: Any) -> None:
    Switch.objects.create(key="beta", status=SELECTIVE)
    client = client_for("view_switch")
    response = client.post(api_url("status"), {"key": "beta", "status": "3"})
    assert response.status_code == 403
    assert json.loads(response.content)["success"] is False
    assert Switch.objects.get(key="beta").status == SELECTIVE

    client = client_for("view_switch", "change_switch", username="bob")
    response = client.post(api_url("status"), {"key": "beta", "status": str(GLOBAL)})
    assert response.status_code == 403
    assert "set_global" in json.loads(response.content)["data"]


def test_the_api_under_the_admin_sends_anonymous_callers_to_the_login(client: Client) -> None:
    response = client.post(api_url("status"), {"key": "beta", "status": "3"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_api_under_the_admin_answers_bad_input_with_400(client_for: Any) -> None:
    client = client_for("view_switch", "add_switch")
    response = client.post(api_url("add"), {"key": ""})
    assert response.status_code == 400
    assert "key" in json.loads(response.content)["data"]


# -- Django's other switch pages lead to the panel ----------------------------------------------------


def test_the_add_page_opens_the_add_dialog(client_for: Any) -> None:
    response = client_for("view_switch", "add_switch").get(reverse("admin:gargoyle_switch_add"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(PANEL)}?add=1"
    assert client_for("view_switch", username="bob").get(reverse("admin:gargoyle_switch_add")).status_code == 403


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_the_object_pages_search_the_panel(client_for: Any, page: str) -> None:
    Switch.objects.create(key="search_v2:facets")
    client = client_for("view_switch", "change_switch", "delete_switch")
    url = reverse(f"admin:gargoyle_switch_{page}", args=["search_v2:facets"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(PANEL)}?q=search_v2%3Afacets"
    assert Switch.objects.filter(key="search_v2:facets").exists()  # a GET deletes nothing
    assert client.post(reverse("admin:gargoyle_switch_delete", args=["search_v2:facets"])).status_code == 302
    assert Switch.objects.filter(key="search_v2:facets").exists()  # nor does a POST to the old page


def test_the_object_pages_need_the_view_permission(client_for: Any) -> None:
    Switch.objects.create(key="beta")
    assert client_for().get(reverse("admin:gargoyle_switch_change", args=["beta"])).status_code == 403


# -- the history admin ------------------------------------------------------------------------------


def test_the_history_is_a_read_only_admin(client_for: Any) -> None:
    Switch.objects.create(key="beta", label="Beta")
    change = SwitchChange.objects.get(switch_key="beta")
    client = client_for("view_switch")
    listing = client.get(reverse("admin:gargoyle_switchchange_changelist"))
    assert listing.status_code == 200
    assert b"beta" in listing.content
    detail = client.get(reverse("admin:gargoyle_switchchange_change", args=[change.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get(reverse("admin:gargoyle_switchchange_add")).status_code == 403
    assert client.post(reverse("admin:gargoyle_switchchange_delete", args=[change.pk])).status_code == 403
    assert SwitchChange.objects.filter(pk=change.pk).exists()
    assert client_for(username="bob").get(reverse("admin:gargoyle_switchchange_changelist")).status_code == 403
