"""Write transactions on switches that wait their turn, on SQLite too.

SQLite lets one connection write at a time. A transaction that reads first (as a write
to a switch does: it reads the row it changes, to record its state before) holds a read
lock, and when it then tries to write while another connection is writing, SQLite fails
it at once with "database is locked" instead of waiting: waiting could deadlock. So every
write transaction of gargoyle's takes the write lock with its first statement, before any
read; concurrent writers then queue for it, each up to the connection's busy timeout
(Python's default, 5 s; Django's ``OPTIONS["timeout"]``), and run one after the other.
On Django 5.1+, ``OPTIONS["transaction_mode"] = "IMMEDIATE"`` does the same for every
transaction of the site. Other databases lock rows and need nothing of this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.apps import apps
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@contextlib.contextmanager
def write_transaction(using: str | None = None) -> Iterator[None]:
    """``transaction.atomic(using)`` for writing switches; on SQLite, with the write lock taken first.

    :param using: the database alias (default: where the router writes switches).
    """
    alias = using or router.db_for_write(apps.get_model("gargoyle", "Switch"))
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "sqlite":
            _take_write_lock(connection)
        yield


def _take_write_lock(connection: BaseDatabaseWrapper) -> None:
    """A write that changes nothing: SQLite takes the database's write lock for it, and keeps it."""
    quote = connection.ops.quote_name
    table = quote(apps.get_model("gargoyle", "Switch")._meta.db_table)
    key = quote("key")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {key} = {key} WHERE {key} IS NULL")
