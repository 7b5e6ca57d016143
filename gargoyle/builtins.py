"""The condition sets every site gets: users, IP addresses, visitors, host name and dates.

Imported (and so registered with the process-wide manager) when Django starts. Their ids
are ``"gargoyle.builtins.<Class>"`` (``"gargoyle.builtins.UserConditionSet(auth.user)"``
for users, with the user model's app label and model name).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Sequence
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.fields import Matcher
from gargoyle._runtime.memberships import group_names, permission_names, set_memberships
from gargoyle.conditions import (
    BeforeDate,
    Boolean,
    ConditionSet,
    Membership,
    ModelConditionSet,
    OnOrAfterDate,
    Percent,
    PermissionName,
    RequestConditionSet,
    String,
)
from gargoyle.manager import gargoyle
from gargoyle.visitors import visitor_id

User = get_user_model()

__all__ = [
    "ActiveTimezoneTodayConditionSet",
    "AppTodayConditionSet",
    "HostConditionSet",
    "IPAddress",
    "IPAddressConditionSet",
    "UTCTodayConditionSet",
    "UserConditionSet",
    "VisitorConditionSet",
    "set_memberships",
]

# The set-valued user fields, read from the user object's cache (gargoyle._runtime.memberships).
_MEMBERSHIPS = {"groups": group_names, "permissions": permission_names}


class UserConditionSet(ModelConditionSet):
    """Users: instances of the user model, and the anonymous user.

    Registered for ``get_user_model()``; namespace ``"<app_label>.<model_name>"``
    (``"auth.user"``). A request passed to ``is_active`` brings its ``user``.

    Fields:

    ``percent`` (:class:`~gargoyle.conditions.Percent`)
        A share of users, bucketed by primary key (the anonymous user is in no bucket).
    ``username``, ``email`` (:class:`~gargoyle.conditions.String`)
        Exact matches.
    ``is_anonymous``, ``is_active``, ``is_staff``, ``is_superuser`` (:class:`~gargoyle.conditions.Boolean`)
        The user's flags ("Anonymous", "Active", "Staff", "Superuser").
    ``date_joined`` (:class:`~gargoyle.conditions.OnOrAfterDate`)
        Users who joined on or after a date.
    ``groups`` (:class:`~gargoyle.conditions.Membership`)
        Members of a group, by its name ("Group").
    ``permissions`` (:class:`~gargoyle.conditions.PermissionName`)
        Users with a permission, ``"app_label.codename"`` ("Permission"); an active
        superuser has every one.

    A user's groups and permissions are read once per user object (see
    :func:`set_memberships`); an inactive or anonymous user has none.

    :param model: the user model.
    :type model: type[~django.db.models.Model]
    """

    username = String(label=_("Username"))
    email = String(label=_("Email"))
    is_anonymous = Boolean(label=_("Anonymous"))
    # The metaclass moves fields into ``fields``: the class keeps ConditionSet.is_active.
    is_active = Boolean(label=_("Active"))  # type: ignore[assignment]
    is_staff = Boolean(label=_("Staff"))
    is_superuser = Boolean(label=_("Superuser"))
    date_joined = OnOrAfterDate(label=_("Joined on or after"))
    groups = Membership(
        label=_("Group"),
        help_text=_("A group's name, e.g. Beta testers. The group need not exist yet."),
        max_length=150,  # auth.Group.name's
    )
    permissions = PermissionName(label=_("Permission"))

    def can_execute(self, instance: Any) -> bool:
        """Instances of the user model and ``AnonymousUser``."""
        return isinstance(instance, (self.model, AnonymousUser))

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self._text_fields = frozenset(name for name, field in self.fields.items() if isinstance(field, String))

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        """As for any model, except that an anonymous user has no username or email.

        ``AnonymousUser.username`` is ``""``; reading it as missing keeps an empty
        condition (which matches users whose attribute is empty) from matching visitors.
        """
        if field_name in self._text_fields and isinstance(instance, AnonymousUser):
            return None
        if field_name in _MEMBERSHIPS:
            return _MEMBERSHIPS[field_name](instance)
        return ModelConditionSet.get_field_value(self, instance, field_name)  # not super(): the hot path


gargoyle.register(UserConditionSet(User))


class IPAddress(String):
    """An IPv4/IPv6 address or network (``10.0.0.0/8``), matched against ``REMOTE_ADDR``.

    Conditions are stored in canonical form: ``"10.0.0.1"``, ``"2001:db8::/32"``.
    """

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(
                _("%(field)s: %(value)s is not an IP address or network."), params={"field": self.label, "value": value}
            ) from None
        if "/" not in value:
            return str(network.network_address)
        return network.with_prefixlen

    def labelled(self, value: str) -> str:
        return self.display(value)  # "10.0.0.0/8" says what it is

    def is_active(self, condition: str, value: Any) -> bool:
        return self.matcher([condition], "")(value)

    def matcher(self, conditions: Sequence[str], switch_key: str) -> Matcher:
        if self._is_active_overridden(IPAddress):
            return super().matcher(conditions, switch_key)
        cleaned = [self.clean(condition) for condition in conditions]
        addresses = frozenset(c for c in cleaned if "/" not in c)
        networks = tuple(ipaddress.ip_network(c) for c in cleaned if "/" in c)

        def matches(value: Any) -> bool:
            if not isinstance(value, str):
                return False
            if value in addresses:
                return True
            if not networks and ":" not in value:
                return False  # an IPv4 REMOTE_ADDR is already in canonical form
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                return False
            return str(address) in addresses or any(address in network for network in networks)

        return matches


@gargoyle.register
class IPAddressConditionSet(RequestConditionSet):
    """The request's IP address (``REMOTE_ADDR``); namespace ``"ip"``.

    Behind a proxy, ``REMOTE_ADDR`` is the proxy's address unless a middleware sets it
    from a trusted header.

    Fields:

    ``percent`` (:class:`~gargoyle.conditions.Percent`)
        A share of addresses.
    ``ip_address`` (:class:`IPAddress`)
        An address or a network.
    ``internal_ip`` (:class:`~gargoyle.conditions.Boolean`)
        Whether the address is in the ``INTERNAL_IPS`` setting.
    """

    percent = Percent(label=_("Percent"))
    ip_address = IPAddress(
        label=_("Address or network"), help_text=_("An address (10.0.0.1) or a network (10.0.0.0/8).")
    )
    internal_ip = Boolean(label=_("Internal IPs"))

    def get_namespace(self) -> str:
        return "ip"

    def get_group_label(self) -> str:
        return str(_("IP Address"))

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        address = instance.META.get("REMOTE_ADDR")
        if field_name == "internal_ip":
            return address in settings.INTERNAL_IPS
        if field_name in ("percent", "ip_address"):
            return address
        return super().get_field_value(instance, field_name)


@gargoyle.register
class VisitorConditionSet(RequestConditionSet):
    """Visitors (browsers), by the signed cookie of
    :class:`~gargoyle.visitors.VisitorCookieMiddleware`; namespace ``"visitor"``.

    Field: ``percent`` (:class:`~gargoyle.conditions.Percent`), a share of visitors,
    bucketed by the random id the cookie keeps: stable for a browser across addresses and
    sign-ins. Reading it makes the id (and so the cookie) for a visitor who has none; without
    the middleware, or without consent, the visitor is in no bucket (docs/visitors.rst).
    """

    percent = Percent(
        label=_("Percent"),
        help_text=_("A share of visitors, e.g. 0-50, kept per browser by a cookie (needs VisitorCookieMiddleware)."),
    )

    def get_namespace(self) -> str:
        return "visitor"

    def get_group_label(self) -> str:
        return str(_("Visitor"))

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        if field_name == "percent":
            return visitor_id(instance)
        return super().get_field_value(instance, field_name)


class _NoSubjectConditionSet(ConditionSet):
    """Sets that judge the moment, not a subject: they run once per check."""

    def can_execute(self, instance: Any) -> bool:
        return instance is None


@functools.lru_cache(maxsize=1)
def _hostname() -> str:
    return socket.gethostname()  # a system call: once per process, not once per check


@gargoyle.register
class HostConditionSet(_NoSubjectConditionSet):
    """The name of the machine the process runs on (``socket.gethostname()``); namespace ``"host"``.

    Judges no subject: it applies to every check. Field: ``hostname``
    (:class:`~gargoyle.conditions.String`).
    """

    hostname = String(label=_("Hostname"))

    def get_namespace(self) -> str:
        return "host"

    def get_group_label(self) -> str:
        return str(_("Host"))

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        return _hostname() if field_name == "hostname" else None


class _TodayConditionSet(_NoSubjectConditionSet):
    #: Which clock's "today": the picker shows the three sets side by side.
    group_label: Any = _("Today")

    def get_group_label(self) -> str:
        return str(self.group_label)

    def get_field_value(self, instance: Any, field_name: str) -> Any:
        return self.now()

    def now(self) -> datetime:
        """The current date and time, naive, in the set's time zone."""
        raise NotImplementedError


