"""The JSON API: the original Nexus module's endpoints, plus listing and preview (the
history's are in :mod:`gargoyle._web.history_api`, the bulk ones in :mod:`gargoyle._web.bulk`).

Mount it with ``path("gargoyle/", include("gargoyle.urls"))``. Every reply is
``{"success": bool, "data": ...}``; who may call what is decided in :mod:`gargoyle._web.auth`.
Mutations take form-encoded POST fields (as gargoyle-yplan's did), run in one transaction
and are recorded in the history under the caller's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gargoyle._authoring.fields import Choice, Field
from gargoyle._storage.change import SwitchChange
from gargoyle._storage.rollout import ACTIVE, Rollout
from gargoyle._storage.schedule import PENDING, ScheduledChange, as_utc
from gargoyle._storage.switch import Switch
from gargoyle._storage.transactions import write_transaction
from gargoyle._storage.validation import LABEL_MAX_LENGTH, validate_key, validate_status
from gargoyle._web import audience
from gargoyle._web.auth import ApiError, api_view, can_view, require
from gargoyle._writes.attribution import made_by
from gargoyle._writes.history import recording
from gargoyle._writes.schedules import describe_action
from gargoyle.constants import EXCLUDE, GLOBAL, INCLUDE, REQUIRE, STATUSES
from gargoyle.manager import gargoyle
from gargoyle.preview import buckets as preview_buckets
from gargoyle.preview import preview as preview_switch
from gargoyle.stale import StaleSwitch, stale_of
from gargoyle.usage import SwitchUsageFigures, usage_of

TRUE, FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}
STATUS_TEXTS = {str(status) for status in STATUSES}


# -- helpers ------------------------------------------------------------------------------------


def switch_payloads(switches: Iterable[Switch]) -> list[dict[str, Any]]:
    """:func:`switch_payload` of each switch, their usage figures read in one go."""
    switches = list(switches)
    keys = [switch.key for switch in switches]
    # Past a few hundred keys, every figure is read: an IN list that long is slower (and
    # SQLite limits the number of parameters of a query).
    figures = usage_of(keys if len(keys) <= 500 else None)
    stale = stale_of(switches)
    planned = _pending_schedules(keys if len(keys) <= 500 else None)
    running = _running_rollouts(keys if len(keys) <= 500 else None)
    return [
        {
            **_payload(switch, figures.get(switch.key), stale.get(switch.key), planned.get(switch.key, [])),
            "rollout": running.get(switch.key),
        }
        for switch in switches
    ]


def _pending_schedules(keys: list[str] | None) -> dict[str, list[dict[str, Any]]]:
    """Each switch's pending schedules, soonest first, as ``{"id", "dueAt", "summary"}``."""
    found = ScheduledChange.objects.filter(state=PENDING).order_by("due_at", "pk")
    if keys is not None:
        found = found.filter(switch_key__in=keys)
    planned: dict[str, list[dict[str, Any]]] = {}
    for item in found:
        summary = describe_action(item.action, item.arguments)
        planned.setdefault(item.switch_key, []).append(
            {"id": item.pk, "dueAt": as_utc(item.due_at), "summary": summary}
        )
    return planned


def switch_payload(switch: Switch) -> dict[str, Any]:
    """``Switch.to_dict`` (each condition's text naming its field) plus ``problem`` (why its
    stored conditions cannot be used, or None), ``storedLabel`` (``label`` falls back to the
    key, as gargoyle-yplan's did), ``notices`` (stored values to fix, answers changed at the
    upgrade: ``[{"code", "message"}]``), ``audience``, ``audienceEstimate``, ``usage``
    (:meth:`gargoyle.usage.SwitchUsageFigures.as_dict`, or None before any check is stored),
    ``stale`` (:meth:`gargoyle.stale.StaleSwitch.as_dict`, or None) and ``schedules`` (its
    pending scheduled changes, soonest first: ``[{"id", "dueAt", "summary"}]``) and ``rollout``
    (its running or paused rollout: ``{"id", "state", "stage", "stageCount", "percent",
    "outcome"}``, or None)."""
    return switch_payloads([switch])[0]


