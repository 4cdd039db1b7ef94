"""Helpers every package's forms share."""
from flask import flash


def flash_form_errors(form) -> None:
    """Show each distinct validation message once (a field can fail two checks with one message)."""
    messages = [error for errors in form.errors.values() for error in errors]
    for message in dict.fromkeys(messages):
        flash(message, "error")
