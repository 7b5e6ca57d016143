"""Who may call the JSON API, and how its answers and errors look.

:func:`api_view` wraps every endpoint of :mod:`gargoyle._web.api`: it authenticates the caller
(the session, or ``Authorization: Bearer <token>`` with ``GARGOYLE_API_TOKENS``), checks
the HTTP method, CSRF (session requests only) and the permission, and turns every error
into a ``{"success": false, "data": "<message>"}`` reply with a 4xx status.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.db import DataError, OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from gargoyle._conf import MIN_API_TOKEN_LENGTH, get_settings
from gargoyle.helpers import dumps

View = Callable[..., Any]

VIEW_PERMISSIONS = ("gargoyle.view_switch", "gargoyle.can_view", "gargoyle.change_switch")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Error messages quote the input; a megabyte of it helps nobody.
MESSAGE_MAX_LENGTH = 1000


class ApiError(Exception):
    """An answer other than success: an HTTP status and a message for the caller."""

    def __init__(self, status: int, message: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reply(data: Any, *, success: bool = True, status: int = 200) -> HttpResponse:
    """The API's one reply shape: ``{"success": bool, "data": ...}``."""
    return HttpResponse(dumps({"success": success, "data": data}), status=status, content_type="application/json")


def failure(message: Any, status: int) -> HttpResponse:
    """An error reply: ``{"success": false, "data": message}``, the message cut if it is long."""
    text = str(message)
    if len(text) > MESSAGE_MAX_LENGTH:
        text = text[: MESSAGE_MAX_LENGTH - 3] + "..."
    return reply(text, success=False, status=status)


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


