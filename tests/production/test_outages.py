"""Issue 5, points 3 and 4: the cache or the database goes away while requests flow.

The outages are simulated with TCP proxies this test controls (``support.TcpProxy``) in front
of the machine's Redis and PostgreSQL, which other tests share and which stay up.
"""

from __future__ import annotations

import contextlib
import json
import re
import time

import pytest

from gargoyle.constants import DISABLED, GLOBAL

from .conftest import require_server
from .support import (
    PG_PORT,
    REDIS_PORT,
    WORKERS,
    Driver,
    Gunicorn,
    Hammer,
    TcpProxy,
    process_env,
    report,
    scratch_database,
    wait_for,
)

INTERVAL = 1.0
MARGIN = 5.0
TIMEOUT = 30.0


@pytest.fixture
def stack():
    with contextlib.ExitStack() as exits:
        yield exits


def proxy(stack, upstream: int) -> TcpProxy:
    tcp = TcpProxy(upstream)
    tcp.up()
    stack.callback(tcp.down)
    return tcp


def start_gunicorn(stack, env, path) -> Gunicorn:
    server = Gunicorn(env, path)
    stack.callback(server.close)
    return server


def start_driver(stack, env, path) -> Driver:
    driver = Driver(env, path)
    stack.callback(driver.close)
    return driver


def start_hammer(stack, server, key) -> Hammer:
    hammer = Hammer(server, key)
    stack.callback(hammer.stop)
    return hammer


def pids_logging(log: str, message: str) -> set[int]:
    return {
        int(pid) for pid in re.findall(rf"\[pid (\d+)\] WARNING gargoyle: (?:gargoyle: )?{re.escape(message)}", log)
    }


def wait_all_logged(server: Gunicorn, pids: set[int], message: str) -> float:
    started = time.monotonic()
    wait_for(
        lambda: pids <= pids_logging(server.log(), message),
        TIMEOUT,
        f"not every worker logged {message!r}; worker log:\n{server.log()[-3000:]}",
    )
    return time.monotonic() - started


def errors(answers):
    return [answer for answer in answers if answer.status != 200 or answer.active is None]


def wait_served(hammer: Hammer, since: float, expected: bool, pids: set[int]) -> float:
    """Wait until every worker answered ``expected`` to a request sent after ``since``."""

    def served():
        return pids <= {a.pid for a in hammer.since(since) if a.active is expected}

    wait_for(served, TIMEOUT, f"not every worker served {expected}")
    firsts = {}
    for answer in hammer.since(since):
        if answer.active is expected:
            firsts.setdefault(answer.pid, answer.received)
    return max(firsts[pid] for pid in pids) - since


