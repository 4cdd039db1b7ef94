"""`flask create-admin` and the demo staff printed by `flask seed-demo` in development."""
from sqlalchemy import select

from app.accounts.models import Role, User
from tests.conftest import sign_in_as


def test_create_admin_creates_then_promotes(app, session, shopper_account):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "owner@tidewater.example"], input="owner-password-1\nowner-password-1\n")
    assert result.exit_code == 0, result.output
    assert "Created admin owner@tidewater.example" in result.output
    owner = session.scalars(select(User).where(User.email == "owner@tidewater.example")).one()
    assert owner.role is Role.admin
    assert sign_in_as(app.test_client(), "owner@tidewater.example", "owner-password-1").status_code == 303

    result = runner.invoke(args=["create-admin", shopper_account[0]])
    assert "Promoted admin" in result.output
    assert session.scalars(select(User).where(User.email == shopper_account[0])).one().role is Role.admin


def test_create_admin_reads_the_password_from_the_environment(app, session):
    result = app.test_cli_runner().invoke(args=["create-admin", "ops@tidewater.example"],
                                          env={"ADMIN_PASSWORD": "ops-password-123"})
    assert result.exit_code == 0, result.output
    assert sign_in_as(app.test_client(), "ops@tidewater.example", "ops-password-123").status_code == 303


def test_create_admin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "weak@tidewater.example"],
                                          env={"ADMIN_PASSWORD": "short"})
    assert result.exit_code != 0 and "at least 10 characters" in result.output


def test_seed_demo_prints_demo_sign_ins_only_in_development(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "already has products" in result.output
    assert "demo-admin-pass" not in result.output  # only the development config shows them
    app.config["SHOW_DEMO_SIGN_INS"] = True
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "admin@tidewater.example  password: demo-admin-pass" in result.output
