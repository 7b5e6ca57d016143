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
    "rest_framework",  # the price-list API (shop/api.py) and its browsable pages
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
    # QA overrides: ?gargoyle=dark_mode:on for the admin's own browser (after authentication).
    "gargoyle.middleware.SwitchOverrideMiddleware",
    # The visitor cookie: compact_catalogue's 50 % of visitors stay in their half (docs/visitors.rst).
    "gargoyle.middleware.VisitorCookieMiddleware",
]

# The demo's fast clock: a rollout's ten-minute stage passes in ten seconds, and counts are
# stored every two seconds (both are for demos only: manage.py check warns outside DEBUG).
GARGOYLE_ROLLOUT_SPEED = float(os.environ.get("EXAMPLE_ROLLOUT_SPEED", "60"))
GARGOYLE_USAGE_FLUSH_INTERVAL = 2

# The switches a page's JavaScript may know about ({% client_switches %}, gargoyle/switches.js
# and the OFREP endpoint mounted in urls.py): the catalogue keeps its banner up to date.
GARGOYLE_CLIENT_SWITCHES = ["catalogue_banner"]

# The switches a user with the permission gargoyle.override_switch (the admin: a superuser)
# may force on or off for their own browser (docs/qa-overrides.rst).
GARGOYLE_QA_SWITCHES = ["dark_mode", "catalogue_banner"]

# Switches a deploy creates before code asks for them (`manage.py sync_switches --apply`,
# run by run.sh after seed_demo): as shop/demo_data.py seeds them, so the two agree.
GARGOYLE_SWITCHES = {
    "gift_cards": {
        "status": "disabled",
        "label": "Gift cards",
        "description": "The /gift-cards/ page, not launched yet.",
    },
    "new_checkout:express": {"status": "inherit", "label": "Express checkout"},
}

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
    },
    # Jinja2 for the templates under shop/jinja2/ (the deals page), with gargoyle's extension:
    # {% ifswitch "key" %}, is_active("key") and client_switches() judge the request's user.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "shop.jinja2_environment.environment",
            "extensions": ["gargoyle.integrations.jinja2.GargoyleExtension"],
        },
    },
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

# The debug toolbar with gargoyle's Switches panel, when DEBUG and the [debug-toolbar] extra
# is installed (EXAMPLE_DEBUG_TOOLBAR=0 leaves it out, for screenshots).
try:
    import debug_toolbar  # noqa: F401
except ImportError:
    DEBUG_TOOLBAR = False
else:
    DEBUG_TOOLBAR = DEBUG and os.environ.get("EXAMPLE_DEBUG_TOOLBAR", "1") != "0"
if DEBUG_TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    DEBUG_TOOLBAR_PANELS = [
        "debug_toolbar.panels.history.HistoryPanel",
        "debug_toolbar.panels.timer.TimerPanel",
        "debug_toolbar.panels.request.RequestPanel",
        "debug_toolbar.panels.sql.SQLPanel",
        "debug_toolbar.panels.templates.TemplatesPanel",
        "gargoyle.integrations.debug_toolbar.SwitchesPanel",
    ]
    # A "DJDT" handle at the side until clicked: the shop and the panel stay readable.
    DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}
