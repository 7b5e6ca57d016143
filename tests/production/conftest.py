"""Production tests (issue: many processes, real PostgreSQL/Redis/Memcached, faults, hostile input).

They run in `tox -e production` (GARGOYLE_PRODUCTION_TESTS=1, GARGOYLE_TEST_SERVICES=1) against
the servers on 127.0.0.1: PostgreSQL 5432, Redis 6379 and Memcached 11211 (`.ci/run` installs
and starts Memcached). A missing server skips its tests locally and fails them when CI=true.
"""

import os
import socket

import pytest


def server_is_up(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def require_server(name: str, port: int) -> None:
    """Skip (or, in CI, fail) when a server the test needs is not listening."""
    if server_is_up(port):
        return
    message = f"{name} is not listening on 127.0.0.1:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