def _running_rollouts(keys: list[str] | None) -> dict[str, dict[str, Any]]:
    """Each switch's running or paused rollout, for its row."""
    found = Rollout.objects.filter(state__in=ACTIVE)
    if keys is not None:
        found = found.filter(switch_key__in=keys)
    return {
        rollout.switch_key: {
            "id": rollout.pk,
            "state": rollout.state,
            "stage": rollout.stage,
            "stageCount": len(rollout.stages),
            "percent": rollout.percent,
            "outcome": rollout.outcome,
        }
        for rollout in found
    }


def _payload(
    switch: Switch, figures: SwitchUsageFigures | None, stale: StaleSwitch | None, planned: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        **switch.to_dict(gargoyle, name_fields=True, modes=True),
        "problem": gargoyle.problem_of(switch),
        "storedLabel": switch.label or "",
        "notices": [notice.as_dict() for notice in gargoyle.notices_of(switch)],
        "audience": audience.describe(gargoyle, switch),
        "audienceEstimate": audience.estimate(gargoyle, switch),
        "usage": figures.as_dict() if figures is not None else None,
        "stale": stale.as_dict() if stale is not None else None,
        "schedules": planned,
    }


def _param(data: QueryDict, name: str) -> str:
    """A required request field; a 400 naming the field when it is missing or blank."""
    value = data.get(name)
    if value is None or not value.strip():
        raise ApiError(400, _("%(field)s: this field is required.") % {"field": name})
    return value


def _get_switch(key: str, *, lock: bool = False) -> Switch:
    switches = Switch.objects.select_for_update() if lock else Switch.objects.all()
    switch: Switch | None = next(iter(switches.filter(key=key).load()), None)
    if switch is None:
        raise ApiError(404, _("key: there is no switch %(key)r.") % {"key": key})
    return switch


def _check_label(label: str | None) -> None:
    if label is not None and len(label) > LABEL_MAX_LENGTH:
        raise ApiError(400, _("name: a label is at most %(max)d characters.") % {"max": LABEL_MAX_LENGTH})


@contextmanager
def _writing(request: HttpRequest) -> Iterator[list[SwitchChange]]:
    """One transaction, recorded in the history as made by the request's user; yields the
    list that collects the changes it records (see :func:`_change_id`)."""
    with recording() as recorded, made_by(request), write_transaction():
        yield recorded


def _change_ids(recorded: list[SwitchChange]) -> dict[str, Any]:
    """``{"changeIds", "changeSummary"}`` of a write that may record several changes: their
    ids, and "2 switches changed" (the summary of the one change when there is one)."""
    summary = (
        recorded[0].summary
        if len(recorded) == 1
        else ngettext("%(count)d switch changed", "%(count)d switches changed", len(recorded))
        % {"count": len(recorded)}
    )
    return {"changeIds": [change.pk for change in recorded], "changeSummary": summary}


def _change_id(recorded: list[SwitchChange]) -> dict[str, Any]:
    """``{"changeId", "changeSummary"}``: the id and the account (``"added User: Percent 10%
    (0-10)"``) of the history entry a write recorded; both ``None`` if it changed nothing."""
    last = recorded[-1] if recorded else None
    return {"changeId": last.pk if last else None, "changeSummary": last.summary if last else None}


def _saved(switch: Switch) -> dict[str, Any]:
    """The payload of a switch just written, read back as stored."""
    switch.refresh_from_db()
    return switch_payload(switch)


# -- the original endpoints ---------------------------------------------------------------------


@api_view("POST", "gargoyle.add_switch")
def add(request: HttpRequest) -> dict[str, Any]:
    """Add a switch: ``key``, ``name`` (its label), ``desc``."""
    key = _param(request.POST, "key")
    validate_key(key)
    label = request.POST.get("name") or None
    _check_label(label)
    switch = Switch(key=key, label=label, description=request.POST.get("desc") or None)
    if switch.status == GLOBAL:  # GARGOYLE_SWITCH_DEFAULTS may start it Global
        require(request, "gargoyle.set_global")
    exists = ApiError(400, _("key: a switch with the key %(key)r already exists.") % {"key": key})
    try:
        with _writing(request) as recorded:
            if Switch.objects.filter(key=key).exists():
                raise exists
            switch.save(force_insert=True)
    except IntegrityError:  # added by someone else meanwhile
        raise exists from None
    return {**_saved(switch), **_change_id(recorded)}


