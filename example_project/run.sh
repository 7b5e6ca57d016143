#!/usr/bin/env bash
# Runs the example project from nothing: a virtualenv with gargoyle installed from this
# checkout, the SQLite database migrated, demo switches and an admin login, then the server
# on 127.0.0.1 (PORT, default 8000). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${GARGOYLE_EXAMPLE_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e .

manage=("$venv/bin/python" example_project/manage.py)
"${manage[@]}" migrate --noinput
"${manage[@]}" seed_demo
echo
echo "Shop:  http://127.0.0.1:${PORT:-8000}/"
echo "Admin: http://127.0.0.1:${PORT:-8000}/admin/  (login admin / admin)"
echo
exec "${manage[@]}" runserver "127.0.0.1:${PORT:-8000}"
