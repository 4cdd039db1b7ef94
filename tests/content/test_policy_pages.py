"""Information pages against the code: the demo shipping page states the figures checkout uses."""
import re
from html import unescape

from app.money import format_money
from app.orders import shipping


def page_text(client, path: str) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    return plain(client.get(path).get_data(as_text=True))


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def dollars(amount_minor: int) -> str:
    """$5.95, and $50 for whole dollars, as the pages write them."""
    return format_money(amount_minor, "USD").removesuffix(".00")


def test_shipping_page_states_the_rates_and_delivery_times_checkout_uses(client):
    html = client.get("/pages/shipping").get_data(as_text=True)
    text = plain(html)
    bullets = [plain(item) for item in re.findall(r"<li>(.*?)</li>", html, re.S)]
    for method in shipping.METHODS.values():
        bullet, = (item for item in bullets if item.startswith(f"{method.name}: {dollars(method.amount_minor)}"))
        stated = re.findall(r"(\d+–\d+ business days) (?:after dispatch )?(within the US|to Canada)", bullet)
        assert stated == [(method.estimate(country), {"US": "within the US", "CA": "to Canada"}[country])
                          for country in method.business_days], method.code
        if method.restriction:
            assert method.restriction.lower().removeprefix("not") in bullet.lower(), method.code
    assert f"Free standard shipping on orders of {dollars(shipping.FREE_STANDARD_FROM_MINOR)} or more" in text
    fewest, most = shipping.DISPATCH_BUSINESS_DAYS
    assert f"dispatched within {fewest}–{most} business days" in text
    assert set(shipping.COUNTRIES) == {"US", "CA"} and "United States and Canada" in text


def test_cart_states_the_free_shipping_threshold_and_promises_no_tax_later(shopper):
    shopper.add("TMC-CRM-2-UNS", 1)
    text = page_text(shopper.client, "/cart")
    assert f"free on orders of {dollars(shipping.FREE_STANDARD_FROM_MINOR)} or more" in text
    assert "Shipping is worked out at checkout." in text and "tax" not in text.lower()


def test_terms_say_what_checkout_says_about_tax(client, shopper):
    """The shop computes no sales tax: prices include any that is due, and checkout adds none. What
    the carrier may collect in Canada comes on top, in checkout's note as in the policies."""
    shopper.add("TMC-CRM-2-UNS", 1)
    note = plain(re.search(r'id="tax-note">(.*?)</p>', shopper.client.get("/checkout").get_data(as_text=True)).group(1))
    canada = "the carrier may collect import duties, taxes or a brokerage fee on delivery"
    assert "the total shown is what you pay us." in note and canada in note and "not included in our prices" in note
    text = page_text(client, "/pages/terms")
    assert "Prices are in US dollars and include any sales tax due: we add nothing for tax at checkout" in text
    assert "is what you pay us." in text and canada in text and "not included in our prices" in text
    assert "we are required to collect" not in text
    text = page_text(client, "/pages/shipping")
    assert canada in text and "not included in our prices" in text


def test_privacy_policy_describes_reaction_reports_as_the_contact_form_takes_them(client):
    privacy = page_text(client, "/pages/privacy")
    assert "We do not collect information about your health" not in privacy
    section = privacy[privacy.index("Reaction reports If you use our contact form"):privacy.index("Payments")]
    for collected in ("your name", "email address", "phone number", "the product and batch number",
                      "what happened", "whether you agree to us contacting you"):
        assert collected in section, collected
    assert "we report serious reactions to the regulator" in section
    assert "Food and Drug Administration" in section and "Health Canada" in section
    assert "permanent safety record" in section and "email receipt with a reference number" in section
    assert "regulators" in privacy[privacy.index("Who we share data with"):]

    contact = page_text(client, "/contact")
    assert "kept as a permanent safety record" in contact and "report serious reactions to the regulator" in contact
    assert "We email you a receipt with a reference number." in contact


def test_review_policy_states_the_invitation_timing_and_every_reason_a_review_is_held(app, client):
    from app.reviews.models import HoldReason

    text = page_text(client, "/pages/review-policy")
    assert f"{app.config['REVIEW_INVITATION_DAYS']} days after an order ships" in text
    assert f"the link works for {app.config['REVIEW_LINK_MAX_AGE_DAYS']} days" in text
    for reason in HoldReason:
        assert reason.label.split(" (")[0] in text, reason  # the staff form names the reasons as the policy does
    assert "good and bad reviews alike" in text
