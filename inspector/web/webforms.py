"""WTForms classes of the fixed pages (sign-in, accounts, LKS): rendering and CSRF; every message in Indonesian.

(The checklists are not here: forms/ holds their definitions, ``inspection/form.py`` composes their forms.)
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..auth import ROLES
from ..places import KECAMATAN
from ..lks import GRADES, KINDS

REQUIRED = "Wajib diisi."


class LoginForm(FlaskForm):
    username = StringField("Nama pengguna", validators=[DataRequired(REQUIRED), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Kata sandi", validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Kata sandi sekarang", validators=[DataRequired(REQUIRED), Length(max=256)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("Kata sandi baru", validators=[DataRequired(REQUIRED), Length(max=256)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField("Ulangi kata sandi baru", validators=[DataRequired(REQUIRED), Length(max=256)],
                           render_kw={"autocomplete": "new-password"})


class PasswordResetForm(FlaskForm):
    password = PasswordField("Kata sandi baru", validators=[DataRequired(REQUIRED), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})


class CodeForm(FlaskForm):
    """One code of the second factor; its shape is checked by ``second_factor.read_code``."""
    code = StringField("Kode", validators=[DataRequired(REQUIRED)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                                  "spellcheck": "false"})


class SecondFactorForm(FlaskForm):
    """The owner's second-factor page: start (or restart) enrolment, confirm it with a code, or turn it off."""
    action = StringField()
    code = StringField("Kode dari aplikasi", render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    password = PasswordField("Kata sandi Anda", render_kw={"autocomplete": "current-password"})


class ActionForm(FlaskForm):
    """A button-only form: CSRF protection for POST actions."""


PICK = SelectChoice("", "— pilih —")


def options(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _kecamatan_choices():
    return [PICK] + options((k, k) for k in KECAMATAN)


def _kelurahan_choices():
    return [PICK] + [SelectChoice(kel, kel, optgroup=f"Kec. {kec}") for kec, kels in KECAMATAN.items() for kel in kels]


class LksPlaceForm(FlaskForm):
    """What every LKS record has: name, kind, address, place. Rules in ``inspector.lks.clean``."""
    name = StringField("Nama LKS")
    kind = SelectField("Jenis", choices=[PICK] + options(KINDS.items()), validate_choice=False)
    address = TextAreaField("Alamat")
    kecamatan = SelectField("Kecamatan", choices=_kecamatan_choices(), validate_choice=False)
    kelurahan = SelectField("Kelurahan", choices=_kelurahan_choices(), validate_choice=False)
    lat = StringField("Lintang (mis. -6.2157)", render_kw={"inputmode": "decimal"})
    lon = StringField("Bujur (mis. 106.6383)", render_kw={"inputmode": "decimal"})


class LksForm(LksPlaceForm):
    """The register's full record (rendering and CSRF only)."""
    contact_name = StringField("Nama kontak")
    contact_phone = StringField("Telepon kontak", render_kw={"inputmode": "tel"})
    registered = BooleanField("Terdaftar di Dinas Sosial")
    registration_number = StringField("Nomor registrasi")
    accreditation = SelectField("Akreditasi", choices=options(GRADES.items()), validate_choice=False)
    accreditation_expiry = StringField("Akreditasi berlaku sampai", render_kw={"type": "date"})
    capacity = StringField("Kapasitas (orang)", render_kw={"inputmode": "numeric"})


class LksImportForm(FlaskForm):
    file = FileField("Berkas CSV")


class UserForm(FlaskForm):
    """Rendering and CSRF only: the rules live in ``inspector.accounts.clean``."""
    username = StringField("Nama pengguna", render_kw={"autocapitalize": "none"})
    password = PasswordField("Kata sandi awal", render_kw={"autocomplete": "new-password"})
    name = StringField("Nama lengkap")
    role = SelectField("Peran", choices=[PICK] + options(ROLES.items()), validate_choice=False)
    agency = StringField("Instansi (Satpol PP, Dinas Sosial, Kelurahan …)")
    lks_ids = SelectMultipleField("LKS (untuk operator)", choices=[], validate_choice=False)


def apply_errors(form, errors: dict[str, str]) -> None:
    """Show domain-rule errors next to their fields."""
    for field, reason in errors.items():
        if field in form:
            form[field].errors = list(form[field].errors) + [reason]


class ProvisionalLksForm(LksPlaceForm):
    """An LKS found in the field that is not in the register, with a photo of its front."""
    name = StringField("Nama LKS (sesuai papan nama)")
    front_photo = FileField("Foto bagian depan bangunan")


class MergeForm(FlaskForm):
    target = StringField("Kode LKS terdaftar yang sama", render_kw={"autocapitalize": "characters"})
