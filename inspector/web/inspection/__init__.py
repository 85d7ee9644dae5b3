"""The inspection on a phone, one blueprint: start, fill and save a draft, its photos, the summary, send once."""

from __future__ import annotations

from flask import Blueprint

from . import discard, fill, photos, send, start

bp = Blueprint("inspection", __name__)
for module in (start, fill, send, photos, discard):
    module.routes.add_to(bp)
