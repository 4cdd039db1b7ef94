"""Shipping methods: where we ship, what each method costs and how long it takes, per country.

The one source for checkout, the Stripe payment page, the order emails, and the figures the
shipping information page states (tests/content/test_policy_pages.py holds the page to them).
"""
from __future__ import annotations

from dataclasses import dataclass

# Country code: the name used in sentences. Stripe and the test gateway accept these only.
COUNTRIES = {"US": "the US", "CA": "Canada"}
DISPATCH_BUSINESS_DAYS = (1, 2)  # from order to hand-over to the carrier
FREE_STANDARD_FROM_MINOR = 5000  # order subtotal from which standard shipping is free


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    name: str
    amount_minor: int
    # Country code: (fewest, most) business days from dispatch to delivery, the carrier's estimate.
    business_days: dict[str, tuple[int, int]]
    restriction: str = ""

    def estimate(self, country: str) -> str:
        """'3–7 business days' for a country we ship to, '' for any other."""
        if country not in self.business_days:
            return ""
        fewest, most = self.business_days[country]
        return f"{fewest}–{most} business days"

    def estimates(self) -> str:
        """Every country's estimate in one phrase, for pages shown before the address is known."""
        return ", ".join(f"{COUNTRIES[country].removeprefix('the ')} {self.estimate(country)}"
                         for country in self.business_days)


METHODS = {
    "standard": ShippingMethod("standard", "Standard shipping", 595, {"US": (3, 7), "CA": (6, 12)}),
    "express": ShippingMethod("express", "Express shipping", 1495, {"US": (1, 3), "CA": (3, 5)},
                              restriction="Not available to PO boxes."),
}


def mid_sentence(name: str) -> str:
    """A method's name as it reads inside a sentence: 'standard shipping'."""
    return f"{name[0].lower()}{name[1:]}"


def delivery_estimate(method_code: str, country: str) -> str:
    """What to expect for an order's method and country, as a sentence; '' if we don't know."""
    method = METHODS.get(method_code)
    estimate = method.estimate(country) if method else ""
    if not estimate:
        return ""
    fewest, most = DISPATCH_BUSINESS_DAYS
    return (f"We dispatch orders within {fewest}–{most} business days; {mid_sentence(method.name)} "
            f"to {COUNTRIES[country]} usually arrives {estimate} after that.")
