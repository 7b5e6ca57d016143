"""Each tox environment tests the Django it is named for: an optional extra that needs a newer
Django must not upgrade it behind the environment's back (tox.ini sets GARGOYLE_EXPECT_DJANGO)."""

from __future__ import annotations

import os

import django
import pytest

EXPECTED = os.environ.get("GARGOYLE_EXPECT_DJANGO")


@pytest.mark.skipif(not EXPECTED, reason="outside a tox environment named for a Django version")
def test_the_environment_runs_the_django_it_is_named_for() -> None:
    assert f"{django.VERSION[0]}.{django.VERSION[1]}" == EXPECTED
