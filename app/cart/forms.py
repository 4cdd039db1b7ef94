"""Cart forms: they check the shape of input; the cart's rules live in services.py."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.cart.services import MAX_QUANTITY_PER_LINE
from app.forms import WholeNumberRange
from app.inputs import DATABASE_INT_MAX

QUANTITY_MESSAGE = f"Quantity must be a whole number from 1 to {MAX_QUANTITY_PER_LINE}."
LINE_QUANTITY_MESSAGE = f"Quantity must be a whole number from 0 (to remove the item) to {MAX_QUANTITY_PER_LINE}."
VARIANT_MESSAGE = "Choose a size and scent."


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error is written for shoppers, not programmers."""

    def __init__(self, label=None, validators=None, *, invalid_message: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None


def quantity_field(*, minimum: int, message: str) -> WholeNumberField:
    return WholeNumberField(
        "Quantity",
        validators=[InputRequired(message=message), WholeNumberRange(min=minimum, max=MAX_QUANTITY_PER_LINE, message=message)],
        invalid_message=message,
    )


class LineQuantityForm(FlaskForm):
    """A cart line's new quantity, where 0 takes the line out, as in most shops."""

    quantity = quantity_field(minimum=0, message=LINE_QUANTITY_MESSAGE)


class AddToCartForm(FlaskForm):
    quantity = quantity_field(minimum=1, message=QUANTITY_MESSAGE)
    variant_id = WholeNumberField(
        "Size and scent",
        validators=[InputRequired(message=VARIANT_MESSAGE),
                    WholeNumberRange(min=1, max=DATABASE_INT_MAX, message=VARIANT_MESSAGE)],
        invalid_message=VARIANT_MESSAGE,
    )
    # The product page's Size and Scent radios. Sent with the variant they picked on the page;
    # without JavaScript a shopper may change them and press Add to cart straight away, so the
    # cart takes the variant they name over variant_id (app.catalog.services.variant_with_options).
    size = StringField(validators=[Optional(), Length(max=40)])
    scent = StringField(validators=[Optional(), Length(max=60)])
