"""The checklist page rendered from questions kept per checklist version (inspector/web/inspection/page.py):
each inspection gets its own answers, notes, errors, photos, comments and CSRF token, never another's; user text
is escaped; a new version is rendered afresh; and the kept-and-filled page is byte for byte the template
rendered directly, in every state the page can be in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from markupsafe import escape

from inspector import checklists, guide, inspections
from inspector.photos import process
from inspector.web.inspection import page
from inspector.web.inspection.form import form_class
from tests.support.answers import failing
from tests.support.auth import client_as
from tests.support.builders import add_inspector, make_app, seed_app
from tests.support.photos import jpeg

XSS_ANSWER = '<script>alert("jawaban-A")</script>'
XSS_NOTE = '"><img src=x onerror=alert(1)> catatan petugas A'
REPO_FORMS = Path(__file__).resolve().parent.parent / "forms"


def start(client, code: str) -> str:
    response = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa"})
    assert response.status_code == 303
    return response.location.rsplit("/", 1)[1]


def save(client, app, inspection_id: str, data: dict):
    key = app.extensions["store"].inspections.get(inspection_id)["inspection_key"]
    return client.post(f"/kunjungan/{inspection_id}", data={"inspection_key": key, "action": "simpan", **data},
                       content_type="multipart/form-data")


def fieldset(html: str, item_id: str) -> str:
    at = html[html.index(f'id="item-{item_id}"'):]
    return at[:at.index("</fieldset>")]


def csrf_secret(app, html: str) -> str:
    """The session secret a page's CSRF token was signed from."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads(token)


@pytest.fixture
def items(app):
    found = list(app.extensions["checklists"]["lksa"].items())
    return {kind: next(i for i in found if i.type == kind) for kind in ("yes_no", "text", "number", "longtext")}


def test_two_inspections_of_one_version_each_show_their_own_answers_notes_errors_and_token(app, items):
    add_inspector(app.extensions["store"])
    code = app.extensions["store"].lks.all()[0]["code"]
    first, second = client_as(app, "inspector"), client_as(app, "petugas2")
    first_id, second_id = start(first, code), start(second, code)
    yes_no, text, number = items["yes_no"], items["text"], items["number"]

    assert save(first, app, first_id, {yes_no.id: "ya", text.id: XSS_ANSWER,
                                       f"{yes_no.id}__note": XSS_NOTE}).status_code == 303
    refused = save(second, app, second_id, {yes_no.id: "tidak", number.id: "banyak"})
    assert refused.status_code == 400
    refused_html = refused.get_data(as_text=True)
    first_html = first.get(f"/kunjungan/{first_id}").get_data(as_text=True)
    second_html = second.get(f"/kunjungan/{second_id}").get_data(as_text=True)

    mine = fieldset(first_html, yes_no.id)
    assert 'value="ya" checked' in mine and 'value="tidak" checked' not in mine
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; catatan petugas A</textarea>" in mine
    assert '<details class="note" open>' in mine
    assert "&lt;script&gt;alert(&#34;jawaban-A&#34;)&lt;/script&gt;" in fieldset(first_html, text.id)
    assert 'class="error"' not in first_html and "has-error" not in first_html

    for html in (refused_html, second_html):
        theirs = fieldset(html, yes_no.id)
        assert 'value="tidak" checked' in theirs and 'value="ya" checked' not in theirs
        assert "catatan petugas A" not in html and "jawaban-A" not in html
        assert '<details class="note">' in theirs
    assert 'value="banyak"' in fieldset(refused_html, number.id)
    assert "Isi dengan angka." in fieldset(refused_html, number.id) and "has-error" in refused_html
    assert 'value="banyak"' not in second_html and "Isi dengan angka." not in second_html  # not stored

    assert f'value="{app.extensions["store"].inspections.get(first_id)["inspection_key"]}"' in first_html
    assert f'value="{app.extensions["store"].inspections.get(second_id)["inspection_key"]}"' in second_html
    for client, html in ((first, first_html), (second, second_html), (second, refused_html)):
        with client.session_transaction() as session:
            assert csrf_secret(app, html) == session["csrf_token"]
    assert csrf_secret(app, first_html) != csrf_secret(app, second_html)


@pytest.mark.parametrize("payload", [XSS_ANSWER, XSS_NOTE, "</textarea><script>alert(1)</script>", "' onfocus='alert(1)"])
def test_answers_and_notes_are_written_escaped(app, items, payload):
    client = client_as(app, "inspector")
    inspection_id = start(client, app.extensions["store"].lks.all()[0]["code"])
    longtext = items["longtext"]
    save(client, app, inspection_id, {items["text"].id: payload[:200], longtext.id: payload,
                                      f"{longtext.id}__note": payload})
    html = client.get(f"/kunjungan/{inspection_id}").get_data(as_text=True)
    assert payload not in html
    assert f'value="{escape(payload[:200])}"' in fieldset(html, items["text"].id)
    at = fieldset(html, longtext.id)
    assert f'rows="4">\r\n{escape(payload)}</textarea>' in at and f'rows="2">\n{escape(payload)}</textarea>' in at


