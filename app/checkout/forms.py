"""The checkout form: shipping choice and an email for the receipt."""
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField
from wtforms.validators import DataRequired, Email, Length, Optional


class CheckoutForm(FlaskForm):
    shipping = RadioField("Shipping", validators=[DataRequired("Please choose a shipping option.")])
    email = EmailField("Email for your receipt", validators=[Optional(), Email("Enter a valid email address."),
                                                             Length(max=255)])


class PaymentActionForm(FlaskForm):
    """A button about the payment in progress (check it, cancel it): only its CSRF token to check."""
