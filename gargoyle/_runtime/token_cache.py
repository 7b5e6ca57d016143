"""The cache client that carries the version token, with a bound on every wait.

Gargoyle waits on this cache at most once per request (reading the token) and once per
committed write (publishing a new one). A server that accepts connections but never answers
would hold either for the client library's own timeout: none at all for redis-py and
pymemcache, 5 s for pylibmc. So for the backends it knows, gargoyle talks to the cache
through a client of its own, built from the alias's ``CACHES`` entry with
``GARGOYLE_CACHE_TIMEOUT`` forced on every connect, read and write, no retries, and errors
raised rather than swallowed: the loader's back-off handles them. Other backends, and
``GARGOYLE_CACHE_TIMEOUT = None``, use Django's ``caches[alias]`` as configured.

Clients are kept per thread, as Django keeps its caches (pymemcache's and pylibmc's clients
are not thread-safe), and closed when a request finishes, as Django closes its own.
``gargoyle.E009`` (in :mod:`gargoyle.checks`) reports a ``GARGOYLE_CACHE_TIMEOUT`` that is
not one.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.signals import request_finished, setting_changed
from django.utils.module_loading import import_string

from gargoyle._conf import get_settings

Params = dict[str, Any]

REDIS = "django.core.cache.backends.redis.RedisCache"
PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"
PYLIBMC = "django.core.cache.backends.memcached.PyLibMCCache"
DJANGO_REDIS = "django_redis.cache.RedisCache"

# Each retry would add another full timeout to the wait.
_REDIS_RETRY_OPTIONS = ("retry", "retry_on_timeout", "retry_on_error")
_URL_TIMEOUT_OPTIONS = ("socket_timeout", "socket_connect_timeout", "retry_on_timeout")


def _options(params: Mapping[str, Any]) -> Params:
    return dict(params.get("OPTIONS") or {})


def _redis(params: Params, timeout: float) -> Params:
    options = {name: value for name, value in _options(params).items() if name not in _REDIS_RETRY_OPTIONS}
    options.update(socket_timeout=timeout, socket_connect_timeout=timeout)
    location = _bounded_urls(params.get("LOCATION", ""), timeout, separators=r"[;,]")
    return {**params, "LOCATION": location, "OPTIONS": options}


def _pymemcache(params: Params, timeout: float) -> Params:
    # After a failure HashClient answers None without asking the server for retry_timeout
    # seconds, then drops the server for dead_timeout: the token would look evicted, then
    # stay unreachable for a minute after the server is back.
    forced = {"timeout": timeout, "connect_timeout": timeout, "ignore_exc": False}
    return {**params, "OPTIONS": {**_options(params), **forced, "retry_timeout": 0, "dead_timeout": 0}}


def _pylibmc(params: Params, timeout: float) -> Params:
    milliseconds, microseconds = max(1, round(timeout * 1000)), max(1, round(timeout * 1_000_000))
    options = _options(params)
    behaviors = {
        **(options.get("behaviors") or {}),
        "connect_timeout": milliseconds,
        # libmemcached waits in poll() for this long (5 s by default) whatever the socket
        # timeouts say: without it a hanging server still costs 5 s.
        "_poll_timeout": milliseconds,
        "receive_timeout": microseconds,
        "send_timeout": microseconds,
    }
    return {**params, "OPTIONS": {**options, "behaviors": behaviors}}


def _django_redis(params: Params, timeout: float) -> Params:
    options = {
        **_options(params),
        "SOCKET_TIMEOUT": timeout,
        "SOCKET_CONNECT_TIMEOUT": timeout,
        "IGNORE_EXCEPTIONS": False,
    }
    # django-redis keeps one connection pool per URL for the whole process: the site's own
    # URL would hand gargoyle the site's pool and timeouts (or the site gargoyle's). Timeouts
    # in the URL make a pool of gargoyle's own, and win over CONNECTION_POOL_KWARGS.
    location = _bounded_urls(params.get("LOCATION", ""), timeout, separators=",")
    return {**params, "LOCATION": location, "OPTIONS": options}


def _bounded_urls(location: str | list[str], timeout: float, separators: str) -> str | list[str]:
    """Redis URLs with ``timeout`` as their options: redis-py prefers a URL's to any other."""
    if isinstance(location, str):
        return ",".join(_bounded_url(url, timeout) for url in re.split(separators, location))
    return [_bounded_url(url, timeout) for url in location]


