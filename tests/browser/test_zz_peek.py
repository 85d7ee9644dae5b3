import pytest
from tests.browser.test_visit import *  # noqa
from tests.browser.test_visit import start_visit, answer, go

def test_peek(page, live_server, lksa, checklist, photos):
    visit_id = start_visit(page, live_server, lksa)
    page.locator("#jumlah_anak_hadir").fill("999")
    page.locator("#akreditasi_berlaku_sampai").fill("1900-01-01")
    go(page, "Simpan draf", status=400)
    page.screenshot(path="/tmp/errors-top.png")
    page.goto(live_server.url + f"/kunjungan/{visit_id}")
    go(page, "Lanjut ke ringkasan")
    page.screenshot(path="/tmp/summary-missing.png", full_page=True)
