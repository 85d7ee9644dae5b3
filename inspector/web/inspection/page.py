"""The checklist page's questions: rendered once per checklist version, then filled per inspection.

The questions of one checklist version never change between renders; what changes is what the form shows of
one inspection (``Shown``: answers, notes, errors, photos, reviewers' comments, critical flags, progress per
section). ``questions`` renders ``inspection/sections.html`` once per checklist digest with a stand-in for
``Shown`` that turns every call the template makes into a numbered slot, keeps the markup between the slots
(per app, for the template as loaded), and for each request fills the slots with what that request's
``Shown`` returns, escaped as Jinja escapes it. So the page is byte for byte the template rendered with the
same ``Shown`` (``direct=True`` renders it so; the tests compare both), a new checklist version is rendered
afresh, and nothing of one inspection can reach another's page: the kept markup holds only the checklist.

A template rule comes with it: ``sections.html`` and the ``question`` macro may depend on the inspection only
through ``shown``'s methods, whose results are written out as they are (never tested in an ``{% if %}``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape

from ...checklists import Checklist
from ... import guide

TEMPLATE = "inspection/sections.html"
MACROS = "inspection/questions.html"
_MARK = "\x00" + secrets.token_hex(6) + ":"  # cannot come from a checklist file by chance: unknown until start
_SLOT = re.compile(re.escape(_MARK) + r"(\d+)\x00")


@dataclass(frozen=True)
class Entry:
    """What one question shows: the options ticked, the text in its field, its note, their errors."""
    selected: frozenset = frozenset()
    text: str = ""
    note: str = ""
    note_open: bool = False
    errors: tuple = ()
    note_errors: tuple = ()


BLANK = Entry()


class Shown:
    """What the form shows of one inspection. Each method answers one slot of the question markup."""

    def __init__(self, record: dict, entries: dict, *, key: str = "", photos=None, photo_errors=None,
                 critical=(), comments=None, progress=None):
        self.record, self.entries, self.key = record, entries, key
        self.photos_by_item = photos or {}
        self.photo_errors = photo_errors or {}
        self.critical = set(critical)
        self.comments_by_item = comments or {}
        self.labels = {part.id: part.label for part in progress.sections} if progress else {}
        self._macros = current_app.jinja_env.get_template(MACROS).module
        self._no_photos = None

    @classmethod
    def of_record(cls, record: dict, checklist: Checklist, **shown) -> "Shown":
        """The stored answers as WTForms fields given them as data show them (a number as ``%g`` would)."""
        entries = {}
        for item in checklist.items():
            answer = (record.get("answers") or {}).get(item.id) or {}
            value, note = answer.get("value"), answer.get("note", "")
            if item.type == "multi":
                try:
                    selected = frozenset(str(v) for v in value)
                except TypeError:
                    selected = frozenset()
                entries[item.id] = Entry(selected=selected, note=_text(note), note_open=bool(note))
                continue
            if value is not None and item.type == "number":
                value = f"{value:g}" if isinstance(value, float) else str(value)
            entries[item.id] = Entry(selected=frozenset() if value is None else frozenset((str(value),)),
                                     text=_text(value), note=_text(note), note_open=bool(note))
        return cls(record, entries, key=record.get("inspection_key", ""), **shown)

    @classmethod
    def of_form(cls, record: dict, form, checklist: Checklist, **shown) -> "Shown":
        """A posted, validated WTForms form as it is shown back: what was posted, with its errors."""
        entries = {}
        for item in checklist.items():
            field, note = form._fields.get(item.id), form._fields[f"{item.id}__note"]
            selected, text, errors = frozenset(), "", ()
            if field is not None:
                errors = tuple(field.errors)
                if item.type == "multi":
                    selected = frozenset(field.data or ())
                elif item.type in ("yes_no", "choice"):
                    selected = frozenset(() if field.data is None else (field.data,))
                else:
                    text = field._value()
            entries[item.id] = Entry(selected=selected, text=text, note=note._value(),
                                     note_open=bool(note.data or note.errors), errors=errors,
                                     note_errors=tuple(note.errors))
        return cls(record, entries, key=form.inspection_key._value(), **shown)

    @classmethod
    def blank(cls) -> "Shown":
        """No inspection: the questions alone (the page kept on the phone for a draft made there)."""
        return cls({"id": "", "photos": []}, {})

    # --- the page around the questions ---
    @property
    def any_errors(self) -> bool:
        return bool(self.photo_errors) or any(e.errors or e.note_errors for e in self.entries.values())

    def needs_fixing(self, item_id: str) -> bool:
        entry = self.entries.get(item_id, BLANK)
        return bool(entry.errors or entry.note_errors or self.photo_errors.get(item_id))

    # --- the slots of one question ---
    def section_label(self, section_id: str) -> str:
        return self.labels.get(section_id, "")

    def has_error(self, item_id: str, mark: str) -> str:
        return mark if self.entries.get(item_id, BLANK).errors or self.photo_errors.get(item_id) else ""

    def checked(self, item_id: str, value: str, mark: str) -> str:
        return mark if value in self.entries.get(item_id, BLANK).selected else ""

    def invalid(self, item_id: str, invalid: Markup, valid: Markup) -> Markup:
        return invalid if self.entries.get(item_id, BLANK).errors else valid

    def text(self, item_id: str) -> str:
        return self.entries.get(item_id, BLANK).text

    def errors(self, item_id: str) -> Markup | str:
        errors = self.entries.get(item_id, BLANK).errors
        return self._macros.error_lines(item_id, errors) if errors else ""

    def note_open(self, item_id: str, mark: str) -> str:
        return mark if self.entries.get(item_id, BLANK).note_open else ""

    def note(self, item_id: str) -> str:
        return self.entries.get(item_id, BLANK).note

    def note_errors(self, item_id: str) -> Markup | str:
        errors = self.entries.get(item_id, BLANK).note_errors
        return self._macros.error_lines(f"{item_id}__note", errors) if errors else ""

    def unless_critical(self, item_id: str, mark: str) -> str:
        return "" if item_id in self.critical else mark

    def photos(self, item_id: str) -> Markup:
        found = self.photos_by_item.get(item_id)
        if found:
            return self._macros.photo_list(self.record, found)
        if self._no_photos is None:
            self._no_photos = self._macros.photo_list(self.record, [])
        return self._no_photos

    def photo_error(self, item_id: str) -> Markup | str:
        reason = self.photo_errors.get(item_id)
        return self._macros.photo_error(reason) if reason else ""

    def comments(self, item_id: str) -> Markup | str:
        found = self.comments_by_item.get(item_id)
        return self._macros.item_comments(found) if found else ""


def _text(value) -> str:
    return "" if value is None else str(value)


class _Slots:
    """Stands in for a ``Shown`` while the questions render once: each call becomes a numbered mark."""

    def __init__(self):
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str):
        if name.startswith("_") or not callable(getattr(Shown, name, None)):
            raise AttributeError(name)

        def slot(*args):
            self.calls.append((name, args))
            return Markup(f"{_MARK}{len(self.calls) - 1}\x00")
        return slot


@dataclass(frozen=True)
class _Kept:
    template: object  # the template as loaded when this was rendered: a reloaded one renders afresh
    pieces: tuple[str, ...]  # markup between the slots: one more than the calls
    calls: tuple[tuple[object, tuple], ...]  # (Shown's method, its arguments)


def _render(template, checklist: Checklist, shown) -> str:
    return template.render(checklist=checklist, shown=shown, fail_values=guide.fail_values)


def _kept(checklist: Checklist) -> _Kept | None:
    """The questions of this checklist version with their slots, rendered at the first need; None if its own
    text holds what looks like a slot (then it is rendered directly each time)."""
    template = current_app.jinja_env.get_template(TEMPLATE)
    cache = current_app.extensions.setdefault("checklist_pages", {})
    key = (checklist.id, checklist.version, checklist.digest)
    kept = cache.get(key)
    if kept is not None and kept.template is template:
        return kept if kept.pieces else None
    slots = _Slots()
    parts = _SLOT.split(_render(template, checklist, slots))
    numbers = parts[1::2]
    if numbers != [str(n) for n in range(len(slots.calls))] or any(_MARK in p for p in parts[::2]):
        cache[key] = kept = _Kept(template, (), ())  # falsy pieces: render directly
        return None
    kept = _Kept(template, tuple(parts[::2]), tuple((getattr(Shown, name), args) for name, args in slots.calls))
    cache[key] = kept
    return kept


def questions(checklist: Checklist, shown: Shown, direct: bool = False) -> Markup:
    """The checklist's sections and questions as ``shown`` fills them."""
    kept = None if direct else _kept(checklist)
    if kept is None:
        return Markup(_render(current_app.jinja_env.get_template(TEMPLATE), checklist, shown))
    out = [kept.pieces[0]]
    for (method, args), piece in zip(kept.calls, kept.pieces[1:]):
        value = method(shown, *args)
        if value:  # most slots are empty; Markup is written as it is, text escaped, as Jinja does
            out.append(value if value.__class__ is Markup else escape(value))
        out.append(piece)
    return Markup("".join(out))
