"""Hostile input at every door: the import command (files and standard input) and the JSON API.

Whatever comes in, the answer is a CommandError or a 4xx reply in the API's JSON shape that
names the problem, never a traceback, a 500 or Django's HTML error page, and the stored
switches stay as they were.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, override_settings
from django.urls import include, path

from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.history import SwitchChange
from gargoyle.manager import gargoyle
from gargoyle.models import Switch
from gargoyle.transfer import InvalidExport, parse_document
from tests.test_api import fails, url

urlpatterns = [path("gargoyle/", include("gargoyle.urls")), path("", include("gargoyle.ofrep"))]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"
TOKEN = "hostile-doors-token-" + "t" * 32
ROW = ("key", "label", "description", "status", "value")


def rows() -> dict[str, tuple]:
    return {values[0]: values for values in Switch.objects.values_list(*ROW)}


@pytest.fixture
def feature() -> Switch:
    return Switch.objects.create(key="feature", label="Feature", status=DISABLED)


# -- import_switches -------------------------------------------------------------------------


def document(*entries: dict[str, Any]) -> str:
    return json.dumps({"format": "gargoyle-switches", "version": 1, "switches": list(entries)}, ensure_ascii=False)


class Stdin:
    """Standard input carrying raw bytes, as a pipe does."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def import_bytes(data: bytes, source: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run import_switches on ``data`` from a file or from standard input; return its output."""
    if source == "stdin":
        monkeypatch.setattr("sys.stdin", Stdin(data))
        target = "-"
    else:
        target = str(tmp_path / "switches.json")
        (tmp_path / "switches.json").write_bytes(data)
    out = io.StringIO()
    call_command("import_switches", target, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(data: bytes, source: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    with pytest.raises(CommandError) as error:
        import_bytes(data, source, tmp_path, monkeypatch)
    message = str(error.value)
    assert message.startswith("Nothing was imported:")
    message.encode("utf-8")  # Django prints it to a UTF-8 stderr: a lone surrogate would crash there
    return message


SOURCES = ["file", "stdin"]


@pytest.mark.parametrize("source", SOURCES)
def test_import_of_latin1_bytes_names_the_encoding_and_writes_nothing(feature, source, tmp_path, monkeypatch):
    before = rows()
    data = document({"key": "cafe", "status": GLOBAL, "label": "Café"}).encode("latin-1")

    message = refused(data, source, tmp_path, monkeypatch)

    assert "not UTF-8" in message and "0xe9" in message
    assert rows() == before


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32", "utf-16-le"])
def test_import_reads_utf8_with_a_bom_and_utf16_and_utf32(encoding, source, tmp_path, monkeypatch):
    data = document({"key": "cafe", "status": GLOBAL, "label": "Café ☕"}).encode(encoding)

    assert "1 created" in import_bytes(data, source, tmp_path, monkeypatch)

    assert rows()["cafe"] == ("cafe", "Café ☕", None, GLOBAL, {})


@pytest.mark.parametrize("source", SOURCES)
def test_import_of_deeply_nested_json_is_refused_not_a_recursion_error(feature, source, tmp_path, monkeypatch):
    before = rows()

    message = refused(b"[" * 100_000 + b"]" * 100_000, source, tmp_path, monkeypatch)

    assert "nests lists or objects more than 32 levels deep" in message
    assert rows() == before


PREFIX = '{"format": "gargoyle-switches", "version": 1, "switches": '


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param(PREFIX + '[{"key": "x", "status": NaN}]}', ["NaN is not a JSON number"], id="nan"),
        pytest.param(
            PREFIX + '[{"key": "x", "status": 1, "value": {"ip": {"ip_address": [["i", -Infinity]]}}}]}',
            ["-Infinity is not a JSON number"],
            id="infinity",
        ),
        pytest.param(PREFIX + '[{"key": "x", "status": 1' + "0" * 30 + "}]}", ["31 digits"], id="huge-number"),
        pytest.param(
            PREFIX + '[{"key": "x", "status": 3, "key": "feature"}]}', ["repeats the name 'key'"], id="repeated-name"
        ),
        pytest.param(PREFIX + '[{"key": "x\\ud800", "status": 1}]}', ["key: contains a lone surrogate"], id="key"),
        pytest.param(
            PREFIX + '[{"key": "x", "status": 1, "label": "\\udfff"}]}',
            ["label: contains a lone surrogate"],
            id="label",
        ),
        pytest.param(
            PREFIX + '[{"key": "x", "status": 1, "description": "a\\udc00"}]}',
            ["description: contains a lone surrogate"],
            id="description",
        ),
        pytest.param(
            PREFIX + '[{"key": "x", "status": 2, "value": {"auth.user": {"username": [["i", "a\\ud800"]]}}}]}',
            ["value: contains a lone surrogate", "\\ud800"],
            id="condition",
        ),
        pytest.param(
            PREFIX + '[{"key": "x", "status": 2, "value": {"ip": {"ip_address": [["i", "\\ud800"]]}}}]}',
            ["value: contains a lone surrogate", "Address or network: contains a character that is not text"],
            id="condition-quoted-by-its-field",
        ),
        pytest.param(PREFIX + '[{"key": "x", "status": 1.0}]}', ["status: '1.0' is not a switch status"], id="float"),
        pytest.param(PREFIX.replace('"version": 1', '"version": true') + "[]}", ["version True"], id="version-true"),
        pytest.param(PREFIX.replace('"version": 1', '"version": 1.0') + "[]}", ["version 1.0"], id="version-float"),
        pytest.param(
            PREFIX
            + '[{"key": "x", "status": 2, "value": {"ip": {"ip_address": [["i", %s]]}}}]}' % ("[" * 40 + "]" * 40),
            ["more than 32 levels deep"],
            id="deep-value",
        ),
    ],
)
def test_odd_json_is_refused_before_anything_is_written(feature, text, words, tmp_path, monkeypatch):
    before = rows()

    message = refused(text.encode(), "file", tmp_path, monkeypatch)

    for word in words:
        assert word in message
    assert rows() == before
    assert gargoyle.is_active("feature") is False


