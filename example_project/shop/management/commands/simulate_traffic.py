"""``manage.py simulate_traffic``: visitors browsing the catalogue, so that quick_view's
guarded rollout has requests to count and advances (or, with ``--broken``, rolls back).

The requests go through the whole Django stack in this process (the exposure middleware
counts them, this process stores the counts and evaluates the rollout, like any process of
the site); each comes from its own random IP address, a visitor of its own.
"""

import logging
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import Client

from gargoyle.models import Rollout
from gargoyle.rollouts import current


class Command(BaseCommand):
    help = "Sends visitors to the catalogue so that quick_view's rollout advances (or rolls back with --broken)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=120, help="How long (default 120).")
        parser.add_argument("--broken", action="store_true", help="Quick view fails for the visitors who get it.")

    def handle(self, *args, **options):
        settings.SHOP_BREAK_QUICK_VIEW = options["broken"]
        logging.getLogger("django.request").setLevel(logging.CRITICAL)  # no traceback per simulated failure
        client = Client(raise_request_exception=False, HTTP_HOST="localhost")
        deadline = time.monotonic() + options["seconds"]
        next_report, sent, failed = 0.0, 0, 0
        while time.monotonic() < deadline:
            address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
            failed += client.get("/", REMOTE_ADDR=address).status_code >= 500
            sent += 1
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + 5
                rollout = current("quick_view") or Rollout.objects.filter(switch_key="quick_view").first()
                state = f"{rollout}: {rollout.outcome}" if rollout else "no rollout of quick_view"
                self.stdout.write(f"{sent} visits, {failed} errors. {state}")
                if rollout and rollout.state not in ("running", "paused"):
                    break
            time.sleep(0.005)
