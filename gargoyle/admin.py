"""The switch panel in Django's admin: imported by the admin's autodiscovery.

The panel's views live in the web layer, ``gargoyle/_web/admin.py``; importing them
registers :class:`~gargoyle.models.Switch` and ``SwitchChange`` with ``admin.site``.
"""

from __future__ import annotations

from gargoyle._web.admin import SwitchAdmin, SwitchChangeAdmin

__all__ = ["SwitchAdmin", "SwitchChangeAdmin"]
