"""Benchmark: what the phone pages weigh and how soon they are usable on a slow 3G link.

The app runs behind waitress on 127.0.0.1 with a fresh temporary data folder and the demo data. An
inspector signs in through Chromium (Debian's, at /usr/bin/chromium) and starts an LKSA inspection (the
67-item checklist). Then each page is loaded in a fresh tab with the browser cache disabled and the
network throttled through the DevTools protocol (``Network.emulateNetworkConditions``: 400 ms latency,
400 kbit/s = 50,000 bytes/s down and up):

* the checklist page of that inspection (signed in),
* the public page of an LKS (what anyone scanning the poster opens),
* the sign-in page;
* once more the checklist page, asking for no compression (``Accept-Encoding: identity``), to compare;
* and the checklist page as a second page is loaded: cache on, CSS and JS already kept by the browser.

Then, through a slow link in front of the server (``bench/slow_link.py``: the same 400 ms round trip and
50,000 bytes/s, shared by every connection and crossed by everything, the service worker's own fetches
included, which DevTools' per-tab throttling does not cover), with a phone that has never opened Inspector
(a fresh browser profile holding only the sign-in cookie):

* the first visit of the LKSA checklist page: the page, its CSS and scripts, the service worker it registers
  and every file that worker keeps at install, until the link is quiet;
* a repeat visit of the same page (the worker in control, its files kept);
* the offline start page of a prepared LKS: "Siapkan untuk tanpa sinyal" on the inspector's home (at
  loopback speed: preparing is not what is measured), then offline, the LKS's poster address, until
  "Mulai inspeksi" is usable.

For each it reports the bytes on the wire for the HTML, CSS and JS (``encodedDataLength`` of
``Network.loadingFinished``: compressed bodies plus response headers), the number of requests and of
requests to any host but 127.0.0.1 (must be 0), and the time from the start of navigation until the first
answer field is usable (present, visible, enabled, styled, and the page painted), with first contentful
paint and the load event for comparison. Times are medians over ``--runs`` loads.

Run from the repository root (about two minutes; asserts nothing, but exits 1 if the checklist page's first
visit is over its 40 KB budget, its first question is not usable within 3 s, the offline start page is not
usable within 1 s, or any request leaves 127.0.0.1):

    .venv/bin/python bench/page_weight.py
    .venv/bin/python bench/page_weight.py --runs 1      # quicker

No file outside a temporary folder is written; no browser is downloaded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
import time
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("INSPECTOR_FSYNC", "0")  # a throwaway data folder: durability is not measured here

from inspector import create_app, demo  # noqa: E402
from inspector.local_server import LocalServer  # noqa: E402
from bench.slow_link import SlowLink  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
BUDGET = 40 * 1024  # bytes on the wire for the first visit of the checklist page, service worker included
USABLE_BUDGET_MS = 3000  # first question usable, first visit
OFFLINE_BUDGET_MS = 1000  # offline start page of a prepared LKS usable
# What a user would pick instead, as issue 11 quotes them (not downloaded here): bytes of one form page.
ALTERNATIVES = (("ODK Web Forms", 1_100_000), ("Enketo", 2_000_000))
ENKETO_BYTES = 2_000_000  # a typical Enketo form page, for comparison
QUIET_S = 1.5  # the link is quiet: nothing crossed it for this long
TIMEOUT_MS = 30_000

# The first answer field of the page is usable: present, visible, enabled, every stylesheet loaded, and the
# page painted. Checked at every animation frame; returns performance.now(), i.e. ms since navigation start.
FIRST_FIELD_USABLE = """(selector) => {
  const field = document.querySelector(selector);
  const styled = Array.from(document.querySelectorAll('link[rel=stylesheet]')).every(link => link.sheet);
  const painted = performance.getEntriesByName('first-contentful-paint').length > 0;
  if (!field || field.disabled || !styled || !painted) return false;
  const box = field.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(field).visibility !== 'hidden' && performance.now();
}"""
PAINT_AND_LOAD = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const nav = performance.getEntriesByType('navigation')[0];
  return {fcp: paint ? paint.startTime : null, load: nav ? nav.loadEventEnd : null};
}"""


