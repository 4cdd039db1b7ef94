"""Cart forms: they check the shape of input; the cart's rules live in services.py."""
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from app.cart.services import MAX_QUANTITY_PER_LINE

QUANTITY_MESSAGE = f"Quantity must be a whole number from 1 to {MAX_QUANTITY_PER_LINE}."
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


class QuantityForm(FlaskForm):
    quantity = WholeNumberField(
        "Quantity",
        validators=[
            InputRequired(message=QUANTITY_MESSAGE),
            NumberRange(min=1, max=MAX_QUANTITY_PER_LINE, message=QUANTITY_MESSAGE),
        ],
        invalid_message=QUANTITY_MESSAGE,
    )


class AddToCartForm(QuantityForm):
    variant_id = WholeNumberField(
        "Size and scent",
        validators=[InputRequired(message=VARIANT_MESSAGE)],
        invalid_message=VARIANT_MESSAGE,
    )
