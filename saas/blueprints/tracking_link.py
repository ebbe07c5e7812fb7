"""The signed link in every message about a case: /<slug>/t/<token> opens the case page, no typing."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for

from saas.blueprints.intake import remember_case
from saas.extensions import limiter
from saas.services import case_links
from tenants.resolver import current_tenant, pull_slug

bp = Blueprint("tracking_link", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)


def _ip_limit() -> str:
    # Per client address only: a link is unguessable, so nothing here counts per case number,
    # and exhausting a number's lookups never shuts its consumer out of this door.
    return current_app.config["RATELIMIT_TRACK_LINK_IP"]


@bp.get("/t/<token>")
@limiter.limit(_ip_limit)
def open_case(token: str):
    case = case_links.case_for(current_tenant.id, token)
    if case is None:
        return render_template("public/track_link_expired.html"), 404
    remember_case(case.id)
    return redirect(url_for("tracking.case_page", number=case.number), 303)
