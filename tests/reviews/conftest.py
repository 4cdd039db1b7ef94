"""Reviews tests buy through the local Stripe-compatible server, ship as fulfilment staff, and send
invitations as cron does (SHOP_URL set: the emailed links are absolute)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.db import utcnow
from app.orders.models import Order
from tests.conftest import csrf_token_from, latest_order, outbox, session_id_from, ship


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings, "SHOP_URL": "http://shop.test"}


@pytest.fixture
def fulfilment(sign_in):
    return sign_in("fulfilment")


@pytest.fixture
def shipped_order(paid_order, fulfilment, session):
    """The paid order, shipped by fulfilment staff a week and a day ago."""
    assert ship(fulfilment, paid_order).status_code == 303
    session.execute(update(Order).where(Order.id == paid_order.id).values(shipped_at=utcnow() - timedelta(days=8)))
    session.commit()
    return paid_order


@pytest.fixture
def buy(shopper, session, stripe_server, deliver, fulfilment):
    """buy(*skus, email=...) -> an order of one of each, paid and shipped a week and a day ago."""

    def paid_and_shipped(*skus: str, email: str = "jo@example.com") -> Order:
        for sku in skus:
            shopper.add(sku)
        stripe_server.complete(session_id_from(shopper.checkout(email=email)), email=email)
        deliver(stripe_server.last_event("checkout.session.completed"))
        order = latest_order(session)
        assert ship(fulfilment, order).status_code == 303
        session.execute(update(Order).where(Order.id == order.id).values(shipped_at=utcnow() - timedelta(days=8)))
        session.commit()
        return order

    return paid_and_shipped


def send_invitations(app) -> str:
    result = app.test_cli_runner().invoke(args=["send-review-invitations"])
    assert result.exit_code == 0, result.output
    return result.output


def invitations(app) -> list:
    return [message for message in outbox(app) if message["Subject"].startswith("How was your order")]


def review_link(message) -> str:
    """The review page's path, from an invitation's plain-text part."""
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://shop\.test(/reviews/\S+)", text).group(1)


def invitation_to(app, order: Order) -> str:
    """Send the due invitations; the review link emailed to this order's buyer."""
    send_invitations(app)
    return next(review_link(message) for message in invitations(app)
                if order.number in message["Subject"] and message["To"] == order.email)


def write_review(client, link: str, line_id: int, **fields):
    """Fill in and send the review form of one line, as the buyer does; the response."""
    page = f"{link}/items/{line_id}"
    form = {"rating": "5", "title": "Lovely texture", "body": "Soaks in fast and the scent is gentle.", **fields}
    return client.post(page, data={"csrf_token": csrf_token_from(client.get(page).get_data(as_text=True)), **form})


@pytest.fixture
def reviewed(app, buy):
    """reviewed(*reviews) -> the order: one bought line per review (rating, title, body), each written
    through the emailed link. Lines are bought in the order given."""

    def write(*reviews: tuple[str, str, str], skus=("TMC-CRM-4-UNS", "TMC-BTR-4-UNS", "TMC-STK-06-PEP")) -> Order:
        order = buy(*skus[:len(reviews)])
        client = app.test_client()
        link = invitation_to(app, order)
        by_sku = {line.sku: line for line in order.lines}
        for sku, (rating, title, body) in zip(skus, reviews):
            assert write_review(client, link, by_sku[sku].id, rating=rating, title=title, body=body).status_code == 303
        return order

    return write


# Text a reviewer or staff member might type to run script: every field shows it as text.
XSS_PAYLOADS = [
    "<script>window.__xss=1</script>", "<img src=x onerror=window.__xss=1>", "<svg onload=window.__xss=1>",
    "\"><script>window.__xss=1</script>", "'><img src=x onerror=window.__xss=1>", "<body onload=window.__xss=1>",
    "<iframe src=javascript:window.__xss=1>", "<a href=\"javascript:window.__xss=1\">x</a>",
    "<details open ontoggle=window.__xss=1>", "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=window.__xss=1></video>", "<math><mtext></mtext><mglyph><svg><mtext><style><img src=x onerror=window.__xss=1></style></mtext></svg></math>",
    "</script><script>window.__xss=1</script>", "</title><script>window.__xss=1</script>",
    "</textarea><script>window.__xss=1</script>", "{{ config }}", "{% print(1) %}", "${window.__xss=1}",
    "<ScRiPt>window.__xss=1</sCrIpT>", "<scr<script>ipt>window.__xss=1</script>", "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "<object data=javascript:window.__xss=1>", "<embed src=javascript:window.__xss=1>",
    "<form action=javascript:window.__xss=1><button>x</button></form>", "<marquee onstart=window.__xss=1>",
    "<style>@import 'javascript:window.__xss=1'</style>", "<link rel=stylesheet href=javascript:window.__xss=1>",
    "<meta http-equiv=refresh content='0;url=javascript:window.__xss=1'>", "\u2028\u2029<script>window.__xss=1</script>",
    "<!--<img src=--><img src=x onerror=window.__xss=1//-->", "\"onmouseover=\"window.__xss=1",
    "<svg><script>window.__xss=1</script></svg>", "javascript:window.__xss=1", "<base href=javascript:/a/>",
]