def measure(context, url: str, field: str, headers: dict | None = None, cache: bool = False) -> dict:
    """Load ``url`` in a fresh tab of ``context`` over the throttled link; what crossed it and when.
    With ``cache`` the browser cache is on (CSS and JS kept from an earlier load, as on a second page)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    responses: dict[str, dict] = {}
    requests: list[str] = []
    cdp.on("Network.requestWillBeSent", lambda e: requests.append(e["request"]["url"]))
    cdp.on("Network.responseReceived", lambda e: responses.setdefault(e["requestId"], {}).update(
        url=e["response"]["url"], type=e["type"], status=e["response"]["status"],
        cached=e["response"].get("fromDiskCache", False) or e["response"].get("fromMemoryCache", False),
        encoding={k.lower(): v for k, v in e["response"]["headers"].items()}.get("content-encoding", "")))
    cdp.on("Network.loadingFinished", lambda e: responses.setdefault(e["requestId"], {}).update(
        wire=e["encodedDataLength"]))
    cdp.on("Network.requestServedFromCache", lambda e: responses.setdefault(e["requestId"], {}).update(served_from_cache=True))
    cdp.send("Network.enable")
    cdp.send("Network.setBypassServiceWorker", {"bypass": True})  # these rows weigh the pages without it
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": not cache})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    if headers:
        cdp.send("Network.setExtraHTTPHeaders", {"headers": headers})
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        usable = page.wait_for_function(FIRST_FIELD_USABLE, arg=field, polling="raf", timeout=TIMEOUT_MS).json_value()
        page.wait_for_load_state("load", timeout=TIMEOUT_MS)
        page.wait_for_function("() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0",
                               timeout=TIMEOUT_MS)
        timing = page.evaluate(PAINT_AND_LOAD)
    finally:
        cdp.detach()
        page.close()
    fetched = [r for r in responses.values() if "url" in r and urlsplit(r["url"]).scheme in ("http", "https")]
    # what the browser cache answered did not cross the link
    network = [r for r in fetched if not (r.get("cached") or r.get("served_from_cache"))]
    text = [r for r in network if r["type"] in ("Document", "Stylesheet", "Script")]
    return {
        "wire": sum(r.get("wire", 0) for r in text),
        "wire_all": sum(r.get("wire", 0) for r in network),
        "requests": len(network),
        "foreign": sorted({u for u in requests if urlsplit(u).scheme not in ("data", "blob", "about")
                           and urlsplit(u).hostname != "127.0.0.1"}),
        "statuses": sorted({r["status"] for r in network}),
        "encodings": sorted({f"{r['type']}:{r['encoding'] or 'none'}" for r in text}),
        "usable": usable, "fcp": timing["fcp"], "load": timing["load"],
    }


def sign_in_and_start_inspection(context, base: str, username: str, password: str, code: str) -> str:
    """Through the real pages, unthrottled: sign in, open the LKS, tap 'Mulai inspeksi'; the form's URL."""
    page = context.new_page()
    page.goto(f"{base}/masuk?next=/l/{code}")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Masuk").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Mulai inspeksi").click()
    url = page.url
    page.close()
    if "/kunjungan/" not in url:
        raise SystemExit(f"the inspection did not start: ended on {url}")
    return url


START_BUTTON = "main form[action$='/mulai'] button[type=submit]"


def wait_quiet(page, link: SlowLink) -> None:
    """Until nothing crossed the link for QUIET_S (the service worker's install included)."""
    last, since = link.down + link.up, time.monotonic()
    deadline = since + TIMEOUT_MS / 1000
    while time.monotonic() - since < QUIET_S and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        now = link.down + link.up
        if now != last:
            last, since = now, time.monotonic()


