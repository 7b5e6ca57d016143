"""Sphinx configuration of gargoyle's documentation.

Build it with ``tox -e docs`` (warnings are errors, and every link between pages is checked).
"""

import importlib
import os
import sys
from pathlib import Path

import django
from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# autodoc imports gargoyle's modules, which need configured settings (the test suite's will do).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import gargoyle  # noqa: E402

project = "gargoyle"
author = "the gargoyle authors"
copyright = "2026, the gargoyle authors"
release = gargoyle.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
exclude_patterns = ["_build"]
nitpicky = True  # every cross-reference must resolve: a broken link fails the build
nitpick_ignore_regex = [
    # Django's, asgiref's and the standard library's objects: the build needs no network, so
    # there is no intersphinx inventory to link them to; their names are plain in signatures.
    (r"py:.*", r"(django|asgiref|typing|collections|contextvars|datetime|decimal|ipaddress|pathlib)\..*"),
    # The OpenFeature SDK's types in gargoyle.openfeature's signatures, likewise.
    (r"py:.*", r"(openfeature\..*|FlagValueType|SubjectsFunction)"),
    # Jinja2's, Django REST framework's and the debug toolbar's, in gargoyle.integrations.
    (r"py:.*", r"(jinja2\..*|rest_framework\..*|debug_toolbar\..*|Environment)"),
    # A slotted attribute's annotation, which autodoc reads unqualified (gargoyle.visitors).
    (r"py:class", r"HttpRequest"),
    # Internal types in public signatures (docs/architecture.rst): named, not linked; each
    # parameter's description says what it takes (e.g. "the manager whose registry knows...").
    (r"py:class", r"(gargoyle\._[a-z_.]+\.)?(ConditionSets|ConditionRegistry|ActiveRollout)"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True  # show ``gargoyle=default_manager``, not the manager's repr
# No default options: Sphinx replaces a directive's explicit ``:members:`` list with a
# default ``"members": True``, and takes ``"show-inheritance": False`` as on. Each
# directive in docs/reference says which members it documents.
autodoc_default_options: dict[str, str | bool] = {}

html_theme = "alabaster"
html_static_path = []
html_theme_options = {
    "description": "Feature switches for Django",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_title = f"gargoyle {release}"


def _viewcode_source_module(app: Sphinx, modname: str, fullname: str) -> str:
    """viewcode: link a re-exported name to gargoyle's source only.

    By default viewcode follows a name to where its object was defined, and so would
    publish Django's source for ``gargoyle.conditions.ValidationError``. Answering the
    documenting module for anything not defined in gargoyle gives it no source link.
    """
    obj = importlib.import_module(modname)
    for part in fullname.split("."):
        obj = getattr(obj, part, None)
    defined_in = getattr(obj, "__module__", None)
    if isinstance(defined_in, str) and defined_in.split(".")[0] == "gargoyle":
        return defined_in
    return modname


def setup(app: Sphinx) -> None:
    app.connect("viewcode-follow-imported", _viewcode_source_module)
