"""One rule for mobiles (saas.phones) and one for e-mail addresses (saas.email_addresses), asked by every
entry point: the same input gets the same answer from the case form, the intake service, complaints, the
orders import, staff and supervisor accounts and the SMS providers."""

from __future__ import annotations

import csv
import io
import string
from datetime import date

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from saas.email_addresses import account_email, email_matches, normalise_email
from saas.extensions import db
from saas.forms import ContactFields, contact_fields
from saas.phones import e164, last4_matches, mainland_mobile, service_phone
from saas.services import accounts, case_intake, cases, complaints, order_import, orders, supervision
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.factories import make_shop_with_policy
from workers.providers.base import Permanent
from workers.providers.phone import to_e164

FULL_WIDTH = str.maketrans(string.digits + "+", "０１２３４５６７８９＋")

MOBILES = [
    # accepted, all as 13812345678
    "13812345678",
    "１３８１２３４５６７８",
    " 138 1234 5678 ",
    "+86 138-1234-5678",
    "0086 13812345678",
    "8613812345678",
    "(+86) 138.1234.5678",
    "＋８６　１３８ １２３４ ５６７８",
    "（+86）138-1234-5678",
    # refused
    "",
    "14012345678",
    "12812345678",
    "1381234567",
    "138123456789",
    "010-62345678",
    "+85291234567",
    "+1 415 555 0100",
    "13812345678\x00",
    "\x0013812345678",
    "1381234567a",
    "\u200b13812345678",
    "٢٣٨١٢٣٤٥٦٧٨",
    "+85 13812345678",
    "+86 138 1234 5678 ext 1",
    "1" * 10_000,
    "1" * 65,
    "１３８-" * 30,
]
EMAILS = [
    "alice@example.com",
    "  Alice@Example.COM ",
    "bob＠qq．com",
    "用户@例子.中国",
    "x@münchen.de",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "alice@localhost",
    "a b@x.com",
    "a@b@c.com",
    "a@x..com",
    "alice",
    "a@b.c\x00",
    "a\x00b@example.com",
    "a" * 300 + "@example.com",
    "",
]


@pytest.fixture
def shop(app):
    with app.app_context():
        tenant = make_shop_with_policy("shop-a", users=[("owner", "owner@a.example.com")])
        db.session.commit()
        with tenant_context(tenant.id), app.test_request_context("/"):
            yield db.session.get(Tenant, tenant.id)
            db.session.rollback()


class _ContactForm(ContactFields, FlaskForm):
    class Meta:
        csrf = False

    mobile, email = contact_fields()


def _form(mobile: str = "", email: str = "") -> bool:
    form = _ContactForm(formdata=MultiDict({"mobile": mobile, "email": email}))
    ok = form.validate()
    return ok or not (form.mobile.errors if mobile else form.email.errors)


def _intake(tenant: Tenant, mobile: str = "", email: str = "", want: str = "mobile") -> str | None:
    """What the case stores, or None when file_case refuses; nothing kept either way."""
    intake = case_intake.Intake(
        order_number="N-1",
        customer_name="陈静",
        mobile=mobile,
        email=email,
        purchase_channel="jd",
        problem_type="quality",
        description="外壳破裂",
        expected_resolution="exchange",
        purchase_date=date(2026, 2, 20),
        delivery_date=date(2026, 2, 22),
        category="electronics",
    )
    try:
        case = case_intake.file_case(tenant, intake)
    except cases.CaseError as exc:
        assert exc.code in ("mobile", "email", "contact") and exc.message
        return None
    finally:
        db.session.rollback()
    return case.mobile if want == "mobile" else case.email


def _complaint(tenant: Tenant, mobile: str = "", email: str = "", want: str = "mobile") -> str | None:
    try:
        complaint = complaints.submit(tenant, text="客服三天没有回复", mobile=mobile, email=email)
    except complaints.ComplaintError as exc:
        assert exc.code in ("mobile", "email", "contact")
        return None
    finally:
        db.session.rollback()
    return complaint.contact_mobile if want == "mobile" else complaint.contact_email