def visit(context, link: SlowLink, url: str, field: str, first: bool = False) -> dict:
    """Open ``url`` in a new tab of ``context`` over ``link``; every byte that crossed the link until it was
    quiet, the files fetched (by the page or its service worker), and when the first field was usable."""
    page = context.new_page()
    fetched: list[dict] = []

    def finished(request):
        try:
            sizes = request.sizes()
            response = request.response()
        except Exception:  # noqa: BLE001 - a request the browser gave up on
            return
        fetched.append({"url": urlsplit(request.url).path, "wire": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                        "worker": request.service_worker is not None,
                        "from_worker": bool(response and response.from_service_worker)})
    context.on("requestfinished", finished)
    link.reset()
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        usable = page.wait_for_function(FIRST_FIELD_USABLE, arg=field, polling="raf", timeout=TIMEOUT_MS).json_value()
        page.wait_for_load_state("load", timeout=TIMEOUT_MS)
        if first:
            page.wait_for_function("() => navigator.serviceWorker.ready.then(r => !!r.active)", timeout=TIMEOUT_MS)
        wait_quiet(page, link)
        timing = page.evaluate(PAINT_AND_LOAD)
        controlled = page.evaluate("() => !!navigator.serviceWorker.controller")
    finally:
        context.remove_listener("requestfinished", finished)
        page.close()
    return {"down": link.down, "up": link.up, "usable": usable, "fcp": timing["fcp"], "load": timing["load"],
            "fetched": fetched, "controlled": controlled, "requests": list(link.requests)}


def offline_start(context, link: SlowLink, base: str, code: str) -> dict:
    """Open a prepared LKS's poster address without signal: when "Mulai inspeksi" is usable."""
    page = context.new_page()
    try:
        page.goto(f"{base}/l/{code}", wait_until="commit", timeout=TIMEOUT_MS)
        usable = page.wait_for_function(FIRST_FIELD_USABLE, arg=START_BUTTON, polling="raf",
                                        timeout=TIMEOUT_MS).json_value()
        title = page.locator("main h1").inner_text()
        timing = page.evaluate(PAINT_AND_LOAD)
    finally:
        page.close()
    return {"usable": usable, "fcp": timing["fcp"], "load": timing["load"], "title": title}


def prepare_offline(context, base: str) -> str:
    """On the inspector's home, tap "Siapkan untuk tanpa sinyal" and wait until it is ready; its status."""
    page = context.new_page()
    try:
        page.goto(f"{base}/inspeksi/", timeout=TIMEOUT_MS)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
        card = page.locator("#tanpa-sinyal")
        card.get_by_role("button", name="Siapkan untuk tanpa sinyal").click()
        status = card.locator("[data-prepare-status]")
        page.wait_for_function("(el) => el.textContent.includes('Siap tanpa sinyal')", arg=status.element_handle(),
                               timeout=120_000)
        return status.inner_text()
    finally:
        page.close()


def with_worker(browser, server, username: str, password: str, lks: dict, field: str, runs: int) -> dict:
    """The first visit, repeat visits and the offline start page, through a slow link, on a fresh phone."""
    link = SlowLink(server.server.effective_port, rate=SLOW_3G["downloadThroughput"],
                    one_way=SLOW_3G["latency"] / 2000)
    try:
        link.slow = False
        setup = browser.new_context(**PHONE)
        form_url = sign_in_and_start_inspection(setup, link.url, username, password, lks["code"])
        cookies = setup.cookies()
        setup.close()
        phone = browser.new_context(**PHONE, storage_state={"cookies": cookies, "origins": []})
        try:
            link.slow = True
            first = visit(phone, link, form_url, field, first=True)
            repeats = [visit(phone, link, form_url, field) for _ in range(runs)]
            link.slow = False
            status = prepare_offline(phone, link.url)
            phone.set_offline(True)
            try:
                offline = [offline_start(phone, link, link.url, lks["code"]) for _ in range(runs)]
            finally:
                phone.set_offline(False)
        finally:
            phone.close()
    finally:
        link.close()
    return {"first": first, "repeats": repeats, "offline": offline, "prepared": status, "lks": lks["name"]}


