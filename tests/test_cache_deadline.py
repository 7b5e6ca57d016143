"""A cache that hangs rather than refuses: gargoyle's version token waits GARGOYLE_CACHE_TIMEOUT
at most (gargoyle._runtime.token_cache), once per interval, for requests and writers alike.

The tests against a server that accepts connections and never answers need redis or
pymemcache (the ``services`` tox environment has both); the others need no server.
"""

import contextlib
import gc
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test import override_settings

from gargoyle._conf import get_settings
from gargoyle._runtime.token_cache import (
    DJANGO_REDIS,
    PYLIBMC,
    PYMEMCACHE,
    REDIS,
    bounded_params,
    token_cache,
)
from gargoyle._storage import version as db_version
from gargoyle.checks import check_settings
from gargoyle.constants import DISABLED, GLOBAL
from gargoyle.manager import SwitchManager, gargoyle
from gargoyle.models import Switch

# Fail rather than hang when the wait is not bounded: a default client would wait for ever.
GUARD = 5.0


class HangingServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts the bytes it was sent."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.received = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
            threading.Thread(target=self._drain, args=(client,), daemon=True).start()

    def _drain(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self._lock:
                    self.received += len(data)

    def close(self) -> None:
        """Stop, and cut every connection: a client still waiting gets an error and returns."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def worker():
    """``worker(function)``: the result of ``function()``, called in one thread that stands
    for a server's worker thread (its cache clients last from call to call); fails if it has
    not returned after GUARD seconds."""
    pool = ThreadPoolExecutor(max_workers=1)

    def call(function):
        def run():
            try:
                return function()
            finally:
                connection.close()

        try:
            return pool.submit(run).result(timeout=GUARD)
        except FutureTimeout:
            pytest.fail(f"still waiting on the cache after {GUARD} s")

    yield call
    pool.shutdown(wait=False)  # a call still hanging returns when the server closes


def unreachable_warnings(caplog):
    return [r.getMessage() for r in caplog.records if "the cache is unreachable" in r.getMessage()]


def in_a_request(key):
    request_started.send(sender=None)
    try:
        return gargoyle.is_active(key)
    finally:
        request_finished.send(sender=None)


HANGING_BACKENDS = {
    "redis": (REDIS, "redis://127.0.0.1:{port}/0"),
    "pymemcache": (PYMEMCACHE, "127.0.0.1:{port}"),
}


@pytest.fixture(params=sorted(HANGING_BACKENDS))
def hanging(request, transactional_db):
    """Switch ``feature`` stored Global, then gargoyle's cache pointed at a hanging server."""
    pytest.importorskip(request.param)
    Switch.objects.create(key="feature", status=GLOBAL)
    gc.collect()  # managers of earlier tests would each wait on the cache for a write
    server = HangingServer()
    backend, location = HANGING_BACKENDS[request.param]
    hanging_cache = {"BACKEND": backend, "LOCATION": location.format(port=server.port)}
    override = override_settings(
        CACHES={**settings.CACHES, "hanging": hanging_cache},
        GARGOYLE_CACHE_NAME="hanging",
        GARGOYLE_CHECK_INTERVAL=60,  # one back-off spans the whole test
    )
    with override:
        yield server
    server.close()
    gargoyle._runtime._failing.discard("cache")  # the next test's cache is another one


def test_a_request_gives_up_on_a_hanging_cache_and_answers(hanging, worker, caplog):
    with caplog.at_level(logging.WARNING, "gargoyle"):
        assert worker(lambda: in_a_request("feature")) is True
    assert hanging.received > 0, "the version check asked the hanging server"
    [warning] = unreachable_warnings(caplog)
    assert "TimeoutError" in warning

    # Backing off: the following requests of the interval do not wait on the cache again.
    asked = hanging.received
    with caplog.at_level(logging.WARNING, "gargoyle"):
        for _ in range(3):
            assert worker(lambda: in_a_request("feature")) is True
        assert hanging.received == asked

        # Once the back-off ends (refresh() ends it at once) the cache is asked again, and a
        # cache that still hangs is not taken for one that answered (pymemcache's HashClient
        # would answer None without asking, for a second after a failure).
        worker(gargoyle.refresh)
    assert hanging.received > asked
    assert len(unreachable_warnings(caplog)) == 1
    assert not [r for r in caplog.records if "reachable again" in r.getMessage()]


def test_a_write_gives_up_on_a_hanging_cache_and_moves_the_database_version(hanging, worker, caplog):
    def write(status):
        switch = Switch.objects.get(key="feature")
        switch.status = status
        switch.save()

    version = db_version.read_db_version()
    with caplog.at_level(logging.WARNING, "gargoyle"):
        worker(lambda: write(DISABLED))
    assert hanging.received > 0, "the writer tried to publish the new token"
    [warning] = unreachable_warnings(caplog)
    assert "TimeoutError" in warning
    # Other processes see the change through the database version, as in any cache outage.
    assert db_version.read_db_version() != version

    # The writer sees its change, and its next writes of the interval publish nothing: neither
    # waits on the cache again.
    asked = hanging.received
    assert worker(lambda: in_a_request("feature")) is False
    version = db_version.read_db_version()
    worker(lambda: write(GLOBAL))
    assert db_version.read_db_version() != version
    assert worker(lambda: in_a_request("feature")) is True
    assert hanging.received == asked


# -- the forced options (no server needed) ---------------------------------------------------


class SiteRedisCache(RedisCache):
    """A project's own subclass of a known backend."""

    closed = 0

    def close(self, **kwargs):
        SiteRedisCache.closed += 1


FORCED = [
    pytest.param(
        {
            "BACKEND": REDIS,
            "LOCATION": "redis://primary:6379/1?socket_timeout=30;rediss://replica:6379/1",
            "KEY_PREFIX": "site",
            "OPTIONS": {"db": 1, "socket_timeout": 30, "retry_on_timeout": True, "retry": object()},
        },
        {
            "BACKEND": REDIS,
            "LOCATION": "redis://primary:6379/1?socket_timeout=0.25&socket_connect_timeout=0.25,"
            "rediss://replica:6379/1?socket_timeout=0.25&socket_connect_timeout=0.25",
            "KEY_PREFIX": "site",
            "OPTIONS": {"db": 1, "socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        },
        id="RedisCache",
    ),
    pytest.param(
        {"BACKEND": PYMEMCACHE, "LOCATION": "cache:11211", "OPTIONS": {"timeout": 30, "no_delay": True}},
        {
            "BACKEND": PYMEMCACHE,
            "LOCATION": "cache:11211",
            "OPTIONS": {
                "timeout": 0.25,
                "connect_timeout": 0.25,
                "no_delay": True,
                "ignore_exc": False,
                "retry_timeout": 0,
                "dead_timeout": 0,
            },
        },
        id="PyMemcacheCache",
    ),
    pytest.param(
        {"BACKEND": PYLIBMC, "LOCATION": "cache:11211", "OPTIONS": {"binary": True, "behaviors": {"tcp_nodelay": 1}}},
        {
            "BACKEND": PYLIBMC,
            "LOCATION": "cache:11211",
            "OPTIONS": {
                "binary": True,
                "behaviors": {
                    "tcp_nodelay": 1,
                    "connect_timeout": 250,  # milliseconds
                    "_poll_timeout": 250,  # milliseconds
                    "receive_timeout": 250_000,  # microseconds
                    "send_timeout": 250_000,  # microseconds
                },
            },
        },
        id="PyLibMCCache",
    ),
    pytest.param(
        {
            "BACKEND": DJANGO_REDIS,
            "LOCATION": "redis://primary:6379/1,redis://replica:6379/1?ssl_cert_reqs=none&retry_on_timeout=true",
            "OPTIONS": {"SOCKET_TIMEOUT": 30, "IGNORE_EXCEPTIONS": True},
        },
        {
            "BACKEND": DJANGO_REDIS,
            "LOCATION": "redis://primary:6379/1?socket_timeout=0.25&socket_connect_timeout=0.25,"
            "redis://replica:6379/1?ssl_cert_reqs=none&socket_timeout=0.25&socket_connect_timeout=0.25",
            "OPTIONS": {"SOCKET_TIMEOUT": 0.25, "SOCKET_CONNECT_TIMEOUT": 0.25, "IGNORE_EXCEPTIONS": False},
        },
        id="django-redis",
    ),
    pytest.param(
        {"BACKEND": "tests.test_cache_deadline.SiteRedisCache", "LOCATION": "redis://cache:6379/1"},
        {
            "BACKEND": "tests.test_cache_deadline.SiteRedisCache",
            "LOCATION": "redis://cache:6379/1?socket_timeout=0.25&socket_connect_timeout=0.25",
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        },
        id="a-subclass",
    ),
]


@pytest.mark.parametrize(("params", "expected"), FORCED)
def test_the_timeout_is_forced_on_each_known_backend(params, expected):
    given = repr(params)
    assert bounded_params(params, 0.25) == expected
    assert repr(params) == given, "the site's own CACHES entry is left alone"


def test_a_list_of_django_redis_locations_stays_a_list():
    params = {"BACKEND": DJANGO_REDIS, "LOCATION": ["redis://a:6379/0", "redis://b:6379/0"]}
    assert bounded_params(params, 0.5)["LOCATION"] == [
        "redis://a:6379/0?socket_timeout=0.5&socket_connect_timeout=0.5",
        "redis://b:6379/0?socket_timeout=0.5&socket_connect_timeout=0.5",
    ]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.db.DatabaseCache",
        "not_installed.cache.Backend",
    ],
)
def test_other_backends_are_not_touched(backend):
    assert bounded_params({"BACKEND": backend}, 0.25) is None


TOKEN_CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "token": {"BACKEND": "tests.test_cache_deadline.SiteRedisCache", "LOCATION": "redis://cache:6379/0"},
    "files": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "unused"},
}


