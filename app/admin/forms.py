"""Staff forms. Shape checks only; each action's rules live in its package's services."""
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, HiddenField, IntegerField, PasswordField,
                     RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField,
                     ValidationError)
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, Optional, Regexp

from app.accounts.models import Role
from app.catalog.models import StockReason
from app.discounts.models import CODE_LENGTH, DiscountKind
from app.forms import WholeNumberRange
from app.inputs import DATABASE_INT_MAX
from app.orders.carriers import CARRIERS, OTHER, TRACKING_NUMBER_MAX
from app.orders.models import OrderStatus

CONFIRM = "Tick the box to confirm."
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def date_in_range(form, field) -> None:
    """A search needs no more; the day after 9999-12-31, which a date_to search asks for, is
    past what Python can count."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Enter a date between {FIRST_DAY} and {LAST_DAY}.")
STAFF_ADJUSTMENTS = (StockReason.received, StockReason.damaged, StockReason.correction, StockReason.returned)


class OrderFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    status = SelectField("Status", choices=[SelectChoice("", "Any status"), SelectChoice("needs_review", "Needs review")]
                         + [SelectChoice(status.value, status.label) for status in OrderStatus], validators=[Optional()])
    date_from = DateField("From", validators=[Optional(), date_in_range])
    date_to = DateField("To", validators=[Optional(), date_in_range])
    q = StringField("Order number or email", validators=[Optional(), Length(max=255)])
    abandoned = BooleanField("Show abandoned checkouts")


class CustomerSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("Email, or its start", validators=[Optional(), Length(max=255)])


class ShipForm(FlaskForm):
    carrier = SelectField("Carrier", choices=[SelectChoice(name, name) for name in CARRIERS]
                          + [SelectChoice(OTHER, "Other (type its name)")],
                          validators=[DataRequired("Choose the carrier.")])
    other_carrier = StringField("Other carrier's name", validators=[Optional(), Length(max=60)])
    tracking_number = StringField("Tracking number", validators=[DataRequired("Enter the tracking number."),
                                                                 Length(max=TRACKING_NUMBER_MAX, message=(
        f"A tracking number has at most {TRACKING_NUMBER_MAX} characters."))])
    confirm_shipped = BooleanField("The parcel has left: email the shopper", validators=[DataRequired(CONFIRM)])

    def carrier_name(self) -> str:
        """The listed carrier's name, or the one typed for "Other" ('' if none was: orders.ship refuses it)."""
        return self.other_carrier.data or "" if self.carrier.data == OTHER else self.carrier.data


def lot_numbers(form_data, lines) -> dict[int, str]:
    """Each shipped line's lot number, from the fields lot-<line id> (orders.ship checks them)."""
    return {line.id: form_data.get(f"lot-{line.id}", "") for line in lines}


class RefundForm(FlaskForm):
    amount = StringField("Amount to refund", validators=[DataRequired("Enter an amount."), Length(max=20)])
    # A fresh key each time the form is shown: sending the same form twice refunds once.
    request_key = HiddenField(validators=[DataRequired("Reload the page and try again."), Length(max=64)])
    confirm_refund = BooleanField("Refund this amount to the shopper's card", validators=[DataRequired(CONFIRM)])


class CancelForm(FlaskForm):
    confirm_cancel = BooleanField("Cancel this order (a paid order is refunded in full)",
                                  validators=[DataRequired(CONFIRM)])


class HeldPaymentForm(FlaskForm):
    decision = RadioField("Resolve the held payment", choices=[
        SelectChoice("accept", "Accept it: the order goes ahead (its stock is reserved again if it was released)"),
        SelectChoice("refund", "Refund it in full and close the order"),
    ], validators=[DataRequired("Choose to accept or refund the payment.")])


class ReviewForm(FlaskForm):
    decision = TextAreaField("What you found and decided", validators=[
        DataRequired("Say what you found and decided."), Length(max=2000)])


class NoteForm(FlaskForm):
    text = TextAreaField("Internal note", validators=[DataRequired("Write a note first."), Length(max=2000)])


class StockAdjustForm(FlaskForm):
    change = IntegerField("Change (+ adds, − removes)", validators=[
        InputRequired("Enter how many units to add or remove."),
        WholeNumberRange(min=-10000, max=10000, message="Enter a change between −10,000 and 10,000.")])
    reason = SelectField("Reason", choices=[SelectChoice(reason.value, reason.value.capitalize()) for reason in STAFF_ADJUSTMENTS])
    note = StringField("Note", validators=[Length(max=255)])


class ThresholdForm(FlaskForm):
    threshold = IntegerField("Low-stock threshold", validators=[
        InputRequired("Enter a threshold."), WholeNumberRange(min=0, max=10000, message="Enter 0 to 10,000.")])


SLUG = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message="Use lower-case letters, numbers and hyphens.")


class ProductCopyFields(FlaskForm):
    """The copy a shopper reads: edited here by admins, and as drafts in the studio (app.admin.studio)."""

    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=160)])
    slug = StringField("Web address (slug)", validators=[DataRequired("Enter a slug."), Length(max=120), SLUG])
    summary = StringField("Summary", validators=[Length(max=300)])
    description = TextAreaField("Description (Markdown)", validators=[Length(max=20000)])
    ingredients = TextAreaField("Ingredients (INCI, comma-separated)", validators=[Length(max=5000)])
    directions = TextAreaField("How to use (Markdown)", validators=[Length(max=5000)])
    warnings = TextAreaField("Warnings (Markdown)", validators=[Length(max=5000)])
    seo_title = StringField("SEO title", validators=[Length(max=70)])
    seo_description = StringField("SEO description", validators=[Length(max=170)])


