"""URLs of the browser tests: the admin (with the panel) and the JSON API."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("gargoyle/", include("gargoyle.urls")),
]