@api_view("POST", "gargoyle.change_switch")
def update(request: HttpRequest) -> dict[str, Any]:
    """Rename or relabel a switch: ``curkey``, ``key``, ``name``, ``desc`` (missing ones stay)."""
    curkey = _param(request.POST, "curkey")
    key = request.POST.get("key") or curkey
    validate_key(key)
    with _writing(request) as recorded:
        switch = _get_switch(curkey, lock=True)
        if "name" in request.POST:
            switch.label = request.POST["name"] or None
            _check_label(switch.label)
        if "desc" in request.POST:
            switch.description = request.POST["desc"] or None
        switch.key = key
        switch.save()  # a rename onto a taken key raises ValidationError: nothing is written
    return {**_saved(switch), **_change_id(recorded)}


@api_view("POST", "gargoyle.change_switch")
def status(request: HttpRequest) -> dict[str, Any]:
    """Set a switch's ``status`` (1 disabled, 2 selective, 3 global, 4 inherit)."""
    key = _param(request.POST, "key")
    text = _param(request.POST, "status")
    if text not in STATUS_TEXTS:  # int() would take " 2 ", "0_3" and Arabic-Indic digits
        validate_status(text)  # a text is never a status: raises, naming the field and the values
    new_status = int(text)
    if new_status == GLOBAL:
        require(request, "gargoyle.set_global")
    with _writing(request) as recorded:
        switch = _get_switch(key, lock=True)
        if switch.status != new_status:
            switch.status = new_status
            switch.save()
    return {**_saved(switch), **_change_id(recorded)}


@api_view("POST", "gargoyle.delete_switch")
def delete(request: HttpRequest) -> dict[str, Any]:
    """Delete a switch by ``key``."""
    key = _param(request.POST, "key")
    with _writing(request) as recorded:
        _get_switch(key, lock=True).delete()
    return _change_id(recorded)


def _condition_field(data: QueryDict) -> tuple[str, str, Field]:
    """The condition set id, field name and field named by ``id`` and ``field``; 404 if unknown."""
    set_id, name = _param(data, "id"), _param(data, "field")
    try:
        condition_set = gargoyle.get_condition_set_by_id(set_id)
    except KeyError:
        raise ApiError(404, _("id: there is no condition set %(id)r.") % {"id": set_id}) from None
    if name not in condition_set.fields:
        raise ApiError(404, _("field: %(set)s has no field %(field)r.") % {"set": set_id, "field": name})
    return set_id, name, condition_set.fields[name]


@api_view("POST", "gargoyle.change_switch")
def add_condition(request: HttpRequest) -> dict[str, Any]:
    """Add a condition: ``key``, ``id``, ``field``, ``mode`` or ``exclude``, and the field's own inputs."""
    key = _param(request.POST, "key")
    set_id, name, field = _condition_field(request.POST)
    mode = _mode(request.POST)
    value = field.validate(request.POST)
    with _writing(request) as recorded:
        switch = _get_switch(key, lock=True)
        switch.add_condition(gargoyle, set_id, name, value, exclude=mode == EXCLUDE, required=mode == REQUIRE)
    return {**_saved(switch), **_change_id(recorded)}


# The API's words for a condition's mode (``mode=``), and what they store.
MODE_WORDS = {"include": INCLUDE, "exclude": EXCLUDE, "required": REQUIRE}


def _mode(data: QueryDict) -> str:
    """``mode`` (include, exclude, required), or gargoyle-yplan's ``exclude`` flag; not both at odds."""
    given = data.get("exclude", "")
    exclude = given.lower() if given.isascii() else given  # the documented words, in any case
    if exclude not in TRUE | FALSE:
        raise ApiError(
            400,
            _("exclude: %(given)r is not 1, true, yes, on (exclude) or 0, false, no, off, empty (include).")
            % {"given": given},
        )
    if "mode" not in data:
        return EXCLUDE if exclude in TRUE else INCLUDE
    word = data.get("mode", "")
    mode = MODE_WORDS.get(word)
    if mode is None:
        raise ApiError(400, _("mode: %(given)r is not include, exclude or required.") % {"given": word})
    if exclude and (exclude in TRUE) != (mode == EXCLUDE):
        raise ApiError(400, _("exclude: %(given)r contradicts mode %(mode)s.") % {"given": given, "mode": word})
    return mode


