"""The German catalogue: the compiled .mo matches its .po, the panel speaks German, no entry is stale.

How to update the catalogues: docs/translations.rst.
"""

from __future__ import annotations

import gettext
import json
import os
import re
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import include, path, reverse

from gargoyle.constants import SELECTIVE
from gargoyle.models import Switch

urlpatterns = [
    path("admin/", admin.site.urls),
    path("gargoyle/", include("gargoyle.urls")),
]

PACKAGE = Path(__file__).resolve().parent.parent / "gargoyle"
MESSAGES = PACKAGE / "locale" / "de" / "LC_MESSAGES"
PANEL = "admin:gargoyle_switch_changelist"
MO_MAGIC = 0x950412DE
# %(name)s and %% in Python strings; {name} in the panel's texts (gargoyle/panel/text.js fills them in).
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdrif]|%%|\{\w+\}")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    """One message of a .po file."""

    msgid: str = ""
    plural: str | None = None
    context: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        """What msgfmt compiles: not fuzzy, and every form filled in."""
        return "fuzzy" not in self.flags and bool(self.msgstr) and all(self.msgstr.values())


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda match: ESCAPES[match.group(1)], text[1:-1])


def parse_po(po_file: Path) -> list[Entry]:
    """Every entry of a .po file (the header is the one whose msgid is empty)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None  # the keyword a continuation line adds to

    def finish() -> None:
        nonlocal entry, target
        if target is not None:
            entries.append(entry)
        entry, target = Entry(), None

    for line in po_file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, line
            _add(entry, target, _unquote(line))
        else:
            keyword, _, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            target = ("msgstr", int(match.group(1))) if match else (keyword, 0)
            assert target[0] in ("msgctxt", "msgid", "msgid_plural", "msgstr"), line
            _add(entry, target, _unquote(value))
    finish()
    return [entry for entry in entries if not entry.obsolete]


def _add(entry: Entry, target: tuple[str, int], text: str) -> None:
    keyword, index = target
    if keyword == "msgctxt":
        entry.context = (entry.context or "") + text
    elif keyword == "msgid":
        entry.msgid += text
    elif keyword == "msgid_plural":
        entry.plural = (entry.plural or "") + text
    else:
        entry.msgstr[index] = entry.msgstr.get(index, "") + text


def _messages(po_file: Path) -> list[Entry]:
    return [entry for entry in parse_po(po_file) if entry.msgid]


def _mo_count(mo_file: Path) -> int:
    """How many messages a .mo file holds, the header included."""
    data = mo_file.read_bytes()
    for order in "<>":
        magic, _revision, count = struct.unpack(f"{order}3I", data[:12])
        if magic == MO_MAGIC:
            return int(count)
    raise AssertionError(f"{mo_file} is not a .mo file")


# -- (a) the compiled catalogue is the .po's ----------------------------------------------------------


def test_the_german_catalogue_is_there_and_mostly_translated() -> None:
    entries = _messages(MESSAGES / "django.po")
    header = next(entry for entry in parse_po(MESSAGES / "django.po") if not entry.msgid)
    assert "Language: de\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr[0]
    translated = [entry for entry in entries if entry.translated]
    # New strings may wait for a translator (English is shown meanwhile), not most of them.
    assert len(translated) >= 0.9 * len(entries), f"{len(translated)} of {len(entries)} translated"


def test_the_compiled_mo_is_up_to_date_with_the_po() -> None:
    entries = [entry for entry in _messages(MESSAGES / "django.po") if entry.translated]
    with (MESSAGES / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    stale = []
    for entry in entries:
        if entry.plural is not None:
            got = {n: catalogue.ngettext(entry.msgid, entry.plural, n) for n in (1, 2)}
            expected = {1: entry.msgstr[0], 2: entry.msgstr[1]}
        elif entry.context is not None:
            got, expected = catalogue.pgettext(entry.context, entry.msgid), entry.msgstr[0]
        else:
            got, expected = catalogue.gettext(entry.msgid), entry.msgstr[0]
        if got != expected:
            stale.append(entry.msgid)
    assert not stale, f"django.mo is older than django.po: run compilemessages ({stale[:5]})"
    # Nothing more either: a translation removed from the .po is gone from the .mo too.
    assert _mo_count(MESSAGES / "django.mo") == len(entries) + 1  # + the header


def test_translations_keep_every_placeholder() -> None:
    wrong = []
    for entry in _messages(MESSAGES / "django.po"):
        for index, text in entry.msgstr.items():
            source = entry.msgid if index == 0 else (entry.plural or entry.msgid)
            if text and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                wrong.append((entry.msgid, text))
    assert not wrong


def test_the_parser_reads_what_msgfmt_reads(tmp_path: Path) -> None:
    po_file = tmp_path / "django.po"
    po_file.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
        '#, python-format\nmsgid "%(count)d "\n"switch"\nmsgid_plural "%(count)d switches"\n'
        'msgstr[0] "%(count)d Schalter"\nmsgstr[1] "%(count)d Schalter"\n\n'
        '#, fuzzy\nmsgid "Say \\"hi\\""\nmsgstr "Sag \\"hallo\\""\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Weg"\n',
        encoding="utf-8",
    )
    header, plural, fuzzy = parse_po(po_file)
    assert header.msgstr == {0: "Language: de\n"}
    assert (plural.msgid, plural.plural, plural.translated) == ("%(count)d switch", "%(count)d switches", True)
    assert (fuzzy.msgid, fuzzy.msgstr[0], fuzzy.translated) == ('Say "hi"', 'Sag "hallo"', False)


