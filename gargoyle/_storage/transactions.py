"""Write transactions on switches: one lock order for every writer, and writers that wait
their turn, on SQLite too.

Every write to switches ends by changing the snapshot version row (``version.py``).
A write transaction of gargoyle's takes that row's lock with its first statement, before it
reads or locks any switch:

* on PostgreSQL, writers that touch several switches (an import, a bulk update) and writers
  of one switch then lock in the same order, so they cannot deadlock;
* on SQLite, which lets one connection write at a time, a transaction that has read before
  it writes is refused at once with "database is locked" when another is writing (waiting
  could deadlock); taking the write lock first makes concurrent writers queue for it
  instead, each up to the connection's busy timeout (Python's default, 5 s; Django's
  ``OPTIONS["timeout"]``), and run one after the other. On Django 5.1+,
  ``OPTIONS["transaction_mode"] = "IMMEDIATE"`` does the same for every transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.apps import apps
from django.db import router, transaction

from gargoyle._storage import version


@contextlib.contextmanager
def write_transaction(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic(using)`` for writing switches, with the version row locked first.

    :param using: the database alias (default: where the router writes switches).
    """
    alias = using or router.db_for_write(apps.get_model("gargoyle", "Switch"))
    with transaction.atomic(using=alias):
        version.lock_for_write(alias)
        yield
