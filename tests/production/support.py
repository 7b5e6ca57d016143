"""Helpers for the production tests: scratch databases, TCP proxies, gunicorn, drivers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_PORT = 5432
REDIS_PORT = 6379
MEMCACHED_PORT = 11211
WORKERS = 8


def report(line: str) -> None:
    """Print a measured number, and append it to $GARGOYLE_PRODUCTION_REPORT when set."""
    print(line)
    path = os.environ.get("GARGOYLE_PRODUCTION_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float, message: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(step)


# -- scratch PostgreSQL databases ------------------------------------------------------------


@contextlib.contextmanager
def scratch_database():
    """A new, empty PostgreSQL database on 127.0.0.1:5432, dropped afterwards."""
    import psycopg

    name = f"gargoyle_prod_{uuid.uuid4().hex[:12]}"
    user = os.environ.get("GARGOYLE_TEST_PG_USER", "postgres")
    admin = f"host=127.0.0.1 port={PG_PORT} user={user} dbname=postgres connect_timeout=5"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- a TCP proxy the tests can shut and reopen -----------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to 127.0.0.1:<upstream>; ``down()`` refuses and cuts everything,
    ``hang()`` keeps accepting but never answers."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0
        self.hanging = False

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening (new connections are refused) and cut every open connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self.cut()

    def hang(self) -> None:
        """Go on accepting connections, new and open ones alike, but forward nothing either way:
        a server that hangs instead of refusing."""
        self.hanging = True

    def answer(self) -> None:
        """Forward again; the connections that hung are cut, as a restarted server's would be."""
        self.hanging = False
        self.cut()

    def cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._listener is not listener:
                client.close()
                return
            if self.hanging:
                with self._lock:
                    self._sockets.add(client)
                threading.Thread(target=self._pump, args=(client, None), daemon=True).start()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket | None) -> None:
        try:
            while data := source.recv(65536):
                if target is not None and not self.hanging:
                    target.sendall(data)
        except OSError:
            pass
        for sock in filter(None, (source, target)):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        with self._lock:
            self._sockets.discard(source)
            self._sockets.discard(target)


# -- processes -------------------------------------------------------------------------------


def process_env(db_name: str, cache: str, *, db_port: int = PG_PORT, cache_location: str | None = None, **extra):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.production.worker_settings",
        "PYTHONPATH": str(ROOT),
        "GARGOYLE_PROD_DB_NAME": db_name,
        "GARGOYLE_PROD_DB_PORT": str(db_port),
        "GARGOYLE_PROD_CACHE": cache,
        "GARGOYLE_PROD_CACHE_PREFIX": f"gargoyle-prod-{uuid.uuid4().hex}",
        "GARGOYLE_CHECK_INTERVAL": "1",
    }
    if cache_location:
        env["GARGOYLE_PROD_CACHE_LOCATION"] = cache_location
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group of the process this test started
            process.wait(timeout=10)


class Driver:
    """A Django process (``driver.py``) answering one JSON line per command."""

    def __init__(self, env: dict, stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.production.driver"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )

    def send(self, *words) -> None:
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()

    def read(self, timeout: float = 60) -> dict:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            raise AssertionError(f"the driver did not answer within {timeout}s; stderr:\n{self.log()}")
        return json.loads(result[0])

    def ask(self, *words, timeout: float = 60) -> dict:
        self.send(*words)
        return self.read(timeout)

    def log(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8")

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.send("quit")
                self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _stop(self.process)
        self._stderr.close()


@dataclass
class Answer:
    sent: float  # monotonic time the request was sent
    received: float
    status: int
    pid: int | None
    active: bool | None
    seq: int | None
    switches: int | None
    error: str | None = None


class Gunicorn:
    """``gunicorn --workers 8`` (no --preload) serving ``tests.production.wsgi_app``."""

    def __init__(self, env: dict, log_path: Path, workers: int = WORKERS) -> None:
        self.port = free_port()
        self.workers = workers
        self.log_path = log_path
        self._log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tests.production.wsgi_app:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "--graceful-timeout",
                "3",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def get(self, key: str, default: bool = False, timeout: float = 20) -> Answer:
        sent = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", f"/switch/{key}/" + ("?default=1" if default else ""))
            response = connection.getresponse()
            body = response.read()
        except OSError as error:
            return Answer(sent, time.monotonic(), 0, None, None, None, None, f"{type(error).__name__}: {error}")
        finally:
            connection.close()
        received = time.monotonic()
        if response.status != 200:
            return Answer(sent, received, response.status, None, None, None, None, body[:500].decode(errors="replace"))
        data = json.loads(body)
        return Answer(sent, received, 200, data["pid"], data["active"], data["seq"], data["switches"])

    def burst(self, key: str, count: int = 32, default: bool = False) -> list[Answer]:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda _: self.get(key, default), range(count)))

    def wait_ready(self, key: str, timeout: float = 60) -> None:
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log()}")
            return self.get(key, timeout=5).status == 200

        wait_for(ready, timeout, f"gunicorn never answered:\n{self.log()}", step=0.2)

    def warm(self, key: str, expected: bool, timeout: float = 60) -> set[int]:
        """Hit the server until all workers have answered (``expected``); return their pids."""
        pids: set[int] = set()

        def all_answered():
            for answer in self.burst(key):
                assert answer.status == 200, answer
                assert answer.active is expected, answer
                pids.add(answer.pid)
            return len(pids) == self.workers

        wait_for(all_answered, timeout, f"not every worker answered: {sorted(pids)}", step=0)
        return pids

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        _stop(self.process)
        self._log.close()


class Hammer:
    """Requests flowing all the time: ``threads`` clients in a loop, every answer recorded."""

    def __init__(self, server: Gunicorn, key: str, threads: int = 8, default: bool = False) -> None:
        self.server, self.key, self.default = server, key, default
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.answers.append(self.server.get(self.key, self.default))
            time.sleep(0.005)

    def since(self, moment: float) -> list[Answer]:
        return [answer for answer in list(self.answers) if answer.sent >= moment]

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
