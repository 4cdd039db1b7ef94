"""Proves the real ``stripe`` library (16.1.0) works against the fake Stripe server.

How stripe 16 is pointed at another base URL (read from stripe/_stripe_client.py,
_requestor_options.py, _api_requestor.py and _http_client.py):

* Per client (preferred, no global state)::

      client = stripe.StripeClient("sk_test_...", base_addresses={"api": fake.url})
      client.v1.checkout.sessions.create(params, options={"idempotency_key": key})

  ``max_network_retries`` defaults to 0 here (None is treated as 0).
* Globally: ``stripe.api_key = ...; stripe.api_base = fake.url``; it is read at
  request time, so monkeypatching it works. Resource-style calls then take request
  options as keyword arguments: ``stripe.checkout.Session.create(idempotency_key=key,
  **params)``. The global ``stripe.max_network_retries`` defaults to 2.
* ``http://`` bases are fine: the base is only string-prefixed to the path, and
  ``verify_ssl_certs`` only matters for https. The default sync HTTP client is
  ``RequestsClient`` (``requests`` is a dependency of stripe 16); it honours
  HTTP(S)_PROXY/NO_PROXY, so with a proxy configured 127.0.0.1 must be in NO_PROXY.
  No async client (httpx/aiohttp) is installed, so only sync calls work.
* Every POST carries an ``Idempotency-Key`` (a generated UUID unless one is given),
  and retries (status 409/5xx or dropped connections) reuse it.

Type hints: stripe ships ``py.typed``. Params are TypedDicts in ``stripe.params``
(``stripe.params.checkout.SessionCreateParams`` and nested
``SessionCreateParamsLineItem``, ``...PriceData``, ``...ShippingOption``...);
``client.v1.checkout.sessions.create(params: SessionCreateParams | None,
options: RequestOptions | None) -> Session`` and ``Session.create(**params:
Unpack[SessionCreateParams])`` (which also accepts the RequestOptions keys).
Results are typed classes (``Session.amount_total: int | None``,
``Session.collected_information: Session.CollectedInformation | None``), while
``Event.data.object`` is untyped. So ``mypy`` catches misspelt keys and wrong value
types in Stripe calls; this module is checked with
``.venv/bin/mypy --strict tests/fakes``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from stripe.params.checkout import SessionCreateParams
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .stripe_server import (
    FakeStripe,
    decode_params,
    event_payload,
    post_event,
    sign_payload,
    start_stripe_server,
)

SECRET = "whsec_test_secret"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with start_stripe_server() as server:
        yield server


@pytest.fixture
def client(fake: FakeStripe) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_shop", base_addresses={"api": fake.url})


def order_params(order_id: int = 5, **overrides: Any) -> SessionCreateParams:
    """Roughly what the shop sends for a two-line order with shipping."""
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [
            {"quantity": 2, "price_data": {"currency": "usd", "unit_amount": 1600,
                                           "product_data": {"name": "Mug", "metadata": {"sku": "MUG-1"}}}},
            {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 2500,
                                           "product_data": {"name": "Poster"}}},
        ],
        "client_reference_id": str(order_id),
        "metadata": {"order_id": str(order_id)},
        "payment_intent_data": {"metadata": {"order_id": str(order_id)}},
        "customer_email": "ada@example.com",
        "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
        "shipping_options": [
            {"shipping_rate_data": {"display_name": "Ground", "type": "fixed_amount",
                                    "fixed_amount": {"amount": 595, "currency": "usd"},
                                    "delivery_estimate": {"minimum": {"unit": "business_day", "value": 3},
                                                          "maximum": {"unit": "business_day", "value": 5}}}},
            {"shipping_rate_data": {"display_name": "Express", "type": "fixed_amount",
                                    "fixed_amount": {"amount": 1500, "currency": "usd"}}},
        ],
        "allow_promotion_codes": True,
        "expires_at": int(time.time()) + 3600,
        "success_url": "http://shop.test/orders/5/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart",
    }
    params.update(overrides)  # type: ignore[typeddict-item]
    return params


def paid_intent(fake: FakeStripe, client: stripe.StripeClient) -> str:
    session = client.v1.checkout.sessions.create(order_params())
    intent = fake.complete(session.id)["payment_intent"]
    assert isinstance(intent, str)
    return intent


def test_decode_params_undoes_stripe_bracket_encoding() -> None:
    assert decode_params([
        ("line_items[0][price_data][unit_amount]", "1600"), ("line_items[0][quantity]", "2"),
        ("metadata[0]", "index-like key"), ("expand[]", "line_items"), ("expand[]", "payment_intent"),
    ]) == {"line_items": [{"price_data": {"unit_amount": "1600"}, "quantity": "2"}],
           "metadata": {"0": "index-like key"}, "expand": ["line_items", "payment_intent"]}


def test_create_session_returns_stripe_shape_and_decodes_nested_params(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(order_params(), options={"idempotency_key": "order-5-v1"})

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert (session.amount_subtotal, session.amount_total, session.currency) == (5700, 5700, "usd")
    assert session.metadata is not None and session.metadata.to_dict() == {"order_id": "5"} and session.client_reference_id == "5"
    assert session.customer_email == "ada@example.com" and session.allow_promotion_codes is True
    assert session.url == f"{fake.url}/pay/{session.id}"
    assert [o.shipping_amount for o in session.shipping_options] == [595, 1500]
    sent = fake.requests[-1]
    assert sent["idempotency_key"] == "order-5-v1" and sent["stripe_version"] == stripe.api_version
    assert sent["params"]["line_items"][0]["price_data"]["product_data"]["metadata"] == {"sku": "MUG-1"}
    assert sent["params"]["shipping_options"][0]["shipping_rate_data"]["fixed_amount"]["amount"] == "595"
    assert sent["params"]["shipping_address_collection"]["allowed_countries"] == ["US", "CA"]


@pytest.mark.parametrize(("overrides", "param", "message"), [
    ({"mode": None}, "mode", "Missing required param: mode."),
    ({"success_url": None}, "success_url", "Missing required param: success_url."),
    ({"colour": "red"}, "colour", "Received unknown parameter: colour"),
    ({"line_items": [{"price_data": {"currency": "usd", "unit_amount": 1, "product_data": {"name": "x"}}}]},
     "line_items[0][quantity]", "Missing required param: line_items[0][quantity]."),
    ({"line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 1,
                                                    "product_data": {"title": "x"}}}]},
     "line_items[0][price_data][product_data][title]", "Received unknown parameter"),
    ({"line_items": [{"quantity": 1, "price_data": {"unit_amount": 1, "product_data": {"name": "x"}}}]},
     "line_items[0][price_data][currency]", "Missing required param"),
    ({"payment_intent_data": {"metadta": {"order_id": "5"}}}, "payment_intent_data[metadta]",
     "Received unknown parameter"),
    ({"expires_at": int(time.time()) + 60}, "expires_at", "30 minutes"),
])
def test_create_session_rejects_what_stripe_rejects(
        client: stripe.StripeClient, overrides: dict[str, Any], param: str, message: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(order_params(**overrides))
    assert caught.value.http_status == 400 and caught.value.param == param
    assert message in str(caught.value)


def test_idempotency_key_replays_and_guards_params(fake: FakeStripe, client: stripe.StripeClient) -> None:
    params = order_params()  # built once: its expires_at moves with the clock
    first = client.v1.checkout.sessions.create(params, options={"idempotency_key": "k1"})
    again = client.v1.checkout.sessions.create(params, options={"idempotency_key": "k1"})
    assert again.id == first.id
    assert again.last_response is not None and again.last_response.headers["Idempotent-Replayed"] == "true"
    assert sum(o["object"] == "checkout.session" for o in fake.objects.values()) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(order_params(order_id=6), options={"idempotency_key": "k1"})


def test_auth_is_required(fake: FakeStripe) -> None:
    request = urllib.request.Request(f"{fake.url}/v1/checkout/sessions", data=b"mode=payment", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 401
    assert json.load(caught.value)["error"]["type"] == "invalid_request_error"
    live = stripe.StripeClient("sk_live_oops1234", base_addresses={"api": fake.url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.checkout.sessions.create(order_params())


def test_retrieve_expand_and_line_items(fake: FakeStripe, client: stripe.StripeClient) -> None:
    created = client.v1.checkout.sessions.create(order_params())
    fake.complete(created.id)
    session = client.v1.checkout.sessions.retrieve(created.id, params={
        "expand": ["line_items", "payment_intent", "shipping_cost.shipping_rate"]})
    assert session.line_items is not None and session.line_items.data[0].description == "Mug"
    assert isinstance(session.payment_intent, stripe.PaymentIntent)
    assert session.payment_intent.metadata["order_id"] == "5"
    assert session.shipping_cost is not None and isinstance(session.shipping_cost.shipping_rate, stripe.ShippingRate)

    items = client.v1.checkout.sessions.line_items.list(created.id, params={"limit": 1})
    assert [i.quantity for i in items.auto_paging_iter()] == [2, 1]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_expire_only_open_sessions(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(order_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert fake.last_event("checkout.session.expired")["data"]["object"]["id"] == session.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(ValueError):
        fake.complete(session.id)
    other = client.v1.checkout.sessions.create(order_params())
    assert fake.expire(other.id)["status"] == "expired"


def test_completed_session_has_shipping_customer_and_payment(
        fake: FakeStripe, client: stripe.StripeClient) -> None:
    created = client.v1.checkout.sessions.create(order_params())
    fake.complete(created.id, shipping_rate=1, email="ada@example.com", name="Ada Lovelace")
    session = client.v1.checkout.sessions.retrieve(created.id)
    assert (session.status, session.payment_status, session.amount_total) == ("complete", "paid", 7200)
    assert session.shipping_cost is not None and session.shipping_cost.amount_total == 1500
    assert session.total_details is not None and session.total_details.amount_shipping == 1500
    info = session.collected_information
    assert info is not None and info.shipping_details is not None
    assert (info.shipping_details.name, info.shipping_details.address.country) == ("Ada Lovelace", "US")
    assert session.customer_details is not None and session.customer_details.email == "ada@example.com"

    assert isinstance(session.payment_intent, str)
    intent = client.v1.payment_intents.retrieve(session.payment_intent, params={"expand": ["latest_charge"]})
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 7200, 7200)
    assert intent.metadata.to_dict() == {"order_id": "5"}
    assert isinstance(intent.latest_charge, stripe.Charge) and intent.latest_charge.paid


def test_a_coupon_discounts_the_line_items_never_the_shipping(fake: FakeStripe, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"amount_off": 1001, "currency": "usd", "duration": "once",
                                       "max_redemptions": 1, "name": "SAVE10"})
    assert (coupon.amount_off, coupon.percent_off, coupon.valid) == (1001, None, True)
    params = order_params()
    del params["allow_promotion_codes"]
    created = client.v1.checkout.sessions.create({**params, "discounts": [{"coupon": coupon.id}]})
    assert (created.amount_subtotal, created.amount_total) == (5700, 4699)
    assert created.total_details is not None and created.total_details.amount_discount == 1001
    items = client.v1.checkout.sessions.line_items.list(created.id)
    assert [item.amount_discount for item in items.data] == [561, 440]  # shared by amount, summing to the discount
    fake.complete(created.id, shipping_rate=0)
    session = client.v1.checkout.sessions.retrieve(created.id)
    assert session.amount_total == 4699 + 595
    assert client.v1.coupons.retrieve(coupon.id).valid is False  # its one redemption is spent
    with pytest.raises(stripe.InvalidRequestError, match="no longer valid"):
        client.v1.checkout.sessions.create({**params, "discounts": [{"coupon": coupon.id}]})


def test_a_session_takes_discounts_or_promotion_codes_not_both(fake: FakeStripe, client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "once"})
    with pytest.raises(stripe.InvalidRequestError, match="only specify one"):
        client.v1.checkout.sessions.create({**order_params(), "discounts": [{"coupon": coupon.id}]})
    with pytest.raises(stripe.InvalidRequestError, match="amount_off or percent_off"):
        client.v1.coupons.create({"duration": "once"})


@pytest.mark.parametrize("succeeded", [True, False])
def test_delayed_payment_settles_later(fake: FakeStripe, client: stripe.StripeClient, succeeded: bool) -> None:
    created = client.v1.checkout.sessions.create(order_params())
    assert fake.complete(created.id, paid=False)["payment_status"] == "unpaid"
    assert fake.last_event("checkout.session.completed")["data"]["object"]["payment_status"] == "unpaid"

    fake.finish_async_payment(created.id, succeeded=succeeded)
    session = client.v1.checkout.sessions.retrieve(created.id, params={"expand": ["payment_intent"]})
    outcome = "succeeded" if succeeded else "failed"
    assert fake.events[-1]["type"] == f"checkout.session.async_payment_{outcome}"
    assert session.payment_status == ("paid" if succeeded else "unpaid")
    assert isinstance(session.payment_intent, stripe.PaymentIntent)
    assert session.payment_intent.status == ("succeeded" if succeeded else "requires_payment_method")


def test_refunds_partial_full_and_over(fake: FakeStripe, client: stripe.StripeClient) -> None:
    intent = paid_intent(fake, client)  # 5700 + 595 shipping

    partial = client.v1.refunds.create({"payment_intent": intent, "amount": 1600, "reason": "requested_by_customer",
                                        "metadata": {"order_id": "5"}}, options={"idempotency_key": "refund-5-1"})
    assert (partial.object, partial.status, partial.amount, partial.payment_intent) == (
        "refund", "succeeded", 1600, intent)
    replay = client.v1.refunds.create({"payment_intent": intent, "amount": 1600, "reason": "requested_by_customer",
                                       "metadata": {"order_id": "5"}}, options={"idempotency_key": "refund-5-1"})
    assert replay.id == partial.id
    event = fake.last_event("charge.refunded")
    assert event["data"]["object"]["amount_refunded"] == 1600
    assert event["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    assert event["request"]["idempotency_key"] == "refund-5-1"

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent, "amount": 99999})
    assert caught.value.param == "amount"
    assert "Refund amount ($999.99) is greater than unrefunded amount on charge ($46.95)" in str(caught.value)

    rest = client.v1.refunds.create({"payment_intent": intent})
    assert rest.amount == 4695
    charge = client.v1.charges.retrieve(rest.charge if isinstance(rest.charge, str) else "")
    assert (charge.amount_refunded, charge.refunded) == (6295, True)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent, "amount": 1})
    assert caught.value.code == "charge_already_refunded"


def test_dispute_event_and_refund_refusal(fake: FakeStripe, client: stripe.StripeClient) -> None:
    intent = paid_intent(fake, client)
    dispute = fake.dispute(intent, reason="product_not_received")
    event = fake.last_event("charge.dispute.created")["data"]["object"]
    assert (event["id"], event["payment_intent"], event["amount"], event["status"]) == (
        dispute["id"], intent, 6295, "needs_response")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent})
    assert caught.value.code == "charge_disputed"


@pytest.mark.parametrize(("status", "exception"), [
    (500, stripe.APIError), (503, stripe.APIError), (402, stripe.CardError), (429, stripe.RateLimitError),
])
def test_injected_errors_raise_the_matching_exception(
        fake: FakeStripe, client: stripe.StripeClient, status: int, exception: type[Exception]) -> None:
    fake.fail_next(status)
    with pytest.raises(exception):
        client.v1.checkout.sessions.create(order_params())
    assert client.v1.checkout.sessions.create(order_params()).status == "open"  # one-shot


def test_unreachable_stripe_raises_connection_error(fake: FakeStripe, client: stripe.StripeClient) -> None:
    fake.set_down()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(order_params())
    fake.set_down(False)
    assert client.v1.checkout.sessions.create(order_params()).status == "open"


def test_library_retry_reuses_its_idempotency_key(fake: FakeStripe) -> None:
    retrying = stripe.StripeClient("sk_test_shop", base_addresses={"api": fake.url}, max_network_retries=1)
    fake.fail_next(503)
    session = retrying.v1.checkout.sessions.create(order_params())
    first, second = fake.requests[-2:]
    assert first["idempotency_key"] == second["idempotency_key"]
    assert fake.objects[session.id]["status"] == "open"


def test_global_configuration_and_resource_style(fake: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_global")
    monkeypatch.setattr(stripe, "api_base", fake.url)
    params = order_params()
    params["idempotency_key"] = "global-1"  # request options share the params TypedDict here
    session = stripe.checkout.Session.create(**params)
    assert fake.requests[-1]["idempotency_key"] == "global-1"
    assert stripe.checkout.Session.retrieve(session.id).status == "open"


def test_pay_page_completes_and_redirects(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(order_params())
    assert session.url is not None
    with urllib.request.urlopen(session.url, timeout=5) as page:
        assert "$57.00" in page.read().decode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(urllib.request.Request(session.url, data=b"", method="POST"), timeout=5)
    assert caught.value.code == 303
    assert caught.value.headers["Location"] == f"http://shop.test/orders/5/thanks?session_id={session.id}"
    assert fake.objects[session.id]["payment_status"] == "paid"


def all_event_kinds(fake: FakeStripe, client: stripe.StripeClient) -> list[dict[str, Any]]:
    paid = client.v1.checkout.sessions.create(order_params())
    fake.complete(paid.id)
    for succeeded in (True, False):
        delayed = client.v1.checkout.sessions.create(order_params())
        fake.complete(delayed.id, paid=False)
        fake.finish_async_payment(delayed.id, succeeded=succeeded)
    fake.expire(client.v1.checkout.sessions.create(order_params()).id)
    intent = fake.objects[paid.id]["payment_intent"]
    client.v1.refunds.create({"payment_intent": intent, "amount": 100})
    fake.dispute(intent)
    return fake.events


def test_webhook_signatures_verify_with_the_library(fake: FakeStripe, client: stripe.StripeClient) -> None:
    events = all_event_kinds(fake, client)
    assert {e["type"] for e in events} == {
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed", "checkout.session.expired",
        "charge.refunded", "charge.dispute.created"}
    for sent in events:
        payload = event_payload(sent)
        event = stripe.Webhook.construct_event(payload, sign_payload(payload, SECRET), SECRET)
        assert (event.id, event.type, event.api_version) == (sent["id"], sent["type"], stripe.api_version)
        assert event.data.object["id"] == sent["data"]["object"]["id"]

    completed = fake.last_event("checkout.session.completed")["data"]["object"]
    assert completed["collected_information"]["shipping_details"]["address"]["country"] == "US"
    assert completed["shipping_cost"]["amount_total"] == 595 and completed["customer_details"]["email"]

    payload, now = event_payload(events[0]), int(time.time())
    assert sign_payload(payload, SECRET, now) == stripe.WebhookSignature.generate_signature_header(
        payload.decode(), SECRET, now)
    for bad_payload, header in [
        (payload.replace(b'"livemode": false', b'"livemode": true'), sign_payload(payload, SECRET)),
        (payload, sign_payload(payload, SECRET, now - 301)),
        (payload, sign_payload(payload, "whsec_other")),
    ]:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(bad_payload, header, SECRET)


def test_post_event_delivers_a_verifiable_webhook(fake: FakeStripe, client: stripe.StripeClient) -> None:
    received: list[stripe.Event] = []

    @Request.application
    def endpoint(request: Request) -> Response:
        received.append(stripe.Webhook.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"), SECRET))
        return Response(status=200)

    server = make_server("127.0.0.1", 0, endpoint)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    fake.complete(client.v1.checkout.sessions.create(order_params()).id)
    event = fake.last_event("checkout.session.completed")
    assert post_event(f"http://127.0.0.1:{server.server_port}/webhooks/stripe", event, SECRET) == 200
    thread.join(timeout=5)
    server.server_close()
    assert [e.id for e in received] == [event["id"]]
