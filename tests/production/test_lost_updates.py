"""No lost updates: 4 OS processes edit one switch at once on PostgreSQL (issue 5, point 2).

Each process adds 15 usernames (some as excludes), removes 5 of them again and changes the
status 4 times, all on a copy of the switch it loaded once, so the copy is stale for all but
its first write. After a barrier, one process sets the final status and the others add one
last username. The final row must hold exactly every surviving condition and the final
status, and the history must tell one consistent story: one row per effective write, each
starting from the state the previous one left.
"""

from __future__ import annotations

import multiprocessing
import queue
import time

import pytest

from tests.production import contention_worker as plan_module
from tests.production.conftest import require_server
from tests.production.scratch_pg import connect, scratch_database


def start_process(context, target, *args):
    process = context.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def stop(processes):
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def conditions_of(value) -> set[tuple[str, str]]:
    return {(mode, name) for mode, name in (value or {}).get("auth.user", {}).get("username", [])}


def describe_difference(expected, recorded) -> str:
    missing = conditions_of(expected["value"]) - conditions_of(recorded["value"])
    extra = conditions_of(recorded["value"]) - conditions_of(expected["value"])
    status = (expected["status"], recorded["status"])
    return (
        f"conditions missing from its 'before': {sorted(missing)}, extra: {sorted(extra)}, "
        f"status (was, recorded): {status}"
    )


@pytest.fixture(scope="module")
def outcome():
    """Run the 4 processes once; both tests below read what they left in the database."""
    require_server("PostgreSQL", 5432)
    with scratch_database() as database:
        yield contend(database)


def contend(database: str) -> dict:
    context = multiprocessing.get_context("spawn")
    setup = start_process(context, plan_module.setup_database, database)
    stop([setup])
    assert setup.exitcode == 0, "migrating the scratch database failed"

    workers = plan_module.WORKERS
    start, middle = context.Barrier(workers), context.Barrier(workers)
    results = context.Queue()
    began = time.monotonic()
    processes = [
        start_process(context, plan_module.run, worker, database, start, middle, results) for worker in range(workers)
    ]
    outcomes = {}
    try:
        for _ in range(workers):
            worker, status, detail = results.get(timeout=90)
            outcomes[worker] = (status, detail)
    except queue.Empty:
        pytest.fail(f"workers did not finish: {outcomes}")
    finally:
        stop(processes)
    elapsed = time.monotonic() - began
    errors = {worker: detail for worker, (status, detail) in outcomes.items() if status != "ok"}
    assert not errors, errors
    print(f"\n{workers} processes x {plan_module.OPERATIONS} concurrent writes to one switch: {elapsed:.2f}s")

    with connect(database) as db:
        value, status = db.execute(
            "SELECT value, status FROM gargoyle_switch WHERE key = %s", [plan_module.KEY]
        ).fetchone()
        history = db.execute(
            "SELECT before, after, summary FROM gargoyle_switchchange WHERE switch_key = %s ORDER BY id",
            [plan_module.KEY],
        ).fetchall()
    return {"value": value, "status": status, "history": history}


def test_four_processes_lose_no_update(outcome):
    value, status = outcome["value"], outcome["status"]
    expected = plan_module.expected_conditions()
    assert (
        len(expected) == plan_module.WORKERS * (plan_module.ADDS - len(plan_module.REMOVED)) + plan_module.WORKERS - 1
    )
    assert conditions_of(value) == expected
    assert set(value) == {"auth.user"} and set(value["auth.user"]) == {"username"}
    assert len(value["auth.user"]["username"]) == len(expected), "no duplicates"
    assert status == plan_module.FINAL_STATUS


def test_history_has_one_row_per_effective_write_each_from_the_last_state(outcome):
    """Writes to one row are serialized, so each recorded "before" is the previous "after".

    A stale "before" shows phantom changes ("conditions changed" for a status change), and
    restoring it would undo the other processes' edits.
    """
    value, status = outcome["value"], outcome["status"]
    summaries = [row[2] for row in outcome["history"]]
    history = [row[:2] for row in outcome["history"]]
    assert history[0][0] is None and history[0][1]["status"] == plan_module.SELECTIVE
    condition_writes, status_writes = [], 0
    for number, ((before, after), (_, previous_after)) in enumerate(zip(history[1:], history, strict=False), 1):
        assert before == previous_after, (
            f"history row {number} ({summaries[number]!r}) does not start where row {number - 1} ended: "
            f"{describe_difference(previous_after, before)}"
        )
        assert before != after, f"history row {number} records no change"
        old, new = conditions_of(before["value"]), conditions_of(after["value"])
        if old != new:
            assert before["status"] == after["status"], f"row {number} mixes a status and a condition change"
            assert len(old ^ new) == 1, f"row {number} changes more than one condition"
            condition_writes.append(("add", *(new - old)) if new > old else ("remove", *(old - new)))
        else:
            assert before["status"] != after["status"]
            status_writes += 1
    assert history[-1][1]["value"] == value and history[-1][1]["status"] == status

    operations = [
        op
        for worker in range(plan_module.WORKERS)
        for op in [*plan_module.plan(worker)[0], plan_module.plan(worker)[1]]
    ]
    adds = sum(1 for operation in operations if operation[0] == "add")
    removes = sum(1 for operation in operations if operation[0] == "remove")
    assert sum(1 for write in condition_writes if write[0] == "add") == adds
    assert sum(1 for write in condition_writes if write[0] == "remove") == removes
    status_operations = sum(1 for operation in operations if operation[0] == "status")
    assert 1 <= status_writes <= status_operations
    assert len(history) == 1 + adds + removes + status_writes


def test_history_of_a_save_that_waited_for_the_row_lock_starts_from_the_committed_state():
    """The same race, made certain: process A adds a condition and holds the row lock; process
    B changes the status with ``save()``, waits for the lock, and writes after A committed.
    B's history row must start from A's result, not from the row as B first read it."""
    require_server("PostgreSQL", 5432)
    context = multiprocessing.get_context("spawn")
    with scratch_database() as database:
        setup = start_process(context, plan_module.setup_database, database)
        stop([setup])
        assert setup.exitcode == 0
        locked, saving, release, results = context.Event(), context.Event(), context.Event(), context.Queue()
        adder = start_process(context, plan_module.add_inside_open_transaction, database, locked, release, results)
        saver = start_process(context, plan_module.save_status_while_locked, database, locked, saving, results)
        try:
            assert locked.wait(timeout=60) and saving.wait(timeout=60)
            time.sleep(1.0)  # B is in save(), waiting for the row lock
            release.set()
            outcomes = {name: (status, detail) for name, status, detail in (results.get(timeout=60) for _ in "ab")}
        finally:
            release.set()
            stop([adder, saver])
        assert all(status == "ok" for status, _ in outcomes.values()), outcomes
        with connect(database) as db:
            value, status = db.execute(
                "SELECT value, status FROM gargoyle_switch WHERE key = %s", [plan_module.KEY]
            ).fetchone()
            history = db.execute(
                "SELECT before, after, summary FROM gargoyle_switchchange WHERE switch_key = %s ORDER BY id",
                [plan_module.KEY],
            ).fetchall()
    assert conditions_of(value) == {("i", "added-meanwhile")}, "no lost update in the row itself"
    assert status == plan_module.GLOBAL
    (_, added, _), (before, after, summary) = history[1], history[2]
    assert conditions_of(after["value"]) == {("i", "added-meanwhile")}
    assert before == added, f"the status change is recorded as {summary!r}, from a 'before' without the added condition"
    assert summary == "status Selective → Global"
