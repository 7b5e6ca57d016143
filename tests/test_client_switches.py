"""``{% client_switches %}``: what the bulk OFREP endpoint would answer the same request, as data in the page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template, TemplateSyntaxError, engines
from django.test import Client, override_settings
from django.urls import include, path, set_script_prefix

from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.evaluations import bulk_evaluation, etag_of
from gargoyle.models import Switch


def page(request: HttpRequest) -> HttpResponse:
    """A page with the tag, rendered for ``request`` (as the ``request`` context processor would)."""
    template = engines["django"].from_string("{% load gargoyle_tags %}<main>{% client_switches %}</main>")
    return HttpResponse(template.render({}, request))


urlpatterns = [path("", include("gargoyle.ofrep")), path("page/", page)]


class Unmounted:
    """A site without gargoyle.ofrep's URLs."""

    urlpatterns = [path("page/", page)]


class Prefixed:
    """gargoyle.ofrep under a prefix of the site's."""

    urlpatterns = [path("flags/", include("gargoyle.ofrep"))]


pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

CLIENT_SWITCHES = ["everyone", "nobody", "staff_only", "inherits", "born_global", "not_a_switch"]


@pytest.fixture(autouse=True)
def switches() -> None:
    Switch.objects.create(key="everyone", status=GLOBAL)
    Switch.objects.create(key="nobody", status=DISABLED)
    Switch.objects.create(key="staff_only", status=SELECTIVE, value={"auth.user": {"is_staff": [["i", "1"]]}})
    Switch.objects.create(key="inherits", status=INHERIT)  # no parent: the caller's default
    Switch.objects.create(key="server_only", status=GLOBAL)  # not for browsers


@pytest.fixture(autouse=True)
def client_switches_setting() -> Any:
    with override_settings(
        GARGOYLE_CLIENT_SWITCHES=CLIENT_SWITCHES, GARGOYLE_SWITCH_DEFAULTS={"born_global": {"is_active": True}}
    ):
        yield


