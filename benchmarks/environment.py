"""Django settings for the benchmarks: a temporary SQLite file, LocMemCache and Redis.

Both cache aliases exist in every run; ``use_cache`` points gargoyle and waffle at one of
them (django-flags uses no cache). The propagation writer, a second process, calls
:func:`configure` with the same database file and Redis prefix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import django
from django.conf import settings

CACHE_ALIASES = {"locmem": "LocMemCache", "redis": "Redis"}
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Environment:
    db_path: str
    redis_url: str
    redis_prefix: str


def new_environment() -> tuple[Environment, str]:
    """A fresh environment and the temporary folder that holds its database."""
    folder = tempfile.mkdtemp(prefix="gargoyle-bench-")
    env = Environment(
        db_path=os.path.join(folder, "bench.sqlite3"),
        redis_url=os.environ.get("GARGOYLE_BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        redis_prefix=f"gargoyle-bench-{uuid.uuid4().hex[:12]}",
    )
    return env, folder


def configure(env: Environment, cache_alias: str = "locmem") -> None:
    """Configure Django for the benchmarks and set it up."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmarks-only",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "gargoyle",
            "waffle",
            "flags",
        ],
        MIDDLEWARE=[],  # SQL and cache counts per request are the libraries' own
        ROOT_URLCONF="benchmarks.urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": env.db_path}},
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
            "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench"},
            "redis": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": env.redis_url,
                "KEY_PREFIX": env.redis_prefix,
            },
        },
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        GARGOYLE_CACHE_NAME=cache_alias,
        GARGOYLE_AUTO_CREATE=False,  # so the unknown-key case stays unknown (waffle's default too)
        WAFFLE_CACHE_NAME=cache_alias,
    )
    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@contextlib.contextmanager
def use_cache(alias: str) -> Iterator[None]:
    """Point gargoyle and waffle at one cache alias for the block."""
    from django.test.utils import override_settings

    with override_settings(GARGOYLE_CACHE_NAME=alias, WAFFLE_CACHE_NAME=alias):
        yield


def stop_counting() -> None:
    """Stop the usage counter's thread and write its last counts while the database exists
    (else the exit's flush finds the folder gone and says it could not store them)."""
    from django.apps import apps

    if not apps.ready:
        return
    from gargoyle._runtime import outcomes, usage

    usage.counter.stop()
    usage.counter.flush()
    outcomes.counter.flush()


def redis_problem(env: Environment) -> str | None:
    """None when Redis answers, else why not."""
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(env.redis_url, socket_connect_timeout=2).ping()
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def redis_server_version(env: Environment) -> str:
    import redis

    return str(redis.Redis.from_url(env.redis_url).info("server").get("redis_version", "?"))


def clean_up(env: Environment, folder: str) -> None:
    """Remove the database folder and every Redis key this run wrote."""
    stop_counting()
    shutil.rmtree(folder, ignore_errors=True)
    if redis_problem(env) is None:
        import redis

        client = redis.Redis.from_url(env.redis_url)
        keys = list(client.scan_iter(match=f"{env.redis_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