def test_a_message_quoting_a_long_input_is_cut(tmp_path, monkeypatch):
    data = document({"key": "x", "status": SELECTIVE, "value": {"ip": {"ip_address": [["i", "1" * 100_000]]}}})

    message = refused(data.encode(), "file", tmp_path, monkeypatch)

    assert "Address or network: 111" in message and len(message) < 1100
    assert not Switch.objects.exists()


def test_a_write_the_database_refuses_is_a_command_error_and_rolls_everything_back(feature, tmp_path, monkeypatch):
    before = rows()
    create = Switch.objects.create

    def create_or_collide(**fields: Any) -> Switch:
        if fields["key"] == "second":  # another process added it between our check and our insert
            raise IntegrityError("UNIQUE constraint failed: gargoyle_switch.key")
        return create(**fields)

    monkeypatch.setattr(Switch.objects, "create", create_or_collide)
    data = document({"key": "first", "status": GLOBAL}, {"key": "second", "status": GLOBAL})

    message = refused(data.encode(), "file", tmp_path, monkeypatch)

    assert "The database refused the import: UNIQUE constraint failed" in message
    assert rows() == before


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        PREFIX + '[{"key": "x\\ud800", "status": 1}]}',
        PREFIX + '[{"key": "x", "key": "y", "status": 1}]}',
    ],
    ids=["deep", "surrogate", "repeated-name"],
)
def test_parse_document_raises_invalid_export_for_odd_text(text):
    with pytest.raises(InvalidExport) as error:
        parse_document(text, gargoyle)

    assert error.value.errors
    str(error.value).encode("utf-8")


def test_parse_document_takes_text_with_a_bom_and_bytes():
    text = document({"key": "café", "status": GLOBAL})

    assert parse_document("\ufeff" + text, gargoyle)[0]["key"] == "café"  # read with encoding="utf-8"
    assert parse_document(text.encode("utf-8-sig"), gargoyle)[0]["key"] == "café"
    assert parse_document(text.encode("utf-16"), gargoyle)[0]["key"] == "café"


