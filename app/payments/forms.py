"""The built-in test gateway's payment form (a stand-in for Stripe's hosted page)."""
import re

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Email, Length, Optional

ACTIONS = ("pay", "pay_later", "decline", "settle", "fail")


class TestPaymentForm(FlaskForm):
    # autocomplete: browsers fill in a saved address, as on Stripe's page.
    email = EmailField("Email", validators=[DataRequired("Enter an email address."),
                                            Email("Enter a valid email address."), Length(max=255)],
                       render_kw={"autocomplete": "email"})
    name = StringField("Full name", validators=[DataRequired("Enter the name for delivery."), Length(max=120)],
                       render_kw={"autocomplete": "shipping name"})
    line1 = StringField("Address", validators=[DataRequired("Enter a street address."), Length(max=200)],
                        render_kw={"autocomplete": "shipping address-line1"})
    line2 = StringField("Apartment, suite, etc. (optional)", validators=[Optional(), Length(max=200)],
                        render_kw={"autocomplete": "shipping address-line2"})
    city = StringField("City", validators=[DataRequired("Enter a city."), Length(max=100)],
                       render_kw={"autocomplete": "shipping address-level2"})
    state = StringField("State or province", validators=[DataRequired("Enter a state or province."), Length(max=100)],
                        render_kw={"autocomplete": "shipping address-level1"})
    postal_code = StringField("ZIP or postal code", validators=[DataRequired("Enter a postal code."), Length(max=20)],
                              render_kw={"autocomplete": "shipping postal-code"})
    country = SelectField("Country", validators=[DataRequired()],  # choices: app.orders.shipping.COUNTRIES
                          render_kw={"autocomplete": "shipping country"})
    action = SelectField(choices=list(ACTIONS), validate_choice=True)

    def validate_postal_code(self, field) -> None:
        expected = POSTAL_CODES.get(self.country.data)
        if expected and not expected[0].fullmatch(field.data.strip()):
            raise ValidationError(f"Enter a {expected[1]}.")


# What a carrier accepts for each country we ship to (app.orders.shipping.COUNTRIES).
POSTAL_CODES = {
    "US": (re.compile(r"\d{5}(?:-\d{4})?"), "5-digit ZIP code (or ZIP+4)"),
    "CA": (re.compile(r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d"), "postal code such as K1A 0B1"),
}
