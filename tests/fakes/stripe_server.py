"""A local fake of the slice of the Stripe API the shop uses, for tests.

Owns: a Werkzeug WSGI app that speaks Stripe's v1 wire format (bracket-encoded
form params in; JSON objects and ``{"error": {...}}`` envelopes out) for Checkout
Sessions, Coupons (applied as a session's ``discounts``), Refunds and read-only
PaymentIntents/Charges/Disputes/Events/ShippingRates;
controls that play the customer (``complete``, ``finish_async_payment``,
``dispute``) or break the API (``fail_next``, ``set_down``, ``set_hanging``);
Stripe-shaped webhook events, signed exactly as Stripe signs them.

Tests drive the real ``stripe`` library at ``fake.url`` (see test_stripe_server.py
for how); nothing here mocks the shop's own code.

Parameter names are checked against the stripe library's TypedDicts (generated
from Stripe's OpenAPI spec), so a misspelt or unknown parameter fails here as it
would at Stripe. Known simplifications: payment mode only, ``price_data`` with
``unit_amount`` (or prices made earlier by this fake), no tax, promotion codes
or customers, and only successful (2xx) responses are kept for idempotent replay.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Iterable

import stripe
from stripe.params import CouponCreateParams, RefundCreateParams
from stripe.params import checkout as cs  # Stripe's SessionCreateParams* TypedDicts
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

Obj = dict[str, Any]

_ROUTES = Map([
    Rule("/v1/checkout/sessions", methods=["POST"], endpoint="create_session"),
    Rule("/v1/checkout/sessions/<obj_id>", methods=["GET"], endpoint="retrieve",
         defaults={"collection": "checkout.sessions"}),
    Rule("/v1/checkout/sessions/<obj_id>/expire", methods=["POST"], endpoint="expire_session"),
    Rule("/v1/checkout/sessions/<obj_id>/line_items", methods=["GET"], endpoint="line_items"),
    Rule("/v1/refunds", methods=["POST"], endpoint="create_refund"),
    Rule("/v1/coupons", methods=["POST"], endpoint="create_coupon"),
    Rule("/v1/<any(payment_intents, charges, refunds, disputes, events, shipping_rates, coupons):collection>"
         "/<obj_id>", methods=["GET"], endpoint="retrieve"),
    Rule("/pay/<obj_id>", methods=["GET", "POST"], endpoint="pay_page"),
])
# Options the library strips into headers; they must never arrive as params.
_REQUEST_OPTIONS = set(stripe.RequestOptions.__annotations__)
_NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization"
           " header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")


class StripeAPIError(Exception):
    """An error answered in Stripe's envelope; the library maps status+type to its exceptions."""

    def __init__(self, message: str, *, status: int = 400, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 decline_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        fields = {"type": type, "message": message, "code": code, "param": param,
                  "decline_code": decline_code}
        self.body = {"error": {k: v for k, v in fields.items() if v is not None}}


def _new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(string.ascii_letters + string.digits)
                                  for _ in range(24))


def decode_params(pairs: Iterable[tuple[str, str]]) -> Obj:
    """Undo Stripe's form encoding: ``a[b][0][c]=1`` -> ``{"a": {"b": [{"c": "1"}]}}``."""
    root: Obj = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        *parents, last = [head, *re.findall(r"\[([^\]]*)\]", key[len(head):])]
        node = root
        for part in parents:
            node = node.setdefault(part or str(len(node)), {})
        node[last or str(len(node))] = value  # "expand[]=x" appends
    return {k: _listify(v, k) for k, v in root.items()}