# -- the JSON API ----------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user(username="robot", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="gargoyle"))
    return user


@pytest.fixture
def client(staff: Any) -> Client:
    """A session client; raise_request_exception=False shows a 500 as Django would serve it."""
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    return client


def session_with_csrf(staff: Any, send_header: bool) -> Client:
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.force_login(staff)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    if send_header:  # else the CSRF check reads the body, looking for csrfmiddlewaretoken
        client.defaults["HTTP_X_CSRFTOKEN"] = token
    return client


CALLERS = ["token", "session-csrf-header", "session-csrf-in-body"]


@pytest.fixture(params=CALLERS)
def caller(request: Any, staff: Any) -> Client:
    """Each kind of caller: Django's limits are hit at a different point for each."""
    if request.param == "token":
        return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {TOKEN}"})
    return session_with_csrf(staff, send_header=request.param == "session-csrf-header")


FORM = "application/x-www-form-urlencoded"


@override_settings(GARGOYLE_API_TOKENS={TOKEN: "robot"})
def test_a_body_over_the_memory_limit_is_a_json_413(caller, feature, caplog):
    body = "key=feature&status=3&pad=" + "x" * 2_700_000

    with caplog.at_level(logging.ERROR, logger="django.security"):
        response = caller.generic("POST", url("status"), body, content_type=FORM)

    fails(response, 413, "body:", "2621440 bytes", "DATA_UPLOAD_MAX_MEMORY_SIZE")
    assert Switch.objects.get(key="feature").status == DISABLED
    assert [record.name for record in caplog.records] == ["django.security.RequestDataTooBig"]


@override_settings(GARGOYLE_API_TOKENS={TOKEN: "robot"})
@pytest.mark.parametrize("form", ["urlencoded", "multipart"])
def test_too_many_fields_is_a_json_400(caller, feature, form):
    fields = {"key": "feature", "status": "3", **{f"f{i}": "1" for i in range(1000)}}
    if form == "urlencoded":
        response = caller.generic("POST", url("status"), "&".join(f"{k}={v}" for k, v in fields.items()), FORM)
    else:
        response = caller.post(url("status"), fields)

    fails(response, 400, "more fields than this site's limit of 1000", "DATA_UPLOAD_MAX_NUMBER_FIELDS")
    assert Switch.objects.get(key="feature").status == DISABLED


@override_settings(GARGOYLE_API_TOKENS={TOKEN: "robot"}, DATA_UPLOAD_MAX_NUMBER_FILES=1)
def test_too_many_files_is_a_json_400(caller, feature):
    files = {name: SimpleUploadedFile(f"{name}.txt", b"x") for name in ("a", "b")}

    response = caller.post(url("status"), {"key": "feature", "status": "3", **files})

    fails(response, 400, "more files than this site's limit of 1", "DATA_UPLOAD_MAX_NUMBER_FILES")
    assert Switch.objects.get(key="feature").status == DISABLED


def test_a_query_string_with_too_many_fields_is_a_json_400(client, feature):
    query = "&".join(["key=feature"] + [f"f{i}=1" for i in range(1000)])

    fails(client.get(f"{url('history')}?{query}"), 400, "DATA_UPLOAD_MAX_NUMBER_FIELDS")


class BrokenStream:
    """A request body whose client went away halfway."""

    def read(self, *args: Any) -> bytes:
        raise OSError("connection reset by peer")

    readline = read


