"""`flask operator create`: the first operator of an installation, with a password typed at a prompt."""

from __future__ import annotations

from sqlalchemy import func, select

from saas.extensions import db
from saas.models.user import User
from tests.factories import login, make_tenant, make_user

STRONG = "violet-harbour-tractor-glimmer"


def run(app, *args, input: str | None = None):
    return app.test_cli_runner().invoke(args=["operator", "create", *args], input=input)


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).order_by(User.id)))


def test_creates_an_operator_who_can_sign_in_to_the_admin_pages(app, client):
    result = run(app, "--email", "Ops@Example.COM", input=f"{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert "Platform operator ops@example.com created" in result.output
    assert STRONG not in result.output  # typed at a hidden prompt, never echoed
    [user] = users(app)
    assert (user.email, user.role, user.tenant_id, user.is_enabled) == ("ops@example.com", "operator", None, True)
    assert user.password_hash.startswith("$argon2id$")

    response = login(client, "ops@example.com", STRONG)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_email_is_asked_for_when_not_given_and_a_mistyped_confirmation_is_asked_again(app):
    result = run(app, input=f"first@example.com\n{STRONG}\ntypo\n{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert [u.email for u in users(app)] == ["first@example.com"]


def test_weak_passwords_are_refused_and_nothing_is_created(app):
    from saas.demo.seed import DEMO_PASSWORD

    weak = ["short-pw", "password1234", DEMO_PASSWORD, "boss@example.com1", "aaaaaaaaaaaaaaaa", f" {STRONG}"]
    for password in weak:
        result = run(app, "--email", "boss@example.com", input=f"{password}\n{password}\n" * 3)
        assert result.exit_code == 1, (password, result.output)
        assert "too weak" in result.output, password
        assert "No operator was created" in result.output
    assert users(app) == []


def test_a_weak_first_try_may_be_followed_by_a_strong_one(app):
    result = run(app, "--email", "boss@example.com", input=f"password1234\npassword1234\n{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert "too weak" in result.output
    assert [u.email for u in users(app)] == ["boss@example.com"]


def test_running_it_again_changes_nothing(app, client):
    assert run(app, "--email", "ops@example.com", input=f"{STRONG}\n{STRONG}\n").exit_code == 0
    [before] = users(app)

    again = run(app, "--email", "OPS@example.com", input="another-password-entirely\n" * 2)

    assert again.exit_code == 0, again.output
    assert "already a platform operator; nothing changed" in again.output
    [after] = users(app)
    assert (after.id, after.password_hash) == (before.id, before.password_hash)
    assert login(client, "ops@example.com", STRONG).status_code == 302


def test_an_address_that_belongs_to_a_merchants_staff_is_not_turned_into_an_operator(app):
    with app.app_context():
        make_user(make_tenant("shop-a"), "agent", "agent@a.example.com")
        db.session.commit()

    result = run(app, "--email", "agent@a.example.com", input=f"{STRONG}\n{STRONG}\n")

    assert result.exit_code == 1
    assert "already has an account (agent); nothing changed" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.role == "operator")) == 0


def test_an_invalid_address_is_refused_before_any_password_is_asked(app):
    result = run(app, "--email", "not an address", input=f"{STRONG}\n{STRONG}\n")

    assert result.exit_code == 2
    assert "Invalid value" in result.output and "Password" not in result.output
    assert users(app) == []
