"""Settings for the worker processes of test_multiprocess: a shared SQLite file and either
a per-process LocMemCache or a shared Redis cache, chosen by environment variables."""

import os

SECRET_KEY = "tests-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "gargoyle"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["GARGOYLE_PROCESS_DB"]}}
if os.environ.get("GARGOYLE_PROCESS_CACHE") == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("GARGOYLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": os.environ["GARGOYLE_PROCESS_CACHE_PREFIX"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
GARGOYLE_CHECK_INTERVAL = float(os.environ.get("GARGOYLE_CHECK_INTERVAL", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
