"""A finding from the inspector's phone to the LKS's follow-up, through real clicks in Chromium.

The inspector sends an LKSA inspection with one finding and a note; the reviewer returns it with a comment;
the inspector changes the note and sends it again; the reviewer sees the change and approves; the LKS
operator sees the inspection in their history (score chart and all) and records a follow-up; the
reviewer accepts it. Each role has its own phone (360 x 800); reviewer and operator also use a desktop
(1280 x 900) for the pictures.

Each run rewrites review-queue-*.png, review-page-*.png, operator-history-*.png and dashboard-*.png
(phone and desktop) in docs/screenshots/.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from inspector import followups, review, timefmt
from inspector.auth import User
from inspector.timefmt import today_wib
from tests.support.builders import add_account
from tests.support.inspection_builders import sent_inspection
from tests.support.phone import (Requests, answer, assert_fits_phone, assert_only_local, go, guarded, phone_context,
                                 screenshot, sign_in, start_inspection)
from tests.support.photos import jpeg_file

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "id-ID",
           "timezone_id": "Asia/Jakarta"}
FINDING = "izin_operasional"  # yes_no, not critical, not confidential, no photo needed when it fails
FIRST_NOTE = "Izin operasional habis Maret 2025; pengurus sedang mengurus perpanjangan."
SECOND_NOTE = ("Izin operasional habis 14 Maret 2025. Perpanjangan diajukan ke DPMPTSP 2 Juni 2025 "
               "(tanda terima no. 503/118); pengurus janji mengirim salinan izin baru.")
RETURN_COMMENT = "Mohon lengkapi catatan"
FOLLOWUP = "Berkas perpanjangan izin sudah lengkap dan diserahkan ke DPMPTSP; menunggu izin terbit."


# --- Contexts and helpers ------------------------------------------------------------------------

def _desktop_of(browser, requests, phone):
    """A desktop browser signed in as the same account as the ``phone`` context (its cookies copied)."""
    return guarded(browser.new_context(**DESKTOP, storage_state=phone.storage_state()), requests)


def _row(page, href: str):
    return page.locator("main ul.list > li").filter(has=page.locator(f"a[href='{href}']"))


def _flash(page, text: str):
    return page.locator("main p.flash").filter(has_text=text)


def _click(page, locator):
    with page.expect_navigation():
        locator.click()


def _at(when: str):
    return lambda: datetime.fromisoformat(when)


def _history_and_queue(live_server, monkeypatch):
    """What a few months of use leave behind, written through the domain functions on a set clock:
    two approved inspections of the operator's LKS (so the chart has a line) and two inspections of other
    LKS waiting in the queue (one with a critical finding), by an inspector of their own so the other
    browser tests' lists stay as they expect."""
    app = live_server.app
    store = app.extensions["store"]
    lks = live_server.lks
    if store.users.by_username("petugas-kelurahan") is None:
        add_account(store, "petugas-kelurahan", "inspector", name="Dedi Kurniawan", agency="Kelurahan")
    reviewer = store.users.by_username("peninjau1")
    history = [("2025-03-10T02:30:00+00:00", ("izin_operasional", "apar", "dapur_bersih", "kotak_p3k",
                                              "visi_misi", "jalur_evakuasi")),
               ("2025-09-15T03:00:00+00:00", ("apar", "kotak_p3k"))]
    for when, fail in history:
        with monkeypatch.context() as patch:  # only while nothing else runs: the browser is idle here
            patch.setattr(timefmt, "now", _at(when))
            record = sent_inspection(app, lks[0], username="petugas-kelurahan", fail=fail,
                                notes={"apar": "APAR kedaluwarsa.", "kotak_p3k": "Kotak P3K kosong."})
            _, reason = review.decide(store, record["id"], User(reviewer), "approve")
            assert reason is None, reason
    waiting = [sent_inspection(app, lks[2], username="petugas-kelurahan",
                          fail=("hukuman_fisik", "dapur_bersih", "kotak_p3k"),
                          notes={"hukuman_fisik": "Pengasuh mengaku menjemur anak yang terlambat pulang."}),
               sent_inspection(app, lks[1], checklist_id="umum", username="petugas-kelurahan",
                          fail=("cara_mengadu",))]
    assert [r["status"] for r in waiting] == ["submitted", "submitted"]
    return waiting


# --- The flow --------------------------------------------------------------------------------------