def test_cache_outage_answers_from_the_snapshot_and_recovers(stack, tmp_path):
    require_server("PostgreSQL", PG_PORT)
    require_server("Redis", REDIS_PORT)
    redis = proxy(stack, REDIS_PORT)
    db_name = stack.enter_context(scratch_database())
    env = process_env(db_name, "redis", cache_location=f"redis://127.0.0.1:{redis.port}/0")
    writer = start_driver(stack, env, tmp_path / "writer.log")
    assert writer.ask("migrate") == {"ok": True}
    assert writer.ask("set", "feature", DISABLED) == {"ok": True}
    server = start_gunicorn(stack, env, tmp_path / "gunicorn.log")
    server.wait_ready("feature")
    pids = server.warm("feature", False)
    assert len(pids) == WORKERS

    hammer = start_hammer(stack, server, "feature")
    time.sleep(0.5)
    # -- the cache goes away -----------------------------------------------------------------
    redis.down()
    down = time.monotonic()
    noticed = wait_all_logged(server, pids, "the cache is unreachable")
    time.sleep(INTERVAL)
    during = hammer.since(down)
    assert during and not errors(during), errors(during)[:5]
    assert all(answer.active is False for answer in during), "answers must come from the last snapshot"
    assert pids <= {answer.pid for answer in during}

    # A change made while the cache is down still reaches every worker, through the
    # database's version, within the interval; the writer's failed publish does not raise.
    assert writer.ask("set", "feature", GLOBAL) == {"ok": True}
    changed = time.monotonic()
    delay_down = wait_served(hammer, changed, True, pids)
    late = [a for a in hammer.since(changed + INTERVAL + 0.25) if a.active is not True]
    assert not late, late[:5]
    assert "the cache is unreachable" in writer.log()

    # -- the cache comes back ----------------------------------------------------------------
    redis.up()
    up = time.monotonic()
    recovered = wait_all_logged(server, pids, "the cache is reachable again")
    # Back on the cache's token: a change is served from each worker's next request again.
    assert writer.ask("set", "feature", DISABLED) == {"ok": True}
    committed = time.monotonic()
    time.sleep(0.3)
    after = list(hammer.since(committed))
    hammer.stop()
    everything = list(hammer.answers)
    assert not errors(everything), errors(everything)[:5]
    stale = [a for a in after if a.active is not False]
    assert not stale, f"stale answers after recovery: {stale[:5]}"
    assert pids <= {a.pid for a in hammer.since(committed)}, "every worker answered after the change"
    assert pids == {a.pid for a in everything}, "no worker was restarted"

    slow = max(a.received - a.sent for a in everything if down <= a.sent <= up)
    report(
        f"cache outage: {len(everything)} requests, 0 errors; {len(during)} answered from the snapshot while "
        f"Redis was down; every worker logged it within {noticed:.2f} s; slowest request during the outage "
        f"{slow * 1000:.0f} ms; a change during the outage reached all workers in {delay_down * 1000:.0f} ms "
        f"(database version, interval {INTERVAL:g} s); every worker back on the cache {recovered:.2f} s "
        f"after it returned, then served changes on the next request"
    )


