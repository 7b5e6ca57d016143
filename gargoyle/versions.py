"""The version tokens that tell a process its snapshot of switches is out of date.

Two places hold one: the shared cache (a random token replaced after every committed
write, read once per request) and the database (the :class:`SnapshotVersion` row,
changed inside the writing transaction, read every check interval when the cache is not
shared between processes). Tokens are random, never counters, so a rolled-back write can
never collide with a later one.
"""

from __future__ import annotations

import random
from typing import Any

from django.core.cache import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db.models import F

CACHE_KEY = "gargoyle:snapshot-token"
SINGLETON = 1


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


def read_db_version(using: str | None = None) -> int | None:
    from gargoyle.models import SnapshotVersion

    return SnapshotVersion.objects.using(using).filter(pk=SINGLETON).values_list("number", flat=True).first()


def lock_for_write(using: str | None = None) -> None:
    """Lock the version row, inside the caller's transaction, before it touches a switch.

    Every write to switches ends by changing this row, so taking it first gives all writers
    one lock order: two transactions writing several switches cannot deadlock on PostgreSQL,
    and on SQLite the write that changes nothing takes the database's write lock before any
    read, so that writers queue instead of failing (see ``gargoyle.transactions``).
    """
    from gargoyle.models import SnapshotVersion

    versions = SnapshotVersion.objects.using(using)
    if not versions.filter(pk=SINGLETON).update(number=F("number")):
        versions.get_or_create(pk=SINGLETON, defaults={"number": new_token()})


def bump_db_version(using: str | None = None) -> None:
    """Give the version row a new number, inside the caller's transaction."""
    from gargoyle.models import SnapshotVersion

    versions = SnapshotVersion.objects.using(using)
    if not versions.filter(pk=SINGLETON).update(number=new_token()):
        versions.get_or_create(pk=SINGLETON, defaults={"number": new_token()})
