"""Answers to checklist items for tests: one passing answer and one failing answer per item type, as the store
keeps them or as the inspection form posts them."""

from __future__ import annotations


def passing(item):
    """An answer of ``item`` that passes, as the store keeps it (a number is an int; the lowest allowed)."""
    if item.type == "yes_no":
        return "tidak" if item.fail_answer == "ya" else "ya"
    if item.type in ("choice", "multi"):
        value = next(v for v, _ in item.options if v not in item.fail_values)
        return [value] if item.type == "multi" else value
    return {"number": int(item.min or 0), "date": "2025-01-15"}.get(item.type, "Ada")


def failing(item):
    """An answer of ``item`` that is a failed finding (the item must be able to fail)."""
    if item.type == "yes_no":
        return item.fail_answer
    value = sorted(item.fail_values)[0]
    return [value] if item.type == "multi" else value


def posted(item):
    """The passing answer as the inspection form posts it: text, or the ticked options."""
    value = passing(item)
    return str(value) if isinstance(value, int) else value


def stored(item, note: str = "") -> dict:
    """The passing answer as the store keeps it with its note."""
    return {"value": passing(item), "note": note}


def required_answers(checklist) -> dict:
    """{item id: stored answer} for every required item but photos, all passing."""
    return {i.id: stored(i) for i in checklist.items() if i.required and i.type != "photo"}


def complete_form(checklist, **changes) -> dict:
    """The form fields of every required item answered with a passing answer (photo items need photos on top),
    then ``changes``."""
    answers = {i.id: posted(i) for i in checklist.items() if i.required and i.type != "photo"}
    return {**answers, **changes}