def report_worker(found: dict, runs: int) -> bool:
    """Print the slow-link figures; whether they are within the budgets."""
    first, repeats, offline = found["first"], found["repeats"], found["offline"]
    print(f"\nThrough a slow link (bench/slow_link.py: {SLOW_3G['latency']} ms round trip, "
          f"{SLOW_3G['downloadThroughput']:,} B/s each way, shared; every connection, the service worker's too), "
          f"a phone that never opened Inspector:\n")
    header = f"{'visit':<44} {'down':>9} {'up':>8} {'files':>6} {'1st field usable':>16} {'FCP':>7} {'load':>7}"
    print(header)
    print("-" * len(header))
    rows = [("Checklist, LKSA: first visit (+ worker)", [first]),
            ("Checklist, LKSA: repeat visit", repeats)]
    for name, measured in rows:
        median = {k: seconds([r[k] for r in measured]) for k in ("usable", "fcp", "load")}
        network = [f for f in measured[0]["fetched"] if not f["from_worker"]]
        print(f"{name:<44} {kb(measured[0]['down']):>9} {kb(measured[0]['up']):>8} {len(network):>6} "
              f"{median['usable']:>16} {median['fcp']:>7} {median['load']:>7}")
    median = {k: seconds([r[k] for r in offline]) for k in ("usable", "fcp", "load")}
    print(f"{'Offline start page of a prepared LKS':<44} {'0 KB':>9} {'0 KB':>8} {0:>6} "
          f"{median['usable']:>16} {median['fcp']:>7} {median['load']:>7}")
    for name, wire in ALTERNATIVES:
        transfer = f"> {wire / SLOW_3G['downloadThroughput']:.0f}s"
        print(f"{name + ' (issue 11 quotes it)':<44} {kb(wire):>9} {'':>8} {'':>6} {transfer:>16}")
    print(f"\nFirst visit, file by file (bytes as the browser counted them; 'worker' = fetched by the service worker):")
    for f in sorted(first["fetched"], key=lambda f: (f["worker"], f["url"])):
        if not f["from_worker"]:
            print(f"  {f['url']:<48} {kb(f['wire']):>9}{'  worker' if f['worker'] else ''}")
    print(f"Requests that crossed the link on the first visit ({len(first['requests'])}): "
          + ", ".join(r.split("?")[0] for r in first["requests"]))
    print(f"Repeat visit: the page {'was' if repeats[0]['controlled'] else 'was NOT'} controlled by the worker; "
          f"files from the network: {', '.join(f['url'] for f in repeats[0]['fetched'] if not f['from_worker']) or 'none'}")
    print(f"Prepared: {found['prepared']!r}; offline start page of {found['lks']!r}: "
          f"{', '.join(sorted({r['title'] for r in offline}))}; times are medians of {runs} load(s).")
    usable = statistics.median(r["usable"] for r in [first])
    offline_ms = statistics.median(r["usable"] for r in offline)
    checks = [(first["down"] <= BUDGET, f"first visit {kb(first['down'])} on the wire to the phone "
               f"({kb(first['up'])} from it), budget {kb(BUDGET)}"),
              (usable <= USABLE_BUDGET_MS, f"first question usable at {usable / 1000:.2f}s, budget "
               f"{USABLE_BUDGET_MS / 1000:.0f}s"),
              (offline_ms <= OFFLINE_BUDGET_MS, f"offline start page usable at {offline_ms / 1000:.2f}s, budget "
               f"{OFFLINE_BUDGET_MS / 1000:.0f}s")]
    print()
    for ok, text in checks:
        print(f"{'within' if ok else 'OVER'}: {text}")
    return all(ok for ok, _ in checks)


