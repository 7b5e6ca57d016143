"""Upgrade path at scale (issue 5, point 7): a gargoyle-yplan 2.1.1 database on PostgreSQL,
with 10,000 switches of every kind in its text column, migrates with every switch and
condition intact; the migration time is reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.production import upgrade_worker as upgrade
from tests.production.conftest import require_server
from tests.production.scratch_pg import ROOT, connect, process_env, scratch_database


@pytest.fixture
def database():
    require_server("PostgreSQL", 5432)
    with scratch_database() as name:
        yield name


def report(line: str) -> None:
    print(f"\n{line}")
    path = os.environ.get("GARGOYLE_PRODUCTION_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


def test_ten_thousand_yplan_switches_migrate_intact(database):
    done = subprocess.run(
        [sys.executable, "-m", "tests.production.upgrade_worker"],
        cwd=ROOT,
        env=process_env(database),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    rows = upgrade.yplan_rows()
    with connect(database) as db:
        column_type = db.execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_name = 'gargoyle_switch' AND column_name = 'value'"
        ).fetchone()[0]
        stored = {
            key: (value, status, label, description, created)
            for key, value, status, label, description, created in db.execute(
                "SELECT key, value, status, label, description, date_created FROM gargoyle_switch"
            )
        }
        applied = {name for (name,) in db.execute("SELECT name FROM django_migrations WHERE app = 'gargoyle'")}

    assert column_type == "jsonb"
    assert {"0001_initial", "0002_bytes_to_str", "0003_jsonfield_and_snapshot_version"} <= applied
    assert len(stored) == len(rows) == upgrade.COUNT
    damaged = [
        key
        for key, text, status, label, description in rows
        if stored.get(key) != (upgrade.migrated_value(text), status, label, description, upgrade.CREATED)
    ]
    assert not damaged, f"{len(damaged)} switches changed, e.g. {damaged[:5]}: {[stored.get(k) for k in damaged[:2]]}"
    conditions = sum(
        len(entries)
        for value, *_ in stored.values()
        if isinstance(value, dict)
        for fields in value.values()
        for entries in fields.values()
    )

    corrupt = sorted(key for key, text, *_ in rows if isinstance(upgrade.migrated_value(text), str))
    assert result["problems"] == corrupt, "`check` reports exactly the switches whose text was not JSON"

    expected = [query[3] for query in upgrade.queries()]
    wrong = [
        (query, answer)
        for query, answer in zip(upgrade.queries(), result["answers"], strict=True)
        if answer != query[3]
    ]
    assert not wrong, f"{len(wrong)} of {len(expected)} is_active answers are wrong, e.g. {wrong[:5]}"

    report(
        f"upgrade: {upgrade.COUNT} gargoyle-yplan 2.1.1 switches ({conditions} conditions) migrated on PostgreSQL "
        f"by `migrate gargoyle` in {result['seconds']:.2f}s; {len(expected)} sampled is_active answers correct"
    )
