"""The snapshot runtime (docs/architecture.rst, "Freshness"): no SQL on the hot path, bounded version checks,
writes seen at once here and on the next request elsewhere, failures that never raise."""

import logging
import threading
import time
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.signals import request_started
from django.db import OperationalError, connection, transaction
from django.test import override_settings

from gargoyle._runtime import versions
from gargoyle._storage import version as db_version
from gargoyle.builtins import UserConditionSet
from gargoyle.constants import DISABLED, GLOBAL, SELECTIVE
from gargoyle.manager import SwitchManager
from gargoyle.models import Switch

pytestmark = pytest.mark.django_db

# Tests that stand in for other processes commit their writes (transaction=True): inside a
# test's transaction, the writing thread deliberately keeps its own provisional view.
committed = pytest.mark.django_db(transaction=True)

FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


def manager(**kwargs):
    """A fresh manager (as an old test suite would build), with the user condition set."""
    fresh = SwitchManager(Switch, key="key", value="value", instances=True, auto_create=False, **kwargs)
    fresh.register(UserConditionSet(User))
    return fresh


def write_from_another_process(key, status, *, cache=None):
    """Change a switch the way another process would: SQL, the version row, the cache token."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE gargoyle_switch SET status = %s WHERE key = %s", [status, key])
    db_version.bump_db_version()
    if cache is not None:
        versions.publish_cache_token(cache)


def closing_connection(function):
    """Run ``function`` in a thread that closes its own database connection afterwards."""

    def run():
        try:
            function()
        finally:
            connection.close()

    return threading.Thread(target=run)


def new_request():
    request_started.send(sender=None)


LOCAL_CACHE = override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})


@pytest.fixture
def shared_cache(tmp_path):
    """A cache other processes could share (file based): the per-request check applies."""
    with override_settings(CACHES={"default": {"BACKEND": FILE_CACHE, "LOCATION": str(tmp_path)}}):
        yield caches["default"]


class TestHotPath:
    def test_is_active_runs_no_sql(self, django_assert_num_queries):
        gm = manager(timeout=60)
        Switch.objects.create(key="on", status=GLOBAL)
        Switch.objects.create(key="users", status=SELECTIVE, value={"auth.user": {"username": [["i", "bob"]]}})
        bob = User.objects.create(username="bob")
        gm.is_active("on")  # first use loads the snapshot
        with django_assert_num_queries(0):
            for _ in range(100):
                assert gm.is_active("on")
                assert gm.is_active("users", bob)
                assert not gm.is_active("unknown")

    @committed
    def test_one_cache_read_per_request_however_many_checks(self, shared_cache):
        gm = manager(timeout=60)
        Switch.objects.create(key="on", status=GLOBAL)
        gm.is_active("on")
        with mock.patch.object(shared_cache, "get", wraps=shared_cache.get) as cache_get:
            for _ in range(3):
                new_request()
                for _ in range(50):
                    gm.is_active("on")
        assert cache_get.call_count == 3

    @LOCAL_CACHE
    def test_no_cache_reads_with_a_process_local_cache(self):
        gm = manager(timeout=60)
        gm.is_active("on")
        cache = caches["default"]
        with mock.patch.object(cache, "get", wraps=cache.get) as cache_get:
            new_request()
            gm.is_active("on")
        assert cache_get.call_count == 0


@committed
class TestFreshness:
    def test_the_writing_process_sees_its_change_at_once(self):
        gm = manager(timeout=60)
        switch = Switch.objects.create(key="feature", status=DISABLED)
        assert not gm.is_active("feature")
        switch.status = GLOBAL
        switch.save()
        assert gm.is_active("feature")
        Switch.objects.filter(key="feature").update(status=DISABLED)
        assert not gm.is_active("feature")
        Switch.objects.filter(key="feature").delete()
        assert not gm.is_active("feature")

    def test_shared_cache_other_process_change_is_seen_on_the_next_request(self, shared_cache):
        gm = manager(timeout=60)
        Switch.objects.create(key="feature", status=DISABLED)
        new_request()
        assert not gm.is_active("feature")
        write_from_another_process("feature", GLOBAL, cache=shared_cache)
        assert not gm.is_active("feature"), "no new request yet: the snapshot stands"
        new_request()
        assert gm.is_active("feature")

    @LOCAL_CACHE
    def test_local_cache_other_process_change_is_seen_within_the_interval(self):
        gm = manager(timeout=0.2)
        Switch.objects.create(key="feature", status=DISABLED)
        assert not gm.is_active("feature")
        write_from_another_process("feature", GLOBAL)
        new_request()
        assert not gm.is_active("feature"), "requests do not check without a shared cache"
        time.sleep(0.25)
        assert gm.is_active("feature")

    def test_evicted_cache_token_reloads_once(self, shared_cache, django_assert_num_queries):
        gm = manager(timeout=60)
        Switch.objects.create(key="feature", status=GLOBAL)
        new_request()
        gm.is_active("feature")
        shared_cache.delete(versions.CACHE_KEY)
        new_request()
        with django_assert_num_queries(4):  # version, rows, the next scheduled change, the running rollouts
            assert gm.is_active("feature")
        new_request()
        with django_assert_num_queries(0):
            assert gm.is_active("feature")

    def test_refresh_picks_up_raw_sql(self):
        gm = manager(timeout=60)
        Switch.objects.create(key="feature", status=DISABLED)
        assert not gm.is_active("feature")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE gargoyle_switch SET status = %s", [GLOBAL])
        gm.refresh()
        assert gm.is_active("feature")


class TestTransactions:
    def test_rolled_back_write_is_forgotten(self):
        gm = manager(timeout=60)
        assert not gm.is_active("feature")

        class Abort(Exception):
            pass

        with pytest.raises(Abort), transaction.atomic():
            Switch.objects.create(key="feature", status=GLOBAL)
            assert gm.is_active("feature"), "the writer sees its uncommitted change"
            raise Abort
        assert not gm.is_active("feature")

    def test_uncommitted_writes_are_invisible_to_other_threads(self):
        gm = manager(timeout=60)
        gm.is_active("feature")
        seen = {}
        with transaction.atomic():
            Switch.objects.create(key="feature", status=GLOBAL)
            assert gm.is_active("feature")
            thread = closing_connection(lambda: seen.setdefault("other", gm.is_active("feature")))
            thread.start()
            thread.join()
        assert seen["other"] is False


@committed
class TestFailures:
    def test_cache_outage_answers_from_the_snapshot_and_recovers(self, shared_cache, caplog):
        gm = manager(timeout=0)
        Switch.objects.create(key="feature", status=GLOBAL)
        new_request()
        assert gm.is_active("feature")
        with (
            mock.patch.object(shared_cache, "get", side_effect=ConnectionError("redis down")),
            caplog.at_level(logging.WARNING, "gargoyle"),
        ):
            for _ in range(5):
                new_request()
                assert gm.is_active("feature")
        warnings = [r for r in caplog.records if "cache is unreachable" in r.getMessage()]
        assert len(warnings) == 1
        write_from_another_process("feature", DISABLED, cache=shared_cache)
        new_request()
        assert not gm.is_active("feature")

    def test_database_outage_keeps_a_warm_snapshot(self, caplog):
        gm = manager(timeout=0)
        Switch.objects.create(key="feature", status=GLOBAL)
        assert gm.is_active("feature")
        broken = mock.patch("gargoyle._storage.version.read_db_version", side_effect=OperationalError("db down"))
        with broken, caplog.at_level(logging.WARNING, "gargoyle"):
            gm._runtime._want_reload()
            for _ in range(3):
                assert gm.is_active("feature")
        assert any("database is unreachable" in r.getMessage() for r in caplog.records)

    @override_settings(GARGOYLE_SWITCH_DEFAULTS={"declared": {"is_active": True}})
    def test_cold_start_without_database_answers_from_code_defaults(self):
        gm = manager(timeout=60)
        with mock.patch.object(SwitchManager, "_load_rows", side_effect=OperationalError("db down")):
            assert gm.is_active("declared")
            assert gm.is_active("undeclared", default=True)
            assert not gm.is_active("undeclared")

    def test_a_failing_condition_set_affects_only_its_switch(self, caplog):
        class Broken(UserConditionSet):
            def get_field_value(self, instance, field_name):
                raise RuntimeError("bug in a custom condition set")

        gm = manager(timeout=60)
        gm.unregister(UserConditionSet(User))
        gm.register(Broken(User))
        Switch.objects.create(key="broken", status=SELECTIVE, value={"auth.user": {"username": [["i", "bob"]]}})
        Switch.objects.create(key="fine", status=GLOBAL)
        bob = User.objects.create(username="bob")
        with caplog.at_level(logging.WARNING, "gargoyle"):
            assert gm.is_active("broken", bob, default=True)
            assert not gm.is_active("broken", bob)
        assert gm.is_active("fine")
        assert len([r for r in caplog.records if "'broken'" in r.getMessage()]) == 1


class TestRegistryChanges:
    def test_unregistered_condition_set_turns_the_switch_to_its_default(self, django_assert_num_queries):
        gm = manager(timeout=60)
        Switch.objects.create(key="users", status=SELECTIVE, value={"auth.user": {"username": [["i", "bob"]]}})
        bob = User.objects.create(username="bob")
        assert gm.is_active("users", bob)
        with django_assert_num_queries(0):
            gm.unregister(UserConditionSet(User))
            assert gm.is_active("users", bob, default=True)
            assert not gm.is_active("users", bob)
            assert "users" in gm.problems()
            gm.register(UserConditionSet(User))
            assert gm.is_active("users", bob)


@committed
class TestThreads:
    def test_reload_is_single_flight(self):
        gm = manager(timeout=60)
        Switch.objects.create(key="feature", status=GLOBAL)
        gm.is_active("feature")
        loads = []
        real_load = SwitchManager._load_rows

        def slow_load(self):
            loads.append(1)
            time.sleep(0.2)
            return real_load(self)

        gm._runtime._want_reload()
        results = []
        with mock.patch.object(SwitchManager, "_load_rows", slow_load):
            threads = [closing_connection(lambda: results.append(gm.is_active("feature"))) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert results == [True] * 8
        assert len(loads) <= 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)")
@committed
def test_concurrent_condition_edits_lose_nothing():
    Switch.objects.create(key="crowded", status=SELECTIVE)
    user_conditions = "gargoyle.builtins.UserConditionSet(auth.user)"
    barrier = threading.Barrier(4)

    def add_names(worker):
        from gargoyle import gargoyle

        barrier.wait()
        for n in range(10):
            Switch.objects.get(key="crowded").add_condition(gargoyle, user_conditions, "username", f"w{worker}-{n}")

    threads = [closing_connection(lambda worker=worker: add_names(worker)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = Switch.objects.get(key="crowded").value["auth.user"]["username"]
    assert sorted(condition for _, condition in stored) == sorted(f"w{w}-{n}" for w in range(4) for n in range(10))


class _BlockingPending(dict):
    """A runtime's pending writes whose truth test waits: holds a thread inside the check."""

    def __init__(self, *args, entered, release):
        super().__init__(*args)
        self.entered, self.release = entered, release

    def __bool__(self):
        self.entered.set()
        self.release.wait(5)
        return super().__len__() > 0


