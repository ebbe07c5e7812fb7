"""Monthly merchant scorecards on a small known dataset: every figure exact, the month in the tenant's zone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from saas.extensions import db
from saas.models import supervision
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.complaint import AdvanceCompensation, PlatformComplaint
from saas.models.sla import SlaClock
from saas.models.survey import Survey
from saas.services import kpi_facts, policies, scorecards
from tenants.scoping import tenant_context
from tests.factories import login, make_tenant, make_user

SH = ZoneInfo("Asia/Shanghai")
MARCH = date(2026, 3, 1)
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=SH)


def at(m, d, hh, mm=0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SH)


def _case(n: int, created: datetime, resolved: datetime | None = None, **over) -> Case:
    fields = dict(
        number=f"T{n:04d}",
        order_number=f"O-{n}",
        purchase_date=date(2026, 2, 1),
        customer_name="顾客",
        problem_type="quality",
        description="x",
        expected_resolution="refund",
        created_at=created,
        updated_at=created,
        resolved_at=resolved,
        status="resolved" if resolved else "accepted",
    )
    fields.update(over)
    case = Case(**fields)
    db.session.add(case)
    db.session.flush()
    # Written without events: its KPI facts are filled as a data import would (kpi_facts.refresh).
    kpi_facts.refresh(case, *policies.service_terms(case))
    db.session.flush()
    return case


def _clock(case: Case, state: str, stopped: datetime | None) -> None:
    db.session.add(
        SlaClock(
            case_id=case.id,
            kind="first_response",
            target_minutes=10,
            started_at=case.created_at,
            due_at=case.created_at + timedelta(minutes=10),
            stopped_at=stopped,
            state=state,
        )
    )


def _survey(case: Case, n: int, score: int | None, answered: datetime | None) -> None:
    db.session.add(
        Survey(
            case_id=case.id,
            token=f"tok-{case.id}-{n}",
            status="answered" if score else "invited",
            due_at=case.created_at,
            score=score,
            answered_at=answered,
        )
    )


def _complaint(n: int, created: datetime, replied: datetime | None) -> PlatformComplaint:
    c = PlatformComplaint(
        reference=f"PCTEST{n:04d}",
        text="慢",
        contact_mobile="13911112222",
        created_at=created,
        updated_at=created,
        due_at=created + timedelta(hours=48),
        replied_at=replied,
        status="answered" if replied else "new",
    )
    db.session.add(c)
    db.session.flush()
    return c


@pytest.fixture
def dataset(app):
    """Shop A with a known March 2026; shop B with nothing; an operator."""
    with app.app_context():
        a, b = make_tenant("score-a", name_en="Score A"), make_tenant("score-b", name_en="Score B")
        make_user(None, "operator", "op@example.com")
        with tenant_context(a.id):
            policies.ensure_draft(a, None)
            policies.publish(a, None, date(2026, 1, 1), allow_past=True)
            # Filed in March (China time): 5 cases.
            c1 = _case(1, at(3, 2, 10), at(3, 5, 10))  # resolved in 3 working days: in time
            c2 = _case(2, at(3, 2, 10), at(3, 20, 10))  # resolved after 14 working days: late
            _case(3, at(3, 30, 10))  # open, its 7 working days not over: undecided
            _case(4, at(3, 10, 10))  # open, 7 working days over: missed
            _case(5, at(3, 31, 23, 30))  # 15:30 UTC on the 31st: still March in China
            # Outside March in China time.
            _case(6, at(2, 28, 10), at(3, 3, 10))
            _case(7, datetime(2026, 3, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 April in China
            # SLA clocks stopped in March: 3 met, 1 breached; others outside or still running.
            _clock(c1, "met", at(3, 2, 10, 5))
            _clock(c1, "met", at(3, 4, 11))
            _clock(c2, "met", at(3, 3, 9))
            _clock(c2, "breached", at(3, 12, 9))
            _clock(c2, "met", at(2, 27, 9))
            _clock(c2, "running", None)
            # Surveys answered in March: 5, 4, 3 → mean 4 → 80.0; April's 1 and an unanswered one do not count.
            _survey(c1, 1, 5, at(3, 10, 9))
            _survey(c1, 2, 4, at(3, 11, 9))
            _survey(c2, 3, 3, at(3, 25, 9))
            _survey(c2, 4, 1, at(4, 1, 9))
            _survey(c2, 5, None, None)
            # Complaints filed in March: one answered in time, one late, one still open and overdue by NOW.
            k1 = _complaint(1, at(3, 3, 9), at(3, 4, 9))
            _complaint(2, at(3, 5, 9), at(3, 9, 9))
            _complaint(3, at(3, 31, 9), None)
            _complaint(4, at(4, 1, 9), None)  # April
            for amount, recovered, when in (
                ("100.00", True, at(3, 6, 9)),
                ("50.50", False, at(3, 7, 9)),
                ("9.99", False, at(4, 1, 10)),
            ):
                db.session.add(
                    AdvanceCompensation(
                        complaint_id=k1.id,
                        case_id=c1.id,
                        amount=Decimal(amount),
                        reason="未兑现承诺",
                        recovered=recovered,
                        created_at=when,
                    )
                )
            db.session.commit()
        return {"a": a.id, "b": b.id}


def test_march_figures_are_exact(app, dataset):
    with app.app_context():
        cards = {c.slug: c for c in scorecards.monthly(MARCH, now=NOW)}
    a, b = cards["score-a"], cards["score-b"]
    assert a.month == "2026-03"
    assert a.cases == 5
    assert (a.clocks_met, a.clocks_stopped, a.sla_met_pct) == (3, 4, 75.0)
    assert (a.resolved_in_time, a.resolution_decided, a.resolution_pct) == (1, 3, 33.3)
    assert (a.surveys_answered, a.satisfaction) == (3, 80.0)
    assert (a.complaints, a.complaints_late) == (3, 2)
    assert (a.compensations, a.compensation_total, a.compensation_outstanding) == (
        2,
        Decimal("150.50"),
        Decimal("50.50"),
    )
    assert (b.cases, b.sla_met_pct, b.resolution_pct, b.satisfaction, b.complaints, b.compensation_total) == (
        0,
        None,
        None,
        None,
        0,
        Decimal("0.00"),
    )


def test_april_moves_the_boundary_cases(app, dataset):
    with app.app_context():
        a = {c.slug: c for c in scorecards.monthly(date(2026, 4, 1), now=NOW)}["score-a"]
    assert a.cases == 1 and a.resolution_decided == 0  # case 7, filed 00:30 on 1 April in China
    assert (a.surveys_answered, a.satisfaction) == (1, 20.0)
    assert (a.complaints, a.compensation_total) == (1, Decimal("9.99"))


def test_undecided_cases_count_once_their_seven_working_days_pass(app, dataset):
    with app.app_context():
        later = {c.slug: c for c in scorecards.monthly(MARCH, now=at(5, 1, 12))}["score-a"]
    # Cases 3 and 5 are now decided (missed): 1 in time out of 5.
    assert (later.resolved_in_time, later.resolution_decided, later.resolution_pct) == (1, 5, 20.0)


def test_figures_come_from_aggregate_queries(app, dataset):
    """A grouped query per figure and time zone, never per case: more cases, the same statements."""

    def statements_of_a_run():
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            scorecards.monthly(MARCH, now=NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return statements

    with app.app_context():
        with tenant_context(dataset["a"]):  # a first reply in March, so that it has a median from the start
            _case(99, at(3, 12, 9), first_response_at=at(3, 12, 9, 5))
            db.session.commit()
        before = statements_of_a_run()
        with tenant_context(dataset["a"]):
            for n in range(30):
                _case(100 + n, at(3, 12, 10, n), at(3, 13, 10, n) if n % 2 else None, first_response_at=at(3, 12, 11))
            db.session.commit()
        after = statements_of_a_run()
    assert len(after) == len(before)
    case_reads = [s for s in after if "FROM cases" in s]
    assert case_reads and all("GROUP BY" in s or "LIMIT" in s for s in case_reads)
    assert all("cases.customer_name" not in s for s in case_reads)
    assert any("GROUP BY sla_clocks.tenant_id" in s for s in after)


def test_verdicts_are_counted_from_supervision_samples(app, dataset):
    from sqlalchemy import select

    with app.app_context(), tenant_context(dataset["a"]):
        sample = supervision.Sample(
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            size_requested=2,
            stratified=False,
            seed=1,
            population=5,
            allocation={},
        )
        db.session.add(sample)
        db.session.flush()
        case_ids = db.session.scalars(select(Case.id).order_by(Case.id)).all()
        for pos, (case_id, verdict, when) in enumerate(
            (
                (case_ids[0], "pass", at(3, 20, 9)),
                (case_ids[1], "fail", at(3, 21, 9)),
                (case_ids[2], "concern", at(4, 2, 9)),
            )
        ):
            db.session.add(
                supervision.SampleCase(
                    sample_id=sample.id, case_id=case_id, position=pos, verdict=verdict, reviewed_at=when
                )
            )
        db.session.commit()
        a = {c.slug: c for c in scorecards.monthly(MARCH, now=NOW)}["score-a"]
    assert a.verdicts == {"pass": 1, "concern": 0, "fail": 1}


def test_page_and_csv_export(app, client, dataset):
    login(client, "op@example.com")
    with travel_to(NOW):
        html = client.get("/admin/scorecards?month=2026-03&lang=en").get_data(as_text=True)
        r = client.get("/admin/scorecards.csv?month=2026-03")
    row = html[html.index('id="scorecard-score-a"') :]
    row = row[: row.index("</tr>")]
    for expected in ("75.0%", "(3/4)", "33.3%", "(1/3)", "80.0", "¥150.50", "¥50.50 to recover", "2 late"):
        assert expected in row, expected
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "scorecards-2026-03.csv" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [x["slug"] for x in rows] == ["score-a", "score-b"]
    a = rows[0]
    assert (
        a["cases"],
        a["sla_met_pct"],
        a["resolution_7d_pct"],
        a["satisfaction"],
        a["complaints"],
        a["complaints_late"],
        a["advance_compensation_total"],
        a["advance_compensation_outstanding"],
    ) == ("5", "75.0", "33.3", "80.0", "3", "2", "150.50", "50.50")
    # The page defaults to last month; a malformed month is a 400.
    assert client.get("/admin/scorecards?month=2026-13").status_code == 400


def test_csv_cells_cannot_start_a_formula(app, dataset):
    with app.app_context():
        from tenants.models import Tenant

        db.session.get(Tenant, dataset["b"]).name_en = '=HYPERLINK("http://evil")'
        db.session.commit()
        text = scorecards.to_csv(scorecards.monthly(MARCH, now=NOW)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