# -- (b) the panel in German ------------------------------------------------------------------------


@pytest.fixture
def superuser_client(django_user_model: Any) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    return client


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_panel_speaks_german(settings: Any, superuser_client: Client) -> None:
    from gargoyle.manager import gargoyle

    beta = Switch.objects.create(key="beta", label="Beta", status=SELECTIVE)
    beta.add_condition(gargoyle, "gargoyle.builtins.UserConditionSet(auth.user)", "percent", "0-25")
    english = superuser_client.get(reverse(PANEL)).content.decode()
    assert "Add a switch" in english and "Einen Schalter hinzufügen" not in english

    settings.LANGUAGE_CODE = "de"
    response = superuser_client.get(reverse(PANEL))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="de"' in page
    for text in (
        "Einen Schalter hinzufügen",  # the toolbar (panel.html)
        "Sortieren nach",
        "Änderungen speichern",  # the switch dialog (panel_dialogs.html)
        '<span data-text="statusSelective">Selektiv</span>',  # the scripts' texts (panel_text.html)
        "Rückgängig gemacht: {count} Schalter sind wieder wie vorher.",
        "Der Server war nicht erreichbar.",
    ):
        assert text in page, text
    assert "Add a switch" not in page

    data = json.loads(re.search(r'<script id="gargoyle-data" type="application/json">(.*?)</script>', page, re.S)[1])
    [switch] = data["switches"]
    assert switch["statusLabel"] == "Aktiv gemäß Bedingungen"
    assert switch["audience"] == "An für: angemeldete Benutzer zu 25 %"
    labels = {s["label"]: [f["label"] for f in s["fields"]] for s in data["conditionSets"]}
    assert {"Prozent", "Adresse oder Netzwerk", "Interne IPs"} <= set(labels["IP-Adresse"])
    # "Benutzer" is the user model's name, from Django's own catalogue; its "Email" wins over ours
    # too (an app listed first in INSTALLED_APPS wins), hence no "E-Mail" here.
    assert {"Prozent", "Benutzername", "Anonym", "Mitarbeiter"} <= set(labels["Benutzer"])
    assert "Hostname" in labels["Host"]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_panels_error_messages_are_german(settings: Any, superuser_client: Client) -> None:
    settings.LANGUAGE_CODE = "de"
    response = superuser_client.post(reverse("admin:gargoyle_switch_api_status"), {"key": "nope", "status": "3"})
    assert response.status_code == 404
    assert json.loads(response.content)["data"] == "key: Es gibt keinen Schalter 'nope'."
    assert not Switch.objects.filter(key="nope").exists()


# -- (c) no stale entry -----------------------------------------------------------------------------


def test_every_msgid_is_still_in_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not shutil.which("xgettext"):
        reason = "xgettext (GNU gettext) is not installed: apt-get install gettext"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    # makemessages on a copy of the package, without its catalogues: what the source asks for today.
    source = tmp_path / "gargoyle"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("locale", "__pycache__", "static"))
    (source / "locale").mkdir()
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["de"], add_location="never", verbosity=0)
    fresh = {(e.context, e.msgid, e.plural) for e in _messages(source / "locale" / "de" / "LC_MESSAGES" / "django.po")}
    stale = [e.msgid for e in _messages(MESSAGES / "django.po") if (e.context, e.msgid, e.plural) not in fresh]
    assert not stale, f"no longer in the source: {stale}; update the catalogue (docs/translations.rst)"
