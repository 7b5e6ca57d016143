"""The JSON API's URLs: mount them with ``path("gargoyle/", include("gargoyle.urls"))``.

This is the public path; the views live in the web layer, ``gargoyle/_web/``.
"""

from __future__ import annotations

from gargoyle._web.urls import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
