""" "Would this switch be on for …?": the answer for a username and/or an IP address, and why.

The answer is ``is_active``'s own; the reason is found by walking the same rules again,
condition by condition (the slow, explaining path: never used by ``is_active``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.http import HttpRequest
from django.utils.translation import gettext as _

from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._authoring.fields import Field, describe_condition
from gargoyle._authoring.ranges import Percent
from gargoyle._conf import get_settings
from gargoyle._runtime.engine import CompiledSwitch
from gargoyle._runtime.snapshot import one_condition
from gargoyle._runtime.subjects import subjects_of
from gargoyle._storage import values
from gargoyle.cohorts import legacy_number, stable_bucket
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, REQUIRE, SELECTIVE
from gargoyle.manager import SwitchManager


class Verdict(NamedTuple):
    """The answer of :func:`preview`."""

    #: What ``is_active`` answers.
    active: bool
    #: Why, in one sentence, e.g. ``"Included by User: Percent: 10% (0-10)."``.
    reason: str


def preview(manager: SwitchManager, key: str, *, username: str = "", ip: str = "") -> Verdict:
    """Whether ``key`` is on for a request from ``ip`` by the user ``username``, and why.

    :param manager: the manager to ask.
    :param key: the switch's key.
    :param username: a user's username; empty for an anonymous user.
    :param ip: the request's IP address; empty for none.
    :raises ~django.core.exceptions.ValidationError: for an unknown username or an
        invalid IP address.
    """
    request = _request(username, ip)
    active = bool(manager.is_active(key, request))
    return Verdict(active, explain(manager, key, request))


def _request(username: str, ip: str) -> HttpRequest:
    """A request from ``ip`` by ``username``; ``ValidationError`` naming the field if either is unknown."""
    request = HttpRequest()
    if ip:
        try:
            validate_ipv46_address(ip)
        except ValidationError:
            raise ValidationError(_("ip: %(ip)s is not an IP address.") % {"ip": ip}) from None
        request.META["REMOTE_ADDR"] = ip
    request.user = _user(username)
    return request


class Bucket(NamedTuple):
    """Where a subject falls for one percent condition of a switch (see :func:`buckets`)."""

    #: Who: the username, or the IP address.
    subject: str
    #: The bucket: 0 to 99.99 (0 to 99 with ``GARGOYLE_LEGACY_PERCENT``).
    bucket: Decimal
    #: The condition's range as stored, e.g. ``"0-10"``.
    range: str
    #: Whether the bucket lies within the range.
    inside: bool
    #: Whether the condition is an exclude.
    exclude: bool
    #: In words: ``"alice is in bucket 37.12 of new_checkout: outside 0-10"`` (with an en dash).
    text: str
    #: Whether the condition is a required one (:ref:`required-conditions`).
    required: bool = False


def buckets(manager: SwitchManager, key: str, *, username: str = "", ip: str = "") -> list[Bucket]:
    """The subject's bucket for each percent condition of switch ``key`` (none if it has none).

    A user's bucket comes from their primary key, an address's from the address: the same
    :func:`~gargoyle.cohorts.stable_bucket` the percent fields match with (with
    ``GARGOYLE_LEGACY_PERCENT``, gargoyle-yplan's ``number % 100``, both ends included). An
    anonymous visitor is in no user bucket.

    :raises ~django.core.exceptions.ValidationError: as :func:`preview` does.
    """
    request = _request(username, ip)
    row = manager._current_snapshot().rows.get(key)
    try:
        fields = list(values.resolve_fields(row["value"] if row else {}, manager.namespaces()))
    except ValidationError:
        return []  # conditions that cannot be used: the reason says so
    legacy = get_settings().legacy_percent
    found: list[Bucket] = []
    for sets, field_name, field, entries in fields:
        if not isinstance(field, Percent):
            continue
        for condition_set in sets:
            if field_name not in condition_set.fields:
                continue
            for subject in subjects_of((request,)):
                if subject is None or not condition_set.can_execute(subject):
                    continue
                number = condition_set.get_field_value(subject, field_name)
                if number is None:
                    continue
                who = username if subject is request.user else str(number)
                for mode, condition in entries:
                    found.append(_bucket(key, field, who, number, condition, mode, legacy))
    return found


def _bucket(key: str, field: Percent, who: str, number: Any, condition: str, mode: str, legacy: bool) -> Bucket:
    low, high = field.parse(condition)
    if legacy:
        legacy_value = legacy_number(number)
        bucket = Decimal(-1 if legacy_value is None else legacy_value % 100)
        inside = low <= bucket <= high
    else:
        bucket = Decimal(stable_bucket(key, number)) / 100
        inside = low <= bucket < high
    shown = f"{_plain(low)}\u2013{_plain(high)}"
    where = _("inside %(range)s") % {"range": shown} if inside else _("outside %(range)s") % {"range": shown}
    if mode == EXCLUDE:
        where = _("%(where)s (an exclude)") % {"where": where}
    elif mode == REQUIRE:
        where = _("%(where)s (required)") % {"where": where}
    text = _("%(who)s is in bucket %(bucket)s of %(key)s: %(where)s") % {
        "who": who,
        "bucket": f"{bucket:.0f}" if legacy else f"{bucket:.2f}",
        "key": key,
        "where": where,
    }
    return Bucket(who, bucket, f"{_plain(low)}-{_plain(high)}", inside, mode == EXCLUDE, text, mode == REQUIRE)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _user(username: str) -> Any:
    if not username:
        return AnonymousUser()
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise ValidationError(_("username: there is no user %(name)s.") % {"name": username}) from None


def explain(manager: SwitchManager, key: str, *instances: Any) -> str:
    """Why ``manager.is_active(key, *instances)`` answers what it does, in one sentence.

    The reason is found by walking the rules again, condition by condition: slower than
    ``is_active``, and never used by it.
    """
    snapshot = manager._current_snapshot()
    switch = snapshot.switches.get(key) or snapshot.fallbacks.get(key)
    if switch is None:
        ancestor = snapshot.nearest_ancestor(key)
        if ancestor is None:
            return _("No switch %(key)s is stored: callers get their default.") % {"key": key}
        return _("No switch %(key)s is stored: it follows %(parent)s.") % {"key": key, "parent": ancestor.key}
    return _explain_switch(manager, switch, snapshot.rows.get(key), instances)


def _explain_switch(
    manager: SwitchManager, switch: CompiledSwitch, row: Mapping[str, Any] | None, instances: tuple[Any, ...]
) -> str:
    parent = switch.parent
    if parent is not None and parent.evaluate(instances, None) is False:
        return _("Its parent %(parent)s is off for them.") % {"parent": parent.key}
    if switch.status == GLOBAL:
        return _("Global: on for everyone.")
    if switch.status == DISABLED:
        return _("Disabled: off for everyone.")
    if switch.status == INHERIT:
        if parent is None:
            return _("Inherit, without a parent: callers get their default.")
        return _("Inherit: it follows its parent %(parent)s.") % {"parent": parent.key}
    if switch.status != SELECTIVE:
        return _("Unknown status %(status)s: callers get their default.") % {"status": switch.status}
    if switch.problem:
        return _("Its conditions cannot be used (%(problem)s): callers get their default.") % {
            "problem": switch.problem
        }
    if switch.rules is None:
        return _("Selective with no conditions: off for everyone.")
    return _explain_conditions(manager, switch.key, row["value"] if row else {}, instances)


def _explain_conditions(manager: SwitchManager, key: str, value: Any, instances: tuple[Any, ...]) -> str:
    subjects = subjects_of(instances)
    namespaces = manager.namespaces()
    included = unmet = None
    has_includes = has_required = False
    for sets, field_name, field, entries in values.resolve_fields(value, namespaces):
        for mode, condition in entries:
            has_includes = has_includes or mode == INCLUDE
            has_required = has_required or mode == REQUIRE
            matches = _matches(sets, field_name, field, condition, key, subjects)
            where = describe_condition(str(sets[0].get_group_label()), field, condition)
            if mode == EXCLUDE and matches:
                return _("Excluded by %(condition)s.") % {"condition": where}
            if mode == REQUIRE and not matches:
                unmet = unmet or where
            elif mode == INCLUDE and matches:
                included = included or where
    if unmet:
        return _("The required condition %(condition)s does not match them.") % {"condition": unmet}
    if included:
        return _("Included by %(condition)s.") % {"condition": included}
    if has_includes:
        return _("No include condition matches them.")
    if has_required:
        return _("Every required condition matches them.")
    return _("No exclude condition matches them.")


def _matches(
    sets: list[ConditionSet], field_name: str, field: Field, condition: str, key: str, subjects: list[Any]
) -> bool:
    # As the engine judges a required condition: a set that judges itself is asked itself.
    owners = [condition_set for condition_set in sets if field_name in condition_set.fields]
    return one_condition(owners, field_name, field.matcher([condition], key), condition).met(subjects)
