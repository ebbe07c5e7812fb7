"""Staff sign-in and sign-out, and the one-time sign-in link for an account under attack."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from saas.email_addresses import valid_email
from saas.extensions import db, limiter
from saas.models.user import User
from saas.services import accounts, audit, signin

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    """The session's user while its session version holds: sign-out, a new password or a
    disabled account raise the version and every earlier cookie stops here."""
    id_part, _, version = (user_id or "").partition(":")
    try:
        user = db.session.get(User, int(id_part))
    except (TypeError, ValueError):
        return None
    if user is None or not user.is_enabled or version != str(user.session_version or 0):
        return None
    return user


class LinkForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Please enter your email.")), valid_email, Length(max=254)],
    )


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Please enter your email.")), valid_email, Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please enter your password.")), Length(max=200)]
    )


def home_for(user: User) -> str:
    if user.is_staff and user.tenant is not None:
        return url_for("console.home", slug=user.tenant.slug)
    if user.role == "supervisor":
        return url_for("supervise.home")
    return url_for("admin.home")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_ip_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT_IP"]


def _account_ip_key() -> str:
    # Per (account, client address): one source guessing one account. Never per account alone,
    # which would let anyone lock its owner out.
    return f"login:{get_remote_address()}:{signin.account_key(request.form.get('email') or '')}"


_FAILED = "aftersales.login_failed"  # on the request, not g: tests may share one app context


def _failed(response) -> bool:
    return bool(request.environ.get(_FAILED))


def _start_session(user: User) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session at sign-in: no fixation
    if lang:
        session["lang"] = lang
    login_user(user)
    if user.tenant_id is not None:
        audit.record(user.tenant_id, user, "auth.login")
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_ip_limit, key_func=_account_ip_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        if signin.under_attack(form.email.data):
            # Password sign-in for this address is paused: the owner gets in by a link to their mailbox.
            return render_template("auth/login.html", form=form, paused=True, link_form=LinkForm(email=form.email.data))
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            request.environ[_FAILED] = True
            signin.record_failure(form.email.data, get_remote_address())
            # One message for an unknown account and a wrong password.
            form.password.errors.append(_("Email or password is incorrect."))
        else:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


def _link_ip_limit() -> str:
    return current_app.config["RATELIMIT_SIGNIN_LINK_IP"]


@bp.route("/login/link", methods=["GET", "POST"])
@limiter.limit(_link_ip_limit, methods=["POST"])
def request_link():
    """Ask for a one-time sign-in link; the same answer whether or not the address has an account."""
    form = LinkForm()
    if form.validate_on_submit():
        user = signin.link_recipient(form.email.data)
        if signin.may_send_link(form.email.data) and user is not None:
            _enqueue_link_mail(user)
        return render_template("auth/link_sent.html")
    return render_template("auth/link_request.html", form=form), 400 if form.errors else 200


def _enqueue_link_mail(user: User) -> None:
    from rq import Retry

    from saas.queues import get_queue

    minutes = signin.LINK_MAX_AGE // 60
    subject = _("Your sign-in link")
    # {link} is filled in by the worker, which signs the link when it sends it.
    body = (
        _("Open this link to sign in. It works once, within %(minutes)d minutes:", minutes=minutes)
        + "\n\n{link}\n\n"
        + _("If you did not ask for it, ignore this email: nobody can use it without your mailbox.")
    )
    get_queue("notifications").enqueue(
        "workers.jobs.send_signin_link",
        user.id,
        subject,
        body,
        secrets.token_hex(8),
        retry=Retry(max=2, interval=[10, 60]),
    )


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def use_link(token: str):
    """GET only shows a button (mail scanners open links); the POST spends the link and signs in."""
    if request.method == "GET":
        user = signin.user_for_link(token)
        if user is None:
            return render_template("auth/link_invalid.html"), 400
        return render_template("auth/link_confirm.html", form=FlaskForm(), email=user.email)
    form = FlaskForm()
    user = signin.use_link(token) if form.validate_on_submit() else None
    if user is None:
        db.session.rollback()
        return render_template("auth/link_invalid.html"), 400
    _start_session(user)
    return redirect(home_for(user))


@bp.post("/logout")
@login_required
def logout():
    current_user.end_sessions()  # every copy of this session's cookie stops working
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