@override_settings(GARGOYLE_API_TOKENS={TOKEN: "robot"})
def test_an_unreadable_body_is_a_json_400(staff, feature):
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {TOKEN}"})
    environ = {"CONTENT_LENGTH": "100", "CONTENT_TYPE": FORM, "wsgi.input": BrokenStream()}

    response = client.generic("POST", url("status"), **environ)

    fails(response, 400, "body: the request body could not be read")
    assert Switch.objects.get(key="feature").status == DISABLED


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_that_is_not_form_fields_is_a_415_naming_its_type(client, feature, content_type):
    body = json.dumps({"key": "feature", "status": 3})

    fails(client.generic("POST", url("status"), body, content_type=content_type), 415, "form fields", content_type)
    assert Switch.objects.get(key="feature").status == DISABLED


@pytest.mark.parametrize("status", [" 2 ", "2\n", "+2", "02", "0_2", "\u0662", "\uff12", "2.0"])
def test_status_takes_exactly_the_documented_values(client, feature, status):
    fails(
        client.post(url("status"), {"key": "feature", "status": status}),
        400,
        "status:",
        "(use 1 disabled, 2 selective, 3 global, 4 inherit)",
    )
    assert Switch.objects.get(key="feature").status == DISABLED


@pytest.mark.parametrize("change_id", ["{pk} ", " {pk}", "+{pk}", "\u0661", "99999999999999999999999", "9" * 5000])
def test_restore_takes_only_ascii_digit_ids(client, feature, change_id):
    feature.status = GLOBAL
    feature.save()
    change = SwitchChange.objects.filter(switch_key="feature").order_by("-pk").first()

    fails(client.post(url("restore"), {"id": change_id.format(pk=change.pk)}), 404, "id: there is no recorded change")
    assert Switch.objects.get(key="feature").status == GLOBAL


def add_username(client: Client, username: str, exclude: str) -> Any:
    fields = {"key": "feature", "id": USER_SET, "field": "username", "username": username, "exclude": exclude}
    return client.post(url("add-condition"), fields)


@pytest.mark.parametrize(
    ("exclude", "excluded"), [("1", True), ("TRUE", True), ("Yes", True), ("On", True), ("OFF", False), ("", False)]
)
def test_exclude_takes_the_documented_words_in_any_case(client, feature, exclude, excluded):
    assert add_username(client, "bob", exclude).status_code == 200

    assert Switch.objects.get(key="feature").value == {"auth.user": {"username": [["e" if excluded else "i", "bob"]]}}


@pytest.mark.parametrize("exclude", [" yes ", "1 ", "y", "2", "\u0661", "exclude"])
def test_exclude_refuses_other_spellings(client, feature, exclude):
    fails(add_username(client, "bob", exclude), 400, "exclude:", repr(exclude), "1, true, yes, on")
    assert Switch.objects.get(key="feature").value == {}


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("status", {"key": "feature", "status": ["3", "2"]}),
        ("status", {"key": ["feature", "other"], "status": "2"}),
        ("update", {"curkey": "feature", "name": ["One", "Two"]}),
    ],
)
def test_a_field_sent_twice_is_refused(client, feature, name, fields):
    repeated = next(field for field, value in fields.items() if isinstance(value, list))

    fails(client.post(url(name), fields), 400, f"{repeated}: sent 2 times")
    assert rows()["feature"] == ("feature", "Feature", None, DISABLED, {})


@pytest.mark.parametrize(
    ("method", "name", "body", "field"),
    [
        ("POST", "add", "key=caf%E9", "key"),
        ("POST", "update", "curkey=feature&name=caf%E9", "name"),
        ("POST", "add", "key=ok&desc=%ED%A0%80", "desc"),  # a UTF-8-encoded surrogate is no UTF-8
        ("GET", "history", "key=caf%E9", "key"),
    ],
)
def test_percent_encoded_bytes_that_are_not_utf8_are_refused(client, feature, method, name, body, field):
    if method == "GET":
        response = client.get(f"{url(name)}?{body}")
    else:
        response = client.generic("POST", url(name), body, content_type=FORM)

    fails(response, 400, f"{field}: is not UTF-8 text")
    assert list(rows()) == ["feature"] and rows()["feature"][1] == "Feature"


