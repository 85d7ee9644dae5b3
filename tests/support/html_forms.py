"""HTML forms as a browser posts them: every form of a page with its controls, filled in by name, encoded
the way a browser builds the form data set (urlencoded or multipart, file parts included)."""

from __future__ import annotations

import hashlib
import io
import re
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser


class Unexpected(Exception):
    """An answer a browser should never get (a bug in the app or in the client)."""


@dataclass
class Answer:
    """One answer as the client got it: the address asked for, the status, where it redirects, the page."""
    url: str
    status: int
    location: str
    body: str


@dataclass
class Control:
    """One input, button or text area of a form, with its current value (and files, for a file input)."""
    tag: str
    type: str
    name: str | None
    value: str = ""
    checked: bool = False
    disabled: bool = False
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Form:
    """A form of a page: where and how it posts, and its controls in document order."""
    action: str
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)

    def named(self, name: str) -> list[Control]:
        return [c for c in self.controls if c.name == name]

    def set(self, name: str, value: str) -> None:
        """Type into a text field, a date field or a text area."""
        found = [c for c in self.named(name) if c.type not in ("radio", "checkbox", "file", "submit", "hidden")]
        if len(found) != 1:
            raise KeyError(f"no text field {name!r}")
        found[0].value = value

    def choose(self, name: str, value: str) -> None:
        radios = [c for c in self.named(name) if c.type == "radio"]
        if value not in {c.value for c in radios}:
            raise KeyError(f"no option {value!r} of {name!r}")
        for radio in radios:
            radio.checked = radio.value == value

    def tick(self, name: str, values: list[str]) -> None:
        boxes = [c for c in self.named(name) if c.type == "checkbox"]
        if not set(values) <= {c.value for c in boxes}:
            raise KeyError(f"no options {values!r} of {name!r}")
        for box in boxes:
            box.checked = box.value in values

    def attach(self, name: str, files: list[tuple[str, bytes]]) -> None:
        found = [c for c in self.named(name) if c.type == "file"]
        if len(found) != 1:
            raise KeyError(f"no file field {name!r}")
        found[0].files = list(files)

    def entries(self, submitter: tuple[str, str] | None = None) -> list[tuple[str, str | tuple[str, bytes]]]:
        """The form data set a browser builds, in document order (HTML's "constructing the entry list")."""
        out: list[tuple[str, str | tuple[str, bytes]]] = []
        for c in self.controls:
            if not c.name or c.disabled:
                continue
            if c.type in ("submit", "button", "reset", "image"):
                if c.type == "submit" and submitter == (c.name, c.value):
                    out.append((c.name, c.value))
            elif c.type in ("radio", "checkbox"):
                if c.checked:
                    out.append((c.name, c.value))
            elif c.type == "file":
                for item in c.files or [("", b"")]:  # a browser sends an empty part when no file is chosen
                    out.append((c.name, item))
            else:
                out.append((c.name, c.value))
        if submitter and not any(c.type == "submit" and (c.name, c.value) == submitter for c in self.controls):
            raise KeyError(f"no button {submitter!r}")
        return out

    def encode(self, submitter: tuple[str, str] | None = None) -> tuple[bytes, str]:
        entries = self.entries(submitter)
        if self.enctype != "multipart/form-data":
            if any(not isinstance(v, str) for _, v in entries):
                raise ValueError("files in a form that is not multipart")
            return urllib.parse.urlencode(entries).encode(), "application/x-www-form-urlencoded"
        boundary = "----soak" + hashlib.sha256(repr(entries).encode()).hexdigest()[:24]
        body = io.BytesIO()
        for name, value in entries:
            body.write(f"--{boundary}\r\n".encode())
            if isinstance(value, str):
                body.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
                body.write(value.encode("utf-8"))
            else:
                filename, data = value
                kind = "image/jpeg" if data else "application/octet-stream"
                body.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                           f"Content-Type: {kind}\r\n\r\n".encode())
                body.write(data)
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        return body.getvalue(), f"multipart/form-data; boundary={boundary}"


class FormParser(HTMLParser):
    """Every form of a page with its controls and their current values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(a.get("action") or "", (a.get("method") or "get").lower(),
                              (a.get("enctype") or "application/x-www-form-urlencoded").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            default = "on" if kind in ("radio", "checkbox") else ""
            self._form.controls.append(Control("input", kind, a.get("name"), a.get("value") or default,
                                               "checked" in a, "disabled" in a))
        elif tag == "button":
            self._form.controls.append(Control("button", (a.get("type") or "submit").lower(), a.get("name"),
                                               a.get("value") or "", disabled="disabled" in a))
        elif tag == "textarea":
            self._textarea = Control("textarea", "textarea", a.get("name"), "", disabled="disabled" in a)
            self._form.controls.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            if self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]  # HTML drops a newline right after <textarea>
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_of(page: Answer) -> list[Form]:
    """The page's forms, each action resolved against the page's address as a browser does."""
    parser = FormParser()
    parser.feed(page.body)
    parser.close()
    for form in parser.forms:
        form.action = urllib.parse.urlsplit(urllib.parse.urljoin(page.url, form.action)).path
    return parser.forms


def form_posting_to(page: Answer, pattern: str) -> Form:
    """The one form of the page that posts to an address matching ``pattern``."""
    found = [f for f in forms_of(page) if f.method == "post" and re.search(pattern, f.action)]
    if len(found) != 1:
        raise Unexpected(f"{len(found)} forms posting to {pattern!r} on the page")
    return found[0]
