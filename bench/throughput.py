"""Throughput of the production server on loopback: waitress serving ``wsgi:app`` with the demo data.

Starts, in one run and under the same waitress settings as run-demo.sh
(``waitress-serve --threads 8``, bound to 127.0.0.1 here):

* a bare Flask app answering "hello": the ceiling of Flask + waitress on this machine;
* Inspector (``wsgi:app``) on a temporary data folder filled by ``flask --app wsgi demo seed``;

first measures what one render of the checklist page costs in CPU, in this process (no server, no wrk):

* kept: the page as served (the questions of the checklist version kept, each inspection filled in);
* direct: the same page with the questions template rendered whole on every request, as it was before;
* with ``--before REF``: the whole page as the code of git revision REF renders it (``git archive`` into a
  temporary folder, measured in a child process), e.g. ``--before 2663fb7``, the last revision before the
  questions were kept;

each the median of several rounds of ``time.process_time()`` over ``--renders`` GETs through Flask's test
client (a signed-in demo inspector, a fresh LKSA inspection);

then loads each endpoint with wrk for a bounded time and prints requests per second and latency:

* hello: the bare app's ``/``;
* public LKS page: ``/l/<code>`` of the first demo LKS, signed out (what a QR scan by the public opens);
* checklist page: ``/kunjungan/<id>``, a signed-in inspector's open LKSA inspection form (67 items). The script
  signs in over HTTP as the demo inspector, starts an inspection, and passes the session cookie to wrk.

wrk runs on the same machine and shares its cores with the server: the figures are a floor, not what a
server with its own cores would give. Run from the repository root (needs wrk: the Debian package
``wrk``; as root the script installs it when missing):

    .venv/bin/python bench/throughput.py                      # -t2 -c16 -d10s per endpoint (about a minute)
    .venv/bin/python bench/throughput.py --duration 5 --connections 8
    .venv/bin/python bench/throughput.py --before 2663fb7       # with the render cost of that revision
    .venv/bin/python bench/throughput.py --render-only          # the render cost alone, no wrk (seconds)

Nothing outside a temporary folder is written; both servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
THREADS = 8  # waitress-serve --threads, as run-demo.sh
INSPECTOR_USER, INSPECTOR_PASSWORD = "petugas", "demo-petugas-2026"  # inspector/demo.py (demo only)
HELLO = '''from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
'''


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package wrk ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("This benchmark needs wrk (https://github.com/wg/wrk). Install it first, e.g.\n"
             "    sudo apt-get install wrk\nthen run the script again.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: str, port: int, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    """waitress-serve with run-demo.sh's settings, on loopback."""
    command = [str(BIN / "waitress-serve"), "--host", "127.0.0.1", "--port", str(port), "--threads", str(THREADS), app]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{app} did not start:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit(f"{app} did not listen on port {port} within 30 s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def open_inspection(base: str, code: str) -> tuple[str, str]:
    """Sign in as the demo inspector and start an LKSA inspection: (the inspection form's path, the Cookie header)."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = csrf_token(browser.open(f"{base}/masuk").read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "username": INSPECTOR_USER, "password": INSPECTOR_PASSWORD})
    page = browser.open(f"{base}/masuk", data=form.encode())
    if "/masuk" in page.geturl():
        raise RuntimeError("sign-in as the demo inspector failed")
    token = csrf_token(browser.open(f"{base}/l/{code}").read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "checklist": "lksa"})
    page = browser.open(f"{base}/inspeksi/lks/{code}/mulai", data=form.encode())
    path = urllib.parse.urlparse(page.geturl()).path
    if not path.startswith("/kunjungan/"):
        raise RuntimeError(f"starting an inspection led to {path}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return path, cookie


def check(url: str, cookie: str = "", expect: str = "") -> None:
    """The endpoint answers 200 (no redirect) with what it should show, before wrk loads it."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    response = urllib.request.build_opener(NoRedirect).open(request)
    body = response.read().decode()
    if response.status != 200 or (expect and expect not in body):
        raise RuntimeError(f"{url}: status {response.status}, {'expected text missing' if expect else ''}")


def run_wrk(wrk: str, url: str, args, cookie: str = "") -> dict:
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, timeout=args.duration + 60).stdout
    found = {"rps": _number(r"Requests/sec:\s+([\d.]+)", output), "requests": _number(r"(\d+) requests in", output),
             "errors": _number(r"Non-2xx or 3xx responses:\s+(\d+)", output) or 0,
             "socket_errors": bool(re.search(r"Socket errors", output)), "raw": output}
    for pct in ("50", "75", "90", "99"):
        found[f"p{pct}"] = _latency(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output)
    return found


