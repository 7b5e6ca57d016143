"""Scratch PostgreSQL databases for the production tests that run their own Django processes.

Each test gets a database of its own (``gargoyle_prod_<hex>``), created and dropped here with
psycopg, so worker processes never touch pytest-django's test database.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "tests.production.scratch_settings"


def server() -> dict[str, str]:
    """Where PostgreSQL listens: the variables tests/settings.py reads too."""
    return {
        "host": os.environ.get("GARGOYLE_TEST_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("GARGOYLE_TEST_PG_PORT", "5432"),
        "user": os.environ.get("GARGOYLE_TEST_PG_USER", "postgres"),
    }


def connect(name: str) -> psycopg.Connection:
    return psycopg.connect(dbname=name, autocommit=True, connect_timeout=5, **server())


def create_database() -> str:
    name = f"gargoyle_prod_{uuid.uuid4().hex[:12]}"
    with connect("postgres") as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(name: str) -> None:
    with connect("postgres") as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database, dropped (even with connections still open) on exit."""
    name = create_database()
    try:
        yield name
    finally:
        drop_database(name)


def process_env(name: str) -> dict[str, str]:
    """The environment of a Django process working on the scratch database ``name``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "GARGOYLE_SCRATCH_DB": name,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