@api_view("POST", "gargoyle.change_switch")
def remove_condition(request: HttpRequest) -> dict[str, Any]:
    """Remove a condition: ``key``, ``id``, ``field``, ``value`` (include or exclude)."""
    key = _param(request.POST, "key")
    set_id, name, _field = _condition_field(request.POST)
    value = _param(request.POST, "value")
    with _writing(request) as recorded:
        switch = _get_switch(key, lock=True)
        switch.remove_condition(gargoyle, set_id, name, value)
    return {**_saved(switch), **_change_id(recorded)}


@api_view("POST", "gargoyle.change_switch")
def mark_reviewed(request: HttpRequest) -> dict[str, Any]:
    """Mark switch ``key`` reviewed after the upgrade: its upgrade notices are no longer shown."""
    key = _param(request.POST, "key")
    with _writing(request):
        switch = _get_switch(key, lock=True)
        Switch.objects.filter(key=key).update(carried_over=False)
    return _saved(switch)


# -- listing, preview and history ----------------------------------------------------------------


def _field_info(field: Field) -> dict[str, Any]:
    # The field says which input the panel shows (Field.panel_type); the panel knows the rest.
    info: dict[str, Any] = {"name": field.name, "label": str(field.label), "type": field.panel_type}
    info["help"] = str(field.help_text or "")
    if isinstance(field, Choice):
        info["choices"] = [
            {"value": c[0], "label": str(c[1])} if isinstance(c, (list, tuple)) else {"value": c, "label": str(c)}
            for c in field.choices
        ]
    return info


def condition_sets() -> list[dict[str, Any]]:
    """Every registered condition set with its fields, grouped as ``get_all_conditions`` yields them."""
    sets: list[dict[str, Any]] = []
    for set_id, group, field in gargoyle.get_all_conditions():
        if not sets or sets[-1]["id"] != set_id:
            sets.append({"id": set_id, "label": group, "fields": []})
        sets[-1]["fields"].append(_field_info(field))
    return sets


@api_view("GET", None)
def switches(request: HttpRequest) -> dict[str, Any]:
    """Every switch, the condition sets, and what the caller may do."""
    user = request.user
    return {
        "switches": switch_payloads(Switch.objects.order_by("key").load()),
        "conditionSets": condition_sets(),
        "permissions": {
            "view": can_view(user),
            "add": user.has_perm("gargoyle.add_switch"),
            "change": user.has_perm("gargoyle.change_switch"),
            "delete": user.has_perm("gargoyle.delete_switch"),
            "setGlobal": user.has_perm("gargoyle.set_global"),
        },
    }


@api_view("GET", None)
def preview(request: HttpRequest) -> dict[str, Any]:
    """Would switch ``key`` be on for ``username`` and/or ``ip``, and why."""
    key = _get_switch(_param(request.GET, "key")).key
    verdict = preview_switch(
        gargoyle, key, username=request.GET.get("username", "").strip(), ip=request.GET.get("ip", "").strip()
    )
    cohorts = preview_buckets(
        gargoyle, key, username=request.GET.get("username", "").strip(), ip=request.GET.get("ip", "").strip()
    )
    buckets = [
        {
            "subject": b.subject,
            "bucket": float(b.bucket),
            "range": b.range,
            "inside": b.inside,
            "exclude": b.exclude,
            "required": b.required,
            "text": b.text,
        }
        for b in cohorts
    ]
    return {"active": verdict.active, "reason": verdict.reason, "buckets": buckets}


@api_view("GET", None)
def audience_count(request: HttpRequest) -> audience.AudienceCount:
    """How many of the site's active users switch ``key`` is on for (at most
    :data:`~gargoyle._web.audience.COUNT_LIMIT` users are checked)."""
    key = _get_switch(_param(request.GET, "key")).key
    return audience.count_users(gargoyle, key)
