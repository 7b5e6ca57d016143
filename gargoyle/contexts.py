"""Evaluation contexts (OpenFeature's, OFREP's) as the subjects gargoyle's condition sets judge.

A context is a JSON object: ``targetingKey`` plus attributes. By default
(:func:`default_subjects`):

* ``targetingKey`` is the user's primary key (``str(user.pk)``); the user is built from the
  context, not loaded from the database (no query per check): ``username``, ``email``,
  ``is_staff``, ``is_superuser``, ``is_active`` and ``date_joined`` (ISO 8601) are read from
  the attributes of the same names. No (or an empty) ``targetingKey``: an anonymous visitor.
* ``groups`` (group names) and ``permissions`` (``"app_label.codename"``), lists of
  strings, are the user's memberships for the group and permission conditions; without
  them the user is in no group and has no permission (never a query: the user may not be
  stored). An active superuser has every permission, as for a loaded user.
* ``ip`` is the request's address (``REMOTE_ADDR``), for the IP address conditions.
* Other attributes are ignored. A context has no visitor cookie: no visitor condition
  (``gargoyle.builtins.VisitorConditionSet``) matches it.

A site whose conditions need more (a loaded user, its own models) names a function in
``GARGOYLE_CONTEXT_SUBJECTS`` that takes the context dict and returns the instances to
judge; it raises :class:`InvalidContext` for a context it cannot use.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from gargoyle._conf import get_settings
from gargoyle._runtime.memberships import group_names, permission_names, set_memberships

#: The context attributes copied onto the user, with their types.
USER_ATTRIBUTES: Mapping[str, type] = {
    "username": str,
    "email": str,
    "is_staff": bool,
    "is_superuser": bool,
    "is_active": bool,
}
#: The context attributes that list the user's groups and permissions.
MEMBERSHIP_ATTRIBUTES = ("groups", "permissions")

Context = Mapping[str, Any]


class InvalidContext(ValueError):
    """A context that cannot be judged: OpenFeature's (and OFREP's) ``INVALID_CONTEXT``."""

    code = "INVALID_CONTEXT"


class TargetingKeyMissing(InvalidContext):
    """A context without the ``targetingKey`` the caller must give: ``TARGETING_KEY_MISSING``."""

    code = "TARGETING_KEY_MISSING"


def subjects_from_context(context: Context, *, require_targeting_key: bool = False) -> list[Any]:
    """The instances to judge for ``context``: ``GARGOYLE_CONTEXT_SUBJECTS``'s, else :func:`default_subjects`.

    :param require_targeting_key: refuse a context without a ``targetingKey`` (OFREP's
        callers must send one).
    :raises InvalidContext: for a context that cannot be judged.
    :raises TargetingKeyMissing: without a targeting key, when one is required.
    """
    if not isinstance(context, Mapping):
        raise InvalidContext("context: must be an object.")
    if require_targeting_key and context.get("targetingKey") is None:
        raise TargetingKeyMissing('context: targetingKey is required (the user\'s primary key, or "" for a visitor).')
    return list(context_subjects_function()(dict(context)))


def context_subjects_function() -> Callable[[dict[str, Any]], Any]:
    """The function ``GARGOYLE_CONTEXT_SUBJECTS`` names (or is), else :func:`default_subjects`."""
    hook = get_settings().context_subjects
    if isinstance(hook, str):
        try:
            hook = import_string(hook)
        except ImportError:  # reported by gargoyle.E023
            hook = None
    return hook if callable(hook) else default_subjects


def default_subjects(context: Context) -> list[Any]:
    """The user (and the request, with an ``ip``) a context describes; see the module's description."""
    user = _user(context)
    ip = context.get("ip")
    if ip is None:
        return [user]
    if not isinstance(ip, str):
        raise InvalidContext("ip: must be a string.")
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        raise InvalidContext(f"ip: {ip[:100]!r} is not an IP address.") from None
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = str(address)
    request.user = user
    return [request]


def _user(context: Context) -> Any:
    key = context.get("targetingKey")
    if key is not None and not isinstance(key, str):
        raise InvalidContext("targetingKey: must be a string.")
    if not key:
        return AnonymousUser()
    User = get_user_model()
    try:
        pk = User._meta.pk.to_python(key)
    except ValidationError:
        raise InvalidContext(f"targetingKey: {key[:100]!r} is not a primary key of {User._meta.label}.") from None
    user = User(pk=pk)
    if hasattr(user, "date_joined"):
        user.date_joined = None  # type: ignore[assignment]  # not the model's default, now: unknown unless the context says
    for name, kind in USER_ATTRIBUTES.items():
        if name in context:
            setattr(user, name, _typed(context, name, kind))
    if "date_joined" in context:
        user.date_joined = _moment(context["date_joined"])
    set_memberships(user, **{name: _names(context, name) for name in MEMBERSHIP_ATTRIBUTES})
    return user


def _names(context: Context, name: str) -> list[str]:
    value = context.get(name, [])
    if not isinstance(value, (list, tuple)) or not all(type(item) is str for item in value):
        raise InvalidContext(f"{name}: must be a list of strings.")
    return list(value)


def _typed(context: Context, name: str, kind: type) -> Any:
    value = context[name]
    if type(value) is not kind:  # exact: True is an int, 1 is no bool
        raise InvalidContext(f"{name}: must be a {'boolean' if kind is bool else 'string'}.")
    return value


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidContext(f"date_joined: {value[:100]!r} is not an ISO 8601 date and time.") from None
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raise InvalidContext("date_joined: must be an ISO 8601 date and time.")
    if settings.USE_TZ and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def context_of(request: HttpRequest, *, memberships: bool = False) -> dict[str, Any]:
    """The context that :func:`default_subjects` reads back as ``request``'s user and address.

    For server code that asks through OpenFeature on a request's behalf.

    :param memberships: also list the user's ``groups`` and ``permissions``, for switches
        with group or permission conditions. They cost the queries the conditions would
        (once per user object); a superuser's permissions are left out (``is_superuser``
        says it has all).
    """
    context: dict[str, Any] = {}
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        context["targetingKey"] = str(user.pk)
        for name, kind in USER_ATTRIBUTES.items():
            value = getattr(user, name, None)
            if type(value) is kind:
                context[name] = value
        joined = getattr(user, "date_joined", None)
        if isinstance(joined, datetime):
            context["date_joined"] = joined.isoformat()
        if memberships:
            context.update(_memberships_of(user))
    ip = request.META.get("REMOTE_ADDR")
    if isinstance(ip, str) and ip:
        context["ip"] = ip
    return context


def _memberships_of(user: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, read in (("groups", group_names), ("permissions", permission_names)):
        names = read(user)
        if isinstance(names, frozenset):  # not a superuser's every permission
            found[name] = sorted(names)
    return found