def _number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else None


def _latency(pattern: str, text: str) -> float | None:
    """A wrk latency figure in milliseconds."""
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        return None
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


RENDER_CPU = r'''
import json, os, statistics, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
os.environ["INSPECTOR_FSYNC"] = "0"
from pathlib import Path
from unittest import mock
import inspector
from inspector import create_app, demo
assert inspector.__file__.startswith(sys.argv[1]), inspector.__file__
renders, rounds, ways = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
with tempfile.TemporaryDirectory(prefix="render_cpu_") as folder:
    app = create_app({"INSPECTOR_DATA_DIR": str(Path(folder) / "data"), "WTF_CSRF_ENABLED": False})
    store = app.extensions["store"]
    username, password = next((u, p) for u, p, role in demo.seed(store) if role == "inspector")
    code = next(l["code"] for l in store.lks.all() if l["kind"] == "lksa")
    client = app.test_client()
    assert client.post("/masuk", data={"username": username, "password": password}).status_code == 302
    url = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa"}).location
    found = {}
    for way in ways:
        patch = mock.patch("inspector.web.inspection.page._kept", lambda checklist: None) if way == "direct" \
            else mock.patch.dict(os.environ, {})
        with patch:
            body = client.get(url).get_data()
            assert b'name="inspection_key"' in body, url
            times = []
            for _ in range(rounds):
                start = time.process_time()
                for _ in range(renders):
                    client.get(url)
                times.append((time.process_time() - start) / renders * 1000)
        found[way] = {"ms": statistics.median(times), "min_ms": min(times), "bytes": len(body)}
    print(json.dumps(found))
'''


def render_cpu(tree: Path, ways: str, args) -> dict:
    """CPU milliseconds per render of the checklist page with the code in ``tree``, in a child process."""
    done = subprocess.run([sys.executable, "-c", RENDER_CPU, str(tree), str(args.renders), str(args.rounds), ways],
                          cwd=tree, capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if done.returncode != 0:
        sys.exit(f"measuring the render in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def render_costs(args, tmp: Path) -> list[tuple[str, dict]]:
    """The checklist page's CPU per render: kept and direct with this code, and the code of --before."""
    rows = list(render_cpu(REPO, "kept,direct", args).items())
    if args.before:
        tree = tmp / "before"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before], capture_output=True)
        if archive.returncode != 0:
            sys.exit(f"git archive {args.before} failed: {archive.stderr.decode()[-500:]}")
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        rows.append((f"at {args.before}", render_cpu(tree, "whole", args)["whole"]))
    return rows


