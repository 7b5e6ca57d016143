"""How long a change made by one process takes to reach another.

The measuring process loops over simulated requests (``request_started``, then
``gargoyle.is_active``) while a second process, started with :mod:`subprocess`, turns the
switch on through the model API and prints the monotonic time at which its save returned
(``CLOCK_MONOTONIC`` is shared by all processes of the machine). The delay is the time from
that moment to the first simulated request that sees the switch on; the loop waits 1 ms
between requests, so that is the resolution.

Run as ``python -m benchmarks.propagation ENV_JSON CACHE_ALIAS KEY`` it is the writer.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.environment import Environment, configure

KEY = "bench_propagation"
ROOT = Path(__file__).resolve().parent.parent


def measure(env: Environment, cache_alias: str, runs: int) -> list[float]:
    """Milliseconds from the other process's committed write to this process seeing it."""
    from django.core.signals import request_started

    from gargoyle import gargoyle
    from gargoyle._conf import get_settings
    from gargoyle.constants import DISABLED
    from gargoyle.models import Switch

    delays = []
    for _ in range(runs):
        switch, _created = Switch.objects.get_or_create(key=KEY)
        switch.status = DISABLED
        switch.save()
        assert gargoyle.is_active(KEY) is False  # a process sees its own write at once
        writer = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.propagation", json.dumps(dataclasses.asdict(env)), cache_alias, KEY],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + get_settings().check_interval + 60
        seen = None
        while seen is None and time.monotonic() < deadline:
            request_started.send(sender=None)
            if gargoyle.is_active(KEY):
                seen = time.monotonic_ns()
            else:
                time.sleep(0.001)
        output, _ = writer.communicate(timeout=60)
        if writer.returncode != 0 or seen is None:
            raise RuntimeError(f"propagation run failed (writer exit {writer.returncode}, seen: {seen is not None})")
        committed = int(output.split()[-1])
        delays.append(max(0, seen - committed) / 1e6)
    return delays


def write(env: Environment, cache_alias: str, key: str) -> None:
    configure(env, cache_alias=cache_alias)
    from gargoyle.constants import GLOBAL
    from gargoyle.models import Switch

    switch = Switch.objects.get(key=key)
    switch.status = GLOBAL
    switch.save()
    print(time.monotonic_ns(), flush=True)


if __name__ == "__main__":
    write(Environment(**json.loads(sys.argv[1])), sys.argv[2], sys.argv[3])
