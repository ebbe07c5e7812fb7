"""Cases end to end over HTTP: intake with evidence, tracking, the agent workflow, the return slip."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import event, func, select, update

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent, EventsAreAppendOnly, Evidence
from saas.models.order import Order, OrderLine
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests import html_forms
from tests.factories import csrf_token, login, make_shop_with_policy, post_form

PASSWORD = "demo-password-2026"


def _jpeg(colour="red", exif_gps=False) -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", (64, 48), colour)
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


def _shop_tenant(slug: str, preset: str, name: str) -> Tenant:
    return make_shop_with_policy(
        slug,
        preset=preset,
        name_zh=name,
        return_address_zh="上海市浦东新区张江路 1 号",
        return_recipient="售后部",
        users=[
            ("owner", f"owner@{slug}.demo", {"password": PASSWORD}),
            ("agent", f"agent@{slug}.demo", {"password": PASSWORD}),
        ],
    )


@pytest.fixture
def shop(app):
    """Three shops with published policies (no demo cases), plus one order at voltmart."""
    with app.app_context():
        tenant = _shop_tenant("voltmart", "electronics_sanbao", "伏特数码")
        _shop_tenant("kidswear", "apparel_30", "童趣衣橱")
        _shop_tenant("tianshang", "fresh_food", "甜上心头")
        db.session.commit()
        with tenant_context(tenant.id):
            today = date.today()
            order = Order(
                order_number="JD-9001",
                channel="jd",
                purchase_date=today - timedelta(days=4),
                delivery_date=today - timedelta(days=2),
                customer_name="王芳",
                mobile="13900001111",
                email="wangfang@example.com",
            )
            order.lines = [
                OrderLine(sku="EB-1", name="无线耳机", category="electronics", quantity=1, unit_price="399.00"),
                OrderLine(sku="CB-2", name="充电线", category="electronics", quantity=2, unit_price="29.90"),
            ]
            db.session.add(order)
            db.session.commit()
            return {"tenant_id": tenant.id, "order_id": order.id, "line_ids": [line.id for line in order.lines]}


def _intake_fields(**over) -> dict:
    today = date.today()
    fields = {
        "order_number": "TB-77",
        "customer_name": "张三",
        "mobile": "13812345678",
        "email": "",
        "purchase_channel": "taobao",
        "problem_type": "quality",
        "description": "屏幕有一道划痕",
        "expected_resolution": "exchange",
        "purchase_date": (today - timedelta(days=5)).isoformat(),
        "delivery_date": (today - timedelta(days=3)).isoformat(),
        "category": "electronics",
        "item_price": "1999.00",
    }
    fields.update(over)
    return fields


def file_case(client, slug="voltmart", files=(), **over):
    token = csrf_token(client, f"/{slug}/cases/new")
    data = {**_intake_fields(**over), "action": "submit", "csrf_token": token}
    data["evidence"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/{slug}/cases/new", data=data, content_type="multipart/form-data")


def _case(app, number: str) -> Case:
    with app.app_context(), cross_tenant("test"):
        case = db.session.scalar(select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def _filed_with_agent(app, client):
    """A case filed by the consumer `client`, and the shop's agent signed in: (number, case, agent, case page)."""
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    case = _case(app, number)
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    return number, case, agent, f"/voltmart/console/cases/{case.id}"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------------ intake


