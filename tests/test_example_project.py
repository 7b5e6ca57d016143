"""Smoke test of the example shop: ``manage.py`` check, create_database, migrate, seed_demo
and runserver in subprocesses, then its pages, anonymously and as each demo user logged in
through the login form. On a temporary SQLite file; again on PostgreSQL + Redis
(``EXAMPLE_SERVICES=1``, a database of its own, dropped afterwards) with GARGOYLE_TEST_SERVICES=1.
"""

import base64
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

MANAGE_PY = Path(__file__).resolve().parent.parent / "example_project" / "manage.py"
SERVICES_ONLY = pytest.mark.skipif(
    os.environ.get("GARGOYLE_TEST_SERVICES") != "1", reason="PostgreSQL + Redis: set GARGOYLE_TEST_SERVICES=1"
)

# What each visitor should see, by switch: on for everyone, then on for some users only.
# ("recommendations", 10 % of users, depends on the user's id, and "compact_catalogue", 50 % of
# visitors, on the browser's visitor cookie: checked for consistency only.)
PER_BUCKET = {"recommendations", "compact_catalogue"}
ON_FOR_EVERYONE = {"new_checkout", "new_checkout:express", "catalogue_banner"}
ON_FOR = {
    None: set(),  # anonymous
    "admin": {"product_reviews", "product_reviews:photos"},  # staff
    "alice": {"bulk_ordering", "free_shipping"},  # Pro plan, Germany
    "bob": {"wishlist"},  # Free plan, United States, in the Beta testers group
    "carol": {"product_reviews", "product_reviews:photos", "free_shipping"},  # staff, France
}
# The text each switch puts on the product page when it is on.
PRODUCT_PAGE_SIGNS = {
    "product_reviews": "— Marta",
    "product_reviews:photos": "Review photos",
    "free_shipping": "Free shipping to your country.",
    "recommendations": "<h2>You may also like</h2>",
    "wishlist": "Add to wishlist</button>",
}


# -- the example project in subprocesses -----------------------------------------------------


def manage(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, str(MANAGE_PY), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if check:
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="demo.settings", PYTHONDONTWRITEBYTECODE="1")
    env.pop("EXAMPLE_SERVICES", None)
    return env


def services_env(name):
    """EXAMPLE_* settings for database ``name``, following the suite's GARGOYLE_TEST_* variables."""
    env = dict(base_env(), EXAMPLE_SERVICES="1", EXAMPLE_POSTGRES_NAME=name)
    for suite, example in [("PG_HOST", "POSTGRES_HOST"), ("PG_PORT", "POSTGRES_PORT"), ("PG_USER", "POSTGRES_USER")]:
        if f"GARGOYLE_TEST_{suite}" in os.environ:
            env[f"EXAMPLE_{example}"] = os.environ[f"GARGOYLE_TEST_{suite}"]
    env.setdefault("EXAMPLE_REDIS_URL", os.environ.get("GARGOYLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    return env


def drop_services_data(env):
    import psycopg
    import redis

    name = env["EXAMPLE_POSTGRES_NAME"]
    connection = psycopg.connect(
        dbname="postgres",
        host=env.get("EXAMPLE_POSTGRES_HOST", "127.0.0.1"),
        port=env.get("EXAMPLE_POSTGRES_PORT", "5432"),
        user=env.get("EXAMPLE_POSTGRES_USER", "postgres"),
        autocommit=True,
    )
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cache = redis.Redis.from_url(env["EXAMPLE_REDIS_URL"])
    for key in cache.scan_iter(f"gargoyle-example-{name}:*"):
        cache.delete(key)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("services", marks=SERVICES_ONLY)])
