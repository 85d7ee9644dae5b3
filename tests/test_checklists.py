"""Checklists as data: the repo's forms/, the validator's messages for broken files, the digest, and scoring."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.checklists import TYPES, ChecklistError, build, for_kind, load_file, load_folder, score

FORMS = Path(__file__).resolve().parent.parent / "forms"


# --- the repo's checklists -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def forms():
    return load_folder(FORMS)


def test_forms_folder_loads_both_checklists(forms):
    assert set(forms) == {"lksa", "umum"}
    assert forms["lksa"].kinds == ("lksa",)
    assert set(forms["umum"].kinds) == {"elderly", "disability", "other"}
    assert [c.id for c in for_kind(forms, "lksa")] == ["lksa"]
    for kind in ("elderly", "disability", "other"):
        assert [c.id for c in for_kind(forms, kind)] == ["umum"]


def test_lksa_is_complete(forms):
    lksa = forms["lksa"]
    items = list(lksa.items())
    assert len(items) >= 40
    assert len(lksa.sections) >= 6
    assert all(section.items for section in lksa.sections)
    assert {item.type for item in items} == set(TYPES)
    assert any(item.critical for item in items)
    assert any(item.confidential for item in items)


def test_lksa_covers_the_critical_findings(forms):
    lksa = forms["lksa"]
    abuse = lksa.item("tanda_kekerasan")
    assert abuse.critical and abuse.confidential and abuse.fail_answer == "ya" and abuse.fails("ya")
    for item_id in ("anak_tanpa_pengasuh", "anak_tidak_sekolah", "hukuman_fisik"):
        assert lksa.item(item_id).critical, item_id
    assert all(item.confidential for item in next(s for s in lksa.sections if s.id == "suara_anak").items)
    assert lksa.item("dugaan_staf").confidential and lksa.item("dugaan_staf").type == "longtext"


@pytest.mark.parametrize("checklist_id", ["lksa", "umum"])
def test_form_items_are_sound(forms, checklist_id):
    checklist = forms[checklist_id]
    items = list(checklist.items())
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids))
    assert any(item.critical for item in items) and any(item.confidential for item in items)
    for item in items:
        assert len(item.question) <= 120, item.id
        assert not item.critical or item.required, f"{item.id}: a critical item must be answered"
        assert 0 <= item.weight <= 3, item.id
        if item.type == "number":
            assert item.min is not None and item.max is not None and item.min <= item.max and item.unit, item.id


def test_umum_is_shorter(forms):
    umum = forms["umum"]
    assert 15 <= len(list(umum.items())) <= 20
    assert 4 <= len(umum.sections) <= 5
    assert len(list(umum.items())) < len(list(forms["lksa"].items()))


# --- broken files: every message names the file, the path and the reason ------------------------------

HEADER = 'id = "uji"\ntitle = "Uji"\nversion = 1\nkinds = ["lksa"]\n'
SECTION = '\n[[sections]]\nid = "{sid}"\ntitle = "Bagian {sid}"\n'
ITEM = '\n[[sections.items]]\nid = "{iid}"\nquestion = "Pertanyaan {iid}?"\n'
YES_NO = 'type = "yes_no"\n'
OPTIONS = 'options = [{ value = "baik", label = "Baik" }, { value = "buruk", label = "Buruk" }]\n'


def one_item(body: str, iid: str = "a") -> str:
    """A valid checklist with one section 's' and one item, whose remaining keys are `body`."""
    return HEADER + SECTION.format(sid="s") + ITEM.format(iid=iid) + body


VALID = one_item(YES_NO)
FIRST = "sections[0] (s).items[0] (a)"

BROKEN = [
    # (case, TOML text, path in the message, a fragment of the reason)
    ("syntax", 'id = "uji\n' + VALID[VALID.index("title"):], "syntax", "line 1"),
    ("duplicate item id", VALID + ITEM.format(iid="a") + YES_NO,
     "sections[0] (s).items[1] (a).id", "duplicate item id 'a'"),
    ("duplicate item id across sections", VALID + SECTION.format(sid="t") + ITEM.format(iid="a") + YES_NO,
     "sections[1] (t).items[0] (a).id", "duplicate item id 'a'"),
    ("duplicate section id", VALID + SECTION.format(sid="s") + ITEM.format(iid="b") + YES_NO,
     "sections[1] (s).id", "duplicate section id 's'"),
    ("unknown type", one_item('type = "slider"\n'), f"{FIRST}.type", "unknown type 'slider'"),
    ("missing type", one_item(""), f"{FIRST}.type", "unknown type None"),
    ("choice without options", one_item('type = "choice"\n'), f"{FIRST}.options", "at least two options"),
    ("choice with one option", one_item('type = "choice"\noptions = [{ value = "baik", label = "Baik" }]\n'),
     f"{FIRST}.options", "at least two options"),
    ("multi without options", one_item('type = "multi"\noptions = []\n'), f"{FIRST}.options", "at least two options"),
    ("duplicate option values",
     one_item('type = "choice"\noptions = [{ value = "x", label = "X" }, { value = "x", label = "Lagi X" }]\n'),
     f"{FIRST}.options", "duplicate option values"),
    ("option without label", one_item('type = "choice"\noptions = [{ value = "x" }, { value = "y", label = "Y" }]\n'),
     f"{FIRST}.options[0]", "needs a value and a label"),
    ("options on yes_no", one_item(YES_NO + OPTIONS), f"{FIRST}.options", "only choice and multi items have options"),
    ("number without bounds", one_item('type = "number"\n'), f"{FIRST}.min", "needs numeric min and max"),
    ("number with only min", one_item('type = "number"\nmin = 0\n'), f"{FIRST}.min", "needs numeric min and max"),
    ("number with text bound", one_item('type = "number"\nmin = 0\nmax = "10"\n'), f"{FIRST}.min", "numeric"),
    ("min above max", one_item('type = "number"\nmin = 5\nmax = 1\n'), f"{FIRST}.max", "max (1) is below min (5)"),
    ("bounds on text", one_item('type = "text"\nmax = 10\n'), f"{FIRST}.min", "only number items have bounds"),
    ("unknown item key", one_item(YES_NO + "requred = true\n"), f"{FIRST}.requred", "unknown key"),
    ("unknown section key", VALID.replace('title = "Bagian s"', 'title = "Bagian s"\ntitel = "x"'),
     "sections[0] (s).titel", "unknown key"),
    ("unknown checklist key", "versi = 2\n" + VALID, "versi", "unknown key"),
    ("flag not a boolean", one_item(YES_NO + 'required = "ya"\n'), f"{FIRST}.required", "must be true or false"),
    ("critical on text", one_item('type = "text"\ncritical = true\n'), f"{FIRST}.critical", "only an item that can fail"),
    ("critical on choice without fail_values", one_item('type = "choice"\n' + OPTIONS + "critical = true\n"),
     f"{FIRST}.critical", "only an item that can fail"),
    ("photo_on_fail on number", one_item('type = "number"\nmin = 0\nmax = 9\nphoto_on_fail = true\n'),
     f"{FIRST}.photo_on_fail", "only an item that can fail"),
    ("fail_values not among options", one_item('type = "choice"\n' + OPTIONS + 'fail_values = ["jelek"]\n'),
     f"{FIRST}.fail_values", "must list option values"),
    ("fail_values on yes_no", one_item(YES_NO + 'fail_values = ["tidak"]\n'),
     f"{FIRST}.fail_values", "must list option values"),
    ("fail_answer on choice", one_item('type = "choice"\n' + OPTIONS + 'fail_answer = "ya"\n'),
     f"{FIRST}.fail_answer", "only yes_no items have it"),
    ("fail_answer not ya/tidak", one_item(YES_NO + 'fail_answer = "tb"\n'),
     f"{FIRST}.fail_answer", "'ya' or 'tidak'"),
    ("negative weight", one_item(YES_NO + "weight = -1\n"), f"{FIRST}.weight", "must be a number >= 0"),
    ("weight as text", one_item(YES_NO + 'weight = "2"\n'), f"{FIRST}.weight", "must be a number >= 0"),
    ("version 0", VALID.replace("version = 1", "version = 0"), "version", "whole number >= 1"),
    ("version as text", VALID.replace("version = 1", 'version = "1"'), "version", "whole number >= 1"),
    ("version as boolean", VALID.replace("version = 1", "version = true"), "version", "whole number >= 1"),
    ("version as float", VALID.replace("version = 1", "version = 1.5"), "version", "whole number >= 1"),
    ("unknown kind", VALID.replace('kinds = ["lksa"]', 'kinds = ["lksa", "panti"]'), "kinds", "non-empty list"),
    ("no kinds", VALID.replace('kinds = ["lksa"]', "kinds = []"), "kinds", "non-empty list"),
    ("bad checklist id", VALID.replace('id = "uji"', 'id = "Uji Coba"'), "id", "letters, digits"),
    ("missing title", VALID.replace('title = "Uji"\n', ""), "title", "missing"),
    ("bad item id", one_item(YES_NO, iid="Soal 1"), "sections[0] (s).items[0] (Soal 1).id", "missing or malformed"),
    ("missing question", VALID.replace('question = "Pertanyaan a?"\n', ""), f"{FIRST}.question", "missing"),
    ("blank question", VALID.replace('"Pertanyaan a?"', '"   "'), f"{FIRST}.question", "missing"),
    ("empty sections", HEADER + "sections = []\n", "sections", "at least one section"),
    ("no sections", HEADER, "sections", "at least one section"),
    ("section without items", HEADER + SECTION.format(sid="kosong") + VALID[len(HEADER):],
     "sections[0] (kosong).items", "at least one item"),
]


def test_the_template_is_valid(tmp_path):
    """The broken cases below are this file, each broken in one way."""
    path = tmp_path / "baik.toml"
    path.write_text(VALID, encoding="utf-8")
    checklist, problems = load_file(path)
    assert problems == [] and checklist.item("a").type == "yes_no"


def test_a_definition_archived_with_the_indonesian_kind_codes_reads_with_the_english_ones(tmp_path):
    path = tmp_path / "lama.toml"
    path.write_text(VALID.replace('kinds = ["lksa"]', 'kinds = ["lansia", "lainnya"]'), encoding="utf-8")
    assert 'kinds = ["lansia", "lainnya"]' in path.read_text()
    checklist, problems = load_file(path)
    assert problems == [] and checklist.kinds == ("elderly", "other")


@pytest.mark.parametrize("text,path,reason", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_broken_file_gives_its_message(tmp_path, text, path, reason):
    file = tmp_path / "rusak.toml"
    file.write_text(text, encoding="utf-8")
    checklist, problems = load_file(file)
    assert checklist is None
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"rusak.toml: {path}: "), problems
    assert reason in problems[0][len(f"rusak.toml: {path}: "):], problems


def test_every_problem_of_a_file_is_reported(tmp_path):
    text = one_item('type = "choice"\nrequred = true\n').replace("version = 1", "version = 0")
    file = tmp_path / "banyak.toml"
    file.write_text(text, encoding="utf-8")
    _, problems = load_file(file)
    assert sorted(problems) == sorted([
        "banyak.toml: version: must be a whole number >= 1",
        f"banyak.toml: {FIRST}.requred: unknown key",
        f"banyak.toml: {FIRST}.options: a choice needs at least two options",
    ])


def test_folder_reports_problems_of_every_file_at_once(tmp_path):
    (tmp_path / "a_rusak.toml").write_text(one_item('type = "slider"\n'), encoding="utf-8")
    (tmp_path / "b_baik.toml").write_text(VALID.replace('id = "uji"', 'id = "baik"'), encoding="utf-8")
    (tmp_path / "c_rusak.toml").write_text(VALID.replace("version = 1", "version = 0"), encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_folder(tmp_path)
    problems = caught.value.problems
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"a_rusak.toml: {FIRST}.type: unknown type 'slider'")
    assert problems[1] == "c_rusak.toml: version: must be a whole number >= 1"
    assert str(caught.value) == "\n".join(problems)


def test_folder_rejects_two_files_with_the_same_checklist_id(tmp_path):
    (tmp_path / "satu.toml").write_text(VALID, encoding="utf-8")
    (tmp_path / "dua.toml").write_text(VALID.replace('"Uji"', '"Uji lain"'), encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_folder(tmp_path)
    # files load in name order: dua.toml first, so satu.toml is the duplicate
    assert caught.value.problems == ["satu.toml: id: checklist id 'uji' is used by another file"]


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "bukan-checklist.txt").write_text(VALID, encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_folder(tmp_path)
    assert caught.value.problems == [f"{tmp_path}: no checklist files (*.toml)"]


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(ChecklistError, match="no checklist files"):
        load_folder(tmp_path / "tidak-ada")


def test_folder_loads_valid_files_by_id(tmp_path):
    (tmp_path / "satu.toml").write_text(VALID, encoding="utf-8")
    (tmp_path / "dua.toml").write_text(VALID.replace('id = "uji"', 'id = "dua"'), encoding="utf-8")
    assert sorted(load_folder(tmp_path)) == ["dua", "uji"]


# --- digest: what an inspection records of the questions it answered -------------------------------------

def load_text(tmp_path, text, name="uji.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    checklist, problems = load_file(path)
    assert not problems, problems
    return checklist


def test_digest_follows_the_questions_not_the_layout(tmp_path):
    original = load_text(tmp_path, VALID)
    reworded = load_text(tmp_path, VALID.replace("Pertanyaan a?", "Pertanyaan a yang lain?"))
    commented = load_text(tmp_path, "# Catatan untuk admin\n\n" + VALID.replace("\n", "   \n\n")
                          .replace('type = "yes_no"', 'type = "yes_no"  # jenis jawaban'))
    reflagged = load_text(tmp_path, VALID + "critical = true\n")
    assert len(original.digest) == 16
    assert reworded.digest != original.digest
    assert reflagged.digest != original.digest
    assert commented.digest == original.digest
    assert commented.ref == original.ref == {"id": "uji", "version": 1, "digest": original.digest}


# --- scoring ---------------------------------------------------------------------------------------------

def scoring_checklist():
    source = {
        "id": "nilai", "title": "Uji nilai", "version": 1, "kinds": ["lksa"],
        "sections": [
            {"id": "s1", "title": "Satu", "items": [
                {"id": "a", "question": "A?", "type": "yes_no", "weight": 2},
                {"id": "b", "question": "Ditemukan B?", "type": "yes_no", "fail_answer": "ya", "critical": True,
                 "weight": 1},
                {"id": "c", "question": "Kondisi C?", "type": "choice", "weight": 3,
                 "options": [{"value": "baik", "label": "Baik"}, {"value": "cukup", "label": "Cukup"},
                             {"value": "buruk", "label": "Buruk"}], "fail_values": ["buruk"]},
            ]},
            {"id": "s2", "title": "Dua", "items": [
                {"id": "d", "question": "D?", "type": "yes_no"},
                {"id": "e", "question": "Catatan E", "type": "text"},
                {"id": "f", "question": "Jumlah F", "type": "number", "min": 0, "max": 10},
                {"id": "g", "question": "Keluhan G", "type": "multi", "fail_values": ["x"],
                 "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]},
                {"id": "h", "question": "Ditemukan H?", "type": "yes_no", "fail_answer": "ya", "critical": True,
                 "weight": 0},
            ]},
            {"id": "s3", "title": "Tiga", "items": [
                {"id": "i", "question": "Catatan I", "type": "longtext"},
            ]},
        ],
    }
    checklist, problems = build(source, "nilai")
    assert not problems, problems
    return checklist


def answers(**values):
    return {key: {"value": value} for key, value in values.items()}


ALL_PASS = dict(a="ya", b="tidak", c="baik", d="ya", e="teks", f=3, g=["y"], h="tidak", i="catatan")


def test_score_all_passing():
    result = score(scoring_checklist(), answers(**ALL_PASS))
    assert result.percent == 100.0
    assert result.failed == () and result.critical_failed == ()
    assert result.per_section == (("s1", 100.0), ("s2", 100.0), ("s3", None))


def test_score_is_weighted():
    checklist = scoring_checklist()
    # scored weight: a 2, b 1, c 3, d 1, g 1 = 8
    assert score(checklist, answers(**{**ALL_PASS, "a": "tidak"})).percent == 75.0           # 6 / 8
    assert score(checklist, answers(**{**ALL_PASS, "d": "tidak"})).percent == 87.5           # 7 / 8
    assert score(checklist, answers(**{**ALL_PASS, "c": "buruk"})).percent == 62.5           # 5 / 8
    assert score(checklist, answers(**{**ALL_PASS, "a": "tidak", "c": "buruk"})).percent == 37.5


def test_score_excludes_tidak_berlaku():
    checklist = scoring_checklist()
    result = score(checklist, answers(**{**ALL_PASS, "a": "tb", "d": "tidak"}))
    assert result.percent == round(100 * 5 / 6, 1)                                          # a's weight 2 gone
    assert result.failed == ("d",)
    assert score(checklist, answers(**{**ALL_PASS, "b": "tb"})).percent == 100.0


def test_score_excludes_unanswered_items():
    checklist = scoring_checklist()
    assert score(checklist, answers(a="tidak", d="ya")).percent == round(100 * 1 / 3, 1)
    assert score(checklist, answers(a="ya")).percent == 100.0
    assert score(checklist, answers(a="tidak")).percent == 0.0
    for empty in (None, "", []):
        assert score(checklist, answers(a="ya", d=empty, g=empty)).percent == 100.0
    assert score(checklist, {"a": {"value": "ya"}, "d": {}, "c": None}).percent == 100.0


def test_score_fail_answer_ya():
    checklist = scoring_checklist()
    assert score(checklist, answers(b="tidak")).percent == 100.0
    found = score(checklist, answers(b="ya"))
    assert found.percent == 0.0 and found.failed == ("b",) and found.critical_failed == ("b",)


def test_score_choice_and_multi_fail_values():
    checklist = scoring_checklist()
    assert score(checklist, answers(c="cukup")).percent == 100.0
    assert score(checklist, answers(c="buruk")).failed == ("c",)
    assert score(checklist, answers(c="buruk")).critical_failed == ()
    assert score(checklist, answers(g=["y"])).percent == 100.0
    assert score(checklist, answers(g=["y", "x"])).failed == ("g",)


def test_score_critical_failed_includes_unweighted_items():
    checklist = scoring_checklist()
    result = score(checklist, answers(**{**ALL_PASS, "a": "tidak", "b": "ya", "h": "ya"}))
    assert result.failed == ("a", "b", "h")
    assert result.critical_failed == ("b", "h")
    assert result.percent == 62.5                                                           # h has weight 0
    assert score(checklist, answers(h="ya")).critical_failed == ("h",)
    assert score(checklist, answers(h="ya")).percent is None


def test_score_per_section():
    checklist = scoring_checklist()
    result = score(checklist, answers(a="tidak", b="tidak", c="baik", g=["x"], e="teks"))
    assert result.per_section == (("s1", round(100 * 4 / 6, 1)), ("s2", 0.0), ("s3", None))
    assert result.percent == round(100 * 4 / 7, 1)
    only_first = score(checklist, answers(a="ya"))
    assert only_first.per_section == (("s1", 100.0), ("s2", None), ("s3", None))


def test_score_is_none_when_nothing_scored_is_answered():
    checklist = scoring_checklist()
    for given in ({}, answers(e="teks", f=4, i="catatan"), answers(a="tb", b="tb", d="tb")):
        result = score(checklist, given)
        assert result.percent is None
        assert result.per_section == (("s1", None), ("s2", None), ("s3", None))
        assert result.failed == ()


def test_forms_score_end_to_end(forms):
    lksa = forms["lksa"]
    passing = {}
    for item in lksa.items():
        if item.type == "yes_no":
            passing[item.id] = {"value": "tidak" if item.fail_answer == "ya" else "ya"}
    assert score(lksa, passing).percent == 100.0
    abused = {**passing, "tanda_kekerasan": {"value": "ya"}}
    result = score(lksa, abused)
    assert result.critical_failed == ("tanda_kekerasan",) and result.percent < 100.0


# --- The server and the command line refuse a broken checklist folder -------------------------------

def _broken_forms(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "rusak.toml").write_text(
        'id = "rusak"\ntitle = "Rusak"\nversion = 1\nkinds = ["lksa"]\n'
        '[[sections]]\nid = "a"\ntitle = "A"\n[[sections.items]]\nid = "x"\nquestion = "Q?"\ntype = "ya_tidak"\n',
        encoding="utf-8")
    return folder


def test_server_refuses_to_start_on_an_invalid_checklist(tmp_path):
    from tests.support.builders import make_app

    with pytest.raises(ChecklistError) as raised:
        make_app(tmp_path, INSPECTOR_FORMS_DIR=str(_broken_forms(tmp_path)))
    assert "rusak.toml: sections[0] (a).items[0] (x).type: unknown type 'ya_tidak'" in str(raised.value)


def test_flask_forms_check_lists_problems_and_exits_non_zero(tmp_path):
    from tests.support.builders import make_app
    from inspector import create_app

    app = create_app({"TESTING": True, "INSPECTOR_DATA_DIR": str(tmp_path / "data"),
                      "INSPECTOR_FORMS_DIR": str(_broken_forms(tmp_path))}, strict=False)
    result = app.test_cli_runner().invoke(args=["forms", "check"])
    assert result.exit_code == 1
    assert "unknown type 'ya_tidak'" in result.output

    good = make_app(tmp_path / "good").test_cli_runner().invoke(args=["forms", "check"])
    assert good.exit_code == 0
    assert "lksa v1" in good.output and "umum v1" in good.output


def test_answers_read_as_a_person_reads_them():
    checklist = load_folder(Path(__file__).resolve().parent.parent / "forms")["lksa"]
    by_type = {item.type: item for item in checklist.items()}
    assert by_type["yes_no"].label_of("tb") == "Tidak berlaku"
    assert by_type["date"].label_of("2025-06-30") == "30 Jun 2025"
    assert by_type["date"].label_of("bukan tanggal") == "bukan tanggal"
    number = by_type["number"]
    assert number.label_of(5) == f"5 {number.unit}".strip()
    assert by_type["text"].label_of(None) == ""