def test_check_shows_eligibility_before_submitting(app, client, shop):
    r = post_form(client, "/voltmart/cases/new", {**_intake_fields(), "action": "check"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="eligibility"' in html
    assert "第1版" in html  # the clause cites the version
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(Case.id)) is None  # nothing filed by a check


def test_filing_with_a_photo_gives_a_case_number_and_tracking(app, client, shop):
    r = file_case(client, files=[("photo.jpg", _jpeg(exif_gps=True))])
    assert r.status_code == 302
    number = r.headers["Location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"AS\d{6}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", number)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert number in page and "13812345678" not in page
    case = _case(app, number)
    assert case.status == "submitted" and not case.order_verified and case.policy_version_id
    with app.app_context(), tenant_context(case.tenant_id):
        ev = db.session.scalar(select(Evidence).where(Evidence.case_id == case.id))
        assert ev.status == "processing" and ev.path.startswith(f"quarantine/{case.tenant_id}/")
        from workers.worker import build_worker

        build_worker(("evidence",)).work(burst=True)  # the evidence worker cleans the photo
        db.session.rollback()
        ev = db.session.scalar(select(Evidence).where(Evidence.case_id == case.id))
        assert ev.kind == "image" and ev.status == "ready" and ev.path.startswith(f"{case.tenant_id}/")
        from saas.services.case_evidence import file_path

        stored = Image.open(file_path(ev))
        assert not stored.getexif().get(0x8825)  # GPS stripped


def _typed(**over) -> dict:
    """What a consumer types into the intake form for the shop's known order JD-9001 (no dates, no category)."""
    fields = {
        "order_number": "JD-9001",
        "customer_name": "王芳",
        "mobile": "139 0000 1111",
        "purchase_channel": "jd",
        "problem_type": "quality",
        "description": "左耳没有声音",
        "expected_resolution": "exchange",
    }
    fields.update(over)
    return fields


def _check_then_submit(client, lang="zh", fill=None, files=None, submit_fill=None):
    """The consumer's two clicks on /voltmart/cases/new, posting only what each page rendered."""
    url = f"/voltmart/cases/new?lang={lang}"
    page = client.get(url).get_data(as_text=True)
    checked = html_forms.submit(client, url, page, fill=_typed(**(fill or {})), button=("action", "check"), files=files)
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    return html, html_forms.submit(client, url, html, fill=submit_fill, button=("action", "submit"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_known_order_takes_its_dates_and_lines(app, client, shop, lang):
    """The check finds the order and stops asking for dates and category; submitting then files the case."""
    html, r = _check_then_submit(client, lang, submit_fill={"line_ids": str(shop["line_ids"][0])})
    assert "无线耳机" in html and 'name="line_ids"' in html and 'id="eligibility"' in html
    assert 'name="category"' not in html and 'name="purchase_date"' not in html
    assert r.status_code == 302, r.get_data(as_text=True)
    number = r.headers["Location"].rsplit("/", 1)[1]
    case = _case(app, number)
    assert case.order_verified and case.order_id == shop["order_id"]
    assert case.purchase_date == date.today() - timedelta(days=4) and case.category == "electronics"
    with app.app_context(), tenant_context(case.tenant_id):
        lines = db.session.get(Case, case.id).lines
        assert [cl.order_line_id for cl in lines] == [shop["line_ids"][0]]


def _evidence_of(app, number: str) -> list[Evidence]:
    with app.app_context(), cross_tenant("test"):
        case = db.session.scalar(select(Case).where(Case.number == number))
        return list(db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)))


def test_a_photo_chosen_before_the_check_is_filed_with_the_case(app, client, shop):
    html, r = _check_then_submit(client, files={"evidence": [(io.BytesIO(_jpeg()), "earbud.jpg")]})
    assert 'id="kept-files"' in html and "earbud.jpg" in html  # the page says it still has the photo
    number = r.headers["Location"].rsplit("/", 1)[1]
    assert [e.original_name for e in _evidence_of(app, number)] == ["earbud.jpg"]
    pending = Path(app.config["UPLOAD_DIR"]) / "pending"
    assert not any(p.is_file() for p in pending.rglob("*"))  # the provisional copy is gone once filed


def test_photos_added_at_each_rendering_add_up_to_the_limit(app, client, shop):
    url = "/voltmart/cases/new?lang=en"
    page = client.get(url).get_data(as_text=True)
    first = html_forms.submit(
        client,
        url,
        page,
        fill=_typed(),
        button=("action", "check"),
        files={"evidence": [(io.BytesIO(_jpeg()), "one.jpg")]},
    ).get_data(as_text=True)
    eight = [(io.BytesIO(_jpeg("blue")), f"more-{i}.jpg") for i in range(9)]
    refused = html_forms.submit(client, url, first, button=("action", "check"), files={"evidence": eight})
    html = refused.get_data(as_text=True)
    assert "At most 9 files" in html and "one.jpg" in html  # ten in all: told, and the first one still kept
    second = html_forms.submit(
        client, url, html, button=("action", "check"), files={"evidence": [(io.BytesIO(_jpeg("green")), "two.jpg")]}
    ).get_data(as_text=True)
    r = html_forms.submit(client, url, second, button=("action", "submit"))
    names = sorted(e.original_name for e in _evidence_of(app, r.headers["Location"].rsplit("/", 1)[1]))
    assert names == ["one.jpg", "two.jpg"]


def test_an_unticked_kept_photo_is_left_out(app, client, shop):
    html, r = _check_then_submit(
        client, files={"evidence": [(io.BytesIO(_jpeg()), "earbud.jpg")]}, submit_fill={"keep_upload": []}
    )
    assert _evidence_of(app, r.headers["Location"].rsplit("/", 1)[1]) == []


def test_a_refused_photo_is_told_at_the_check(app, client, shop):
    page = client.get("/voltmart/cases/new").get_data(as_text=True)
    r = html_forms.submit(
        client,
        "/voltmart/cases/new",
        page,
        fill=_typed(),
        button=("action", "check"),
        files={"evidence": [(io.BytesIO(b"not a picture"), "fake.jpg")]},
    )
    html = r.get_data(as_text=True)
    assert "fake.jpg" in html and 'id="evidence-error"' in html and 'id="kept-files"' not in html


def test_another_browser_cannot_use_a_kept_batch(app, client, shop):
    html, _r = _check_then_submit(client, files={"evidence": [(io.BytesIO(_jpeg()), "earbud.jpg")]})
    batch = re.search(r'name="upload_batch" value="([^"]+)"', html).group(1)
    kept = re.search(r'name="keep_upload" value="([^"]+)"', html).group(1)
    stranger = app.test_client()
    data = {**_intake_fields(), "action": "submit", "upload_batch": batch, "keep_upload": kept}
    r = post_form(stranger, "/voltmart/cases/new", data)
    assert r.status_code == 302
    assert _evidence_of(app, r.headers["Location"].rsplit("/", 1)[1]) == []


def test_an_unknown_category_is_refused(client, shop):
    html = post_form(client, "/voltmart/cases/new?lang=en", {**_intake_fields(category="rockets"), "action": "check"})
    assert "Please choose a product category from the list." in html.get_data(as_text=True)
    r = post_form(client, "/voltmart/cases/new?lang=en", {**_intake_fields(category=""), "action": "submit"})
    assert r.status_code == 200 and "Please choose a product category from the list." in r.get_data(as_text=True)


def test_unknown_order_needs_dates_and_is_marked_unverified(app, client, shop):
    r = post_form(client, "/voltmart/cases/new", {**_intake_fields(purchase_date=""), "action": "submit"})
    assert "请输入购买日期" in r.get_data(as_text=True) or "purchase date" in r.get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(Case.id)) is None


def test_invalid_contact_is_refused_with_a_message(client, shop):
    html = post_form(
        client, "/voltmart/cases/new?lang=en", {**_intake_fields(mobile="12345"), "action": "check"}
    ).get_data(as_text=True)
    assert "valid mainland China mobile number" in html
    html = post_form(client, "/voltmart/cases/new?lang=en", {**_intake_fields(mobile=""), "action": "check"}).get_data(
        as_text=True
    )
    assert "Please give a mobile number or an email address." in html


def test_text_renamed_jpg_is_refused_and_the_form_is_kept(app, client, shop):
    r = file_case(client, files=[("fake.jpg", b"just some text, not a picture")], description="耳机没声音")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "fake.jpg" in html
    assert "耳机没声音" in html and 'value="13812345678"' in html
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(Case.id)) is None and db.session.scalar(select(Evidence.id)) is None


