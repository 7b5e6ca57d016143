"""Hostile input (issue 5, point 5): property-based tests of the JSON API, the condition
parsers and the import command, with thousands of generated inputs.

Whatever comes in: never a 500 or an uncaught exception, never a partial write (a refused
request or import changes nothing), and every stored switch still validates afterwards.
"""

from __future__ import annotations

import datetime
import json
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from gargoyle._authoring.fields import Choice
from gargoyle._authoring.ranges import Range
from gargoyle._storage import values
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import SnapshotVersion, Switch

pytestmark = [pytest.mark.urls("tests.production.security_urls")]

FUZZ = settings(
    deadline=None,
    database=None,  # no example database in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- strategies ----------------------------------------------------------------------------------

SPECIAL = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 65,
    "-1",
    "0",
    "1",
    "3",
    "4",
    "5",
    " 2 ",
    "2.0",
    "1e3",
    "٣",
    "NaN",
    "inf",
    "null",
    "true",
    "yes",
    "[]",
    "{}",
    "0-50",
    "50-0",
    "0-100.001",
    "00-50.00",
    "0-0",
    "1_0-2_0",
    "10.0.0.1",
    "10.0.0.0/8",
    "10.0.0.1/33",
    "::1",
    "::ffff:10.0.0.1",
    "fe80::1%eth0",
    "2020-02-30",
    "2020-2-3",
    "0005-01-01",
    "9999-12-31",
    "feature",
    "parent:child",
    "<script>alert(1)</script>",
    "'; DROP TABLE gargoyle_switch; --",
    "\u202e\ufeff\U0001f600",
]
hostile_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(60_000, 120_000).map(lambda size: "y" * size),  # huge
    st.text(max_size=40),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12),
)
near_valid = st.one_of(
    st.tuples(st.decimals(allow_nan=True), st.decimals(allow_nan=True)).map(lambda pair: f"{pair[0]}-{pair[1]}"),
    st.tuples(st.integers(-5, 200), st.integers(-5, 200)).map(lambda pair: f"{pair[0]}-{pair[1]}"),
    st.ip_addresses().map(str),
    st.tuples(st.ip_addresses(), st.integers(0, 130)).map(lambda pair: f"{pair[0]}/{pair[1]}"),
    st.dates().map(str),
    st.dates().map(lambda day: f"{day.year}-{day.month}-{day.day}"),
    st.sampled_from(["1", "0", "TRUE", " Off ", "yes", "a", "c", "C", "ünï"]),
)
SET_IDS = [condition_set.get_id() for condition_set in gargoyle.get_condition_sets()]
FIELD_NAMES = sorted({name for condition_set in gargoyle.get_condition_sets() for name in condition_set.fields})
NAMESPACES = sorted(gargoyle.namespaces())
KEYS = ["feature", "other", "parent", "parent:child", "new"]


def one_of_or_hostile(choices: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(choices), hostile_text)


MISSING = object()
FIELD_TYPES = {
    name: type(field).__name__
    for condition_set in gargoyle.get_condition_sets()
    for name, field in condition_set.fields.items()
}
percent_ranges = st.tuples(st.integers(0, 100), st.integers(0, 100)).map(lambda pair: "{}-{}".format(*sorted(pair)))
VALID_CONDITIONS = {
    "Percent": percent_ranges,
    "IPAddress": st.one_of(st.ip_addresses().map(str), st.ip_addresses(v=4).map(lambda ip: f"{ip}/24")),
    "Boolean": st.sampled_from(["1", "0", "true", "no"]),
    "OnOrAfterDate": st.dates(min_value=datetime.date(1000, 1, 1)).map(str),
    "BeforeDate": st.dates(min_value=datetime.date(1000, 1, 1)).map(str),
    "String": st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1, max_size=30),
    "PermissionName": st.from_regex(r"[a-z_][a-z0-9_]{0,9}\.[a-z0-9_]{1,20}", fullmatch=True),
}


def valid_condition(field_name: str) -> st.SearchStrategy[str]:
    """A condition the field accepts (per-field names are unique across the built-in sets' types)."""
    return VALID_CONDITIONS.get(FIELD_TYPES.get(field_name, "String"), VALID_CONDITIONS["String"])


