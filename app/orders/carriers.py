"""Carriers staff ship with, and the address of each one's tracking page for a tracking number.

The one list: the admin ship form offers these names (and "Other", kept as typed, with no link),
and the shipping email and order pages link to the carrier's page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

TRACKING_NUMBER_MAX = 40  # the longest real ones (USPS IMpb with routing code) run to 34 characters
# Letters, digits, and the spaces and hyphens people type to group them: nothing that could break out
# of a URL or a mail header, whatever the carrier.
TRACKING_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")
OTHER = "other"  # the ship form's choice for a carrier not listed: its name is typed


@dataclass(frozen=True)
class Carrier:
    name: str  # what the ship form offers and the order keeps
    tracking_url: str  # with {number} where the URL-encoded tracking number goes

    def url_for(self, tracking_number: str) -> str:
        # Spaces staff type to read a long number back are not part of it.
        return self.tracking_url.format(number=quote("".join(tracking_number.split()), safe=""))


CARRIERS = {carrier.name: carrier for carrier in (
    Carrier("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
    Carrier("UPS", "https://www.ups.com/track?tracknum={number}"),
    Carrier("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    Carrier("DHL Express", "https://www.dhl.com/us-en/home/tracking/tracking-express.html"
                           "?submit=1&tracking-id={number}"),
    Carrier("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en#/search"
                           "?searchFor={number}"),
    Carrier("Purolator", "https://www.purolator.com/en/shipping/tracker?pin={number}"),
)}


def tracking_url(carrier_name: str, tracking_number: str) -> str:
    """The carrier's tracking page for this parcel; '' for a carrier not in the list, or no number."""
    carrier = CARRIERS.get(carrier_name)
    return carrier.url_for(tracking_number) if carrier and tracking_number.strip() else ""


def check_tracking_number(tracking_number: str) -> str | None:
    """Why this tracking number can't be right, or None if it can."""
    if len(tracking_number) > TRACKING_NUMBER_MAX:
        return f"A tracking number has at most {TRACKING_NUMBER_MAX} characters."
    if not TRACKING_NUMBER.fullmatch(tracking_number):
        return "A tracking number has only letters, digits, spaces and hyphens."
    return None