def test_food_safety_words_raise_an_emergency(app, client, shop):
    r = file_case(
        client,
        slug="tianshang",
        problem_type="quality",
        category="dairy",
        description="酸奶打开发霉了",
        expected_resolution="refund",
        item_price="25.00",
    )
    case = _case(app, r.headers["Location"].rsplit("/", 1)[1])
    assert case.emergency and case.problem_type == "food_safety" and case.priority == 6
    assert _food_safety_compensation(case) == "1000.00"  # judged as the food-safety case it is


def _food_safety_compensation(case: Case) -> str | None:
    """The statutory 退一赔十 amount among the case's remedies, if it is there and open."""
    found = [r for r in case.eligibility if r["clause"]["term"] == "food_safety_compensation" and r["eligible"]]
    return found[0]["amount"] if found else None


def test_a_food_safety_tick_shows_and_keeps_the_statutory_compensation(app, client, shop):
    """Spec §2/§3: ten times the price, at least 1,000 yuan; shown before submitting, kept on the case."""
    fields = dict(
        problem_type="quality",
        food_safety="y",
        category="dairy",
        description="喝完肚子疼",
        expected_resolution="refund",
        item_price="150.00",
    )
    r = post_form(client, "/tianshang/cases/new", {**_intake_fields(**fields), "action": "check"})
    assert "退一赔十" in r.get_data(as_text=True) and "¥1500.00" in r.get_data(as_text=True)
    case = _case(app, file_case(client, slug="tianshang", **fields).headers["Location"].rsplit("/", 1)[1])
    assert case.emergency and case.problem_type == "food_safety"
    assert _food_safety_compensation(case) == "1500.00"


def test_food_safety_found_later_judges_the_case_again(app, client, shop):
    """Words in a later message make a quality case a food-safety one: its remedies follow."""
    r = file_case(
        client,
        slug="tianshang",
        problem_type="quality",
        category="dairy",
        description="包装破了",
        expected_resolution="refund",
        item_price="25.00",
    )
    number = r.headers["Location"].rsplit("/", 1)[1]
    assert _food_safety_compensation(_case(app, number)) is None
    with app.app_context(), cross_tenant("test"):
        from saas.services import case_consumer_steps

        case = db.session.scalar(select(Case).where(Case.number == number))
        with tenant_context(case.tenant_id):
            case_consumer_steps.consumer_message(case, "打开后发现发霉了")
            db.session.commit()
    case = _case(app, number)
    assert case.emergency and case.problem_type == "food_safety" and _food_safety_compensation(case) == "1000.00"


# ------------------------------------------------------------------ tracking


def test_tracking_lookup_and_identical_failures(app, client, shop):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    assert other.get(f"/voltmart/track/{number}").status_code == 404  # not proved yet
    wrong_factor = post_form(other, "/voltmart/track", {"number": number, "factor": "0000"})
    unknown = post_form(other, "/voltmart/track", {"number": "AS261123-AAAA-AAAA-AAA", "factor": "5678"})
    assert wrong_factor.status_code == unknown.status_code == 303
    assert wrong_factor.get_data() == unknown.get_data()
    assert wrong_factor.headers["Location"] == unknown.headers["Location"]
    ok = post_form(other, "/voltmart/track", {"number": number.lower().replace("-", " "), "factor": "5678"})
    assert ok.headers["Location"].endswith(f"/voltmart/track/{number}")
    html = other.get(ok.headers["Location"]).get_data(as_text=True)
    assert 'class="node current"' in html


