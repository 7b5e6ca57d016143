"""A cache that hangs instead of refusing (GARGOYLE_CACHE_TIMEOUT): what it costs a request and a
writer, measured per backend with real processes.

The hang is a ``support.TcpProxy`` in front of the machine's Redis or Memcached that keeps
accepting connections but forwards nothing. The processes use ``worker_settings``, which
gives Redis socket timeouts of 2 s and pymemcache none at all; gargoyle's own client replaces
them with ``GARGOYLE_CACHE_TIMEOUT`` (default 0.25 s).
"""

from __future__ import annotations

import contextlib
import time

import pytest

from gargoyle.constants import DISABLED, GLOBAL

from .conftest import require_server
from .support import MEMCACHED_PORT, PG_PORT, REDIS_PORT, Driver, TcpProxy, process_env, report, scratch_database

INTERVAL = 1.0  # GARGOYLE_CHECK_INTERVAL in process_env
GUARD = 10.0  # fail instead of hanging: without the bound, pymemcache would wait for ever
CACHES = {
    "redis": ("Redis", REDIS_PORT, "redis://127.0.0.1:{port}/0"),
    "memcached": ("Memcached (pymemcache)", MEMCACHED_PORT, "127.0.0.1:{port}"),
}


def timed(driver: Driver, *words) -> tuple[dict, float]:
    started = time.monotonic()
    answer = driver.ask(*words, timeout=GUARD)
    return answer, time.monotonic() - started


@pytest.mark.parametrize("cache", sorted(CACHES))
def test_a_hanging_cache_costs_one_timeout_per_interval_and_per_write(cache, tmp_path):
    name, port, location = CACHES[cache]
    require_server("PostgreSQL", PG_PORT)
    require_server(name, port)
    with contextlib.ExitStack() as stack:
        proxy = TcpProxy(port)
        proxy.up()
        stack.callback(proxy.down)
        db_name = stack.enter_context(scratch_database())
        env = process_env(db_name, cache, cache_location=location.format(port=proxy.port))
        writer = stack.enter_context(contextlib.closing(Driver(env, tmp_path / "writer.log")))
        reader = stack.enter_context(contextlib.closing(Driver(env, tmp_path / "reader.log")))
        assert writer.ask("migrate") == {"ok": True}
        assert writer.ask("set", "feature", DISABLED) == {"ok": True}
        assert reader.ask("request", "feature")["active"] is False  # warm, on the cache's token
        _, healthy_write = timed(writer, "set", "other", DISABLED)
        _, healthy_request = timed(reader, "request", "feature")

        proxy.hang()
        # The first request gives up on the cache and answers from the snapshot; the others
        # of the interval do not ask it.
        answer, first = timed(reader, "request", "feature")
        assert answer["active"] is False, answer
        assert "the cache is unreachable (TimeoutError" in reader.log()
        answer, next_request = timed(reader, "request", "feature")
        assert answer["active"] is False, answer

        # A writer gives up on publishing and returns; its change reaches the other process
        # through the database version once that process's back-off ends.
        answer, write = timed(writer, "set", "feature", GLOBAL)
        assert answer == {"ok": True}
        written = time.monotonic()
        assert "the cache is unreachable (TimeoutError" in writer.log()
        answer, next_write = timed(writer, "set", "other", GLOBAL)
        assert answer == {"ok": True}
        slowest = 0.0
        while True:
            answer, elapsed = timed(reader, "request", "feature")
            slowest = max(slowest, elapsed)
            if answer["active"] is True:
                break
            assert time.monotonic() - written < INTERVAL + GUARD, "the change never reached the reader"
            time.sleep(0.05)
        reached = time.monotonic() - written

        proxy.answer()
        time.sleep(INTERVAL)
        assert reader.ask("request", "feature")["active"] is True
        assert "the cache is reachable again" in reader.log()

    report(
        f"hanging {name}, GARGOYLE_CACHE_TIMEOUT 0.25 s: the request that checked the version took "
        f"{first * 1000:.0f} ms (healthy: {healthy_request * 1000:.0f} ms), the next one {next_request * 1000:.0f} ms; "
        f"a write took {write * 1000:.0f} ms (healthy: {healthy_write * 1000:.0f} ms), the next one "
        f"{next_write * 1000:.0f} ms; the change reached another "
        f"process through the database version in {reached:.2f} s (interval {INTERVAL:g} s; slowest request "
        f"meanwhile {slowest * 1000:.0f} ms)"
    )
