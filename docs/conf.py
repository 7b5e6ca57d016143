"""Sphinx configuration of gargoyle's documentation.

Build it with ``tox -e docs`` (warnings are errors, and every link between pages is checked).
"""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# autodoc imports gargoyle's modules, which need configured settings (the test suite's will do).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import gargoyle  # noqa: E402

project = "gargoyle"
author = "the gargoyle authors"
copyright = "2026, the gargoyle authors"  # noqa: A001
release = gargoyle.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build"]
nitpicky = True  # every cross-reference must resolve: a broken link fails the build
nitpick_ignore_regex = [
    # Django's, asgiref's and the standard library's objects: the build needs no network, so
    # there is no intersphinx inventory to link them to; their names are plain in signatures.
    (r"py:.*", r"(django|asgiref|typing|collections|contextvars|datetime|ipaddress)\..*"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "show-inheritance": False}

html_theme = "alabaster"
html_static_path = []
html_theme_options = {
    "description": "Feature switches for Django",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_title = f"gargoyle {release}"