def test_tracking_by_email(app, client, shop):
    number = file_case(client, mobile="", email="Zhang@Example.com").headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    assert (
        post_form(other, "/voltmart/track", {"number": number, "factor": "zhang@example.com"})
        .headers["Location"]
        .endswith(number)
    )


def test_failed_lookups_are_throttled_without_revealing(app, client, shop):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    attacker = app.test_client()
    codes = []
    for i in range(30):
        target = number if i % 2 else "AS261123-AAAA-AAAA-AAA"
        codes.append(post_form(attacker, "/voltmart/track", {"number": target, "factor": f"{i:04d}"}).status_code)
    assert 429 in codes
    assert set(codes) <= {303, 429}
    # The right answer is refused too while throttled: the limit reveals nothing.
    assert post_form(attacker, "/voltmart/track", {"number": number, "factor": "5678"}).status_code == 429


def test_other_tenants_tracking_is_404(app, client, shop):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/voltmart/track/{number}").status_code == 200
    assert client.get(f"/kidswear/track/{number}").status_code == 404
    r = post_form(app.test_client(), "/kidswear/track", {"number": number, "factor": "5678"})
    assert r.headers["Location"].endswith("failed=1")


def test_consumer_message_answers_an_information_request(app, client, shop):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    case = _case(app, number)
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    post_form(
        agent, f"/voltmart/console/cases/{case.id}/actions/accept", {}, form_url=f"/voltmart/console/cases/{case.id}"
    )
    post_form(
        agent,
        f"/voltmart/console/cases/{case.id}/actions/request_info",
        {"detail": "请拍一张序列号照片"},
        form_url=f"/voltmart/console/cases/{case.id}",
    )
    assert _case(app, number).status == "info_requested"
    token = csrf_token(client, f"/voltmart/track/{number}")
    r = client.post(
        f"/voltmart/track/{number}/message",
        content_type="multipart/form-data",
        data={"text": "序列号见照片", "csrf_token": token, "evidence": [(io.BytesIO(_jpeg("blue")), "sn.jpg")]},
    )
    assert r.status_code == 302
    assert _case(app, number).status == "accepted"
    page = _text(agent.get(f"/voltmart/console/cases/{case.id}").get_data(as_text=True))
    assert "序列号见照片" in page and "sn.jpg" in page


def test_return_flow_with_slip_and_qr(app, client, shop):
    number = (
        file_case(client, problem_type="return_exchange", expected_resolution="return")
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    case = _case(app, number)
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    detail = f"/voltmart/console/cases/{case.id}"
    for action, fields in (("accept", {}), ("request_return", {})):
        post_form(agent, f"{detail}/actions/{action}", fields, form_url=detail)
    page = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    assert 'id="return"' in page
    slip = client.get(f"/voltmart/track/{number}/slip").get_data(as_text=True)
    assert number in slip and "TB-77" in slip and "<svg" in slip
    svg = re.search(r"<svg.*?</svg>", slip, re.S).group(0)
    assert _decode_qr(svg) == number
    r = post_form(
        client,
        f"/voltmart/track/{number}/return",
        {"carrier": "顺丰", "tracking": "SF1234567890"},
        form_url=f"/voltmart/track/{number}",
    )
    assert r.status_code == 302
    assert _case(app, number).return_tracking_number == "SF1234567890"
    for action in ("mark_return_received", "mark_inspected"):
        post_form(agent, f"{detail}/actions/{action}", {"note": "外包装完好"}, form_url=detail)
    assert _case(app, number).status == "inspected"


def _decode_qr(svg: str) -> str:
    """Really decode the slip's QR: redraw segno's SVG path as pixels and read it with zxing-cpp."""
    import zxingcpp

    size = int(re.search(r'width="(\d+)"', svg).group(1)) // int(re.search(r"scale\((\d+)\)", svg).group(1))
    image = Image.new("L", (size * 8, size * 8), 255)
    pixels = image.load()
    x = y = 0.0
    for cmd, args in re.findall(r"([Mmh])([-\d. ]+)", re.search(r' d="([^"]+)"', svg).group(1)):
        nums = [float(n) for n in args.split()]
        if cmd == "M":
            x, y = nums
        elif cmd == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            for col in range(int(x), int(x + nums[0])):
                for dx in range(8):
                    for dy in range(8):
                        pixels[col * 8 + dx, int(y) * 8 + dy] = 0
            x += nums[0]
    results = zxingcpp.read_barcodes(image)
    return results[0].text if results else ""


# ------------------------------------------------------------------ the agent workflow


def test_agent_workflow_to_closed_with_the_four_nodes(app, client, shop):
    number, case, agent, detail = _filed_with_agent(app, client)
    seen_nodes = []
    steps = [
        ("accept", {}),
        (
            "verify",
            {
                "responsibility": "merchant",
                "reason_code": "quality.workmanship",
                "basis": "照片显示屏幕出厂划痕",
                "clause": "第1版 质量问题换货",
            },
        ),
        ("propose", {"kind": "exchange"}),
        ("execute", {"tracking": "SF999"}),
        ("close", {}),
    ]
    for action, fields in steps:
        r = post_form(agent, f"{detail}/actions/{action}", fields, form_url=detail, follow_redirects=True)
        assert 'class="flash success"' in r.get_data(as_text=True), (action, _text(r.get_data(as_text=True))[:400])
        page = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
        seen_nodes.append(re.findall(r'class="node (\w+)"', page))
    assert seen_nodes[0] == ["current", "todo", "todo", "todo"]
    assert seen_nodes[1] == ["done", "current", "todo", "todo"]
    assert seen_nodes[3] == ["done", "done", "current", "todo"]
    assert seen_nodes[4] == ["done", "done", "done", "done"]
    final = _case(app, number)
    assert (
        final.status == "closed"
        and final.invoice_handling == "endorsement"
        and final.outbound_tracking_number == "SF999"
    )
    with app.app_context(), tenant_context(final.tenant_id):
        kinds = db.session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == final.id).order_by(CaseEvent.id)
        ).all()
        actors = set(db.session.scalars(select(CaseEvent.actor_id).where(CaseEvent.kind == "accepted")))
    # Filed outside working hours, a case also gets the system's auto-reply: not part of the agent's path.
    assert [k for k in kinds if k != "auto_reply"] == [
        "submitted",
        "accepted",
        "verified",
        "proposed",
        "replacement_shipped",
        "closed",
    ]
    assert actors and None not in actors