def test_the_fast_path_never_opens_while_a_thread_has_uncommitted_writes():
    """docs/architecture.rst, "Freshness": while a thread of the process has uncommitted
    writes, ``fresh_until`` stays 0 even in the middle of another thread's version check
    (else the writer would answer from the committed snapshot, not its own writes)."""
    runtime = manager()._runtime
    runtime.next_check = time.monotonic() + 60
    entered, release = threading.Event(), threading.Event()
    runtime.pending = _BlockingPending({12345: object()}, entered=entered, release=release)
    runtime.fresh_until = 0.0  # as note_uncommitted_write left it
    checker = threading.Thread(target=lambda: setattr(runtime, "next_check", time.monotonic() + 60))
    checker.start()
    try:
        assert entered.wait(5), "the check never looked at the pending writes"
        assert runtime.fresh_until == 0.0, "the fast path opened while a thread had uncommitted writes"
    finally:
        release.set()
        checker.join(5)
    assert runtime.fresh_until == 0.0


def test_a_dropped_manager_is_freed_at_once_and_hears_no_more_writes():
    import weakref

    from gargoyle._runtime.loader import live_runtimes

    dropped = manager()
    manager_ref, runtime_ref = weakref.ref(dropped), weakref.ref(dropped._runtime)
    del dropped
    assert manager_ref() is None, "the runtime kept its manager alive"
    assert runtime_ref() is None
    assert all(runtime is not None for runtime in live_runtimes())


def test_a_runtime_left_behind_by_its_manager_ignores_setting_changes(caplog):
    import gc

    manager = SwitchManager(Switch, key="key", value="value", instances=True, auto_create=False)
    runtime = manager._runtime  # kept alive past its manager, as a reference cycle can
    del manager
    gc.collect()
    with override_settings(GARGOYLE_USAGE=False):  # rebuild: its manager is gone
        pass
    assert "garbage-collected" not in caplog.text
    with override_settings(GARGOYLE_LEGACY_PERCENT=True):  # no longer listening at all
        pass
    assert runtime.snapshot is not None
