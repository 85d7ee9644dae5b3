"""Waitress is started with deliberate limits everywhere (``inspector.serving``), and ``run-demo.sh`` says it
is for a LAN demo, keeps its data folder private and uses the same limits."""

from __future__ import annotations

import re

from inspector import serving
from inspector.config import DEFAULTS, REPO_ROOT
from inspector.local_server import LocalServer
from tests.support.builders import make_app

RUN_DEMO = (REPO_ROOT / "run-demo.sh").read_text()


def test_the_limits_are_set_deliberately():
    assert serving.WAITRESS == {"threads": 8, "connection_limit": 200, "channel_timeout": 30,
                                "max_request_body_size": int(DEFAULTS["INSPECTOR_MAX_UPLOAD_MB"]) * 1024 * 1024}


def test_run_demo_starts_waitress_with_those_limits_and_says_it_is_for_a_lan_demo():
    serve = next(line for line in RUN_DEMO.splitlines() if "waitress-serve" in line and line.startswith("exec"))
    assert "$(.venv/bin/python -m inspector.serving)" in serve and "--threads" not in serve
    assert serving.command_line_flags() == ["--threads=8", "--connection-limit=200", "--channel-timeout=30",
                                            f"--max-request-body-size={64 * 1024 * 1024}"]
    first_echo = next(line for line in RUN_DEMO.splitlines() if line.startswith("echo"))
    assert "for a LAN demo only" in first_echo


def test_run_demo_keeps_its_data_folder_private():
    lines = RUN_DEMO.splitlines()
    umask = lines.index("umask 077  # the data folder and everything in it readable by this account only")
    first_python = next(i for i, line in enumerate(lines) if ".venv/bin/flask" in line)
    assert umask < first_python
    assert re.search(r'^mkdir -p -m 700 "\$INSPECTOR_DATA_DIR"$', RUN_DEMO, re.M)
    assert re.search(r'^chmod 700 "\$INSPECTOR_DATA_DIR"$', RUN_DEMO, re.M)


def test_the_local_server_uses_the_same_limits(tmp_path):
    server = LocalServer(make_app(tmp_path), threads=2)
    try:
        adj = server.server.adj
        assert (adj.connection_limit, adj.channel_timeout, adj.max_request_body_size, adj.threads) == (
            200, 30, serving.MAX_BODY_BYTES, 2)
    finally:
        server.close()


def test_the_readme_and_the_deployment_guide_state_the_limits():
    for doc in ("README.md", "docs/deployment.md"):
        text = (REPO_ROOT / doc).read_text()
        for needed in ("connection_limit", "200", "channel_timeout", "30", "max_request_body_size", "64 MiB"):
            assert needed in text, (doc, needed)
