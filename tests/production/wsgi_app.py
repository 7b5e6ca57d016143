"""The WSGI application the gunicorn workers serve: one view that reports a switch.

``GET /switch/<key>/?default=1`` answers ``{"pid", "active", "seq", "switches"}``: the
worker's process id, ``gargoyle.is_active(key, request, default=...)``, the number of
requests this process has served, and how many switches its snapshot holds.
"""

import itertools
import os

from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.production.worker_settings")

_served = itertools.count(1)


def report_switch(request, key):
    from gargoyle import gargoyle

    active = gargoyle.is_active(key, request, default=request.GET.get("default") == "1")
    return JsonResponse({"pid": os.getpid(), "active": active, "seq": next(_served), "switches": len(gargoyle)})


urlpatterns = [path("switch/<str:key>/", report_switch)]

application = get_wsgi_application()
