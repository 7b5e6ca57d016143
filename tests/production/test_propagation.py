"""Issue 5, points 1 and 8: a change made through the model API in one process is served by
every one of 8 gunicorn workers on its next request with a shared cache (Redis, Memcached),
and within GARGOYLE_CHECK_INTERVAL with a per-process cache (LocMemCache)."""

from __future__ import annotations

import contextlib
import time

import pytest

from gargoyle.constants import DISABLED, GLOBAL

from .conftest import require_server
from .support import (
    MEMCACHED_PORT,
    PG_PORT,
    REDIS_PORT,
    WORKERS,
    Driver,
    Gunicorn,
    process_env,
    report,
    scratch_database,
)

INTERVAL = 1.0  # GARGOYLE_CHECK_INTERVAL of every process (see support.process_env)
MARGIN = 5.0  # room for a busy machine on top of the interval
TIMEOUT = 30.0


@pytest.fixture
def cluster(tmp_path):
    """``start(cache)``: a scratch database, a writer process and gunicorn with 8 workers."""
    with contextlib.ExitStack() as stack:

        def start(cache: str, *, prepare=None, **env_extra):
            require_server("PostgreSQL", PG_PORT)
            if cache == "redis":
                require_server("Redis", REDIS_PORT)
            if cache == "memcached":
                require_server("Memcached", MEMCACHED_PORT)
            db_name = stack.enter_context(scratch_database())
            env = process_env(db_name, cache, **env_extra)
            writer = Driver(env, tmp_path / "writer.log")
            stack.callback(writer.close)
            assert writer.ask("migrate") == {"ok": True}
            assert writer.ask("set", "feature", DISABLED) == {"ok": True}
            if prepare is not None:
                prepare(writer)
            server = Gunicorn(env, tmp_path / "gunicorn.log")
            stack.callback(server.close)
            server.wait_ready("feature")
            return env, writer, server

        yield start


def change_and_watch(server: Gunicorn, writer: Driver, key: str, status: int, expected: bool, pids: set[int]):
    """Change ``key`` through the model API; hit the workers until each answered after it.

    Returns ``(commit_time, answers)``: every answer is to a request sent after the writer
    reported the change committed, so each is a "next request" of its worker.
    """
    assert writer.ask("set", key, status) == {"ok": True}
    committed = time.monotonic()
    answers = []
    fresh: set[int] = set()
    while fresh != pids:
        assert time.monotonic() - committed < TIMEOUT, f"workers never served the change: {sorted(pids - fresh)}"
        for answer in server.burst(key):
            assert answer.status == 200, answer
            assert answer.sent >= committed
            assert answer.pid in pids, f"an unexpected worker answered (restarted?): {answer}"
            answers.append(answer)
            if answer.active is expected:
                fresh.add(answer.pid)
    return committed, answers


def first_fresh(answers, expected: bool) -> dict[int, object]:
    first: dict[int, object] = {}
    for answer in sorted(answers, key=lambda a: a.received):
        if answer.active is expected:
            first.setdefault(answer.pid, answer)
    return first


def check_next_request(server, writer, key, status, expected, pids, label):
    committed, answers = change_and_watch(server, writer, key, status, expected, pids)
    stale = [answer for answer in answers if answer.active is not expected]
    assert not stale, f"{len(stale)} requests sent after the change got the old state: {stale[:5]}"
    first = first_fresh(answers, expected)
    delays = sorted(answer.received - committed for answer in first.values())
    reload_latency = max(answer.received - answer.sent for answer in first.values())
    report(
        f"propagation [{label}]: {len(answers)} requests after the change, 0 stale; all {len(pids)} workers "
        f"served it {delays[-1] * 1000:.0f} ms after commit (first {delays[0] * 1000:.0f} ms); "
        f"slowest first request after the change (includes the reload) {reload_latency * 1000:.0f} ms"
    )


