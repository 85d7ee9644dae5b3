"""Waitress's limits, set deliberately: every place that starts waitress (``run-demo.sh``, ``local_server``, the
deployment guide) uses these, and ``tests/test_serving.py`` holds them to it.

* ``connection_limit`` 200: open connections accepted at once (waitress's default is 100); more wait in the
  listen backlog. Slow clients are nginx's to hold in production (docs/deployment.md).
* ``channel_timeout`` 30 s: a connection silent this long is closed (default 120 s), so slow connections
  that send nothing free their place.
* ``max_request_body_size``: the app's own upload limit (INSPECTOR_MAX_UPLOAD_MB, 64 MiB), so a larger body
  is answered 413 from its Content-Length before it is read (default 1 GiB).
* ``threads`` 8: requests served at once.
"""

from __future__ import annotations

from .config import DEFAULTS

MAX_BODY_BYTES = int(DEFAULTS["INSPECTOR_MAX_UPLOAD_MB"]) * 1024 * 1024

WAITRESS = {
    "threads": 8,
    "connection_limit": 200,
    "channel_timeout": 30,
    "max_request_body_size": MAX_BODY_BYTES,
}


def command_line_flags() -> list[str]:
    """The same limits as ``waitress-serve`` flags."""
    return [f"--{name.replace('_', '-')}={value}" for name, value in WAITRESS.items()]


if __name__ == "__main__":  # run-demo.sh: `waitress-serve $(python -m inspector.serving) ...`
    print(" ".join(command_line_flags()))
