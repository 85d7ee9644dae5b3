#!/usr/bin/env bash
# Set up Inspector and run it with demo data on 0.0.0.0:8000 (phones on the same network can reach it).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
export INSPECTOR_BASE_URL="${INSPECTOR_BASE_URL:-http://localhost:8000}"
.venv/bin/flask --app wsgi db upgrade  # a data folder of an older version is brought up to date
.venv/bin/flask --app wsgi demo seed
.venv/bin/flask --app wsgi users list
echo "Inspector: http://0.0.0.0:${PORT:-8000}/  (Ctrl+C to stop)"
exec .venv/bin/waitress-serve --host 0.0.0.0 --port "${PORT:-8000}" --threads 8 wsgi:app