def seconds(values: list) -> str:
    """The median of the times measured, in seconds; '-' if the browser reported none."""
    known = [v for v in values if v is not None]
    return f"{statistics.median(known) / 1000:.2f}s" if known else "-"


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="loads of each page (median of the times)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="inspector-weight-") as folder:
        app = create_app({"INSPECTOR_DATA_DIR": str(Path(folder) / "data")})
        store = app.extensions["store"]
        credentials = demo.seed(store)
        username, password = next((u, p) for u, p, role in credentials if role == "inspector")
        checklist = app.extensions["checklists"]["lksa"]
        lksa = next(r for r in store.lks.all() if r["kind"] in checklist.kinds)
        server = LocalServer(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    inspector = browser.new_context(**PHONE)
                    anonymous = browser.new_context(**PHONE)
                    form_url = sign_in_and_start_inspection(inspector, server.url, username, password, lksa["code"])
                    pages = [
                        (f"Checklist ({len(list(checklist.items()))} items)", inspector, form_url,
                         "form.inspection .question input:not([type=hidden]), form.inspection .question textarea"),
                        ("Public LKS page", anonymous, f"{server.url}/l/{lksa['code']}", "main a, main button"),
                        ("Sign-in page", anonymous, f"{server.url}/masuk", "#username"),
                    ]
                    results = []
                    for name, context, url, field in pages:
                        runs = [measure(context, url, field) for _ in range(args.runs)]
                        results.append((name, runs))
                    # The same checklist page as it would be sent without compression, once.
                    results.append(("  same, uncompressed", [measure(inspector, form_url, pages[0][3],
                                                                        {"Accept-Encoding": "identity"})]))
                    # And as a second page is: CSS and JS kept by the browser (versioned URLs, a year).
                    measure(inspector, form_url, pages[0][3], cache=True)
                    results.append(("  same, CSS+JS cached", [measure(inspector, form_url, pages[0][3], cache=True)
                                                              for _ in range(args.runs)]))
                    worker = with_worker(browser, server, username, password, lksa, pages[0][3], args.runs)
                finally:
                    browser.close()
        finally:
            server.close()
    failed = report(results, args.runs)
    return 1 if not report_worker(worker, args.runs) or failed else 0


def report(results, runs: int) -> int:
    print(f"Slow 3G (Chromium DevTools): latency {SLOW_3G['latency']} ms, {SLOW_3G['downloadThroughput']:,} B/s "
          f"down and up, cache disabled; times are medians of {runs} load(s) from navigation start.\n")
    header = f"{'page':<24} {'HTML+CSS+JS':>12} {'all':>9} {'fetched':>8} {'foreign':>7} " \
             f"{'1st field usable':>16} {'FCP':>7} {'load':>7}"
    print(header)
    print("-" * len(header))
    failed = False
    for name, measured in results:
        first = measured[0]
        median = {k: seconds([r[k] for r in measured]) for k in ("usable", "fcp", "load")}
        print(f"{name:<24} {kb(first['wire']):>12} {kb(first['wire_all']):>9} {first['requests']:>8} "
              f"{len(first['foreign']):>7} {median['usable']:>16} {median['fcp']:>7} {median['load']:>7}")
        failed |= any(r["foreign"] for r in measured) or any(s >= 400 for r in measured for s in r["statuses"])
    print()
    for name, measured in results:
        print(f"{name}: encodings {', '.join(measured[0]['encodings'])}; statuses {measured[0]['statuses']}"
              + (f"; FOREIGN {measured[0]['foreign']}" if measured[0]["foreign"] else ""))
    checklist = results[0][1][0]["wire"]
    if results[3][1][0]["encodings"] != sorted(f"{t}:none" for t in ("Document", "Script", "Stylesheet")):
        print("(the uncompressed row came compressed: the browser overrode Accept-Encoding)")
    print(f"\nChecklist page (no service worker yet): {kb(checklist)} of HTML, CSS and JS on the wire.")
    print(f"For comparison, a typical Enketo form page is about {ENKETO_BYTES / 1e6:.0f} MB: "
          f"{ENKETO_BYTES / SLOW_3G['downloadThroughput']:.0f} s of transfer alone at this speed, "
          f"{ENKETO_BYTES / max(checklist, 1):.0f} times the checklist page.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
