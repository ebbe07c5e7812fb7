"""Merchant console: the order list and search, CSV import with its template, and one order's lines."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from saas.blueprints.access import require_tenant_staff, roles_required
from saas.extensions import db
from saas.input_guard import bounded_int
from saas.locale import current_lang, pick
from saas.models.order import Order
from saas.services import order_import, orders
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("orders_console", __name__, url_prefix="/<slug>/console/orders")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

# Agents read orders (they open cases against them); importing is a shop-level change.
IMPORTERS = ("owner", "admin")
PER_PAGE = 50
# Enough to fix a file in one go; a file with more problems is usually the wrong file.
MAX_ERRORS_SHOWN = 500


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Please choose a CSV file.")),
            FileAllowed(["csv"], _l("Please upload a .csv file (in Excel: Save as → CSV).")),
        ],
    )


@bp.context_processor
def _helpers():
    lang = current_lang()
    return {
        "channel_label": lambda key: orders.channel_label(key, lang),
        "category_label": lambda key: orders.category_label(key, lang),
        # Decimal formatting keeps the exact amount; Jinja's format filter would go through float.
        "money": lambda value: f"¥{value:,.2f}",
    }


def _list_page(form: ImportForm, result: orders.ImportResult | None = None, status: int = 200):
    query = request.args.get("q", "").strip()
    page = db.paginate(
        orders.search_orders(current_tenant, query).options(selectinload(Order.lines)),
        page=request.args.get("page", 1, type=bounded_int),
        per_page=PER_PAGE,
        error_out=False,
    )
    errors = result.errors[:MAX_ERRORS_SHOWN] if result is not None else []
    return render_template(
        "console/orders/list.html",
        page=page,
        query=query,
        form=form,
        result=result,
        errors=errors,
        lang=current_lang(),
        max_rows=order_import.MAX_ROWS,
        max_mb=order_import.MAX_BYTES // (1024 * 1024),
    ), status


@bp.get("/")
def list_orders():
    return _list_page(ImportForm())


@bp.post("/import")
@roles_required(*IMPORTERS)
def import_orders():
    form = ImportForm()
    if not form.validate_on_submit():
        return _list_page(form, status=400)
    upload = form.file.data
    try:
        result = order_import.import_orders_csv(
            current_tenant, current_user, upload.stream, filename=upload.filename or ""
        )
    except IntegrityError:
        # Another import of the same order numbers committed between our check and our flush.
        db.session.rollback()
        flash(
            _(
                "Some of these orders were imported by someone else just now. Nothing was imported; "
                "please upload the file again to see which rows are affected."
            ),
            "error",
        )
        return redirect(url_for(".list_orders"))
    if not result.ok:
        db.session.rollback()
        return _list_page(form, result, status=422)
    db.session.commit()
    flash(
        _("Imported %(orders)s orders with %(lines)s order lines.", orders=result.orders, lines=result.lines), "success"
    )
    return redirect(url_for(".list_orders"))


@bp.get("/template.csv")
def template():
    lang = current_lang()
    filename = pick("orders-template-zh.csv", "orders-template.csv", lang)
    return Response(
        orders.template_csv(lang),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.get("/<int:order_id>")
def order_detail(order_id: int):
    order = get_for_tenant_or_404(Order, order_id)
    return render_template("console/orders/detail.html", order=order, lang=current_lang())