def forced_timeouts(client):
    return {name: client._options.get(name) for name in ("socket_timeout", "socket_connect_timeout")}


@override_settings(CACHES=TOKEN_CACHES)
def test_gargoyle_uses_a_client_of_its_own_that_follows_the_setting():
    client = token_cache("token")
    assert isinstance(client, SiteRedisCache) and client is not caches["token"]
    assert client.key_prefix == caches["token"].key_prefix
    assert forced_timeouts(client) == {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
    assert token_cache("token") is client, "built once per thread"
    assert token_cache("files") is caches["files"], "a backend gargoyle does not know, as configured"

    with override_settings(GARGOYLE_CACHE_TIMEOUT=0.1):
        assert forced_timeouts(token_cache("token")) == {"socket_timeout": 0.1, "socket_connect_timeout": 0.1}
    with override_settings(GARGOYLE_CACHE_TIMEOUT=None):
        assert token_cache("token") is caches["token"]
    assert forced_timeouts(token_cache("token")) == {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}


@override_settings(CACHES=TOKEN_CACHES)
@pytest.mark.django_db  # request_finished closes old database connections
def test_each_thread_has_its_client_closed_at_the_end_of_its_requests():
    client = token_cache("token")
    other = []
    thread = threading.Thread(target=lambda: other.append(token_cache("token")))
    thread.start()
    thread.join()
    assert other[0] is not client and isinstance(other[0], SiteRedisCache)
    closed = SiteRedisCache.closed
    request_finished.send(sender=None)
    assert SiteRedisCache.closed == closed + 1, "this thread's client only"


@override_settings(CACHES=TOKEN_CACHES)
def test_a_manager_talks_through_the_bounded_client_unless_given_an_instance():
    assert isinstance(SwitchManager(cache="token")._runtime._cache(), SiteRedisCache)
    assert SwitchManager(cache="token")._runtime._cache() is not caches["token"]
    given = caches["token"]
    assert SwitchManager(cache=given)._runtime._cache() is given
    with override_settings(GARGOYLE_CACHE_NAME="token"):
        assert gargoyle._runtime._cache() is token_cache("token")


@pytest.mark.parametrize("value", [0.25, 1, 30, None])
def test_valid_cache_timeouts_pass_the_check(value):
    with override_settings(GARGOYLE_CACHE_TIMEOUT=value):
        assert check_settings() == []
        assert get_settings().cache_timeout == value


@pytest.mark.parametrize("value", [0, -1, "0.25", True, float("nan"), float("inf")])
def test_invalid_cache_timeouts_are_reported_and_replaced_by_the_default(value):
    with override_settings(GARGOYLE_CACHE_TIMEOUT=value):
        [error] = check_settings()
        assert error.id == "gargoyle.E009"
        assert get_settings().cache_timeout == 0.25
