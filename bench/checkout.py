#!/usr/bin/env python3
"""Checkout under load: orders created per second through POST /checkout, and the oversell count.

The shop runs under `gunicorn -w 2` with the production config on a fresh PostgreSQL database,
its `stripe` library pointed at the local Stripe-compatible server (tests/fakes). One variant
gets a known stock; BUYERS threads, each a browser with its own session, check out one unit each
from ready-made carts until more orders have been tried than there are units. Every accepted
order holds a unit, so exactly STOCK orders must succeed: anything more is an oversell.

    .venv/bin/python bench/checkout.py [--buyers 16] [--stock 300] [--attempts 400]

Run it with the project's virtualenv (it imports the fake Stripe server and itsdangerous).
Exit status: 0 no oversell, 1 an oversell or a lost order, 2 the run itself failed.
"""
from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from shop_server import RESULTS, ROOT, BenchError, demo_shop, gunicorn, run_bench

sys.path.insert(0, str(ROOT))
from tests.fakes.stripe_server import start_stripe_server  # noqa: E402

SKU = "TMC-CRM-4-UNS"
TOKEN_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=16, help="concurrent buyers (16)")
    parser.add_argument("--stock", type=int, default=300, help="units of the variant on hand (300)")
    parser.add_argument("--attempts", type=int, default=400, help="checkouts tried in all (400)")
    args = parser.parse_args()
    if not 0 < args.stock < args.attempts:
        parser.error("--stock must be positive and below --attempts, so the stock runs out")
    return args


def prepare(database_url: str, secret_key: str, *, stock: int, carts: int) -> list[str]:
    """Set the variant's stock and make one single-unit cart per attempt; return their cookies."""
    signer = URLSafeSerializer(secret_key, salt="cart-token")  # as app/cart/cookie.py signs them
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        variant_id, price = connection.execute(
            sa.text("UPDATE variants SET stock_on_hand = :stock, stock_reserved = 0 WHERE sku = :sku "
                    "RETURNING id, price_minor"), {"stock": stock, "sku": SKU}).one()
        tokens = [secrets.token_urlsafe(32) for _ in range(carts)]
        for token in tokens:
            cart_id = connection.execute(
                sa.text("INSERT INTO carts (token, created_at, updated_at) VALUES (:t, now(), now()) RETURNING id"),
                {"t": token}).scalar_one()
            connection.execute(
                sa.text("INSERT INTO cart_lines (cart_id, variant_id, quantity, seen_price_minor, created_at, "
                        "updated_at) VALUES (:c, :v, 1, :p, now(), now())"),
                {"c": cart_id, "v": variant_id, "p": price})
    engine.dispose()
    return [signer.dumps(token) for token in tokens]


def buyer(base_url: str, cookies: list[str], outcomes: list[str], lock: threading.Lock) -> None:
    """One browser: a session (and its CSRF token) kept, a fresh cart cookie for each checkout."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/products/magnesium-body-cream", timeout=30).text
    token = TOKEN_FIELD.search(page).group(1)
    for cookie in cookies:
        browser.cookies.set("cart", cookie, domain="127.0.0.1")
        response = browser.post(f"{base_url}/checkout", allow_redirects=False, timeout=30,
                                data={"csrf_token": token, "shipping": "standard", "email": "bench@example.com"})
        location = response.headers.get("Location", "")
        outcome = ("ordered" if response.status_code == 303 and "/pay/cs_test_" in location
                   else "sent back" if response.status_code == 303 and location.endswith("/cart")
                   else f"HTTP {response.status_code}")
        with lock:
            outcomes.append(outcome)


def count_in_database(database_url: str) -> dict:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        on_hand, reserved = connection.execute(
            sa.text("SELECT stock_on_hand, stock_reserved FROM variants WHERE sku = :sku"), {"sku": SKU}).one()
        orders = connection.execute(sa.text(
            "SELECT count(*) FROM orders WHERE status = 'pending_payment' AND checkout_session_id IS NOT NULL"
        )).scalar_one()
    engine.dispose()
    return {"stock_on_hand": on_hand, "stock_reserved": reserved, "pending_orders": orders}


def main() -> int:
    args = parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    log_path = RESULTS / f"checkout-{stamp}-gunicorn.log"
    with start_stripe_server() as stripe_server, demo_shop("postgresql") as env:
        # Plain http on 127.0.0.1: a Secure session cookie would never come back, nor the CSRF token in it.
        env.update(STRIPE_API_BASE=stripe_server.url, SESSION_COOKIE_SECURE="false")
        cookies = prepare(env["DATABASE_URL"], env["SECRET_KEY"], stock=args.stock, carts=args.attempts)
        with gunicorn("app:create_app()", cwd=ROOT, env=env, ready_path="/healthz", log_path=log_path) as base_url:
            outcomes: list[str] = []
            lock = threading.Lock()
            shares = [cookies[index::args.buyers] for index in range(args.buyers)]
            threads = [threading.Thread(target=buyer, args=(base_url, share, outcomes, lock)) for share in shares]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        counted = count_in_database(env["DATABASE_URL"])

    ordered = outcomes.count("ordered")
    result = {
        "started": stamp, "buyers": args.buyers, "stock": args.stock, "attempts": args.attempts,
        "seconds": round(elapsed, 2), "checkouts_per_second": round(len(outcomes) / elapsed, 1),
        "orders_per_second": round(ordered / elapsed, 1), "ordered": ordered,
        "sent_back": outcomes.count("sent back"),
        "errors": len(outcomes) - ordered - outcomes.count("sent back"), **counted,
        "oversold": max(0, counted["stock_reserved"] - args.stock) + max(0, ordered - args.stock),
    }
    (RESULTS / f"checkout-{stamp}.json").write_text(json.dumps(result, indent=1))
    print(f"{args.buyers} buyers, {args.attempts} checkouts for {args.stock} units in {elapsed:.1f}s")
    print(f"  POST /checkout: {result['checkouts_per_second']} req/s; orders created: "
          f"{result['orders_per_second']}/s ({ordered} orders, {result['sent_back']} sent back, "
          f"{result['errors']} errors)")
    print(f"  database: {counted['pending_orders']} orders awaiting payment, {counted['stock_reserved']} "
          f"of {counted['stock_on_hand']} units reserved; oversold: {result['oversold']}")
    healthy = result["oversold"] == 0 and ordered == args.stock == counted["pending_orders"] and not result["errors"]
    return 0 if healthy else 1


if __name__ == "__main__":
    run_bench(main)