class ProductForm(ProductCopyFields):
    position = IntegerField("Position", default=0, validators=[InputRequired(), WholeNumberRange(min=0, max=10000)])
    is_active = BooleanField("Active (shown in the shop)")
    is_featured = BooleanField("Featured on the home page")


class VariantForm(FlaskForm):
    sku = StringField("SKU", validators=[DataRequired("Enter a SKU."), Length(max=64),
                                         Regexp(r"^[A-Z0-9-]+$", message="Use capitals, numbers and hyphens.")])
    size = StringField("Size", validators=[DataRequired("Enter a size."), Length(max=40)])
    scent = StringField("Scent", validators=[DataRequired("Enter a scent."), Length(max=60)])
    price = StringField("Price", validators=[DataRequired("Enter a price."), Length(max=20)])
    compare_at = StringField("Compare-at price (optional)", validators=[Length(max=20)])
    weight_grams = IntegerField("Weight (g)", default=0, validators=[InputRequired(), WholeNumberRange(min=0, max=100000)])
    position = IntegerField("Position", default=0, validators=[InputRequired(), WholeNumberRange(min=0, max=10000)])
    is_active = BooleanField("Active")


class ImageForm(FlaskForm):
    # The extension only guides the file picker: app.catalog.images decodes every upload.
    image = FileField("Image (PNG, JPEG or WebP, up to 10 MB)", validators=[
        FileRequired("Choose an image."), FileAllowed(["png", "jpg", "jpeg", "webp"], "PNG, JPEG or WebP only.")])
    alt = StringField("Alt text (describe the picture)", validators=[DataRequired("Describe the image."),
                                                                     Length(max=255)])


class ImageDetailsForm(FlaskForm):
    alt = StringField("Alt text", validators=[DataRequired("Describe the image."), Length(max=255)])
    is_social = BooleanField("Show in link previews (Open Graph)")


class ImageMoveForm(FlaskForm):
    step = IntegerField("Move", validators=[InputRequired(), AnyOf([-1, 1], message="Move an image one place at a time.")])


class StaffForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email."), Email("Enter a valid email."),
                                            Length(max=255)])
    name = StringField("Name", validators=[Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(role.value, role.value.capitalize()) for role in Role])
    password = PasswordField("Password (new accounts, or to reset)", validators=[Optional(), Length(min=10, max=200)])
    is_active = BooleanField("Account active", default=True)


def staff_form(user) -> StaffForm:
    """The staff form filled in from USER (or for a new fulfilment member): the role as the
    select's value, a string, so the current role is the one selected and saving keeps it."""
    if user is None:
        return StaffForm(data={"role": Role.fulfilment.value, "is_active": True})
    return StaffForm(data={"email": user.email, "name": user.name, "role": user.role.value,
                           "is_active": user.is_active_account})


class SignOutEverywhereForm(FlaskForm):
    """A button: its CSRF token is the whole form."""


class AssignReportForm(FlaskForm):
    assignee = SelectField("Assign to", coerce=int)


class CloseReportForm(FlaskForm):
    resolution = TextAreaField("What was done", validators=[DataRequired("Say how it was resolved."),
                                                            Length(max=2000)])


class RetryJobForm(FlaskForm):
    """The "Retry" button of a failed job: its CSRF token is the whole form."""


def moment_in_range(form, field) -> None:
    if field.data is not None and not FIRST_DAY <= field.data.date() <= LAST_DAY:
        raise ValidationError(f"Enter a date between {FIRST_DAY} and {LAST_DAY}.")


def optional_limit(label: str) -> IntegerField:
    message = f"{label}: a whole number of 1 or more, or empty for no limit."
    return IntegerField(label, validators=[Optional(), WholeNumberRange(min=1, max=DATABASE_INT_MAX, message=message)])


class DiscountCodeStaffForm(FlaskForm):
    """A discount code's terms. Amounts are typed as money and parsed by the route (app.money)."""

    code = StringField("Code", validators=[DataRequired("Enter the code."), Length(max=CODE_LENGTH)])
    kind = RadioField("Kind", choices=[SelectChoice(kind.value, kind.label) for kind in DiscountKind],
                      validators=[DataRequired("Choose the kind of discount.")])
    percent_off = IntegerField("Percentage", validators=[
        Optional(), WholeNumberRange(min=1, max=100, message="Percentage off: a whole number from 1 to 100.")])
    amount_off = StringField("Amount", validators=[Optional(), Length(max=20)])
    min_subtotal = StringField("Minimum subtotal", validators=[Optional(), Length(max=20)])
    starts_at = DateTimeLocalField("Starts (shop time)", format="%Y-%m-%dT%H:%M", validators=[Optional(), moment_in_range])
    ends_at = DateTimeLocalField("Ends (shop time)", format="%Y-%m-%dT%H:%M", validators=[Optional(), moment_in_range])
    usage_limit = optional_limit("Uses in all")
    per_customer_limit = optional_limit("Uses per customer (email)")
    products = SelectMultipleField("Only these products", coerce=int, validate_choice=False)
    active = BooleanField("Active", default=True)
    note = StringField("Note for staff", validators=[Optional(), Length(max=255)])
