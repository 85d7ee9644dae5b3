"""Checklists as data: load and validate ``forms/*.toml`` into immutable objects; score answers.

A checklist file (TOML, read with the standard library's tomllib)::

    id = "lksa"                      # letters, digits, '_' and '-'
    title = "Pengawasan LKSA"
    version = 3                      # raise it whenever the questions change
    kinds = ["lksa"]                 # LKS kinds it applies to (inspector.lks.KINDS)

    [[sections]]
    id = "perlindungan"
    title = "Perlindungan anak"

    [[sections.items]]
    id = "kebijakan_perlindungan"    # stable: answers are stored under it
    question = "Ada kebijakan perlindungan anak tertulis?"
    guidance = "Minta lihat dokumennya."          # optional
    type = "yes_no"                  # yes_no choice multi text longtext number date photo
    required = true                  # default false
    critical = true                  # a failing answer escalates the inspection
    confidential = true              # never shown to the LKS operator or the public
    photo_on_fail = true             # a photo is required when the answer fails
    weight = 2                       # scoring weight, default 1 (0: not scored)
    fail_answer = "tidak"            # yes_no only: which answer fails, default "tidak"
    options = [{ value = "a", label = "A" }]      # choice / multi
    fail_values = ["a"]              # choice / multi: answers that fail
    min = 0                          # number: bounds (both required)
    max = 100
    unit = "orang"                   # number: optional

Every problem in every file is reported at once, with file, item path and reason.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .lks import KIND_WORDS, KINDS
from .store.digests import checklist_digest
from .timefmt import format_date

TYPES = ("yes_no", "choice", "multi", "text", "longtext", "number", "date", "photo")
YES_NO = {"ya": "Ya", "tidak": "Tidak", "tb": "Tidak berlaku"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CHECKLIST_KEYS = {"id", "title", "version", "kinds", "description", "sections"}
_SECTION_KEYS = {"id", "title", "description", "items"}
_ITEM_KEYS = {"id", "question", "guidance", "type", "required", "critical", "confidential", "photo_on_fail",
              "weight", "fail_answer", "options", "fail_values", "min", "max", "unit"}
TEXT_LIMITS = {"text": 200, "longtext": 2000}


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    type: str
    guidance: str = ""
    required: bool = False
    critical: bool = False
    confidential: bool = False
    photo_on_fail: bool = False
    weight: float = 1.0
    fail_answer: str = "tidak"
    options: tuple[tuple[str, str], ...] = ()
    fail_values: frozenset[str] = frozenset()
    min: float | None = None
    max: float | None = None
    unit: str = ""

    @property
    def can_fail(self) -> bool:
        return self.type == "yes_no" or bool(self.fail_values)

    def fails(self, value) -> bool:
        """Whether an answer to this item is a failed finding."""
        if self.type == "yes_no":
            return value == self.fail_answer
        if self.type == "choice":
            return value in self.fail_values
        if self.type == "multi":
            values = [value] if isinstance(value, str) else (value or ())
            return bool(set(values) & self.fail_values)
        return False

    def scored(self) -> bool:
        return self.can_fail and self.weight > 0

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """The (value, label) pairs an answer is picked from: Ya / Tidak / Tidak berlaku, or the options."""
        return tuple(YES_NO.items()) if self.type == "yes_no" else self.options

    @property
    def max_length(self) -> int | None:
        """The longest answer a text item takes (characters); None for the other types."""
        return TEXT_LIMITS.get(self.type)

    def label_of(self, value) -> str:
        """An answer as a person reads it: 'Ya', an option's label, '5 orang', ''."""
        if value in (None, "", []):
            return ""
        if self.type == "yes_no":
            return YES_NO.get(value, str(value))
        labels = dict(self.options)
        if self.type == "multi":
            return ", ".join(labels.get(v, v) for v in ([value] if isinstance(value, str) else value))
        if self.type == "choice":
            return labels.get(value, str(value))
        if self.type == "number":
            return f"{value:g} {self.unit}".strip() if isinstance(value, (int, float)) else str(value)
        if self.type == "date":
            try:
                return format_date(value)
            except (TypeError, ValueError):
                return str(value)
        return str(value)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]
    description: str = ""


@dataclass(frozen=True)
class Checklist:
    id: str
    title: str
    version: int
    kinds: tuple[str, ...]
    sections: tuple[Section, ...]
    digest: str
    source: dict = field(compare=False, hash=False, repr=False)
    description: str = ""

    def items(self):
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items() if i.id == item_id), None)

    @property
    def ref(self) -> dict:
        """What an inspection records of the checklist it was filled against."""
        return {"id": self.id, "version": self.version, "digest": self.digest}


