"""Third-party supervision over HTTP: grants, reproducible samples, masking, reviews, responses, access log."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from saas.evidence import check_upload, clean_image  # clean_image: the evidence worker's step
from saas.extensions import db
from saas.masking import mask_case_number
from saas.models.audit import AuditEvent
from saas.models.case import Case, Evidence
from saas.models.supervision import Sample, SampleCase, SupervisorAccess, SupervisorGrant
from saas.models.user import User
from saas.services import (
    case_consumer_steps,
    case_evidence,
    case_intake,
    cases,
    policies,
    supervision_review,
    supervision_sampling,
)
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import PASSWORD, csrf_token, login, make_tenant, make_user, post_form

MOBILE = re.compile(r"1[3-9]\d{9}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ID_NUMBER = re.compile(r"\d{17}[\dXx]")

CUSTOMER_MOBILE = "13812345678"
CUSTOMER_EMAIL = "zhangsanfeng@example.com"
ID_CARD = "110105199001011234"
ADDRESS = "北京市朝阳区建国路88号3栋502室"
DESCRIPTION = (
    f"我是张三丰，屏幕碎了。我的电话{CUSTOMER_MOBILE}，备用 139-0000-1111，邮箱{CUSTOMER_EMAIL}，"
    f"身份证{ID_CARD}，换货请寄到{ADDRESS}"
)
CONSUMER_MESSAGE = f"请打 +86 137 2222 3333 或发邮件到 backup.mail@qq.com，身份证号 {ID_CARD[:-1]}X"
SECRET_NOTE = "内部备注：客户可能是职业索赔人"


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), "red").save(buf, "JPEG")
    return buf.getvalue()


def _file(tenant: Tenant, problem_type: str = "quality", **over) -> Case:
    fields = dict(
        order_number="TB-1",
        customer_name="张三丰",
        mobile=CUSTOMER_MOBILE,
        email=CUSTOMER_EMAIL,
        purchase_channel="taobao",
        problem_type=problem_type,
        description="屏幕有划痕",
        expected_resolution="consultation" if problem_type == "consultation" else "refund",
        purchase_date=date.today() - timedelta(days=5),
        delivery_date=date.today() - timedelta(days=3),
        category="electronics",
    )
    fields.update(over)
    return case_intake.file_case(tenant, case_intake.Intake(**fields))


def _resolve(case: Case, agent: User, reason: str = "不符合质量问题退货条件") -> None:
    cases.accept(case, agent)
    cases.reject(case, agent, reason)


@pytest.fixture
def world(app):
    """Shop A (published policy, staff, cases resolved today), shop B, an operator and two supervisors."""
    with app.app_context():
        a, b = make_tenant("shop-a"), make_tenant("shop-b")
        out = {"a": a.id, "b": b.id}
        with tenant_context(a.id):
            make_user(a, "owner", "owner@a.example.com")
            make_user(a, "admin", "admin@a.example.com")
            agent = make_user(a, "agent", "agent@a.example.com")
            policies.ensure_draft(a, None)
            policies.publish(a, None, date(2026, 1, 1), allow_past=True)
        with tenant_context(b.id):
            make_user(b, "owner", "owner@b.example.com")
            make_user(b, "agent", "agent@b.example.com")
        operator = make_user(None, "operator", "operator@platform.example.com")
        sup = make_user(None, "supervisor", "sup@audit.example.com", name="监督员甲")
        other = make_user(None, "supervisor", "other@audit.example.com", name="监督员乙")
        out.update(operator=operator.id, supervisor=sup.id, other_supervisor=other.id, agent=agent.id)
        with tenant_context(a.id):
            # The personal case: contact details written into every free-text field.
            case = _file(a, description=DESCRIPTION)
            case_evidence.attach(
                case, [clean_image(check_upload(io.BytesIO(_jpeg()), f"张三丰{CUSTOMER_MOBILE}.jpg"))], "consumer"
            )
            case_consumer_steps.consumer_message(case, CONSUMER_MESSAGE)
            cases.accept(case, agent)
            cases.message_customer(case, agent, f"三丰先生您好，我们会致电 {CUSTOMER_MOBILE}")
            cases.add_note(case, agent, f"{SECRET_NOTE} {CUSTOMER_MOBILE}")
            cases.reject(case, agent, f"已电话联系{CUSTOMER_MOBILE}确认")
            out["personal"] = case.id
            # A still-open case: never in a sample of resolved or closed cases.
            out["open"] = _file(a, description="还在处理").id
            db.session.commit()
        out["today"] = shop_today(a)
    return out


def _grant(app, world, *, images=False, supervisor="supervisor", starts=-10, ends=10, tenant="a") -> int:
    with app.app_context():
        today = world["today"]
        row = SupervisorGrant(
            supervisor_id=world[supervisor],
            tenant_id=world[tenant],
            starts_on=today + timedelta(days=starts),
            ends_on=today + timedelta(days=ends),
            evidence_images=images,
            granted_by_id=world["operator"],
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _draw(client, world, *, size=10, seed="42", stratified=False, tenant="a", start=None, end=None):
    today = world["today"]
    data = {
        "tenant_id": world[tenant],
        "period_start": (start or today - timedelta(days=1)).isoformat(),
        "period_end": (end or today + timedelta(days=1)).isoformat(),
        "size": size,
        "seed": seed,
    }
    if stratified:
        data["stratified"] = "y"
    return post_form(client, "/supervise/samples", data, form_url="/supervise/")


def _sample_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _sampled(app, sample_id: int) -> list[int]:
    with app.app_context(), cross_tenant("test"):
        return list(
            db.session.scalars(
                select(SampleCase.case_id).where(SampleCase.sample_id == sample_id).order_by(SampleCase.position)
            )
        )


def _supervisor(app, world, email="sup@audit.example.com"):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _staff(app, email, password=PASSWORD):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def _review(client, sample_id, case_id, **over):
    data = {
        "policy_result": "pass",
        "policy_comment": "条款适用正确",
        "sla_result": "concern",
        "sla_comment": "首次响应稍慢",
        "resolution_result": "pass",
        "resolution_comment": "",
        "communication_result": "pass",
        "communication_comment": "",
        "verdict": "concern",
        "findings": "首次响应超过承诺时间，请改进排班。",
    }
    data.update(over)
    page = f"/supervise/samples/{sample_id}/cases/{case_id}"
    return post_form(client, f"{page}/review", data, form_url=page)


def _assert_masked(body: str, where: str, number: str | None = None) -> None:
    assert not MOBILE.search(body), (where, MOBILE.search(body).group(0))
    # The tracking credential: neither the whole case number nor a mobile's last four digits.
    assert not re.search(r"(?<![A-Za-z0-9+/=_-])(?:5678|3333|1111)(?![A-Za-z0-9])", body), where
    if number:
        assert number not in body and number.replace("-", "") not in body, where
    assert not EMAIL.search(body), (where, EMAIL.search(body).group(0))
    assert not ID_NUMBER.search(body), (where, ID_NUMBER.search(body).group(0))
    assert "张三丰" not in body and "三丰" not in body and SECRET_NOTE not in body, where  # the name, in any field
    # An address written into free text (its flat number alone, not any "502" in a time or an id).
    assert "建国路" not in body and not re.search(r"(?<![0-9])502(?:室|\b)(?![0-9:.])", body), where


# ------------------------------------------------------------------ operator


def test_operator_creates_a_supervisor_grants_and_revokes(app, world):
    op = _staff(app, "operator@platform.example.com")
    assert "/admin/supervisors" in op.get("/admin/?lang=en").get_data(as_text=True)
    r = post_form(
        op,
        "/admin/supervisors/",
        {"name": "审计员", "email": "New.Auditor@example.com", "password": "long enough password"},
    )
    assert r.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(User).where(User.email == "new.auditor@example.com"))
        assert new.role == "supervisor" and new.tenant_id is None and new.password_hash.startswith("$argon2")
        new_id = new.id
    refused = post_form(
        op, "/admin/supervisors/?lang=en", {"name": "x", "email": "new.auditor@example.com", "password": "short"}
    )
    assert refused.status_code == 400 and "already has an account" in refused.get_data(as_text=True)

    detail = f"/admin/supervisors/{new_id}"
    today = world["today"]
    bad = post_form(
        op,
        f"{detail}/grants?lang=en",
        {"tenant_id": world["a"], "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()},
        form_url=detail,
    )
    assert bad.status_code == 400 and "end date cannot be before" in bad.get_data(as_text=True)
    ok = post_form(
        op,
        f"{detail}/grants",
        {"tenant_id": world["a"], "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=30)).isoformat()},
        form_url=detail,
    )
    assert ok.status_code == 302
    with app.app_context():
        grant = db.session.scalar(select(SupervisorGrant).where(SupervisorGrant.supervisor_id == new_id))
        assert grant.tenant_id == world["a"] and grant.evidence_images is False and grant.revoked_at is None
        grant_id = grant.id
    auditor = _staff(app, "new.auditor@example.com", "long enough password")
    assert "shop-a shop" in auditor.get("/supervise/?lang=en").get_data(as_text=True)

    assert post_form(op, f"/admin/supervisors/grants/{grant_id}/revoke", {}, form_url=detail).status_code == 302
    with app.app_context():
        assert db.session.get(SupervisorGrant, grant_id).revoked_at is not None
        with tenant_context(world["a"]):
            actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"supervision.granted", "supervision.revoked"} <= actions
    assert "shop-a shop" not in auditor.get("/supervise/?lang=en").get_data(as_text=True)
    # Supervisors and staff do not reach the operator's pages.
    assert auditor.get("/admin/supervisors/").status_code == 404
    assert _staff(app, "owner@a.example.com").get(detail).status_code == 404


# ------------------------------------------------------------------ masking


def test_supervisor_pages_and_csv_show_no_personal_data(app, world):
    _grant(app, world)
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world))
    assert _sampled(app, sample_id) == [world["personal"]]  # the open case is not drawn
    base = f"/supervise/samples/{sample_id}"
    _review(sup, sample_id, world["personal"], findings=f"客户留下的 {CUSTOMER_MOBILE} 与 {CUSTOMER_EMAIL}")
    staff = _staff(app, "owner@a.example.com")
    post_form(
        staff,
        f"/shop-a/console/cases/{world['personal']}/findings/respond",
        {"finding_id": _finding_id(app, world), "text": f"已回电 {CUSTOMER_MOBILE}"},
        form_url=f"/shop-a/console/cases/{world['personal']}",
    )

    post_form(
        staff,
        f"/shop-a/console/cases/{world['personal']}/findings/respond",
        {
            "finding_id": _finding_id(app, world),
            "text": "Zhang Sanfeng 说的手机一三八一二三四五六七八，邮箱 zhangsanfeng at example dot com",
        },
        form_url=f"/shop-a/console/cases/{world['personal']}",
    )
    with app.app_context(), tenant_context(world["a"]):
        number = db.session.get(Case, world["personal"]).number

    pages = {}
    for url in ("/supervise/", base, f"{base}/cases/{world['personal']}", f"{base}/report"):
        for lang in ("zh", "en"):
            r = sup.get(f"{url}?lang={lang}")
            assert r.status_code == 200, url
            pages[(url, lang)] = r.get_data(as_text=True)
            _assert_masked(pages[(url, lang)], url, number)
            assert "sanfeng" not in pages[(url, lang)].lower(), url
    case_page = pages[(f"{base}/cases/{world['personal']}", "en")]
    assert "张**" in case_page and "138********" in case_page and "z***@example.com" in case_page
    assert "137********" in case_page and "b***@qq.com" in case_page and "110**************X" in case_page
    assert "已回电 138********" in case_page  # the merchant's response, masked too
    assert "说的手机138********，" in case_page  # read out in Chinese digits, still a mobile
    assert mask_case_number(number) in case_page and mask_case_number(number) in pages[(base, "en")]
    assert re.search(r'<dd id="description">我是张\*\*，[^<]*\*\*\*</dd>', case_page)  # the address went whole
    assert "**先生您好" in case_page
    assert re.search(r"<dt>Address</dt><dd[^>]*>hidden</dd>", case_page)

    r = sup.get(f"{base}/report.csv?lang=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    _assert_masked(text, "csv", number)
    assert "sanfeng" not in text.lower()
    rows = list(csv.reader(io.StringIO(text)))
    numbers = [row[0] for row in rows if row and row[0].startswith("AS")]
    assert numbers == [mask_case_number(number)]
    assert any("Concern" in row for row in rows)
    assert any("已回电 138********" in cell for row in rows for cell in row)


def _finding_id(app, world) -> int:
    with app.app_context(), tenant_context(world["a"]):
        return db.session.scalar(
            select(SampleCase.id).where(SampleCase.case_id == world["personal"], SampleCase.verdict.is_not(None))
        )


def test_masked_view_is_plain_masked_values(app, world):
    with app.app_context(), tenant_context(world["a"]):
        case = db.session.get(Case, world["personal"])
        view = supervision_review.masked_case_view(case, show_evidence=False, lang="en")
    flat = repr(view)
    _assert_masked(flat, "view", case.number)
    assert view["address"] == "" and view["customer_name"] == "张**"
    assert all(not e["photos"] for e in view["timeline"])
    assert sum(e["hidden_files"] for e in view["timeline"]) == 1


# ------------------------------------------------------------------ access: samples and grants


def test_cases_outside_own_samples_or_active_grants_are_404(app, world):
    grant_id = _grant(app, world)
    _grant(app, world, supervisor="other_supervisor")
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world))
    base = f"/supervise/samples/{sample_id}"
    assert sup.get(f"{base}/cases/{world['personal']}").status_code == 200
    # A case of the granted tenant that is not in the sample, and ids that do not exist.
    assert sup.get(f"{base}/cases/{world['open']}").status_code == 404
    assert sup.get(f"/supervise/samples/{sample_id + 999}").status_code == 404
    # Another supervisor with a grant to the same tenant cannot open this supervisor's sample.
    other = _supervisor(app, world, "other@audit.example.com")
    for url in (base, f"{base}/cases/{world['personal']}", f"{base}/report", f"{base}/report.csv"):
        assert other.get(url).status_code == 404, url
    # Merchant staff and anonymous visitors never reach the supervisor's desk.
    assert _staff(app, "owner@a.example.com").get(base).status_code == 404
    assert app.test_client().get(base).status_code == 302

    # An expired grant closes every door, including the review and the exports.
    with app.app_context():
        db.session.get(SupervisorGrant, grant_id).ends_on = world["today"] - timedelta(days=1)
        db.session.commit()
    for url in (base, f"{base}/cases/{world['personal']}", f"{base}/report", f"{base}/report.csv"):
        assert sup.get(url).status_code == 404, url
    token = csrf_token(sup, "/supervise/")
    assert (
        sup.post(f"{base}/cases/{world['personal']}/review", data={"csrf_token": token, "verdict": "pass"}).status_code
        == 404
    )
    home = sup.get("/supervise/?lang=en").get_data(as_text=True)
    assert "shop-a shop" not in home.split('id="samples"')[0]  # not offered for drawing
    assert f'href="{base}"' not in home and "no access" in home  # the record stays, without a way in
    assert _draw(sup, world).status_code == 400  # no drawing without an active grant

    # A grant that has not started yet does not open it either; an active one again does.
    with app.app_context():
        g = db.session.get(SupervisorGrant, grant_id)
        g.starts_on, g.ends_on = world["today"] + timedelta(days=1), world["today"] + timedelta(days=5)
        db.session.commit()
    assert sup.get(base).status_code == 404
    with app.app_context():
        g = db.session.get(SupervisorGrant, grant_id)
        g.starts_on = world["today"]
        db.session.commit()
    assert sup.get(base).status_code == 200
    # Revoked: 404 again.
    op = _staff(app, "operator@platform.example.com")
    post_form(
        op, f"/admin/supervisors/grants/{grant_id}/revoke", {}, form_url=f"/admin/supervisors/{world['supervisor']}"
    )
    assert sup.get(base).status_code == 404


def test_grant_for_another_tenant_does_not_open_this_one(app, world):
    _grant(app, world, tenant="b")
    sup = _supervisor(app, world)
    r = _draw(sup, world, tenant="a")
    assert r.status_code == 400
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(Sample.id)) is None


# ------------------------------------------------------------------ sampling


@pytest.fixture
def many(app, world):
    """Twelve more resolved cases in shop A: 6 quality, 3 complaints, 3 consultations."""
    with app.app_context(), tenant_context(world["a"]):
        tenant = db.session.get(Tenant, world["a"])
        agent = db.session.get(User, world["agent"])
        ids = {"quality": [world["personal"]], "complaint": [], "consultation": []}
        for kind, n in (("quality", 5), ("complaint", 3), ("consultation", 3)):
            for i in range(n):
                case = _file(tenant, kind, description=f"{kind} {i}", mobile=f"1390000{i:04d}")
                _resolve(case, agent)
                ids[kind].append(case.id)
        db.session.commit()
    return ids


def test_the_same_seed_draws_the_same_sample(app, world, many):
    _grant(app, world)
    sup = _supervisor(app, world)
    first = _sampled(app, _sample_id(_draw(sup, world, size=5, seed="20261123")))
    again = _sampled(app, _sample_id(_draw(sup, world, size=5, seed="20261123")))
    assert first == again and len(first) == 5
    others = [_sampled(app, _sample_id(_draw(sup, world, size=5, seed=str(seed)))) for seed in (1, 2)]
    assert any(set(o) != set(first) for o in others)
    # The draw is the documented one: random.Random(seed).sample over ids sorted ascending.
    import random

    pool = sorted(i for ids in many.values() for i in ids)
    assert first == random.Random(20261123).sample(pool, 5)
    # Recorded and listed with who drew it and when; the seed is shown and can be re-entered.
    home = sup.get("/supervise/?lang=en").get_data(as_text=True)
    assert "20261123" in home and "监督员甲" in home
    sample_page = sup.get(f"/supervise/samples/{_sample_id(_draw(sup, world, size=5))}?lang=en").get_data(as_text=True)
    seed = re.search(r'<code id="seed">(\d+)</code>', sample_page).group(1)
    assert "Draw again with this seed" in sample_page
    again_url = re.search(r'href="([^"]+)">Draw again with this seed', sample_page).group(1).replace("&amp;", "&")
    prefilled = sup.get(again_url).get_data(as_text=True)
    assert f'value="{seed}"' in prefilled and 'name="size" type="number" value="5"' in prefilled
    assert _sampled(app, _sample_id(_draw(sup, world, size=5, seed=seed)))[:5] == random.Random(int(seed)).sample(
        pool, 5
    )


def test_different_seeds_usually_draw_different_samples(app):
    pool = [(i, "quality") for i in range(1, 41)]
    samples = {tuple(sorted(c for c, _ in supervision_sampling.draw(pool, 5, seed, False)[0])) for seed in range(20)}
    assert len(samples) >= 19


def test_stratification_gives_each_type_its_share(app, world, many):
    _grant(app, world)
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world, size=4, seed="7", stratified=True))
    drawn = _sampled(app, sample_id)
    kinds = {kind: sum(1 for c in drawn if c in ids) for kind, ids in many.items()}
    assert kinds == {"quality": 2, "complaint": 1, "consultation": 1}
    page = sup.get(f"/supervise/samples/{sample_id}?lang=en").get_data(as_text=True)
    assert re.findall(r'<li class="stratum">([^<]+)</li>', page) == [
        "Service complaint: 1 / 3",
        "Consultation or suggestion: 1 / 3",
        "Quality problem: 2 / 6",
    ]
    # Same inputs, same seed: same stratified sample.
    assert _sampled(app, _sample_id(_draw(sup, world, size=4, seed="7", stratified=True))) == drawn


def test_proportional_allocation_by_largest_remainder():
    assert supervision_sampling.allocate({"quality": 6, "complaint": 3, "consultation": 3}, 4) == {
        "quality": 2,
        "complaint": 1,
        "consultation": 1,
    }
    assert supervision_sampling.allocate({"a": 50, "b": 30, "c": 20}, 10) == {"a": 5, "b": 3, "c": 2}
    assert supervision_sampling.allocate({"a": 5, "b": 4, "c": 1}, 5) == {"a": 3, "b": 2, "c": 0}
    assert supervision_sampling.allocate({"a": 2, "b": 1}, 50) == {"a": 2, "b": 1}  # never more than there are
    assert sum(supervision_sampling.allocate({"a": 7, "b": 7, "c": 7}, 10).values()) == 10


def test_bad_draw_input_is_refused_with_a_message(app, world):
    _grant(app, world)
    sup = _supervisor(app, world)
    today = world["today"]
    r = post_form(
        sup,
        "/supervise/samples?lang=en",
        {
            "tenant_id": world["a"],
            "period_start": today.isoformat(),
            "period_end": (today - timedelta(days=3)).isoformat(),
            "size": 0,
            "seed": "abc",
        },
        form_url="/supervise/",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "The seed must be a whole number." in html
    r = post_form(
        sup,
        "/supervise/samples?lang=en",
        {
            "tenant_id": world["a"],
            "period_start": today.isoformat(),
            "period_end": (today - timedelta(days=3)).isoformat(),
            "size": 0,
        },
        form_url="/supervise/",
    )
    html = r.get_data(as_text=True)
    assert "end date cannot be before" in html and "between 1 and 200" in html
    far = date(2020, 1, 1)
    r = _draw(sup, world, start=far, end=far + timedelta(days=10))
    assert r.status_code == 400
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(Sample.id)) is None  # nothing half-written


# ------------------------------------------------------------------ review, findings, responses


def test_merchant_sees_findings_responds_and_the_supervisor_sees_it(app, world):
    _grant(app, world)
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world))
    case_id = world["personal"]
    page = f"/shop-a/console/cases/{case_id}"
    owner = _staff(app, "owner@a.example.com")
    assert "请改进排班" not in owner.get(page).get_data(as_text=True)

    bad = _review(sup, sample_id, case_id, verdict="", findings="")
    assert bad.status_code == 400
    bad = post_form(
        sup,
        f"/supervise/samples/{sample_id}/cases/{case_id}/review?lang=en",
        {
            "policy_result": "pass",
            "sla_result": "pass",
            "resolution_result": "pass",
            "communication_result": "maybe",
            "verdict": "fail",
            "findings": "",
        },
        form_url=f"/supervise/samples/{sample_id}/cases/{case_id}",
    )
    html = bad.get_data(as_text=True)
    assert "Please choose pass, concern or fail." in html and "Please write the findings" in html
    assert _review(sup, sample_id, case_id).status_code == 302

    html = owner.get(f"{page}?lang=en").get_data(as_text=True)
    assert "Supervision findings" in html and "首次响应超过承诺时间，请改进排班。" in html and "首次响应稍慢" in html
    assert "Concern" in html
    agent = _staff(app, "agent@a.example.com")
    assert "首次响应超过承诺时间" in agent.get(page).get_data(as_text=True)  # the whole team sees them
    finding = _finding_id(app, world)
    assert (
        post_form(
            agent, f"{page}/findings/respond", {"finding_id": finding, "text": "agent"}, form_url=page
        ).status_code
        == 403
    )
    empty = post_form(
        owner,
        f"{page}/findings/respond?lang=en",
        {"finding_id": finding, "text": " "},
        form_url=page,
        follow_redirects=True,
    )
    assert "Please write your response." in empty.get_data(as_text=True)
    r = post_form(
        owner,
        f"{page}/findings/respond",
        {"finding_id": finding, "text": "已调整早班人手，下周起生效。"},
        form_url=page,
    )
    assert r.status_code == 302
    assert "已调整早班人手" in owner.get(page).get_data(as_text=True)

    seen = sup.get(f"/supervise/samples/{sample_id}/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "已调整早班人手，下周起生效。" in seen
    report = sup.get(f"/supervise/samples/{sample_id}/report?lang=en").get_data(as_text=True)
    assert "已调整早班人手" in report and re.search(r"<td>0</td><td>1</td><td>0</td><td>0</td>", report)

    # Another tenant's staff: 404 for this case id in their own console, and cannot answer it.
    other = _staff(app, "owner@b.example.com")
    assert other.get(f"/shop-b/console/cases/{case_id}").status_code == 404
    assert (
        post_form(
            other,
            f"/shop-b/console/cases/{case_id}/findings/respond",
            {"finding_id": finding, "text": "x"},
            form_url="/shop-b/console/team",
        ).status_code
        == 404
    )
    assert other.get(page).status_code == 404
    with app.app_context(), tenant_context(world["a"]):
        item = db.session.get(SampleCase, finding)
        assert [r.text for r in item.responses] == ["已调整早班人手，下周起生效。"]


def test_owner_reads_the_access_log_agents_do_not(app, world):
    _grant(app, world)
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world))
    sup.get(f"/supervise/samples/{sample_id}/cases/{world['personal']}")
    sup.get(f"/supervise/samples/{sample_id}/report.csv")
    with app.app_context(), tenant_context(world["a"]):
        kinds = list(db.session.scalars(select(SupervisorAccess.kind).order_by(SupervisorAccess.id)))
        number = db.session.get(Case, world["personal"]).number
    assert kinds == ["view_case", "export"]

    owner = _staff(app, "owner@a.example.com")
    assert "/shop-a/console/access-log" in owner.get("/shop-a/console/?lang=en").get_data(as_text=True)
    html = owner.get("/shop-a/console/access-log?lang=en").get_data(as_text=True)
    assert number in html and "监督员甲" in html and "Opened the case" in html and "Exported" in html
    assert "Supervisors looked at this case" in owner.get(
        f"/shop-a/console/cases/{world['personal']}?lang=en"
    ).get_data(as_text=True)
    agent = _staff(app, "agent@a.example.com")
    assert agent.get("/shop-a/console/access-log").status_code == 403
    assert "/shop-a/console/access-log" not in agent.get("/shop-a/console/").get_data(as_text=True)
    assert "looked at this case" not in agent.get(f"/shop-a/console/cases/{world['personal']}?lang=en").get_data(
        as_text=True
    )
    assert _staff(app, "admin@a.example.com").get("/shop-a/console/access-log").status_code == 403
    b_log = _staff(app, "owner@b.example.com").get("/shop-b/console/access-log?lang=en").get_data(as_text=True)
    assert number not in b_log and "No supervisor has looked at your cases." in b_log


# ------------------------------------------------------------------ evidence


def test_evidence_is_hidden_unless_the_grant_shows_photos(app, world):
    grant_id = _grant(app, world)
    with app.app_context(), tenant_context(world["a"]):
        photo_id = db.session.scalar(select(Evidence.id).where(Evidence.case_id == world["personal"]))
        video = Evidence(
            case_id=world["personal"],
            kind="video",
            mime="video/mp4",
            size=10,
            sha256="0" * 64,
            path=f"{world['a']}/missing.mp4",
            original_name="v.mp4",
        )
        db.session.add(video)
        db.session.commit()
        video_id = video.id
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world))
    base = f"/supervise/samples/{sample_id}/cases/{world['personal']}"
    html = sup.get(f"{base}?lang=en").get_data(as_text=True)
    assert "/photos/" not in html and "2 files not shown" in html
    assert sup.get(f"{base}/photos/{photo_id}").status_code == 404

    with app.app_context():
        db.session.get(SupervisorGrant, grant_id).evidence_images = True
        db.session.commit()
    html = sup.get(f"{base}?lang=en").get_data(as_text=True)
    assert f"{base}/photos/{photo_id}" in html and "1 file not shown" in html
    assert f"张三丰{CUSTOMER_MOBILE}.jpg" not in html  # never the original file name
    r = sup.get(f"{base}/photos/{photo_id}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.headers["Cache-Control"] == "no-store"
    assert sup.get(f"{base}/photos/{video_id}").status_code == 404  # videos never
    # A photo id of another case (in or out of the sample) is 404 under this case.
    with app.app_context(), tenant_context(world["a"]):
        other = db.session.get(Case, world["open"])
        other_photo = case_evidence.attach(
            other, [clean_image(check_upload(io.BytesIO(_jpeg()), "o.jpg"))], "consumer"
        )[0].id
        db.session.commit()
    assert sup.get(f"{base}/photos/{other_photo}").status_code == 404
    with app.app_context(), tenant_context(world["a"]):
        assert "view_evidence" in set(db.session.scalars(select(SupervisorAccess.kind)))


def _label_photo() -> bytes:
    """400 × 300: the left half fine print (a 4-pixel black-and-white checkerboard), the right half plain black."""
    im = Image.new("L", (400, 300), 0)
    im.putdata([255 if x < 200 and (x // 4 + y // 4) % 2 else 0 for y in range(300) for x in range(400)])
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def test_supervisors_see_photos_coarsened_so_faces_and_labels_cannot_be_read(app, world):
    """Spec §6: evidence only with faces/labels unreadable. Fine detail is averaged away, large shapes stay."""
    _grant(app, world, images=True)
    with app.app_context(), tenant_context(world["a"]):
        case = db.session.get(Case, world["personal"])
        stored = case_evidence.attach(
            case, [clean_image(check_upload(io.BytesIO(_label_photo()), "label.png"))], "consumer"
        )[0]
        db.session.commit()
        photo_id, original = stored.id, case_evidence.file_path(stored).read_bytes()
    sup = _supervisor(app, world)
    sample_id = _sample_id(_draw(sup, world))
    base = f"/supervise/samples/{sample_id}/cases/{world['personal']}"
    assert "coarsened" in sup.get(f"{base}?lang=en").get_data(as_text=True)
    r = sup.get(f"{base}/photos/{photo_id}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data != original
    shown = Image.open(io.BytesIO(r.data)).convert("L")
    assert shown.size == (480, 360) and not shown.getexif()
    fine_print = list(shown.crop((40, 40, 200, 320)).tobytes())  # inside the checkerboard half
    mean = sum(fine_print) / len(fine_print)
    spread = (sum((v - mean) ** 2 for v in fine_print) / len(fine_print)) ** 0.5
    assert 90 < mean < 170 and spread < 12, (mean, spread)  # grey: the pattern cannot be made out
    dark = list(shown.crop((300, 40, 440, 320)).tobytes())
    assert sum(dark) / len(dark) < 40  # but the picture's large areas are still what they were
