"""Sign-in, registration and password forms: shape checks only; the rules are in services.py."""
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.accounts.services import MIN_PASSWORD_LENGTH
from app.orders.models import Order
from app.orders.status_link import status_token

EMAIL_CHECKS = [DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=255)]
NEW_PASSWORD_CHECKS = [
    DataRequired("Choose a password."),
    Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."),
]


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL_CHECKS)
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=120)])
    email = EmailField("Email", validators=EMAIL_CHECKS)


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL_CHECKS)


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=NEW_PASSWORD_CHECKS)
    confirm = PasswordField("Repeat new password", validators=[EqualTo("password", "The passwords don't match.")])


class AccountFromOrderForm(FlaskForm):
    """One tap on an order's confirmation: the order's signed status token says whose email it is."""
    token = HiddenField(validators=[DataRequired(), Length(max=200)])


def account_offer(order: Order) -> AccountFromOrderForm | None:
    """The one-tap form for a paid guest order's pages, or None where it makes no sense (the order
    is an account's, has no email, or someone is signed in)."""
    if order.user_id is not None or not order.email or order.paid_at is None or current_user.is_authenticated:
        return None
    return AccountFromOrderForm(token=status_token(order))
