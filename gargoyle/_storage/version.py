"""The snapshot version row: one number that every write to switches changes.

It changes inside the writing transaction, so a process that reads it knows whether its
snapshot of the switches is out of date even when no shared cache tells it (the runtime,
``gargoyle._runtime.loader``, compares it). Numbers are random, never counters, so a
rolled-back write can never be mistaken for a later one.
"""

from __future__ import annotations

import random

from django.db import models
from django.db.models import F

#: The primary key of the one row.
SINGLETON = 1


class SnapshotVersion(models.Model):
    """One row whose number changes with every write to switches, in the writing transaction.

    Processes compare it to decide whether to reload when the cache is not shared between
    them (and as a backstop when it is). Gargoyle maintains it; there is nothing to do
    with it.
    """

    number = models.BigIntegerField(default=0)

    class Meta:
        app_label = "gargoyle"
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.number)


def new_number() -> int:
    return random.getrandbits(62)


def read_db_version(using: str | None = None) -> int | None:
    """The row's number, or None before the first write."""
    number: int | None = (
        SnapshotVersion.objects.using(using).filter(pk=SINGLETON).values_list("number", flat=True).first()
    )
    return number


def lock_for_write(using: str | None = None) -> None:
    """Lock the version row, inside the caller's transaction, before it touches a switch.

    Every write to switches ends by changing this row, so taking it first gives all writers
    one lock order: two transactions writing several switches cannot deadlock on PostgreSQL,
    and on SQLite the write that changes nothing takes the database's write lock before any
    read, so that writers queue instead of failing (see ``transactions.py``).
    """
    rows = SnapshotVersion.objects.using(using)
    if not rows.filter(pk=SINGLETON).update(number=F("number")):
        rows.get_or_create(pk=SINGLETON, defaults={"number": new_number()})


def bump_db_version(using: str | None = None) -> None:
    """Give the version row a new number, inside the caller's transaction."""
    rows = SnapshotVersion.objects.using(using)
    if not rows.filter(pk=SINGLETON).update(number=new_number()):
        rows.get_or_create(pk=SINGLETON, defaults={"number": new_number()})
