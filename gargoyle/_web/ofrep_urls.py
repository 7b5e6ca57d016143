"""OFREP's URLs; the public path is :mod:`gargoyle.ofrep`."""

from django.urls import path

from gargoyle._web import ofrep

#: The URL namespace: ``reverse("gargoyle-ofrep:evaluate-flags")``.
app_name = "gargoyle-ofrep"

#: OFREP's two evaluation endpoints, under the prefix OFREP clients add to their base URL.
urlpatterns = [
    path("ofrep/v1/evaluate/flags", ofrep.evaluate_flags, name="evaluate-flags"),
    path("ofrep/v1/evaluate/flags/<path:key>", ofrep.evaluate_flag, name="evaluate-flag"),
]
