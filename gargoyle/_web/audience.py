"""Who a switch is on for, in words and numbers: the panel's "On for: staff, or 10 % of
signed-in users — except IP 10.0.0.0/8", the share a percent rollout covers, and (on request
only) how many of the site's users it is on for.

The sentence is built from the switch's stored conditions through the manager's registry:
the condition sets' group labels, the fields' labels and ``Field.display()``. The built-in
fields read as people say them; a custom set's condition reads "<Group>: <Field> <value>".
Includes are OR-ed across all condition sets (any one turns the switch on), required
conditions are AND-ed with them, and every exclude wins over them (docs/concepts.rst).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.condition_sets import ConditionSet, ModelConditionSet
from gargoyle._authoring.dates import AbstractDate, BeforeDate
from gargoyle._authoring.fields import Boolean, Field, describe_condition
from gargoyle._authoring.ranges import Percent
from gargoyle._conf import get_settings
from gargoyle._storage import values
from gargoyle._storage.switch import Switch
from gargoyle.builtins import HostConditionSet, IPAddress, IPAddressConditionSet, UserConditionSet, VisitorConditionSet
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, REQUIRE, SELECTIVE
from gargoyle.manager import SwitchManager

__all__ = ["COUNT_LIMIT", "AudienceCount", "count_users", "describe", "estimate"]

#: The most users :func:`count_users` evaluates a switch for; beyond it the count is capped.
COUNT_LIMIT = 10_000

# The built-in booleans, as a person names who they pick.
_BOOLEANS = {
    "is_staff": (_("staff"), _("non-staff users")),
    "is_superuser": (_("superusers"), _("users who are not superusers")),
    "is_active": (_("active users"), _("inactive users")),
    "is_anonymous": (_("anonymous visitors"), _("signed-in users")),
    "internal_ip": (_("internal IPs"), _("IPs that are not internal")),
}
_TODAY_ZONES = {
    "now_utc": _("UTC"),
    "now_app_tz": _("site time zone"),
    "now_active_tz": _("visitor's time zone"),
}


class AudienceCount(TypedDict):
    """The answer of :func:`count_users`."""

    on: int
    of: int
    capped: bool


def describe(manager: SwitchManager, switch: Switch) -> str:
    """Who ``switch`` is on for, in one sentence, e.g. "On for: 10 % of signed-in users, or staff"."""
    parent = _parent_key(manager, switch.key)
    if switch.status == DISABLED:
        return str(_("Off for everyone"))
    if switch.status == INHERIT:
        if parent is None:
            return str(_("No parent to follow: off, unless the code asks with default=True"))
        return str(_("Follows %(parent)s") % {"parent": parent})
    if switch.status == GLOBAL:
        text = str(_("On for everyone"))
    elif switch.status != SELECTIVE:
        return str(_("Unknown status %(status)s: callers get their default") % {"status": switch.status})
    elif manager.problem_of(switch):
        return str(_("Its conditions cannot be used: callers get their default"))
    else:
        includes, excludes, required = _phrases(manager, switch)
        if not includes and not excludes and not required:
            return str(_("Off for everyone (no conditions)"))
        text = _selected(includes, required)
        if excludes:
            text = str(_("%(text)s — except %(excluded)s") % {"text": text, "excluded": ", ".join(excludes)})
    if parent is not None:
        text = str(_("%(text)s (only where %(parent)s is on)") % {"text": text, "parent": parent})
    return text


def _selected(includes: list[str], required: list[str]) -> str:
    """ "On for: staff, or 10 % of signed-in users — only if IP 10.0.0.0/8" (required conditions AND-ed)."""
    both = str(_(" and ")).join(required)
    if not includes:
        return str(_("On for: %(who)s") % {"who": both or _("everyone")})
    text = str(_("On for: %(who)s") % {"who": str(_(", or ")).join(includes)})
    if required:
        text = str(_("%(text)s — only if %(required)s") % {"text": text, "required": both})
    return text


def estimate(manager: SwitchManager, switch: Switch) -> dict[str, Any] | None:
    """The share a percent rollout covers, or None where none can be given.

    ``{"percent": 10.0, "of": "signed-in users", "text": "about 10 % of signed-in users"}``:
    the include percent ranges of one condition set, summed (overlaps counted once), or, on
    a switch without includes, its one required percent range. It is "at least" that share
    when other include conditions also turn the switch on, and "at most" when exclude or
    required conditions keep some out.
    """
    if switch.status != SELECTIVE or manager.problem_of(switch):
        return None
    shares: dict[str, Decimal] = {}
    required_shares: list[tuple[str, Decimal]] = []  # one per required percent range
    other_includes = has_excludes = False
    limits = 0  # excludes and required conditions
    for sets, name, field, entries in _fields(manager, switch):
        by_mode = values.split_by_mode(entries, name)
        includes = by_mode[INCLUDE]
        limits += len(by_mode[EXCLUDE]) + len(by_mode[REQUIRE])
        # Required conditions keep some out, as excludes do.
        has_excludes = has_excludes or bool(by_mode[EXCLUDE] or by_mode[REQUIRE])
        if isinstance(field, Percent):
            required_shares += [(_percent_of(sets[0]), _covered(field, [range_])) for range_ in by_mode[REQUIRE]]
        if not includes:
            continue
        if isinstance(field, Percent):
            who = _percent_of(sets[0])
            shares[who] = shares.get(who, Decimal(0)) + _covered(field, includes)
        else:
            other_includes = True
    if not shares and not other_includes and len(required_shares) == 1:
        # No include: the switch is on for those the requirements let through, so a lone
        # required range is the share (at most, if another requirement or an exclude also limits).
        ((who, share),) = required_shares
        has_excludes = limits > 1
    elif len(shares) != 1:
        return None  # none, or shares of different things that do not add up
    else:
        ((who, share),) = shares.items()
    number = _number(share)
    if other_includes:
        text = _("at least about %(share)s %% of %(who)s")
    elif has_excludes:
        text = _("at most about %(share)s %% of %(who)s")
    else:
        text = _("about %(share)s %% of %(who)s")
    return {"percent": float(share), "of": who, "text": str(text % {"share": number, "who": who})}


def count_users(manager: SwitchManager, key: str, limit: int | None = None) -> AudienceCount:
    """How many active users ``key`` is on for, evaluated for each user alone (no request).

    Streams through the user table (``.iterator()``) in primary key order and stops after
    ``limit`` users (default :data:`COUNT_LIMIT`): ``{"on": users it is on for, "of": users
    checked, "capped": whether more active users were left unchecked}``.
    """
    limit = COUNT_LIMIT if limit is None else limit
    User = get_user_model()
    users = User._default_manager.filter(is_active=True).order_by("pk")
    on = checked = 0
    capped = False
    for user in users.iterator(chunk_size=500):
        if checked >= limit:
            capped = True
            break
        checked += 1
        if manager.is_active(key, user):
            on += 1
    return {"on": on, "of": checked, "capped": capped}


# -- the sentence, condition by condition ----------------------------------------------------------


def _fields(manager: SwitchManager, switch: Switch) -> list[tuple[list[ConditionSet], str, Field, Any]]:
    try:
        return list(values.resolve_fields(switch.value, manager.namespaces()))
    except ValidationError:
        return []


def _phrases(manager: SwitchManager, switch: Switch) -> tuple[list[str], list[str], list[str]]:
    """The phrases of the include, exclude and required conditions."""
    by_mode: dict[str, list[str]] = {INCLUDE: [], EXCLUDE: [], REQUIRE: []}
    # In the panel's order (sets by group label, fields as declared), not the stored order:
    # PostgreSQL's jsonb does not keep the order of an object's keys.
    fields = sorted(_fields(manager, switch), key=lambda found: _panel_order(found[0][0], found[1]))
    for sets, name, field, entries in fields:
        for mode, condition in entries:
            by_mode.get(mode, by_mode[INCLUDE]).append(phrase(sets[0], name, field, condition))
    return by_mode[INCLUDE], by_mode[EXCLUDE], by_mode[REQUIRE]


def _panel_order(condition_set: ConditionSet, field_name: str) -> tuple[str, str, int]:
    names = list(condition_set.fields)
    position = names.index(field_name) if field_name in names else len(names)
    # The namespace breaks a tie between two sets of one group label.
    return str(condition_set.get_group_label()), condition_set.get_namespace(), position


def phrase(condition_set: ConditionSet, name: str, field: Field, condition: str) -> str:
    """One condition as people say who it picks: "staff", "IP 10.0.0.0/8", "Plan: pro"."""
    try:
        return _phrase(condition_set, name, field, condition)
    except (ValidationError, ValueError):
        return f"{condition_set.get_group_label()}: {field.label} {condition}"


def _phrase(condition_set: ConditionSet, name: str, field: Field, condition: str) -> str:
    builtin = isinstance(condition_set, (UserConditionSet, IPAddressConditionSet, HostConditionSet))
    namespace = condition_set.get_namespace()
    if isinstance(field, Percent):
        low, high = field.parse(condition)
        share = _number(_covered(field, [condition]))
        text = _("%(share)s %% of %(who)s") % {"share": share, "who": _percent_of(condition_set)}
        if low:
            # The dash itself, not an escape: xgettext keeps "\u2013" as is, and no msgid would match.
            text = _("%(text)s (buckets %(low)s–%(high)s)") % {  # noqa: RUF001
                "text": text,
                "low": _number(low),
                "high": _number(high),
            }
        return str(text)
    if isinstance(field, Boolean) and builtin and name in _BOOLEANS:
        yes, no = _BOOLEANS[name]
        return str(no if field.clean(condition) == "0" else yes)
    if isinstance(field, IPAddress):
        return str(_("IP %(ip)s") % {"ip": condition})
    if isinstance(condition_set, HostConditionSet) and name == "hostname":
        return str(_("host %(host)s") % {"host": condition})
    if isinstance(condition_set, UserConditionSet) and name == "username":
        return str(_("user %(name)s") % {"name": condition})
    if isinstance(condition_set, UserConditionSet) and name == "email":
        return str(_("user with email %(email)s") % {"email": condition})
    if isinstance(condition_set, UserConditionSet) and name == "groups":
        return str(_("members of %(group)s") % {"group": condition})
    if isinstance(condition_set, UserConditionSet) and name == "permissions":
        return str(_("users with the permission %(permission)s") % {"permission": condition})
    if isinstance(field, AbstractDate):
        day = field.str_to_date(condition).strftime(field.PRETTY_DATE_FORMAT)
        when = _("before %(date)s") if isinstance(field, BeforeDate) else _("from %(date)s")
        text = str(when % {"date": day})
        if isinstance(condition_set, UserConditionSet) and name == "date_joined":
            return str(_("users who joined %(when)s") % {"when": text})
        if namespace in _TODAY_ZONES:
            return str(_("%(when)s (%(zone)s)") % {"when": text, "zone": _TODAY_ZONES[namespace]})
        return f"{condition_set.get_group_label()}: {field.label} {text}"
    return describe_condition(str(condition_set.get_group_label()), field, condition)


def _percent_of(condition_set: ConditionSet) -> str:
    """Whom a percent field of this set counts: "signed-in users", "IP addresses", "teams"."""
    if isinstance(condition_set, UserConditionSet):
        return str(_("signed-in users"))
    if isinstance(condition_set, IPAddressConditionSet):
        return str(_("IP addresses"))
    if isinstance(condition_set, VisitorConditionSet):
        return str(_("visitors (by cookie)"))
    if isinstance(condition_set, ModelConditionSet):
        return str(condition_set.model._meta.verbose_name_plural)
    return str(condition_set.get_group_label())


def _covered(field: Percent, conditions: list[str]) -> Decimal:
    """The share of subjects the percent ``conditions`` cover together, in percent.

    Buckets are ``low <= bucket < high`` in hundredths; with ``GARGOYLE_LEGACY_PERCENT``
    gargoyle-yplan's ``number % 100`` with both ends included (``0-10`` is 11 buckets of 100).
    """
    ranges = sorted(field.parse(condition) for condition in conditions)
    if get_settings().legacy_percent:
        buckets: set[int] = set()
        for low, high in ranges:
            buckets.update(n for n in range(100) if low <= n <= high)
        return Decimal(len(buckets))
    total, end = Decimal(0), Decimal(0)
    for low, high in ranges:
        low = max(low, end)
        if high > low:
            total += high - low
            end = max(end, high)
    return total


def _number(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _parent_key(manager: SwitchManager, key: str) -> str | None:
    """The nearest stored ancestor of a ``parent:child`` key, if any."""
    if ":" not in key:
        return None
    parts = key.split(":")
    ancestors = [":".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
    stored = set(Switch.objects.filter(key__in=ancestors).values_list("key", flat=True))
    return next((ancestor for ancestor in ancestors if ancestor in stored), None)
