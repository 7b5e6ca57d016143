"""gargoyle: feature switches for Django.

>>> from gargoyle import gargoyle
>>> gargoyle.is_active('my_feature', request)
"""

from __future__ import annotations

from django.utils.module_loading import autodiscover_modules

from gargoyle.manager import gargoyle

#: The installed version of gargoyle, as a string (e.g. ``"3.0.0"``).
__version__ = "3.0.0"
#: The same string as :data:`__version__`, under gargoyle-yplan's name.
VERSION = __version__

__all__ = ["VERSION", "__version__", "autodiscover", "gargoyle"]


def autodiscover() -> None:
    """Register the built-in condition sets, then import every installed app's ``gargoyle.py``.

    Gargoyle's app config calls it once at start-up; an app's ``gargoyle.py`` module is the
    place to register its own condition sets. Calling it again does no harm.
    """
    import gargoyle.builtins  # noqa: F401

    autodiscover_modules("gargoyle")
