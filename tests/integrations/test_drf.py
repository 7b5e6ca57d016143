"""Django REST framework, the real one: ``SwitchIsActive`` on an ``APIView``, a ``ViewSet`` and an
``@api_view`` function, composed with the framework's permissions; the user the framework
authenticated (here by a header, like a token) judged by username and percent conditions,
wherever gargoyle meets the framework's ``Request``: ``is_active``, ``@switch_is_active``,
``context_of``, the OFREP bulk answer, ``SwitchExposureMiddleware``.

Run by ``tox -e drf`` (djangorestframework installed); skipped elsewhere, and failing instead
of skipping when GARGOYLE_INTEGRATION_TESTS=1 says the package must be there.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import include, path

from gargoyle import gargoyle
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.contexts import context_of
from gargoyle.decorators import switch_is_active
from gargoyle.evaluations import bulk_evaluation
from gargoyle.models import Switch
from tests.testapp.models import Team

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    import rest_framework
else:
    rest_framework = pytest.importorskip("rest_framework")

from rest_framework import exceptions, routers, viewsets
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from gargoyle.integrations.drf import FORBIDDEN, NOT_FOUND, SwitchIsActive, SwitchPermission


class HeaderToken(BaseAuthentication):
    """``X-User: alice`` authenticates as alice: a token's user, unknown to the session."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        name = request.META.get("HTTP_X_USER")
        if not name:
            return None
        try:
            return User.objects.get(username=name), None
        except User.DoesNotExist:
            raise exceptions.AuthenticationFailed("no such user") from None

    def authenticate_header(self, request: Any) -> str:
        return "X-User"


class Api(APIView):
    """The base of the test views: the header, JSON only."""

    authentication_classes = [HeaderToken]
    renderer_classes = [JSONRenderer]


class Orders(Api):
    permission_classes = [SwitchIsActive("alice_only")]

    def get(self, request: Any) -> Response:
        return Response({"user": request.user.username})


class Forbidding(Api):
    permission_classes = [SwitchIsActive("alice_only", when_off=FORBIDDEN)]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


class SignedIn(Api):
    permission_classes = [SwitchIsActive("everyone") & IsAuthenticated]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


class AliceOrAdmin(Api):
    permission_classes = [SwitchIsActive("alice_only", when_off=FORBIDDEN) | IsAdminUser]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


class UnlessMaintenance(Api):
    permission_classes = [~SwitchIsActive("maintenance", when_off=FORBIDDEN)]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


class Teams(viewsets.ViewSet):
    authentication_classes = [HeaderToken]
    renderer_classes = [JSONRenderer]
    permission_classes = [SwitchIsActive("half", when_off=FORBIDDEN) | IsAdminUser]

    def list(self, request: Any) -> Response:
        return Response([team.name for team in Team.objects.order_by("pk")])

    def retrieve(self, request: Any, pk: str) -> Response:
        team = Team.objects.get(pk=pk)
        self.check_object_permissions(request, team)
        return Response({"name": team.name})


class Decorated(Api):
    """``@switch_is_active`` straight on a method, and what the view's checks see."""

    @switch_is_active("alice_only")
    def get(self, request: Any) -> Response:
        return Response(
            {
                "is_active": gargoyle.is_active("alice_only", request),
                "context": context_of(request),
                "bulk": bulk_evaluation(["alice_only", "everyone"], request, details=False),
                "django_request": gargoyle.is_active("alice_only", request._request),
            }
        )


@api_view(["GET"])
@authentication_classes([HeaderToken])
@permission_classes([SwitchIsActive("alice_only")])
def function_view(request: Any) -> Response:
    return Response({"ok": True})


@api_view(["GET"])
@authentication_classes([HeaderToken])
@permission_classes([])
@switch_is_active("alice_only")
def decorated_function(request: Any) -> Response:
    return Response({"ok": True})


@api_view(["GET"])
@authentication_classes([HeaderToken, SessionAuthentication])
@permission_classes([])
def exposed(request: Any) -> Response:
    gargoyle.is_active("alice_only", request)
    return Response({"switches": request.gargoyle_switches})


router = routers.SimpleRouter()
router.register("teams", Teams, basename="team")

