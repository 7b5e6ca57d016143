"""Settings of the gargoyle example shop.

By default SQLite and an in-process cache: nothing to install or start. ``EXAMPLE_DB_PATH``
puts the SQLite file elsewhere (the smoke test uses a temporary one).

``EXAMPLE_SERVICES=1`` uses PostgreSQL and Redis instead, as a production site would; the
``EXAMPLE_POSTGRES_*`` and ``EXAMPLE_REDIS_URL`` variables say where they are.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("EXAMPLE_SECRET_KEY", "example-project-only-not-a-secret")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "gargoyle",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Which switches each request checked: the guards of rollouts count from it.
    "gargoyle.middleware.SwitchExposureMiddleware",
]

# The demo's fast clock: a rollout's ten-minute stage passes in ten seconds, and counts are
# stored every two seconds (both are for demos only: manage.py check warns outside DEBUG).
GARGOYLE_ROLLOUT_SPEED = float(os.environ.get("EXAMPLE_ROLLOUT_SPEED", "60"))
GARGOYLE_USAGE_FLUSH_INTERVAL = 2

# The switches a page's JavaScript may know about ({% client_switches %}, gargoyle/switches.js
# and the OFREP endpoint mounted in urls.py): the catalogue keeps its banner up to date.
GARGOYLE_CLIENT_SWITCHES = ["catalogue_banner"]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",  # lets {% ifswitch %} judge the user
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.demo_switches",
            ]
        },
    }
]

SERVICES = os.environ.get("EXAMPLE_SERVICES") == "1"

if SERVICES:
    POSTGRES_NAME = os.environ.get("EXAMPLE_POSTGRES_NAME", "gargoyle_example")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": POSTGRES_NAME,
            "HOST": os.environ.get("EXAMPLE_POSTGRES_HOST", "127.0.0.1"),
            "PORT": os.environ.get("EXAMPLE_POSTGRES_PORT", "5432"),
            "USER": os.environ.get("EXAMPLE_POSTGRES_USER", "postgres"),
            "PASSWORD": os.environ.get("EXAMPLE_POSTGRES_PASSWORD", ""),
        }
    }
    # A shared cache: a switch changed in one process is seen by the others on their next
    # request. The prefix follows the database, so two example databases never mix tokens.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("EXAMPLE_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": f"gargoyle-example-{POSTGRES_NAME}",
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("EXAMPLE_DB_PATH") or BASE_DIR / "db.sqlite3",
        }
    }
    # The default LocMemCache is not shared between processes, so a switch changed from
    # another process (``manage.py add_switch``) shows once the database version is checked
    # again. A second instead of the default five keeps the demo snappy.
    GARGOYLE_CHECK_INTERVAL = 1.0

LOGIN_REDIRECT_URL = "catalogue"
LOGOUT_REDIRECT_URL = "catalogue"

AUTH_PASSWORD_VALIDATORS = []  # the demo passwords are the usernames
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
