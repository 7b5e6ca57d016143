"""``python -m benchmarks [--cache locmem|redis|both] [--quick] [--save PATH]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from benchmarks import environment


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="gargoyle beside django-waffle and django-flags: time, SQL and cache operations per call.",
    )
    parser.add_argument(
        "--cache",
        choices=("locmem", "redis", "both"),
        default="both",
        help="the cache to run the cases with (default: both; Redis is skipped with a note if it is down)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats: a smoke run")
    parser.add_argument("--save", metavar="PATH", help="also write the output to this text file")
    parser.add_argument("--skip-scaling", action="store_true", help="only the side-by-side table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env, folder = environment.new_environment()
    try:
        environment.configure(env)
        environment.migrate()
        modes, notes = cache_modes(args.cache, env)
        if not modes:
            print(notes[0], file=sys.stderr)
            return 2
        text = run(args, env, modes, notes)
    finally:
        environment.clean_up(env, folder)
    print(text, end="")
    if args.save:
        with open(args.save, "w", encoding="utf-8") as saved:
            saved.write(text)
        progress(f"saved to {args.save}")
    return 0


def cache_modes(choice: str, env: environment.Environment) -> tuple[list[str], list[str]]:
    """The cache aliases to run with, and a note for each one skipped."""
    modes = ["locmem", "redis"] if choice == "both" else [choice]
    problem = environment.redis_problem(env) if "redis" in modes else None
    if problem is None:
        return modes, []
    modes.remove("redis")
    return modes, [f"Redis at {env.redis_url} skipped: {problem}"]


def run(args: argparse.Namespace, env: environment.Environment, modes: list[str], notes: list[str]) -> str:
    """Measure everything and return the report's text."""
    from benchmarks import cases, flags_cases, gargoyle_cases, report, waffle_cases
    from benchmarks.measure import FULL, QUICK

    plan = QUICK if args.quick else FULL
    subjects = cases.create_subjects()
    libraries: Any = (gargoyle_cases, waffle_cases, flags_cases)
    for library in libraries:
        library.create_fixtures()
    calls = {library.NAME: library.calls(subjects) for library in libraries}

    results = {mode: run_cases(calls, mode, plan) for mode in modes}
    lines = report.machine_lines(modes, environment.redis_server_version(env) if "redis" in modes else None, plan)
    lines += ["", *report.table_lines(results), "", *report.PEER_NOTES, *notes]
    scaled = None
    if not args.skip_scaling:
        scaled, scaling_lines = run_gargoyle_only(calls["gargoyle"], env, modes, args.quick, plan)
        lines += ["", *scaling_lines]
    from benchmarks import counting

    progress("counting on and off")
    with environment.use_cache(modes[0]):
        counted = counting.run(calls["gargoyle"], plan, rounds=2 if args.quick else 8)
    waffle_us = {case: results[modes[0]][case]["waffle"].us for case, _ in counting.CASES}
    lines += ["", *counting.lines(counted, waffle_us)]
    from benchmarks import qa_overrides

    progress("QA overrides on and off")
    with environment.use_cache(modes[0]):
        overridden = qa_overrides.run(calls["gargoyle"], plan, rounds=2 if args.quick else 8)
    lines += ["", *qa_overrides.lines(overridden, waffle_us)]
    from benchmarks import open_standards

    progress("OpenFeature and OFREP")
    with environment.use_cache(modes[0]):
        measured = open_standards.run(
            calls["gargoyle"], subjects, plan, rounds=2 if args.quick else 6, aliases=["default", modes[0]]
        )
    lines += ["", *open_standards.lines(measured, environment.CACHE_ALIASES[modes[0]])]
    targets = [*report.target_checks(results, scaled), *counting.target_checks(counted)]
    lines += ["", *report.target_lines([*targets, *qa_overrides.target_checks(overridden)])]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def run_cases(calls: dict[str, dict[str, Any]], mode: str, plan: Any) -> dict[str, dict[str, Any]]:
    """Every case for every library with one cache: {case id: {library: Result}}; a library
    without a call for a case is missing from its dict."""
    from benchmarks import cases
    from benchmarks.measure import measure

    aliases = ["default", mode]
    with environment.use_cache(mode):
        progress(f"cases with {environment.CACHE_ALIASES[mode]}")
        by_case = {"baseline": {name: measure(call, plan, aliases) for name, call in cases.baselines().items()}}
        for case in cases.CASES:
            progress(f"  {case.label}")
            counted = plan.counted_calls // 4 if case.per_page else None
            # A library that cannot express the case has no call for it: the report says n/a.
            by_case[case.id] = {
                name: measure(library_calls[case.id], plan, aliases, counted)
                for name, library_calls in calls.items()
                if case.id in library_calls
            }
    return by_case


def run_gargoyle_only(
    calls: dict[str, Any], env: environment.Environment, modes: list[str], quick: bool, plan: Any
) -> tuple[Any, list[str]]:
    """Propagation between processes (while the table is small), then scaling."""
    from benchmarks import propagation, report, scaling
    from gargoyle import gargoyle
    from gargoyle._conf import get_settings

    stored = len(gargoyle)
    delays = {}
    for mode in modes:
        progress(f"propagation with {environment.CACHE_ALIASES[mode]}")
        with environment.use_cache(mode):
            delays[mode] = propagation.measure(env, mode, runs=1 if quick else (5 if mode == "redis" else 2))
    progress("scaling")
    with environment.use_cache(modes[0]):
        scaled = scaling.run(calls, plan, reloads=3 if quick else 7)
    return scaled, report.scaling_lines(scaled, delays, stored, get_settings().check_interval)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
