import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gargoyle._storage.schedule import as_utc
from gargoyle.constants import DISABLED, GLOBAL, INHERIT, SELECTIVE
from gargoyle.schedules import ScheduledChange, cancel, edit, parse_moment, schedule

STATUS_NAMES = {"disabled": DISABLED, "selective": SELECTIVE, "global": GLOBAL, "inherit": INHERIT}
USER_SET = "gargoyle.builtins.UserConditionSet(auth.user)"


class Command(BaseCommand):
    help = (
        "Lists, adds, edits and cancels scheduled changes of switches. Moments are ISO 8601: with a UTC offset, "
        "or a wall-clock time in --zone (default: TIME_ZONE). See docs/schedules.rst."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        listing = commands.add_parser("list", help="The pending schedules (all of them with --all).")
        listing.add_argument("--key", help="Only this switch's.")
        listing.add_argument("--all", action="store_true", help="Also those applied, refused or cancelled.")
        listing.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        adding = commands.add_parser("add", help="Schedule a change of switch KEY.")
        adding.add_argument("key")
        _moment_arguments(adding, required=True)
        _action_arguments(adding, required=True)
        editing = commands.add_parser("edit", help="Move schedule ID (--at), or change what it does.")
        editing.add_argument("id", type=int)
        _moment_arguments(editing, required=False)
        _action_arguments(editing, required=False)
        cancelling = commands.add_parser("cancel", help="Cancel schedule ID.")
        cancelling.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['command']}")(options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

    def _list(self, options: dict[str, Any]) -> None:
        found = ScheduledChange.objects.order_by("due_at", "pk")
        if not options["all"]:
            found = found.filter(state="pending")
        if options["key"]:
            found = found.filter(switch_key=options["key"])
        rows = [item.as_row() for item in found]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
        elif not rows:
            self.stdout.write("No scheduled changes.")
        for row in [] if options["json"] else rows:
            due = row["dueAt"].strftime("%Y-%m-%d %H:%M UTC")
            what = f"{row['action']} {json.dumps(row['arguments'])}"
            self.stdout.write(f"#{row['id']}  {due}  {row['key']}  {what}  [{row['state']}] {row['outcome']}".rstrip())

    def _add(self, options: dict[str, Any]) -> None:
        action, arguments = _action(options)
        made = schedule(options["key"], action, arguments, parse_moment(options["at"], options["zone"]))
        self.stdout.write(
            f"Scheduled #{made.pk}: {made.switch_key} {made.action} at {as_utc(made.due_at):%Y-%m-%d %H:%M} UTC."
        )

    def _edit(self, options: dict[str, Any]) -> None:
        action, arguments = _action(options) if _has_action(options) else (None, None)
        due = parse_moment(options["at"], options["zone"]) if options["at"] else None
        changed = edit(options["id"], due_at=due, action=action, arguments=arguments)
        self.stdout.write(f"Edited #{changed.pk}: {changed.action} at {as_utc(changed.due_at):%Y-%m-%d %H:%M} UTC.")

    def _cancel(self, options: dict[str, Any]) -> None:
        cancelled = cancel(options["id"])
        self.stdout.write(f"Cancelled #{cancelled.pk}.")


def _moment_arguments(parser: CommandParser, required: bool) -> None:
    parser.add_argument("--at", required=required, help="When: 2027-03-01 09:00, or 2027-03-01T09:00+01:00.")
    parser.add_argument("--zone", help="The time zone of a wall-clock --at (default: TIME_ZONE).")


def _action_arguments(parser: CommandParser, required: bool) -> None:
    actions = parser.add_mutually_exclusive_group(required=required)
    actions.add_argument("--status", choices=sorted(STATUS_NAMES), help="Set the status.")
    actions.add_argument("--percent", metavar="RANGE", help="Make RANGE (e.g. 0-25) the percent field's only range.")
    actions.add_argument("--add-condition", nargs=3, metavar=("SET", "FIELD", "VALUE"), help="Add a condition.")
    actions.add_argument("--remove-condition", nargs=3, metavar=("SET", "FIELD", "VALUE"), help="Remove one.")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--exclude", action="store_true", help="With --add-condition: an exclude condition.")
    modes.add_argument("--required", action="store_true", help="With --add-condition: a required condition.")
    parser.add_argument(
        "--condition-set", default=USER_SET, help=f"With --percent: the condition set (default: {USER_SET})."
    )
    parser.add_argument("--field", default="percent", help="With --percent: its percent field (default: percent).")


def _has_action(options: dict[str, Any]) -> bool:
    return any(options[name] for name in ("status", "percent", "add_condition", "remove_condition"))


def _action(options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if options["status"]:
        return "status", {"status": STATUS_NAMES[options["status"]]}
    if options["percent"]:
        return "set_percent", {
            "condition_set": options["condition_set"],
            "field": options["field"],
            "condition": options["percent"],
        }
    if options["add_condition"]:
        condition_set, field, value = options["add_condition"]
        arguments = {"condition_set": condition_set, "field": field, "condition": value, "exclude": options["exclude"]}
        if options["required"]:
            arguments["required"] = True
        return "add_condition", arguments
    condition_set, field, value = options["remove_condition"]
    return "remove_condition", {"condition_set": condition_set, "field": field, "condition": value}
