"""A long checklist that guides: progress per section and overall, the place to return to after a save, the
critical answers that call for action now, and what the last approved inspection of an LKS asks to re-check.
All but ``recheck`` are pure functions over a checklist and an inspection record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .checklists import Checklist, Item

PLACE = re.compile(r"(bagian|item)-[A-Za-z0-9_-]{1,64}", re.ASCII)


@dataclass(frozen=True)
class SectionProgress:
    id: str
    title: str
    answered: int
    total: int

    @property
    def label(self) -> str:
        return f"{self.answered}/{self.total}"


@dataclass(frozen=True)
class Progress:
    sections: tuple[SectionProgress, ...]
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


def is_answered(item: Item, inspection: dict, photo_items: set[str]) -> bool:
    """A question counts as answered when it has a value (a photo question: a photo)."""
    if item.type == "photo":
        return item.id in photo_items
    value = ((inspection.get("answers") or {}).get(item.id) or {}).get("value")
    return value not in (None, "", [])


def progress(checklist: Checklist, inspection: dict) -> Progress:
    """How many questions of each section, and of the whole checklist, are answered."""
    photo_items = {p.get("item") for p in inspection.get("photos") or []}
    sections = []
    for section in checklist.sections:
        answered = sum(1 for item in section.items if is_answered(item, inspection, photo_items))
        sections.append(SectionProgress(section.id, section.title, answered, len(section.items)))
    return Progress(tuple(sections), sum(s.answered for s in sections), sum(s.total for s in sections))


def place(checklist: Checklist, posted: str | None) -> str:
    """The anchor a save returns to ("bagian-<id>" or "item-<id>" of this checklist), or "" for the top."""
    posted = (posted or "").strip()
    if not PLACE.fullmatch(posted):
        return ""
    kind, _, ident = posted.partition("-")
    known = {s.id for s in checklist.sections} if kind == "bagian" else {i.id for i in checklist.items()}
    return posted if ident in known else ""


def critical_now(checklist: Checklist, answers: dict) -> list[Item]:
    """The critical items whose stored answer fails: each one calls for action now."""
    return [item for item in checklist.items()
            if item.critical and item.fails(((answers or {}).get(item.id) or {}).get("value"))]


def fail_values(item: Item) -> list[str]:
    """The answers that fail this item, for the page's script to recognise a failing choice at once."""
    if item.type == "yes_no":
        return [item.fail_answer]
    return sorted(item.fail_values)


@dataclass(frozen=True)
class Finding:
    question: str
    answer: str
    critical: bool


def recheck(store, lks_id: str, damaged: list | None = None) -> dict | None:
    """The findings of the LKS's last approved inspection, to re-check at this visit; None when none was approved.

    Item titles and the failed answers only (the inspector is Dinsos staff and may read confidential items,
    but notes and photos stay on the inspection).
    """
    from .inspections import checklist_of

    last = next((r for r in store.inspections.newest_first(lks_id, damaged) if r.get("status") == "approved"), None)
    if last is None:
        return None
    checklist = checklist_of(store, last)
    findings = []
    for item_id in (last.get("score") or {}).get("failed", []):
        item = checklist.item(item_id)
        if item is not None:
            value = ((last.get("answers") or {}).get(item_id) or {}).get("value")
            findings.append(Finding(item.question, item.label_of(value), item.critical))
    return {"submitted_at": last.get("submitted_at"), "checklist": checklist.title, "findings": findings}


def item_comments(inspection: dict) -> dict[str, list[dict]]:
    """The reviewers' comments that name one item, by item id, oldest first: shown at that item on the form."""
    found: dict[str, list[dict]] = {}
    for comment in inspection.get("comments") or []:
        if comment.get("item"):
            found.setdefault(comment["item"], []).append(comment)
    return found


def returned_to(store, inspector_id: str, limit: int = 50, damaged: list | None = None) -> list[dict]:
    """The inspector's inspections returned for revision, most recently decided first: the top of their home."""
    records = [r for r in store.inspections.for_inspector(inspector_id, limit=limit, damaged=damaged)
               if r.get("status") == "returned"]
    return sorted(records, key=lambda r: r.get("decided_at") or "", reverse=True)
