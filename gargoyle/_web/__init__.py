"""Internal: the web layer, what staff and scripts reach over HTTP.

``api.py`` is the JSON API, ``auth.py`` decides who may call it (session or token, CSRF,
permissions, JSON errors), ``urls.py`` routes it, ``admin.py`` serves the panel inside
``django.contrib.admin`` (its page is ``templates/gargoyle/panel.html``, its code the ES
modules of ``static/gargoyle/panel/``). It sits above the manager and imports anything
below. The public paths are :mod:`gargoyle.urls` and ``gargoyle.admin``. See
docs/architecture.rst.
"""
