"""The integrations sites wire into their code: ``@switch_is_active``, ``SwitchActiveMixin``,
the ``{% ifswitch %}`` template tags, the ``switches`` test helper and the async API."""

import asyncio
import inspect
import io
import unittest
from types import SimpleNamespace

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.db import connection, connections
from django.http import Http404, HttpResponse
from django.template import Context, Template, TemplateSyntaxError, engines
from django.test import AsyncClient, TestCase
from django.utils.functional import SimpleLazyObject
from django.views import View

from gargoyle import gargoyle
from gargoyle.decorators import switch_is_active
from gargoyle.manager import SwitchManager
from gargoyle.mixins import SwitchActiveMixin
from gargoyle.models import DISABLED, GLOBAL, SELECTIVE, Switch
from gargoyle.testutils import switches

pytestmark = pytest.mark.django_db

# The stored format of "on for the user named alice only".
ALICE_ONLY = {"auth.user": {"username": [["i", "alice"]]}}
IFSWITCH = "{% ifswitch feature %}shown{% else %}hidden{% endifswitch %}"


def run_in_new_loop(coroutine):
    """``asyncio.run``, then close the connection asgiref's sync thread opened meanwhile."""
    try:
        return asyncio.run(coroutine)
    finally:
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def make_switch(key, status, value=None):
    switch, _ = Switch.objects.update_or_create(key=key, defaults={"status": status, "value": value or {}})
    return switch


def render(source, context=None):
    return Template("{% load gargoyle_tags %}" + source).render(Context(context or {}))


def authenticated_request(rf, client, user):
    """A request as AuthenticationMiddleware leaves it: a lazy ``user`` (and ``auser``).

    Use it before logging another user in: that ends this user's session.
    """
    client.force_login(user)
    request = rf.get("/")
    request.session = client.session
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    return request


# -- @switch_is_active ---------------------------------------------------------------------


def test_decorated_view_is_404_while_its_switch_is_disabled(client):
    make_switch("feature", DISABLED)
    assert client.get("/switched/").status_code == 404


def test_decorated_view_is_404_for_a_switch_nobody_created(client):
    assert client.get("/switched/").status_code == 404


def test_decorated_view_is_served_while_its_switch_is_global(client):
    make_switch("feature", GLOBAL)
    response = client.get("/switched/")
    assert response.status_code == 200
    assert response.content == b"on"