def _listify(node: Any, key: str = "") -> Any:
    if not isinstance(node, dict) or key == "metadata":  # metadata keys may look like indexes
        return node
    node = {k: _listify(v, k) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def _join(path: str, key: str) -> str:
    return f"{path}[{key}]" if path else key


def _missing(param: str) -> StripeAPIError:
    return StripeAPIError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def _check(node: Any, schema: Any, path: str) -> Obj:
    """Reject what Stripe rejects: non-objects, unknown keys, missing required keys."""
    if not isinstance(node, dict):
        raise StripeAPIError(f"Invalid object: {path}", param=path)
    for key in node:
        if key not in schema.__annotations__ or (not path and key in _REQUEST_OPTIONS):
            raise StripeAPIError(f"Received unknown parameter: {_join(path, key)}",
                                 param=_join(path, key))
    for key in sorted(schema.__required_keys__ - set(node)):
        raise _missing(_join(path, key))
    return node


def _list(node: Any, param: str) -> list[Any]:
    if not isinstance(node, list):
        raise StripeAPIError(f"Invalid array: {param}", param=param)
    return node


def _int(value: Any, param: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeAPIError(f"Invalid integer: {value}", param=param) from None
    if number < minimum:
        raise StripeAPIError(f"This value must be greater than or equal to {minimum}.", param=param)
    return number


def _bool(value: Any, param: str) -> bool | None:
    if value not in (None, "true", "false"):
        raise StripeAPIError(f"Invalid boolean: {value}", param=param)
    return None if value is None else value == "true"


def _metadata(value: Any, param: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise StripeAPIError(f"Invalid {param}: values must be strings", param=param)
    return value


def _money(amount: int, currency: str) -> str:
    return f"${amount / 100:.2f}" if currency == "usd" else f"{amount / 100:.2f} {currency.upper()}"


def _list_object(items: list[Obj], url: str, params: Obj) -> Obj:
    limit = _int(params.get("limit", 10), "limit", minimum=1)  # Stripe pages lists by 10
    ids = [item["id"] for item in items]
    start = ids.index(params["starting_after"]) + 1 if "starting_after" in params else 0
    page = items[start:start + limit]
    return {"object": "list", "data": copy.deepcopy(page), "has_more": start + limit < len(items),
            "url": url}


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection, so set_down() bites at once

    def handle(self) -> None:
        fake = getattr(self.server, "app")
        if fake.hang_seconds:
            with fake._lock:
                fake.hung_connections += 1
            time.sleep(fake.hang_seconds)  # a service that accepts the connection, then never answers
            return
        if fake.down:
            return  # hang up without answering: the client sees a dropped connection
        super().handle()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # keep pytest output clean


class FakeStripe:
    """In-memory Stripe state plus the WSGI app serving it. Get one via ``start_stripe_server``."""

    def __init__(self) -> None:
        self.url = ""
        self.objects: dict[str, Obj] = {}  # every API object by id, as Stripe would return it
        self.events: list[Obj] = []  # emitted events, oldest first
        self.requests: list[Obj] = []  # what clients sent, decoded, for assertions
        self.down = False
        self.hang_seconds = 0.0
        self.hung_connections = 0  # connections held by set_hanging, for counting a client's attempts
        self._line_items: dict[str, list[Obj]] = {}
        self._pi_data: dict[str, Obj] = {}  # session id -> payment_intent_data, used at payment
        self._idempotent: dict[str, tuple[Any, str]] = {}  # key -> (request fingerprint, body)
        self._faults: list[StripeAPIError] = []
        self._request_info: Obj = {"id": None, "idempotency_key": None}
        self._lock = threading.RLock()  # server threads and the test thread share the state
        self._server: BaseWSGIServer | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeStripe:
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- customer and failure controls -----------------------------------------------------
    def complete(self, session_id: str, *, paid: bool = True, email: str | None = None,
                 name: str = "Jenny Rosen", shipping_details: Obj | None = None,
                 shipping_rate: int = 0) -> Obj:
        """Play the customer paying on the hosted page.

        ``paid=False`` is a delayed method (e.g. bank debit): the session completes unpaid
        and ``finish_async_payment`` settles it later. ``shipping_rate`` indexes the
        session's shipping_options.
        """
        with self._lock:
            session = self._open_session(session_id)
            shipping = None
            if session["shipping_address_collection"]:
                allowed = session["shipping_address_collection"]["allowed_countries"]
                shipping = shipping_details or {"name": name, "address": {
                    "city": "South San Francisco", "country": allowed[0], "line1": "354 Oyster Point Blvd",
                    "line2": None, "postal_code": "94080", "state": "CA"}}
                if shipping["address"]["country"] not in allowed:
                    raise ValueError(f"checkout only offers {allowed}")
                session["collected_information"] = {
                    "business_name": None, "individual_name": None, "shipping_details": shipping}
            if session["shipping_options"]:
                option = session["shipping_options"][shipping_rate]
                amount = option["shipping_amount"]
                session["shipping_cost"] = {"amount_subtotal": amount, "amount_tax": 0,
                                            "amount_total": amount, "shipping_rate": option["shipping_rate"]}
                session["total_details"]["amount_shipping"] = amount
                session["amount_total"] += amount
            address = shipping["address"] if shipping else {
                "city": None, "country": "US", "line1": None, "line2": None, "postal_code": "94080", "state": None}
            session["customer_details"] = {
                "address": address, "business_name": None, "individual_name": None, "name": name,
                "email": email or session["customer_email"] or "customer@example.com",
                "phone": None, "tax_exempt": "none", "tax_ids": []}
            for discount in session["discounts"]:
                coupon = self.objects[discount["coupon"]]
                coupon["times_redeemed"] += 1
                coupon["valid"] = coupon["max_redemptions"] is None or coupon["times_redeemed"] < coupon["max_redemptions"]
            intent = self._pay(session, paid, shipping)
            session.update(status="complete", payment_status="paid" if paid else "unpaid",
                           payment_intent=intent["id"], url=None)
            self._emit("checkout.session.completed", session)
            return copy.deepcopy(session)

    def finish_async_payment(self, session_id: str, *, succeeded: bool = True) -> Obj:
        """Settle a delayed payment made with ``complete(paid=False)``."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            intent = self.objects.get(session["payment_intent"] or "", {})
            if intent.get("status") != "processing":
                raise ValueError(f"{session_id} has no payment awaiting settlement")
            charge = self.objects[intent["latest_charge"]]
            if succeeded:
                intent.update(status="succeeded", amount_received=intent["amount"])
                charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])
                session["payment_status"] = "paid"
            else:  # the session stays complete/unpaid; the intent wants a new payment method
                intent.update(status="requires_payment_method")
                charge.update(status="failed", failure_code="insufficient_funds",
                              failure_message="The customer's account has insufficient funds.")
            outcome = "succeeded" if succeeded else "failed"
            self._emit(f"checkout.session.async_payment_{outcome}", session)
            return copy.deepcopy(session)

    def expire(self, session_id: str) -> Obj:
        """Let an open session time out (what Stripe does at ``expires_at``)."""
        with self._lock:
            return copy.deepcopy(self._expire(self._open_session(session_id)))

    def dispute(self, payment_intent_id: str, *, reason: str = "fraudulent",
                amount: int | None = None) -> Obj:
        """Play the cardholder's bank opening a chargeback."""
        with self._lock:
            charge = self.objects[self._get(payment_intent_id, "payment_intent")["latest_charge"]]
            charge["disputed"] = True
            dispute = self._store({
                "id": _new_id("dp"), "object": "dispute", "amount": amount or charge["amount"],
                "balance_transactions": [], "charge": charge["id"], "created": int(time.time()),
                "currency": charge["currency"], "evidence_details": {
                    "due_by": int(time.time()) + 7 * 86400, "has_evidence": False,
                    "past_due": False, "submission_count": 0},
                "is_charge_refundable": False, "livemode": False, "metadata": {},
                "payment_intent": payment_intent_id, "reason": reason, "status": "needs_response"})
            self._emit("charge.dispute.created", dispute)
            return copy.deepcopy(dispute)

    def fail_next(self, status: int = 500, *, type: str | None = None, message: str | None = None,
                  code: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` API requests with an error (before auth or idempotency)."""
        card = status == 402
        error = StripeAPIError(
            message or ("Your card was declined." if card else "An unknown error occurred"),
            status=status,
            type=type or ("card_error" if card else "api_error" if status >= 500 else "invalid_request_error"),
            code=code or ("card_declined" if card else "rate_limit" if status == 429 else None),
            decline_code="generic_decline" if card else None)
        with self._lock:
            self._faults.extend([error] * times)

    def set_down(self, down: bool = True) -> None:
        """While down, every connection is dropped unanswered (Stripe unreachable)."""
        self.down = down

    def set_hanging(self, seconds: float = 0.0) -> None:
        """From now, hold each connection this long without answering, then drop it (Stripe
        accepting requests but not answering); 0 answers again. Nothing held is processed."""
        self.hang_seconds = seconds

    # -- events ----------------------------------------------------------------------------
    def make_event(self, type: str, obj: Obj, previous_attributes: Obj | None = None) -> Obj:
        """A Stripe event snapshotting ``obj`` now; emitted ones are also kept in ``events``."""
        data: Obj = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        return {"id": _new_id("evt"), "object": "event", "api_version": stripe.api_version,
                "created": int(time.time()), "data": data, "livemode": False,
                "pending_webhooks": 1, "request": dict(self._request_info), "type": type}

    def last_event(self, type: str) -> Obj:
        for event in reversed(self.events):
            if event["type"] == type:
                return event
        raise LookupError(f"no {type} event yet; have {[e['type'] for e in self.events]}")

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ: Obj, start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            response = self._api(request) if request.path.startswith("/v1/") else self._page(request)
        return response(environ, start_response)

    def _api(self, request: Request) -> Response:
        params = decode_params((request.form if request.method == "POST" else request.args).items(multi=True))
        key = request.headers.get("Idempotency-Key")
        self.requests.append({"method": request.method, "path": request.path, "params": params,
                              "idempotency_key": key, "stripe_version": request.headers.get("Stripe-Version")})
        self._request_info = {"id": _new_id("req"), "idempotency_key": key}
        try:
            if self._faults:
                raise self._faults.pop(0)
            self._authenticate(request.headers.get("Authorization", ""))
            fingerprint = (request.path, params)
            if request.method == "POST" and key in self._idempotent:
                seen, body = self._idempotent[key]
                if seen != fingerprint:
                    raise StripeAPIError(
                        "Keys for idempotent requests can only be used with the same parameters they were"
                        f" first used with. Try using a key other than '{key}' if you meant to execute a"
                        " different request.", type="idempotency_error")
                return self._respond(body, 200, {"Idempotent-Replayed": "true"})
            try:
                endpoint, args = _ROUTES.bind_to_environ(request.environ).match()
            except HTTPException:
                raise StripeAPIError(f"Unrecognized request URL ({request.method}: {request.path}).",
                                     status=404) from None
            body = json.dumps(getattr(self, "_api_" + endpoint)(params, **args), indent=2)
            if request.method == "POST" and key:
                self._idempotent[key] = (copy.deepcopy(fingerprint), body)
            return self._respond(body, 200)
        except StripeAPIError as error:
            return self._respond(json.dumps(error.body, indent=2), error.status)
        finally:
            self._request_info = {"id": None, "idempotency_key": None}

    def _respond(self, body: str, status: int, headers: dict[str, str] | None = None) -> Response:
        return Response(body, status, mimetype="application/json", headers={
            "Request-Id": self._request_info["id"], "Stripe-Version": stripe.api_version, **(headers or {})})

    @staticmethod
    def _authenticate(header: str) -> None:
        api_key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not api_key:
            raise StripeAPIError(_NO_KEY, status=401)
        if not api_key.startswith(("sk_test_", "rk_test_")):  # a live key in tests is a bug
            raise StripeAPIError(f"Invalid API Key provided: {api_key[:8]}****{api_key[-4:]}", status=401)

    # -- API endpoints ---------------------------------------------------------------------
    def _api_create_session(self, p: Obj) -> Obj:
        _check(p, cs.SessionCreateParams, "")
        for required in ("mode", "line_items", "success_url"):
            if required not in p:
                raise _missing(required)
        if p["mode"] != "payment":
            raise StripeAPIError(f"Invalid mode: {p['mode']} (this fake supports only payment)", param="mode")
        items = [self._line_item(item, f"line_items[{i}]")
                 for i, item in enumerate(_list(p["line_items"], "line_items"))]
        if not items or len({item["currency"] for item in items}) > 1:
            raise StripeAPIError("line_items must be non-empty and share one currency.", param="line_items")
        currency = items[0]["currency"]
        now = int(time.time())
        expires_at = _int(p.get("expires_at", now + 86400), "expires_at")
        if not now + 1800 <= expires_at <= now + 86400:
            raise StripeAPIError("The `expires_at` timestamp must be between 30 minutes and 24 hours"
                                 " from Checkout Session creation.", param="expires_at")
        collection = p.get("shipping_address_collection")
        if collection is not None:
            _check(collection, cs.SessionCreateParamsShippingAddressCollection, "shipping_address_collection")
            _list(collection["allowed_countries"], "shipping_address_collection[allowed_countries]")
        intent_data = _check(p.get("payment_intent_data", {}), cs.SessionCreateParamsPaymentIntentData,
                             "payment_intent_data")
        _metadata(intent_data.get("metadata", {}), "payment_intent_data[metadata]")
        subtotal = sum(item["amount_total"] for item in items)
        promotion_codes = _bool(p.get("allow_promotion_codes"), "allow_promotion_codes")
        if promotion_codes and "discounts" in p:
            raise StripeAPIError("You may only specify one of these parameters: allow_promotion_codes, discounts.")
        discounts, discount = self._discounts(p.get("discounts", []), items, currency)
        session = self._store({
            "id": _new_id("cs_test"), "object": "checkout.session",
            "allow_promotion_codes": promotion_codes, "discounts": discounts,
            # shipping is added once chosen
            "amount_subtotal": subtotal, "amount_total": subtotal - discount,
            "cancel_url": p.get("cancel_url"), "client_reference_id": p.get("client_reference_id"),
            "collected_information": None, "created": now, "currency": currency, "customer": None,
            "customer_details": None, "customer_email": p.get("customer_email"), "expires_at": expires_at,
            "livemode": False, "locale": p.get("locale"), "metadata": _metadata(p.get("metadata", {}), "metadata"),
            "mode": "payment", "payment_intent": None, "payment_method_types": ["card"],
            "payment_status": "unpaid", "shipping_address_collection": collection, "shipping_cost": None,
            "shipping_options": [self._shipping_option(option, f"shipping_options[{i}]", currency)
                                 for i, option in enumerate(_list(p.get("shipping_options", []), "shipping_options"))],
            "status": "open", "submit_type": p.get("submit_type"), "success_url": p["success_url"],
            "total_details": {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted"})
        session["url"] = f"{self.url}/pay/{session['id']}"
        self._line_items[session["id"]] = items
        self._pi_data[session["id"]] = intent_data
        return self._expanded(session, p)

    def _api_retrieve(self, p: Obj, collection: str, obj_id: str) -> Obj:
        return self._expanded(self._get(obj_id, collection[:-1]), p)  # "charges" -> "charge"

    def _api_expire_session(self, p: Obj, obj_id: str) -> Obj:
        session = self._get(obj_id, "checkout.session")
        if session["status"] != "open":
            raise StripeAPIError(f"Only Checkout Sessions with a status in [\"open\"] can be expired."
                                 f" This session has status \"{session['status']}\".")
        return self._expanded(self._expire(session), p)

    def _api_line_items(self, p: Obj, obj_id: str) -> Obj:
        self._get(obj_id, "checkout.session")
        return _list_object(self._line_items[obj_id], f"/v1/checkout/sessions/{obj_id}/line_items", p)

    def _api_create_coupon(self, p: Obj) -> Obj:
        _check(p, CouponCreateParams, "")
        if ("amount_off" in p) == ("percent_off" in p):
            raise StripeAPIError("You must pass either amount_off or percent_off.")
        amount_off = _int(p["amount_off"], "amount_off", minimum=1) if "amount_off" in p else None
        if amount_off is not None and "currency" not in p:
            raise StripeAPIError("You must pass currency when passing amount_off.", param="currency")
        percent_off = float(p["percent_off"]) if "percent_off" in p else None
        if percent_off is not None and not 0 < percent_off <= 100:
            raise StripeAPIError("Percent off must be between 0 and 100.", param="percent_off")
        if len(p.get("name", "")) > 40:
            raise StripeAPIError("Name must be at most 40 characters.", param="name")
        return self._store({
            "id": p.get("id") or _new_id("coupon")[:20], "object": "coupon", "amount_off": amount_off,
            "created": int(time.time()), "currency": p["currency"].lower() if "currency" in p else None,
            "duration": p.get("duration", "once"), "livemode": False,
            "max_redemptions": _int(p["max_redemptions"], "max_redemptions", 1) if "max_redemptions" in p else None,
            "metadata": _metadata(p.get("metadata", {}), "metadata"), "name": p.get("name"),
            "percent_off": percent_off, "times_redeemed": 0, "valid": True})

    def _api_create_refund(self, p: Obj) -> Obj:
        _check(p, RefundCreateParams, "")
        if "payment_intent" in p:
            charge_id = self._get(p["payment_intent"], "payment_intent", "payment_intent")["latest_charge"]
        elif "charge" in p:
            charge_id = self._get(p["charge"], "charge", "charge")["id"]
        else:
            raise StripeAPIError("One of the following params should be provided for this request:"
                                 " payment_intent or charge.")
        charge = self.objects[charge_id]
        if charge["status"] != "succeeded":
            raise StripeAPIError(f"Charge {charge_id} has not succeeded; there is nothing to refund.")
        if charge["disputed"]:
            raise StripeAPIError(f"Charge {charge_id} has been charged back; cannot issue a refund.",
                                 code="charge_disputed")
        remaining, currency = charge["amount"] - charge["amount_refunded"], charge["currency"]
        if remaining == 0:
            raise StripeAPIError(f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
        amount = _int(p["amount"], "amount", minimum=1) if "amount" in p else remaining
        if amount > remaining:
            of = "charge amount" if charge["amount_refunded"] == 0 else "unrefunded amount on charge"
            raise StripeAPIError(f"Refund amount ({_money(amount, currency)}) is greater than {of}"
                                 f" ({_money(remaining, currency)})", param="amount")
        if p.get("reason") not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise StripeAPIError("Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                                 param="reason")
        refund = self._store({
            "id": _new_id("re"), "object": "refund", "amount": amount, "balance_transaction": None,
            "charge": charge_id, "created": int(time.time()), "currency": currency,
            "metadata": _metadata(p.get("metadata", {}), "metadata"), "payment_intent": charge["payment_intent"],
            "reason": p.get("reason"), "receipt_number": None, "status": "succeeded"})
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, copy.deepcopy(refund))
        self._emit("charge.refunded", charge, previous)
        return self._expanded(refund, p)

    # -- helpers ---------------------------------------------------------------------------
    def _page(self, request: Request) -> Response:
        """The hosted payment page stand-in: a Pay button, then Stripe's success redirect."""
        try:
            _, args = _ROUTES.bind_to_environ(request.environ).match()
            session = self._get(args["obj_id"], "checkout.session")
        except (HTTPException, StripeAPIError):
            return Response("Not found", 404)
        if request.method == "POST" and session["status"] == "open":
            self.complete(session["id"])
            return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), 303)
        button = ('<form method="post"><button>Pay</button></form>'
                  f'<a href="{html.escape(session["cancel_url"] or "")}">Cancel</a>'
                  if session["status"] == "open" else "")
        return Response(f"<!doctype html><title>Fake Stripe Checkout</title><h1>Pay"
                        f" {_money(session['amount_total'], session['currency'])}</h1>"
                        f"<p id=status>{session['status']}</p>{button}", mimetype="text/html")

    def _store(self, obj: Obj) -> Obj:
        self.objects[obj["id"]] = obj
        return obj

    def _get(self, obj_id: str, kind: str, param: str | None = None) -> Obj:
        obj = self.objects.get(obj_id)
        if obj is None or obj["object"] != kind:  # unknown ids in a param are 400s, in the path 404s
            raise StripeAPIError(f"No such {kind}: '{obj_id}'", status=400 if param else 404,
                                 code="resource_missing", param=param or "id")
        return obj

    def _open_session(self, session_id: str) -> Obj:
        session = self._get(session_id, "checkout.session")
        if session["status"] != "open":
            raise ValueError(f"{session_id} is {session['status']}, not open")
        return session

    def _expire(self, session: Obj) -> Obj:
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session)
        return session

    def _emit(self, type: str, obj: Obj, previous_attributes: Obj | None = None) -> None:
        self.events.append(self._store(self.make_event(type, obj, previous_attributes)))

    def _expanded(self, obj: Obj, params: Obj) -> Obj:
        obj = copy.deepcopy(obj)
        for path in _list(params.get("expand", []), "expand"):
            self._expand(obj, path.split("."), path)
        return obj

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        if isinstance(node, list):  # e.g. the "data" of a list object
            for item in node:
                self._expand(item, parts, path)
            return
        key, rest = parts[0], parts[1:]
        if not isinstance(node, dict):
            raise StripeAPIError(f"This property cannot be expanded ({path}).", param="expand")
        value = node.get(key)
        if node.get("object") == "checkout.session" and key == "line_items":
            value = _list_object(self._line_items[node["id"]], f"/v1/checkout/sessions/{node['id']}/line_items", {})
        elif isinstance(value, str) and value in self.objects:
            value = copy.deepcopy(self.objects[value])
        elif value is None and key in node and not rest:
            return  # expanding a null field yields null, as at Stripe
        elif not (isinstance(value, (dict, list)) and rest):
            raise StripeAPIError(f"This property cannot be expanded ({path}).", param="expand")
        node[key] = value
        if rest:
            self._expand(value, rest, path)

    def _line_item(self, item: Any, path: str) -> Obj:
        _check(item, cs.SessionCreateParamsLineItem, path)
        if "quantity" not in item:
            raise _missing(f"{path}[quantity]")
        quantity = _int(item["quantity"], f"{path}[quantity]", minimum=1)
        if "price" in item:
            price = self._get(item["price"], "price", f"{path}[price]")
        elif "price_data" in item:
            data = _check(item["price_data"], cs.SessionCreateParamsLineItemPriceData, f"{path}[price_data]")
            if "unit_amount" not in data:
                raise _missing(f"{path}[price_data][unit_amount]")
            if "product" in data:
                product = self._get(data["product"], "product", f"{path}[price_data][product]")
            elif "product_data" in data:
                info = _check(data["product_data"], cs.SessionCreateParamsLineItemPriceDataProductData,
                              f"{path}[price_data][product_data]")
                product = self._store({
                    "id": _new_id("prod"), "object": "product", "active": False, "description": info.get("description"),
                    "images": info.get("images", []), "metadata": _metadata(info.get("metadata", {}), "metadata"),
                    "name": info["name"]})
            else:
                raise _missing(f"{path}[price_data][product_data]")
            price = self._store({
                "id": _new_id("price"), "object": "price", "active": False, "currency": data["currency"].lower(),
                "metadata": {}, "product": product["id"], "type": "one_time",
                "unit_amount": _int(data["unit_amount"], f"{path}[price_data][unit_amount]")})
        else:
            raise _missing(f"{path}[price_data]")
        amount = price["unit_amount"] * quantity
        return {"id": _new_id("li"), "object": "item", "amount_discount": 0, "amount_subtotal": amount,
                "amount_tax": 0, "amount_total": amount, "currency": price["currency"],
                "description": self.objects[price["product"]]["name"],
                "metadata": _metadata(item.get("metadata", {}), f"{path}[metadata]"),
                "price": copy.deepcopy(price), "quantity": quantity}

    def _discounts(self, given: Any, items: list[Obj], currency: str) -> tuple[list[Obj], int]:
        """A session's discounts (one coupon, as Checkout allows) and the amount they take off its
        line items, spread over the items as Stripe shows it on each (shipping is never discounted)."""
        given = _list(given, "discounts")
        if len(given) > 1:
            raise StripeAPIError("You may only specify one discount.", param="discounts")
        if not given:
            return [], 0
        entry = _check(given[0], cs.SessionCreateParamsDiscount, "discounts[0]")
        if "coupon" not in entry:
            raise _missing("discounts[0][coupon]")
        coupon = self._get(entry["coupon"], "coupon", "discounts[0][coupon]")
        if not coupon["valid"]:
            raise StripeAPIError(f"Coupon {coupon['id']} is no longer valid.", param="discounts[0][coupon]")
        if coupon["amount_off"] is not None and coupon["currency"] != currency:
            raise StripeAPIError(f"The coupon's currency must match the session currency ({currency}).",
                                 param="discounts[0][coupon]")
        subtotal = sum(item["amount_subtotal"] for item in items)
        discount = (min(coupon["amount_off"], subtotal) if coupon["amount_off"] is not None
                    else round(subtotal * coupon["percent_off"] / 100))
        left = discount
        for index, item in enumerate(items):
            share = left if index == len(items) - 1 else discount * item["amount_subtotal"] // subtotal
            item["amount_discount"], item["amount_total"] = share, item["amount_subtotal"] - share
            left -= share
        return [{"coupon": coupon["id"], "promotion_code": None}], discount

    def _shipping_option(self, option: Any, path: str, currency: str) -> Obj:
        _check(option, cs.SessionCreateParamsShippingOption, path)
        if "shipping_rate" in option:
            rate = self._get(option["shipping_rate"], "shipping_rate", f"{path}[shipping_rate]")
        elif "shipping_rate_data" in option:
            data = _check(option["shipping_rate_data"], cs.SessionCreateParamsShippingOptionShippingRateData,
                          f"{path}[shipping_rate_data]")
            if "fixed_amount" not in data:
                raise _missing(f"{path}[shipping_rate_data][fixed_amount]")
            fixed = _check(data["fixed_amount"], cs.SessionCreateParamsShippingOptionShippingRateDataFixedAmount,
                           f"{path}[shipping_rate_data][fixed_amount]")
            estimate = {bound: {"unit": v["unit"], "value": int(v["value"])}
                        for bound, v in data.get("delivery_estimate", {}).items()}
            rate = self._store({
                "id": _new_id("shr"), "object": "shipping_rate", "active": True, "created": int(time.time()),
                "delivery_estimate": estimate or None, "display_name": data["display_name"],
                "fixed_amount": {"amount": _int(fixed["amount"], f"{path}[shipping_rate_data][fixed_amount][amount]"),
                                 "currency": fixed["currency"].lower()},
                "livemode": False, "metadata": _metadata(data.get("metadata", {}), "metadata"),
                "tax_behavior": data.get("tax_behavior", "unspecified"), "tax_code": None, "type": "fixed_amount"})
        else:
            raise _missing(f"{path}[shipping_rate_data]")
        if rate["fixed_amount"]["currency"] != currency:
            raise StripeAPIError(f"The shipping rate currency must match the session currency ({currency}).",
                                 param=path)
        return {"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]}

    def _pay(self, session: Obj, paid: bool, shipping: Obj | None) -> Obj:
        """Create the PaymentIntent and Charge behind a completed session."""
        intent_data, now = self._pi_data[session["id"]], int(time.time())
        amount, currency = session["amount_total"], session["currency"]
        metadata = intent_data.get("metadata", {})
        details = session["customer_details"]
        charge = self._store({
            "id": _new_id("ch"), "object": "charge", "amount": amount, "amount_captured": amount if paid else 0,
            "amount_refunded": 0, "billing_details": {k: details[k] for k in ("address", "email", "name", "phone")},
            "captured": paid, "created": now, "currency": currency, "disputed": False, "livemode": False,
            "metadata": dict(metadata), "paid": paid, "payment_intent": None, "receipt_email": None,
            "refunded": False, "status": "succeeded" if paid else "pending"})
        charge["refunds"] = {"object": "list", "data": [], "has_more": False,
                             "url": f"/v1/charges/{charge['id']}/refunds"}
        intent = self._store({
            "id": _new_id("pi"), "object": "payment_intent", "amount": amount,
            "amount_received": amount if paid else 0, "created": now, "currency": currency, "customer": None,
            "description": intent_data.get("description"), "latest_charge": charge["id"], "livemode": False,
            "metadata": dict(metadata), "payment_method_types": ["card"],
            "receipt_email": intent_data.get("receipt_email"),
            "shipping": {**shipping, "carrier": None, "phone": None, "tracking_number": None} if shipping else None,
            "status": "succeeded" if paid else "processing"})
        charge["payment_intent"] = intent["id"]
        return intent


def start_stripe_server() -> FakeStripe:
    """Serve a fresh fake on an ephemeral 127.0.0.1 port; call ``.stop()`` (or use ``with``)."""
    return FakeStripe().start()


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` signed with ``secret``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def event_payload(event: Obj) -> bytes:
    """The body Stripe POSTs for ``event`` (pretty-printed JSON, like Stripe's)."""
    return json.dumps(event, indent=2).encode()


def post_event(url: str, event: Obj, secret: str, timestamp: int | None = None) -> int:
    """Deliver ``event`` to a running webhook endpoint as Stripe would; returns the HTTP status."""
    payload = event_payload(event)
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign_payload(payload, secret, timestamp),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