urlpatterns = [
    path("orders/", Orders.as_view()),
    path("forbidding/", Forbidding.as_view()),
    path("signed-in/", SignedIn.as_view()),
    path("alice-or-admin/", AliceOrAdmin.as_view()),
    path("unless-maintenance/", UnlessMaintenance.as_view()),
    path("decorated/", Decorated.as_view()),
    path("function/", function_view),
    path("decorated-function/", decorated_function),
    path("exposed/", exposed),
    path("", include(router.urls)),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def switches() -> None:
    Switch.objects.create(key="alice_only", status=SELECTIVE, value={"auth.user": {"username": [["i", "alice"]]}})
    Switch.objects.create(key="half", status=SELECTIVE, value={"auth.user": {"percent": [["i", "0-50"]]}})
    Switch.objects.create(key="everyone", status=GLOBAL)
    Switch.objects.create(key="maintenance", status=DISABLED)


def as_user(name: str | None) -> dict[str, str]:
    return {"X-User": name} if name else {}


def test_the_token_user_is_judged_not_the_session_user(client: Client, alice: Any, bob: Any) -> None:
    client.force_login(bob)  # the session says bob; the header says alice
    response = client.get("/orders/", headers=as_user("alice"))
    assert response.status_code == 200
    assert response.json() == {"user": "alice"}
    assert client.get("/orders/", headers=as_user("bob")).status_code == 404


def test_an_off_switch_answers_404_by_default(client: Client, bob: Any) -> None:
    for headers in (as_user("bob"), as_user(None)):
        response = client.get("/orders/", headers=headers)
        assert response.status_code == 404
        assert response.json()["detail"] == "Not found."


def test_an_off_switch_answers_403_when_asked(client: Client, alice: Any, bob: Any) -> None:
    assert client.get("/forbidding/", headers=as_user("alice")).status_code == 200
    response = client.get("/forbidding/", headers=as_user("bob"))
    assert response.status_code == 403
    assert response.json() == {"detail": "This feature is not available."}
    # no credentials: the framework says so, as for any permission that denies
    assert client.get("/forbidding/").status_code == 401


def test_composition_with_the_frameworks_permissions(client: Client, alice: Any, bob: Any) -> None:
    assert client.get("/signed-in/", headers=as_user("bob")).status_code == 200
    assert client.get("/signed-in/").status_code == 401  # the switch is on; IsAuthenticated is not
    assert client.get("/alice-or-admin/", headers=as_user("alice")).status_code == 200
    assert client.get("/alice-or-admin/", headers=as_user("bob")).status_code == 403
    bob.is_staff = True
    bob.save()
    assert client.get("/alice-or-admin/", headers=as_user("bob")).status_code == 200
    assert client.get("/unless-maintenance/", headers=as_user("bob")).status_code == 200
    Switch.objects.filter(key="maintenance").update(status=GLOBAL)
    assert client.get("/unless-maintenance/", headers=as_user("bob")).status_code == 403


def test_a_viewset_judges_percent_for_the_token_user(client: Client, django_user_model: Any) -> None:
    team = Team.objects.create(name="Blue")
    users = [django_user_model.objects.create_user(f"user{n}") for n in range(24)]
    statuses = {user.username: client.get("/teams/", headers=as_user(user.username)).status_code for user in users}
    expected = {user.username: 200 if gargoyle.is_active("half", user) else 403 for user in users}
    assert statuses == expected
    assert set(statuses.values()) == {200, 403}
    inside = next(name for name, status in statuses.items() if status == 200)
    outside = next(name for name, status in statuses.items() if status == 403)
    assert client.get(f"/teams/{team.pk}/", headers=as_user(inside)).json() == {"name": "Blue"}
    assert client.get(f"/teams/{team.pk}/", headers=as_user(outside)).status_code == 403


def test_objects_get_the_requests_answer(rf: Any, alice: Any, bob: Any) -> None:
    """has_object_permission answers as has_permission, so ``|`` and ``~`` hold for objects."""
    from rest_framework.request import Request

    permission = SwitchIsActive("alice_only", when_off=FORBIDDEN)()
    for user, answer in ((alice, True), (bob, False)):
        request = Request(rf.get("/"))
        request.user = user
        assert permission.has_permission(request, None) is answer
        assert permission.has_object_permission(request, None, object()) is answer
        inverted = (~SwitchIsActive("alice_only", when_off=FORBIDDEN))()
        assert inverted.has_object_permission(request, None, object()) is not answer


def test_a_function_view(client: Client, alice: Any, bob: Any) -> None:
    assert client.get("/function/", headers=as_user("alice")).json() == {"ok": True}
    assert client.get("/function/", headers=as_user("bob")).status_code == 404


def test_switch_is_active_on_an_apiview_method_and_an_api_view(client: Client, alice: Any, bob: Any) -> None:
    client.force_login(bob)
    body = client.get("/decorated/", headers=as_user("alice")).json()
    assert body["is_active"] is True
    assert body["django_request"] is True  # the framework set its user on the Django request too
    assert body["context"]["targetingKey"] == str(alice.pk)
    assert body["context"]["username"] == "alice"
    assert {flag["key"]: flag["value"] for flag in body["bulk"]["flags"]} == {"alice_only": True, "everyone": True}
    response = client.get("/decorated/", headers=as_user("bob"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}  # the framework's own 404, naming no switch
    assert client.get("/decorated-function/", headers=as_user("alice")).json() == {"ok": True}
    assert client.get("/decorated-function/", headers=as_user("bob")).status_code == 404


def test_the_exposure_middleware_records_the_token_users_answers(client: Client, alice: Any, bob: Any) -> None:
    from django.conf import settings

    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "gargoyle.middleware.SwitchExposureMiddleware"]):
        assert client.get("/exposed/", headers=as_user("alice")).json() == {"switches": {"alice_only": True}}
        client.force_login(alice)  # the session's user, through the framework's session authentication
        assert client.get("/exposed/", headers=as_user("bob")).json() == {"switches": {"alice_only": False}}
        assert client.get("/exposed/").json() == {"switches": {"alice_only": True}}


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="needs a switch key"):
        SwitchIsActive("")
    with pytest.raises(TypeError, match="needs a switch key"):
        SwitchIsActive(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"404 \(NOT_FOUND\) or 403"):
        SwitchIsActive("k", when_off=500)
    with pytest.raises(TypeError, match="Keyless needs a key"):

        class Keyless(SwitchPermission):
            pass

        Keyless().has_permission(None, None)


def test_a_subclass_names_its_switch_once(rf: Any, alice: Any, bob: Any) -> None:
    from rest_framework.request import Request

    class AliceOnly(SwitchPermission):
        key = "alice_only"

    request = Request(rf.get("/"))
    request.user = alice
    assert AliceOnly().has_permission(request, None) is True
    request.user = bob
    with pytest.raises(exceptions.NotFound):
        AliceOnly().has_permission(request, None)
    assert SwitchIsActive("k").when_off == NOT_FOUND
    assert repr(SwitchIsActive("k")) == "<class 'gargoyle.integrations.drf.SwitchIsActive('k')'>"