class Scripts(HTMLParser):
    """The ``<script>`` elements of a page: their attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.found.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.found[-1]
            self.found[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def scripts(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = Scripts()
    parser.feed(html)
    parser.close()
    return parser.found


def data_in(html: str, element_id: str = "gargoyle-client-switches") -> dict[str, Any]:
    """The JSON of the one ``<script type="application/json">`` of ``html``, which must have ``element_id``."""
    found = scripts(html)
    assert len(found) == 1, html
    attrs, text = found[0]
    assert attrs == {"id": element_id, "type": "application/json"}
    return json.loads(text)


def render(source: str, context: dict[str, Any] | None = None) -> str:
    return Template("{% load gargoyle_tags %}" + source).render(Context(context or {}))


# -- the same answer as the endpoint --------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "staff", "customer"])
def test_the_page_holds_what_the_bulk_endpoint_answers_the_same_visitor(who, django_user_model):
    client = Client()
    if who != "anonymous":
        client.force_login(django_user_model.objects.create_user(who, is_staff=who == "staff"))
    data = data_in(client.get("/page/").content.decode())
    response = client.post("/ofrep/v1/evaluate/flags", "{}", content_type="application/json")
    assert response.status_code == 200
    assert data == {"url": "/ofrep/v1/evaluate/flags", "etag": response["ETag"], "flags": response.json()["flags"]}
    # ... so a refresh with the page's ETag is a 304.
    again = client.post(
        "/ofrep/v1/evaluate/flags", '{"context": {}}', content_type="application/json", HTTP_IF_NONE_MATCH=data["etag"]
    )
    assert again.status_code == 304


def test_the_answers_are_the_client_switches_judged_for_the_request(rf, django_user_model):
    request = rf.get("/")
    request.user = django_user_model.objects.create_user("ada", is_staff=True)
    data = data_in(render("{% client_switches %}", {"request": request}))
    flags = {flag["key"]: flag for flag in data["flags"]}
    assert list(flags) == sorted(set(CLIENT_SWITCHES) - {"not_a_switch"})  # named switches only, sorted
    assert "server_only" not in flags
    assert {key: flag.get("value") for key, flag in flags.items()} == {
        "born_global": True,  # a code default
        "everyone": True,
        "inherits": None,  # the caller's default: no value
        "nobody": False,
        "staff_only": True,
    }
    assert flags["inherits"]["variant"] == "default"
    assert data["etag"] == etag_of({"flags": data["flags"]})


def test_a_key_that_would_close_the_script_element_stays_data(rf):
    key = '</script><script>alert("x")</script><!--'
    Switch.objects.create(key=key, status=GLOBAL)
    with override_settings(GARGOYLE_CLIENT_SWITCHES=[key]):
        html = render("{% client_switches %}", {"request": rf.get("/")})
    assert html.count("</script>") == 1  # the element's own end
    assert "<!--" not in html
    assert data_in(html)["flags"] == [{"key": key, "reason": "STATIC", "value": True, "variant": "on"}]


def test_without_request_in_the_context_the_switches_are_judged_for_nobody():
    """As {% ifswitch %} without a request: user conditions match no one, and nothing fails."""
    data = data_in(render("{% client_switches %}"))
    assert data["flags"] == bulk_evaluation(sorted(set(CLIENT_SWITCHES) - {"not_a_switch"}), details=False)["flags"]
    assert {flag["key"]: flag.get("value") for flag in data["flags"]}["staff_only"] is False
    assert data["url"] == "/ofrep/v1/evaluate/flags"


def test_without_client_switches_the_page_holds_no_answer(rf):
    with override_settings(GARGOYLE_CLIENT_SWITCHES=()):
        data = data_in(render("{% client_switches %}", {"request": rf.get("/")}))
    assert data["flags"] == []
    assert data["etag"] == etag_of({"flags": []})


# -- the endpoint's URL ---------------------------------------------------------------------------


@override_settings(ROOT_URLCONF=Unmounted)
def test_the_url_is_null_when_the_endpoint_is_not_mounted(rf):
    data = data_in(render("{% client_switches %}", {"request": rf.get("/")}))
    assert data["url"] is None
    assert len(data["flags"]) == 5  # the answers are there all the same


@override_settings(ROOT_URLCONF=Prefixed)
def test_the_url_follows_the_mount_point(rf):
    assert data_in(render("{% client_switches %}", {"request": rf.get("/")}))["url"] == "/flags/ofrep/v1/evaluate/flags"


def test_the_url_has_the_script_prefix(rf):
    """A site served under a prefix (SCRIPT_NAME, FORCE_SCRIPT_NAME): the handler sets it per request."""
    set_script_prefix("/shop/")
    try:
        html = render("{% client_switches %}", {"request": rf.get("/")})
        assert data_in(html)["url"] == "/shop/ofrep/v1/evaluate/flags"
    finally:
        set_script_prefix("/")


# -- the tag's arguments --------------------------------------------------------------------------


def test_another_element_id(rf):
    html = render('{% client_switches "checkout-switches" %}', {"request": rf.get("/")})
    assert data_in(html, "checkout-switches")["url"] == "/ofrep/v1/evaluate/flags"


def test_the_element_id_may_be_a_variable_and_is_escaped(rf):
    html = render("{% client_switches element %}", {"request": rf.get("/"), "element": 'a"b'})
    assert 'id="a&quot;b"' in html


def test_as_a_variable(rf):
    html = render("{% client_switches as data %}<div>{{ data }}</div>", {"request": rf.get("/")})
    assert re.fullmatch(r'<div><script id="gargoyle-client-switches" type="application/json">.*</script></div>', html)


def test_too_many_arguments_are_a_syntax_error():
    with pytest.raises(TemplateSyntaxError):
        Template("{% load gargoyle_tags %}{% client_switches 'a' 'b' %}")