PAIRS = [
    (condition_set.get_id(), condition_set.get_namespace(), name)
    for condition_set in gargoyle.get_condition_sets()
    for name in condition_set.fields
]
new_keys = st.one_of(st.from_regex(r"[a-z][a-z0-9_:.-]{0,30}", fullmatch=True), st.sampled_from(KEYS), hostile_text)
labels = st.one_of(st.text(max_size=64), hostile_text)


def die(draw: Any) -> float:
    """A number in [0, 1) that leans to 0 (hypothesis's "simplest"): use low values for valid input."""
    return draw(st.randoms(use_true_random=False)).random()


@st.composite
def mostly(draw: Any, valid: st.SearchStrategy[Any]) -> Any:
    """Usually a valid value (so that requests get through), sometimes a hostile one or none.

    A die decides: hypothesis's own choices between branches lean to the hostile ones here.
    """
    roll = die(draw)
    if roll > 0.94:
        return MISSING
    if roll > 0.84:
        return draw(hostile_text)
    return draw(valid)


@st.composite
def condition_fields(draw: Any) -> dict[str, Any]:
    if draw(st.integers(0, 9)):
        set_id, _namespace, field = draw(st.sampled_from(PAIRS))
    else:
        set_id, field = draw(one_of_or_hostile(SET_IDS)), draw(one_of_or_hostile(FIELD_NAMES))
    return {"id": draw(mostly(st.just(set_id))), "field": draw(mostly(st.just(field))), "_field": field}


def endpoint_fields(draw: Any, name: str) -> dict[str, Any]:
    existing = st.sampled_from(KEYS[:4])
    if name == "add":
        return {"key": draw(mostly(new_keys)), "name": draw(mostly(labels)), "desc": draw(mostly(hostile_text))}
    if name == "update":
        fields = {"curkey": draw(mostly(existing)), "name": draw(mostly(labels)), "desc": draw(mostly(hostile_text))}
        return {**fields, "key": draw(st.one_of(st.just(MISSING), new_keys))}
    if name == "status":
        return {"key": draw(mostly(existing)), "status": draw(mostly(st.sampled_from(["1", "2", "3", "4"])))}
    if name in ("delete", "history"):
        return {"key": draw(mostly(existing))}
    if name == "preview":
        ip = st.one_of(st.ip_addresses().map(str), hostile_text)
        return {"key": draw(mostly(existing)), "username": draw(mostly(st.just("root"))), "ip": draw(mostly(ip))}
    if name == "restore":
        changes = st.integers(1, 60).map(str)
        return {"id": draw(mostly(changes)), "state": draw(mostly(st.sampled_from(["before", "after"])))}
    if name in ("add-condition", "remove-condition"):
        fields = draw(condition_fields())
        field = fields.pop("_field")
        condition = st.one_of(valid_condition(field), valid_condition(field), near_valid, hostile_text)
        fields["key"] = draw(mostly(existing))
        if name == "remove-condition":
            fields["value"] = draw(mostly(condition))
        else:
            fields["exclude"] = draw(mostly(st.sampled_from(["0", "1", "true", "off", ""])))
            fields[field] = draw(mostly(condition))
            fields[f"{field}[min]"] = draw(mostly(st.integers(-5, 105).map(str)))
            fields[f"{field}[max]"] = draw(mostly(st.integers(-5, 105).map(str)))
        return fields
    return {}


ENDPOINTS = ["add", "update", "status", "delete", "add-condition", "remove-condition", "restore"]
READS = ["switches", "preview", "history"]


@st.composite
def api_requests(draw: Any) -> tuple[str, str, Any]:
    name = draw(st.sampled_from(ENDPOINTS + ENDPOINTS + READS))
    right = "get" if name in READS else "post"
    method = draw(st.sampled_from([right] * 9 + ["get" if right == "post" else "post"]))
    if draw(st.integers(0, 29)) == 0:  # a body that is not form data at all
        return name, "raw", draw(st.binary(max_size=300))
    data = {field: value for field, value in endpoint_fields(draw, name).items() if value is not MISSING}
    extra = draw(st.dictionaries(hostile_text, hostile_text, max_size=1)) if draw(st.integers(0, 4)) == 0 else {}
    return name, method, {**extra, **data}