def test_a_new_checklist_version_is_rendered_afresh_beside_the_old_one(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(REPO_FORMS, forms)
    first = make_app(tmp_path, INSPECTOR_FORMS_DIR=str(forms))
    code = seed_app(first)[0]["code"]
    old_id = start(client_as(first, "inspector"), code)
    old_question = first.extensions["checklists"]["lksa"].sections[0].items[0].question
    new_question = "Pertanyaan pertama versi 2, baru ditulis?"
    source = (forms / "lksa.toml").read_text(encoding="utf-8")
    source = re.sub(r"^version = 1$", "version = 2", source.replace(old_question, new_question, 1), flags=re.M)
    (forms / "lksa.toml").write_text(source, encoding="utf-8")
    second = make_app(tmp_path, INSPECTOR_FORMS_DIR=str(forms))
    client = client_as(second, "inspector")

    for _ in range(2):  # the second time from what is kept
        old_html = client.get(f"/kunjungan/{old_id}").get_data(as_text=True)
        assert old_question in old_html and new_question not in old_html
    new_id = start(client, code)
    new_html = client.get(f"/kunjungan/{new_id}").get_data(as_text=True)
    assert new_question in new_html and old_question not in new_html
    assert old_question in client.get(f"/kunjungan/{old_id}").get_data(as_text=True)
    assert sorted(version for _id, version, _digest in second.extensions["checklist_pages"]) == [1, 2]


def record_with_everything(app) -> dict:
    """A returned-like draft: answers of every type (some failing critical ones), notes with markup, photos on
    the first items and a general one, a reviewer's comment at an item."""
    store = app.extensions["store"]
    checklist = app.extensions["checklists"]["lksa"]
    client = client_as(app, "inspector")
    inspection_id = start(client, store.lks.all()[0]["code"])
    answers = {}
    for n, item in enumerate(checklist.items()):
        if item.type == "photo" or n % 5 == 4:
            continue
        value = {"text": XSS_ANSWER, "longtext": "baris 1\nbaris <b>2</b>", "number": (2.5, 7)[n % 2],
                 "date": "2025-02-03"}.get(item.type)
        if value is None:
            value = failing(item) if item.can_fail and n % 2 else item.choices[-1][0]
            value = [value] if item.type == "multi" else value
        answers[item.id] = {"value": value, "note": XSS_NOTE if n % 3 == 0 else ""}
    inspections.save_answers(store, inspection_id, answers)
    for n, item_id in enumerate([i.id for i in list(checklist.items())[:3]] + [""]):
        assert inspections.add_photo(store, inspection_id, item_id, process(jpeg((n * 50, 90, 90))), f"k{n}", 60) is None
    record = store.inspections.get(inspection_id)
    record["comments"] = [{"item": next(iter(answers)), "by_name": "Uji <peninjau>", "at": record["created_at"],
                           "text": "Periksa lagi <em>ini</em>"}]
    return record


def shown_of(app, record, form=None, photo_errors=None) -> page.Shown:
    checklist = app.extensions["checklists"]["lksa"]
    facts = dict(photos=inspections.photos_by_item(record), photo_errors=photo_errors or {},
                 progress=guide.progress(checklist, record), comments=guide.item_comments(record),
                 critical={i.id for i in guide.critical_now(checklist, record["answers"])})
    if form is None:
        return page.Shown.of_record(record, checklist, **facts)
    return page.Shown.of_form(record, form, checklist, **facts)


@pytest.mark.parametrize("state", ["fresh", "answered", "posted with errors", "blank"])
def test_the_kept_and_filled_questions_are_the_template_rendered_directly(app, items, state):
    checklist = app.extensions["checklists"]["lksa"]
    record = record_with_everything(app)
    if state == "fresh":
        record = {**record, "answers": {}, "photos": [], "comments": []}
    posted = {items["number"].id: "12 anak", items["yes_no"].id: "mungkin", f"{items['text'].id}__note": "x" * 1001,
              items["longtext"].id: XSS_ANSWER, f"{items['yes_no'].id}__note": XSS_NOTE}
    with app.test_request_context(f"/kunjungan/{record['id']}", method="POST",
                                  data={"inspection_key": record["inspection_key"], **posted}):
        if state == "posted with errors":
            form = form_class(checklist)()
            assert not form.validate()
            shown = shown_of(app, record, form, {items["yes_no"].id: "Berkas bukan foto."})
        elif state == "blank":
            shown = page.Shown.blank()
        else:
            shown = shown_of(app, record)
        kept = page.questions(checklist, shown)
        again = page.questions(checklist, shown)
        direct = page.questions(checklist, shown, direct=True)
    assert kept == again == direct
    assert kept.count("<fieldset") == len(list(checklist.items()))
    if state == "answered":
        assert " checked" in kept and "Periksa lagi &lt;em&gt;ini&lt;/em&gt;" in kept and "<img src=\"/kunjungan/" in kept
        assert 'data-critical-now>' in kept  # a failing critical answer shows what to do now
    if state == "posted with errors":
        assert "Isi dengan angka." in kept and "Pilihan tidak valid." in kept and "Berkas bukan foto." in kept
        assert 'aria-describedby="%s-error"' % items["number"].id in kept


def test_a_checklist_whose_own_text_looks_like_a_slot_is_rendered_directly(app):
    source = {"id": "uji", "title": "Uji", "version": 1, "kinds": ["lksa"], "sections": [
        {"id": "satu", "title": "Satu", "items": [
            {"id": "a", "question": f"Tanda {page._MARK}0\x00 di teks?", "type": "yes_no"}]}]}
    checklist, problems = checklists.build(source)
    assert problems == []
    with app.test_request_context("/"):
        shown = page.Shown.of_record({"id": "x", "answers": {"a": {"value": "ya", "note": ""}}, "photos": []},
                                     checklist)
        html = page.questions(checklist, shown)
        assert html == page.questions(checklist, shown, direct=True)
    assert 'value="ya" checked' in html
