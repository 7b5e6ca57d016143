"""Issue 13: usage counts from 8 gunicorn workers on PostgreSQL add up exactly: every check
is stored once, whether a worker's background thread writes it or its exit does."""

from __future__ import annotations

import contextlib
import time

import pytest

from gargoyle.constants import DISABLED, GLOBAL

from .conftest import require_server
from .support import PG_PORT, REDIS_PORT, WORKERS, Driver, Gunicorn, process_env, report, scratch_database, wait_for

FLUSH_EVERY = 4  # GARGOYLE_USAGE_FLUSH_INTERVAL of every worker, in seconds: longer than the
# last burst and shutdown take, so that their counts are written by the workers' exit


@pytest.fixture
def cluster(tmp_path):
    require_server("PostgreSQL", PG_PORT)
    require_server("Redis", REDIS_PORT)
    with contextlib.ExitStack() as stack:
        db_name = stack.enter_context(scratch_database())
        env = process_env(db_name, "redis", GARGOYLE_USAGE_FLUSH_INTERVAL=str(FLUSH_EVERY))
        writer = Driver(env, tmp_path / "writer.log")
        stack.callback(writer.close)
        assert writer.ask("migrate") == {"ok": True}
        assert writer.ask("set", "on_feature", GLOBAL) == {"ok": True}
        assert writer.ask("set", "off_feature", DISABLED) == {"ok": True}
        server = Gunicorn(env, tmp_path / "gunicorn.log")
        stack.callback(server.close)
        server.wait_ready("on_feature")
        yield writer, server


def hit(server: Gunicorn, key: str, count: int, default: bool = False) -> None:
    answers = server.burst(key, count, default)
    assert all(answer.status == 200 for answer in answers), [a for a in answers if a.status != 200][:3]


def test_eight_workers_count_every_check_exactly_once(cluster):
    writer, server = cluster
    # wait_ready made a few requests of its own: count from what is stored after they are.
    wait_for(lambda: writer.ask("usage", "on_feature")["on"] > 0, 30, "the first counts never arrived", step=0.2)
    time.sleep(FLUSH_EVERY * 2)
    before = writer.ask("usage", "on_feature")["on"]

    hit(server, "on_feature", 600)
    hit(server, "off_feature", 300)
    hit(server, "never_stored", 100, default=True)
    started = time.monotonic()

    def checks(key: str) -> int:
        counts = writer.ask("usage", key)
        return counts["on"] + counts["off"] + counts["defaults"]

    def arrived() -> bool:
        # never_stored is auto-created by its first check: later checks answer as a stored switch.
        return checks("on_feature") - before == 600 and checks("off_feature") == 300 and checks("never_stored") == 100

    wait_for(arrived, 30, "the counts never added up to the 1,000 checks", step=0.2)
    report(f"usage counts of 1,000 checks from {WORKERS} workers stored within {time.monotonic() - started:.1f} s")
    on = writer.ask("usage", "on_feature")
    assert on["off"] == 0 and on["defaults"] == 0  # nothing counted under the wrong answer
    assert 1 < on["processes"] <= WORKERS  # several workers reported this hour

    # The last checks before a shutdown are written by each worker's exit.
    hit(server, "off_feature", 200)
    server.close()
    assert writer.ask("usage", "off_feature")["off"] == 500
    assert writer.ask("usage", "never_stored")["defaults"] >= 1  # before it was stored