def site(request, tmp_path_factory):
    """The shop, set up from nothing and served: ``(env, base URL)``."""
    if request.param == "sqlite":
        env = dict(base_env(), EXAMPLE_DB_PATH=str(tmp_path_factory.mktemp("example") / "shop.sqlite3"))
    else:
        # One fixed name, dropped before and after: a run that was killed leaves nothing behind
        # for long, since the next one starts by dropping it.
        env = services_env("gargoyle_example_test")
        drop_services_data(env)
        request.addfinalizer(lambda: drop_services_data(env))
    assert "no issues" in manage(env, "check").stdout
    setup = manage(env, "create_database").stdout
    assert ("PostgreSQL" in setup and "Redis" in setup) if request.param == "services" else "SQLite" in setup
    manage(env, "migrate", "--noinput")
    assert "Created 86 demo objects." in manage(env, "seed_demo").stdout

    port = free_port()
    log = (tmp_path_factory.mktemp("log") / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(MANAGE_PY), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while Visitor(base).get("/")[0] is None:
            assert server.poll() is None and time.monotonic() < deadline, "runserver did not start"
            time.sleep(0.1)
        yield env, base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


# -- a browser: cookies, CSRF, no automatic redirects --------------------------------------------


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect then arrives as an HTTPError with its status and Location


class Visitor:
    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects())

    def get(self, path):
        """``(status, page, Location)``; ``status`` is None while nothing listens."""
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path, data):
        return self._open(urllib.request.Request(self.base + path, urllib.parse.urlencode(data).encode()))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode(), response.headers.get("Location")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers.get("Location")
        except OSError:  # refused, reset, timed out
            return None, "", None

    def post_form(self, path, data, token_page):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', token_page)[1]
        return self.post(path, {"csrfmiddlewaretoken": token, **data})

    def log_in(self, username, password=None):
        status, page, _ = self.get("/accounts/login/")
        assert status == 200
        login = self.post_form("/accounts/login/", {"username": username, "password": password or username}, page)
        assert login[0::2] == (302, "/"), f"{username} could not log in"

    def footer(self, path="/"):
        """The footer's switches that are on for this visitor."""
        status, page, _ = self.get(path)
        assert status == 200, path
        return {key for key, state in re.findall(r"<code>([\w:]+)</code> (on|off)</li>", page) if state == "on"}


