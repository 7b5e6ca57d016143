"""OFREP's endpoints: mount them with ``path("", include("gargoyle.ofrep"))``.

That gives ``POST /ofrep/v1/evaluate/flags/<key>`` and ``POST /ofrep/v1/evaluate/flags``;
an OFREP client's base URL is then the site's root (``path("flags/", include(...))`` makes it
``/flags/``). Who may see which switch: docs/openfeature.rst. The views live in the web
layer, ``gargoyle/_web/ofrep.py``.
"""

from __future__ import annotations

from gargoyle._web.ofrep_urls import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