def test_illegal_transitions_are_refused_with_a_message(app, client, shop):
    number, case, agent, detail = _filed_with_agent(app, client)
    r = post_form(agent, f"{detail}/actions/close", {}, form_url=detail, follow_redirects=True)
    assert "当前状态" in r.get_data(as_text=True) or "not possible" in r.get_data(as_text=True)
    r = post_form(
        agent,
        f"{detail}/actions/propose?lang=en",
        {"kind": "refund", "amount": "-5"},
        form_url=detail,
        follow_redirects=True,
    )
    assert _case(app, number).status == "submitted"
    post_form(agent, f"{detail}/actions/accept", {}, form_url=detail)
    r = post_form(
        agent,
        f"{detail}/actions/propose",
        {"kind": "refund", "amount": "12.345"},
        form_url=detail,
        follow_redirects=True,
    )
    assert _case(app, number).resolution_amount is None
    r = post_form(agent, f"{detail}/actions/propose", {"kind": "refund", "amount": "12.34"}, form_url=detail)
    assert str(_case(app, number).resolution_amount) == "12.34"
    assert agent.post(f"{detail}/actions/accept").status_code == 400  # no CSRF token


def test_an_agent_escalation_tells_the_customer_and_alerts_the_managers(app, client, shop):
    """Spec §3/§4: escalated to the after-sales manager, who is notified; the customer is told too."""
    from saas.models.notification import Notification

    number, case, agent, detail = _filed_with_agent(app, client)
    post_form(agent, f"{detail}/actions/escalate", {"note": "顾客第三次来电，要求主管处理"}, form_url=detail)
    with app.app_context(), tenant_context(case.tenant_id):
        assert db.session.get(Case, case.id).escalated
        rows = db.session.scalars(select(Notification).where(Notification.case_id == case.id)).all()
        alerts = [n for n in rows if n.template_key == "escalated_to_manager"]
        assert [(n.audience, n.channel, n.recipient) for n in alerts] == [("staff", "email", "owner@voltmart.demo")]
        assert (
            "顾客第三次来电" in alerts[0].params["message"] and f"/console/cases/{case.id}" in alerts[0].params["link"]
        )
        assert any(n.template_key == "escalated" and n.audience == "customer" for n in rows)
    r = post_form(
        agent, f"{detail}/actions/escalate?lang=en", {"note": "again"}, form_url=detail, follow_redirects=True
    )
    assert "already with the manager" in r.get_data(as_text=True)
    with app.app_context(), tenant_context(case.tenant_id):
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.template_key == "escalated_to_manager")
            )
            == 1
        )


