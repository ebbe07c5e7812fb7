"""`flask operator create`: the first platform operator of a new installation, password typed at a prompt."""

from __future__ import annotations

import click
from flask.cli import AppGroup

operator_cli = AppGroup("operator", help="Platform operator accounts.")

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 0 (guessable) … 4; 3 is "safely unguessable" against an offline attack with a slow hash


def password_problem(password: str, *, email: str, name: str) -> str | None:
    """Why this password is too weak for an operator, or None.

    zxcvbn estimates guesses from dictionaries, keyboard patterns, dates and repeats; the account's
    own e-mail and name, the product's words and the published demo password count as known words.
    """
    from zxcvbn import zxcvbn

    from saas.demo.seed import DEMO_PASSWORD

    if password != password.strip():
        return "it starts or ends with a space"
    if len(password) < MIN_LENGTH:
        return f"it has fewer than {MIN_LENGTH} characters"
    if password == DEMO_PASSWORD:
        return "it is the published demo password"
    local = email.split("@", 1)[0]
    known = [email, local, name, DEMO_PASSWORD, "aftersales", "operator", "admin", "platform", "售后"]
    result = zxcvbn(password[:100], user_inputs=[w for w in known if w])
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or " ".join(result["feedback"].get("suggestions") or [])
        return "it is easy to guess" + (f" ({hint.rstrip('.')})" if hint else "")
    return None


def _valid_email(value: str) -> str:
    from saas.email_addresses import account_email, normalise_email

    if normalise_email(value) is None:
        raise click.BadParameter("not a valid e-mail address")
    return account_email(value)


@operator_cli.command("create")
@click.option("--email", prompt="E-mail", help="The operator's sign-in address.")
@click.option("--name", default="平台运营", show_default=True, help="The name shown in the admin pages.")
def create(email: str, name: str) -> None:
    """Create a platform operator (signs in at /login, works at /admin/).

    The password is asked for twice at a prompt (never an option: it would stay in the shell's
    history and the process list). Running it again for the same address changes nothing.
    """
    from sqlalchemy import select

    from saas.extensions import db
    from saas.models.user import User

    email = _valid_email(email)
    name = name.strip()
    if not name or len(name) > 80:
        raise click.BadParameter("give a name of 1 to 80 characters", param_hint="--name")
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        if existing.role == "operator":
            click.echo(f"{email} is already a platform operator; nothing changed.")
            return
        click.echo(
            f"{email} already has an account ({existing.role}); nothing changed. "
            "Choose another address for the operator.",
            err=True,
        )
        raise click.exceptions.Exit(1)

    for _attempt in range(3):
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
        problem = password_problem(password, email=email, name=name)
        if problem is None:
            break
        click.echo(
            f"That password is too weak: {problem}. Use {MIN_LENGTH} or more characters, "
            "e.g. four or five unrelated words.",
            err=True,
        )
    else:
        click.echo("No operator was created.", err=True)
        raise click.exceptions.Exit(1)

    user = User(tenant_id=None, role="operator", email=email, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Platform operator {email} created: sign in at /login, then open /admin/.")
