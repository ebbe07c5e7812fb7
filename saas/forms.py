"""Small helpers shared by the Flask-WTF forms."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import g
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from saas.email_addresses import valid_email
from saas.phones import MAX_INPUT, MOBILE_MESSAGE, mainland_mobile, service_phone
from tenants.clock import shop_today

YEAR = 366
# How far back a purchase, a delivery or a period under review may lie: older orders are out of any warranty.
PAST_YEARS = 20


class DateWithin:
    """WTForms validator: a date from `past_days` before today to `future_days` after it; blank passes.

    The bounds also go to the page as the date input's min and max, so a person cannot pick outside them.
    """

    def __init__(self, past_days: int, future_days: int = 0):
        self.past_days = past_days
        self.future_days = future_days

    def bounds(self) -> tuple[date, date]:
        today = shop_today(g.get("tenant"))  # the platform's outside a shop's pages
        return today - timedelta(days=self.past_days), today + timedelta(days=self.future_days)

    @property
    def field_flags(self) -> dict:
        earliest, latest = self.bounds()
        return {"min": earliest.isoformat(), "max": latest.isoformat()}

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        earliest, latest = self.bounds()
        if field.data > latest and self.future_days == 0:
            raise ValidationError(_l("The date cannot be in the future."))
        if not earliest <= field.data <= latest:
            raise ValidationError(
                _l(
                    "Please enter a date from %(earliest)s to %(latest)s.",
                    earliest=format_date(earliest, "medium"),
                    latest=format_date(latest, "medium"),
                )
            )


def in_the_past(years: int = PAST_YEARS) -> DateWithin:
    """A purchase, delivery or review-period date: today at the latest, `years` back at the earliest."""
    return DateWithin(past_days=years * YEAR)


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs, in WTForms 3.3's own type."""
    return [SelectChoice(value, label) for value, label in pairs]


class ContactFields:
    """A mobile and/or an email, at least one: the consumer forms' shared contact block.

    Mixed into a FlaskForm that declares `mobile` and `email` fields (see contact_fields()).
    """

    def validate_mobile(self, field):
        if (field.data or "").strip() and mainland_mobile(field.data) is None:
            raise ValidationError(MOBILE_MESSAGE)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Checked here, not per field: Optional() stops a blank field's own validators.
        if not (self.mobile.data or "").strip() and not (self.email.data or "").strip():
            self.email.errors = list(self.email.errors) + [_l("Please give a mobile number or an email address.")]
            ok = False
        return ok


def contact_fields() -> tuple[StringField, EmailField]:
    return (
        StringField(_l("Mobile number"), validators=[Optional(), Length(max=MAX_INPUT, message=MOBILE_MESSAGE)]),
        EmailField(_l("Email"), validators=[Optional(), valid_email, Length(max=254)]),
    )


COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")


def valid_colour(form, field) -> None:
    """WTForms validator: a colour as #rrggbb."""
    if not COLOUR_RE.fullmatch((field.data or "").strip()):
        raise ValidationError(_l("Please enter a colour as #rrggbb, for example #1f6feb."))


def valid_phone(form, field) -> None:
    """WTForms validator for a shop's phone (landline, mobile or 400 number); blank passes (use DataRequired)."""
    value = (field.data or "").strip()
    if value and not service_phone(value):
        raise ValidationError(
            _l(
                "Please enter a phone number: digits, with spaces, dashes or a leading + if you like, "
                "for example 400-800-1234 or 010-8888 6666."
            )
        )


class ShopProfileFields:
    """A shop's names, customer-service contacts and colour: the operator's new-shop form and the shop's own
    settings share them (mixed into a FlaskForm)."""

    name_zh = StringField(
        _l("Name (Chinese)"), validators=[DataRequired(_l("Please enter the Chinese name.")), Length(max=120)]
    )
    name_en = StringField(
        _l("Name (English)"), validators=[DataRequired(_l("Please enter the English name.")), Length(max=120)]
    )
    contact_phone = StringField(_l("Customer service phone"), validators=[Length(max=40), valid_phone])
    contact_email = EmailField(_l("Customer service email"), validators=[Optional(), valid_email, Length(max=254)])
    brand_colour = StringField(
        _l("Brand colour"),
        default="#1f6feb",
        validators=[DataRequired(_l("Please enter a colour.")), Length(max=7), valid_colour],
    )


class PlainForm(FlaskForm):
    """No fields: a page's buttons that post nothing but the CSRF token render it with `hidden_tag()`.

    CSRFProtect (saas.extensions.csrf) checks the token of every POST before any view runs, so a view
    need not validate this form; fields a view reads belong in a form of their own.
    """
