"""Writing a review: by the emailed link or from the buyer's account; one per line; screening holds
only for a stated reason (the claims check names its rule), never for a low rating."""
import re

from sqlalchemy import func, select

from app.accounts.services import register
from app.catalog.models import Product
from app.reviews.models import HoldReason, Review, ReviewStatus
from tests.conftest import csrf, csrf_token_from, outbox, page_after, sign_in_as
from tests.reviews.conftest import invitation_to, write_review


def product(session, slug="magnesium-body-cream") -> Product:
    product = session.scalars(select(Product).where(Product.slug == slug)).one()
    session.refresh(product)
    return product


def test_a_buyer_reviews_by_the_emailed_link_and_it_is_published_as_a_verified_buyers(app, buy, session):
    order = buy("TMC-CRM-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    response = write_review(client, link, order.lines[0].id, rating="4", title="Silky, not greasy",
                            body="Rubs in quickly and the unscented one really has no smell.",
                            first_name="Jo", city="Portland")
    assert "Thank you. Your review is published." in page_after(client, response)
    review = session.scalars(select(Review)).one()
    assert (review.status, review.rating, review.order_line_id) == (ReviewStatus.published, 4, order.lines[0].id)
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "Silky, not greasy" in html and "Verified buyer" in html and "Jo, Portland" in html
    assert review.published_on.isoformat() in html  # the <time> of the date it was published
    assert "4.0 out of 5" in html and "from 1 verified buyer" in html
    listing = client.get("/products").get_data(as_text=True)
    assert re.search(r"4\.0 \(1 review\)", listing)
    assert (product(session).review_count, product(session).rating_total) == (1, 4)


