"""Versioned policies: console editing and publishing, the public page, the JSON, judging orders."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.services import policies
from tenants.clock import shop_today
from tenants.models import PublishedPolicyIsFrozen, Tenant
from tenants.scoping import tenant_context
from tests.factories import login, make_tenant, post_form, statements


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"])
    assert result.exit_code == 0, result.output


def _tenant(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def test_voltmart_policy_in_both_languages(client, demo):
    zh = _text(client.get("/voltmart/policy?lang=zh").get_data(as_text=True))
    assert "自签收次日起 7 天内可申请" in zh
    assert "15 天内可换货" in zh and "12 个月内免费保修" in zh and "整机" in zh
    assert "第 1 版，自 2026-01-01 起生效" in zh
    en = _text(client.get("/voltmart/policy?lang=en").get_data(as_text=True))
    assert "within 7 days, counted from the day after delivery" in en
    assert "exchange within 15 days" in en and "12 months from delivery" in en and "whole unit" in en
    assert "Version 1, in force from 2026-01-01" in en


def test_a_new_shops_first_draft_has_the_spec_defaults(app):
    """Spec §2 defaults: 7 days no-reason, 7 quality return, 15 exchange; electronics: 12 months, whole unit."""
    with app.app_context():
        shop = make_tenant("newshop")
        with tenant_context(shop.id):
            draft = policies.ensure_draft(shop, None)
            terms = (
                draft.terms["no_reason_return_days"],
                draft.terms["quality_return_days"],
                draft.terms["quality_exchange_days"],
            )
            assert terms == (7, 7, 15)
            assert draft.category_rules["electronics"]["warranty_months"] == 12
            assert draft.category_rules["electronics"]["warranty_scope_zh"] == "整机"
            policies.publish(shop, None, date(2026, 1, 1), allow_past=True)
            judged = policies.judge(
                shop, "electronics", date(2026, 11, 1), date(2026, 11, 3), "quality", as_of=date(2026, 12, 20)
            )
            repair = [r for r in judged.remedies if r.kind == "free_repair"]
            assert repair and repair[0].eligible and repair[0].deadline == date(2027, 11, 3)


def test_category_rows_say_what_the_category_changes(app, client):
    """Spec §2: the public page lists warranty scope, exclusions and the shipping rule, per category too."""
    with app.app_context():
        shop = make_tenant("cat-shop")
        with tenant_context(shop.id):
            draft = policies.ensure_draft(shop, None)
            rules = {
                **draft.category_rules,
                "home_appliance": {
                    "warranty_months": 36,
                    "warranty_scope_zh": "压缩机",
                    "warranty_scope_en": "compressor",
                    "return_shipping_payer": "merchant_always",
                    "exclusions_zh": "安装不当造成的损坏不保修。",
                    "exclusions_en": "Damage from improper installation is not covered.",
                },
            }
            policies.save_draft(shop, None, draft.terms, rules)
            policies.publish(shop, None, date(2026, 1, 1), allow_past=True)
            db.session.commit()
    zh = _text(client.get("/cat-shop/policy?lang=zh").get_data(as_text=True))
    en = _text(client.get("/cat-shop/policy?lang=en").get_data(as_text=True))
    assert "压缩机" in zh and "商家承担全部退换货运费" in zh and "安装不当造成的损坏不保修" in zh
    assert "compressor" in en and "merchant always pays" in en and "improper installation" in en
    assert "whole unit" in en  # electronics: the default rule's scope
    assert en.count("merchant always pays") == 1  # a category keeping the shop's rule does not repeat it


def test_kidswear_shows_the_30_day_window(client, demo):
    html = _text(client.get("/kidswear/policy").get_data(as_text=True))
    assert "自签收次日起 30 天内可申请" in html
    assert "童装" in html and "30 天" in html


def test_policy_page_lists_every_section(client, demo):
    html = client.get("/tianshang/policy?lang=en").get_data(as_text=True)
    for anchor in ("returns", "warranty", "service-levels", "channels", "complain"):
        assert f'id="{anchor}"' in html
    text = _text(html)
    assert "Exempt by law: fresh and perishable goods." in text
    assert "24 hours of delivery is refunded express" in text
    assert "answers you within 48 hours" in text
    assert "@media print" in client.get("/static/css/app.css").get_data(as_text=True)


def test_unknown_slug_is_404(client, demo):
    assert client.get("/no-such-shop/policy").status_code == 404
    assert client.get("/api/v1/tenants/no-such-shop/policy").status_code == 404


def test_unpublished_tenant_gets_a_clear_page(app, client):
    with app.app_context():
        make_tenant("newshop")
        db.session.commit()
    r = client.get("/newshop/policy")
    assert r.status_code == 200
    assert "尚未发布售后服务政策" in r.get_data(as_text=True)
    assert client.get("/api/v1/tenants/newshop/policy").status_code == 404


def test_json_matches_the_page(client, demo):
    data = client.get("/api/v1/tenants/voltmart/policy").get_json()
    assert data["version"] == 1 and data["effective_date"] == "2026-01-01"
    terms = data["terms"]
    assert (terms["no_reason_return_days"], terms["quality_exchange_days"], terms["warranty_months"]) == (7, 15, 12)
    page = _text(client.get("/voltmart/policy?lang=en").get_data(as_text=True))
    assert f"within {terms['no_reason_return_days']} days" in page
    assert f"exchange within {terms['quality_exchange_days']} days" in page
    assert f"{terms['warranty_months']} months from delivery" in page
    assert "electronics" in data["category_rules"]


def test_publishing_does_not_rejudge_older_orders(app, demo):
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            bought, delivered = date(2026, 11, 20), date(2026, 11, 21)
            before = policies.judge(shop, "electronics", bought, delivered, "return_exchange", as_of=date(2026, 11, 27))
            assert before.version.number == 1
            draft = policies.ensure_draft(shop, None)
            policies.save_draft(shop, None, {**draft.terms, "no_reason_return_days": 10, "quality_return_days": 3}, {})
            new = policies.publish(shop, None, date(2026, 11, 23), today=date(2026, 11, 23))
            db.session.commit()
            assert new.number == 2
            after = policies.judge(shop, "electronics", bought, delivered, "return_exchange", as_of=date(2026, 11, 27))
            assert after.version.number == 1
            assert [r.eligible for r in after.remedies] == [r.eligible for r in before.remedies]
            no_reason = next(r for r in after.remedies if r.kind == "no_reason_return")
            assert no_reason.eligible and no_reason.deadline == date(2026, 11, 28)
            later = policies.judge(
                shop, "general", date(2026, 11, 23), date(2026, 11, 24), "return_exchange", as_of=date(2026, 11, 27)
            )
            assert later.version.number == 2
            assert next(r for r in later.remedies if r.kind == "no_reason_return").deadline == date(2026, 12, 4)


def test_published_versions_are_frozen(app, demo):
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            v1 = policies.published_versions(shop)[0]
            v1.terms = {**v1.terms, "no_reason_return_days": 1}
            with pytest.raises(PublishedPolicyIsFrozen):
                db.session.flush()
            db.session.rollback()
            with pytest.raises(PublishedPolicyIsFrozen):
                db.session.delete(policies.published_versions(shop)[0])
                db.session.flush()
            db.session.rollback()


def _terms_form(client, slug: str) -> dict:
    """The draft editor's current values, as a browser would submit them."""
    html = client.get(f"/{slug}/console/policy/draft").get_data(as_text=True)
    data = {}
    for name, value in re.findall(r'<input type="(?:number|text)" id="t-\w+" name="(\w+)" value="([^"]*)"', html):
        data[name] = value
    for name, value in re.findall(r'<textarea id="t-\w+" name="(\w+)"[^>]*>([^<]*)</textarea>', html):
        data[name] = value
    for name in re.findall(r'<input type="checkbox" role="switch" id="t-\w+" name="(\w+)" value="y" checked', html):
        data[name] = "y"
    for name, block in re.findall(r'<select id="t-\w+" name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        m = re.search(r'<option value="([^"]*)" selected', block)
        data[name] = m.group(1) if m else ""
    return data


