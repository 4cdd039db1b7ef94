"""The product page and list with reviews: JSON-LD that schema.org and search engines accept, only
when there are published reviews; still one query; review text is only ever text (XSS)."""
import json
import re
from datetime import date
from html.parser import HTMLParser

from sqlalchemy import select

from app.reviews.models import Review
from tests.conftest import post
from tests.reviews.conftest import XSS_PAYLOADS, invitation_to, write_review

# schema.org's properties of each type used (https://schema.org/<Type>, inherited ones included),
# and what search engines require of a product's review snippet.
SCHEMA_PROPERTIES = {
    "Product": {"@context", "@type", "name", "description", "brand", "image", "url", "offers", "sku",
                "aggregateRating", "review"},
    "Brand": {"@type", "name"},
    "Offer": {"@type", "sku", "name", "price", "priceCurrency", "availability", "url", "itemCondition"},
    "AggregateRating": {"@type", "ratingValue", "reviewCount", "ratingCount", "bestRating", "worstRating"},
    "Review": {"@type", "name", "reviewBody", "datePublished", "author", "reviewRating", "itemReviewed"},
    "Rating": {"@type", "ratingValue", "bestRating", "worstRating"},
    "Person": {"@type", "name"},
}
REQUIRED = {
    "Product": {"name", "offers"},
    "AggregateRating": {"ratingValue", "reviewCount"},
    "Review": {"author", "reviewRating", "datePublished"},
    "Rating": {"ratingValue"},
    "Person": {"name"},
}


def json_ld(html: str) -> dict:
    [script] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(script)


def check_types(node) -> list[str]:
    """Each typed object's properties are its type's, its required ones present: the problems found."""
    problems = []
    if isinstance(node, list):
        for item in node:
            problems += check_types(item)
    elif isinstance(node, dict):
        kind = node.get("@type")
        if kind:
            problems += [f"{kind}.{key} is not a schema.org property" for key in node if key not in SCHEMA_PROPERTIES[kind]]
            problems += [f"{kind} lacks {key}" for key in REQUIRED.get(kind, ()) if key not in node]
        for value in node.values():
            problems += check_types(value)
    return problems


def test_no_rating_in_the_json_ld_without_published_reviews(client, reviewed):
    data = json_ld(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    assert "aggregateRating" not in data and "review" not in data and check_types(data) == []
    reviewed(("5", "Relief at last", "It cures my cramps."))  # held by the claims check: not published
    data = json_ld(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    assert "aggregateRating" not in data and "review" not in data


def test_json_ld_rates_the_product_with_its_published_reviews(client, reviewed, session):
    reviewed(("4", "Silky", "Soaks in quickly."), ("2", "Too soft", "Melts in a warm room."))
    reviewed(("1", "Greasy", "Leaves a film on my hands all day."))
    data = json_ld(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    assert check_types(data) == []
    rating = data["aggregateRating"]
    assert rating == {"@type": "AggregateRating", "ratingValue": 2.5, "reviewCount": 2, "bestRating": 5,
                      "worstRating": 1}
    assert {review["name"] for review in data["review"]} == {"Silky", "Greasy"}
    for review in data["review"]:
        assert review["author"] == {"@type": "Person", "name": "Verified buyer"}
        assert 1 <= review["reviewRating"]["ratingValue"] <= 5
        assert date.fromisoformat(review["datePublished"]) == date.today()


def test_the_product_page_with_reviews_is_still_one_query(client, reviewed, count_queries):
    reviewed(("4", "Silky", "Soaks in quickly."), ("5", "Lovely butter", "Rich and slow to melt."))
    client.get("/products/magnesium-body-cream")
    fresh = client.application.test_client()
    with count_queries() as counter:
        html = fresh.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "Silky" in html
    assert counter.count <= 1, counter.statements


SHORT_PAYLOADS = [payload for payload in XSS_PAYLOADS if len(payload) <= 40]


class ElementsAndAttributes(HTMLParser):
    """Every element's name and attributes, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def assert_only_text(html: str) -> None:
    page = ElementsAndAttributes()
    page.feed(html)
    for tag, attributes in page.elements:
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        assert not any((value or "").strip().lower().startswith("javascript:") for value in attributes.values()), (tag, attributes)
        assert tag not in ("iframe", "object", "embed", "svg", "math", "marquee", "base", "video", "details"), tag
        if tag == "script":
            assert attributes.get("src") or attributes.get("type") == "application/ld+json", attributes
        if tag == "meta":
            assert "http-equiv" not in attributes, attributes
    assert not any("__xss" in script for script in page.scripts if "@context" not in script)


def test_xss_payloads_in_every_review_field_are_shown_as_text(app, buy, sign_in, session, client):
    assert len(XSS_PAYLOADS) >= 30
    order = buy("TMC-CRM-4-UNS", "TMC-BTR-4-UNS", "TMC-STK-06-PEP")
    browser = app.test_client()
    link = invitation_to(app, order)
    for number, line in enumerate(order.lines):
        write_review(browser, link, line.id, rating=str(number + 1), title=SHORT_PAYLOADS[number][:120],
                     body="\n".join(XSS_PAYLOADS), first_name=SHORT_PAYLOADS[number + 3][:40],
                     city=SHORT_PAYLOADS[number + 6][:60])
    reviews = list(session.scalars(select(Review)))
    assert len(reviews) == 3 and all(review.is_published for review in reviews)
    marketing = sign_in("marketing")
    for review in reviews:
        post(marketing, f"/admin/reviews/{review.id}/reply", reply="\n".join(XSS_PAYLOADS))
    pages = ["/products/magnesium-body-cream", "/products/magnesium-body-butter", "/products/magnesium-travel-stick",
             "/products", link]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert_only_text(html)
    for review in reviews:
        assert_only_text(marketing.get(f"/admin/reviews/{review.id}").get_data(as_text=True))
    assert_only_text(marketing.get("/admin/reviews?status=all").get_data(as_text=True))
    cream = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in cream  # shown, as typed
    data = json_ld(cream)  # the JSON-LD carries the text, escaped so it cannot close its element
    assert "</script><script>window.__xss=1</script>" in data["review"][0]["reviewBody"]
