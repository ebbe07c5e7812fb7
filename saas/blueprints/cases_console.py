"""Agent console for cases: the queue, a case's page and every action on it, phone/offline intake."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from saas.blueprints import case_actions
from saas.blueprints.access import require_tenant_staff, roles_required
from saas.blueprints.intake import IntakeForm
from saas.extensions import db
from saas.i18n import current_lang
from saas.input_guard import bounded_int, int_list
from saas.models.base import utcnow
from saas.models.case import CASE_IS_OPEN, PROBLEM_TYPES, QUEUE_ORDER, SEARCHED, STATUSES, Case, Evidence
from saas.models.notification import Notification
from saas.services import (
    assignment,
    case_evidence,
    case_intake,
    case_view,
    cases,
    reasons,
    sla,
    supervision,
    supervision_review,
)
from saas.services.case_messages import event_label
from saas.services.case_messages import staff_label as label
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("cases_console", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

PAGE_SIZE = 50
COUNT_AHEAD = 1000


def queue_query(args, user=None):
    """The queue's statement for the filters in `args`, in queue order (read off `ix_cases_queue` for open
    cases, `ix_cases_all` for all or one status); `user` is whom "assignee=me" means."""
    stmt = select(Case)
    status = args.get("status", "open")
    if status == "open":
        stmt = stmt.where(CASE_IS_OPEN)
    elif status in STATUSES:
        stmt = stmt.where(Case.status == status)
    if args.get("type") in PROBLEM_TYPES:
        stmt = stmt.where(Case.problem_type == args["type"])
    if args.get("priority") == "emergency":
        stmt = stmt.where(Case.emergency.is_(True))
    elif args.get("priority", type=bounded_int) is not None:
        stmt = stmt.where(Case.priority >= args.get("priority", type=bounded_int))
    if args.get("overdue") == "1":
        stmt = stmt.where(Case.due_at.is_not(None), Case.due_at < utcnow(), CASE_IS_OPEN)
    stmt = assignment.filter_queue(stmt, args, user, current_tenant)
    q = (args.get("q") or "").strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(*(column.ilike(like) for column in SEARCHED)))  # served by ix_cases_search
    return stmt.order_by(*QUEUE_ORDER)


def queue_count_query(stmt, cap: int):
    """Count the rows of `stmt`, stopping after cap + 1: a big shop's open cases are never all read.

    The tenant guard scopes ORM statements, not an ORM statement wrapped in a Core subquery, hence the
    explicit tenant filter.
    """
    counted = stmt.with_only_columns(Case.id).where(Case.tenant_id == current_tenant.id).order_by(None).limit(cap + 1)
    return select(func.count()).select_from(counted.subquery())


@bp.get("/cases")
def queue():
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    stmt = queue_query(request.args, current_user)
    # Counting every open case of a big shop cost as much as the page itself: count far enough, no further.
    cap = page * PAGE_SIZE + COUNT_AHEAD
    total = db.session.scalar(queue_count_query(stmt, cap))
    rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "console/cases/queue.html",
        cases=rows,
        total=min(total, cap),
        more=total > cap,
        page=page,
        page_size=PAGE_SIZE,
        now=utcnow(),
        statuses=STATUSES,
        problem_types=PROBLEM_TYPES,
        label=label,
        team=assignment.assignable(current_tenant.id),
        names=assignment.team_names(current_tenant.id),
    )


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    """An agent enters a phone or offline case on the consumer's behalf."""
    form = IntakeForm()
    if request.method == "POST" and form.validate_on_submit():
        line_ids = int_list(request.form.getlist("line_ids"))
        intake = form.intake(line_ids)
        intake.intake_channel = "agent"
        intake.locale = (
            request.form.get("customer_locale", "zh_Hans")
            if request.form.get("customer_locale") in ("zh_Hans", "en")
            else "zh_Hans"
        )
        if (
            intake.purchase_date is None
            and case_intake.find_order(current_tenant, intake.order_number, intake.mobile, intake.email) is None
        ):
            form.purchase_date.errors = [
                _("The order was not found with this contact: please enter the purchase date.")
            ]
        else:
            try:
                checked = case_evidence.check_files(request.files.getlist("evidence"))
            except case_evidence.EvidenceRefused as exc:
                flash(exc.message(current_lang()), "error")
            else:
                case = case_intake.file_case(current_tenant, intake, actor=current_user)
                case_evidence.attach(case, checked, uploaded_by="staff")
                db.session.commit()
                flash(_("Case %(number)s created.", number=case.number), "success")
                return redirect(url_for(".case_detail", case_id=case.id))
    return render_template("console/cases/new.html", form=form)