# -- helpers -------------------------------------------------------------------------------------


def snapshot() -> dict[str, Any]:
    return {
        "switches": list(Switch.objects.order_by("key").values_list()),
        "history": SwitchChange.objects.count(),
        "version": list(SnapshotVersion.objects.values_list("number", flat=True)),
    }


def assert_everything_validates() -> None:
    for switch in Switch.objects.all():
        switch.check_fields()
        values.validate_value(switch.value, gargoyle.namespaces(), switch.key)


def ensure_switches() -> None:
    for key in ("feature", "other", "parent", "parent:child"):
        if not Switch.objects.filter(key=key).exists():
            Switch(key=key, status=2).save()


# -- (a) the JSON API ----------------------------------------------------------------------------


@pytest.mark.django_db
@settings(FUZZ, max_examples=1500)
@given(request=api_requests())
def test_the_json_api_never_fails_and_a_refusal_changes_nothing(request, django_user_model):
    name, method, data = request
    user = django_user_model.objects.filter(username="root").first() or django_user_model.objects.create_superuser(
        "root", "root@example.com", "pw"
    )
    client = Client(raise_request_exception=True)
    client.force_login(user)
    ensure_switches()
    before = snapshot()
    url = reverse(f"gargoyle:{name}")
    if method == "raw":
        response = client.post(url, data, content_type="application/x-www-form-urlencoded")
    else:
        response = getattr(client, method)(url, data)
    event(f"{name} {method} -> {response.status_code}")
    assert 200 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"success", "data"}
    assert body["success"] is (response.status_code < 300)
    if response.status_code >= 400:
        assert isinstance(body["data"], str) and body["data"], "a refusal says why"
        assert snapshot() == before, f"{name} refused with {response.status_code} but changed the database"
    assert_everything_validates()


# -- (b) the condition parsers -------------------------------------------------------------------


def all_fields() -> dict[str, Any]:
    """Every built-in field, by "namespace.name": the registered sets' and the unused types'."""
    found = {
        f"{condition_set.get_namespace()}.{name}": field
        for condition_set in gargoyle.get_condition_sets()
        for name, field in condition_set.fields.items()
    }
    numbers, choice = Range(), Choice(["a", "b", ("c", "C"), "ünï"])
    numbers.set_values("numbers")
    choice.set_values("choice")
    return {**found, "Range": numbers, "Choice": choice}


FIELDS = all_fields()
conditions = st.one_of(
    hostile_text,
    near_valid,
    near_valid.map(lambda text: f" {text}\t"),
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.binary(max_size=10),
)
SUBJECTS = [
    None,
    "",
    "alice",
    "10.0.0.1",
    "::1",
    0,
    7,
    12.5,
    True,
    datetime.date(2020, 1, 1),
    datetime.datetime(2020, 1, 1, 12, 0),
]


@pytest.mark.parametrize("name", sorted(FIELDS))
@settings(FUZZ, max_examples=300)
@given(condition=conditions)
@example(condition="0999-12-31")  # a year before 1000 (see the report)
def test_a_condition_parser_cleans_idempotently_or_refuses(name, condition):
    field = FIELDS[name]
    try:
        cleaned = field.clean(condition)
    except ValidationError:
        return
    assert isinstance(cleaned, str)
    try:
        again = field.clean(cleaned)
    except ValidationError as error:
        pytest.fail(f"{name}: clean({condition!r}) returned {cleaned!r}, which clean() refuses: {error.messages}")
    assert again == cleaned, f"{name}: clean({condition!r}) = {cleaned!r}, but clean({cleaned!r}) = {again!r}"
    matcher = field.matcher([cleaned], "switch")
    for subject in SUBJECTS:
        assert matcher(subject) in (True, False)
    namespace = next((s.get_namespace() for s in gargoyle.get_condition_sets() if field in s.fields.values()), None)
    if namespace is not None:  # what add_condition stores validates as stored data too
        values.validate_value({namespace: {field.name: [["i", cleaned]]}}, gargoyle.namespaces(), "switch")