@pytest.mark.parametrize("cache", ["redis", "memcached"])
def test_shared_cache_change_is_served_by_every_worker_on_its_next_request(cluster, cache):
    _env, writer, server = cluster(cache)
    pids = server.warm("feature", False)
    assert len(pids) == WORKERS
    check_next_request(server, writer, "feature", GLOBAL, True, pids, f"{cache}, off->on")
    check_next_request(server, writer, "feature", DISABLED, False, pids, f"{cache}, on->off")


def test_local_cache_change_is_served_by_every_worker_within_the_check_interval(cluster):
    _env, writer, server = cluster("locmem")
    pids = server.warm("feature", False)
    assert len(pids) == WORKERS
    for status, expected in ((GLOBAL, True), (DISABLED, False)):
        committed, answers = change_and_watch(server, writer, "feature", status, expected, pids)
        first = first_fresh(answers, expected)
        # Once a worker served the new state, it never serves the old one again.
        for answer in answers:
            if answer.active is not expected:
                assert answer.seq < first[answer.pid].seq, f"worker {answer.pid} went back to the old state"
        # Each worker checks the database's version at most INTERVAL after its previous check,
        # so a request sent more than INTERVAL after the commit sees the change (with slack for
        # the time between commit and the writer's reply).
        late_stale = [a for a in answers if a.active is not expected and a.sent - committed > INTERVAL + 0.25]
        assert not late_stale, f"stale answers later than the check interval: {late_stale[:5]}"
        delays = sorted(answer.received - committed for answer in first.values())
        assert delays[-1] < INTERVAL + MARGIN
        stale = len(answers) - sum(answer.active is expected for answer in answers)
        report(
            f"propagation [locmem, interval {INTERVAL:g}s, {'off->on' if expected else 'on->off'}]: all {WORKERS} "
            f"workers served the change {delays[-1] * 1000:.0f} ms after commit (first {delays[0] * 1000:.0f} ms); "
            f"{stale} of {len(answers)} answers after the commit were stale, none later than the interval"
        )


def test_memcached_with_more_than_a_megabyte_of_switches(cluster):
    """3,000 switches with long descriptions and conditions: more data than one memcached item
    may hold (1 MB). Gargoyle keeps only a small token in the cache, so it all still works."""
    count = 3000
    bulk = {}

    def prepare(writer):
        bulk.update(writer.ask("bulk", count, 400, timeout=120))

    started = time.monotonic()
    env, writer, server = cluster("memcached", prepare=prepare)
    assert bulk.get("ok"), bulk
    assert bulk["count"] == count
    assert bulk["bytes"] > 1024 * 1024, bulk
    ready = time.monotonic() - started

    first = server.get("bulk_00001")  # odd switches are global
    assert first.status == 200, first
    assert first.active is True
    assert first.switches == count + 1  # every switch is in the worker's snapshot ("feature" too)
    pids = server.warm("bulk_00001", True)
    assert all(answer.switches == count + 1 for answer in server.burst("bulk_00002"))
    assert not any(answer.active for answer in server.burst("bulk_00002"))  # even ones are disabled

    # The cache holds a token, not the switches.
    from pymemcache.client.base import Client

    client = Client(("127.0.0.1", MEMCACHED_PORT), connect_timeout=2, timeout=2)
    try:
        token = client.get(f"{env['GARGOYLE_PROD_CACHE_PREFIX']}:1:gargoyle:snapshot-token")
    finally:
        client.close()
    assert token is not None and len(token) < 100, token

    check_next_request(server, writer, "bulk_00001", DISABLED, False, pids, f"memcached, {count} switches")
    check_next_request(server, writer, "bulk_02999", DISABLED, False, pids, f"memcached, {count} switches, again")
    report(
        f"memcached with {count} switches ({bulk['bytes'] / 1e6:.2f} MB of switch data, cache token "
        f"{len(token)} bytes): created, migrated and 8 workers up in {ready:.1f} s"
    )
