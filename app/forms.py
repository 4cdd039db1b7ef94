"""Helpers every package's forms share."""
from flask import flash
from wtforms import ValidationError


def flash_form_errors(form) -> None:
    """Show each distinct validation message once (a field can fail two checks with one message)."""
    messages = [error for errors in form.errors.values() for error in errors]
    for message in dict.fromkeys(messages):
        flash(message, "error")


class WholeNumberRange:
    """wtforms' NumberRange for integer fields. That one asks math.isnan first, which raises
    OverflowError (a 500) for a number past a float's range, such as 400 nines."""

    def __init__(self, min: int | None = None, max: int | None = None, message: str | None = None) -> None:  # noqa: A002
        self.min, self.max = min, max
        self.message = message or f"Enter a whole number from {min} to {max}."

    def __call__(self, form, field) -> None:
        data = field.data
        if data is None or (self.min is not None and data < self.min) or (self.max is not None and data > self.max):
            raise ValidationError(self.message)