def test_the_consumer_chooses_which_channels_bring_updates(app, client, shop):
    """Spec §5: messages per the consent on the case. Unticking a channel stops it, unsent messages included."""
    from saas.models.notification import Notification

    number = file_case(client, email="wang@example.com").headers["Location"].rsplit("/", 1)[1]
    case = _case(app, number)
    page = client.get(f"/voltmart/track/{number}?lang=en").get_data(as_text=True)
    assert "Updates about this case" in page and "138****5678" in page and "w***@example.com" in page
    assert "13812345678" not in page

    def customer_rows():
        with app.app_context(), tenant_context(case.tenant_id):
            return [
                (n.channel, n.status)
                for n in db.session.scalars(
                    select(Notification)
                    .where(Notification.case_id == case.id, Notification.audience == "customer")
                    .order_by(Notification.id)
                )
            ]

    assert {c for c, _status in customer_rows()} == {"sms", "email"}
    r = post_form(client, f"/voltmart/track/{number}/updates", {"email": "y"}, form_url=f"/voltmart/track/{number}")
    assert r.status_code == 302
    sms = [status for channel, status in customer_rows() if channel == "sms"]  # after hours: superseded + cancelled
    assert "cancelled" in sms and not {"pending", "retry"} & set(sms), sms
    assert all(status != "cancelled" for channel, status in customer_rows() if channel == "email")
    fresh = _case(app, number)
    assert (fresh.sms_consent, fresh.email_consent) == (False, True)

    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    detail = f"/voltmart/console/cases/{case.id}"
    assert "no text messages: the customer's choice" in agent.get(f"{detail}?lang=en").get_data(as_text=True)
    before = len(customer_rows())
    post_form(agent, f"{detail}/actions/accept", {}, form_url=detail)
    assert [c for c, _status in customer_rows()[before:]] == ["email"]  # no text message any more

    post_form(client, f"/voltmart/track/{number}/updates", {"email": "y"}, form_url=f"/voltmart/track/{number}")
    with app.app_context(), tenant_context(case.tenant_id):
        kinds = [e.kind for e in db.session.get(Case, case.id).events]
    assert kinds.count("consent_changed") == 1  # the same choice again records nothing
    stranger = app.test_client()
    assert (
        post_form(
            stranger, f"/voltmart/track/{number}/updates", {"sms": "y", "email": "y"}, form_url="/voltmart/track"
        ).status_code
        == 404
    )
    assert _case(app, number).sms_consent is False


def test_events_are_append_only(app, client, shop):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    case = _case(app, number)
    with app.app_context(), tenant_context(case.tenant_id):
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
        event.customer_message = "rewritten"
        with pytest.raises(EventsAreAppendOnly):
            db.session.flush()
        db.session.rollback()


def test_internal_notes_never_reach_the_consumer(app, client, shop):
    number, case, agent, detail = _filed_with_agent(app, client)
    post_form(agent, f"{detail}/actions/note", {"note": "客户可能是职业索赔人"}, form_url=detail)
    assert "客户可能是职业索赔人" in agent.get(detail).get_data(as_text=True)
    assert "客户可能是职业索赔人" not in client.get(f"/voltmart/track/{number}").get_data(as_text=True)


def test_agent_enters_a_phone_case(app, client, shop):
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    r = post_form(
        agent, "/voltmart/console/cases/new", {**_intake_fields(customer_name="赵六"), "customer_locale": "en"}
    )
    assert r.status_code == 302
    with app.app_context(), cross_tenant("test"):
        case = db.session.scalar(select(Case).where(Case.customer_name == "赵六"))
        assert case.intake_channel == "agent" and case.locale == "en"
        first = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
        assert first.actor_type == "staff" and first.customer_message.startswith("We have received")


def test_queue_filters_and_sorts_by_priority(app, client, shop):
    file_case(client, problem_type="consultation", expected_resolution="consultation", description="请问如何连接蓝牙")
    file_case(client, problem_type="quality", description="耳机左耳没声音")
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    html = agent.get("/voltmart/console/cases").get_data(as_text=True)
    rows = re.findall(r'<td class="prio-(\d)">', html)
    assert rows == sorted(rows, reverse=True) and len(rows) == 2
    only = agent.get("/voltmart/console/cases?type=consultation").get_data(as_text=True)
    assert len(re.findall(r'<td class="prio-', only)) == 1
    found = agent.get("/voltmart/console/cases?q=TB-77").get_data(as_text=True)
    assert len(re.findall(r'<td class="prio-', found)) == 2