def _import(tenant: Tenant, mobile: str = "", email: str = "", want: str = "mobile") -> str | None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(
        [
            "order_number",
            "channel",
            "purchase_date",
            "delivery_date",
            "customer_name",
            "mobile",
            "email",
            "sku",
            "name",
            "category",
            "quantity",
            "unit_price",
        ]
    )
    writer.writerow(
        [
            "T1",
            "taobao",
            "2026-01-05",
            "2026-01-07",
            "张三",
            mobile,
            email,
            "KW-1",
            "T恤",
            "childrens_clothing",
            "1",
            "9.90",
        ]
    )
    try:
        result = order_import.import_orders_csv(tenant, None, out.getvalue().encode("utf-8"))
        if not result.ok:
            return None
        order = db.session.scalar(db.select(orders.Order).where(orders.Order.tenant_id == tenant.id))
        return order.mobile if want == "mobile" else order.email
    finally:
        db.session.rollback()


def _sms(tenant: Tenant, mobile: str) -> str | None:
    try:
        number = to_e164(mobile)
    except Permanent:
        return None
    return number[3:] if number.startswith("+86") else None  # a foreign number is not a mainland mobile


def _staff(tenant: Tenant, email: str) -> str | None:
    try:
        user = accounts.create_staff(
            tenant, None, email=email, name="新人", role="agent", password="correct horse battery"
        )
    except accounts.AccountError:
        return None
    finally:
        db.session.rollback()
    return user.email


def _supervisor(tenant: Tenant, email: str) -> str | None:
    try:
        user = supervision.create_supervisor(None, name="督导", email=email, password="correct horse battery")
    except supervision.SupervisionError as exc:
        assert "email" in exc.errors
        return None
    finally:
        db.session.rollback()
    return user.email


MOBILE_ENTRIES = {
    "form": lambda tenant, raw: mainland_mobile(raw) if _form(mobile=raw) else None,
    "intake": lambda tenant, raw: _intake(tenant, mobile=raw, email="" if raw.strip() else "x@example.com"),
    "complaint": lambda tenant, raw: _complaint(tenant, mobile=raw, email="" if raw.strip() else "x@example.com"),
    "import": lambda tenant, raw: _import(tenant, mobile=raw, email="" if raw.strip() else "x@example.com"),
    "sms": _sms,
}
EMAIL_ENTRIES = {
    "form": lambda tenant, raw: normalise_email(raw) if _form(email=raw) else None,
    "intake": lambda tenant, raw: _intake(tenant, email=raw, mobile="" if raw.strip() else "13812345678", want="email"),
    "complaint": lambda tenant, raw: _complaint(
        tenant, email=raw, mobile="" if raw.strip() else "13812345678", want="email"
    ),
    "import": lambda tenant, raw: _import(tenant, email=raw, mobile="" if raw.strip() else "13812345678", want="email"),
}
ACCOUNT_ENTRIES = {"staff": _staff, "supervisor": _supervisor}


@pytest.mark.parametrize("entry", MOBILE_ENTRIES)
def test_every_entry_point_gives_the_rules_answer_for_a_mobile(shop, entry):
    answers = {raw: MOBILE_ENTRIES[entry](shop, raw) for raw in MOBILES}
    expected = {raw: mainland_mobile(raw) for raw in MOBILES}
    if entry in ("intake", "complaint", "import"):  # blank: the e-mail given instead is used, no mobile stored
        expected[""] = ""
    assert answers == expected
    assert sum(v == "13812345678" for v in answers.values()) == 9


@pytest.mark.parametrize("entry", EMAIL_ENTRIES)
def test_every_entry_point_gives_the_rules_answer_for_an_email(shop, entry):
    answers = {raw: EMAIL_ENTRIES[entry](shop, raw) for raw in EMAILS}
    expected = {raw: normalise_email(raw) for raw in EMAILS}
    if entry in ("intake", "complaint", "import"):
        expected[""] = ""
    assert answers == expected
    assert answers["a..b@example.com"] is None
    assert answers["bob＠qq．com"] == "bob@qq.com" and answers["用户@例子.中国"] == "用户@例子.中国"


@pytest.mark.parametrize("entry", ACCOUNT_ENTRIES)
def test_accounts_take_the_same_addresses_in_lower_case(shop, entry):
    for raw in EMAILS:
        expected = normalise_email(raw)
        assert ACCOUNT_ENTRIES[entry](shop, raw) == (expected.lower() if expected else None), raw


