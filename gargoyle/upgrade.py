"""Switches carried over from gargoyle-yplan 2.1.1 whose answers changed, and why.

Migration ``0005`` marks every switch that existed before this project's first migration
ran (``Switch.carried_over``). For those, :func:`answer_changes` reads the stored status
and conditions and names each rule of gargoyle-yplan's that this project does not follow
and that applies to them, with whom it affects. The system check ``gargoyle.W007``, the
panel, ``list_switches`` and ``manage.py upgrade_report`` show the result until someone
marks the switch reviewed. The rules are those of ``docs/upgrading.rst``; the tests hold
them to gargoyle-yplan's own answers (``tests/upgrade``).

:func:`stored_notices` reports, on any switch, stored values the model would refuse today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gargoyle._authoring.condition_sets import ConditionSet
from gargoyle._authoring.fields import Boolean, Choice, Field
from gargoyle._authoring.ranges import Percent
from gargoyle._runtime.snapshot import evaluated_status, nearest_ancestor, try_compile_rules
from gargoyle._storage import values
from gargoyle._storage.validation import validate_description, validate_key, validate_label
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, STATUSES

Row = Mapping[str, Any]
Namespaces = Mapping[str, list[ConditionSet]]
# The built-in fields some rules are about, by where their conditions are stored.
ANONYMOUS_FIELD = "is_anonymous"  # of the user set: gargoyle-yplan special-cased anonymous users with it
IP_ADDRESS_FIELD = ("ip", "ip_address")


@dataclass(frozen=True)
class Notice:
    """One way a switch's answers differ from gargoyle-yplan's: a stable ``code`` and a message."""

    #: What kind of change: ``"empty"``, ``"unusable"``, ``"mixed"``, ``"unjudged"``,
    #: ``"anonymous"``, ``"boolean-false"``, ``"choice"``, ``"percent"``, ``"ip-text"``,
    #: ``"parent"``; or, from :func:`stored_notices`, ``"status"``, ``"key"``, ``"label"``,
    #: ``"description"``.
    code: str
    #: What changed, for people.
    message: str

    def as_dict(self) -> dict[str, str]:
        """``{"code": ..., "message": ...}``, as the JSON API and ``upgrade_report --json`` give it."""
        return {"code": self.code, "message": self.message}


def _notice(code: str, message: Any, **params: Any) -> Notice:
    return Notice(code, str(message) % params if params else str(message))


def answer_changes(rows: Iterable[Row], namespaces: Namespaces, *, legacy_percent: bool) -> dict[str, list[Notice]]:
    """``{key: notices}`` for the carried-over switches whose answers changed at the upgrade.

    :param rows: stored rows (``key``, ``status``, ``value``, ``carried_over``), all of
        them: a child is reported when a carried-over ancestor is.
    :param namespaces: the registered condition sets by namespace.
    :param legacy_percent: whether ``GARGOYLE_LEGACY_PERCENT`` keeps gargoyle-yplan's cohorts.
    """
    carried = {row["key"]: row for row in rows if row.get("carried_over")}
    found: dict[str, list[Notice]] = {}
    for key in sorted(carried, key=lambda k: k.count(":")):  # parents first
        row = carried[key]
        notices = _own_changes(row, namespaces, legacy_percent=legacy_percent)
        parent_row = nearest_ancestor(key, carried)
        parent = None if parent_row is None else parent_row["key"]
        if parent in found and evaluated_status(row["status"]) != DISABLED:
            notices.append(_notice("parent", _("Follows its parent %(parent)r, whose answers changed."), parent=parent))
        if notices:
            found[key] = notices
    return found


def _own_changes(row: Row, namespaces: Namespaces, *, legacy_percent: bool) -> list[Notice]:
    """The notices of one switch, from its own status and conditions (parents aside)."""
    status, value = evaluated_status(row["status"]), row["value"]
    if status in (GLOBAL, DISABLED, INHERIT):
        return []  # its conditions decide nothing
    if not value:  # gargoyle-yplan gave the default; so do we for what is not an object ([], null)
        return [_notice("empty", EMPTY)] if isinstance(value, dict) else []
    problem = try_compile_rules(row["key"], value, namespaces)[1]
    if problem is not None:
        return [_notice("unusable", UNUSABLE, problem=problem)]
    return _condition_changes(value, namespaces, legacy_percent=legacy_percent)


EMPTY = _(
    "Selective with no conditions: now off for everyone. gargoyle-yplan gave callers their default "
    "(on under a Global parent, or with default=True), and its panel said it was active for everyone."
)
UNUSABLE = _(
    "Its conditions cannot be used (%(problem)s): it answers its callers' default. gargoyle-yplan "
    "skipped what it could not read, or raised an error."
)
MIXED = _(
    "Include and exclude conditions together: gargoyle-yplan also let in every subject its exclude "
    "conditions judged and did not exclude (a request from anywhere else, say); now only the include "
    "conditions let anyone in."
)
UNJUDGED = _(
    "Exclude conditions only: now on for the checks they cannot judge (%(checks)s); gargoyle-yplan was off for those."
)
ANONYMOUS = _(
    '"Anonymous" conditions: gargoyle-yplan let anonymous users in whenever the switch had one, '
    'include or exclude, true or false; now they are honoured (an excluded "Anonymous" keeps them out).'
)
BOOLEAN_FALSE = _(
    "%(field)s stored as false: now matches the subjects for whom it is false; gargoyle-yplan "
    "ignored the stored value and matched those for whom it is true."
)
CHOICE = _("%(field)s: now matches only the stored choice; gargoyle-yplan matched any of the choices.")
PERCENT = _(
    "Percent conditions: drawn per switch with half-open ranges, so about the same share now reaches "
    "other subjects. GARGOYLE_LEGACY_PERCENT = True keeps gargoyle-yplan's cohorts."
)
IP_TEXT = _(
    "IP address %(condition)r: now matched as an address or network; gargoyle-yplan compared the text "
    "with the request's address exactly, so it matched nothing."
)


def _condition_changes(value: dict[str, Any], namespaces: Namespaces, *, legacy_percent: bool) -> list[Notice]:
    notices: list[Notice] = []
    modes: set[str] = set()
    exclude_sets: list[ConditionSet] = []
    for sets, field_name, field, entries in values.resolve_fields(value, namespaces):
        field_modes = {mode for mode, _condition in entries}
        modes |= field_modes
        if EXCLUDE in field_modes:
            exclude_sets.extend(sets)
        namespace = sets[0].get_namespace()
        notices.extend(_field_changes(namespace, field_name, field, entries, legacy_percent=legacy_percent))
    if {INCLUDE, EXCLUDE} <= modes:
        notices.insert(0, _notice("mixed", MIXED))
    elif modes == {EXCLUDE}:
        unjudged = _unjudged_checks(exclude_sets, value)
        if unjudged:
            notices.insert(0, _notice("unjudged", UNJUDGED, checks=", ".join(unjudged)))
    return _unique(notices)


def _field_changes(
    namespace: str, name: str, field: Field, entries: list[Any], *, legacy_percent: bool
) -> list[Notice]:
    label = str(field.label)
    if (namespace, name) == (_user_namespace(), ANONYMOUS_FIELD) and any(_anonymous_changes(e) for e in entries):
        return [_notice("anonymous", ANONYMOUS)]
    if isinstance(field, Boolean) and any(field.clean(condition) == "0" for _mode, condition in entries):
        return [_notice("boolean-false", BOOLEAN_FALSE, field=label)]
    if isinstance(field, Choice):
        return [_notice("choice", CHOICE, field=label)]
    if isinstance(field, Percent) and not legacy_percent and any(_partial(field, c) for _mode, c in entries):
        return [_notice("percent", PERCENT)]
    if (namespace, name) == IP_ADDRESS_FIELD:
        return [_notice("ip-text", IP_TEXT, condition=c) for _mode, c in entries if field.clean(c) != c or "/" in c]
    return []


def _partial(field: Percent, condition: str) -> bool:
    """Whether a percent range selects a share other than everyone (0-100 did in both arithmetics)."""
    return field.parse(condition) != (0, 100)


def _anonymous_changes(entry: list[Any]) -> bool:
    """gargoyle-yplan let anonymous users in for any "Anonymous" condition; only "include, true" agrees."""
    mode, condition = entry
    return mode == EXCLUDE or Boolean().clean(condition) == "0"


def _user_namespace() -> str:
    """Where the built-in user condition set stores its conditions, e.g. ``"auth.user"``."""
    meta = get_user_model()._meta
    return f"{meta.app_label}.{meta.model_name}"


def _unjudged_checks(exclude_sets: list[ConditionSet], value: dict[str, Any]) -> list[str]:
    """The kinds of checks none of the sets holding excludes can judge, in words."""
    if any(condition_set.can_execute(None) for condition_set in exclude_sets):
        return []  # a set that judges the moment (host, dates) judges every check
    checks: list[str] = []
    for condition_set in exclude_sets:
        namespace = condition_set.get_namespace()
        if namespace == _user_namespace():
            if ANONYMOUS_FIELD not in value.get(namespace, {}):
                checks.append(str(_("anonymous users")))  # gargoyle-yplan judged them only on "Anonymous"
            checks.append(str(_("checks without a user")))
        elif namespace == IP_ADDRESS_FIELD[0]:
            checks.append(str(_("checks without a request")))
        else:
            checks.append(str(_("checks without a subject for %(set)s") % {"set": condition_set.get_group_label()}))
    return list(dict.fromkeys(checks))


def _unique(notices: list[Notice]) -> list[Notice]:
    return list(dict.fromkeys(notices))


#: The codes of :func:`stored_notices`: values to fix, which marking a switch reviewed does not clear.
STORED_CODES = frozenset({"status", "key", "label", "description"})


def stored_notices(row: Row) -> list[Notice]:
    """Notices for stored values the model would refuse today (gargoyle-yplan, or a script
    writing SQL, could leave them): a status outside 1-4, a key or label that is too long,
    NUL characters. The switch keeps working, and its other fields can be edited.
    """
    notices = []
    if row["status"] not in STATUSES:
        notices.append(_notice("status", STATUS, status=row["status"]))
    for code, validate in (("key", validate_key), ("label", validate_label), ("description", validate_description)):
        try:
            validate(row[code])
        except ValidationError as error:
            notices.append(_notice(code, STORED_FIELD, problem=" ".join(error.messages)))
    return notices


STATUS = _("Stored status %(status)r is not 1-4: it is evaluated as Selective, as gargoyle-yplan did. Set a status.")
STORED_FIELD = _("As stored, %(problem)s Edit it; the switch works meanwhile.")