# -- (c) the import command ----------------------------------------------------------------------

junk = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=5))
entry_pairs = st.one_of(
    st.tuples(st.sampled_from(["i", "e"]), st.one_of(near_valid, hostile_text)).map(list),
    st.tuples(st.sampled_from(["i", "e"]), near_valid).map(list),
    st.tuples(one_of_or_hostile(["i", "e"]), st.one_of(near_valid, junk)).map(list),
    junk,
    st.lists(junk, max_size=3),
)


@st.composite
def valid_looking_values(draw: Any) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _set_id, namespace, field in draw(st.lists(st.sampled_from(PAIRS), max_size=3)):
        valid = st.tuples(st.sampled_from(["i", "e"]), valid_condition(field)).map(list)
        pairs = [draw(valid) if die(draw) < 0.9 else draw(entry_pairs) for _ in range(draw(st.integers(1, 3)))]
        value.setdefault(namespace, {})[field] = pairs
    return value


broken_values = st.one_of(
    st.dictionaries(
        one_of_or_hostile(NAMESPACES),
        st.one_of(st.dictionaries(one_of_or_hostile(FIELD_NAMES), st.lists(entry_pairs, max_size=3), max_size=3), junk),
        max_size=3,
    ),
    junk,
    st.lists(junk, max_size=2),
)


@st.composite
def stored_values(draw: Any) -> Any:
    return draw(valid_looking_values()) if die(draw) < 0.85 else draw(broken_values)


@st.composite
def switch_entries(draw: Any) -> dict[str, Any]:
    entry = {
        "key": draw(mostly(new_keys)),
        "status": draw(mostly(st.sampled_from([1, 2, 3, 4]))),
        "label": draw(mostly(st.one_of(st.none(), st.text(max_size=64)))),
        "description": draw(mostly(st.one_of(st.none(), st.text()))),
        "value": draw(mostly(stored_values())),
    }
    if die(draw) > 0.95:
        entry[draw(hostile_text)] = draw(junk)
    if die(draw) > 0.9:
        entry[draw(st.sampled_from(sorted(entry)))] = draw(junk)
    return {name: value for name, value in entry.items() if value is not MISSING}


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    """An export document: mostly well formed, with a few hostile parts."""
    document = {"format": "gargoyle-switches", "version": 1}
    if die(draw) > 0.95:
        document[draw(st.sampled_from(["format", "version"]))] = draw(st.one_of(junk, st.sampled_from(["1", 2])))
    roll = die(draw)
    if roll < 0.7:
        document["switches"] = draw(st.lists(switch_entries(), max_size=4, unique_by=lambda e: str(e.get("key"))))
    elif roll < 0.9:
        document["switches"] = draw(st.lists(switch_entries(), max_size=3))
    else:
        document["switches"] = draw(st.one_of(junk, st.lists(junk, max_size=2)))
    return document


@pytest.mark.django_db
@settings(FUZZ, max_examples=500)
@given(document=documents(), replace=st.booleans())
def test_the_import_command_imports_everything_or_nothing(document, replace, tmp_path):
    ensure_switches()
    Switch.objects.filter(key="feature").update(value={"auth.user": {"username": [["i", "alice"]]}})
    path = tmp_path / "switches.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = snapshot()
    try:
        call_command("import_switches", str(path), replace=replace, stdout=StringIO())
    except CommandError:
        event("refused")
        assert snapshot() == before, "a refused import wrote something"
        return
    event(f"imported {len(document['switches'])} switches")
    stored = {switch.key: switch for switch in Switch.objects.all()}
    for entry in document["switches"]:  # every entry was valid, so each is stored as given
        switch = stored[entry["key"]]
        assert switch.status == entry["status"]
        assert switch.value == entry.get("value", {})
        assert (switch.label, switch.description) == (entry.get("label"), entry.get("description"))
    if replace:
        assert set(stored) == {entry["key"] for entry in document["switches"]}
    assert_everything_validates()
