"""Case reasons (issue 16, item 2): each shop's list with its defaults, codes that never change, the agent's
choice at verification, the owner's settings page, and the report's by-reason breakdown and CSV column."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.case import Case
from saas.models.reason import DEFAULT_REASONS, ReasonCode
from saas.services import reasons, report_periods, reports
from saas.services.reports_csv import cases_csv
from saas.services.shops import create_shop
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import login, make_tenant, make_user, post_form
from tests.html_forms import parse, submit
from tests.test_cases import PASSWORD, _filed_with_agent, shop  # noqa: F401
from tests.test_migrations_data import fresh  # noqa: F401


def _codes(tenant) -> list[str]:
    return [r.code for r in reasons.all_reasons(tenant)]


# ------------------------------------------------------------------ the list and its rules


def test_every_new_shop_starts_with_the_default_reasons_in_both_languages(app):
    with app.app_context(), app.test_request_context():
        tenant = make_tenant("rs-a")
        operator = make_user(None, "operator", "op@example.com")
        opened = create_shop(
            operator,
            slug="rs-new",
            name_zh="新店",
            name_en="New shop",
            contact_phone="",
            contact_email="",
            timezone="Asia/Shanghai",
            default_locale="zh_Hans",
            brand_colour="#123456",
            owner_name="店主",
            owner_email="owner@rs-new.example.com",
            owner_password="long-enough-pw",
        )
        with tenant_context(tenant.id):
            assert _codes(tenant) == [code for code, *_ in DEFAULT_REASONS]
            groups = reasons.offered(tenant, "zh")
            assert groups[0] == ("质量问题", [(c, zh) for c, p, zh, _en in DEFAULT_REASONS if p == "quality"])
            top = {items[0][1] for group, items in groups if group is None}
            assert {
                "尺码不符",
                "颜色/款式与描述不符",
                "少件/漏发",
                "发错货",
                "物流损坏",
                "不想要了/七天无理由",
                "价格原因",
                "其他",
            } <= top
            assert reasons.labels(tenant, "en")["quality.function"] == "Quality problem › Does not work properly"
            assert reasons.labels(tenant, "zh")["size"] == "尺码不符"
        with tenant_context(opened.id):
            assert _codes(opened) == [code for code, *_ in DEFAULT_REASONS]
        db.session.rollback()


def test_renaming_changes_the_label_never_the_code(app):
    with app.app_context():
        tenant = make_tenant("rs-a")
        with tenant_context(tenant.id):
            reason = db.session.scalar(select(ReasonCode).where(ReasonCode.code == "quality.function"))
            assert reasons.rename(tenant, None, reason, name_zh="  无法 开机 ", name_en="Will not switch on")
            assert not reasons.rename(tenant, None, reason, name_zh="无法 开机", name_en="Will not switch on")
            assert reason.code == "quality.function" and reason.name_zh == "无法 开机"
            assert reasons.label(tenant, "quality.function", "zh") == "质量问题 › 无法 开机"
            assert reasons.label(tenant, "quality.function", "en") == "Quality problem › Will not switch on"
            assert reasons.check(tenant, "quality.function") == "quality.function"
            with pytest.raises(reasons.ReasonError) as refused:
                reasons.rename(tenant, None, reason, name_zh="   ", name_en="x")
            assert refused.value.code == "name_zh"
        db.session.rollback()


def test_a_deactivated_reason_is_not_offered_but_keeps_its_label(app):
    with app.app_context():
        tenant = make_tenant("rs-a")
        with tenant_context(tenant.id):
            size = db.session.scalar(select(ReasonCode).where(ReasonCode.code == "size"))
            assert reasons.set_active(tenant, None, size, False) and not reasons.set_active(tenant, None, size, False)
            offered = {c for _g, items in reasons.offered(tenant, "zh") for c, _n in items}
            assert "size" not in offered and "wrong_item" in offered
            with pytest.raises(reasons.ReasonError) as refused:
                reasons.check(tenant, "size")
            assert refused.value.code == "inactive"
            assert reasons.label(tenant, "size", "zh") == "尺码不符"  # old cases still read it
            # A parent out of use takes its sub-reasons off the form too.
            quality = db.session.scalar(select(ReasonCode).where(ReasonCode.code == "quality"))
            reasons.set_active(tenant, None, quality, False)
            offered = {c for _g, items in reasons.offered(tenant, "zh") for c, _n in items}
            assert not any(c.startswith("quality") for c in offered)
            with pytest.raises(reasons.ReasonError):
                reasons.check(tenant, "quality.function")
            reasons.set_active(tenant, None, size, True)
            reasons.set_active(tenant, None, quality, True)
            assert reasons.check(tenant, "size") == "size"
            assert reasons.check(tenant, "quality.function") == "quality.function"
        db.session.rollback()


def test_another_shops_code_is_unknown_here(app):
    with app.app_context():
        a, b = make_tenant("rs-a"), make_tenant("rs-b")
        with tenant_context(a.id):
            mine = reasons.add(a, None, name_zh="包装破损", name_en="Packaging broken")
            assert mine.code == "packaging_broken" and reasons.check(a, "packaging_broken") == "packaging_broken"
        with tenant_context(b.id):
            for code in ("packaging_broken", "", "QUALITY", "quality\x00", "x" * 500):
                with pytest.raises(reasons.ReasonError) as refused:
                    reasons.check(b, code)
                assert refused.value.code == ("required" if code == "" else "unknown"), code
            assert "packaging_broken" not in reasons.labels(b, "zh")
            assert reasons.get(b, mine.id) is None
        db.session.rollback()


@pytest.mark.parametrize(
    "fields, error",
    [
        (dict(name_zh=""), "name_zh"),
        (dict(name_zh=" \t "), "name_zh"),
        (dict(name_zh="包装\x00破损"), "control"),
        (dict(name_zh="包装", name_en="Box\x07"), "control"),
        (dict(name_zh="很长" * 40), "name_long"),
        (dict(name_zh="包装", code="Bad Code"), "code_format"),
        (dict(name_zh="包装", code="a.b.c"), "code_format"),
        (dict(name_zh="包装", code="x" * 41), "code_format"),
        (dict(name_zh="包装", code="size"), "code_taken"),
        (dict(name_zh="包装", parent_code="nope"), "parent"),
        (dict(name_zh="包装", parent_code="quality.function"), "parent"),
    ],
)
def test_adding_refuses_what_is_not_a_reason(app, fields, error):
    with app.app_context():
        tenant = make_tenant("rs-a")
        with tenant_context(tenant.id):
            before = _codes(tenant)
            with pytest.raises(reasons.ReasonError) as refused:
                reasons.add(tenant, None, **fields)
            assert refused.value.code == error and refused.value.message != error
            assert _codes(tenant) == before
        db.session.rollback()


def test_codes_are_made_from_the_english_name_unique_and_under_their_parent(app):
    with app.app_context():
        tenant = make_tenant("rs-a")
        with tenant_context(tenant.id):
            smell = reasons.add(tenant, None, name_zh="有异味", name_en="Smells bad!", parent_code="quality")
            again = reasons.add(tenant, None, name_zh="有异味2", name_en="Smells bad", parent_code="quality")
            zh_only = reasons.add(tenant, None, name_zh="赠品缺失")
            typed = reasons.add(tenant, None, name_zh="保价", code=" Price.Protect ")
            assert (smell.code, again.code, zh_only.code, typed.code) == (
                "quality.smells_bad",
                "quality.smells_bad_2",
                "reason",
                "price.protect",
            )
            assert smell.name("en") == "Smells bad!" and zh_only.name("en") == "赠品缺失"
            assert reasons.offered(tenant, "zh")[0][1][-2:] == [
                ("quality.smells_bad", "有异味"),
                ("quality.smells_bad_2", "有异味2"),
            ]
            # Reordering swaps neighbours among siblings, and stops at either end.
            first = reasons.tree(tenant)[0].children[0]
            assert not reasons.move(tenant, None, first, -1)
            assert reasons.move(tenant, None, first, +1)
            assert [c.code for c in reasons.tree(tenant)[0].children][:2] == ["quality.workmanship", "quality.function"]
            last = reasons.tree(tenant)[-1].reason
            assert not reasons.move(tenant, None, last, +1)
        db.session.rollback()


# ------------------------------------------------------------------ the agent's choice at verification


def _verify_form(html: str) -> str:
    start = html.index("/actions/verify")
    start = html.rindex("<form", 0, start)
    return html[start : html.index("</form>", start) + len("</form>")]


def test_the_verify_form_offers_the_shops_reasons_grouped_and_sets_the_code(app, client, shop):
    number, case, agent, detail = _filed_with_agent(app, client)
    post_form(agent, f"{detail}/actions/accept", {}, form_url=detail)
    form_html = _verify_form(agent.get(detail).get_data(as_text=True))
    assert re.search(r'<select[^>]*name="reason_code"[^>]*required', form_html)
    assert '<optgroup label="质量问题"><option value="quality.function">功能故障</option>' in form_html
    assert (
        '<option value="size">尺码不符</option>' in form_html
        and '<option selected value="">原因：请选择</option>' in form_html
    )
    assert "reason_code" in parse(form_html).names

    # Nothing chosen: refused with the reason's words, nothing recorded.
    r = submit(
        agent,
        f"{detail}/actions/verify",
        form_html,
        {"responsibility": "merchant", "basis": "开箱即坏"},
        follow_redirects=True,
    )
    assert "请选择该案件的原因。" in r.get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        assert db.session.get(Case, case.id).status == "accepted"

    r = submit(
        agent,
        f"{detail}/actions/verify",
        form_html,
        {"responsibility": "merchant", "basis": "开箱即坏", "reason_code": "quality.function"},
        follow_redirects=True,
    )
    page = r.get_data(as_text=True)
    assert 'class="flash success"' in page
    assert re.search(r'<dd id="case-reason">质量问题 › 功能故障</dd>', page)
    with app.app_context(), cross_tenant("test"):
        saved = db.session.get(Case, case.id)
        assert saved.reason_code == "quality.function" and saved.status == "verified"
        assert saved.events[-1].data["reason_code"] == "quality.function"
    # Renamed later: the case shows the new name under the same code.
    with app.app_context(), tenant_context(shop["tenant_id"]):
        reason = db.session.scalar(select(ReasonCode).where(ReasonCode.code == "quality.function"))
        reasons.rename(db.session.get(Tenant, shop["tenant_id"]), None, reason, name_zh="不开机", name_en="Dead")
        reasons.set_active(db.session.get(Tenant, shop["tenant_id"]), None, reason, False)
        db.session.commit()
    assert '<dd id="case-reason">质量问题 › 不开机</dd>' in agent.get(detail).get_data(as_text=True)
    assert '<dd id="case-reason">Quality problem › Dead</dd>' in agent.get(f"{detail}?lang=en").get_data(as_text=True)


def test_another_shops_reason_is_refused_at_verification(app, client, shop):
    number, case, agent, detail = _filed_with_agent(app, client)
    post_form(agent, f"{detail}/actions/accept", {}, form_url=detail)
    with app.app_context():
        other = db.session.scalar(select(Tenant).where(Tenant.slug == "kidswear"))
        with tenant_context(other.id):
            reasons.add(other, None, name_zh="童装开线", name_en="Seam open", code="kids.seam")
            db.session.commit()
    r = post_form(
        agent,
        f"{detail}/actions/verify",
        {"responsibility": "merchant", "basis": "开线", "reason_code": "kids.seam"},
        form_url=detail,
        follow_redirects=True,
    )
    assert "该原因不在本店的原因列表中，请从列表中选择。" in r.get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        saved = db.session.get(Case, case.id)
        assert saved.status == "accepted" and saved.reason_code is None and saved.responsibility is None


# ------------------------------------------------------------------ the owner's page


def test_owners_keep_the_list_on_the_console_and_agents_cannot(app, client, shop):
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    assert agent.get("/voltmart/console/reasons").status_code == 403
    assert (
        post_form(agent, "/voltmart/console/reasons", {"name_zh": "x"}, form_url="/voltmart/console/").status_code
        == 403
    )
    login(client, "owner@voltmart.demo", PASSWORD)
    page = client.get("/voltmart/console/reasons").get_data(as_text=True)
    assert 'data-code="quality.function"' in page and "/voltmart/console/reasons" in client.get(
        "/voltmart/console/"
    ).get_data(as_text=True)
    add_form = page[page.index('<article id="add-reason"') :]

    assert '<option value="quality">归入“质量问题”</option>' in add_form and 'value="quality.function">' not in add_form
    r = submit(
        client,
        "/voltmart/console/reasons",
        add_form,
        {"name_zh": "包装破损", "name_en": "Packaging broken", "parent": "quality"},
        follow_redirects=True,
    )
    assert "已添加原因：包装破损（代码 quality.packaging_broken）。" in r.get_data(as_text=True)
    for fill, words in [
        ({"name_zh": ""}, "请填写原因的中文名称。"),
        ({"name_zh": "长" * 61}, "原因名称最多 60 个字符。"),
        ({"name_zh": "重复", "code": "size"}, "本店已有使用该代码的原因。"),
        ({"name_zh": "坏码", "code": "坏"}, "代码最多 40 个字符"),
    ]:
        r = submit(client, "/voltmart/console/reasons", add_form, fill)
        assert r.status_code == 400 and words in r.get_data(as_text=True), fill
    r = submit(client, "/voltmart/console/reasons", add_form, {"name_zh": "包装\x00破损"})
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)

    with app.app_context(), tenant_context(shop["tenant_id"]):
        rid = db.session.scalar(select(ReasonCode.id).where(ReasonCode.code == "size"))
    row = f"/voltmart/console/reasons/{rid}"
    r = post_form(
        client,
        row,
        {"do": "rename", "name_zh": "尺码偏小", "name_en": "Runs small"},
        form_url="/voltmart/console/reasons",
        follow_redirects=True,
    )
    assert "名称已保存，代码 size 保持不变。" in r.get_data(as_text=True)
    r = post_form(
        client,
        row,
        {"do": "rename", "name_zh": "", "name_en": "x"},
        form_url="/voltmart/console/reasons",
        follow_redirects=True,
    )
    assert "请填写原因的中文名称。" in r.get_data(as_text=True)
    r = post_form(
        client,
        row,
        {"do": "rename", "name_zh": "长" * 5000, "name_en": ""},
        form_url="/voltmart/console/reasons",
        follow_redirects=True,
    )
    assert "原因名称最多 60 个字符。" in r.get_data(as_text=True)
    r = post_form(client, row, {"do": "deactivate"}, form_url="/voltmart/console/reasons", follow_redirects=True)
    assert "“尺码偏小”已停用" in r.get_data(as_text=True)
    with app.app_context(), tenant_context(shop["tenant_id"]):
        size = db.session.get(ReasonCode, rid)
        assert (size.code, size.name_zh, size.name_en, size.active) == ("size", "尺码偏小", "Runs small", False)
    # Another shop's reason id is a 404, whatever the button.
    with app.app_context():
        other = db.session.scalar(select(Tenant).where(Tenant.slug == "kidswear"))
        with tenant_context(other.id):
            foreign = db.session.scalar(select(ReasonCode.id).where(ReasonCode.code == "size"))
    assert (
        post_form(
            client, f"/voltmart/console/reasons/{foreign}", {"do": "deactivate"}, form_url="/voltmart/console/reasons"
        ).status_code
        == 404
    )
    assert post_form(client, row, {"do": "explode"}, form_url="/voltmart/console/reasons").status_code == 400


# ------------------------------------------------------------------ reports


def test_the_report_counts_cases_by_reason_code_with_the_current_label(app, client, shop):
    with app.app_context():
        tenant = db.session.get(Tenant, shop["tenant_id"])
        with tenant_context(tenant.id):
            from saas.models.base import utcnow
            from tests.test_reports import _file  # the reports' own way of filing a case at a given time

            now = utcnow()
            filed = [_file(tenant, now, "quality", f"描述 {i}") for i in range(4)]
            filed[0].reason_code = filed[1].reason_code = "quality.function"
            filed[2].reason_code = "size"
            db.session.flush()
            size = db.session.scalar(select(ReasonCode).where(ReasonCode.code == "size"))
            reasons.rename(tenant, None, size, name_zh="尺码偏大", name_en="Runs large")
            today = now.astimezone(__import__("zoneinfo").ZoneInfo(tenant.timezone)).date()
            period = report_periods.Period("custom", today, today)
            report = reports.build(tenant, period)
            assert report.by_reason == [("quality.function", 2), (None, 1), ("size", 1)]
            rows = list(csv.reader(io.StringIO(cases_csv(tenant, period, "zh").decode("utf-8-sig"))))
            col = rows[0].index("原因")
            assert sorted(r[col] for r in rows[1:]) == ["", "尺码偏大", "质量问题 › 功能故障", "质量问题 › 功能故障"]
            db.session.commit()
    login(client, "owner@voltmart.demo", PASSWORD)
    html = client.get("/voltmart/console/reports?period=this_week").get_data(as_text=True)
    table = html[html.index('id="by-reason"') :]
    table = re.sub(r"\s+", " ", table[: table.index("</table>")])
    assert "<td>质量问题 › 功能故障</td><td>2</td>" in table and "<td>尺码偏大</td><td>1</td>" in table
    assert "<td>未记录原因</td><td>1</td>" in table


# ------------------------------------------------------------------ the migration


def test_the_migration_gives_the_shops_that_exist_the_default_list(fresh):
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from tests.test_migrations_data import _cli

    app = fresh
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        mine = script.get_revision("05c9f1b9cfb0")
    _cli(app, "db", "upgrade", mine.down_revision)
    with app.app_context():
        for tid, slug in ((901, "old-a"), (902, "old-b")):
            db.session.execute(
                text(
                    "INSERT INTO tenants (id, slug, name_zh, name_en, contact_phone, contact_email, timezone, default_locale,"
                    " brand_colour, is_active) VALUES (:id, :slug, '老店', 'Old shop', '', '', 'Asia/Shanghai', 'zh_Hans',"
                    " '#0055aa', :yes)"
                ),
                {"id": tid, "slug": slug, "yes": True},
            )
        db.session.commit()
        db.engine.dispose()
    _cli(app, "db", "upgrade", mine.revision)
    with app.app_context():
        rows = db.session.execute(
            text("SELECT tenant_id, code, parent_code, name_zh, active FROM reason_codes ORDER BY tenant_id, position")
        ).all()
        assert [(tid, code, parent, zh) for tid, code, parent, zh, _a in rows] == [
            (tid, code, parent, zh) for tid in (901, 902) for code, parent, zh, _en in DEFAULT_REASONS
        ]
        assert all(active for *_r, active in rows)
        assert db.session.execute(text("SELECT count(*) FROM cases WHERE reason_code IS NOT NULL")).scalar() == 0
    _cli(app, "db", "downgrade", mine.down_revision)
    _cli(app, "db", "upgrade")
