"""Visitors: a first-party, signed cookie that keeps a browser in its percent bucket (docs/visitors.rst).

:class:`VisitorCookieMiddleware` gives each request a :class:`Visitor`
(``request.gargoyle_visitor``). The visitor conditions
(:class:`~gargoyle.builtins.VisitorConditionSet`) read its :attr:`~Visitor.id`: the random
number the cookie holds, or a new one, made the first time a visitor condition is evaluated
for the request. The response carries the cookie only when an id was made, so a site whose
switches have no visitor condition never sets it.

The cookie holds the id and nothing else, signed with ``SECRET_KEY`` (a tampered or expired
cookie is ignored, and the visitor gets a new id). It is HttpOnly, SameSite=Lax, Secure when
``SESSION_COOKIE_SECURE`` is, for the whole host (path ``/``, no ``Domain``); it lives
``GARGOYLE_VISITOR_COOKIE_AGE`` seconds from when it was set. Without consent
(``GARGOYLE_VISITOR_COOKIE_CONSENT``), or without the middleware, the visitor is in no
bucket, like an anonymous user for the user percent; a cookie already there is deleted when
consent is refused.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from gargoyle._conf import (
    DEFAULTS,
    get_settings,
    import_problem,
    is_valid_visitor_consent,
    is_valid_visitor_cookie_age,
    is_valid_visitor_cookie_name,
)
from gargoyle._hybrid_middleware import HybridMiddleware, middleware_position

__all__ = ["SALT", "Visitor", "VisitorCookieMiddleware", "check_visitor_settings", "consented", "visitor_id"]

logger = logging.getLogger("gargoyle")

#: The salt of the cookie's signature: a value signed for another purpose is no visitor id.
SALT = "gargoyle.visitors"
# The visitor settings, for the check that they are used.
_SETTINGS = ("GARGOYLE_VISITOR_COOKIE_NAME", "GARGOYLE_VISITOR_COOKIE_AGE", "GARGOYLE_VISITOR_COOKIE_CONSENT")
_MIDDLEWARE = "gargoyle.middleware.VisitorCookieMiddleware"

_ID_BITS = 64  # random bits of an id: collisions stay negligible for billions of visitors
_ID_DIGITS = 20  # the longest decimal 64-bit number
_UNREAD = object()


class Visitor:
    """The browser behind one request; ``request.gargoyle_visitor`` (set by the middleware).

    Nothing is read, asked or made until :attr:`id` is first read.
    """

    __slots__ = ("_id", "created", "refused", "request")

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._id: Any = _UNREAD
        #: Whether a new id was made for this request (its response sets the cookie).
        self.created = False
        #: Whether the consent hook refused the cookie (a cookie already there is deleted).
        self.refused = False

    @property
    def id(self) -> int | None:
        """The visitor's id: the cookie's, else a new one; ``None`` without consent."""
        if self._id is _UNREAD:
            self._id = None  # a consent hook that checks a visitor switch reads "no bucket", not itself
            self._id = self._decide()
        visitor: int | None = self._id
        return visitor

    @property
    def evaluated(self) -> bool:
        """Whether :attr:`id` was read for this request (a visitor condition was evaluated)."""
        return self._id is not _UNREAD

    def _decide(self) -> int | None:
        if not consented(self.request):
            self.refused = True
            return None
        stored = _stored_id(self.request)
        if stored is not None:
            return stored
        self.created = True
        return secrets.randbits(_ID_BITS)


def visitor_id(request: Any) -> int | None:
    """``request``'s visitor id (see :attr:`Visitor.id`), made if it has none yet.

    ``None`` for a request that did not pass :class:`VisitorCookieMiddleware` (a
    ``RequestFactory`` request, an evaluation context's), or whose visitor did not consent.
    Reading it has the effect of a visitor condition: the response sets the cookie if an id
    was made.
    """
    visitor = getattr(request, "gargoyle_visitor", None)
    return visitor.id if isinstance(visitor, Visitor) else None


def consented(request: HttpRequest) -> bool:
    """What ``GARGOYLE_VISITOR_COOKIE_CONSENT`` says for ``request`` (``None``: yes).

    A hook that cannot be imported, or that raises, counts as no: no cookie then.
    """
    hook = get_settings().visitor_cookie_consent
    if hook is None:
        return True
    try:
        function = import_string(hook) if isinstance(hook, str) else hook
    except ImportError:  # reported by gargoyle.E024
        return False
    try:
        return bool(function(request))
    except Exception:  # fail closed: without a clear yes, no cookie
        logger.exception("GARGOYLE_VISITOR_COOKIE_CONSENT failed: the visitor gets no cookie.")
        return False


def _stored_id(request: HttpRequest) -> int | None:
    """The id of the request's cookie, if it is there, signed by this site and not expired."""
    config = get_settings()
    value = request.get_signed_cookie(
        config.visitor_cookie_name, default=None, salt=SALT, max_age=config.visitor_cookie_age
    )
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > _ID_DIGITS:
        return None
    return int(value)


def _finish(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Set (or delete) the cookie on ``response`` as the request's :class:`Visitor` needs.

    Nothing happens unless a visitor condition was evaluated. The response then varies on
    ``Cookie``; a response that sets or deletes the cookie itself is left as it is.
    """
    visitor = getattr(request, "gargoyle_visitor", None)
    if not isinstance(visitor, Visitor) or not visitor.evaluated:
        return response
    patch_vary_headers(response, ("Cookie",))  # the page depends on the cookie: no shared cache may mix them
    config = get_settings()
    name = config.visitor_cookie_name
    if name in response.cookies:
        return response
    if visitor.created:
        response.set_signed_cookie(
            name,
            str(visitor.id),
            salt=SALT,
            max_age=config.visitor_cookie_age,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    elif visitor.refused and name in request.COOKIES:
        response.delete_cookie(name, samesite="Lax")
    return response


class VisitorCookieMiddleware(HybridMiddleware):
    """Give each request a :class:`Visitor` and its response the cookie a new one needs (sync and async).

    Add it anywhere in ``MIDDLEWARE``, below ``UpdateCacheMiddleware`` if you use Django's
    cache middleware::

        MIDDLEWARE = [..., "gargoyle.middleware.VisitorCookieMiddleware"]
    """

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        request.gargoyle_visitor = Visitor(request)  # type: ignore[attr-defined]
        return _finish(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request.gargoyle_visitor = Visitor(request)  # type: ignore[attr-defined]
        return _finish(request, await self.get_response(request))


# -- the system checks -------------------------------------------------------------------------------


def check_visitor_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the visitor cookie's settings: ``gargoyle.E024`` and ``W025`` (re-exported by
    :mod:`gargoyle.checks`, where it is documented)."""
    problems = _problems()
    if problems:
        return [
            Error(
                f"{problem}.",
                hint="Until fixed, the default is used (a consent hook that cannot be used counts as no consent).",
                id="gargoyle.E024",
            )
            for problem in problems
        ]
    configured = [name for name in _SETTINGS if hasattr(settings, name)]
    if configured and middleware_position(VisitorCookieMiddleware) is None:
        return [
            Warning(
                f"{', '.join(configured)} set, but {_MIDDLEWARE} is not in MIDDLEWARE: no visitor gets a cookie, "
                "and no visitor condition matches.",
                hint=f"Add {_MIDDLEWARE!r} to MIDDLEWARE (docs/visitors.rst).",
                id="gargoyle.W025",
            )
        ]
    return []


def _problems() -> list[str]:
    name = getattr(settings, "GARGOYLE_VISITOR_COOKIE_NAME", DEFAULTS["GARGOYLE_VISITOR_COOKIE_NAME"])
    problems = []
    if not is_valid_visitor_cookie_name(name):
        problems.append(
            f"GARGOYLE_VISITOR_COOKIE_NAME must be a cookie name: letters, digits and !#$%&'*+-.^_`|~ (got {name!r})"
        )
    else:
        taken = _taken_names().get(name)
        if taken is not None:
            problems.append(f"GARGOYLE_VISITOR_COOKIE_NAME {name!r} is already the name of {taken}")
    age = getattr(settings, "GARGOYLE_VISITOR_COOKIE_AGE", DEFAULTS["GARGOYLE_VISITOR_COOKIE_AGE"])
    if not is_valid_visitor_cookie_age(age):
        problems.append(f"GARGOYLE_VISITOR_COOKIE_AGE must be a whole number of seconds, 1 to ten years (got {age!r})")
    consent = _consent_problem(getattr(settings, "GARGOYLE_VISITOR_COOKIE_CONSENT", None))
    if consent is not None:
        problems.append(f"GARGOYLE_VISITOR_COOKIE_CONSENT {consent}")
    return problems


def _taken_names() -> dict[str, str]:
    """The cookies Django and gargoyle already name: the visitor's must be another."""
    from gargoyle.qa import COOKIE as QA_COOKIE

    return {
        settings.SESSION_COOKIE_NAME: "SESSION_COOKIE_NAME",
        settings.CSRF_COOKIE_NAME: "CSRF_COOKIE_NAME",
        settings.LANGUAGE_COOKIE_NAME: "LANGUAGE_COOKIE_NAME",
        QA_COOKIE: "the QA overrides' cookie",
    }


def _consent_problem(value: Any) -> str | None:
    if not is_valid_visitor_consent(value):
        return "must be None, a function taking the request, or the dotted path of one"
    return import_problem(value)
