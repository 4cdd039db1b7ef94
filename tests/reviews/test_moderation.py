"""Moderation by marketing (and admin): a review is held or rejected only for a reason of the
policy, which is recorded and emailed to the reviewer; replies are public; the dashboard counts
reviews by status and stars."""
import re

import pytest
from sqlalchemy import select

from app.catalog.models import Product
from app.reviews.models import HoldReason, Review, ReviewStatus
from tests.conftest import outbox, page_after, post


@pytest.fixture
def marketing(sign_in):
    return sign_in("marketing")


def the_review(session, title: str) -> Review:
    review = session.scalars(select(Review).where(Review.title == title)).one()
    session.refresh(review)
    return review


def cream(session) -> Product:
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    session.refresh(product)
    return product


def test_marketing_holds_a_review_for_a_reason_which_is_recorded_and_told(app, reviewed, marketing, session, client):
    reviewed(("5", "Call Dana", "Great cream; Dana at the market told me about it, she lives on Elm Street."))
    review = the_review(session, "Call Dana")
    assert review.status is ReviewStatus.published and cream(session).review_count == 1
    response = post(marketing, f"/admin/reviews/{review.id}/moderate", status="held", reason="personal_data",
                    note="It names another person and her street.")
    assert "Review held; the reviewer has been emailed." in page_after(marketing, response)
    review = the_review(session, "Call Dana")
    assert (review.status, review.hold_reason, review.hold_detail, review.moderated_by) == (
        ReviewStatus.held, HoldReason.personal_data, "It names another person and her street.",
        "marketing@tidewater.example")
    [notice] = [message for message in outbox(app) if message["Subject"] == "Your review is on hold"]
    text = notice.get_body(("plain",)).get_content()
    assert notice["To"] == "jo@example.com"
    assert HoldReason.personal_data.label in text and "It names another person and her street." in text
    assert "Call Dana" not in client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert (cream(session).review_count, cream(session).rating_total) == (0, 0)


def test_a_hold_or_rejection_without_a_reason_is_refused(reviewed, marketing, session):
    reviewed(("1", "Not for me", "Too thick, and the scent faded in a day."))
    review = the_review(session, "Not for me")
    for status in ("held", "rejected"):
        html = page_after(marketing, post(marketing, f"/admin/reviews/{review.id}/moderate", status=status))
        assert "Choose the reason from the review policy" in html
    assert the_review(session, "Not for me").status is ReviewStatus.published


def test_publishing_a_held_review_counts_it_and_tells_the_reviewer(app, reviewed, marketing, session, client):
    reviewed(("4", "Nice after the gym", "Soothing after the gym, relieves my tired muscles."))
    review = the_review(session, "Nice after the gym")
    assert review.hold_reason is HoldReason.health_claim
    post(marketing, f"/admin/reviews/{review.id}/moderate", status="published")
    review = the_review(session, "Nice after the gym")
    assert review.status is ReviewStatus.published and review.hold_reason is None and review.published_on
    assert (cream(session).review_count, cream(session).rating_total) == (1, 4)
    assert "Your review is published" in [message["Subject"] for message in outbox(app)]
    assert "Nice after the gym" in client.get("/products/magnesium-body-cream").get_data(as_text=True)


def test_rejecting_records_the_reason_and_a_second_identical_decision_changes_nothing(app, reviewed, marketing, session):
    reviewed(("2", "Buy from the other shop", "The other brand down the road is cheaper, go there instead."))
    review = the_review(session, "Buy from the other shop")
    post(marketing, f"/admin/reviews/{review.id}/moderate", status="rejected", reason="off_topic")
    again = page_after(marketing, post(marketing, f"/admin/reviews/{review.id}/moderate", status="rejected",
                                       reason="off_topic"))
    assert "already rejected" in again
    review = the_review(session, "Buy from the other shop")
    assert (review.status, review.hold_reason) == (ReviewStatus.rejected, HoldReason.off_topic)
    assert [message["Subject"] for message in outbox(app)].count("Your review was not published") == 1
    assert cream(session).review_count == 0


def test_staff_reply_publicly_and_can_remove_the_reply(reviewed, marketing, session, client):
    reviewed(("2", "Lid cracked", "The lid arrived cracked, cream is fine though."))
    review = the_review(session, "Lid cracked")
    post(marketing, f"/admin/reviews/{review.id}/reply", reply="Sorry about the lid: we've changed our packing.")
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "Reply from Tidewater Magnesium Co." in html and "we&#39;ve changed our packing" in html
    post(marketing, f"/admin/reviews/{review.id}/reply", reply="")
    assert "Reply from" not in client.get("/products/magnesium-body-cream").get_data(as_text=True)


def test_the_marketing_dashboard_counts_reviews_by_status_and_stars(reviewed, marketing, session):
    reviewed(("1", "Too greasy", "Far too greasy on my skin, sorry."),
             ("5", "Relief at last", "Best painkiller cream, it cures my cramps."),
             ("3", "Okay stick", "Handy in a bag, scent is strong."))
    html = marketing.get("/admin/").get_data(as_text=True)
    rows = {match[0]: [int(cell) for cell in re.findall(r"<td>(\d+)</td>", match[1])]
            for match in re.findall(r'<th scope="row">(\w+)</th>(.*?)</tr>', html, re.S)}
    assert rows == {"Published": [1, 0, 1, 0, 0], "Held": [0, 0, 0, 0, 1], "Rejected": [0, 0, 0, 0, 0]}


def test_the_held_list_shows_held_reviews_with_their_reason(reviewed, marketing, session):
    reviewed(("5", "Relief at last", "Best painkiller cream, it cures my cramps."),
             ("1", "Too greasy", "Far too greasy on my skin, sorry."))
    html = marketing.get("/admin/reviews").get_data(as_text=True)
    assert "Relief at last" in html and HoldReason.health_claim.label in html and "Too greasy" not in html
    everything = marketing.get("/admin/reviews?status=all").get_data(as_text=True)
    assert "Relief at last" in everything and "Too greasy" in everything
    review = the_review(session, "Relief at last")
    detail = marketing.get(f"/admin/reviews/{review.id}").get_data(as_text=True)
    assert "“painkiller”" in detail and "“cures”" in detail


@pytest.mark.parametrize("role, allowed", [("admin", True), ("marketing", True), ("fulfilment", False)])
def test_who_may_moderate(reviewed, sign_in, session, role, allowed):
    reviewed(("3", "Middling", "Nothing special, nothing wrong."))
    review = the_review(session, "Middling")
    staff = sign_in(role)
    assert staff.get(f"/admin/reviews/{review.id}").status_code == (200 if allowed else 403)
    response = post(staff, f"/admin/reviews/{review.id}/moderate", status="rejected", reason="off_topic")
    assert response.status_code == (303 if allowed else 403)
    assert the_review(session, "Middling").status is (ReviewStatus.rejected if allowed else ReviewStatus.published)
