"""A Django process driven line by line on stdin, for test_multiprocess.

Commands: ``migrate``; ``request KEY`` (one request: prints ``True``/``False``);
``set KEY STATUS`` (through the model API); ``quit``.
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.process_settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402

from gargoyle import gargoyle  # noqa: E402
from gargoyle.models import Switch  # noqa: E402


def handle(command: str, *args: str) -> str:
    if command == "migrate":
        call_command("migrate", verbosity=0)
        return "ok"
    if command == "request":
        request_started.send(sender=None)
        try:
            return str(gargoyle.is_active(args[0]))
        finally:
            request_finished.send(sender=None)
    if command == "set":
        Switch.objects.update_or_create(key=args[0], defaults={"status": int(args[1])})
        return "ok"
    raise ValueError(command)


for line in sys.stdin:
    words = line.split()
    if words == ["quit"]:
        break
    print(handle(*words), flush=True)