def test_finding_returned_resent_approved_and_followed_up(browser, live_server, tmp_path, monkeypatch):
    store = live_server.app.extensions["store"]
    checklist = live_server.app.extensions["checklists"]["lksa"]
    lks = live_server.lks[0]
    assert lks["kind"] == "lksa"
    item = checklist.item(FINDING)
    assert item.type == "yes_no" and not (item.critical or item.confidential or item.photo_on_fail)
    requests = Requests()
    waiting = _history_and_queue(live_server, monkeypatch)
    photo = jpeg_file(tmp_path / "depan.jpg")
    contexts = []
    try:
        # --- 1. The inspector sends the inspection with one finding and a note -------------------------
        inspector_ctx = phone_context(browser, requests)
        contexts.append(inspector_ctx)
        inspector = inspector_ctx.new_page()
        inspection_id = start_inspection(inspector, live_server, lks)
        for question in checklist.items():
            if question.id != FINDING:
                answer(inspector, question, photo)
        finding = inspector.locator(f"#item-{FINDING}")
        finding.get_by_role("radio", name="Tidak", exact=True).check()
        finding.locator("details.note > summary").click()
        finding.get_by_label(f"Catatan untuk: {item.question}").fill(FIRST_NOTE)
        expect(inspector.locator("form.inspection [data-counter]")).to_have_text("0")
        go(inspector, "Lanjut ke ringkasan")
        found = inspector.locator("main section.card").filter(has=inspector.get_by_role("heading", name="Temuan (1)"))
        expect(found).to_contain_text(item.question)
        expect(found).to_contain_text(FIRST_NOTE)
        go(inspector, "Kirim")
        expect(_flash(inspector, "Inspeksi terkirim ke Dinas Sosial")).to_be_visible()
        assert inspector.get_by_text("Status: menunggu tinjauan.").is_visible()
        record = store.inspections.get(inspection_id)
        assert record["status"] == "submitted" and record["score"]["failed"] == [FINDING]
        score_text = f"{record['score']['percent']:.0f}%"

        # --- 2. The reviewer finds it in the queue and returns it with a comment ------------------
        reviewer_ctx = phone_context(browser, requests)
        contexts.append(reviewer_ctx)
        reviewer = reviewer_ctx.new_page()
        sign_in(reviewer, live_server.url, "reviewer")
        assert reviewer.url == live_server.url + "/tinjau/"  # the reviewer's home is the queue
        assert reviewer.get_by_role("heading", level=1).inner_text() == "Antrean tinjauan"
        row = _row(reviewer, f"/tinjau/{inspection_id}")
        expect(row).to_have_count(1)
        assert lks["name"] in row.inner_text()
        assert f"Skor {score_text} · 1 temuan · 1 foto" in row.inner_text()
        assert "Uji inspector" in row.inner_text()
        for other in waiting:
            expect(_row(reviewer, f"/tinjau/{other['id']}")).to_have_count(1)
        expect(_row(reviewer, f"/tinjau/{waiting[0]['id']}").locator(".tag.critical")).to_have_text("Kritis")
        assert_fits_phone(reviewer)
        screenshot(reviewer, "review-queue-phone.png")
        reviewer_desktop_ctx = _desktop_of(browser, requests, reviewer_ctx)
        contexts.append(reviewer_desktop_ctx)
        reviewer_desktop = reviewer_desktop_ctx.new_page()
        reviewer_desktop.goto(live_server.url + "/tinjau/")
        expect(_row(reviewer_desktop, f"/tinjau/{inspection_id}")).to_have_count(1)
        screenshot(reviewer_desktop, "review-queue-desktop.png")

        _click(reviewer, row.get_by_role("link"))
        assert reviewer.url == f"{live_server.url}/tinjau/{inspection_id}"
        assert reviewer.get_by_role("heading", level=1).inner_text() == lks["name"]
        failed = reviewer.locator(f"#item-{FINDING}")
        assert "failed" in failed.get_attribute("class")
        expect(failed.locator("dd strong")).to_have_text("Tidak")
        expect(failed.locator(".tag")).to_have_text("temuan")
        expect(failed.locator(".note-text")).to_have_text(FIRST_NOTE)
        assert reviewer.locator("dl.answers .answer.failed").count() == 1
        expect(reviewer.get_by_role("heading", name="Perubahan dari kiriman sebelumnya")).to_have_count(0)
        reviewer.get_by_label("Komentar untuk petugas").fill(RETURN_COMMENT)
        _click(reviewer, reviewer.get_by_role("button", name="Kembalikan untuk perbaikan"))
        assert reviewer.url == live_server.url + "/tinjau/"
        expect(_flash(reviewer, "Keputusan tersimpan: Perlu perbaikan.")).to_be_visible()
        expect(_row(reviewer, f"/tinjau/{inspection_id}")).to_have_count(0)  # no longer waiting
        assert store.inspections.get(inspection_id)["status"] == "returned"

        # --- 3. The inspector reads the comment, changes the note and sends again ------------------
        inspector.goto(live_server.url + "/inspeksi/")
        _click(inspector, inspector.locator("header").get_by_role("link", name="Kunjungan", exact=True))
        mine = _row(inspector, f"/kunjungan/{inspection_id}")  # a returned inspection opens its form
        expect(mine.locator(".tag").first).to_have_text("Perlu perbaikan")
        _click(inspector, mine.get_by_role("link"))
        assert inspector.url == f"{live_server.url}/kunjungan/{inspection_id}"
        expect(inspector.locator("main").get_by_text("dikembalikan untuk perbaikan")).to_be_visible()
        go(inspector, "Lanjut ke ringkasan")  # the reviewer's comment is on the summary
        expect(_flash(inspector, "Dikembalikan untuk perbaikan")).to_be_visible()
        comments = inspector.locator("#komentar")
        expect(comments.locator(".comment")).to_have_count(1)
        expect(comments.locator(".comment")).to_contain_text(RETURN_COMMENT)
        expect(comments.locator(".comment .muted")).to_contain_text("Uji reviewer")
        assert_fits_phone(inspector)
        _click(inspector, inspector.get_by_role("link", name="Kembali ke isian"))
        note = inspector.locator(f"#{FINDING}__note")
        expect(note).to_be_visible()  # a note already written is shown open
        expect(note).to_have_value(FIRST_NOTE)
        note.fill(SECOND_NOTE)
        go(inspector, "Lanjut ke ringkasan")
        expect(inspector.locator("main section.card").filter(has_text="Temuan (1)")).to_contain_text(SECOND_NOTE)
        go(inspector, "Kirim")
        expect(_flash(inspector, "Inspeksi terkirim ke Dinas Sosial")).to_be_visible()
        assert inspector.get_by_text("Status: menunggu tinjauan.").is_visible()
        assert len(store.inspections.get(inspection_id)["versions"]) == 2

        # --- 4. The reviewer sees what changed and approves -----------------------------------------
        reviewer.goto(live_server.url + "/tinjau/")
        row = _row(reviewer, f"/tinjau/{inspection_id}")
        expect(row).to_contain_text("Menunggu tinjauan")
        _click(reviewer, row.get_by_role("link"))
        expect(reviewer.locator("main").get_by_text("versi kiriman ke-2", exact=False)).to_be_visible()
        changes = reviewer.locator("main section.card").filter(
            has=reviewer.get_by_role("heading", name="Perubahan dari kiriman sebelumnya"))
        expect(changes.locator("li")).to_have_count(1)  # only the note changed: no answer, no photo
        expect(changes.locator("li")).to_contain_text(item.question)
        expect(changes.locator("del")).to_have_text(f"Tidak ({FIRST_NOTE})")
        expect(changes.locator("ins")).to_have_text(f"Tidak ({SECOND_NOTE})")
        expect(reviewer.locator(f"#item-{FINDING} .note-text")).to_have_text(SECOND_NOTE)
        expect(reviewer.locator("#komentar .comment")).to_contain_text(RETURN_COMMENT)
        expect(reviewer.locator("#komentar li")).to_contain_text("Dikembalikan oleh Uji reviewer")
        assert_fits_phone(reviewer)
        screenshot(reviewer, "review-page-phone.png")
        reviewer_desktop.goto(f"{live_server.url}/tinjau/{inspection_id}")
        screenshot(reviewer_desktop, "review-page-desktop.png")
        _click(reviewer, reviewer.get_by_role("button", name="Setujui", exact=True))
        expect(_flash(reviewer, "Keputusan tersimpan: Disetujui.")).to_be_visible()
        record = store.inspections.get(inspection_id)
        assert record["status"] == "approved"

        # --- 5. The operator sees the approved inspection and records a follow-up -----------------
        view = followups.operator_view(checklist, record)
        operator_score = f"{view.percent:.0f}%"
        operator_ctx = phone_context(browser, requests)
        contexts.append(operator_ctx)
        operator = operator_ctx.new_page()
        sign_in(operator, live_server.url, "operator")
        assert operator.url == live_server.url + "/operator/"
        card = operator.locator(f"#lks-{lks['code']}")
        expect(card.get_by_role("heading", level=2)).to_have_text(lks["name"])
        chart = card.locator("figure.chart-box svg")
        expect(chart).to_be_visible()
        assert chart.locator("circle.point").count() == 3  # March, September and today
        assert chart.get_attribute("aria-label").endswith(f": {operator_score}.")
        entry = _row(operator, f"/operator/inspeksi/{inspection_id}")
        expect(entry).to_contain_text(f"Skor {operator_score} · 1 temuan")
        expect(entry.locator("ul li")).to_have_text(f"{item.question} (Tidak)")
        assert operator.locator("main ul.history > li").count() == 3
        assert "Rahasia" not in operator.locator("main").inner_text()
        _click(operator, entry.get_by_role("link").first)
        finding = operator.locator(f"#temuan-{FINDING}")
        expect(finding.get_by_role("heading", level=3)).to_have_text(item.question)
        expect(finding).to_contain_text("Jawaban petugas: Tidak")
        expect(finding.locator(".note-text")).to_have_text(SECOND_NOTE)
        assert operator.locator("section.finding").count() == 1
        finding.locator("details.followup-form > summary").click()
        due = (today_wib() + timedelta(days=30)).isoformat()
        finding.get_by_label("Apa yang sudah atau akan dilakukan").fill(FOLLOWUP)
        finding.get_by_label("Selesai paling lambat").fill(due)
        _click(operator, finding.get_by_role("button", name="Simpan tindak lanjut"))
        assert operator.url.endswith(f"/operator/inspeksi/{inspection_id}#temuan-{FINDING}")
        expect(_flash(operator, "Tindak lanjut tersimpan")).to_be_visible()
        recorded = operator.locator(f"#temuan-{FINDING} .followup")
        expect(recorded).to_contain_text(FOLLOWUP)
        expect(recorded.locator(".tag")).to_have_text("Menunggu Dinsos")
        assert_fits_phone(operator)
        _click(operator, operator.get_by_role("link", name="‹ LKS saya"))
        expect(_row(operator, f"/operator/inspeksi/{inspection_id}")).to_contain_text("1 tindak lanjut menunggu Dinsos")
        assert_fits_phone(operator)
        screenshot(operator, "operator-history-phone.png")
        operator_desktop_ctx = _desktop_of(browser, requests, operator_ctx)
        contexts.append(operator_desktop_ctx)
        operator_desktop = operator_desktop_ctx.new_page()
        operator_desktop.goto(live_server.url + "/operator/")
        expect(operator_desktop.locator(f"#lks-{lks['code']} figure.chart-box svg")).to_be_visible()
        screenshot(operator_desktop, "operator-history-desktop.png")

        # --- 6. The reviewer accepts the follow-up ------------------------------------------------
        reviewer.goto(f"{live_server.url}/tinjau/{inspection_id}")
        followed = reviewer.locator("#tindak-lanjut")
        expect(followed.get_by_role("heading", level=3)).to_have_text(item.question)
        expect(followed.locator(".followup .note-text")).to_have_text(FOLLOWUP)
        expect(followed.locator(".followup .muted")).to_contain_text("Uji operator")
        _click(reviewer, followed.get_by_role("button", name="Terima"))
        assert reviewer.url.endswith(f"/tinjau/{inspection_id}#tindak-lanjut")
        expect(_flash(reviewer, "Tindak lanjut diterima.")).to_be_visible()
        expect(reviewer.locator("#tindak-lanjut .followup.accepted .tag.ok")).to_have_text("Diterima")
        expect(reviewer.locator("#tindak-lanjut").get_by_role("button", name="Terima")).to_have_count(0)
        operator.goto(f"{live_server.url}/operator/inspeksi/{inspection_id}")
        expect(operator.locator(f"#temuan-{FINDING} .followup .tag.ok")).to_contain_text("Diterima Dinsos")

        # --- The dashboard (GET /tinjau/pantauan), at both widths ----------------------------------
        response = reviewer.goto(live_server.url + "/tinjau/pantauan")
        if response.status == 404:  # pragma: no cover - the dashboard is still being built
            print("dashboard /tinjau/pantauan: 404, dashboard-*.png not taken")
        else:
            assert response.status == 200
            expect(reviewer.get_by_role("heading", level=1)).to_have_text("Pantauan LKS")
            assert_fits_phone(reviewer)
            screenshot(reviewer, "dashboard-phone.png")
            reviewer_desktop.goto(live_server.url + "/tinjau/pantauan")
            screenshot(reviewer_desktop, "dashboard-desktop.png")

        # --- What the store holds ------------------------------------------------------------------
        record = store.inspections.get(inspection_id)
        assert record["status"] == "approved"
        assert [v["n"] for v in record["versions"]] == [1, 2]
        assert record["versions"][0]["answers"][FINDING] == {"value": "tidak", "note": FIRST_NOTE}
        assert record["versions"][1]["answers"][FINDING] == {"value": "tidak", "note": SECOND_NOTE}
        assert [d["action"] for d in record["decisions"]] == ["return", "approve"]
        assert [c["text"] for c in record["comments"]] == [RETURN_COMMENT]
        [stored] = store.followups.for_inspection(lks["id"], inspection_id)
        assert stored["item_id"] == FINDING and stored["text"] == FOLLOWUP and stored["due"] == due
        assert stored["accepted"] and stored["accepted"]["by_name"] == "Uji reviewer"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*", stored["accepted"]["at"])
        assert_only_local(requests)
    finally:
        for context in reversed(contexts):
            context.close()
