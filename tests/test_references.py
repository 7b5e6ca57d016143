"""switch_references: the keys code and templates ask for, against the keys stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from gargoyle.models import Switch
from gargoyle.references import find_references

pytestmark = pytest.mark.django_db

VIEWS = """
from gargoyle import gargoyle
from gargoyle.decorators import switch_is_active
from gargoyle.mixins import SwitchActiveMixin


@switch_is_active("beta:express")
def express(request):
    if gargoyle.is_active('new_checkout', request):
        return None
    name = "built_" + "at_run_time"
    return gargoyle.is_active(name)


async def later(request):
    return await gargoyle.ais_active("async_flag", request)


class Gifts(SwitchActiveMixin):
    switch_key = "gift_cards"
"""

TEMPLATE = """
{% load gargoyle_tags %}
{% ifswitch dark_mode %}dark{% endifswitch %}
{% ifnotswitch "legacy_footer" request.user %}new footer{% endifnotswitch %}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "views.py").write_text(VIEWS)
    (tmp_path / "shop" / "templates").mkdir()
    (tmp_path / "shop" / "templates" / "base.html").write_text(TEMPLATE)
    (tmp_path / ".venv").mkdir()  # dependencies are not read
    (tmp_path / ".venv" / "lib.py").write_text('gargoyle.is_active("from_a_dependency")')
    (tmp_path / "notes.md").write_text('is_active("not_a_source_file")')
    return tmp_path


def test_every_way_of_asking_is_found(project: Path) -> None:
    found = find_references([project])
    assert sorted(found) == ["async_flag", "beta:express", "dark_mode", "gift_cards", "legacy_footer", "new_checkout"]
    assert [(ref.kind, ref.line) for ref in found["beta:express"]] == [("decorator", 7)]
    assert [(ref.kind, ref.line) for ref in found["new_checkout"]] == [("call", 9)]
    assert found["gift_cards"][0].kind == "mixin"
    assert [ref.kind for ref in found["dark_mode"]] == ["template"]
    assert found["legacy_footer"][0].path.endswith("base.html")


def test_the_command_compares_with_the_stored_keys(project: Path) -> None:
    for key in ("new_checkout", "dark_mode", "forgotten"):
        Switch.objects.create(key=key)
    out = io.StringIO()
    call_command("switch_references", str(project), stdout=out)
    text = out.getvalue()
    assert "Stored but never referenced: forgotten" in text
    assert "Referenced but never stored: async_flag, beta:express, gift_cards, legacy_footer" in text
    assert f"{project / 'shop' / 'views.py'}:9  (call)" in text
    out = io.StringIO()
    call_command("switch_references", str(project), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["storedNeverReferenced"] == ["forgotten"]
    assert result["references"]["dark_mode"][0]["kind"] == "template"
    with pytest.raises(CommandError) as error:
        call_command("switch_references", str(project), "--fail", stdout=io.StringIO())
    assert error.value.returncode == 1


def test_other_spellings_and_no_false_friends(tmp_path: Path) -> None:
    (tmp_path / "code.py").write_text(
        'gargoyle.is_active(key="by_keyword")\n'
        'gargoyle.is_active(r"raw_string")\n'
        "class View(SwitchActiveMixin):\n"
        '    switch_key: str = "annotated"\n'
        'SwitchChange.objects.filter(switch_key="not_a_reference")\n'
    )
    (tmp_path / "page.html").write_text('{% ifswitch "spaced key" %}x{% endifswitch %}')
    assert sorted(find_references([tmp_path])) == ["annotated", "by_keyword", "raw_string", "spaced key"]


def test_a_path_that_does_not_exist_is_refused() -> None:
    with pytest.raises(CommandError, match="No such file or directory: nowhere"):
        call_command("switch_references", "nowhere", stdout=io.StringIO())
