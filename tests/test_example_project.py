"""Smoke test: the example project checks, migrates, seeds and serves switch-dependent pages.

Runs ``example_project/manage.py`` in subprocesses against a temporary SQLite file.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

MANAGE_PY = Path(__file__).resolve().parent.parent / "example_project" / "manage.py"

DEMO_SWITCHES = {  # key -> status, as seed_demo stores them
    "new_checkout": 3,  # GLOBAL
    "new_checkout:express": 4,  # INHERIT
    "recommendations": 2,  # SELECTIVE (staff only)
    "product_reviews": 1,  # DISABLED
}


@pytest.fixture
def example_env(tmp_path):
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "demo.settings"  # the test run's own settings must not leak in
    env["EXAMPLE_DB_PATH"] = str(tmp_path / "example.sqlite3")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def stored_switches(env):
    with sqlite3.connect(env["EXAMPLE_DB_PATH"]) as db:
        return dict(db.execute("SELECT key, status FROM gargoyle_switch"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url, server, deadline):
    """GET ``url`` once the server accepts connections; give up at ``deadline``."""
    while True:
        assert server.poll() is None, "runserver exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_example_project_serves_pages_that_follow_the_switches(example_env, tmp_path):
    assert "no issues" in manage(example_env, "check")
    manage(example_env, "migrate", "--noinput")

    first = manage(example_env, "seed_demo")
    assert stored_switches(example_env) == DEMO_SWITCHES
    assert first.count("created") == len(DEMO_SWITCHES)
    second = manage(example_env, "seed_demo")  # idempotent: nothing new, nothing changed
    assert "created" not in second
    assert stored_switches(example_env) == DEMO_SWITCHES

    port = free_port()
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(MANAGE_PY), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=example_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        status, page = fetch(url, server, deadline=time.monotonic() + 10)
        assert status == 200
        assert "New checkout: pay in one step." in page  # the view's is_active("new_checkout")
        assert "Classic checkout." not in page
        assert "Express delivery is available." in page  # INHERIT follows its GLOBAL parent
        assert "Reviews are coming soon." in page  # {% ifswitch %}'s else branch
        assert "Customer reviews" not in page
        assert "Recommended for you" not in page  # staff only; this visitor is anonymous

        admin_status, _ = fetch(f"{url}admin/login/", server, deadline=time.monotonic() + 5)
        assert admin_status == 200

        # Another process turns a switch on; the running server picks it up by itself.
        manage(example_env, "add_switch", "product_reviews")
        deadline = time.monotonic() + 6
        while "Customer reviews" not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            _, page = fetch(url, server, deadline)
        assert "Customer reviews" in page
        assert "Reviews are coming soon." not in page
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