def test_database_outage_warm_cold_writes_and_recovery(stack, tmp_path):
    require_server("PostgreSQL", PG_PORT)
    require_server("Redis", REDIS_PORT)
    postgres = proxy(stack, PG_PORT)
    db_name = stack.enter_context(scratch_database())
    defaults = json.dumps({"defaulted_on": {"is_active": True}, "defaulted_off": {"is_active": False}})
    direct_env = process_env(db_name, "redis", GARGOYLE_PROD_SWITCH_DEFAULTS=defaults)
    proxied_env = {**direct_env, "GARGOYLE_PROD_DB_PORT": str(postgres.port)}
    admin = start_driver(stack, direct_env, tmp_path / "admin.log")  # never behind the proxy
    assert admin.ask("migrate") == {"ok": True}
    for key, status in (("feature", GLOBAL), ("defaulted_on", DISABLED), ("defaulted_off", GLOBAL)):
        assert admin.ask("set", key, status) == {"ok": True}
    before = admin.ask("state", "feature")
    assert before["version"] is not None

    server = start_gunicorn(stack, proxied_env, tmp_path / "gunicorn.log")
    server.wait_ready("feature")
    pids = server.warm("feature", True)
    writer = start_driver(stack, proxied_env, tmp_path / "writer.log")
    assert writer.ask("request", "feature") == {"active": True, "pid": writer.process.pid}
    hammer = start_hammer(stack, server, "feature")
    time.sleep(0.5)

    # -- the database goes away --------------------------------------------------------------
    postgres.down()
    down = time.monotonic()
    noticed = wait_all_logged(server, pids, "the database is unreachable")
    time.sleep(INTERVAL)
    during = hammer.since(down)
    assert during and not errors(during), errors(during)[:5]
    assert all(answer.active is True for answer in during), "warm workers answer from their snapshot"

    # A cold process answers from GARGOYLE_SWITCH_DEFAULTS and the call's default.
    cold_started = time.monotonic()
    cold = start_driver(stack, proxied_env, tmp_path / "cold.log")
    cold_answers = {
        "defaulted_on": cold.ask("request", "defaulted_on"),
        "defaulted_off": cold.ask("request", "defaulted_off", "1"),
        "feature": cold.ask("request", "feature"),
        "feature, default=True": cold.ask("request", "feature", "1"),
        "unknown, default=True": cold.ask("request", "unknown", "1"),
    }
    cold_time = time.monotonic() - cold_started
    assert {name: answer.get("active", answer) for name, answer in cold_answers.items()} == {
        "defaulted_on": True,
        "defaulted_off": False,
        "feature": False,
        "feature, default=True": True,
        "unknown, default=True": True,
    }
    assert "the database is unreachable" in cold.log()

    # Writes fail with an error naming the connection problem.
    created = writer.ask("create", "created_during_outage")
    assert "OperationalError" in created.get("error", ""), created
    assert "connect" in created["error"].lower(), created
    command = writer.ask("command", "commanded_during_outage")
    assert "error" in command and "connect" in command["error"].lower(), command

    # -- the database comes back -------------------------------------------------------------
    postgres.up()
    recovered = wait_all_logged(server, pids, "the database is reachable again")
    for key in ("created_during_outage", "commanded_during_outage"):
        state = admin.ask("state", key)
        assert state["row"] is None and state["history"] == 0, state
        assert state["version"] == before["version"], "a failed write must not move the version"
        assert state["switches"] == before["switches"]

    # Fresh data again, everywhere, without restarting anything.
    assert writer.ask("set", "feature", DISABLED) == {"ok": True}
    committed = time.monotonic()
    delay = wait_served(hammer, committed, False, pids)
    stale = [a for a in hammer.since(committed) if a.active is not False]
    assert not stale, f"stale answers after recovery: {stale[:5]}"
    assert wait_for(lambda: cold.ask("request", "feature")["active"] is False, INTERVAL + MARGIN, "cold process")
    assert wait_for(lambda: cold.ask("request", "defaulted_on")["active"] is False, INTERVAL + MARGIN, "stored row")
    hammer.stop()
    everything = list(hammer.answers)
    assert not errors(everything), errors(everything)[:5]
    assert pids == {a.pid for a in everything}, "no worker was restarted"
    report(
        f"database outage: {len(everything)} requests, 0 errors; {len(during)} answered from the snapshot; every "
        f"worker logged it within {noticed:.2f} s; cold process answered 5 checks from defaults in {cold_time:.2f} s "
        f"(including start-up); writes failed with OperationalError; workers reconnected {recovered:.2f} s after "
        f"recovery and served the next change to all {WORKERS} in {delay * 1000:.0f} ms"
    )


def test_write_cut_off_inside_its_transaction_leaves_nothing_behind(stack, tmp_path):
    require_server("PostgreSQL", PG_PORT)
    require_server("Redis", REDIS_PORT)
    postgres = proxy(stack, PG_PORT)
    db_name = stack.enter_context(scratch_database())
    direct_env = process_env(db_name, "redis")
    admin = start_driver(stack, direct_env, tmp_path / "admin.log")
    assert admin.ask("migrate") == {"ok": True}
    assert admin.ask("set", "feature", GLOBAL) == {"ok": True}
    before = admin.ask("state", "cut_switch")
    writer = start_driver(stack, {**direct_env, "GARGOYLE_PROD_DB_PORT": str(postgres.port)}, tmp_path / "w.log")

    # The row, the version and the history entry are written; the connection dies before COMMIT.
    writer.send("cut_create", "cut_switch")
    assert writer.read() == {"event": "cut"}
    postgres.cut()
    writer.send("go")
    answer = writer.read()
    assert "error" in answer and re.search(r"OperationalError|InterfaceError", answer["error"]), answer
    after = admin.ask("state", "cut_switch")
    assert after["row"] is None and after["history"] == 0, after
    assert after["version"] == before["version"] and after["switches"] == before["switches"], (before, after)
    # The writer's provisional view of its own write is gone with the transaction.
    assert writer.ask("request", "feature") == {"active": True, "pid": writer.process.pid}
    assert writer.ask("request", "cut_switch", "0")["active"] is False
    report(f"write cut off before COMMIT: {answer['error'].splitlines()[0][:120]!r}; nothing stored")
