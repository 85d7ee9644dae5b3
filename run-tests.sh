#!/usr/bin/env bash
# Set up Inspector with its test tools (Debian's Chromium for the browser tests, poppler-utils to read the
# printed PDF, axe-core from npm for the accessibility test) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils nodejs npm >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils nodejs npm >/dev/null
  fi
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
# One test process per core (pytest-xdist): the suite is CPU-bound.
exec .venv/bin/python -m pytest -n auto "$@"