def api_view(method: str, permission: str | None, *, repeatable: tuple[str, ...] = ()) -> Callable[[View], View]:
    """Make ``view`` an API endpoint answering ``method`` to staff holding ``permission``.

    ``permission`` None means the view permission (see :func:`can_view`). A field may be
    sent once, unless it is named in ``repeatable`` (a list, as ``key`` of ``status/bulk/``). The view
    returns the reply's data, or raises ``ApiError``, ``ValidationError`` (400) or a
    ``DoesNotExist`` (404).
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                _check(request, method, permission, repeatable)
                return reply(view(request, *args, **kwargs))
            except ApiError as error:
                response = failure(error.message, error.status)
                if error.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="gargoyle"'
                elif error.status == 405:
                    response["Allow"] = method
                return response
            except ValidationError as error:
                return failure(message_of(error), 400)
            except ObjectDoesNotExist as error:
                return failure(error, 404)
            except (SuspiciousOperation, UnreadablePostError) as error:
                # Django would answer its HTML 400 page: raised on reading a body over its limits
                return _refused_request(request, error)
            except (KeyError, ValueError, TypeError, DataError, BadRequest, MultiPartParserError) as error:
                # input a parser or the database refused, without a message of ours
                return failure(_("bad request: %(error)s") % {"error": error}, 400)
            except OperationalError as error:
                return _database_busy(error)

        return csrf_exempt(endpoint)  # checked in _check, where token requests are exempt

    return decorator


def _database_busy(error: OperationalError) -> HttpResponse:
    """The database is busy or gone (locked past the busy timeout, a deadlock, a lost
    connection): the transaction was rolled back, and the caller may simply try again."""
    logging.getLogger("gargoyle").warning("gargoyle: the JSON API's database is unavailable: %s", error)
    response = failure(
        _("database: busy or unreachable (%(error)s); nothing was written, try again.") % {"error": error}, 503
    )
    response["Retry-After"] = "1"
    return response


def _check(request: HttpRequest, method: str, permission: str | None, repeatable: tuple[str, ...] = ()) -> None:
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
    if method == "POST":
        _check_form(request)
    _check_text(request.GET if method == "GET" else request.POST, repeatable)


def _check_form(request: HttpRequest) -> None:
    """Refuse a body that is not form fields: a JSON body would read as no fields at all,
    and be answered "key: this field is required."."""
    if request.content_type not in FORM_TYPES and request.body:
        raise ApiError(
            415,
            _("body: send form fields (%(types)s), not %(type)s.")
            % {"types": " or ".join(FORM_TYPES), "type": request.content_type or _("a body without a Content-Type")},
        )


def _check_text(data: Any, repeatable: tuple[str, ...] = ()) -> None:
    """Refuse repeated fields (which one would count?), NUL characters (no database text
    column holds them) and U+FFFD (what Django makes of bytes that are not UTF-8)."""
    for name, values in data.lists():
        field = name.replace("\x00", "")
        if len(values) > 1 and name not in repeatable:
            raise ApiError(
                400, _("%(field)s: sent %(count)d times; send it once.") % {"field": field, "count": len(values)}
            )
        if "\x00" in name or any("\x00" in value for value in values):
            raise ApiError(400, _("%(field)s: contains a NUL character.") % {"field": field})
        if "\ufffd" in name or any("\ufffd" in value for value in values):
            raise ApiError(
                400,
                _("%(field)s: is not UTF-8 text (it holds U+FFFD, which replaces bytes that are not UTF-8).")
                % {"field": field},
            )


# Django's limits on a request, each with the status of its refusal and the setting raising it.
REQUEST_LIMITS: dict[type[SuspiciousOperation], tuple[int, str, Any]] = {
    RequestDataTooBig: (
        413,
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        _("body: larger than this site's limit of %(max)s bytes (%(setting)s)."),
    ),
    TooManyFieldsSent: (
        400,
        "DATA_UPLOAD_MAX_NUMBER_FIELDS",
        _("request: more fields than this site's limit of %(max)s (%(setting)s)."),
    ),
    TooManyFilesSent: (
        400,
        "DATA_UPLOAD_MAX_NUMBER_FILES",
        _("request: more files than this site's limit of %(max)s (%(setting)s)."),
    ),
}


def _refused_request(request: HttpRequest, error: Exception) -> HttpResponse:
    """Django's refusal of a request (a body over its limits...) in the API's shape instead
    of its HTML 400 page, logged to ``django.security`` as Django logs it."""
    status, message = _refusal(error)
    if isinstance(error, tuple(REQUEST_LIMITS)):
        # As Django does: reading POST again would raise again. (Private, so not in django-stubs.)
        request._mark_post_parse_error()  # type: ignore[attr-defined]
        try:
            request.GET  # noqa: B018  (error reports read it, and Django 4.2's would raise again)
        except SuspiciousOperation:
            request.GET = QueryDict()
    if isinstance(error, SuspiciousOperation):
        logger = logging.getLogger(f"django.security.{type(error).__name__}")
        logger.error(str(error), exc_info=error, extra={"status_code": status, "request": request})
    return failure(message, status)


def _refusal(error: Exception) -> tuple[int, Any]:
    for kind, (status, setting, message) in REQUEST_LIMITS.items():
        if isinstance(error, kind):
            return status, message % {"max": getattr(settings, setting), "setting": setting}
    if isinstance(error, UnreadablePostError):
        return 400, _("body: the request body could not be read (%(error)s).") % {"error": error}
    # Other suspicious requests (a Host header not in ALLOWED_HOSTS...): logged, not told.
    return 400, _("request: refused as suspicious (%(kind)s).") % {"kind": type(error).__name__}


def _token_user(request: HttpRequest) -> Any:
    """The user of a Bearer token, None without one; a 401 ``ApiError`` for a bad token."""
    header = request.headers.get("Authorization", "").strip()
    scheme, token = header[:6], header[6:]
    if scheme.lower() != "bearer" or token[:1].strip():  # another scheme (Basic..., "Bearerish")
        return None
    token = token.strip()  # any whitespace after "Bearer": a tab must not fall back to the session
    if len(token) < MIN_API_TOKEN_LENGTH:  # refused before the lookup: a guess learns nothing
        raise ApiError(
            401,
            _("authentication: API tokens of fewer than %(length)s characters are refused; make a longer one.")
            % {"length": MIN_API_TOKEN_LENGTH},
        )
    username = lookup_token(token, get_settings().api_tokens)
    if username is None:
        raise ApiError(401, _("authentication: unknown API token."))
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise ApiError(401, _("authentication: the API token's user does not exist.")) from None


def lookup_token(token: str, tokens: Mapping[Any, Any]) -> str | None:
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
    # No view: Django only reads the callback's csrf_exempt, which django-stubs does not allow for.
    reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise ApiError(403, _("csrf: %(reason)s") % {"reason": reason})
