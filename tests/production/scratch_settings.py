"""Settings for the Django processes of the scratch-database tests (see ``scratch_pg``)."""

import os

SECRET_KEY = "tests-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "gargoyle"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("GARGOYLE_TEST_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("GARGOYLE_TEST_PG_PORT", "5432"),
        "USER": os.environ.get("GARGOYLE_TEST_PG_USER", "postgres"),
        "NAME": os.environ["GARGOYLE_SCRATCH_DB"],
        "OPTIONS": {"connect_timeout": 5},
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