@gargoyle.register
class UTCTodayConditionSet(_TodayConditionSet):
    """Today's date in UTC; namespace ``"now_utc"``.

    Judges no subject: it applies to every check. Fields: ``today_is_on_or_after``
    (:class:`~gargoyle.conditions.OnOrAfterDate`) and ``today_is_before``
    (:class:`~gargoyle.conditions.BeforeDate`), e.g. to switch a feature on at a date.
    """

    group_label = _("Today (UTC)")
    today_is_on_or_after = OnOrAfterDate(_("On or after"))
    today_is_before = BeforeDate(_("Before"))

    def get_namespace(self) -> str:
        return "now_utc"

    def now(self) -> datetime:
        return datetime.now(dt_timezone.utc).replace(tzinfo=None)


@gargoyle.register
class AppTodayConditionSet(_TodayConditionSet):
    """Today's date in the ``TIME_ZONE`` setting; namespace ``"now_app_tz"``.

    With ``USE_TZ`` off, the server's clock. Fields as for :class:`UTCTodayConditionSet`.
    """

    group_label = _("Today (site time zone)")
    today_is_on_or_after = OnOrAfterDate(_("On or after"))
    today_is_before = BeforeDate(_("Before"))

    def get_namespace(self) -> str:
        return "now_app_tz"

    def now(self) -> datetime:
        now = timezone.now()
        if timezone.is_aware(now):
            return timezone.make_naive(now, timezone.get_default_timezone())
        return now


@gargoyle.register
class ActiveTimezoneTodayConditionSet(_TodayConditionSet):
    """Today's date in the currently active time zone; namespace ``"now_active_tz"``.

    The time zone ``django.utils.timezone.activate()`` set for this thread (the
    ``TIME_ZONE`` setting when none is). Fields as for :class:`UTCTodayConditionSet`.
    """

    group_label = _("Today (active time zone)")
    today_is_on_or_after = OnOrAfterDate(_("On or after"))
    today_is_before = BeforeDate(_("Before"))

    def get_namespace(self) -> str:
        return "now_active_tz"

    def now(self) -> datetime:
        now = timezone.now()
        return timezone.make_naive(now) if timezone.is_aware(now) else now
