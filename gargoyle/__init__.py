"""gargoyle: feature switches for Django.

>>> from gargoyle import gargoyle
>>> gargoyle.is_active('my_feature', request)
"""

from __future__ import annotations

from django.utils.module_loading import autodiscover_modules

from gargoyle.manager import gargoyle

__version__ = "3.0.0.dev0"
VERSION = __version__

__all__ = ["VERSION", "__version__", "autodiscover", "gargoyle"]


def autodiscover() -> None:
    """Register the built-in condition sets, then import every installed app's ``gargoyle.py``."""
    import gargoyle.builtins  # noqa: F401

    autodiscover_modules("gargoyle")