def test_decorated_view_judges_the_logged_in_user(client, alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    client.force_login(alice)
    assert client.get("/switched/").status_code == 200
    client.force_login(bob)
    assert client.get("/switched/").status_code == 404
    client.logout()
    assert client.get("/switched/").status_code == 404


REDIRECTING_VIEWS = [
    ("/switched-redirect/", "/landing/"),  # redirect_to="landing", a URL name
    ("/switched-redirect-path/", "/landing/"),  # redirect_to="/landing/", a path
    ("/switched-redirect-url/", "https://example.com/waitlist/"),  # a full URL
]


@pytest.mark.parametrize(("path", "location"), REDIRECTING_VIEWS)
def test_decorated_view_redirects_while_its_switch_is_off(client, path, location):
    make_switch("feature", DISABLED)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == location


@pytest.mark.parametrize(("path", "location"), REDIRECTING_VIEWS)
def test_redirecting_view_is_served_while_its_switch_is_on(client, path, location):
    make_switch("feature", GLOBAL)
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == b"on"


def test_redirect_to_a_url_name_is_followed_to_the_landing_page(client):
    make_switch("feature", DISABLED)
    response = client.get("/switched-redirect/", follow=True)
    assert response.redirect_chain == [("/landing/", 302)]
    assert response.content == b"landing"


def test_decorator_keeps_the_view_name_and_docstring():
    def checkout(request):
        """The new checkout."""

    wrapped = switch_is_active("feature")(checkout)
    assert wrapped.__name__ == "checkout"
    assert wrapped.__doc__ == "The new checkout."


def test_decorator_asks_the_manager_passed_as_gargoyle(rf):
    own = SwitchManager(Switch, auto_create=False)

    @switch_is_active("feature", gargoyle=own)
    def view(request):
        return HttpResponse("on")

    with pytest.raises(Http404):
        view(rf.get("/"))
    with switches(own, feature=True):
        assert view(rf.get("/")).content == b"on"
    with switches(feature=True), pytest.raises(Http404):  # the process-wide manager is not asked
        view(rf.get("/"))


@pytest.mark.django_db(transaction=True)
def test_async_decorated_view_asks_the_manager_passed_as_gargoyle(rf):
    own = SwitchManager(Switch, auto_create=False)

    @switch_is_active("feature", gargoyle=own)
    async def view(request):
        return HttpResponse("async on")

    assert inspect.iscoroutinefunction(view)
    with switches(own, feature=True):
        assert async_to_sync(view)(rf.get("/")).content == b"async on"
    with switches(feature=True), pytest.raises(Http404):
        async_to_sync(view)(rf.get("/"))


@pytest.mark.django_db(transaction=True)
def test_async_decorated_view_through_the_test_client(client):
    make_switch("feature", DISABLED)
    assert client.get("/switched-async/").status_code == 404
    make_switch("feature", GLOBAL)
    response = client.get("/switched-async/")
    assert response.status_code == 200
    assert response.content == b"async on"


@pytest.mark.django_db(transaction=True)
def test_async_decorated_view_through_the_async_client():
    async_client = AsyncClient()
    make_switch("feature", DISABLED)
    assert async_to_sync(async_client.get)("/switched-async/").status_code == 404
    redirect = async_to_sync(async_client.get)("/switched-async-redirect/")
    assert (redirect.status_code, redirect["Location"]) == (302, "/landing/")
    make_switch("feature", GLOBAL)
    response = async_to_sync(async_client.get)("/switched-async/")
    assert response.status_code == 200
    assert response.content == b"async on"


@pytest.mark.django_db(transaction=True)
def test_async_decorated_view_judges_the_logged_in_user(alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    async_client = AsyncClient()
    async_client.force_login(alice)
    assert async_to_sync(async_client.get)("/switched-async/").status_code == 200
    async_client.force_login(bob)
    assert async_to_sync(async_client.get)("/switched-async/").status_code == 404


def test_async_view_sees_a_switch_created_in_the_same_test_transaction(client):
    """Django ``TestCase``-style tests (one transaction per test) exercising an async view.

    docs/architecture.rst, "Freshness": the writing process sees its own change at once — the sync views do.
    """
    make_switch("feature", GLOBAL)
    assert client.get("/switched/").status_code == 200
    assert client.get("/switched-async/").status_code == 200


# -- SwitchActiveMixin ---------------------------------------------------------------------


def test_mixin_view_is_served_while_its_switch_is_on(client):
    make_switch("feature", GLOBAL)
    response = client.get("/mixin/")
    assert response.status_code == 200
    assert response.content == b"mixin on"


def test_mixin_view_redirects_while_its_switch_is_off(client):
    make_switch("feature", DISABLED)
    response = client.get("/mixin/")
    assert response.status_code == 302
    assert response["Location"] == "/landing/"


def test_mixin_view_without_a_redirect_is_404_while_off(rf):
    class Page(SwitchActiveMixin, View):
        switch_key = "feature"

        def get(self, request):
            return HttpResponse("page")

    make_switch("feature", DISABLED)
    with pytest.raises(Http404):
        Page.as_view()(rf.get("/"))
    make_switch("feature", GLOBAL)
    assert Page.as_view()(rf.get("/")).content == b"page"


def test_mixin_view_judges_the_logged_in_user(rf, client, alice, bob):
    class Page(SwitchActiveMixin, View):
        switch_key = "feature"
        switch_redirect_to = "landing"

        def get(self, request):
            return HttpResponse("page")

    make_switch("feature", SELECTIVE, ALICE_ONLY)
    assert Page.as_view()(authenticated_request(rf, client, alice)).content == b"page"
    response = Page.as_view()(authenticated_request(rf, client, bob))
    assert (response.status_code, response["Location"]) == (302, "/landing/")


def test_mixin_asks_its_switch_manager(rf):
    own = SwitchManager(Switch, auto_create=False)

    class Page(SwitchActiveMixin, View):
        switch_key = "feature"
        switch_manager = own

        def get(self, request):
            return HttpResponse("page")

    with switches(own, feature=True):
        assert Page.as_view()(rf.get("/")).content == b"page"
    with switches(feature=True), pytest.raises(Http404):
        Page.as_view()(rf.get("/"))


def test_mixin_without_a_switch_key_raises_type_error(rf):
    class Page(SwitchActiveMixin, View):
        def get(self, request):
            return HttpResponse("page")

    with pytest.raises(TypeError, match="switch_key"):
        Page.as_view()(rf.get("/"))


# -- template tags -------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "expected"), [(GLOBAL, "shown"), (DISABLED, "hidden")])
def test_ifswitch_renders_the_branch_of_the_switch_state(status, expected):
    make_switch("feature", status)
    assert render(IFSWITCH) == expected


def test_ifswitch_for_an_unknown_switch_renders_else():
    assert render(IFSWITCH) == "hidden"


@pytest.mark.parametrize(("status", "expected"), [(GLOBAL, "[shown]"), (DISABLED, "[]")])
def test_ifswitch_without_else(status, expected):
    make_switch("feature", status)
    assert render("[{% ifswitch feature %}shown{% endifswitch %}]") == expected


@pytest.mark.parametrize(("status", "expected"), [(GLOBAL, "off-branch"), (DISABLED, "fallback")])
def test_ifnotswitch_renders_its_body_while_the_switch_is_off(status, expected):
    make_switch("feature", status)
    assert render("{% ifnotswitch feature %}fallback{% else %}off-branch{% endifnotswitch %}") == expected


@pytest.mark.parametrize(("status", "expected"), [(GLOBAL, "[]"), (DISABLED, "[fallback]")])
def test_ifnotswitch_without_else(status, expected):
    make_switch("feature", status)
    assert render("[{% ifnotswitch feature %}fallback{% endifnotswitch %}]") == expected


@pytest.mark.parametrize(
    "source",
    [
        "{% ifswitch 'feature' %}shown{% else %}hidden{% endifswitch %}",
        '{% ifswitch "feature" %}shown{% else %}hidden{% endifswitch %}',
    ],
)
def test_ifswitch_accepts_a_quoted_switch_name(source):
    make_switch("feature", GLOBAL)
    make_switch("'feature'", DISABLED)  # the quotes are not part of the key
    assert render(source) == "shown"


def test_switch_name_is_a_literal_not_a_context_variable():
    make_switch("feature", GLOBAL)
    make_switch("other", DISABLED)
    assert render(IFSWITCH, {"feature": "other"}) == "shown"


def test_ifswitch_judges_instances_named_in_the_tag(alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    source = "{% ifswitch feature someone %}shown{% else %}hidden{% endifswitch %}"
    assert render(source, {"someone": alice}) == "shown"
    assert render(source, {"someone": bob}) == "hidden"


def test_ifswitch_resolves_dotted_instances_from_the_context(alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    source = "{% ifnotswitch feature order.owner %}fallback{% else %}new{% endifnotswitch %}"
    assert render(source, {"order": SimpleNamespace(owner=alice)}) == "new"
    assert render(source, {"order": SimpleNamespace(owner=bob)}) == "fallback"


def test_ifswitch_with_a_missing_context_variable_renders_else():
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    assert render("{% ifswitch feature nobody %}shown{% else %}hidden{% endifswitch %}") == "hidden"


def test_ifswitch_uses_the_request_in_the_context(rf, alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    request = rf.get("/")
    request.user = alice
    assert render(IFSWITCH, {"request": request}) == "shown"
    request.user = bob
    assert render(IFSWITCH, {"request": request}) == "hidden"


def test_ifswitch_uses_the_request_given_to_the_template_backend(rf, client, alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    template = engines["django"].from_string("{% load gargoyle_tags %}" + IFSWITCH)
    assert template.render({}, authenticated_request(rf, client, alice)) == "shown"
    assert template.render({}, authenticated_request(rf, client, bob)) == "hidden"


def test_template_view_shows_the_branch_for_the_logged_in_user(client, alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    client.force_login(alice)
    assert client.get("/template/").content == b"shown"
    client.force_login(bob)
    assert client.get("/template/").content == b"hidden"


@pytest.mark.parametrize(
    "source",
    ["{% ifswitch %}x{% endifswitch %}", "{% ifnotswitch %}x{% endifnotswitch %}"],
)
def test_tag_without_a_switch_name_is_a_template_syntax_error(source):
    with pytest.raises(TemplateSyntaxError, match="requires a switch name"):
        Template("{% load gargoyle_tags %}" + source)


# -- gargoyle.testutils.switches -----------------------------------------------------------


def test_switches_as_context_manager_turns_a_disabled_switch_on():
    make_switch("feature", DISABLED)
    with switches(feature=True):
        assert gargoyle.is_active("feature") is True
    assert gargoyle.is_active("feature") is False


def test_switches_as_context_manager_turns_a_global_switch_off(client):
    make_switch("feature", GLOBAL)
    with switches(feature=False):
        assert gargoyle.is_active("feature") is False
        assert client.get("/switched/").status_code == 404
    assert gargoyle.is_active("feature") is True
    assert client.get("/switched/").status_code == 200


def test_switches_from_many_threads_at_once_leave_no_override_behind():
    import sys
    import threading

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the race

    def toggle(key):
        for _ in range(600):
            with switches(**{key: True}):
                pass

    try:
        threads = [threading.Thread(target=toggle, args=(f"k{i}",)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    assert gargoyle._runtime._overrides == []
    assert [key for key in (f"k{i}" for i in range(16)) if gargoyle.is_active(key)] == []


def test_switches_turns_on_a_switch_that_is_not_stored():
    with switches(brand_new=True):
        assert gargoyle.is_active("brand_new") is True
    assert gargoyle.is_active("brand_new") is False


def test_switches_as_function_decorator():
    make_switch("feature", DISABLED)

    @switches(feature=True)
    def check(suffix):
        return f"{gargoyle.is_active('feature')}-{suffix}"

    assert check("x") == "True-x"
    assert gargoyle.is_active("feature") is False


def test_switches_as_async_function_decorator():
    make_switch("feature", DISABLED)

    @switches(feature=True)
    async def check():
        return await gargoyle.ais_active("feature"), gargoyle.is_active("feature")

    assert inspect.iscoroutinefunction(check)
    assert async_to_sync(check)() == (True, True)
    assert gargoyle.is_active("feature") is False


def test_nested_switches_inner_wins_and_outer_is_restored():
    make_switch("feature", DISABLED)
    with switches(feature=True, other=True):
        with switches(feature=False):
            assert gargoyle.is_active("feature") is False
            assert gargoyle.is_active("other") is True  # the outer layer's other keys still apply
        assert gargoyle.is_active("feature") is True
    assert gargoyle.is_active("feature") is False


def test_switches_with_an_explicit_manager_overrides_only_that_manager():
    make_switch("feature", DISABLED)
    own = SwitchManager(Switch, auto_create=False)
    with switches(own, feature=True):
        assert own.is_active("feature") is True
        assert gargoyle.is_active("feature") is False
    assert own.is_active("feature") is False


def test_switching_a_parent_off_turns_its_children_off():
    make_switch("checkout", GLOBAL)
    make_switch("checkout:new_flow", GLOBAL)
    with switches(checkout=False):
        assert gargoyle.is_active("checkout:new_flow") is False
    assert gargoyle.is_active("checkout:new_flow") is True


def test_stored_conditions_answer_again_after_the_override(alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    with switches(feature=False):
        assert gargoyle.is_active("feature", alice) is False
    with switches(feature=True):
        assert gargoyle.is_active("feature", bob) is True
    assert gargoyle.is_active("feature", alice) is True
    assert gargoyle.is_active("feature", bob) is False


def test_a_change_saved_during_an_override_shows_after_it():
    make_switch("feature", DISABLED)
    with switches(feature=False):
        Switch.objects.filter(key="feature").update(status=GLOBAL)
        assert gargoyle.is_active("feature") is False  # the override still wins
    assert gargoyle.is_active("feature") is True


def test_switches_refuses_to_decorate_a_class_that_is_not_a_test_case():
    class NotATestCase:
        pass

    with pytest.raises(TypeError, match="TestCase"):
        switches(feature=True)(NotATestCase)


def test_switches_class_decorator_is_undone_after_the_class():
    make_switch("feature", DISABLED)
    seen = []

    @switches(feature=True)
    class Decorated(unittest.TestCase):
        def test_switch(self):
            seen.append(gargoyle.is_active("feature"))

    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Decorated)
    result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
    assert result.wasSuccessful()
    assert seen == [True]
    assert gargoyle.is_active("feature") is False


@switches(feature=True)
class SwitchesClassDecoratorTests(TestCase):
    """``@switches`` on a Django ``TestCase``: active from ``setUpClass`` on."""

    @classmethod
    def setUpTestData(cls):
        Switch.objects.create(key="feature", status=DISABLED)
        cls.active_in_set_up_test_data = gargoyle.is_active("feature")

    def test_set_up_test_data_sees_the_override(self):
        self.assertIs(self.active_in_set_up_test_data, True)

    def test_tests_see_the_override(self):
        self.assertIs(gargoyle.is_active("feature"), True)
        self.assertEqual(self.client.get("/switched/").status_code, 200)


# -- the async API -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_getitem_creates_an_unknown_switch_from_inside_an_event_loop():
    async def fetch():
        return gargoyle["made_in_a_loop"].status

    assert run_in_new_loop(fetch()) == DISABLED
    assert Switch.objects.filter(key="made_in_a_loop").exists()


@pytest.mark.django_db(transaction=True)
def test_ais_active_answers_from_stored_switches():
    make_switch("feature", GLOBAL)
    make_switch("other", DISABLED)

    async def check():
        return await gargoyle.ais_active("feature"), await gargoyle.ais_active("other")

    assert async_to_sync(check)() == (True, False)
    assert run_in_new_loop(check()) == (True, False)


@pytest.mark.django_db(transaction=True)
def test_ais_active_resolves_the_user_of_an_authenticated_request(rf, client, alice, bob):
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    alice_request = authenticated_request(rf, client, alice)
    assert async_to_sync(gargoyle.ais_active)("feature", alice_request) is True
    bob_request = authenticated_request(rf, client, bob)
    assert async_to_sync(gargoyle.ais_active)("feature", bob_request) is False


@pytest.mark.django_db(transaction=True)
def test_ais_active_resolves_a_lazy_user_without_auser(rf, alice):
    """A request whose lazy ``user`` queries the database (no ``auser``, as on Django 4.2)."""
    make_switch("feature", SELECTIVE, ALICE_ONLY)
    request = rf.get("/")
    request.user = SimpleLazyObject(lambda: get_user_model().objects.get(username="alice"))
    assert not hasattr(request, "auser")
    assert run_in_new_loop(gargoyle.ais_active("feature", request)) is True


def test_ais_active_sees_a_switch_created_in_the_same_transaction():
    """docs/architecture.rst, "Freshness": the writing process sees its own change at once (sync ``is_active`` does)."""
    make_switch("feature", GLOBAL)
    assert gargoyle.is_active("feature") is True
    assert async_to_sync(gargoyle.ais_active)("feature") is True


@pytest.mark.django_db(transaction=True)
def test_sync_is_active_inside_an_event_loop_reloads_without_error():
    make_switch("feature", DISABLED)
    assert gargoyle.is_active("feature") is False
    with connection.cursor() as cursor:  # behind gargoyle's back: only a reload can see it
        cursor.execute("UPDATE gargoyle_switch SET status = %s WHERE key = %s", [GLOBAL, "feature"])

    async def check():
        gargoyle._runtime._want_reload()
        return gargoyle.is_active("feature")

    assert run_in_new_loop(check()) is True


@pytest.mark.django_db(transaction=True)
def test_ifswitch_in_an_async_view_reloads_without_error():
    make_switch("feature", GLOBAL)
    gargoyle._runtime._want_reload()
    response = async_to_sync(AsyncClient().get)("/template-async/")
    assert response.content == b"shown"
