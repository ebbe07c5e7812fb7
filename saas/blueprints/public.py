"""Public, login-free pages of a tenant: its after-sales home."""
from __future__ import annotations

from flask import Blueprint, render_template

from tenants.resolver import pull_slug

bp = Blueprint("public", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)


@bp.get("/")
def home():
    return render_template("public/home.html")
