#!/usr/bin/env bash
# Set up Inspector and run it with demo data on 0.0.0.0:8000 (phones on the same network can reach it).
# For a demo on a LAN only: plain http, public demo passwords. Production: docs/deployment.md (nginx in front).
set -euo pipefail
cd "$(dirname "$0")"
echo "Inspector demo: for a LAN demo only (plain http, public demo passwords). Production: docs/deployment.md."
umask 077  # the data folder and everything in it readable by this account only
export INSPECTOR_DATA_DIR="${INSPECTOR_DATA_DIR:-$PWD/instance}"
mkdir -p -m 700 "$INSPECTOR_DATA_DIR"
chmod 700 "$INSPECTOR_DATA_DIR"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
port="${PORT:-8000}"
# The QR posters point at INSPECTOR_BASE_URL: by default this machine's LAN address, so a phone on the same
# Wi-Fi can scan them (localhost when the machine has no network address).
lan="$( (hostname -I 2>/dev/null || true) | awk '{print $1}')"
export INSPECTOR_BASE_URL="${INSPECTOR_BASE_URL:-http://${lan:-localhost}:${port}}"
# Backups and evidence bundles are signed with a key kept outside the data folder (docs/deployment.md#signing-key):
# the demo makes its own beside the demo's data folder (instance/) unless INSPECTOR_SIGNING_KEY names one.
export INSPECTOR_SIGNING_KEY="${INSPECTOR_SIGNING_KEY:-$PWD/signing-key.demo.pem}"
if [ ! -e "$INSPECTOR_SIGNING_KEY" ]; then
  .venv/bin/flask --app wsgi keys generate "$INSPECTOR_SIGNING_KEY"
fi
.venv/bin/flask --app wsgi db upgrade  # a data folder of an older version is brought up to date
.venv/bin/flask --app wsgi demo seed
.venv/bin/flask --app wsgi users list
.venv/bin/python - "$INSPECTOR_BASE_URL" <<'PY'
import sys

import qrcode

url = sys.argv[1] + "/l/H7SMB"
print(f"Scan with a phone on the same network: {url}  (Panti Asuhan Contoh Kasih)")
code = qrcode.QRCode(border=1)
code.add_data(url)
code.print_ascii(invert=True)
PY
echo "Inspector: ${INSPECTOR_BASE_URL}/  (listening on 0.0.0.0:${port}; Ctrl+C to stop)"
echo "Location and offline use need HTTPS or localhost: see docs/deployment.md to try them from a phone."
# Waitress's limits (connections, idle timeout, body size, threads) are inspector/serving.py's, stated there.
# shellcheck disable=SC2046
exec .venv/bin/waitress-serve $(.venv/bin/python -m inspector.serving) --host 0.0.0.0 --port "${port}" wsgi:app