def test_invalid_draft_is_refused_and_not_stored(app, client, demo):
    login(client, "owner@voltmart.demo", "demo-password-2026")
    data = _terms_form(client, "voltmart")
    assert data["no_reason_return_days"] == "7"
    bad = {
        **data,
        "no_reason_return_days": "-1",
        "quality_return_days": "10",
        "quality_exchange_days": "5",
        "warranty_months": "121",
        "sms_quiet_start": "25:00",
    }
    r = post_form(client, "/voltmart/console/policy/draft", bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "草稿未保存" in html
    assert html.count('class="error"') >= 4
    assert "换货" in html and "120" in html
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            draft = policies.get_draft(shop)
            assert draft is None or draft.terms["no_reason_return_days"] == 7
    en = post_form(client, "/voltmart/console/policy/draft?lang=en", bad).get_data(as_text=True)
    assert "The draft was not saved" in en


def test_owner_edits_previews_and_publishes(app, client, demo):
    login(client, "owner@voltmart.demo", "demo-password-2026")
    data = _terms_form(client, "voltmart")
    r = post_form(
        client, "/voltmart/console/policy/draft", {**data, "no_reason_return_days": "10", "quality_exchange_days": "20"}
    )
    assert r.status_code == 302
    preview = _text(client.get("/voltmart/console/policy/draft/preview").get_data(as_text=True))
    assert "自签收次日起 10 天内可申请" in preview and "草稿预览" in preview
    # The public page still shows version 1 until publication.
    assert "自签收次日起 7 天内" in _text(client.get("/voltmart/policy").get_data(as_text=True))
    past = post_form(
        client,
        "/voltmart/console/policy/publish",
        {"effective_date": "2020-01-01"},
        form_url="/voltmart/console/policy/",
        follow_redirects=True,
    )
    assert "生效日期不能早于今天" in past.get_data(as_text=True)
    with app.app_context():
        today = shop_today(_tenant("voltmart"))
    r = post_form(
        client,
        "/voltmart/console/policy/publish",
        {"effective_date": today.isoformat(), "change_note": "延长退货期"},
        form_url="/voltmart/console/policy/",
        follow_redirects=True,
    )
    assert "第 2 版已发布" in r.get_data(as_text=True)
    assert "自签收次日起 10 天内" in _text(client.get("/voltmart/policy").get_data(as_text=True))
    old = _text(client.get("/voltmart/policy/v/1").get_data(as_text=True))
    assert "自签收次日起 7 天内" in old
    assert client.get("/voltmart/policy/v/9").status_code == 404
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            v2 = policies.version_by_number(shop, 2)
    diff = _text(client.get(f"/voltmart/console/policy/versions/{v2.id}").get_data(as_text=True))
    assert "相对第 1 版的变更" in diff and "无理由退货期限（天） 7 天 10 天" in diff


def test_future_effective_date_keeps_the_current_version(app, client, demo):
    with app.app_context():
        shop = _tenant("kidswear")
        with tenant_context(shop.id):
            today = shop_today(shop)
            policies.ensure_draft(shop, None)
            policies.publish(shop, None, today + timedelta(days=10))
            db.session.commit()
    html = _text(client.get("/kidswear/policy").get_data(as_text=True))
    assert "第 1 版" in html and "新版本（第 2 版）将于" in html


def test_category_rule_editing(app, client, demo):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    url = "/kidswear/console/policy/draft/categories/cosmetics"
    bad = post_form(client, url, {"no_reason_return_days": "-3", "legal_exemption": "__inherit__"})
    assert "类目规则未保存" in bad.get_data(as_text=True)
    unlawful = post_form(
        client, url, {"no_reason_return_days": "0", "legal_exemption": "__inherit__", "fresh_quality_refund_24h": ""}
    )
    assert "第二十五条" in unlawful.get_data(as_text=True)  # cosmetics are not exempt from the 7 days by law
    ok = post_form(
        client, url, {"no_reason_return_days": "15", "legal_exemption": "__inherit__", "fresh_quality_refund_24h": ""}
    )
    assert ok.status_code == 302
    with app.app_context():
        shop = _tenant("kidswear")
        with tenant_context(shop.id):
            assert policies.get_draft(shop).category_rules["cosmetics"] == {"no_reason_return_days": 15}
    assert client.get("/kidswear/console/policy/draft/categories/spaceships").status_code == 404


def test_preset_replaces_the_draft(app, client, demo):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    r = post_form(
        client,
        "/kidswear/console/policy/draft/preset",
        {"preset": "electronics_sanbao"},
        form_url="/kidswear/console/policy/",
    )
    assert r.status_code == 302
    with app.app_context():
        shop = _tenant("kidswear")
        with tenant_context(shop.id):
            assert policies.get_draft(shop).terms["warranty_months"] == 12
    bad = post_form(
        client,
        "/kidswear/console/policy/draft/preset",
        {"preset": "nope"},
        form_url="/kidswear/console/policy/",
        follow_redirects=True,
    )
    assert "未知的预设模板" in bad.get_data(as_text=True)


def test_agents_read_but_do_not_edit(app, client, demo):
    login(client, "agent@voltmart.demo", "demo-password-2026")
    assert client.get("/voltmart/console/policy/").status_code == 200
    assert client.get("/voltmart/console/policy/draft").status_code == 403
    r = post_form(
        client,
        "/voltmart/console/policy/publish",
        {"effective_date": "2030-01-01"},
        form_url="/voltmart/console/policy/",
    )
    assert r.status_code == 403
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            assert len(policies.published_versions(shop)) == 1


def test_openapi_lists_the_policy_route(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/tenants/{slug}/policy" in doc["paths"]


def test_policy_page_is_cached_but_every_response_has_its_own_nonce(app, client, demo):
    first = client.get("/voltmart/policy")
    second = client.get("/voltmart/policy")
    nonces = []
    for r in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in r.get_data(as_text=True)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert re.sub(r'nonce="[^"]+"', "", first.get_data(as_text=True)) == re.sub(
        r'nonce="[^"]+"', "", second.get_data(as_text=True)
    )
    # Publishing changes the page at once: the cache key names the published versions.
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            draft = policies.ensure_draft(shop, None)
            policies.save_draft(shop, None, {**draft.terms, "no_reason_return_days": 9}, draft.category_rules)
            policies.publish(shop, None, shop_today(shop))
            db.session.commit()
    assert "自签收次日起 9 天内可申请" in _text(client.get("/voltmart/policy").get_data(as_text=True))


def test_a_cached_policy_page_costs_no_query_until_the_shop_changes_in_any_process(app, client, demo):
    from sqlalchemy import update

    assert "自签收次日起 7 天内可申请" in _text(client.get("/voltmart/policy").get_data(as_text=True))
    with statements(app) as seen:
        again = client.get("/voltmart/policy")
    assert again.status_code == 200 and seen == []
    # Another process renames the shop: its commit deletes the page token in Redis.
    # Here the row is changed behind the ORM's back, so only the token tells.
    with app.app_context():
        db.session.execute(update(Tenant).where(Tenant.slug == "voltmart").values(name_zh="伏特商城改名"))
        db.session.commit()
    assert "伏特商城改名" not in client.get("/voltmart/policy").get_data(as_text=True)  # still cached
    with app.app_context():
        shop = _tenant("voltmart")
        from saas.extensions import redis

        redis.client.delete(f"tenant-token:{shop.id}")
    assert "伏特商城改名" in client.get("/voltmart/policy").get_data(as_text=True)


def test_editing_the_shop_through_the_orm_invalidates_its_policy_page(app, client, demo):
    client.get("/voltmart/policy")
    with app.app_context():
        _tenant("voltmart").name_zh = "伏特新名"
        db.session.commit()
    assert "伏特新名" in client.get("/voltmart/policy").get_data(as_text=True)


def test_visitors_with_a_session_or_another_language_get_their_own_page(app, client, demo):
    zh = client.get("/voltmart/policy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "自签收次日起 7 天内可申请" in zh  # the shop's own language wins over the browser's
    en = client.get("/voltmart/policy?lang=en").get_data(as_text=True)
    assert "within 7 days" in en
    # The session now says English: the cached Chinese page must not be served.
    assert "within 7 days" in client.get("/voltmart/policy").get_data(as_text=True)


def test_without_redis_the_policy_page_is_rendered_every_time(app, client, demo, monkeypatch):
    from redis import Redis

    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setitem(app.extensions, "redis", dead)
    for _ in range(2):
        r = client.get("/voltmart/policy")
        assert r.status_code == 200
        nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in r.get_data(as_text=True) and "__csp_nonce_slot__" not in r.get_data(as_text=True)
    from saas.caches import pages

    assert pages._pages == {}


def test_an_announced_version_shows_on_the_day_it_comes_into_force(app, client, demo):
    from datetime import datetime

    from saas.models.base import travel_to

    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            today = shop_today(shop)
            draft = policies.ensure_draft(shop, None)
            policies.save_draft(shop, None, {**draft.terms, "no_reason_return_days": 10}, draft.category_rules)
            policies.publish(shop, None, today + timedelta(days=1))
            db.session.commit()
    assert "自签收次日起 7 天内可申请" in _text(client.get("/voltmart/policy").get_data(as_text=True))
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC).replace(hour=6)
    with travel_to(tomorrow):
        assert "自签收次日起 10 天内可申请" in _text(client.get("/voltmart/policy").get_data(as_text=True))


# ---------- what the owner did not change stays as it was ---------------------------------


class _FormReader(HTMLParser):
    """The fields of a page's own POST form (no action: it posts back to the page), as a browser sends them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._in_form = self._done = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and (a.get("method") or "").lower() == "post" and not a.get("action"):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value") or "on"))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if not self._in_form or self._done:
            return
        if tag == "textarea" and self._textarea is not None:
            # HTML drops one newline right after <textarea>; a browser sends line breaks as CRLF.
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self.fields.append((self._textarea, text.replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, sel in self._options if sel] or [v for v, _s in self._options[:1]]
            self.fields.append((self._select, chosen[0] if chosen else ""))
            self._select = None
        elif tag == "form":
            self._in_form, self._done = False, True


def _rendered_form(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    return dict(reader.fields)


def _submit_as_rendered(client, url: str, **changes):
    data = _rendered_form(client.get(url).get_data(as_text=True))
    assert "csrf_token" in data
    for name, value in changes.items():
        assert name in data, f"{name} is not on {url}"
        data[name] = value
    return client.post(url, data=data)


def _versions(app, slug: str):
    with app.app_context():
        shop = _tenant(slug)
        with tenant_context(shop.id):
            draft = policies.get_draft(shop)
            published = policies.published_versions(shop)[0]
            return (
                json.dumps(published.terms, ensure_ascii=False),
                json.dumps(published.category_rules, ensure_ascii=False),
                draft and json.dumps(draft.terms, ensure_ascii=False),
                draft and json.dumps(draft.category_rules, ensure_ascii=False),
            )


@pytest.mark.parametrize("slug", ["kidswear", "voltmart", "tianshang"])
def test_saving_the_draft_editor_unchanged_changes_nothing(app, client, demo, slug):
    login(client, f"owner@{slug}.demo", "demo-password-2026")
    terms, rules, draft_terms, _rules = _versions(app, slug)
    assert draft_terms is None  # the first save starts the draft
    r = _submit_as_rendered(client, f"/{slug}/console/policy/draft")
    assert r.status_code == 302, _text(r.get_data(as_text=True))
    _t, _r, draft_terms, draft_rules = _versions(app, slug)
    assert draft_rules == rules and draft_terms == terms  # byte for byte
    # A second save, of a draft that exists, keeps them too.
    assert _submit_as_rendered(client, f"/{slug}/console/policy/draft").status_code == 302
    assert _versions(app, slug)[2:] == (terms, rules)


def test_publishing_a_changed_window_keeps_the_category_rules_and_exemptions(app, client, demo):
    login(client, "owner@voltmart.demo", "demo-password-2026")
    _t, rules, _d, _r = _versions(app, "voltmart")
    assert json.loads(rules)["digital"]["legal_exemption"] == "digital"
    r = _submit_as_rendered(client, "/voltmart/console/policy/draft", quality_exchange_days="20")
    assert r.status_code == 302
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            policies.publish(shop, None, shop_today(shop))
            db.session.commit()
            v2 = policies.current_version(shop)
            assert v2.number == 2 and v2.terms["quality_exchange_days"] == 20
            assert json.dumps(v2.category_rules, ensure_ascii=False) == rules
            bought = shop_today(shop)
            digital = policies.judge(shop, "digital", bought, bought, "return_exchange")
            assert not [m for m in digital.remedies if m.kind == "no_reason_return" and m.eligible]
            phone = policies.judge(shop, "electronics", bought, bought, "return_exchange")
            assert [m for m in phone.remedies if m.kind == "no_reason_return" and m.eligible]


def test_kidswear_keeps_its_30_days_after_a_first_save_and_publish(app, client, demo):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    assert _submit_as_rendered(client, "/kidswear/console/policy/draft", quality_exchange_days="20").status_code == 302
    preview = _text(client.get("/kidswear/console/policy/draft/preview").get_data(as_text=True))
    assert "20 天内可换货" in preview
    assert "童装 30 天 7 天 20 天" in preview and "定制商品 不支持" in preview
    assert "依法不适用无理由退货：消费者定作的商品" in preview


# ---------- category rules: "same as shop-wide" is a choice, and it is said in words ----------

CATEGORY_URL = "/kidswear/console/policy/draft/categories/childrens_clothing"


def test_a_category_rule_saved_unchanged_stays_byte_for_byte(app, client, demo):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    _t, rules, _d, _r = _versions(app, "kidswear")
    r = _submit_as_rendered(client, CATEGORY_URL)
    assert r.status_code == 302, _text(r.get_data(as_text=True))
    assert _versions(app, "kidswear")[3] == rules


def test_an_explicit_no_exemption_is_not_mistaken_for_same_as_shop_wide(app, client, demo):
    # Tianshang's packaged food sets "no exemption" over the shop-wide fresh-goods exemption.
    login(client, "owner@tianshang.demo", "demo-password-2026")
    _t, rules, _d, _r = _versions(app, "tianshang")
    assert json.loads(rules)["food"]["legal_exemption"] is None
    assert _submit_as_rendered(client, "/tianshang/console/policy/draft/categories/food").status_code == 302
    assert _versions(app, "tianshang")[3] == rules


def test_a_partly_inherited_category_rule_saves(app, client, demo):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    form = _rendered_form(client.get(CATEGORY_URL).get_data(as_text=True))
    assert form["return_shipping_payer"] == "__inherit__" and form["paid_repair_after_warranty"] == ""
    r = _submit_as_rendered(client, CATEGORY_URL, quality_exchange_days="20")
    assert r.status_code == 302, _text(r.get_data(as_text=True))
    with app.app_context():
        shop = _tenant("kidswear")
        with tenant_context(shop.id):
            rule = policies.get_draft(shop).category_rules["childrens_clothing"]
    assert rule["quality_exchange_days"] == 20 and rule["no_reason_return_days"] == 30
    assert "return_shipping_payer" not in rule and "paid_repair_after_warranty" not in rule


@pytest.mark.parametrize(
    "lang, words, keys",
    [
        (
            "zh",
            [
                "沿用全店条款（质量问题由商家承担运费，无理由退货由买家承担）",
                "沿用全店条款（否）",
                "沿用全店条款（15 天）",
            ],
            ["merchant_if_quality", "__inherit__", "false", "true"],
        ),
        (
            "en",
            [
                "Same as shop-wide (merchant pays for quality problems",
                "Same as shop-wide (no)",
                "Same as shop-wide (15 days)",
            ],
            ["merchant_if_quality", "__inherit__", "false", "true"],
        ),
    ],
)
def test_inherited_values_are_shown_in_words(client, demo, lang, words, keys):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    page = _text(client.get(f"{CATEGORY_URL}?lang={lang}").get_data(as_text=True))
    for w in words:
        assert w in page
    for key in keys:
        assert not re.search(rf"\b{key}\b", page), key


@pytest.mark.parametrize(
    "lang, expected", [("zh", "「退货运费承担方」不是可选的一项"), ("en", "is not one of the choices")]
)
def test_a_refused_category_rule_speaks_words(app, client, demo, lang, expected):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    _t, rules, _d, _r = _versions(app, "kidswear")
    url = f"{CATEGORY_URL}?lang={lang}"
    data = {**_rendered_form(client.get(url).get_data(as_text=True)), "return_shipping_payer": "bogus"}
    r = client.post(url, data=data)
    page = _text(r.get_data(as_text=True))
    assert r.status_code == 422 and expected in page
    assert "bogus" not in page and "merchant_if_quality" not in page and "__inherit__" not in page
    assert _versions(app, "kidswear")[3] == rules  # nothing half-written


def test_the_version_diff_shows_words(app, client, demo):
    login(client, "owner@voltmart.demo", "demo-password-2026")
    r = _submit_as_rendered(
        client,
        "/voltmart/console/policy/draft",
        return_shipping_payer="merchant_always",
        paid_repair_after_warranty=None,
    )
    assert r.status_code == 302
    with app.app_context():
        shop = _tenant("voltmart")
        with tenant_context(shop.id):
            v2 = policies.publish(shop, None, shop_today(shop))
            db.session.commit()
            v2_id = v2.id
    zh = _text(client.get(f"/voltmart/console/policy/versions/{v2_id}").get_data(as_text=True))
    assert "质量问题由商家承担运费，无理由退货由买家承担" in zh and "商家承担全部退换货运费" in zh
    assert "保修期外付费维修 是 否" in zh
    en = _text(client.get(f"/voltmart/console/policy/versions/{v2_id}?lang=en").get_data(as_text=True))
    assert "merchant always pays" in en and " yes no " in en
    for page in (zh, en):
        assert not re.search(r"\b(merchant_if_quality|merchant_always|true|false)\b", page)


@pytest.mark.parametrize("url", ["/kidswear/console/policy/draft", CATEGORY_URL])
@pytest.mark.parametrize(
    "field, value, zh",
    [
        ("quality_exchange_days", "9" * 5000, "数值过大"),  # int() of it raises
        ("first_response_minutes", "99999999", "不能超过 43200 个工作分钟"),  # the SLA clock would never end
        ("repair_cycle_max_days", "99999999", "不能超过 365 个工作日"),
        ("quality_exchange_days", "1\x00", "控制字符"),  # the request guard refuses NUL anywhere
        ("conditions_zh", "须原包装\x00", "控制字符"),  # PostgreSQL's JSON refuses NUL
    ],
)
def test_hostile_terms_are_refused_with_words_and_nothing_is_kept(app, client, demo, url, field, value, zh):
    login(client, "owner@kidswear.demo", "demo-password-2026")
    data = _rendered_form(client.get(url).get_data(as_text=True))
    if field not in data:
        pytest.skip(f"{field} is shop-wide, not on the category page")
    before = _versions(app, "kidswear")
    r = client.post(url, data={**data, field: value})
    page = r.get_data(as_text=True)
    # A NUL is refused by the request guard (400) before the editor judges the value (422).
    assert r.status_code == (400 if "\x00" in value else 422) and zh in _text(page) and "\x00" not in page
    assert _versions(app, "kidswear") == before
