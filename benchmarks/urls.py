"""One view per library, each checking the 20 page switches."""

from django.urls import path

from benchmarks import flags_cases, gargoyle_cases, waffle_cases

urlpatterns = [
    path("gargoyle/", gargoyle_cases.view),
    path("waffle/", waffle_cases.view),
    path("flags/", flags_cases.view),
]
