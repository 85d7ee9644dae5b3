"""Accessibility of the main pages at 360 x 800, checked by axe-core (from npm, see package.json);
and the LKS poster as an admin sees it on a phone (rewrites docs/screenshots/poster-phone.png).

Every page is run through axe in Chromium, one browser context per role, and so are the sign-in page
after a wrong password and the inspection form sent back with an error; any finding of impact "serious" or
"critical" fails the test with its rule, the elements and axe's help text. Touch targets are held to
44 px as well (axe's own target-size rule asks only 24 px). The pages run on a server of their own, so
the records made here do not change what the other browser tests see.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from inspector import inspections
from inspector.local_server import LocalServer
from tests.support.builders import make_app, seed_app
from tests.support.inspection_builders import approved_with_followup, sent_inspection
from tests.support.phone import (Requests, assert_fits_phone, assert_only_local, phone_context, register, screenshot,
                                 sign_in, small_targets)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# axe's rules for WCAG 2.0-2.2 A and AA plus its best practices (landmarks, one h1, heading order).
# "incomplete" are the checks axe could not settle alone, such as an aria-describedby naming an id that is
# not on the page (it might appear later): on a finished server-rendered page they count as violations,
# except colour contrast over images and SVG, which axe cannot measure.
AXE_RUN = """async (context) => {
  const result = await axe.run(context || document, {resultTypes: ['violations', 'incomplete'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
  const brief = (v, incomplete) => ({id: v.id, impact: v.impact, help: v.help, url: v.helpUrl, incomplete,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))});
  return result.violations.map(v => brief(v, false))
    .concat(result.incomplete.filter(v => v.id !== 'color-contrast').map(v => brief(v, true)));
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Its own server: 3 LKS, one account per role, a draft and a sent LKSA inspection, an approved inspection
    of the operator's LKS with a follow-up."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` (run-tests.sh does it)")
    app = make_app(tmp_path_factory.mktemp("a11y"), WTF_CSRF_ENABLED=True)
    lks = seed_app(app)
    store = app.extensions["store"]
    lksa = next(r for r in lks if r["kind"] == "lksa")
    inspector = store.users.by_username("petugas1")
    draft = inspections.start(store, app.extensions["checklists"]["lksa"], lksa, inspector)
    sent = sent_inspection(app, lksa, fail=("izin_operasional",), notes={"izin_operasional": "Izin habis Maret."})
    inspection = approved_with_followup(app, lks[0])
    server = register(LocalServer(app))
    server.paths = {"code": lksa["code"], "draft": draft["id"], "sent": sent["id"],
                    "inspection": inspection["approved_id"]}
    try:
        yield server
    finally:
        server.close()


# axe judges "obscured" at one scroll position, where a sticky bar always covers whatever is scrolled under
# it; a person scrolls it clear, and the form's scroll-margin keeps a focused question clear of the bars.
# So the bars are put back in the flow while axe looks; their own buttons are measured (44 px) all the same.
UNSTICK = """() => { for (const el of document.querySelectorAll('body *'))
  if (getComputedStyle(el).position === 'sticky') el.style.position = 'static'; }"""


def violations(page, include: list[str] | None = None) -> list[str]:
    """axe's serious and critical findings on the page (or only inside the ``include`` selectors)."""
    page.add_script_tag(path=str(AXE))
    page.evaluate(UNSTICK)
    found = page.evaluate(AXE_RUN, {"include": [[s] for s in include]} if include else None)
    for v in found:
        if v["impact"] not in BLOCKING:  # shown with -s, not failing
            print(f"axe {v['impact']}: {page.url} {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
    return [f"{v['impact']} {v['id']}{' (incomplete)' if v['incomplete'] else ''} on {page.url}: "
            f"{v['help']} ({v['url']})\n" +
            "\n".join(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:8])
            for v in found if v["impact"] in BLOCKING]


ROLE_PAGES = {
    None: ["/", "/l/{code}", "/l/{code}/lapor", "/masuk"],
    "inspector": ["/inspeksi/", "/inspeksi/?q=a", "/inspeksi/lks/{code}", "/kunjungan/{draft}",
                  "/kunjungan/{sent}/ringkasan", "/akun/dua-langkah"],
    "reviewer": ["/tinjau/", "/tinjau/{sent}", "/tinjau/{inspection}", "/tinjau/laporan-masyarakat",
                 "/tinjau/pantauan", "/akun/dua-langkah"],
    "operator": ["/operator/", "/operator/inspeksi/{inspection}"],
    "admin": ["/admin/", "/admin/lks", "/admin/akun"],
}


def wrong_password(page, site) -> list[str]:
    sign_in(page, site.url, "reviewer", password="bukan-sandinya")
    assert page.locator(".field.has-error").count() == 1
    return violations(page)


def number_out_of_range(page, site) -> list[str]:
    """The inspection form sent back with an error: only the list of errors and the question are checked again."""
    page.goto(f"{site.url}/kunjungan/{site.paths['draft']}")
    page.locator("#jumlah_anak_hadir").fill("999")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Simpan draf", exact=True).click()
    assert navigation.value.status == 400
    assert page.locator("form.inspection nav.alert").count() == 1 and page.locator(".question.has-error").count() == 1
    return violations(page, include=["form.inspection nav.alert", "form.inspection .question.has-error"])


# Pages shown with an error, after the role's pages (where errors are announced and tied to their field).
ERROR_STATES = {None: wrong_password, "inspector": number_out_of_range}


@pytest.mark.parametrize("role", list(ROLE_PAGES), ids=lambda role: role or "public")
def test_main_pages_have_no_serious_accessibility_violation(browser, site, role):
    requests = Requests()
    # The CSP forbids every script the server did not send, axe included: this context alone bypasses it
    # so that axe can be injected. The policy itself is checked in tests/test_headers.py.
    context = phone_context(browser, requests, bypass_csp=True)
    try:
        page = context.new_page()
        if role:
            sign_in(page, site.url, role)
        problems = []
        for path in ROLE_PAGES[role]:
            response = page.goto(site.url + path.format(**site.paths))
            assert response.status == 200, (path, response.status)
            problems += violations(page)
            problems += [f"touch target under 44 px on {page.url}: {t}" for t in small_targets(page)]
            assert_fits_phone(page)
        if role in ERROR_STATES:
            problems += ERROR_STATES[role](page, site)
        assert problems == [], "\n".join(problems)
        assert_only_local(requests)
    finally:
        context.close()


def test_the_poster_on_the_admin_phone_shows_a_qr_that_reads(browser, site):
    """The poster PNG (a download) fetched with the admin's session and shown at 360 px: the picture in
    docs/screenshots/poster-phone.png, and its QR still reads at that size and leads to the LKS's page."""
    requests = Requests()
    context = phone_context(browser, requests)
    try:
        page = context.new_page()
        sign_in(page, site.url, "admin")
        lks = site.app.extensions["store"].lks.by_code(site.paths["code"])
        response = context.request.get(f"{site.url}/admin/lks/{lks['id']}/poster.png")
        assert response.ok and response.headers["content-type"] == "image/png"
        png = base64.b64encode(response.body()).decode()
        page = context.new_page()  # about:blank, where the picture may be scaled to the phone's width
        page.set_content('<meta name="viewport" content="width=device-width, initial-scale=1">'
                         '<body style="margin:0;background:#f4f5f7">'
                         f'<img alt="Poster" src="data:image/png;base64,{png}" style="display:block;width:100%"></body>')
        assert page.locator("img").evaluate("img => img.complete && img.naturalWidth") > 1000
        path = screenshot(page, "poster-phone.png")
        with Image.open(path) as shot:
            assert shot.size[0] == 360
            [found] = zxingcpp.read_barcodes(shot)
        assert found.text.endswith(f"/l/{lks['code']}"), found.text
        assert_only_local(requests)
    finally:
        context.close()
