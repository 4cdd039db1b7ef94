// Ask the payment service about an unconfirmed payment once, as the "Check again" button would.
document.querySelectorAll("form[data-check-payment]").forEach((form) => form.submit());
