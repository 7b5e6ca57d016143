"""QA overrides: a tester forces a switch on or off for their own browser (docs/qa-overrides.rst).

``?gargoyle=new_checkout:on`` (several: ``?gargoyle=a:on,b:off``; ``a:clear`` forgets one,
``?gargoyle=clear`` all) forces the answer for this request and, through a signed cookie,
for the browser's next ones. Three things must all hold, or the parameter and the cookie are
ignored:

* the key is listed in ``GARGOYLE_QA_SWITCHES`` (empty by default: the feature is off);
* :class:`SwitchOverrideMiddleware` is in ``MIDDLEWARE``, after ``AuthenticationMiddleware``
  (``manage.py check``: ``gargoyle.E026``, ``W027``);
* the request's user has the permission ``gargoyle.override_switch`` (superusers have it).
  The cookie names the user it was set for; another user's, or one the user may no longer
  use, is deleted.

Only the listed switches are compiled to look for an override (``gargoyle._runtime.overrides``):
every other switch answers as fast as without the feature. ``parent:child`` switches follow
an overridden parent. An overridden answer is counted (usage) and recorded
(``request.gargoyle_switches``) like any other, but never counted for a rollout's guard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signing
from django.core.checks import CheckMessage, Error, Warning
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

from gargoyle._conf import get_settings, is_valid_keys
from gargoyle._hybrid_middleware import HybridMiddleware, middleware_position
from gargoyle._runtime.overrides import forced

__all__ = [
    "CLEAR",
    "COOKIE",
    "COOKIE_MAX_AGE",
    "OFF",
    "ON",
    "PARAMETER",
    "PERMISSION",
    "SwitchOverrideMiddleware",
    "apply",
    "check_qa_overrides",
    "may_override",
    "overridden_by",
    "override_url",
    "overrides_of",
    "parse",
    "unforced",
]

#: The query parameter: ``?gargoyle=key:on,other:off``.
PARAMETER = "gargoyle"
#: The cookie that keeps a browser's overrides (signed, HttpOnly, SameSite=Lax).
COOKIE = "gargoyle_qa"
#: Seconds a cookie is honoured after it was last written (it also ends with the browser session).
COOKIE_MAX_AGE = 24 * 60 * 60
#: The permission a user needs (``Switch`` model permission ``override_switch``).
PERMISSION = "gargoyle.override_switch"
#: The actions of the parameter.
ON, OFF, CLEAR = "on", "off", "clear"

_SALT = "gargoyle.qa"
_KEEP = object()  # the cookie is left as the browser sent it


def parse(value: str, allowed: Iterable[str]) -> list[tuple[str | None, str]]:
    """The changes a ``?gargoyle=`` value asks for: ``(key, action)`` pairs, in order.

    ``(None, CLEAR)`` stands for ``clear`` (every override). Items with another action, or
    a key not in ``allowed``, are left out: a bad value changes nothing.
    """
    allowed = frozenset(allowed)
    changes: list[tuple[str | None, str]] = []
    for item in value.split(","):
        item = item.strip()
        if item == CLEAR:
            changes.append((None, CLEAR))
            continue
        key, _, action = item.rpartition(":")  # keys may hold colons (parent:child)
        if key in allowed and action in (ON, OFF, CLEAR):
            changes.append((key, action))
    return changes


def apply(current: Mapping[str, bool], changes: Iterable[tuple[str | None, str]]) -> dict[str, bool]:
    """``current`` overrides after ``changes`` (from :func:`parse`)."""
    result = dict(current)
    for key, action in changes:
        if key is None:
            result.clear()
        elif action == CLEAR:
            result.pop(key, None)
        else:
            result[key] = action == ON
    return result


def may_override(user: Any) -> bool:
    """Whether ``user`` may override switches for their browser (:data:`PERMISSION`)."""
    has_perm = getattr(user, "has_perm", None)
    return bool(has_perm is not None and getattr(user, "is_authenticated", False) and has_perm(PERMISSION))


def overrides_of(request: HttpRequest) -> dict[str, bool]:
    """The answers forced for ``request`` (set by :class:`SwitchOverrideMiddleware`), by key."""
    return dict(getattr(request, "gargoyle_overrides", None) or {})


def override_url(request: HttpRequest, value: str) -> str:
    """This request's path and query with ``?gargoyle=value`` (a link that applies it)."""
    query = request.GET.copy()
    query[PARAMETER] = value
    return f"{request.path}?{query.urlencode(safe=':,')}"


def unforced(answers: Mapping[str, bool], overrides: Mapping[str, bool]) -> dict[str, bool]:
    """The answers no override decided: neither an overridden key's nor one below it
    (``parent:child`` follows ``parent``). Rollouts' guards count these only."""
    return {key: answer for key, answer in answers.items() if overridden_by(key, overrides) is None}


def overridden_by(key: str, overrides: Mapping[str, bool]) -> str | None:
    """The overridden key that decides ``key``'s answer: ``key`` itself or the nearest
    ancestor in ``overrides`` (``parent:child`` follows ``parent``); None if neither is."""
    while True:
        if key in overrides:
            return key
        if ":" not in key:
            return None
        key = key.rpartition(":")[0]


