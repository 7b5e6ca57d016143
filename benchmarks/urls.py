"""One view per library, each checking the 20 page switches; gargoyle's and waffle's group views
(django-flags has no group condition); OFREP's endpoints and waffle's JavaScript."""

from django.urls import include, path
from waffle.views import wafflejs

from benchmarks import flags_cases, gargoyle_cases, waffle_cases

urlpatterns = [
    path("gargoyle/", gargoyle_cases.view),
    path("waffle/", waffle_cases.view),
    path("flags/", flags_cases.view),
    path("gargoyle/group/", gargoyle_cases.group_view),
    path("waffle/group/", waffle_cases.group_view),
    path("", include("gargoyle.ofrep")),  # POST ofrep/v1/evaluate/flags
    path("wafflejs", wafflejs),
]
