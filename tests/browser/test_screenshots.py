"""The documentation's screenshots: ``example_project/screenshots.py`` still takes every one.

The script runs here as it does for ``tox -e screenshots`` (the example shop on a fresh
database, its own server and Chromium), only into a temporary folder.
"""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import IN_CI, missing

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "example_project" / "screenshots.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def shot_names() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("example_screenshots", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.SHOTS)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's header, after checking it is one."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} has no PNG header chunk"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_docs_screenshots_are_taken_from_the_example_shop(tmp_path: Path) -> None:
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    names = shot_names()
    # Every picture the documentation shows is one the script takes, and none is left over.
    shown = {
        match
        for page in (ROOT / "docs").glob("*.rst")
        for match in re.findall(r"screenshots/([\w-]+\.png)", page.read_text(encoding="utf-8"))
    }
    assert set(names) == shown

    folder = tmp_path / "shots"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"the script failed:\n{done.stdout}\n{done.stderr}"

    assert sorted(path.name for path in folder.iterdir()) == sorted(names)
    for name in names:
        path = folder / name
        width, height = png_size(path)
        # Whole pages are as wide as the 1280 px viewport; a card alone is most of it.
        if name in ("panel-list.png", "panel-dark.png"):
            assert width == 1280 and height > 900, (name, width, height)  # the whole list
        elif name in ("panel-edit-dialog.png", "panel-confirm-global.png", "panel-empty.png"):
            assert (width, height) == (1280, 900), (name, width, height)
        else:
            assert 600 <= width <= 1280 and 150 <= height <= 1500, (name, width, height)
        # Not a blank picture: a plain colour compresses to almost nothing.
        assert path.stat().st_size > 15_000, (name, path.stat().st_size)