def _stored(request: HttpRequest, user: Any, allowed: frozenset[str]) -> dict[str, bool] | None:
    """The overrides the request's cookie holds for ``user``; None if it cannot be used
    (tampered, expired, another user's, malformed)."""
    try:
        data = signing.loads(request.COOKIES[COOKIE], salt=_SALT, max_age=COOKIE_MAX_AGE)
    except (signing.BadSignature, ValueError):  # forged or expired; a valid signature's JSON always loads
        return None
    if not isinstance(data, dict) or data.get("user") != str(user.pk) or not isinstance(data.get("switches"), dict):
        return None
    return {key: value for key, value in data["switches"].items() if key in allowed and isinstance(value, bool)}


def _decide(request: HttpRequest, user: Any, permitted: bool) -> tuple[dict[str, bool], Any]:
    """The overrides for this request, and the cookie to send: a value, None (delete) or _KEEP."""
    if not permitted:
        return {}, (None if COOKIE in request.COOKIES else _KEEP)
    allowed = get_settings().qa_switches
    stored = _stored(request, user, allowed) if COOKIE in request.COOKIES else {}
    current = stored or {}
    asked = request.GET.getlist(PARAMETER)
    if not asked:
        return current, (None if stored is None else _KEEP)
    overrides = apply(current, [change for value in asked for change in parse(value, allowed)])
    if overrides == stored:
        return overrides, _KEEP
    if not overrides:
        return overrides, (None if COOKIE in request.COOKIES else _KEEP)
    # URL-safe: no quoting in the cookie header; signed with a timestamp, so it expires.
    return overrides, signing.dumps({"user": str(user.pk), "switches": overrides}, salt=_SALT, compress=True)


def _concerned(request: HttpRequest) -> bool:
    """Whether the request asks for anything: the feature on, and a parameter or cookie."""
    return bool(get_settings().qa_switches) and (PARAMETER in request.GET or COOKIE in request.COOKIES)


def _send(request: HttpRequest, response: HttpResponseBase, cookie: Any) -> HttpResponseBase:
    if getattr(request, "gargoyle_overrides", None):
        patch_cache_control(response, private=True)  # a tester's page: never from a shared cache
    if cookie is None:
        response.delete_cookie(COOKIE, samesite="Lax")
    elif cookie is not _KEEP:
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="Lax", secure=request.is_secure())
    return response


class SwitchOverrideMiddleware(HybridMiddleware):
    """Apply a permitted user's QA overrides to their requests (sync and async).

    Add it after ``AuthenticationMiddleware``::

        MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware", ...,
                      "gargoyle.middleware.SwitchOverrideMiddleware"]

    A request without the parameter and the cookie (every visitor's) passes straight
    through: its user is not even loaded. The answers forced for a request are in
    ``request.gargoyle_overrides`` (read it with :func:`overrides_of`).
    """

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        if not _concerned(request):
            response: HttpResponseBase = self.get_response(request)
            return response
        user = getattr(request, "user", None)
        overrides, cookie = _decide(request, user, may_override(user))
        request.gargoyle_overrides = overrides  # type: ignore[attr-defined]
        token = forced.set(overrides or None)
        try:
            response = self.get_response(request)
        finally:
            forced.reset(token)
        return _send(request, response, cookie)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if not _concerned(request):
            response: HttpResponseBase = await self.get_response(request)
            return response
        user = await _auser(request)
        permitted = await sync_to_async(may_override)(user)  # a permission query for most users
        overrides, cookie = _decide(request, user, permitted)
        request.gargoyle_overrides = overrides  # type: ignore[attr-defined]
        token = forced.set(overrides or None)
        try:
            response = await self.get_response(request)
        finally:
            forced.reset(token)
        return _send(request, response, cookie)


async def _auser(request: HttpRequest) -> Any:
    if hasattr(request, "auser"):
        return await request.auser()
    return await sync_to_async(lambda: getattr(request, "user", None))()  # Django 4.2


_AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"


def check_qa_overrides(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the QA overrides' setup: ``gargoyle.E026`` and ``W027`` (re-exported by
    :mod:`gargoyle.checks`, where it is documented)."""
    value = getattr(settings, "GARGOYLE_QA_SWITCHES", ())
    if not is_valid_keys(value):
        return [
            Error(
                f"GARGOYLE_QA_SWITCHES must be a list, tuple or set of switch keys (got {value!r}).",
                hint="Until fixed, no switch can be overridden.",
                id="gargoyle.E026",
            )
        ]
    from django.contrib.auth.middleware import AuthenticationMiddleware

    mine, authentication = middleware_position(SwitchOverrideMiddleware), middleware_position(AuthenticationMiddleware)
    if mine is not None and (authentication is None or authentication > mine):
        return [
            Error(
                "SwitchOverrideMiddleware must come after AuthenticationMiddleware in MIDDLEWARE: it asks "
                "whether the request's user may override switches.",
                hint=f"Move it below {_AUTHENTICATION!r}.",
                id="gargoyle.E026",
            )
        ]
    if mine is None and value:
        return [
            Warning(
                "GARGOYLE_QA_SWITCHES lists switches, but SwitchOverrideMiddleware is not in MIDDLEWARE: no "
                "override is applied.",
                hint="Add 'gargoyle.middleware.SwitchOverrideMiddleware' after AuthenticationMiddleware.",
                id="gargoyle.W027",
            )
        ]
    return []
