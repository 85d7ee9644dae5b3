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

For each it reports the bytes on the wire for the HTML, CSS and JS (``encodedDataLength`` of
``Network.loadingFinished``: compressed bodies plus response headers), the number of requests and of
requests to any host but 127.0.0.1 (must be 0), and the time from the start of navigation until the first
answer field is usable (present, visible, enabled, styled, and the page painted), with first contentful
paint and the load event for comparison. Times are medians over ``--runs`` loads.

Run from the repository root (about a minute; asserts nothing, but exits 1 if the checklist page is over
its 60 KB budget or any request leaves 127.0.0.1):

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
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("INSPECTOR_FSYNC", "0")  # a throwaway data folder: durability is not measured here

from inspector import create_app, demo  # noqa: E402
from inspector.local_server import LocalServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
BUDGET = 60 * 1024  # bytes on the wire for the checklist page
ENKETO_BYTES = 2_000_000  # a typical Enketo form page, for comparison
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
                finally:
                    browser.close()
        finally:
            server.close()
    return report(results, args.runs)


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
    print(f"\nChecklist page: {kb(checklist)} on the wire, budget {kb(BUDGET)}: "
          f"{'within' if checklist <= BUDGET else 'OVER'}.")
    print(f"For comparison, a typical Enketo form page is about {ENKETO_BYTES / 1e6:.0f} MB: "
          f"{ENKETO_BYTES / SLOW_3G['downloadThroughput']:.0f} s of transfer alone at this speed, "
          f"{ENKETO_BYTES / max(checklist, 1):.0f} times the checklist page.")
    return 1 if failed or checklist > BUDGET else 0


if __name__ == "__main__":
    sys.exit(main())
