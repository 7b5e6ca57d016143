from typing import Any

from django.core.management.base import BaseCommand

from gargoyle.rollouts import evaluate_due
from gargoyle.schedules import apply_due


class Command(BaseCommand):
    help = (
        "Applies the scheduled changes that are due and evaluates the rollouts that are due (for cron, on sites "
        "whose processes may go without requests). Safe to run from several machines at once: each change is "
        "applied once. See docs/schedules.rst and docs/rollouts.rst."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        resolved = apply_due()
        evaluated = evaluate_due()
        if not resolved and not evaluated:
            self.stdout.write("Nothing due.")
        for found in resolved:
            self.stdout.write(f"#{found.pk} {found.switch_key}: {found.state}: {found.outcome}")
        for rollout in evaluated:
            self.stdout.write(f"rollout #{rollout.pk} {rollout.switch_key}: {rollout.state}: {rollout.outcome}")
