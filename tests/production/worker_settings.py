"""Settings for the processes the production tests start (gunicorn workers and drivers).

Everything comes from environment variables set by the tests (see ``support.py``):
the scratch PostgreSQL database and the port to reach it by (a proxy in the outage tests),
and the cache (Redis, Memcached or a per-process LocMemCache) with its own key prefix.
"""

import json
import os

SECRET_KEY = "tests-only"
USE_TZ = True
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "gargoyle"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.production.wsgi_app"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("GARGOYLE_PROD_DB_PORT", "5432"),
        "USER": os.environ.get("GARGOYLE_TEST_PG_USER", "postgres"),
        "NAME": os.environ["GARGOYLE_PROD_DB_NAME"],
        "OPTIONS": {"connect_timeout": 3},
    }
}

_cache = os.environ.get("GARGOYLE_PROD_CACHE", "redis")
_prefix = os.environ.get("GARGOYLE_PROD_CACHE_PREFIX", "gargoyle-prod")
if _cache == "redis":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("GARGOYLE_PROD_CACHE_LOCATION", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": _prefix,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif _cache == "memcached":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": os.environ.get("GARGOYLE_PROD_CACHE_LOCATION", "127.0.0.1:11211"),
            "KEY_PREFIX": _prefix,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

GARGOYLE_CHECK_INTERVAL = float(os.environ.get("GARGOYLE_CHECK_INTERVAL", "1"))
# The usage counts' background writes (the default: every 60 s); "none" for no thread.
_flush = os.environ.get("GARGOYLE_USAGE_FLUSH_INTERVAL", "60")
GARGOYLE_USAGE_FLUSH_INTERVAL = None if _flush == "none" else float(_flush)
GARGOYLE_SWITCH_DEFAULTS = json.loads(os.environ.get("GARGOYLE_PROD_SWITCH_DEFAULTS", "{}"))

# Gargoyle's warnings go to stderr with the process id, so a test can tell which worker said what.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"pid": {"format": "[pid %(process)d] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "pid"}},
    "loggers": {"gargoyle": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
}
