"""OpenFeature and OFREP: what the standard interfaces add to a check, and what the browser's bulk answer costs.

Per check, for the GLOBAL and SELECTIVE switches of the case table: ``is_active`` (the
table's own calls), :func:`gargoyle.resolution.resolve` (the value and its reason),
``GargoyleProvider().resolve_boolean_details`` and the OpenFeature SDK's client
(``get_boolean_value``, with an evaluation context of the visitor). The provider builds
its subjects from the context (a user instance, a request for the address) on every call.

Per request, through Django's test client as the case table's request row: OFREP's bulk
endpoint (``POST /ofrep/v1/evaluate/flags``) for a browser session (no token), then the
same with the ``If-None-Match`` of its ETag (304), beside django-waffle's ``wafflejs``
view, which serves everything waffle stores. Both serve the same 25 keys: the 20 page
switches, GLOBAL, DISABLED, SELECTIVE and the group switch (waffle's Flags) and the child
key (not the required-AND switch: waffle has none).

Every variant is measured in alternation, so that a slower stretch of a shared machine
falls on all; each figure is the median of its runs.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.test import Client, override_settings

from benchmarks import gargoyle_cases
from benchmarks.cases import KEYS, PAGE_KEYS, Subjects
from benchmarks.measure import Call, Plan, count_call, time_statement
from benchmarks.report import fmt_count, fmt_us
from gargoyle.models import Switch
from gargoyle.resolution import resolve

TITLE = "OpenFeature and OFREP"
CASES = (("global", "GLOBAL"), ("selective", "SELECTIVE"))
ARGS = {"global": "", "selective": ", request"}  # as the case table's is_active calls
#: What the browser may ask for: every key both libraries store.
CLIENT_KEYS = [KEYS["global"], KEYS["disabled"], KEYS["selective"], KEYS["group"], KEYS["child"], *PAGE_KEYS]
OFREP_URL = "/ofrep/v1/evaluate/flags"
WAFFLE_URL = "/wafflejs"
#: waffle's view renders waffle/waffle.js from its app's templates.
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True}]
SDK_MISSING = "openfeature-sdk is not installed: the provider and OpenFeature client rows were skipped."


@dataclass
class Measured:
    runs: dict[str, list[float]] = field(default_factory=dict)  # row id -> us per call, each round
    answers: dict[str, str] = field(default_factory=dict)
    counts: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # row id -> SQL, reads, writes
    notes: list[str] = field(default_factory=list)

    def us(self, row: str) -> float:
        return statistics.median(self.runs[row])


def check_calls(gargoyle_calls: dict[str, Call], subjects: Subjects) -> tuple[dict[str, Call], list[str]]:
    """{"case:way": Call} for every check row, and the notes (the SDK's absence)."""
    calls: dict[str, Call] = {}
    names: dict[str, Any] = {"resolve": resolve, "request": subjects.request}
    for case, _ in CASES:
        calls[f"{case}:is_active"] = gargoyle_calls[case]
        calls[f"{case}:resolve"] = Call(f"resolve(key{ARGS[case]})", {**names, "key": KEYS[case]})
    try:
        from openfeature import api

        from gargoyle.openfeature import GargoyleProvider, evaluation_context
    except ImportError:
        return calls, [SDK_MISSING]
    provider = GargoyleProvider()
    api.set_provider(provider)
    names = {"provider": provider, "client": api.get_client(), "context": evaluation_context(subjects.request)}
    for case, _ in CASES:
        key = KEYS[case]
        calls[f"{case}:provider"] = Call("provider.resolve_boolean_details(key, False, context)", {**names, "key": key})
        calls[f"{case}:client"] = Call("client.get_boolean_value(key, False, context)", {**names, "key": key})
    return calls, []


def request_calls() -> dict[str, Call]:
    client = Client()
    names = {"client": client, "url": OFREP_URL, "body": '{"context": {}}'}
    post = "client.post(url, body, content_type='application/json'{})"
    etag = client.post(OFREP_URL, names["body"], content_type="application/json")["ETag"]
    return {
        "ofrep": Call(post.format(""), names),
        "ofrep_304": Call(post.format(", headers=headers"), {**names, "headers": {"If-None-Match": etag}}),
        "waffle": Call("client.get(url)", {"client": client, "url": WAFFLE_URL}),
    }


def restore_fixtures() -> None:
    """Put back gargoyle's switches of the case table: scaling leaves only GLOBAL, SELECTIVE and its fillers."""
    Switch.objects.all().delete()
    gargoyle_cases.create_fixtures()


def run(gargoyle_calls: dict[str, Call], subjects: Subjects, plan: Plan, rounds: int, aliases: list[str]) -> Measured:
    result = Measured()
    restore_fixtures()
    with override_settings(GARGOYLE_CLIENT_SWITCHES=CLIENT_KEYS, TEMPLATES=TEMPLATES):
        checks, result.notes = check_calls(gargoyle_calls, subjects)
        try:
            requests = request_calls()
            calls = {**checks, **requests}
            for _ in range(rounds):
                for row, call in calls.items():
                    result.runs.setdefault(row, []).append(time_statement(call.stmt, call.namespace, plan))
            for row, call in calls.items():
                counted = plan.counted_calls // 4 if row in requests else plan.counted_calls
                sql, reads, writes, answer = count_call(call.as_function(), counted, aliases)
                result.counts[row] = (sql, reads, writes)
                result.answers[row] = fmt_answer(answer)
        finally:
            if any(row.endswith(":client") for row in checks):
                from openfeature import api

                api.shutdown()  # the provider stops listening for reloads
    return result


def fmt_answer(answer: Any) -> str:
    """on/off and the reason; for a response, its status and size."""
    if hasattr(answer, "status_code"):
        shown = f"HTTP {answer.status_code}, {len(answer.content):,} B"
        if answer.get("Content-Type") == "application/json":  # OFREP's: how many switches it answered
            shown += f", {len(json.loads(answer.content)['flags'])} keys"
        return shown
    value = getattr(answer, "value", answer)
    shown = {True: "on", False: "off", None: "None"}.get(value, repr(value))
    reason = getattr(answer, "reason", None)
    return shown if reason is None else f"{shown} {getattr(reason, 'value', reason)}"


WAYS = {
    "is_active": "gargoyle.is_active",
    "resolve": "resolution.resolve",
    "provider": "provider.resolve_boolean_details",
    "client": "OpenFeature client.get_boolean_value",
}
REQUESTS = {
    "ofrep": "OFREP POST evaluate/flags (200)",
    "ofrep_304": "  same, If-None-Match: its ETag (304)",
    "waffle": "waffle GET wafflejs",
}


def lines(measured: Measured, cache: str) -> list[str]:
    out = [f"{TITLE} (gargoyle; median of alternating runs; {cache})"]
    out.append(f"  {'per check':<48} {'us/call':>9} {'x is_active':>11}  answer")
    for case, label in CASES:
        base = measured.us(f"{case}:is_active")
        for way, name in WAYS.items():
            row = f"{case}:{way}"
            if row in measured.runs:
                us = measured.us(row)
                out.append(f"  {label + ' ' + name:<48} {fmt_us(us):>9} {us / base:>10.1f}x  {measured.answers[row]}")
                label = " " * len(label)
    out.append(
        f"  {f'per request (test client, no token, {len(CLIENT_KEYS)} keys)':<48} {'us/req':>9} {'SQL':>5}"
        f" {'cache r/w':>9}  answer"
    )
    for row, name in REQUESTS.items():
        sql, reads, writes = measured.counts[row]
        ops = f"{fmt_count(reads)}/{fmt_count(writes)}"
        out.append(f"  {name:<48} {fmt_us(measured.us(row)):>9} {fmt_count(sql):>5} {ops:>9}  {measured.answers[row]}")
    ofrep = measured.us("ofrep")
    out.append(
        f"  waffle / OFREP: {measured.us('waffle') / ofrep:.1f}x;"
        f" OFREP 304 / OFREP 200: {measured.us('ofrep_304') / ofrep:.2f}x"
    )
    out += [
        "  The browser session is anonymous (the bench runs no middleware); OFREP answers the"
        f" {len(CLIENT_KEYS)} keys of GARGOYLE_CLIENT_SWITCHES",
        f"  as JSON with reasons, wafflejs the same {len(CLIENT_KEYS)} (all waffle stores) as JavaScript.",
    ]
    if not measured.notes:
        out.append(
            "  The provider and the client judge an EvaluationContext of the visitor (targetingKey, username, ip)."
        )
    return out + [f"  {note}" for note in measured.notes]