def test_evidence_is_served_only_to_its_case(app, client, shop):
    number = file_case(client, files=[("p.jpg", _jpeg())]).headers["Location"].rsplit("/", 1)[1]
    case = _case(app, number)
    with app.app_context(), tenant_context(case.tenant_id):
        ev_id = db.session.scalar(select(Evidence.id).where(Evidence.case_id == case.id))
    # In quarantine (as sent, metadata and all) it is served to nobody ...
    assert client.get(f"/voltmart/track/{number}/evidence/{ev_id}").status_code == 404
    with app.app_context():
        from workers.worker import build_worker

        build_worker(("evidence",)).work(burst=True)
    # ... once the evidence worker has cleaned it, to its case only.
    assert client.get(f"/voltmart/track/{number}/evidence/{ev_id}").status_code == 200
    assert app.test_client().get(f"/voltmart/track/{number}/evidence/{ev_id}").status_code == 404
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    r = agent.get(f"/voltmart/console/evidence/{ev_id}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    other = app.test_client()
    login(other, "agent@kidswear.demo", PASSWORD)
    assert other.get(f"/kidswear/console/evidence/{ev_id}").status_code == 404


def test_queue_counts_only_as_far_as_it_needs(app, client, shop, monkeypatch):
    from saas.blueprints import cases_console

    for i in range(3):
        file_case(client, order_number=f"TB-{i}")
    monkeypatch.setattr(cases_console, "PAGE_SIZE", 1)
    monkeypatch.setattr(cases_console, "COUNT_AHEAD", 1)
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    html = agent.get("/voltmart/console/cases?lang=en").get_data(as_text=True)
    assert "More than 2 cases" in html and "page=2" in html
    middle = agent.get("/voltmart/console/cases?lang=en&page=2&type=quality")
    assert middle.status_code == 200 and "page=3" in middle.get_data(as_text=True)
    last = agent.get("/voltmart/console/cases?lang=en&page=3").get_data(as_text=True)
    assert "3 cases" in last and "page=4" not in last


def test_queue_counts_only_the_shops_own_cases(app, client, shop):
    file_case(client, order_number="TB-1")
    for i in range(2):
        file_case(client, slug="kidswear", order_number=f"KW-{i}")
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    html = agent.get("/voltmart/console/cases?lang=en").get_data(as_text=True)
    assert "1 case" in html and len(re.findall(r'<td class="prio-', html)) == 1


def test_queue_puts_the_nearest_deadline_first_and_none_last(app, client, shop):
    numbers = [file_case(client, order_number=f"TB-{i}").headers["Location"].rsplit("/", 1)[1] for i in range(3)]
    now = utcnow()
    with app.app_context(), cross_tenant("test"):
        for number, due in zip(numbers, (None, now + timedelta(days=2), now + timedelta(days=1)), strict=True):
            db.session.execute(update(Case).where(Case.number == number).values(due_at=due))
        db.session.commit()
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    html = agent.get("/voltmart/console/cases").get_data(as_text=True)
    assert [m for m in re.findall(r">(AS[0-9A-Z-]+)</a>", html)] == [numbers[2], numbers[1], numbers[0]]


def _queue_sql(app, agent, query: str) -> list[tuple[str, dict]]:
    """The statements (with their parameters) the queue page runs against the cases table."""
    seen: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bFROM cases\b", statement):
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert agent.get(f"/voltmart/console/cases?{query}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def _agent_of_a_shop_with_a_case(app, client, databases, **intake):
    """For the query-plan tests (PostgreSQL only): a case filed, and the shop's agent signed in."""
    if not databases.is_postgres:
        pytest.skip("query plans are PostgreSQL's")
    file_case(client, **intake)
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    return agent


QUEUE_VIEWS = ("", "page=2", "type=quality", "priority=4", "priority=emergency", "overdue=1", "status=all&overdue=1")


def test_queue_pages_are_read_off_the_queue_index(app, client, shop, databases):
    """However many open cases a shop has, a queue page is an index scan that stops after LIMIT rows.

    Sorting and sequential scans are priced out, so a plan has no Sort node only if ix_cases_queue gives the
    rows in queue order: a change to the filter or the ORDER BY that the index no longer serves fails here.
    The default view is also planned as a prepared statement's generic plan (no parameter values known),
    which psycopg and PostgreSQL switch to after a few runs.
    """
    agent = _agent_of_a_shop_with_a_case(app, client, databases)
    for view in QUEUE_VIEWS:
        sql, params = _queue_page_sql(app, agent, view)
        plans = {"custom": _plan(app, "EXPLAIN " + sql, params)}
        if view == "":
            names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
            prepared = re.sub(r"%\((\w+)\)s", lambda m, names=names: f"${names.index(m.group(1)) + 1}", sql)
            arguments = ", ".join(_sql_literal(params[name]) for name in names)  # EXECUTE takes no $n
            plans["generic"] = _plan(
                app,
                f"EXPLAIN EXECUTE queue_page({arguments})",
                {},
                setup=("SET plan_cache_mode = force_generic_plan", f"PREPARE queue_page AS {prepared}"),
            )
        for kind, plan in plans.items():
            assert "ix_cases_queue" in plan and "Sort" not in plan, (view, kind, plan)
            assert plan.lstrip().startswith("Limit"), (view, kind, plan)


ALL_CASES_VIEWS = (
    "status=all",
    "status=closed",
    "status=resolved",
    "status=submitted",
    "status=all&page=3",
    "status=all&type=quality",
)


def _queue_page_sql(app, agent, view: str) -> tuple[str, dict]:
    pages = [(sql, params) for sql, params in _queue_sql(app, agent, view) if "ORDER BY" in sql and "count(" not in sql]
    assert len(pages) == 1, (view, pages)
    return pages[0]


def test_all_and_closed_views_are_read_off_the_all_cases_index(app, client, shop, databases):
    """ "All", one status (closed: most of a big shop's cases) and deep pages: no sort of every case of the shop.

    ix_cases_queue holds open cases only, so it cannot serve "All" or "closed"; a single open status may be read
    off either index (the status is a bound parameter, which a partial index's predicate cannot be proven from).
    """
    agent = _agent_of_a_shop_with_a_case(app, client, databases)
    for view in ALL_CASES_VIEWS:
        sql, params = _queue_page_sql(app, agent, view)
        plan = _plan(app, "EXPLAIN " + sql, params)
        assert re.search(r"Index Scan using ix_cases_(all|queue)", plan) and "Sort" not in plan, (view, plan)
        assert plan.lstrip().startswith("Limit"), (view, plan)


def test_queue_search_is_served_by_the_trigram_index(app, client, shop, databases):
    """A phone number, its last digits, an order number or an email: found through ix_cases_search.

    Planned as for a big shop, where nothing else narrows: the shop filter is made unindexable (`tenant_id + 0`),
    "all" statuses leave the open-cases index out, and sequential and ordered index scans are priced out; a
    search predicate the trigram index cannot serve would leave only a (priced-out) sequential scan.
    """
    agent = _agent_of_a_shop_with_a_case(app, client, databases, email="someone@example.com")
    for query in ("13812345678", "45678", "TB-77", "someone%40example.com"):
        sql, params = _queue_page_sql(app, agent, f"status=all&q={query}")
        big_shop = re.sub(r"\bcases\.tenant_id = ", "cases.tenant_id + 0 = ", sql)
        assert big_shop != sql
        plan = _plan(app, "EXPLAIN " + big_shop, params, setup=("SET enable_sort = on", "SET enable_indexscan = off"))
        assert "Bitmap Index Scan on ix_cases_search" in plan and "Seq Scan" not in plan, (query, plan)
        for view in (f"q={query}", f"status=all&q={query}"):
            html = agent.get(f"/voltmart/console/cases?{view}").get_data(as_text=True)
            assert re.search(r">AS[0-9A-Z-]+</a>", html), view
    html = agent.get("/voltmart/console/cases?status=all&q=99999999").get_data(as_text=True)
    assert not re.search(r">AS[0-9A-Z-]+</a>", html)


def _sql_literal(value) -> str:
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str), value
    return "'" + value.replace("'", "''") + "'"


def _plan(app, explain: str, params: dict, setup=()) -> str:
    """EXPLAIN on a connection of its own, discarded afterwards with its settings and prepared statements."""
    with app.app_context(), db.engine.connect() as conn:
        try:
            for statement in ("SET enable_seqscan = off", "SET enable_sort = off", *setup):
                conn.exec_driver_sql(statement)
            return "\n".join(row[0] for row in conn.exec_driver_sql(explain, params))
        finally:
            conn.invalidate()


@pytest.mark.parametrize("lang, label", [("zh", "30 天无理由退货"), ("en", "30-day no-reason return")])
def test_the_no_reason_label_says_the_real_window(client, shop, lang, label):
    """Kidswear gives 30 days: its policy page and the intake check never call that 七天."""
    policy = client.get(f"/kidswear/policy?lang={lang}").get_data(as_text=True)
    assert label in policy and "七天" not in policy
    checked = post_form(
        client,
        f"/kidswear/cases/new?lang={lang}",
        {
            **_intake_fields(
                category="childrens_clothing",
                problem_type="return_exchange",
                expected_resolution="return",
                item_price="89.00",
            ),
            "action": "check",
        },
    ).get_data(as_text=True)
    eligibility = checked[checked.index('id="eligibility"') :]
    assert label in eligibility and "七天" not in eligibility


@pytest.mark.parametrize("path", ["/voltmart/", "/voltmart/policy"])
def test_shop_home_and_policy_offer_the_ways_in(client, shop, path):
    html = client.get(path).get_data(as_text=True)
    assert '<a href="/voltmart/cases/new" role="button" id="file-request">申请售后</a>' in html
    assert 'href="/voltmart/track" role="button" class="secondary" id="track-request">查询进度</a>' in html
    en = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert "File an after-sales request" in en and "Track my request" in en


def test_abandoned_kept_photos_are_removed_after_a_day(app, client, shop):
    """A form left after the check leaves its photos behind; the next kept batch of the shop sweeps them."""
    import os
    import time

    html, _r = _check_then_submit(client, files={"evidence": [(io.BytesIO(_jpeg()), "earbud.jpg")]})
    # The first consumer never submits: a second browser stands in for the next one.
    abandoned = app.test_client()
    page = abandoned.get("/voltmart/cases/new").get_data(as_text=True)
    html_forms.submit(
        abandoned,
        "/voltmart/cases/new",
        page,
        fill=_typed(),
        button=("action", "check"),
        files={"evidence": [(io.BytesIO(_jpeg()), "left.jpg")]},
    )
    pending = Path(app.config["UPLOAD_DIR"]) / "pending" / str(shop["tenant_id"])
    (old,) = [d for d in pending.iterdir() if d.is_dir()]
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    fresh = app.test_client()
    page = fresh.get("/voltmart/cases/new").get_data(as_text=True)
    html_forms.submit(
        fresh,
        "/voltmart/cases/new",
        page,
        fill=_typed(),
        button=("action", "check"),
        files={"evidence": [(io.BytesIO(_jpeg()), "new.jpg")]},
    )
    assert not old.exists() and len([d for d in pending.iterdir() if d.is_dir()]) == 1
