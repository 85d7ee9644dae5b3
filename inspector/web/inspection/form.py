"""The checklist as a WTForms form, composed from its definition (WTForms' dynamic form composition).

Each item ``x`` gives the fields ``x`` (the answer; none for photo items),
``x__note`` (an optional note) and ``x__photos`` (photos). Required-ness is
not a field validator: a draft may be incomplete; ``inspector.inspections.missing``
decides what stops a submit.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (HiddenField, MultipleFileField, RadioField, SelectMultipleField, StringField, TextAreaField,
                     ValidationError, widgets)
from wtforms.validators import Length

from ...checklists import TEXT_LIMITS, YES_NO, Checklist, Item
from ..webforms import options

NOTE_LIMIT = 1000


class OptionField(RadioField):
    """One answer from the options; nothing chosen is allowed (a draft), a forged value is not."""

    def pre_validate(self, form):
        if self.data not in (None, "") and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError("Pilihan tidak valid.")


class CheckboxesField(SelectMultipleField):
    """Several answers from the options, as checkboxes."""
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        if any(v not in allowed for v in self.data or []):
            raise ValidationError("Pilihan tidak valid.")


class InspectionFormBase(FlaskForm):
    """CSRF is checked by the view (the inspection key also ties a post to its inspection)."""

    class Meta:
        csrf = False

    inspection_key = HiddenField()
    photos_general = MultipleFileField("Foto umum")


def _number_check(item: Item):
    def check(form, field):
        raw = (field.data or "").strip().replace(",", ".")
        if not raw:
            return
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError("Isi dengan angka.") from None
        if value != value or not item.min <= value <= item.max:
            raise ValidationError(f"Angka harus antara {item.min:g} dan {item.max:g}.")
    return check


def _date_check(form, field):
    raw = (field.data or "").strip()
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValidationError("Tanggal tidak valid (TTTT-BB-HH).") from None
        if not 1990 <= day.year <= 2100:
            raise ValidationError("Tahun di luar rentang yang wajar.")


def _answer_field(item: Item):
    label = item.question
    if item.type == "yes_no":
        return OptionField(label, choices=options(YES_NO.items()))
    if item.type == "choice":
        return OptionField(label, choices=options(item.options))
    if item.type == "multi":
        return CheckboxesField(label, choices=options(item.options))
    if item.type in ("text", "longtext"):
        limit = TEXT_LIMITS[item.type]
        field = StringField if item.type == "text" else TextAreaField
        return field(label, validators=[Length(max=limit, message=f"Maksimal {limit} karakter.")])
    if item.type == "number":
        return StringField(label, validators=[_number_check(item)], render_kw={"inputmode": "decimal"})
    if item.type == "date":
        return StringField(label, validators=[_date_check], render_kw={"type": "date"})
    return None  # photo: photos only


_cache: dict[str, type] = {}


def form_class(checklist: Checklist) -> type:
    """The form class for one checklist definition (cached by digest)."""
    if checklist.digest in _cache:
        return _cache[checklist.digest]

    class InspectionForm(InspectionFormBase):
        pass

    for item in checklist.items():
        answer = _answer_field(item)
        if answer is not None:
            setattr(InspectionForm, item.id, answer)
        setattr(InspectionForm, f"{item.id}__note", TextAreaField(
            "Catatan", validators=[Length(max=NOTE_LIMIT, message=f"Maksimal {NOTE_LIMIT} karakter.")]))
        setattr(InspectionForm, f"{item.id}__photos", MultipleFileField("Foto"))
    _cache[checklist.digest] = InspectionForm
    return InspectionForm


def answers_from(form, checklist: Checklist, posted=None) -> dict:
    """Valid answers from a validated form: {item id: {"value", "note"} or None when empty}.

    An item with an error is left out, so what was saved before for it stays;
    so is an item of which ``posted`` holds neither the answer nor the note
    (a browser always sends the note field): a cut-short post never erases
    answers.
    """
    answers = {}
    for item in checklist.items():
        if posted is not None and item.id not in posted and f"{item.id}__note" not in posted:
            continue
        field = form._fields.get(item.id)
        note_field = form._fields[f"{item.id}__note"]
        if (field is not None and field.errors) or note_field.errors:
            continue
        value = None
        if field is not None:
            data = field.data
            if item.type == "multi":
                value = [v for v in (data or []) if v] or None
            elif item.type == "number":
                raw = (data or "").strip().replace(",", ".")
                value = (int(float(raw)) if float(raw).is_integer() else float(raw)) if raw else None
            else:
                value = (data or "").strip() or None
        note = (note_field.data or "").strip()
        answers[item.id] = {"value": value, "note": note} if (value is not None or note) else None
    return answers