def print_render_costs(rows, args) -> None:
    print(f"checklist page, CPU per render in one process (Flask test client, {args.renders} GETs x "
          f"{args.rounds} rounds, median round; fresh LKSA inspection of the demo inspector):")
    labels = {"kept": "kept questions, filled per inspection (as served)",
              "direct": "questions template rendered whole per request"}
    for way, r in rows:
        print(f"  {labels.get(way, 'whole page as revision ' + way[3:] + ' renders it'):<56} "
              f"{r['ms']:6.2f} ms  (best round {r['min_ms']:.2f} ms, {r['bytes']:,} bytes)")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint (wrk -d)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (wrk -t)")
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's own output too")
    parser.add_argument("--renders", type=int, default=100, help="GETs per round of the render cost")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the render cost (median)")
    parser.add_argument("--before", metavar="REF", help="also the render cost of git revision REF")
    parser.add_argument("--render-only", action="store_true", help="the render cost alone, no servers, no wrk")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 120))
    args.connections = max(1, min(args.connections, 256))
    args.threads = max(1, min(args.threads, args.connections))

    tmp = Path(tempfile.mkdtemp(prefix="throughput_"))
    servers: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print("throughput benchmark --", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        print(f"nproc={os.cpu_count()}  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        print_render_costs(render_costs(args, tmp), args)
        if args.render_only:
            return
        wrk = ensure_wrk()
        data = tmp / "data"
        inspector_port, hello_port = free_port(), free_port()
        env = {**os.environ, "INSPECTOR_DATA_DIR": str(data), "INSPECTOR_BASE_URL": f"http://127.0.0.1:{inspector_port}",
               "PYTHONDONTWRITEBYTECODE": "1"}
        seeded = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "demo", "seed"], cwd=REPO, env=env,
                                capture_output=True, text=True)
        if seeded.returncode != 0:
            sys.exit(f"demo seed failed:\n{seeded.stdout}{seeded.stderr}")
        (tmp / "hello_app.py").write_text(HELLO)
        servers.append(serve("hello_app:app", hello_port, tmp, {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                             tmp / "hello.log"))
        servers.append(serve("wsgi:app", inspector_port, REPO, env, tmp / "inspector.log"))

        sys.path.insert(0, str(REPO))
        from inspector.store import Store

        code = next(l["code"] for l in Store(data).lks.all() if l["kind"] == "lksa")
        base = f"http://127.0.0.1:{inspector_port}"
        inspection_path, cookie = open_inspection(base, code)
        endpoints = [
            ("hello (bare Flask)", f"http://127.0.0.1:{hello_port}/", "", "hello"),
            ("public LKS page", f"{base}/l/{code}", "", code),
            ("checklist page", f"{base}{inspection_path}", cookie, 'name="inspection_key"'),
        ]
        for _name, url, cookie_header, expect in endpoints:
            check(url, cookie_header, expect)

        print(f"server: waitress-serve --threads {THREADS} on 127.0.0.1 (as run-demo.sh), one process each; "
              f"Inspector on demo data (flask --app wsgi demo seed)")
        print(f"load: wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency, on the same machine")
        print()
        results = []
        for name, url, cookie_header, _expect in endpoints:
            result = run_wrk(wrk, url, args, cookie_header)
            results.append((name, url.split(str(inspector_port))[-1] if str(inspector_port) in url else "/", result))
            if args.show_wrk:
                print(result["raw"])
        header = f"{'endpoint':<20} {'path':<48} {'req/s':>8} {'p50_ms':>8} {'p75_ms':>8} {'p90_ms':>8} {'p99_ms':>8} {'non-2xx':>8}"
        print(header)
        print("-" * len(header))
        for name, path, r in results:
            cells = [f"{r[k]:.2f}" if r[k] is not None else "?" for k in ("p50", "p75", "p90", "p99")]
            rps = f"{r['rps']:.0f}" if r["rps"] is not None else "?"
            print(f"{name:<20} {path:<48} {rps:>8} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8} {cells[3]:>8} "
                  f"{int(r['errors']):>8}" + ("  (socket errors)" if r["socket_errors"] else ""))
        print()
        hello = results[0][2]["rps"] or 0
        for name, _path, r in results[1:]:
            if hello and r["rps"]:
                print(f"{name}: {100 * r['rps'] / hello:.0f}% of the bare Flask ceiling")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("notes: wrk and the server share the machine's cores; req/s counts complete responses; latency "
              "percentiles are wrk's (--latency). The checklist page is rendered for one signed-in inspector "
              "(one session cookie on every connection).")
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
