"""Helpers of the browser tests: a phone's browser context that may reach 127.0.0.1 only, signing in through
the real form, screenshots, the checks every phone page passes, and an inspection started and answered by
thumb. They take Playwright objects; the fixtures that make them live in tests/browser/conftest.py."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.builders import PASSWORD, ROLE_USERS
from tests.support.second_factor import current_code

CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium: nothing downloads a browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A bounded wait, not a timing claim: a service worker installs its files before it controls the page, which
# takes longer than the 5 s default on a loaded machine.
WORKER_READY_MS = 60000
PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
PHONE_WIDTH = 360
MIN_TARGET = 44
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1"}
# The store behind each live server, by its address (``register``): the second step of signing in types the
# code made from the account's secret there.
STORES: dict[str, object] = {}

# The answer typed into each kind of free field; numbers are chosen inside each item's bounds.
TEXT = "Ibu Sari, ketua yayasan"
LONGTEXT = "Kunjungan berjalan lancar. Pengurus kooperatif."
DATE = "2025-06-30"

# Every visible link and button in header, main and footer, measured by its tallest line box:
# a link that wraps has one box per line, and each line is what a thumb actually hits.
TARGETS_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll(
      'header a, header button, main a, main button, main input[type=submit], footer a')) {
    const style = getComputedStyle(el);
    const boxes = Array.from(el.getClientRects()).filter(r => r.width > 0 && r.height > 0);
    if (!boxes.length || style.visibility === 'hidden' || style.display === 'none') continue;
    found.push({text: (el.textContent || el.value || '').trim().replace(/\\s+/g, ' '), tag: el.tagName,
                height: Math.max(...boxes.map(r => r.height)), width: Math.max(...boxes.map(r => r.width))});
  }
  return found;
}"""


class Requests(list):
    """Every URL the context asked for, and those that were refused for leaving 127.0.0.1."""

    def __init__(self):
        super().__init__()
        self.blocked: list[str] = []

    def foreign(self) -> list[str]:
        return [url for url in self if urlsplit(url).scheme not in ("data", "blob", "about")
                and urlsplit(url).hostname not in LOCAL_HOSTS]


def guarded(context, requests: Requests):
    """Only 127.0.0.1: anything else is aborted and recorded."""
    context.set_default_timeout(5000)

    def guard(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            requests.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    context.on("request", lambda request: requests.append(request.url))
    return context


def phone_context(browser, requests: Requests, **options):
    """A phone (360 x 800, touch, Indonesian locale, WIB), guarded."""
    return guarded(browser.new_context(**PHONE, **options), requests)


def register(server):
    """Remember the store behind a live server (a ``LocalServer``), for ``sign_in``'s second step; the server."""
    STORES[server.url] = server.app.extensions["store"]
    return server


def sign_in(page, base_url: str, role: str, password: str = PASSWORD, next_path: str | None = None):
    """Sign in through the real forms (CSRF token and all); when the second step asks for a code, the code an
    authenticator app would show now, made from the account's secret (the server must be ``register``-ed)."""
    page.goto(base_url + "/masuk" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Nama pengguna").fill(ROLE_USERS[role])
    page.get_by_label("Kata sandi").fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Masuk").click()
    if urlsplit(page.url).path == "/masuk/kode":
        page.locator("#code").fill(current_code(STORES[base_url], ROLE_USERS[role]))
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Masuk").click()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def small_targets(page) -> list[str]:
    return [f"{t['tag']} {t['text']!r} {t['width']:.0f}x{t['height']:.0f}"
            for t in page.evaluate(TARGETS_JS) if t["height"] < MIN_TARGET]


def assert_fits_phone(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"horizontal scrolling on {page.url}: scrollWidth {widths}"


def assert_only_local(requests_seen):
    assert requests_seen, "no request recorded"
    assert requests_seen.foreign() == [], requests_seen.foreign()
    assert requests_seen.blocked == [], requests_seen.blocked


def start_inspection(page, server, lks) -> str:
    """Signed in as the inspector: open the LKS's page, tap 'Mulai inspeksi'; returns the inspection id."""
    sign_in(page, server.url, "inspector", next_path=f"/l/{lks['code']}")
    assert page.locator("main h1").inner_text() == lks["name"]
    with page.expect_navigation():
        page.get_by_role("button", name="Mulai inspeksi").click()
    found = re.fullmatch(re.escape(server.url) + r"/kunjungan/([\w-]+)", page.url)
    assert found, page.url
    assert page.get_by_text("Pertanyaan wajib belum terjawab").is_visible()
    return found.group(1)


def go(page, button: str, status: int = 200):
    """Tap a button that loads the next page; it must answer ``status``."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    assert navigation.value.status == status, (button, navigation.value.status, page.url)


def passing_number(item) -> str:
    return f"{min(item.max, item.min + 4):g}"


def answer(page, item, photo) -> None:
    """Answer one item with a passing answer, the way a thumb would (radio, checkbox, typing, camera)."""
    question = page.locator(f"#item-{item.id}")
    if item.type == "yes_no":
        passing = "Tidak" if item.fail_answer == "ya" else "Ya"
        question.get_by_role("radio", name=passing, exact=True).check()
    elif item.type in ("choice", "multi"):
        value = next(value for value, _ in item.options if value not in item.fail_values)
        question.locator(f"input[value='{value}']").check()
    elif item.type == "number":
        question.locator(f"#{item.id}").fill(passing_number(item))
    elif item.type == "date":
        question.locator(f"#{item.id}").fill(DATE)
    elif item.type == "text":
        question.locator(f"#{item.id}").fill(TEXT)
    elif item.type == "longtext":
        question.locator(f"#{item.id}").fill(LONGTEXT)
    elif item.type == "photo":
        question.locator(f"#{item.id}__photos").set_input_files(photo)
    else:  # pragma: no cover - a new item type needs a way to answer it here
        raise AssertionError(f"no way to answer {item.type}")
