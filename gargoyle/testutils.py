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

from django.test.utils import TestContextDecorator

from gargoyle.manager import SwitchManager
from gargoyle.manager import gargoyle as default_manager


class SwitchContextManager(TestContextDecorator):
    """Force switches on or off: ``switches(new_checkout=True, old_cart=False)``.

    A context manager, a function decorator (sync or async) and a ``TestCase`` class
    decorator. Forced switches need not be stored; everything else keeps its stored
    state. Nested uses stack, the innermost winning.

    :param gargoyle: the manager to override (default: the process-wide one).
    :param keys: ``key=True`` or ``key=False`` for each switch to force (use
        ``**{"parent:child": True}`` for keys that are not Python names).
    """

    def __init__(self, gargoyle: SwitchManager = default_manager, **keys: bool) -> None:
        self.gargoyle = gargoyle
        self.keys = {key: bool(active) for key, active in keys.items()}
        self._layers: list[dict[str, bool]] = []
        super().__init__()

    def enable(self) -> None:
        """Start forcing the switches (what entering the ``with`` block does)."""
        layer = dict(self.keys)
        self._layers.append(layer)
        self.gargoyle.push_overrides(layer)

    def disable(self) -> None:
        """Stop forcing them (what leaving the ``with`` block does)."""
        self.gargoyle.pop_overrides(self._layers.pop())

    def decorate_class(self, cls: type) -> type:
        """Force the switches from ``setUpClass`` to ``tearDownClass``, so ``setUpTestData`` sees them.

        :raises TypeError: if ``cls`` is not a ``unittest.TestCase`` subclass.
        """
        if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
            raise TypeError("switches() can only decorate unittest.TestCase subclasses.")
        original_setup = cls.__dict__.get("setUpClass")

        def setUpClass(klass: type[unittest.TestCase]) -> None:
            self.enable()
            klass.addClassCleanup(self.disable)
            if original_setup is not None:
                original_setup.__func__(klass)
            else:
                # cls is a subclass of TestCase, whose own bases mypy cannot see from here.
                super(cls, klass).setUpClass()  # type: ignore[misc]

        # The decorator's job: replace the hook on the class (mypy forbids assigning to a method).
        cls.setUpClass = classmethod(setUpClass)  # type: ignore[assignment, method-assign]
        return cls


#: The name to use: ``switches`` is :class:`SwitchContextManager`.
switches = SwitchContextManager

__all__ = ["SwitchContextManager", "switches"]
