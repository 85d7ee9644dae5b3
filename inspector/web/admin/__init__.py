"""The admin's pages, one blueprint: home, the data's health, the LKS register, LKS reported from the field,
accounts, posters."""

from __future__ import annotations

from flask import Blueprint

from . import accounts, health, home, lks, posters, provisional, second_factor

bp = Blueprint("admin", __name__, url_prefix="/admin")
for module in (home, health, lks, provisional, accounts, second_factor, posters):
    module.routes.add_to(bp)
