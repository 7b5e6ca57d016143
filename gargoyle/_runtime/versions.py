"""The shared cache's version token, which tells other processes that switches changed.

A random token replaced after every committed write and read once per request; random,
never a counter, so a rolled-back write can never collide with a later one. The database
keeps its own version (``gargoyle._storage.version``), read when the cache is not shared.
"""

from __future__ import annotations

import random
from typing import Any

from django.core.cache import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

CACHE_KEY = "gargoyle:snapshot-token"


def new_token() -> int:
    return random.getrandbits(62)


def is_shared(cache: BaseCache) -> bool:
    """Whether other processes see this cache (Redis, Memcached, database, files)."""
    return not isinstance(cache, (LocMemCache, DummyCache))


def read_cache_token(cache: BaseCache) -> Any:
    """The current token, creating one when the cache has none (first use, eviction)."""
    token = cache.get(CACHE_KEY)
    if token is None:
        cache.add(CACHE_KEY, new_token(), timeout=None)
        token = cache.get(CACHE_KEY)
    return token


def publish_cache_token(cache: BaseCache) -> None:
    cache.set(CACHE_KEY, new_token(), timeout=None)