def test_the_rule_itself():
    assert mainland_mobile("１３８１２３４５６７８") == "13812345678"
    assert mainland_mobile("14012345678") is None  # an unassigned prefix: phonenumbers knows
    assert e164("+1 (500) 555-0006") == "+15005550006" and e164("0086 138 1234 5678") == "+8613812345678"
    assert e164("010-62345678") is None and e164("5005550006") is None
    assert normalise_email("  Alice@Example.COM ") == "Alice@example.com"
    assert account_email(" Alice＠Example.COM") == "alice@example.com"
    assert email_matches("alice@example.com", " ALICE@Example.com")
    assert not email_matches("alice@example.com", "alice@example.org") and not email_matches(None, "a@b.com")
    for ok in ("400-800-1234", "010-8888 6666", "13812345678", "95588", "+852 2123 4567"):
        assert service_phone(ok), ok
    for bad in ("call me", "12", "110", "0755-1", "4008001234\x00", "1" * 100):
        assert not service_phone(bad), bad


def test_last4():
    assert last4_matches("13812345678", "5678") and last4_matches("13812345678", "５６７８")
    assert last4_matches("+86 138 1234 5678", " 5678 ")
    for bad in ("5679", "678", "45678", "abcd", "\x00\x00\x00\x00", "５６７８\x00", "5" * 10_000):
        assert not last4_matches("13812345678", bad), bad
    assert not last4_matches(None, "0000") and not last4_matches("", "\x00\x00\x00\x00")


# ---------- properties -------------------------------------------------------

PREFIXES = ["133", "138", "150", "166", "177", "186", "199"]
SEPARATORS = st.sampled_from(["", " ", "-", "　", ".", "‐"])


@st.composite
def written_mobiles(draw) -> tuple[str, str]:
    """(how a person might type it, the 11 digits)."""
    digits = draw(st.sampled_from(PREFIXES)) + draw(st.text("0123456789", min_size=8, max_size=8))
    sep = draw(SEPARATORS)
    text = sep.join([digits[:3], digits[3:7], digits[7:]])
    text = draw(st.sampled_from(["", "+86 ", "0086", "86", "+86-", "(+86)"])) + text
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " "])) + text, digits


@settings(max_examples=300, deadline=None)
@given(written_mobiles())
def test_any_way_of_writing_a_mobile_gives_its_digits(case):
    text, digits = case
    assert mainland_mobile(text) == digits
    assert e164(text) == "+86" + digits
    assert last4_matches(text, digits[-4:].translate(FULL_WIDTH))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789１３８+ -\x00\u200b٣", max_size=30),
        st.builds(lambda s: s * 500, st.text(max_size=5)),
    )
)
def test_pure_entry_points_agree_on_any_text(app, text):
    """The form, the SMS providers and the rule: the same answer for any string, however odd."""
    expected = mainland_mobile(text)
    assert expected is None or (len(expected) == 11 and expected.isascii() and expected.isdigit())
    with app.test_request_context("/"):
        assert (mainland_mobile(text) if _form(mobile=text) else None) == (expected if text.strip() else None)
        email = normalise_email(text)
        assert (normalise_email(text) if _form(email=text) else None) == (email if text.strip() else None)
    try:
        sms = to_e164(text)
    except Permanent:
        sms = None
    assert (sms[3:] if sms and sms.startswith("+86") else None) == expected
    assert email is None or ("@" in email and ".." not in email.partition("@")[0])


@pytest.mark.parametrize(
    "written",
    ["13812345678", "１３８１２３４５６７８", "+86 138-1234-5678", "１３８ １２３４ ５６７８", "0086 138 1234 5678"],
)
def test_free_text_anonymisation_finds_a_mobile_however_written(written):
    """Retention scrubs free text with the masking rule, which folds full-width digits (its own regex did not)."""
    from saas.masking import mask_text
    from saas.services.retention import scrub

    text = f"请打我电话{written}，谢谢"
    scrubbed = scrub(text, [])
    assert scrubbed == mask_text(text) and scrubbed.startswith("请打我电话") and scrubbed.endswith("，谢谢")
    assert not any(tail in scrubbed for tail in ("5678", "５６７８", "1234", "１２３４"))