def test_multipart_bytes_that_are_not_utf8_are_refused(client, feature):
    body = (
        b'--xx\r\nContent-Disposition: form-data; name="curkey"\r\n\r\nfeature\r\n'
        b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\ncaf\xe9\r\n--xx--\r\n'
    )

    response = client.generic("POST", url("update"), body, content_type="multipart/form-data; boundary=xx")

    fails(response, 400, "name: is not UTF-8 text")
    assert rows()["feature"][1] == "Feature"


@override_settings(GARGOYLE_API_TOKENS={TOKEN: "robot"})
@pytest.mark.parametrize("separator", ["\t", "\t "])
def test_bearer_followed_by_any_whitespace_is_a_bearer_token(staff, feature, separator):
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer{separator}{TOKEN}"})
    assert client.post(url("status"), {"key": "feature", "status": "2"}).status_code == 200

    wrong = f"Bearer{separator}{'w' * 40}"  # judged by the token alone, even with a session
    session = Client(raise_request_exception=False, headers={"Authorization": wrong})
    session.force_login(staff)
    fails(session.post(url("status"), {"key": "feature", "status": "3"}), 401, "unknown API token")
    assert Switch.objects.get(key="feature").status == SELECTIVE


def test_a_message_quoting_a_long_value_is_cut(client):
    message = fails(client.get(url("history"), {"key": "k" * 100_000}), 404, "key: there is no switch 'kkk")

    assert len(message) <= 1000


# -- the OFREP endpoint ------------------------------------------------------------------------

OFREP_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,  # nested past Python's recursion limit
    b'{"context": ' * 50_000 + b"{}" + b"}" * 50_000,
    b"\xff\xfe not utf-8",
    b"null",
    b'"context"',
]
# A well-formed body whose context a token caller's is judged by (a browser's is ignored).
OFREP_CONTEXTS = [
    b'{"context": {"targetingKey": "' + b"9" * 10_000 + b'"}}',  # past int()'s digit limit
    b'{"context": {"targetingKey": "1", "ip": "' + b"1" * 100_000 + b'"}}',
    b'{"context": {"targetingKey": "1", "is_staff": "yes"}}',
    b'{"context": {"targetingKey": "1", "date_joined": "' + b"9" * 100_000 + b'"}}',
]
AS_TOKEN = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _ofrep_post(body: bytes, bulk: bool, **headers: Any) -> Any:
    path_ = "/ofrep/v1/evaluate/flags" if bulk else "/ofrep/v1/evaluate/flags/feature"
    return Client().post(path_, body, content_type="application/json", **headers)


@pytest.mark.parametrize("body", OFREP_BODIES, ids=range(len(OFREP_BODIES)))
@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one"])
@override_settings(GARGOYLE_CLIENT_SWITCHES=["feature"], GARGOYLE_API_TOKENS={TOKEN: "admin"})
def test_hostile_ofrep_bodies_get_an_ofrep_parse_error_and_change_nothing(feature, admin_user, body, bulk):
    before = rows()
    for headers in ({}, AS_TOKEN):
        response = _ofrep_post(body, bulk, **headers)
        assert response.status_code == 400, (headers, response.content[:200])
        assert response.json()["errorCode"] == "PARSE_ERROR"
        assert len(response.json()["errorDetails"]) < 1000
    assert rows() == before


@pytest.mark.parametrize("body", OFREP_CONTEXTS, ids=range(len(OFREP_CONTEXTS)))
@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one"])
@override_settings(GARGOYLE_CLIENT_SWITCHES=["feature"], GARGOYLE_API_TOKENS={TOKEN: "admin"})
def test_hostile_ofrep_contexts_are_invalid_for_a_token_and_ignored_for_a_browser(feature, admin_user, body, bulk):
    before = rows()
    response = _ofrep_post(body, bulk, **AS_TOKEN)
    assert response.status_code == 400, response.content[:200]
    assert response.json()["errorCode"] == "INVALID_CONTEXT"
    assert len(response.json()["errorDetails"]) < 1000
    assert _ofrep_post(body, bulk).status_code == 200  # the session is judged as itself
    assert rows() == before
