#!/usr/bin/env bash
# Runs the example shop from nothing: a virtualenv with gargoyle installed from this checkout,
# the database migrated, demo switches, users and products, then the server on 127.0.0.1
# (PORT, default 8000). Safe to run again: what exists is kept.
#
# GARGOYLE_EXAMPLE_VENV  the virtualenv (default: .venv at the repository root)
# EXAMPLE_DB_PATH        the SQLite file (default: example_project/db.sqlite3)
# EXAMPLE_SERVICES=1     PostgreSQL + Redis instead (see example_project/README.rst)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${GARGOYLE_EXAMPLE_VENV:-.venv}"
port="${PORT:-8000}"

if [ ! -x "$venv/bin/python" ]; then
  echo "Creating the virtualenv $venv"
  python3 -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
# Skip pip when gargoyle is already installed from this checkout (an editable install
# follows the code anyway), so a second run is quick and works offline. -I: not from the cwd.
if ! "$venv/bin/python" -I -c '
import sys, pathlib, django, gargoyle, rest_framework, jinja2, debug_toolbar
sys.exit(pathlib.Path(gargoyle.__file__).resolve().parent != pathlib.Path("gargoyle").resolve())
' 2>/dev/null; then
  echo "Installing gargoyle from this checkout into $venv"
  "${pip[@]}" install -e ".[drf,jinja2,debug-toolbar]"
fi
if [ "${EXAMPLE_SERVICES:-}" = "1" ] && ! "$venv/bin/python" -c 'import psycopg, redis' 2>/dev/null; then
  "${pip[@]}" install -r example_project/requirements-services.txt
fi

manage=("$venv/bin/python" example_project/manage.py)
"${manage[@]}" create_database
"${manage[@]}" migrate --noinput
"${manage[@]}" seed_demo
# The deploy step of docs/deploying.rst: GARGOYLE_SWITCHES (demo/settings.py) agrees with
# seed_demo, so this says "in sync"; a declared switch changed in the panel stays as changed.
"${manage[@]}" sync_switches --apply
echo
echo "Shop:   http://127.0.0.1:$port/"
echo "Panel:  http://127.0.0.1:$port/admin/gargoyle/switch/  (log in as admin / admin)"
echo
exec "${manage[@]}" runserver "127.0.0.1:$port"