@bp.get("/cases/<int:case_id>")
def case_detail(case_id: int):
    return _case_page(get_for_tenant_or_404(Case, case_id))


def _case_page(case: Case, refused: case_actions.ActionForm | None = None) -> str:
    """The case page; a refused action form is shown again as the agent filled it in."""
    lang = current_lang()
    action_forms = [
        refused if refused is not None and form.action == refused.action else form
        for form in case_actions.offered(case)
    ]
    return render_template(
        "console/cases/detail.html",
        case=case,
        label=label,
        event_label=event_label,
        lang=lang,
        nodes=case_view.nodes(case),
        timeline=case_view.timeline(case, lang, staff=True),
        remedies=case_view.remedies(case, lang),
        action_forms=action_forms,
        clause=case_view.responsibility_clause(case),
        reason=reasons.label(case.tenant_id, case.reason_code, lang),
        clocks=sorted(getattr(case, "clocks", []), key=lambda c: (c.started_at, c.id)),
        now=utcnow(),
        notifications=db.session.scalars(
            select(Notification).where(Notification.case_id == case.id).order_by(Notification.id)
        ).all(),
        clock_label=lambda kind: str(sla.CLOCK_LABELS.get(kind, kind)),
        state_label=lambda state: str(sla.STATE_LABELS.get(state, state)),
        supervision=supervision_review.console_panel(case, current_user),
    )


@bp.post("/cases/<int:case_id>/actions/<action>")
def case_action(case_id: int, action: str):
    case = get_for_tenant_or_404(Case, case_id)
    form_class = case_actions.ACTIONS.get(action)
    if form_class is None:
        abort(404)
    form = form_class()
    if not form.validate():
        for message in case_actions.refusals(form):
            flash(message, "error")
        return _case_page(case, refused=form), 400
    try:
        checked = case_evidence.check_files(form.files())
        form.run(case, current_user._get_current_object())
        if checked:
            case_evidence.attach(case, checked, uploaded_by="staff", event=case.events[-1])
    except (cases.CaseError, reasons.ReasonError, assignment.AssignmentError) as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except case_evidence.EvidenceRefused as exc:
        db.session.rollback()
        flash(exc.message(current_lang()), "error")
    else:
        db.session.commit()
        flash(form.done(case) or _("Done: %(status)s.", status=label(case.status)), "success")
    return redirect(url_for(".case_detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/findings/respond")
@roles_required("owner", "admin")
def respond_to_findings(case_id: int):
    """The merchant answers a supervisor's findings on this case."""
    case = get_for_tenant_or_404(Case, case_id)
    try:
        supervision_review.respond(case, current_user, request.form.get("finding_id"), request.form.get("text", ""))
    except supervision.SupervisionError as exc:
        db.session.rollback()
        for message in exc.errors.values():
            flash(str(message), "error")
    else:
        db.session.commit()
        flash(_("Your response was sent to the supervisor."), "success")
    return redirect(url_for(".case_detail", case_id=case.id) + "#findings")


@bp.get("/access-log")
@roles_required("owner")
def access_log():
    """Every look a supervisor took at this shop's cases."""
    return render_template(
        "supervise/tenant_access_log.html",
        rows=supervision_review.tenant_access_log(),
        access_label=supervision.access_label,
    )


@bp.get("/cases/<int:case_id>/slip")
def case_slip(case_id: int):
    case = get_for_tenant_or_404(Case, case_id)
    return render_template("slip.html", case=case, view=case_view.slip(case, current_lang()))


@bp.get("/evidence/<int:evidence_id>")
def evidence_file(evidence_id: int):
    item = get_for_tenant_or_404(Evidence, evidence_id)
    path = case_evidence.ready_path(item)  # never the quarantined original
    if path is None:
        abort(404)
    return send_file(path, mimetype=item.mime, max_age=0)
