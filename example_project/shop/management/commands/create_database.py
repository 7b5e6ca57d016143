"""``manage.py create_database``: creates the PostgreSQL database if it is missing.

Run before ``migrate`` (``run.sh`` does). It also says which database and cache the shop
uses, and stops with a clear message when PostgreSQL or Redis cannot be reached.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

HINT = "Start it, set the EXAMPLE_POSTGRES_*/EXAMPLE_REDIS_URL variables, or run without EXAMPLE_SERVICES=1 (SQLite)."


class Command(BaseCommand):
    help = "Creates the PostgreSQL database if it does not exist; prints the database and cache in use."
    requires_system_checks = []  # the checks read switches from a database that may not exist yet

    def handle(self, *args, **options):
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            where = f"{db['USER']}@{db['HOST']}:{db['PORT']}"
            if _create_postgres_database(db, where):
                self.stdout.write(f"Created the PostgreSQL database {db['NAME']!r}.")
            self.stdout.write(f"Database: PostgreSQL {db['NAME']!r} at {where}")
        else:
            self.stdout.write(f"Database: {connection.display_name} {db['NAME']}")

        backend = settings.CACHES["default"]["BACKEND"]
        if backend.endswith("RedisCache"):
            location = settings.CACHES["default"]["LOCATION"]
            try:
                cache.get("ping")
            except Exception as error:
                raise CommandError(f"Redis is not reachable at {location}: {error}\n{HINT}") from None
            self.stdout.write(f"Cache: Redis at {location} (shared: switch changes show on the next request)")
        else:
            self.stdout.write(
                f"Cache: {backend.rsplit('.', 1)[-1]} (one per process: switch changes made elsewhere show "
                f"within GARGOYLE_CHECK_INTERVAL = {getattr(settings, 'GARGOYLE_CHECK_INTERVAL', 5)} s)"
            )


def _create_postgres_database(db, where):
    """Create ``db['NAME']`` through the ``postgres`` maintenance database; False if it exists."""
    import psycopg
    from psycopg import sql

    try:
        maintenance = psycopg.connect(
            dbname="postgres",
            host=db["HOST"],
            port=db["PORT"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            connect_timeout=5,
            autocommit=True,  # CREATE DATABASE cannot run in a transaction
        )
    except psycopg.OperationalError as error:
        raise CommandError(f"PostgreSQL is not reachable at {where}: {error}\n{HINT}") from None
    with maintenance:
        if maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            return False
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        return True
