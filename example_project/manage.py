#!/usr/bin/env python
"""The example project's command line: ``python example_project/manage.py migrate``."""

import importlib.util
import os
import sys
from pathlib import Path


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    if importlib.util.find_spec("gargoyle") is None:
        # Not installed: use the checkout this example lives in.
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
