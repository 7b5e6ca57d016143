"""A rollout driven through its stages by synthetic traffic in real processes on PostgreSQL,
with errors injected (docs/rollouts.rst, "How fast a guard acts"). Four processes serve
requests through the exposure middleware; whichever notices first evaluates the rollout.
The rollouts' clock runs 60 times faster (GARGOYLE_ROLLOUT_SPEED): a minute's hold and
evaluation interval pass in a second.

* healthy: the rollout completes;
* broken at the second stage: it rolls back to 0 %, within the documented delay;
* low traffic: it waits, neither widening nor tripping, however bad the few requests are.
"""

from __future__ import annotations

import datetime
import multiprocessing
import queue

import pytest

from tests.production import rollout_worker as worker
from tests.production.conftest import require_server
from tests.production.scratch_pg import connect, scratch_database
from tests.production.support import report

PROCESSES = 4
GUARD = {"min_requests": 60, "max_increase": 0.01}


def run(database, stages, options, environment, seconds, pause, processes=PROCESSES):
    context = multiprocessing.get_context("spawn")
    setup = context.Process(target=worker.setup_database, args=(database, stages, options), daemon=True)
    setup.start()
    setup.join(timeout=120)
    assert setup.exitcode == 0, "setting up the scratch database failed"
    results = context.Queue()
    workers = [
        context.Process(target=worker.serve, args=(database, environment, seconds, pause, results), daemon=True)
        for _ in range(processes)
    ]
    for process in workers:
        process.start()
    outcomes = []
    try:
        for _ in workers:
            outcomes.append(results.get(timeout=seconds + 120))
    except queue.Empty:
        pytest.fail(f"traffic processes did not finish: {outcomes}")
    finally:
        for process in workers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    errors = [detail for status, detail in outcomes if status != "ok"]
    assert not errors, errors
    sent = sum(detail[0] for _status, detail in outcomes)
    with connect(database) as db:
        rollout = db.execute("SELECT state, stage, outcome, run FROM gargoyle_rollout").fetchone()
        history = db.execute(
            "SELECT date, summary, note FROM gargoyle_switchchange WHERE via = 'rollout' ORDER BY id"
        ).fetchall()
        value = db.execute("SELECT value FROM gargoyle_switch WHERE key = %s", [worker.KEY]).fetchone()[0]
    return {
        "state": rollout[0],
        "stage": rollout[1],
        "outcome": rollout[2],
        "history": history,
        "value": value,
        "sent": sent,
    }


@pytest.fixture
def database():
    require_server("PostgreSQL", 5432)
    with scratch_database() as name:
        yield name


def test_a_healthy_rollout_completes(database):
    stages = [{"percent": 10, "hold": 60, "min_exposed": 20}, {"percent": 30, "hold": 60, "min_exposed": 20}, 100]
    result = run(database, stages, GUARD, {}, seconds=90, pause=0)
    assert result["state"] == "completed", result["outcome"]
    assert result["value"] == {"ip": {"percent": [["i", "0-100"]]}}
    notes = [note for _date, _summary, note in result["history"]]
    assert any("stage 2 of 3, 30 %" in note for note in notes)
    assert any("stage 3 of 3, 100 % (completed)" in note for note in notes)
    report(f"rollout simulation: healthy, completed after {result['sent']:,} requests")


@pytest.mark.parametrize("cache", ["locmem", "redis"])
def test_a_rollout_broken_at_its_second_stage_rolls_back_within_the_delay(database, cache):
    if cache == "redis":
        require_server("Redis", 6379)
    stages = [{"percent": 10, "hold": 60, "min_exposed": 20}, {"percent": 30, "hold": 600, "min_exposed": 20}, 100]
    environment = {
        "GARGOYLE_SIMULATION_FAILURE": "0.3",
        "GARGOYLE_SIMULATION_BREAK_AT": "30",
        "GARGOYLE_SIMULATION_CACHE": cache,
    }
    result = run(database, stages, GUARD, environment, seconds=120, pause=0)

    assert result["state"] == "rolled_back", result["outcome"]
    assert result["outcome"].startswith("guard tripped: ")
    assert result["outcome"].endswith("; rolled back to 0 %")
    assert result["value"] == {"ip": {"percent": [["i", "0-0"]]}}
    widened = next(date for date, _summary, note in result["history"] if "stage 2 of 3, 30 %" in note)
    rolled = next(date for date, _summary, note in result["history"] if "guard tripped" in note)
    delay = (rolled - widened).total_seconds()
    # Documented: a flush (1 s here), an evaluation interval (60 s / 60) and a check interval
    # (0.2 s), once the stage has the guard's minimum sample in each group.
    report(
        f"rollout simulation ({cache}): broken at stage 2, rolled back {delay:.1f} s after it began: "
        + result["outcome"]
    )
    assert delay < 30
    assert rolled - widened > datetime.timedelta(0)


def test_low_traffic_waits_instead_of_aborting(database):
    stages = [{"percent": 50, "hold": 60, "min_exposed": 20}, 100]
    environment = {
        "GARGOYLE_SIMULATION_FAILURE": "1",
        "GARGOYLE_SIMULATION_BREAK_AT": "0",
    }  # every exposed request fails
    result = run(database, stages, GUARD, environment, seconds=8, pause=0.5, processes=1)

    assert result["state"] == "running", result["outcome"]
    assert result["stage"] == 0
    assert result["outcome"].startswith("waiting: ")
    assert "of 60 each" in result["outcome"]
    assert result["value"] == {"ip": {"percent": [["i", "0-50"]]}}
    report(f"rollout simulation: low traffic ({result['sent']} requests in 8 s): {result['outcome']}")
