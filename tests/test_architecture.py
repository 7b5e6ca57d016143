"""The package's structure, as docs/architecture.rst draws it: layers that import one way only.

The import graph is read from the source (tests/import_graph.py), so a function-level import
or one under ``if TYPE_CHECKING:`` counts like any other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import import_graph

ROOT = Path(__file__).resolve().parent.parent

#: The layers, bottom first: a module may import from its own layer and the layers below.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("leaves", ("gargoyle.constants", "gargoyle.signals", "gargoyle.cohorts", "gargoyle.helpers", "gargoyle._conf")),
    ("condition authoring", ("gargoyle._authoring",)),
    ("storage", ("gargoyle._storage",)),
    ("runtime", ("gargoyle._runtime",)),
    ("write pipeline", ("gargoyle._writes",)),
    (
        "public API",
        (
            "gargoyle",  # the package itself: the process-wide manager
            "gargoyle.apps",
            "gargoyle.builtins",
            "gargoyle.changes",
            "gargoyle.checks",
            "gargoyle.conditions",
            "gargoyle.declarations",
            "gargoyle.decorators",
            "gargoyle.fields",
            "gargoyle.history",
            "gargoyle.manager",
            "gargoyle.middleware",
            "gargoyle.mixins",
            "gargoyle.models",
            "gargoyle.preview",
            "gargoyle.proxy",
            "gargoyle.qa",
            "gargoyle.references",
            "gargoyle.stale",
            "gargoyle.templatetags",
            "gargoyle.testutils",
            "gargoyle.transfer",
            "gargoyle.upgrade",
            "gargoyle.usage",
            "gargoyle.visitors",
        ),
    ),
    ("web", ("gargoyle._web", "gargoyle.admin", "gargoyle.urls", "gargoyle.ofrep", "gargoyle.management")),
]

#: The public modules: the paths of gargoyle-yplan and of the manual. Every other module is
#: internal, and says so in its path (a part starting with "_"), except the modules Django
#: finds by name (admin, apps, migrations, management commands, template tag libraries).
PUBLIC = (
    "gargoyle",
    "gargoyle.builtins",
    "gargoyle.changes",
    "gargoyle.checks",
    "gargoyle.cohorts",
    "gargoyle.conditions",
    "gargoyle.constants",
    "gargoyle.contexts",
    "gargoyle.declarations",
    "gargoyle.decorators",
    "gargoyle.evaluations",
    "gargoyle.fields",
    "gargoyle.helpers",
    "gargoyle.history",
    "gargoyle.integrations",
    "gargoyle.integrations.debug_toolbar",
    "gargoyle.integrations.drf",
    "gargoyle.integrations.jinja2",
    "gargoyle.integrations.opentelemetry",
    "gargoyle.integrations.sentry",
    "gargoyle.manager",
    "gargoyle.middleware",
    "gargoyle.mixins",
    "gargoyle.models",
    "gargoyle.ofrep",
    "gargoyle.openfeature",
    "gargoyle.preview",
    "gargoyle.proxy",
    "gargoyle.qa",
    "gargoyle.references",
    "gargoyle.resolution",
    "gargoyle.rollouts",
    "gargoyle.schedules",
    "gargoyle.signals",
    "gargoyle.stale",
    "gargoyle.tasks",
    "gargoyle.templatetags.gargoyle_tags",
    "gargoyle.testutils",
    "gargoyle.transfer",
    "gargoyle.upgrade",
    "gargoyle.urls",
    "gargoyle.usage",
    "gargoyle.visitors",
)
DJANGO_FINDS = ("gargoyle.admin", "gargoyle.apps", "gargoyle.management", "gargoyle.templatetags")


def layer_of(module: str) -> int:
    """The index in LAYERS of the most specific prefix that names ``module``."""
    best, best_length = None, -1
    for position, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = position, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to docs/architecture.rst)")
    return best


def test_the_package_has_no_import_cycle() -> None:
    assert import_graph.cycles(import_graph.graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a loop of three modules is reported, a chain is not."""
    assert import_graph.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_graph.cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_imports_point_down_the_layers() -> None:
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in import_graph.graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_relative_and_function_level_imports_are_read(tmp_path: Path) -> None:
    """The graph sees imports inside functions, under TYPE_CHECKING and relative ones."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import x\n")
    (package / "c.py").write_text("from . import a\n")
    assert import_graph.graph(package) == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert import_graph.cycles(import_graph.graph(package)) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_internal_modules_say_so_in_their_path() -> None:
    unmarked = [
        module
        for module in import_graph.modules()
        if module not in PUBLIC
        and not any(part.startswith("_") for part in module.split("."))
        and not any(module == name or module.startswith(name + ".") for name in DJANGO_FINDS)
    ]
    assert unmarked == []


def test_every_public_module_is_documented_as_public() -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from check_docs import PUBLIC_MODULES
    finally:
        sys.path.remove(str(ROOT / "docs"))
    assert sorted(PUBLIC_MODULES) == sorted(PUBLIC)


EARLY_APP_MODELS = """
    # An app listed before "gargoyle" in INSTALLED_APPS, importing gargoyle from its models.
    from django.db import models

    import gargoyle
    from gargoyle import builtins, checks, cohorts, conditions, constants, decorators, fields
    from gargoyle import helpers, history, manager, middleware, mixins, preview, proxy, signals, testutils
    from gargoyle import references, rollouts, schedules, stale, tasks, transfer, upgrade, urls, usage
    from gargoyle import contexts, declarations, evaluations, ofrep, qa, resolution, visitors
    from gargoyle.changes import made_by
    from gargoyle.history import SwitchChange, restore
    from gargoyle.manager import SwitchManager
    from gargoyle.models import SELECTIVE, Switch
    from gargoyle.templatetags import gargoyle_tags


    class Release(models.Model):
        switch = models.ForeignKey(Switch, on_delete=models.CASCADE)

        class Meta:
            app_label = "early"
