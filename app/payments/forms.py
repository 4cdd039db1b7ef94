"""The built-in test gateway's payment form (a stand-in for Stripe's hosted page)."""
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

ACTIONS = ("pay", "pay_later", "decline", "settle", "fail")


class TestPaymentForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email address."),
                                            Email("Enter a valid email address."), Length(max=255)])
    name = StringField("Full name", validators=[DataRequired("Enter the name for delivery."), Length(max=120)])
    line1 = StringField("Address", validators=[DataRequired("Enter a street address."), Length(max=200)])
    city = StringField("City", validators=[DataRequired("Enter a city."), Length(max=100)])
    state = StringField("State or province", validators=[Length(max=100)])
    postal_code = StringField("ZIP or postal code", validators=[DataRequired("Enter a postal code."), Length(max=20)])
    country = SelectField("Country", validators=[DataRequired()])  # choices: app.orders.shipping.COUNTRIES
    action = SelectField(choices=list(ACTIONS), validate_choice=True)
