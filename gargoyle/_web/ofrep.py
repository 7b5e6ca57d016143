"""OFREP, the OpenFeature Remote Evaluation Protocol: ``POST evaluate/flags/<key>`` and ``POST evaluate/flags``.

The public path is :mod:`gargoyle.ofrep`; docs/openfeature.rst is the user's account. Who
asks decides what they see and whose context counts:

* **A browser session** (no token): only the switches of ``GARGOYLE_CLIENT_SWITCHES``
  (others are "not found"), judged for the request itself (its user and address). The
  context it sends is read for its shape and otherwise ignored: a browser cannot claim to
  be someone else.
* **A service with a token** (``Authorization: Bearer <token>`` or ``X-API-Key: <token>``,
  one of ``GARGOYLE_API_TOKENS``, whose user holds a view permission): every switch, judged
  for the context it sends (:mod:`gargoyle.contexts`), which must have a ``targetingKey``.

Evaluation changes nothing, so these views take no CSRF token (a cross-site page cannot
read the answers: no CORS headers are sent). The checks are counted in the usage figures,
but not recorded as this request's exposure (its Sentry flags, a rollout's groups): they
are answers for a client, not what this request served.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gargoyle._conf import MIN_API_TOKEN_LENGTH, get_settings
from gargoyle._runtime import exposure
from gargoyle._web.auth import can_view, lookup_token
from gargoyle.contexts import InvalidContext, subjects_from_context
from gargoyle.evaluations import bulk_evaluation, client_keys, etag_of, evaluation
from gargoyle.resolution import FLAG_NOT_FOUND, known_keys, resolve

PARSE_ERROR = "PARSE_ERROR"
View = Callable[..., HttpResponse]


class OfrepError(Exception):
    """An answer other than an evaluation: status, OFREP error code and details."""

    def __init__(self, status: int, code: str | None, details: str) -> None:
        super().__init__(details)
        self.status, self.code, self.details = status, code, details

    def response(self, key: str | None = None) -> JsonResponse:
        body: dict[str, Any] = {"errorDetails": self.details}
        if self.code is not None:
            body["errorCode"] = self.code
        if key is not None:
            body["key"] = key
        response = JsonResponse(body, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="gargoyle"'
        return response


class Caller:
    """Who asks: a browser session (``trusted`` False) or a service with a token."""

    def __init__(self, request: HttpRequest) -> None:
        self.trusted = _token_user(request) is not None
        self.subjects = self._subjects(request)

    def _subjects(self, request: HttpRequest) -> list[Any]:
        context = _context(request)
        if not self.trusted:
            return [request]  # the session's own user and address, whatever the body says
        try:
            return subjects_from_context(context, require_targeting_key=True)
        except InvalidContext as error:
            raise OfrepError(400, error.code, str(error)) from None

    def may_see(self, key: str) -> bool:
        return self.trusted or key in get_settings().client_switches

    def keys(self) -> list[str]:
        return list(known_keys()) if self.trusted else client_keys()


def ofrep_view(view: View) -> View:
    """POST only, no CSRF token; an ``OfrepError`` becomes its JSON answer."""

    def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with exposure.unrecorded():  # answers for a client, not what this request served
                response = view(request, *args, **kwargs)
        except OfrepError as error:
            response = error.response(kwargs.get("key"))
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Cookie", "Authorization", "X-API-Key"))
        return response

    endpoint.__name__ = endpoint.__qualname__ = view.__name__
    endpoint.__doc__ = view.__doc__
    return csrf_exempt(require_POST(endpoint))


@ofrep_view
def evaluate_flag(request: HttpRequest, key: str) -> HttpResponse:
    """``POST evaluate/flags/<key>``: one switch, for the caller's context (200, 400, 401, 403, 404)."""
    caller = Caller(request)
    if not caller.may_see(key):
        raise OfrepError(404, FLAG_NOT_FOUND, f"Flag {key!r} was not found.")
    resolution = resolve(key, *caller.subjects, default=None)
    if resolution.error_code == FLAG_NOT_FOUND:
        raise OfrepError(404, FLAG_NOT_FOUND, f"Flag {key!r} was not found.")
    payload = evaluation(resolution, details=caller.trusted)
    return JsonResponse(payload, status=400 if "errorCode" in payload else 200)


@ofrep_view
def evaluate_flags(request: HttpRequest) -> HttpResponse:
    """``POST evaluate/flags``: every switch the caller may see, with an ETag (200, 304, 400, 401, 403)."""
    caller = Caller(request)
    payload = bulk_evaluation(caller.keys(), *caller.subjects, details=caller.trusted)
    etag = etag_of(payload)
    if _matches(request.headers.get("If-None-Match", ""), etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = JsonResponse(payload)
    response["ETag"] = etag
    return response


def _matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weakly: ``W/"x"`` matches ``"x"``)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in tags or "*" in tags


def _context(request: HttpRequest) -> dict[str, Any]:
    """The request body's ``context`` (``{}`` without one); ``PARSE_ERROR`` for a body that is no JSON object."""
    try:
        body = request.body
    except (RequestDataTooBig, SuspiciousOperation) as error:
        raise OfrepError(400, PARSE_ERROR, f"body: {error}") from None
    try:
        data = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as error:
        raise OfrepError(400, PARSE_ERROR, f"body: not JSON ({error}).") from None
    except RecursionError:  # "[[[[..." a hundred thousand deep
        raise OfrepError(400, PARSE_ERROR, "body: nested too deeply.") from None
    if not isinstance(data, dict):
        raise OfrepError(400, PARSE_ERROR, "body: must be a JSON object with a context.")
    context = data.get("context", {})
    if not isinstance(context, dict):
        raise OfrepError(400, PARSE_ERROR, "context: must be a JSON object.")
    return context


def _token_user(request: HttpRequest) -> Any:
    """The user of the request's token; None without one; 401 for a bad token, 403 without the permission."""
    token = _token(request)
    if token is None:
        return None
    username = None
    if len(token) >= MIN_API_TOKEN_LENGTH:  # shorter ones are refused unlooked-up: a guess learns nothing
        username = lookup_token(token, get_settings().api_tokens)
    if username is None:
        raise OfrepError(401, None, "Unknown API token.")
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None or not user.is_active:
        raise OfrepError(401, None, "The API token's user does not exist or is inactive.")
    if not can_view(user):
        raise OfrepError(403, None, "The API token's user may not view switches.")
    return user


def _token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "").strip()
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    api_key = request.headers.get("X-API-Key", "").strip()
    return api_key or None
