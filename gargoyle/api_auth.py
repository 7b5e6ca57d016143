"""Who may call the JSON API, and how its answers and errors look.

:func:`api_view` wraps every endpoint of :mod:`gargoyle.api`: it authenticates the caller
(the session, or ``Authorization: Bearer <token>`` with ``GARGOYLE_API_TOKENS``), checks
the HTTP method, CSRF (session requests only) and the permission, and turns every error
into a ``{"success": false, "data": "<message>"}`` reply with a 4xx status.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest, ObjectDoesNotExist, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from gargoyle.conf import MIN_API_TOKEN_LENGTH, get_settings
from gargoyle.helpers import dumps

View = Callable[..., Any]

VIEW_PERMISSIONS = ("gargoyle.view_switch", "gargoyle.can_view", "gargoyle.change_switch")


class ApiError(Exception):
    """An answer other than success: an HTTP status and a message for the caller."""

    def __init__(self, status: int, message: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reply(data: Any, *, success: bool = True, status: int = 200) -> HttpResponse:
    """The API's one reply shape: ``{"success": bool, "data": ...}``."""
    return HttpResponse(dumps({"success": success, "data": data}), status=status, content_type="application/json")


def message_of(error: ValidationError) -> str:
    """A ``ValidationError`` as one line (its messages already name the field)."""
    return " ".join(str(message) for message in error.messages)


def can_view(user: Any) -> bool:
    """Seeing switches takes the view permission (the legacy ``can_view``, or change, do too)."""
    return any(user.has_perm(permission) for permission in VIEW_PERMISSIONS)


def require(request: HttpRequest, permission: str) -> None:
    """Raise a 403 ``ApiError`` naming ``permission`` unless the user has it."""
    if not request.user.has_perm(permission):
        raise ApiError(403, _("permission: you need %(perm)s.") % {"perm": permission})


def api_view(method: str, permission: str | None) -> Callable[[View], View]:
    """Make ``view`` an API endpoint answering ``method`` to staff holding ``permission``.

    ``permission`` None means the view permission (see :func:`can_view`). The view
    returns the reply's data, or raises ``ApiError``, ``ValidationError`` (400) or a
    ``DoesNotExist`` (404).
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                _check(request, method, permission)
                return reply(view(request, *args, **kwargs))
            except ApiError as error:
                response = reply(str(error.message), success=False, status=error.status)
                if error.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="gargoyle"'
                elif error.status == 405:
                    response["Allow"] = method
                return response
            except ValidationError as error:
                return reply(message_of(error), success=False, status=400)
            except ObjectDoesNotExist as error:
                return reply(str(error), success=False, status=404)
            except (KeyError, ValueError, TypeError, DataError, BadRequest, MultiPartParserError) as error:
                # input a parser or the database refused, without a message of ours
                return reply(str(_("bad request: %(error)s") % {"error": error}), success=False, status=400)

        return csrf_exempt(endpoint)  # checked in _check, where token requests are exempt

    return decorator


def _check(request: HttpRequest, method: str, permission: str | None) -> None:
    token_user = _token_user(request)
    if token_user is not None:
        request.user = token_user
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise ApiError(401, _("authentication: log in, or send a valid API token."))
    if not (user.is_active and user.is_staff):
        raise ApiError(403, _("permission: only active staff users may use the switch API."))
    if request.method != method:
        raise ApiError(405, _("method: use %(method)s.") % {"method": method})
    if token_user is None:
        _check_csrf(request)
    if permission is not None:
        require(request, permission)
    elif not can_view(user):
        raise ApiError(403, _("permission: you need %(perm)s.") % {"perm": VIEW_PERMISSIONS[0]})
    _check_text(request.GET if method == "GET" else request.POST)


def _check_text(data: Any) -> None:
    """Refuse NUL characters, which no database text column can hold."""
    for name, values in data.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise ApiError(400, _("%(field)s: contains a NUL character.") % {"field": name.replace("\x00", "")})


def _token_user(request: HttpRequest) -> Any:
    """The user of a Bearer token, None without one; a 401 ``ApiError`` for a bad token."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if len(token) < MIN_API_TOKEN_LENGTH:  # refused before the lookup: a guess learns nothing
        raise ApiError(
            401,
            _("authentication: API tokens of fewer than %(length)s characters are refused; make a longer one.")
            % {"length": MIN_API_TOKEN_LENGTH},
        )
    username = _lookup_token(token, get_settings().api_tokens)
    if username is None:
        raise ApiError(401, _("authentication: unknown API token."))
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise ApiError(401, _("authentication: the API token's user does not exist.")) from None


def _lookup_token(token: str, tokens: Mapping[Any, Any]) -> str | None:
    found = None
    given = token.encode()
    for known, username in tokens.items():
        # Compare with every token, in constant time, so timing reveals nothing.
        if isinstance(known, str) and known and hmac.compare_digest(given, known.encode()):
            found = username
    return found if isinstance(found, str) else None


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason


def _check_csrf(request: HttpRequest) -> None:
    check = _CsrfCheck(lambda request: HttpResponse())
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise ApiError(403, _("csrf: %(reason)s") % {"reason": reason})