def _bounded_url(url: str, timeout: float) -> str:
    parts = urlsplit(url)
    kept = [(name, value) for name, value in parse_qsl(parts.query, True) if name not in _URL_TIMEOUT_OPTIONS]
    query = [*kept, ("socket_timeout", str(timeout)), ("socket_connect_timeout", str(timeout))]
    return urlunsplit(parts._replace(query=urlencode(query)))


BOUNDED: dict[str, Callable[[Params, float], Params]] = {
    REDIS: _redis,
    PYMEMCACHE: _pymemcache,
    PYLIBMC: _pylibmc,
    DJANGO_REDIS: _django_redis,
}


def bounded_params(params: Mapping[str, Any], timeout: float) -> Params | None:
    """A ``CACHES`` entry with ``timeout`` (seconds) forced, or None for a backend not known.

    A subclass of a known backend counts as that backend.
    """
    bound = BOUNDED.get(params["BACKEND"]) or _known_base(params["BACKEND"])
    return None if bound is None else bound(dict(params), timeout)


def _known_base(path: str) -> Callable[[Params, float], Params] | None:
    try:
        backend = import_string(path)
    except ImportError:
        return None
    for base in getattr(backend, "__mro__", ()):
        bound = BOUNDED.get(f"{base.__module__}.{base.__qualname__}")
        if bound is not None:
            return bound
    return None


# -- one client per thread and alias ----------------------------------------------------------


class _ThreadClients(threading.local):
    def __init__(self) -> None:
        self.generation = _generation
        self.clients: dict[str, BaseCache] = {}
        self.built: list[BaseCache] = []  # those gargoyle made (the others are Django's)


_generation = 0  # moves when CACHES or GARGOYLE_CACHE_TIMEOUT change: every thread rebuilds
_local = _ThreadClients()


def token_cache(alias: str) -> BaseCache:
    """The cache gargoyle reads and writes the version token of ``alias`` through.

    For Django's ``RedisCache``, ``PyMemcacheCache`` and ``PyLibMCCache`` and for
    django-redis, a client of gargoyle's own with ``GARGOYLE_CACHE_TIMEOUT`` forced (the
    same server, keys and prefix as ``caches[alias]``); for other backends, and with the
    setting at ``None``, ``caches[alias]`` itself.
    """
    local = _local
    if local.generation != _generation:
        _close(local.built)
        local.built, local.clients, local.generation = [], {}, _generation
    client = local.clients.get(alias)
    if client is None:
        client = local.clients[alias] = _build(alias, local)
    return client


def _build(alias: str, local: _ThreadClients) -> BaseCache:
    timeout = get_settings().cache_timeout
    params = settings.CACHES.get(alias)
    bounded = None if timeout is None or params is None else bounded_params(params, timeout)
    if bounded is None:
        return caches[alias]  # raises Django's own error for an alias that is not in CACHES
    backend = import_string(bounded.pop("BACKEND"))
    client: BaseCache = backend(bounded.pop("LOCATION", ""), bounded)
    local.built.append(client)
    return client


def _close(clients: list[BaseCache]) -> None:
    for client in clients:
        with contextlib.suppress(Exception):  # a broken connection is being dropped anyway
            client.close()


def _close_at_request_end(**kwargs: Any) -> None:
    # As Django closes its caches: pymemcache would otherwise keep a socket that a restart
    # of memcached broke, and fail the next version check for it.
    _close(_local.built)


def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    global _generation
    if setting in ("CACHES", "GARGOYLE_CACHE_TIMEOUT"):
        _generation += 1


request_finished.connect(_close_at_request_end, dispatch_uid="gargoyle._runtime.token_cache.close")
setting_changed.connect(_forget_clients, dispatch_uid="gargoyle._runtime.token_cache.forget")


__all__ = ["BOUNDED", "bounded_params", "token_cache"]
