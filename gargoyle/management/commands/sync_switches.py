"""``sync_switches``: compare GARGOYLE_SWITCHES with the stored switches, and write what is missing.

The parsing, comparing and writing are :mod:`gargoyle.declarations`'; this prints them.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from gargoyle import declarations
from gargoyle._writes.describe import condition_name, conditions
from gargoyle.constants import EXCLUDE, REQUIRE
from gargoyle.helpers import dumps
from gargoyle.manager import gargoyle
from gargoyle.models import Switch

# How a condition's mode reads before its name in a diff ("+ exclude IP Address: 10.0.0.0/8").
MODE_WORDS = {EXCLUDE: "exclude ", REQUIRE: "required "}


class Command(BaseCommand):
    help = (
        "Compares GARGOYLE_SWITCHES with the stored switches (a dry run); --apply creates the missing ones, "
        "--apply --update also brings the others to their declaration. Never deletes a switch."
    )

    def add_arguments(self, parser: Any) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--apply", action="store_true", help="Write: create the declared switches that are missing.")
        mode.add_argument(
            "--check", action="store_true", help="Write nothing; exit with status 1 if --apply would write anything."
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Also bring stored switches that differ to their declaration (by default they are left as stored).",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text", help="Print text (default) or JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        update, apply = options["update"], options["apply"]
        try:
            declared = declarations.parse(declarations.read_setting(), gargoyle)
            plan = declarations.apply(declared, update=update) if apply else declarations.plan(declared, update=update)
        except declarations.InvalidDeclarations as error:
            raise CommandError(_nothing_written(str(problem) for problem in error.problems)) from None
        except (ValidationError, DatabaseError) as error:  # one transaction: all of it was rolled back
            detail = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            raise CommandError(_nothing_written([f"The database refused it: {detail}"])) from None
        if options["format"] == "json":
            self.stdout.write(dumps(_as_json(plan, applied=apply, update=update), indent=2))
        elif options["verbosity"] >= 1:
            self._print(plan, applied=apply, update=update, verbosity=options["verbosity"])
        if options["check"] and plan.writes:
            keys = ", ".join(switch.key for switch in plan.switches if switch.write)
            flag = " --update" if update else ""
            switches = "switch" if plan.writes == 1 else "switches"
            raise CommandError(f"{plan.writes} declared {switches} to write: {keys}. Run sync_switches --apply{flag}.")

    def _print(self, plan: declarations.Plan, *, applied: bool, update: bool, verbosity: int) -> None:
        if not plan.switches:
            self.stdout.write(f"{declarations.SETTING} declares no switch.")
        for switch in plan.switches:
            self.stdout.write(f"{switch.key}: {_state(switch, applied)}")
            for change in switch.changes:
                for line in _change_lines(change):
                    self.stdout.write(f"    {line}")
        if plan.not_declared:
            names = ": " + ", ".join(plan.not_declared) if verbosity >= 2 else " (--verbosity 2 lists them)"
            count = len(plan.not_declared)
            self.stdout.write(f"Not declared, left alone: {count} switch{'' if count == 1 else 'es'}{names}.")
        self.stdout.write(_summary(plan, applied=applied, update=update))


def _nothing_written(problems: Any) -> str:
    return "Nothing was written:\n" + "\n".join(f"  - {problem}" for problem in problems)


def _state(switch: declarations.SwitchPlan, applied: bool) -> str:
    if switch.state == declarations.MISSING:
        return "created" if applied else "to create"
    if switch.state == declarations.IN_SYNC:
        return "in sync"
    if switch.write:
        return "updated" if applied else "to update"
    if applied:
        return "differs, left as stored (--update changes it)"
    return "differs; --apply leaves it as stored (--update changes it)"


def _change_lines(change: declarations.Change) -> list[str]:
    if change.field == "value":
        stored, declared = conditions(change.old), conditions(change.new)
        lines = [f"conditions: + {_condition(entry)}" for entry in declared if entry not in stored]
        lines += [f"conditions: - {_condition(entry)}" for entry in stored if entry not in declared]
        return lines or [f"conditions: {_shown(change.old)} -> {_shown(change.new)}"]  # stored unreadable
    new = _status_name(change.new) if change.field == "status" else _shown(change.new)
    if change.old is None and change.field == "status":  # a switch to create
        return [f"status: {new}"]
    old = _status_name(change.old) if change.field == "status" else _shown(change.old)
    return [f"{change.field}: {new}" if change.old is None else f"{change.field}: {old} -> {new}"]


def _condition(entry: tuple[str, str, str, str]) -> str:
    namespace, field_name, mode, condition = entry
    return MODE_WORDS.get(mode, "") + condition_name(namespace, field_name, condition)


def _shown(value: Any) -> str:
    return "none" if value in (None, "") else json.dumps(value, ensure_ascii=False)


def _status_name(status: Any) -> str:
    return str(dict(Switch.STATUS_CHOICES).get(status, status))


def _summary(plan: declarations.Plan, *, applied: bool, update: bool) -> str:
    missing, differs = plan.count(declarations.MISSING), plan.count(declarations.DIFFERS)
    in_sync = plan.count(declarations.IN_SYNC)
    differ = f"{differs} {'differs' if differs == 1 else 'differ'}"
    if applied:
        updated = differs if update else 0
        left = "" if update else f", {differ}, left as stored"
        return f"{missing} created, {updated} updated{left}, {in_sync} in sync."
    counts = f"{missing} to create, {f'{differs} to update' if update else differ}, {in_sync} in sync"
    if not plan.writes:
        return f"Dry run: {counts}; --apply would write nothing."
    return f"Dry run, nothing written: {counts}. Run with --apply{' --update' if update else ''} to write."


def _as_json(plan: declarations.Plan, *, applied: bool, update: bool) -> dict[str, Any]:
    actions = {declarations.MISSING: "create", declarations.DIFFERS: "update"}
    return {
        "applied": applied,
        "update": update,
        "switches": [
            {
                "key": switch.key,
                "state": switch.state,
                "action": actions[switch.state] if switch.write else None,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in switch.changes],
            }
            for switch in plan.switches
        ],
        "notDeclared": list(plan.not_declared),
    }
