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
        """A code a carrier accepts for the country, kept in its usual form (04101-1234, K1A 0B1)."""
        rule = POSTAL_CODES.get(self.country.data)
        if rule is None:
            return
        pattern, written_as, description = rule
        match = pattern.fullmatch(field.data.strip().upper())
        if match is None:
            raise ValidationError(f"Enter a {description}.")
        field.data = written_as(match)


# What a carrier accepts for each country we ship to (app.orders.shipping.COUNTRIES): the pattern,
# the code as it is written on a label, and what to ask for.
POSTAL_CODES = {
    "US": (re.compile(r"(\d{5})(?:[- ]?(\d{4}))?"),
           lambda match: "-".join(part for part in match.groups() if part), "5-digit ZIP code (or ZIP+4)"),
    "CA": (re.compile(r"([A-Z]\d[A-Z]) ?(\d[A-Z]\d)"),
           lambda match: " ".join(match.groups()), "postal code such as K1A 0B1"),
}
