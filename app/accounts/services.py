"""Registering, signing in, password resets and staff roles: the accounts' rules."""
from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import Role, User
from app.db import utcnow

MIN_PASSWORD_LENGTH = 10
RESET_TOKEN_MAX_AGE_SECONDS = 60 * 60
# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """An accounts rule was broken; the message is safe to show (it never says who has an account)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(session: Session, *, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def load_user(session: Session, *, user_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so old sessions stop working."""
    try:
        raw_id, raw_version = user_id.split(":")
        user = session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != raw_version:
        return None
    return user


def _check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")


def register(session: Session, *, email: str, password: str, name: str = "", role: Role = Role.customer) -> User:
    _check_password_rules(password)
    email = normalise_email(email)
    if find_user(session, email=email) is not None:
        raise AccountError("We couldn't create an account with those details. If you already have one, sign in "
                           "or reset your password.")
    user = User(email=email, name=name.strip(), password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def start_registration(session: Session, *, email: str, name: str = "") -> tuple[User, bool]:
    """The account for EMAIL, created without a usable password if new; True if it was created.

    The caller emails a link either way (choose a password, or: you already have an account),
    and shows the same page either way, so the form never tells who is a customer here.
    """
    user = find_user(session, email=email)
    if user is not None:
        return user, False
    # No password to hash yet: hashing a random one took 100 ms an existing email did not, which
    # told who has an account. Without a "$" no password matches it (check_password_hash).
    user = User(email=normalise_email(email), name=name.strip(), role=Role.customer,
                password_hash=f"unset!{secrets.token_urlsafe(32)}")
    session.add(user)
    session.flush()
    return user, True


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The user for these credentials; one generic error whatever was wrong."""
    user = find_user(session, email=email)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.is_active:
        raise AccountError("That email and password don't match an account.")
    user.last_sign_in_at = utcnow()
    session.flush()
    return user


def end_sessions(session: Session, *, user_id: int) -> None:
    """Sign the account out everywhere: every session and remember-me cookie carries the
    version it was signed in with (User.get_id), which stops matching. In SQL, so two at once
    both count."""
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def set_password(session: Session, *, user: User, password: str) -> None:
    _check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    user.session_version += 1
    session.flush()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user: User) -> str:
    # The hash fragment ties the token to the current password: once it changes, the token is spent.
    return _reset_serializer().dumps({"user": user.id, "hash": user.password_hash[-16:]})


def stand_in_reset_token() -> str:
    """A token for no account, made as a real one is: for the same work whatever the email."""
    return _reset_serializer().dumps({"user": 0, "hash": _DUMMY_HASH[-16:]})


def user_for_reset_token(session: Session, *, token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=RESET_TOKEN_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise AccountError("This reset link has expired. Please ask for a new one.") from None
    except BadSignature:
        raise AccountError("This reset link is not valid. Please ask for a new one.") from None
    user = session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or user.password_hash[-16:] != data.get("hash") or not user.is_active:
        raise AccountError("This reset link has already been used. Please ask for a new one.")
    return user


def create_or_promote_admin(session: Session, *, email: str, password: str | None) -> tuple[User, bool]:
    """Make EMAIL an admin, creating the account if needed; True if it was created."""
    user = find_user(session, email=email)
    if user is None:
        if not password:
            raise AccountError("A new admin needs a password.")
        return register(session, email=email, password=password, role=Role.admin), True
    user.role = Role.admin
    if password:
        set_password(session, user=user, password=password)
    session.flush()
    return user, False


def staff_members(session: Session, *, roles: tuple[Role, ...] | None = None) -> list[User]:
    """Staff accounts, optionally only those with one of the given roles."""
    query = select(User).where(User.role != Role.customer).order_by(User.email)
    if roles:
        query = query.where(User.role.in_(roles))
    return list(session.scalars(query))