def test_one_review_per_line_a_second_submit_is_refused(app, buy, session):
    order = buy("TMC-CRM-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    page = f"{link}/items/{order.lines[0].id}"
    form = {"csrf_token": csrf_token_from(client.get(page).get_data(as_text=True)), "rating": "5",
            "title": "Lovely", "body": "Soaks in fast and the scent is gentle."}
    assert client.post(page, data=form).status_code == 303
    again = client.post(page, data=form)  # the button pressed twice, or the form sent again with Back
    assert "You have already reviewed this item" in page_after(client, again)
    assert session.scalar(select(func.count(Review.id))) == 1
    assert product(session).review_count == 1


def test_two_scents_of_one_product_are_one_review(app, buy, session):
    order = buy("TMC-CRM-4-UNS", "TMC-CRM-4-LAV", "TMC-BTR-4-UNS")
    page = app.test_client().get(invitation_to(app, order)).get_data(as_text=True)
    assert page.count("Review Magnesium Body Cream") == 1 and "Review Magnesium Body Butter" in page


def test_a_signed_in_buyer_reviews_from_their_order_page(app, buy, session):
    order = buy("TMC-BTR-4-UNS", email="casey@example.com")
    user = register(session, email="casey@example.com", password="casey-password-1")
    order.user_id = user.id
    session.commit()
    client = app.test_client()
    sign_in_as(client, "casey@example.com", "casey-password-1")
    order_page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert f"/account/orders/{order.number}/reviews" in order_page
    response = write_review(client, f"/account/orders/{order.number}/reviews", order.lines[0].id, rating="3",
                            title="Fine", body="Nice enough, a bit firm in the cold.")
    assert "Your review is published" in page_after(client, response)
    assert session.scalars(select(Review)).one().rating == 3


def test_another_shoppers_order_cannot_be_reviewed_from_an_account(app, buy, session):
    order = buy("TMC-BTR-4-UNS", email="jo@example.com")
    register(session, email="casey@example.com", password="casey-password-1")
    session.commit()
    client = app.test_client()
    sign_in_as(client, "casey@example.com", "casey-password-1")
    assert client.get(f"/account/orders/{order.number}/reviews").status_code == 404
    assert write_review(client, f"/account/orders/{order.number}/reviews", order.lines[0].id).status_code == 404
    assert app.test_client().get(f"/account/orders/{order.number}/reviews").status_code == 302  # sign in first
    assert session.scalar(select(func.count(Review.id))) == 0


def test_an_unshipped_order_takes_no_review(app, paid_order, session):
    paid_order.user_id = register(session, email="jo@example.com", password="jo-password-123").id
    session.commit()
    client = app.test_client()
    sign_in_as(client, "jo@example.com", "jo-password-123")
    assert "Reviews open once an order has shipped" in client.get(
        f"/account/orders/{paid_order.number}/reviews").get_data(as_text=True)
    page = f"/account/orders/{paid_order.number}/reviews/items/{paid_order.lines[0].id}"
    response = client.post(page, data={"csrf_token": csrf(client, "/account"), "rating": "5", "title": "Early",
                                       "body": "Writing before it arrives."})
    assert "Reviews open once your order has shipped" in page_after(client, response)
    assert session.scalar(select(func.count(Review.id))) == 0


def test_a_form_without_a_rating_or_with_one_out_of_range_is_refused(app, buy, session):
    order = buy("TMC-CRM-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    for rating in ("", "6", "0", "five", "-1", "1e309"):
        html = write_review(client, link, order.lines[0].id, rating=rating).get_data(as_text=True)
        assert "Not a valid choice" in html or "Choose a rating" in html, rating
    assert session.scalar(select(func.count(Review.id))) == 0


def test_a_review_without_a_csrf_token_is_refused(app, buy, session):
    order = buy("TMC-CRM-4-UNS")
    link = invitation_to(app, order)
    response = app.test_client().post(f"{link}/items/{order.lines[0].id}",
                                      data={"rating": "5", "title": "Nice", "body": "Nice cream, I like it."})
    assert response.status_code == 400
    assert session.scalar(select(func.count(Review.id))) == 0


def test_a_health_claim_is_held_with_the_rule_named_and_the_reviewer_told(app, buy, session):
    order = buy("TMC-CRM-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    response = write_review(client, link, order.lines[0].id, rating="5", title="Amazing",
                            body="This cream relieves my back pain better than my pills.")
    assert "Your review is on hold: we have emailed you why" in page_after(client, response)
    review = session.scalars(select(Review)).one()
    assert (review.status, review.hold_reason) == (ReviewStatus.held, HoldReason.health_claim)
    assert "“relieves”" in review.hold_detail and review.moderated_by == "automatic check"
    [notice] = [message for message in outbox(app) if message["Subject"] == "Your review is on hold"]
    assert notice["To"] == "jo@example.com"
    text = notice.get_body(("plain",)).get_content()
    assert HoldReason.health_claim.label in text and "“relieves”" in text and "/pages/review-policy" in text
    assert "Amazing" not in client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert product(session).review_count == 0


def test_a_negative_review_without_claims_is_published(app, buy, session):
    order = buy("TMC-CRM-4-UNS", "TMC-BTR-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    negative = {
        "TMC-CRM-4-UNS": ("1", "Greasy, and the jar leaked", "Too greasy for me and the lid leaked in the box. "
                                                             "Would not buy again."),
        "TMC-BTR-4-UNS": ("2", "Did nothing for me", "It did nothing for my sore shoulders and it gave me a rash. "
                                                     "Disappointed."),
    }
    for line in order.lines:
        rating, title, body = negative[line.sku]
        assert "Your review is published" in page_after(client, write_review(
            client, link, line.id, rating=rating, title=title, body=body))
    assert {review.status for review in session.scalars(select(Review))} == {ReviewStatus.published}
    assert "Greasy, and the jar leaked" in client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "Did nothing for me" in client.get("/products/magnesium-body-butter").get_data(as_text=True)


def test_an_email_address_or_phone_number_is_held_as_personal_data(app, buy, session):
    order = buy("TMC-CRM-4-UNS", "TMC-BTR-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    bodies = iter(["Love it. Email me at jo.smith@example.com for tips.", "Love it, call me on (207) 555-0142."])
    for line in order.lines:
        write_review(client, link, line.id, body=next(bodies))
    reviews = list(session.scalars(select(Review)))
    assert [review.hold_reason for review in reviews] == [HoldReason.personal_data] * 2


def test_dates_and_batch_numbers_are_not_taken_for_phone_numbers_and_a_long_claim_list_is_recorded_short(
        app, buy, session):
    order = buy("TMC-CRM-4-UNS", "TMC-BTR-4-UNS")
    client = app.test_client()
    link = invitation_to(app, order)
    claims = ("It relieves pain, cures cramps, is a painkiller, analgesic, anti-inflammatory, a detox, "
              "a remedy, therapeutic, numbing, and a sleep aid. ") * 20
    bodies = {"TMC-CRM-4-UNS": "Bought on 12.08.2026, batch LOT-2026-11A, and it is lovely.",
              "TMC-BTR-4-UNS": claims}
    for line in order.lines:
        write_review(client, link, line.id, body=bodies[line.sku])
    sku_of_line = {line.id: line.sku for line in order.lines}
    by_sku = {sku_of_line[review.order_line_id]: review for review in session.scalars(select(Review))}
    cream, butter = by_sku["TMC-CRM-4-UNS"], by_sku["TMC-BTR-4-UNS"]
    assert cream.status is ReviewStatus.published
    assert butter.hold_reason is HoldReason.health_claim and "more would make a health claim" in butter.hold_detail
