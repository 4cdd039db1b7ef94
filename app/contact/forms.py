"""The contact form. `website` is a honeypot: hidden from people, filled in by bots."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.contact.models import ReportKind


class ContactForm(FlaskForm):
    kind = RadioField("What is this about?", default=ReportKind.question.value, choices=[
        SelectChoice(ReportKind.question.value, "A question or comment"),
        SelectChoice(ReportKind.reaction.value, "Report a reaction to a product"),
    ], validators=[DataRequired("Choose what this is about.")])
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Email("Enter a valid email."),
                                            Length(max=255)])
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=40)])
    product = SelectField("Product (for a reaction)", coerce=int, validators=[Optional()])
    batch_number = StringField("Batch number, if you have it (printed on the jar or stick)",
                               validators=[Optional(), Length(max=60)])
    message = TextAreaField("What happened, or your message", validators=[
        DataRequired("Tell us what happened."), Length(min=10, max=5000, message="Write at least 10 characters.")])
    consent = BooleanField("You may contact me about this message or report")
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)])
