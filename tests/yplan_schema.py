"""The table gargoyle-yplan 2.1.1 left behind, for the upgrade tests (SQLite and PostgreSQL)."""

from django.db import models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder


def create_yplan_table(connection, value_type=None):
    """``gargoyle_switch`` as gargoyle-yplan created it; ``value`` is django-jsonfield's text
    column, or ``value_type`` (``"jsonb"``: what it created on PostgreSQL >= 9.4)."""
    q = connection.ops.quote_name

    def column(name, field, null=False, extra=""):
        field.set_attributes_from_name(name)
        check = f" CHECK ({field.db_check(connection)})" if field.db_check(connection) else ""
        return f"{q(name)} {field.db_type(connection)} {'NULL' if null else 'NOT NULL'}{extra}{check}"

    columns = [
        column("key", models.CharField(max_length=64), extra=" PRIMARY KEY"),
        f"{q('value')} {value_type} NOT NULL" if value_type else column("value", models.TextField()),
        column("label", models.CharField(max_length=64), null=True),
        column("date_created", models.DateTimeField()),
        column("date_modified", models.DateTimeField()),
        column("description", models.TextField(), null=True),
        column("status", models.PositiveSmallIntegerField()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {q('gargoyle_switch')} ({', '.join(columns)})")


def record_yplan_migrations(connection):
    """The migration records gargoyle-yplan's two migrations left."""
    recorder = MigrationRecorder(connection)
    recorder.record_applied("gargoyle", "0001_initial")
    recorder.record_applied("gargoyle", "0002_bytes_to_str")


def build_yplan_database(connection, rows, created):
    """An empty database, then gargoyle-yplan's table holding ``rows`` and its migration records.

    :param rows: ``(key, value text, status, label, description)`` tuples, stored as given.
    :param created: the ``date_created`` and ``date_modified`` of every row.
    """
    MigrationExecutor(connection).migrate([("gargoyle", None)])
    create_yplan_table(connection)
    q = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(created)
    with connection.cursor() as cursor:
        for key, text, status, label, description in rows:
            cursor.execute(
                f"INSERT INTO {q('gargoyle_switch')} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [key, text, label, stamp, stamp, description, status],
            )
    record_yplan_migrations(connection)