"""

EARLY_APPS = """
    from django.apps import AppConfig


    class EarlyConfig(AppConfig):
        name = "early"
        heard = {}

        def ready(self):
            # Runs before gargoyle's ready(): a write here must already be announced,
            # versioned and recorded, as it was when the receivers came with the models.
            from django.db.models.signals import post_save

            from gargoyle import signals
            from gargoyle._storage import events
            from gargoyle.models import Switch

            type(self).heard = {
                "save": post_save.has_listeners(Switch),
                "update": events.rows_updated.has_listeners(Switch),
                "history": signals.switch_changed.has_listeners(Switch),
            }
"""

EARLY_SETTINGS = """
    from tests.settings import *  # noqa: F403

    INSTALLED_APPS = ["early", *INSTALLED_APPS]  # noqa: F405
"""

EARLY_CHECK = """
    import django

    django.setup()
    from django.apps import apps

    from gargoyle import gargoyle

    release = apps.get_model("early", "Release")
    assert release._meta.get_field("switch").related_model is apps.get_model("gargoyle", "Switch")
    assert "gargoyle.builtins.UserConditionSet" in {s.get_id().split("(")[0] for s in gargoyle.get_condition_sets()}
    assert apps.get_app_config("early").heard == {"save": True, "update": True, "history": True}
    print("set up")
"""


def test_an_app_before_gargoyle_can_import_every_public_module_from_its_models(tmp_path: Path) -> None:
    """It also finds every write heard from its own ready(), which runs before gargoyle's."""
    app = tmp_path / "early"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(textwrap.dedent(EARLY_APP_MODELS))
    (app / "apps.py").write_text(textwrap.dedent(EARLY_APPS))
    (tmp_path / "early_settings.py").write_text(textwrap.dedent(EARLY_SETTINGS))
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "early_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EARLY_CHECK)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "set up"


@pytest.mark.parametrize("module", ["gargoyle", "gargoyle.constants", "gargoyle.conditions", "gargoyle.signals"])
def test_settings_can_import_gargoyle_before_django_is_configured(module: str) -> None:
    """A settings module may import gargoyle.constants (for GARGOYLE_SWITCH_DEFAULTS)."""
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}; import django.conf; assert not django.conf.settings.configured"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
