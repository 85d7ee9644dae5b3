#!/usr/bin/env bash
# Set up Inspector with its test tools (Debian's Chromium for the browser tests, poppler-utils to read the
# printed PDF, axe-core from npm for the accessibility test) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")"
# Only what is missing is installed: a machine whose Node.js came from elsewhere keeps it.
packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium fonts-dejavu-core)
command -v pdftoppm >/dev/null || packages+=(poppler-utils)
command -v npm >/dev/null || packages+=(nodejs npm)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
# One test process per core (pytest-xdist): the suite is CPU-bound.
exec .venv/bin/python -m pytest -n auto "$@"
