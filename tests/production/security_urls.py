"""The URLconf of the security and hostile-input tests: the JSON API's include and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("gargoyle/", include("gargoyle.urls")),
    path("admin/", admin.site.urls),
]