class ChecklistError(Exception):
    """Invalid checklist files; ``problems`` lists 'file: path: reason' lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def digest_of(source: dict) -> str:
    """The digest a checklist version is archived by (``store.digests`` owns the formula)."""
    return checklist_digest(source)


def build(source: dict, where: str = "<checklist>") -> tuple[Checklist | None, list[str]]:
    """Validate a parsed definition: (checklist, []) or (None, problems)."""
    problems: list[str] = []

    def problem(path: str, reason: str):
        problems.append(f"{where}: {path}: {reason}")

    if not isinstance(source, dict):
        return None, [f"{where}: checklist: not a table"]
    for key in sorted(set(source) - _CHECKLIST_KEYS):
        problem(key, "unknown key")
    cid = source.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        problem("id", "missing or not of lower-case letters, digits, '_' and '-'")
    if not isinstance(source.get("title"), str) or not source.get("title", "").strip():
        problem("title", "missing")
    version = source.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problem("version", "must be a whole number >= 1")
    kinds = source.get("kinds")
    if isinstance(kinds, list):  # a definition archived before the kind codes were English reads as it did
        kinds = [KIND_WORDS.get(k, k) if isinstance(k, str) else k for k in kinds]
    if not isinstance(kinds, list) or not kinds or any(not isinstance(k, str) or k not in KINDS for k in kinds):
        problem("kinds", f"must be a non-empty list from {', '.join(KINDS)}")
    if "description" in source and not isinstance(source["description"], str):
        problem("description", "must be text")
    sections_src = source.get("sections")
    if not isinstance(sections_src, list) or not sections_src:
        problem("sections", "at least one section is needed")
        sections_src = []
    sections, seen_items, seen_sections = [], set(), set()
    for s_index, section in enumerate(sections_src):
        s_path = f"sections[{s_index}]"
        if not isinstance(section, dict):
            problem(s_path, "not a table")
            continue
        sid = section.get("id")
        s_path += f" ({sid})" if isinstance(sid, str) else ""
        for key in sorted(set(section) - _SECTION_KEYS):
            problem(f"{s_path}.{key}", "unknown key")
        if not isinstance(sid, str) or not _ID.match(sid):
            problem(f"{s_path}.id", "missing or malformed")
        elif sid in seen_sections:
            problem(f"{s_path}.id", f"duplicate section id '{sid}'")
        else:
            seen_sections.add(sid)
        if not isinstance(section.get("title"), str) or not section.get("title", "").strip():
            problem(f"{s_path}.title", "missing")
        if "description" in section and not isinstance(section["description"], str):
            problem(f"{s_path}.description", "must be text")
        items_src = section.get("items")
        if not isinstance(items_src, list) or not items_src:
            problem(f"{s_path}.items", "a section needs at least one item")
            items_src = []
        items = []
        for i_index, raw in enumerate(items_src):
            item = _build_item(raw, f"{s_path}.items[{i_index}]", problem, seen_items)
            if item:
                items.append(item)
        sections.append(Section(id=str(sid), title=str(section.get("title", "")), items=tuple(items),
                                description=str(section.get("description", ""))))
    if problems:
        return None, problems
    return Checklist(id=cid, title=source["title"].strip(), version=version, kinds=tuple(kinds),
                     sections=tuple(sections), digest=digest_of(source), source=source,
                     description=str(source.get("description", ""))), []


def _build_item(raw, path: str, problem, seen: set) -> Item | None:
    if not isinstance(raw, dict):
        problem(path, "not a table")
        return None
    iid = raw.get("id")
    if isinstance(iid, str):
        path += f" ({iid})"
    ok = True

    def bad(key, reason):
        nonlocal ok
        ok = False
        problem(f"{path}.{key}" if key else path, reason)

    for key in sorted(set(raw) - _ITEM_KEYS):
        bad(key, "unknown key")
    if not isinstance(iid, str) or not _ID.match(iid):
        bad("id", "missing or malformed")
    elif iid in seen:
        bad("id", f"duplicate item id '{iid}'")
    else:
        seen.add(iid)
    for key in ("guidance", "unit"):
        if key in raw and not isinstance(raw[key], str):
            bad(key, "must be text")
    if not isinstance(raw.get("question"), str) or not raw.get("question", "").strip():
        bad("question", "missing")
    kind = raw.get("type")
    if kind not in TYPES:
        bad("type", f"unknown type {kind!r}; use one of {', '.join(TYPES)}")
    for flag in ("required", "critical", "confidential", "photo_on_fail"):
        if flag in raw and not isinstance(raw[flag], bool):
            bad(flag, "must be true or false")
    weight = raw.get("weight", 1)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
        bad("weight", "must be a number >= 0")
    options: list[tuple[str, str]] = []
    if kind in ("choice", "multi"):
        src = raw.get("options")
        if not isinstance(src, list) or len(src) < 2:
            bad("options", "a choice needs at least two options")
            src = []
        for o_index, option in enumerate(src):
            if not isinstance(option, dict) or not isinstance(option.get("value"), str) or \
                    not isinstance(option.get("label"), str) or not option["value"]:
                bad(f"options[{o_index}]", "needs a value and a label")
            elif set(option) - {"value", "label"}:
                bad(f"options[{o_index}]", f"unknown key {', '.join(sorted(set(option) - {'value', 'label'}))}")
            else:
                options.append((option["value"], option["label"]))
        values = [v for v, _ in options]
        if len(set(values)) != len(values):
            bad("options", "duplicate option values")
    elif "options" in raw:
        bad("options", f"only choice and multi items have options, not {kind}")
    fail_values = raw.get("fail_values", [])
    if fail_values and (kind not in ("choice", "multi") or not isinstance(fail_values, list)
                        or any(v not in [o[0] for o in options] for v in fail_values)):
        bad("fail_values", "must list option values of a choice or multi item")
    fail_answer = raw.get("fail_answer", "tidak")
    if "fail_answer" in raw and (kind != "yes_no" or fail_answer not in ("ya", "tidak")):
        bad("fail_answer", "only yes_no items have it, and it is 'ya' or 'tidak'")
    low, high = raw.get("min"), raw.get("max")
    if kind == "number":
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in (low, high)):
            bad("min", "a number item needs numeric min and max")
        elif low > high:
            bad("max", f"max ({high}) is below min ({low})")
    elif low is not None or high is not None:
        bad("min", f"only number items have bounds, not {kind}")
    can_fail = kind == "yes_no" or bool(fail_values)
    for flag in ("critical", "photo_on_fail"):
        if raw.get(flag) is True and not can_fail:
            bad(flag, "only an item that can fail (yes_no, or a choice with fail_values) can be " + flag)
    if not ok:
        return None
    return Item(id=iid, question=raw["question"].strip(), type=kind, guidance=str(raw.get("guidance", "")).strip(),
                required=raw.get("required", False), critical=raw.get("critical", False),
                confidential=raw.get("confidential", False), photo_on_fail=raw.get("photo_on_fail", False),
                weight=float(weight), fail_answer=fail_answer, options=tuple(options),
                fail_values=frozenset(fail_values), min=low, max=high, unit=str(raw.get("unit", "")))


def load_file(path: Path) -> tuple[Checklist | None, list[str]]:
    try:
        source = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [f"{path.name}: syntax: {error}"]
    return build(source, path.name)


def load_folder(folder: str | Path) -> dict[str, Checklist]:
    """Every checklist in the folder by id; ChecklistError lists every problem of every file."""
    folder = Path(folder)
    problems: list[str] = []
    found: dict[str, Checklist] = {}
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise ChecklistError([f"{folder}: no checklist files (*.toml)"])
    for path in files:
        checklist, file_problems = load_file(path)
        problems.extend(file_problems)
        if checklist and checklist.id in found:
            problems.append(f"{path.name}: id: checklist id '{checklist.id}' is used by another file")
        elif checklist:
            found[checklist.id] = checklist
    if problems:
        raise ChecklistError(problems)
    return found


def for_kind(checklists: dict[str, Checklist], kind: str) -> list[Checklist]:
    return sorted((c for c in checklists.values() if kind in c.kinds), key=lambda c: c.title)


@dataclass(frozen=True)
class Score:
    percent: float | None  # None when nothing scored was answered
    failed: tuple[str, ...]  # ids of failed items
    critical_failed: tuple[str, ...]
    per_section: tuple[tuple[str, float | None], ...]


def score(checklist: Checklist, answers: dict) -> Score:
    """Weighted share of passed answers among applicable scored items ('tidak berlaku' excluded)."""
    failed, critical, per_section = [], [], []
    total_passed = total_weight = 0.0
    for section in checklist.sections:
        passed = weight = 0.0
        for item in section.items:
            value = (answers.get(item.id) or {}).get("value")
            if value in (None, "", [], "tb"):
                continue
            failing = item.fails(value)
            if failing:
                failed.append(item.id)
                if item.critical:
                    critical.append(item.id)
            if item.scored():
                weight += item.weight
                passed += 0 if failing else item.weight
        per_section.append((section.id, round(100 * passed / weight, 1) if weight else None))
        total_passed += passed
        total_weight += weight
    percent = round(100 * total_passed / total_weight, 1) if total_weight else None
    return Score(percent, tuple(failed), tuple(critical), tuple(per_section))
