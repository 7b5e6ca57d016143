"""``switches``: turn switches on or off in tests.

Works as a context manager, a function decorator (sync or async) and a ``TestCase``
class decorator (active from ``setUpClass``, so ``setUpTestData`` sees it too)::

    @switches(new_checkout=True)
    def test_checkout(client): ...

    with switches(new_checkout=False):
        ...

Overrides sit on top of the stored switches inside the manager's snapshot; a parent
switched off this way turns its ``parent:child`` switches off as well.
"""

from __future__ import annotations

import unittest
from typing import Any

from django.test.utils import TestContextDecorator

from gargoyle.manager import SwitchManager
from gargoyle.manager import gargoyle as default_manager


class SwitchContextManager(TestContextDecorator):
    def __init__(self, gargoyle: SwitchManager = default_manager, **keys: bool) -> None:
        self.gargoyle = gargoyle
        self.keys = {key: bool(active) for key, active in keys.items()}
        self._layers: list[dict[str, bool]] = []
        super().__init__()

    def enable(self) -> None:
        layer = dict(self.keys)
        self._layers.append(layer)
        self.gargoyle.push_overrides(layer)

    def disable(self) -> None:
        self.gargoyle.pop_overrides(self._layers.pop())

    def decorate_class(self, cls: type) -> type:
        """Switch from ``setUpClass`` to ``tearDownClass``, so class-level fixtures see it."""
        if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
            raise TypeError("switches() can only decorate unittest.TestCase subclasses.")
        original_setup = cls.__dict__.get("setUpClass")

        @classmethod  # type: ignore[misc]
        def setUpClass(klass: Any) -> None:
            self.enable()
            klass.addClassCleanup(self.disable)
            if original_setup is not None:
                original_setup.__func__(klass)
            else:
                super(cls, klass).setUpClass()

        cls.setUpClass = setUpClass
        return cls


switches = SwitchContextManager

__all__ = ["SwitchContextManager", "switches"]