def basic_auth_get(base, path, username):
    """``(status, body)`` of a GET with HTTP Basic credentials (the demo password is the username)."""
    token = base64.b64encode(f"{username}:{username}".encode()).decode()
    request = urllib.request.Request(base + path, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# -- the tests -------------------------------------------------------------------------------------


def test_seed_demo_makes_each_status_twice_and_changes_nothing_when_run_again(site):
    env, _ = site
    statuses = [switch["status"] for switch in json.loads(manage(env, "list_switches", "--json").stdout)]
    assert all(statuses.count(status) >= 2 for status in ("Global", "Selective", "Inherit", "Disabled")), statuses

    # Left out: what the shop's running processes write by themselves meanwhile: the usage
    # counts (flushed every 2 s in the demo) and quick_view's rollout (any process, this
    # dumpdata's system checks included, may evaluate it and store its latest decision).
    dump = ["dumpdata", "gargoyle", "shop", "auth.user", "--exclude", "gargoyle.switchusage"]
    for model in ("rollout", "rolloutsample", "rolloutsubject"):
        dump += ["--exclude", f"gargoyle.{model}"]
    before = manage(env, *dump).stdout
    again = manage(env, "seed_demo").stdout
    assert "Nothing changed: the demo data was already there." in again
    assert "alice / alice" in again  # the logins are printed each time
    assert manage(env, *dump).stdout == before  # not a row written, not a date touched


def test_the_switches_declared_in_the_settings_are_as_seed_demo_made_them(site):
    """demo/settings.py's GARGOYLE_SWITCHES and shop/demo_data.py agree: run.sh's deploy step writes nothing."""
    env, _ = site
    output = manage(env, "sync_switches", "--check", "--update").stdout
    assert "gift_cards: in sync" in output and "new_checkout:express: in sync" in output


def test_anonymous_visitor(site):
    _, base = site
    visitor = Visitor(base)
    expected = {
        "/": 200,
        "/products/burr-grinder/": 200,
        "/products/no-such-product/": 404,
        "/checkout/": 200,
        "/checkout/express/": 200,  # new_checkout:express inherits new_checkout, Global
        "/gift-cards/": 404,  # SwitchActiveMixin, gift_cards Disabled
        "/bulk-order/": 404,  # @switch_is_active, bulk_ordering for the Pro plan
        "/accounts/login/": 200,
        "/static/shop/shop.css": 200,
    }
    assert {path: visitor.get(path)[0] for path in expected} == expected
    status, _, location = visitor.get("/admin/gargoyle/switch/")
    assert (status, location) == (302, "/admin/login/?next=/admin/gargoyle/switch/")

    _, catalogue, _ = visitor.get("/")
    assert "Winter sale" in catalogue  # {% ifswitch catalogue_banner %}
    assert "Bulk ordering comes with the Pro plan" in catalogue  # {% ifnotswitch bulk_ordering %}
    _, login, _ = visitor.get("/accounts/login/")
    assert all(f"<td><code>{name}</code></td><td><code>{name}</code></td>" in login for name in ON_FOR if name)
    assert "<td><code>shopper01</code> … <code>shopper60</code></td><td><code>shopper</code></td>" in login
    _, checkout, _ = visitor.get("/checkout/?product=burr-grinder")
    assert "One-step checkout" in checkout  # is_active("new_checkout", request) in the view
    assert visitor.post_form("/checkout/", {"product": "burr-grinder"}, checkout)[0::2] == (302, "/")
    assert "Burr grinder went through the one-step checkout" in visitor.get("/")[1]


@pytest.mark.parametrize("username", [None, "admin", "alice", "bob", "carol"])
def test_pages_follow_the_switches_for_each_visitor(site, username):
    _, base = site
    visitor = Visitor(base)
    if username:
        visitor.log_in(username)
        assert f"Logged in as <strong>{username}</strong>" in visitor.get("/")[1]
    on = visitor.footer()
    assert on - PER_BUCKET == ON_FOR_EVERYONE | ON_FOR[username]
    if username is None:
        assert "recommendations" not in on  # a percent of users: never the anonymous visitor

    _, product, _ = visitor.get("/products/pour-over-kettle/")
    for key, sign in PRODUCT_PAGE_SIGNS.items():
        assert (sign in product) == (key in on), key
    assert ("Reviews are coming soon." in product) != ("product_reviews" in on)
    assert ("Shipping: €4.90." in product) != ("free_shipping" in on)

    bulk_order = visitor.get("/bulk-order/")
    assert bulk_order[0] == (200 if "bulk_ordering" in on else 404)
    if "bulk_ordering" in on:
        placed = visitor.post_form("/bulk-order/", {"lines": "house-beans 12\nmilk-frother 3"}, bulk_order[1])
        assert placed[0::2] == (302, "/")
        assert "Bulk order of 2 lines received" in visitor.get("/")[1]

    # The same switch guards the Django REST framework API (shop/api.py), for the user the
    # framework authenticates: the session's, or HTTP Basic's with no session at all.
    api = {None: 401}.get(username) or (200 if "bulk_ordering" in on else 404)
    assert visitor.get("/api/price-list/?format=json")[0] == api
    if username:
        assert basic_auth_get(base, "/api/price-list/?format=json", username)[0] == api

    # The Jinja2 page (shop/jinja2/shop/deals.html): the extension's tags judge the same user.
    _, deals, _ = visitor.get("/deals/")
    assert "Spring sale" in deals  # catalogue_banner: on for everyone
    assert ("Free shipping to your country." in deals) == ("free_shipping" in on)
    assert ('href="/api/price-list/"' in deals) == ("bulk_ordering" in on)

    panel = {None: 302, "admin": 200, "alice": 302, "bob": 302, "carol": 200}[username]  # carol: view only
    assert visitor.get("/admin/gargoyle/switch/")[0] == panel

    if username:
        _, page, _ = visitor.get("/")
        assert visitor.post_form("/accounts/logout/", {}, page)[0] == 302
        assert "Not logged in" in visitor.get("/")[1]


def test_a_visitor_keeps_its_half_of_compact_catalogue(site):
    """A visitor percent switch: the visitor cookie is set once, and the answer sticks to it."""
    _, base = site
    visitor = Visitor(base)
    answers = {"compact_catalogue" in visitor.footer(path) for path in ("/", "/checkout/", "/")}
    assert len(answers) == 1  # the same answer on every page
    [cookie] = [cookie for cookie in visitor.cookies if cookie.name == "gargoyle_visitor"]
    _, catalogue, _ = visitor.get("/")
    assert ('class="products compact"' in catalogue) == answers.pop()
    another = Visitor(base)
    another.cookies.set_cookie(cookie)  # a client with the same cookie is the same visitor
    assert ("compact_catalogue" in another.footer()) == ("compact_catalogue" in visitor.footer())


def test_switches_changed_by_another_process_show_in_the_running_shop(site):
    env, base = site
    visitor = Visitor(base)

    def eventually(condition):
        # LocMemCache: seen within GARGOYLE_CHECK_INTERVAL (1 s); Redis: on the next request.
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, "the running server did not pick up the change"
            time.sleep(0.2)

    manage(env, "add_switch", "new_checkout", "--disabled")
    manage(env, "add_switch", "gift_cards")  # Global
    try:
        eventually(lambda: "Classic checkout" in visitor.get("/checkout/")[1])
        assert visitor.get("/checkout/express/")[0::2] == (302, "/checkout/")  # its parent is off
        eventually(lambda: visitor.get("/gift-cards/")[0] == 200)
        assert 'href="/gift-cards/"' in visitor.get("/")[1]  # {% ifswitch gift_cards %} in the menu
    finally:
        manage(env, "add_switch", "new_checkout")
        manage(env, "add_switch", "gift_cards", "--disabled")
    eventually(lambda: visitor.get("/checkout/express/")[0] == 200)


def test_the_readme_walk_through_a_percent_rollout_of_dark_mode(site):
    """example_project/README.rst's "Try it", through the panel's own JSON API."""
    _, base = site
    api = "/admin/gargoyle/switch/api/"
    users = {name: Visitor(base) for name in ("admin", "alice", "bob", "carol")}
    for name, visitor in users.items():
        visitor.log_in(name)
    users["shopper05"] = Visitor(base)
    users["shopper05"].log_in("shopper05", "shopper")
    admin = users["admin"]
    token_page = admin.get("/")[1]
    percent = {"key": "dark_mode", "id": "gargoyle.builtins.UserConditionSet(auth.user)", "field": "percent"}

    def rollout(low, high):
        added = {**percent, "exclude": "0", "percent[min]": low, "percent[max]": high}
        assert admin.post_form(f"{api}conditions/add/", added, token_page)[0] == 200
        return {name for name, visitor in users.items() if "dark_mode" in visitor.footer()}

    assert users["carol"].post_form(f"{api}status/", {"key": "dark_mode", "status": "2"}, token_page)[0] == 403
    try:
        assert admin.post_form(f"{api}status/", {"key": "dark_mode", "status": "2"}, token_page)[0] == 200
        assert rollout("0", "10") == {"shopper05"}  # of the named users and shopper05, in a fresh database
        # docs/getting-started.rst shows these buckets: one user inside 0-10, one outside
        for name, said in [
            ("shopper05", "shopper05 is in bucket 3.62 of dark_mode: inside 0\u201310"),
            ("alice", "alice is in bucket 31.24 of dark_mode: outside 0\u201310"),
        ]:
            status, reply, _ = admin.get(f"{api}preview/?key=dark_mode&username={name}")
            assert status == 200
            assert [bucket["text"] for bucket in json.loads(reply)["data"]["buckets"]] == [said]
        status, reply, _ = admin.get(f"{api}audience/?key=dark_mode")
        assert json.loads(reply)["data"] == {"on": 6, "of": 64, "capped": False}
        admin.post_form(f"{api}conditions/remove/", {**percent, "value": "0-10"}, token_page)
        assert rollout("0", "50") == {"alice", "shopper05"}  # widening only adds people
        assert '<body class="dark">' in users["alice"].get("/")[1]
    finally:
        admin.post_form(f"{api}status/", {"key": "dark_mode", "status": "1"}, token_page)
        admin.post_form(f"{api}conditions/remove/", {**percent, "value": "0-50"}, token_page)


def test_create_database_names_an_unreachable_postgresql():
    pytest.importorskip("psycopg")
    port = str(free_port())  # nothing listens there
    env = dict(base_env(), EXAMPLE_SERVICES="1", EXAMPLE_POSTGRES_HOST="127.0.0.1", EXAMPLE_POSTGRES_PORT=port)
    env["EXAMPLE_POSTGRES_USER"] = "postgres"
    result = manage(env, "create_database", check=False)
    assert result.returncode == 1
    assert f"PostgreSQL is not reachable at postgres@127.0.0.1:{port}" in result.stderr
    assert "EXAMPLE_SERVICES" in result.stderr  # and what to do about it
