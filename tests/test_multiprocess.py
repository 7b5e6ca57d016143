"""Two real OS processes: a change made in one is seen by the other on its next request
with a shared cache (Redis), and within the check interval with a per-process cache."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from gargoyle.constants import DISABLED, GLOBAL

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 1.0


class Worker:
    def __init__(self, env):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.process_worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, *words):
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self):
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(cache):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.process_settings",
            "GARGOYLE_PROCESS_DB": str(tmp_path / "shared.sqlite3"),
            "GARGOYLE_PROCESS_CACHE": cache,
            "GARGOYLE_PROCESS_CACHE_PREFIX": f"gargoyle-mp-{uuid.uuid4().hex}",
            "GARGOYLE_CHECK_INTERVAL": str(INTERVAL),
        }
        writer, reader = Worker(env), Worker(env)
        started.extend([writer, reader])
        assert writer.ask("migrate") == "ok"
        assert writer.ask("set", "feature", DISABLED) == "ok"
        return writer, reader

    yield start
    for worker in started:
        worker.close()


@pytest.mark.skipif(os.environ.get("GARGOYLE_TEST_SERVICES") != "1", reason="needs Redis (GARGOYLE_TEST_SERVICES=1)")
def test_shared_cache_change_is_seen_on_the_next_request(workers):
    writer, reader = workers("redis")
    assert reader.ask("request", "feature") == "False"
    assert writer.ask("set", "feature", GLOBAL) == "ok"
    assert reader.ask("request", "feature") == "True"
    assert writer.ask("set", "feature", DISABLED) == "ok"
    assert reader.ask("request", "feature") == "False"


def test_local_cache_change_is_seen_within_the_check_interval(workers):
    writer, reader = workers("locmem")
    assert reader.ask("request", "feature") == "False"
    assert writer.ask("set", "feature", GLOBAL) == "ok"
    written = time.monotonic()
    while reader.ask("request", "feature") != "True":
        # A loose bound: the interval plus generous room for a busy machine.
        assert time.monotonic() - written < INTERVAL + 10, "the change never reached the other process"
        time.sleep(INTERVAL / 20)
    delay = time.monotonic() - written
    print(f"propagation delay with LocMemCache and a {INTERVAL}s interval: {delay:.3f}s")
    assert writer.ask("request", "feature") == "True", "the writing process sees its change at once"
