"""Test settings: SQLite and LocMemCache by default; PostgreSQL + Redis when
GARGOYLE_TEST_SERVICES=1 (the `services` tox environment)."""

import os

SECRET_KEY = "tests-only"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "gargoyle",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

SERVICES = os.environ.get("GARGOYLE_TEST_SERVICES") == "1"

if SERVICES:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("GARGOYLE_TEST_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("GARGOYLE_TEST_PG_PORT", "5432"),
            "USER": os.environ.get("GARGOYLE_TEST_PG_USER", "postgres"),
            "NAME": os.environ.get("GARGOYLE_TEST_PG_NAME", "test"),
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("GARGOYLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": f"gargoyle-tests-{os.getpid()}",
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# No background thread flushing usage counts into the test database: the tests that are
# about the counts call gargoyle.usage.flush() (or the counter's) themselves.
GARGOYLE_USAGE_FLUSH_INTERVAL = None
