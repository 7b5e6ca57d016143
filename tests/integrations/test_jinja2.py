"""The Jinja2 extension, against real Jinja2 through Django's template engine API: ``{% ifswitch %}``,
``{% ifnotswitch %}``, the globals ``is_active()`` and ``client_switches()``, a real request's
session user judged by username and percent conditions, errors at compile time, async rendering.

Run by ``tox -e jinja2`` (Jinja2 installed); skipped elsewhere, and failing instead of
skipping when GARGOYLE_INTEGRATION_TESTS=1 says the package must be there.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template import TemplateSyntaxError, engines
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from gargoyle import gargoyle
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.models import Switch

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    import jinja2
else:
    jinja2 = pytest.importorskip("jinja2")

EXTENSION = "gargoyle.integrations.jinja2.GargoyleExtension"
DJANGO_BACKEND = {
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}


def jinja2_backend(**options: Any) -> dict[str, Any]:
    return {"BACKEND": "django.template.backends.jinja2.Jinja2", "OPTIONS": {"extensions": [EXTENSION], **options}}


PAGE = '{% ifswitch "alice_only" %}on{% else %}off{% endifswitch %}'


def page(request: HttpRequest) -> HttpResponse:
    """A view rendering ``?source=`` (default: PAGE) with the Jinja2 backend, for its request."""
    source = request.GET.get("source", PAGE)
    return HttpResponse(engines["jinja2"].from_string(source).render({}, request))


urlpatterns = [path("page/", page)]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def templates() -> Any:
    with override_settings(TEMPLATES=[DJANGO_BACKEND, jinja2_backend()]):
        yield


@pytest.fixture(autouse=True)
def switches() -> None:
    Switch.objects.create(key="alice_only", status=SELECTIVE, value={"auth.user": {"username": [["i", "alice"]]}})
    Switch.objects.create(key="half", status=SELECTIVE, value={"auth.user": {"percent": [["i", "0-50"]]}})
    Switch.objects.create(key="everyone", status=GLOBAL)
    Switch.objects.create(key="nobody", status=DISABLED)


def render(source: str, context: dict[str, Any] | None = None, request: HttpRequest | None = None) -> str:
    return str(engines["jinja2"].from_string(source).render(context or {}, request))


def request_for(user: Any) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_session_user_of_a_real_request_is_judged(client: Client, alice: Any, bob: Any) -> None:
    assert client.get("/page/").content == b"off"  # anonymous
    client.force_login(alice)
    assert client.get("/page/").content == b"on"
    client.force_login(bob)
    assert client.get("/page/").content == b"off"


def test_percent_conditions_answer_as_is_active_does(django_user_model: Any) -> None:
    users = [django_user_model.objects.create_user(f"user{n}") for n in range(24)]
    source = '{% ifswitch "half" %}1{% else %}0{% endifswitch %}{{ "1" if is_active("half") else "0" }}'
    answers = {user.pk: render(source, request=request_for(user)) for user in users}
    expected = {user.pk: "11" if gargoyle.is_active("half", user) else "00" for user in users}
    assert answers == expected
    assert set(answers.values()) == {"00", "11"}  # some in the half, some out


def test_the_else_branch_and_ifnotswitch(alice: Any, bob: Any) -> None:
    source = '{% ifnotswitch "alice_only" %}not{% else %}is{% endifnotswitch %}'
    assert render(source, request=request_for(alice)) == "is"
    assert render(source, request=request_for(bob)) == "not"
    assert render('{% ifswitch "nobody" %}on{% endifswitch %}') == ""
    assert render('{% ifswitch "everyone" %}on{% endifswitch %}') == "on"
    assert render('{% ifnotswitch "nobody" %}off{% endifnotswitch %}') == "off"


def test_the_bodies_see_the_templates_variables(alice: Any) -> None:
    source = '{% for n in items %}{% ifswitch "alice_only" %}{{ n }}{% else %}-{% endifswitch %}{% endfor %}'
    assert render(source, {"items": [1, 2]}, request=request_for(alice)) == "12"
    assert render(source, {"items": [1, 2]}) == "--"


@override_settings(GARGOYLE_AUTO_CREATE=False)  # a first check would store the key, answering for itself
def test_unknown_keys_answer_the_default() -> None:
    assert render('{% ifswitch "no_such_switch" %}on{% else %}off{% endifswitch %}') == "off"
    assert render('{% ifswitch "no_such_switch" default=true %}on{% else %}off{% endifswitch %}') == "on"
    assert render('{% ifnotswitch "no_such_switch" default=true %}on{% else %}off{% endifnotswitch %}') == "off"
    assert render('{{ is_active("no_such_switch") }} {{ is_active("no_such_switch", default=true) }}') == "False True"
    # default= answers only for a key with no switch: a stored one answers for itself
    assert render('{% ifswitch "nobody" default=true %}on{% else %}off{% endifswitch %}') == "off"


def test_instances_are_judged_besides_the_request(alice: Any, bob: Any) -> None:
    source = '{% ifswitch "alice_only" user %}on{% else %}off{% endifswitch %}'
    assert render(source, {"user": alice}) == "on"
    assert render(source, {"user": bob}) == "off"
    assert render(source, {"user": alice}, request=request_for(bob)) == "on"  # alice is among the subjects
    # commas or spaces between instances, as in the Django tag
    assert render('{% ifswitch "alice_only" a, b %}on{% endifswitch %}', {"a": bob, "b": alice}) == "on"
    assert render('{% ifswitch "alice_only" a b %}on{% endifswitch %}', {"a": bob, "b": alice}) == "on"
    # an undefined variable is no subject
    assert render('{% ifswitch "alice_only" missing %}on{% else %}off{% endifswitch %}') == "off"


def test_the_global_judges_the_contexts_request_and_its_arguments(alice: Any, bob: Any) -> None:
    source = '{{ is_active("alice_only") }} {{ is_active("alice_only", request) }} {{ is_active("alice_only", other) }}'
    assert render(source, {"other": bob}, request=request_for(alice)) == "True True True"
    assert render(source, {"other": alice}, request=request_for(bob)) == "False False True"
    assert render('{{ is_active("alice_only") }}', {"request": request_for(alice)}) == "True"


def test_macros_see_the_request_when_imported_with_context(alice: Any) -> None:
    macro = '{% macro m() %}{{ is_active("alice_only") }} {% ifswitch "alice_only" %}T{% else %}F{% endifswitch %}'
    loader = jinja2.DictLoader({"m.html": macro + "{% endmacro %}"})
    with override_settings(TEMPLATES=[jinja2_backend(loader=loader)]):
        page = '{% import "m.html" as plain %}{% import "m.html" as shared with context %}'
        assert render(page + "{{ plain.m() }}|{{ shared.m() }}", request=request_for(alice)) == "False F|True T"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% ifswitch %}x{% endifswitch %}", "needs a switch key"),
        ("{% ifswitch alice_only %}x{% endifswitch %}", "quoted, non-empty string"),
        ('{% ifswitch "" %}x{% endifswitch %}', "quoted, non-empty string"),
        ("{% ifnotswitch 42 %}x{% endifnotswitch %}", "ifnotswitch takes the switch key"),
        ('{% ifswitch "a" default=true default=false %}x{% endifswitch %}', "one default="),
        ('{% ifswitch "a" default=true user %}x{% endifswitch %}', "before default="),
        ('{% ifswitch "a" %}x', "endifswitch"),
        ('{% ifswitch "a" %}x{% endifnotswitch %}', "endifnotswitch"),
    ],
)
def test_bad_tags_fail_when_the_template_compiles(source: str, message: str) -> None:
    """Django's backend raises Django's TemplateSyntaxError from get_template() (from
    from_string(), Jinja2's own), with the line of the template."""
    loader = jinja2.DictLoader({"bad.html": "<p>\n" + source})
    with override_settings(TEMPLATES=[jinja2_backend(loader=loader)]):
        with pytest.raises(TemplateSyntaxError, match=message) as raised:
            engines["jinja2"].get_template("bad.html")
        assert raised.value.template_debug["line"] == 2  # type: ignore[attr-defined]
        with pytest.raises(jinja2.TemplateSyntaxError, match=message):
            engines["jinja2"].from_string(source)


def test_client_switches_renders_what_the_django_tag_renders(alice: Any) -> None:
    with override_settings(GARGOYLE_CLIENT_SWITCHES=["alice_only", "everyone", "nobody"]):
        request = request_for(alice)
        django = engines["django"].from_string("{% load gargoyle_tags %}{% client_switches %}").render({}, request)
        jinja = render("{{ client_switches() }}", request=request)
        assert jinja == django
        assert answers(jinja) == {"alice_only": True, "everyone": True, "nobody": False}  # escaped once
        assert 'id="elsewhere"' in render('{{ client_switches("elsewhere") }}', request=request)
        anonymous = render("{{ client_switches() }}", request=request_for(AnonymousUser()))
        assert answers(anonymous)["alice_only"] is False


def answers(element: str) -> dict[str, bool]:
    """The answers in a rendered ``client_switches()`` element, by key."""
    data = json.loads(re.sub(r"^<script[^>]*>|</script>$", "", element))
    return {flag["key"]: flag["value"] for flag in data["flags"]}


@pytest.mark.django_db(transaction=True)  # ais_active reads the database from another thread
def test_an_async_environment_through_djangos_backend(alice: Any, bob: Any) -> None:
    """Django's backend renders an async environment's template with asyncio.run: the
    checks are ais_active's, awaited by Jinja2."""
    with override_settings(TEMPLATES=[DJANGO_BACKEND, jinja2_backend(enable_async=True)]):
        source = PAGE + ' {{ is_active("alice_only") }} {{ is_active("everyone") }}'
        assert render(source, request=request_for(alice)) == "on True True"
        assert render(source, request=request_for(bob)) == "off False True"


@pytest.mark.django_db(transaction=True)
def test_render_async_with_a_lazy_session_user(client: Client, alice: Any) -> None:
    """``render_async`` in an event loop: the request's lazy user is loaded with ``auser``."""
    from django.contrib.auth.middleware import AuthenticationMiddleware

    environment = jinja2.Environment(extensions=[EXTENSION], enable_async=True, autoescape=True)
    template = environment.from_string(PAGE + ' {{ is_active("alice_only") }} {{ client_switches() }}')
    client.force_login(alice)
    request = RequestFactory().get("/")
    request.session = client.session
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)

    async def rendered() -> str:
        return await template.render_async(request=request)

    with override_settings(GARGOYLE_CLIENT_SWITCHES=["alice_only"]):
        text = async_to_sync(rendered)()
    assert text.startswith("on True <script")
    assert answers(text.removeprefix("on True ")) == {"alice_only": True}


def test_a_sync_environment_marks_client_switches_safe() -> None:
    environment = jinja2.Environment(extensions=[EXTENSION], autoescape=True)
    rendered = environment.from_string("{{ client_switches() }}").render()
    assert rendered.startswith('<script id="gargoyle-client-switches" type="application/json">{"url"')
