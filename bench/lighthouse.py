#!/usr/bin/env python3
"""Lighthouse scores for the shop's home, a product, an article and a cart holding one item.

The shop runs as in bench/load.py (production config, gunicorn -w 2, a fresh SQLite database with
the demo data). A cart is filled the way a shopper fills one: the product page's form, with its
CSRF token, posted to /cart/add; Lighthouse then sends the signed `cart` cookie with --extra-headers.
Lighthouse audits each page with its defaults (mobile, simulated throttling) in headless Chromium,
--runs times; the run with the median performance score is reported, with the failing audits
of every category below its target. JSON and HTML reports are kept in bench/results/.

    (cd bench && npm ci)          # once: lighthouse 12.2.3 into bench/node_modules
    python3 bench/lighthouse.py [--runs 3]

Exit status: 0 every category met its target, 1 one missed it, 2 the run itself failed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from shop_server import (
    BENCH, RESULTS, BenchError, add_app_dir_argument, demo_shop, gunicorn, run, run_bench,
)

LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
PRODUCT = "/products/magnesium-body-cream"
PAGES = {"home": "/", "product": PRODUCT, "article": "/learn/how-common-is-back-pain", "cart": "/cart"}
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
# Audits that Lighthouse shows as passed at or above this score (its own green threshold).
PASSING_SCORE = {"binary": 1.0, "numeric": 0.9, "metricSavings": 0.9}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3,
                        help="Lighthouse runs per page; the median by performance is reported (3)")
    add_app_dir_argument(parser)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _cookies(headers) -> dict[str, str]:
    pairs = (header.split(";", 1)[0].split("=", 1) for header in headers.get_all("Set-Cookie") or [])
    return {name: value for name, value in pairs}


def fill_cart(base_url: str) -> str:
    """Add the product page's preselected variant to a new cart; return the Cookie header for it."""
    with urllib.request.urlopen(base_url + PRODUCT, timeout=10) as response:
        page = response.read().decode()
        session = _cookies(response.headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    variant = re.search(r'name="variant_id" value="(\d+)"\s+checked', page)
    if not token or not variant or "session" not in session:
        raise BenchError(f"{PRODUCT} has no add-to-cart form with a checked variant and a CSRF token")
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(
            "POST", "/cart/add",
            body=urlencode({"csrf_token": token[1], "variant_id": variant[1], "quantity": 1}),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Cookie": f"session={session['session']}"},
        )
        response = connection.getresponse()
        response.read()
        cart = _cookies(response.msg).get("cart")
    finally:
        connection.close()
    if response.status != 303 or not cart:
        raise BenchError(f"POST /cart/add answered {response.status} without a cart cookie")
    cookie = f"cart={cart}"
    request = urllib.request.Request(base_url + "/cart", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        if 'class="cart-table"' not in response.read().decode():
            raise BenchError("The cart cookie did not bring back a cart with an item in it")
    return cookie


def lighthouse(url: str, report_base: Path, extra_headers: dict | None) -> dict:
    command = [
        LIGHTHOUSE, url, "--quiet", f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(TARGETS)}",
        "--output=json", "--output=html", f"--output-path={report_base}",
    ]
    if extra_headers:
        command.append(f"--extra-headers={json.dumps(extra_headers)}")
    run(command, env={**os.environ, "CHROME_PATH": CHROME_PATH})
    return json.loads(report_base.with_name(report_base.name + ".report.json").read_text())


def median_run(reports: list[dict]) -> dict:
    """The report whose performance score is the median (the lower middle for an even count)."""
    ranked = sorted(reports, key=lambda report: report["categories"]["performance"]["score"] or 0)
    return ranked[(len(ranked) - 1) // 2]


def score(report: dict, category: str) -> int:
    return round((report["categories"][category]["score"] or 0) * 100)


def failing_audits(report: dict, category: str) -> list[dict]:
    failures = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        mode = audit["scoreDisplayMode"]
        if mode == "error" or (mode in PASSING_SCORE and audit["score"] < PASSING_SCORE[mode]):
            failures.append(audit)
    return failures


def _describe(value) -> str | None:
    if isinstance(value, str):
        return value or None
    if not isinstance(value, dict):
        return None
    if value.get("type") == "node":
        return f"{value.get('selector', '')} {value.get('snippet', '')} {value.get('nodeLabel', '')!r}"
    if value.get("type") == "source-location":
        return f"{value['url']} line {value['line'] + 1}"
    return None


def describe_items(audit: dict, limit: int = 3) -> list[str]:
    """A few of the audit's items (the offending element, resource or message), one line each."""
    lines = []
    for item in (audit.get("details") or {}).get("items", [])[:limit]:
        text = next(filter(None, map(_describe, (item.get(key) for key in
                                                 ("node", "source", "description", "url")))),
                    json.dumps(item))
        lines.append(text if len(text) <= 160 else text[:157] + "...")
    return lines


def summarise(name: str, path: str, reports: list[dict]) -> dict:
    """The median run's scores, whether they pass, and notes on the failures behind any miss."""
    report = median_run(reports)
    row = {"page": name, "path": path, **{category: score(report, category) for category in TARGETS},
           "performance_runs": [score(each, "performance") for each in reports]}
    passed = True
    notes = []
    for category, target in TARGETS.items():
        if row[category] >= target:
            continue
        passed = False
        notes.append(f"  {category} {row[category]} < {target}:")
        for audit in failing_audits(report, category):
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            notes.append(f"    - {audit['id']}: {audit['title']}{value}")
            if audit.get("explanation"):
                notes.append(f"        {audit['explanation']}")
            notes += [f"        {line}" for line in describe_items(audit)]
    for warning in report.get("runWarnings", []):
        notes.append(f"  warning: {warning}")
    row["passed"] = passed
    row["notes"] = notes
    return row


def main() -> int:
    args = parse_args()
    if not LIGHTHOUSE.exists():
        raise BenchError(f"{LIGHTHOUSE} is missing: run `npm ci` in {BENCH}")
    if not Path(CHROME_PATH).exists():
        raise BenchError(f"{CHROME_PATH} is missing: apt-get install -y chromium, or set CHROME_PATH")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    log_path = RESULTS / f"lighthouse-{stamp}-gunicorn.log"

    rows = []
    with demo_shop("sqlite", args.app_dir) as env, gunicorn(
        "app:create_app()", cwd=args.app_dir, env=env, ready_path="/healthz", log_path=log_path
    ) as base_url:
        cart_headers = {"Cookie": fill_cart(base_url)}
        for name, path in PAGES.items():
            reports = [
                lighthouse(base_url + path, RESULTS / f"lighthouse-{stamp}-{name}-{run_number}",
                           cart_headers if path == "/cart" else None)
                for run_number in range(1, args.runs + 1)
            ]
            row = summarise(name, path, reports)
            rows.append(row)
            print(f"{name}: performance runs {row['performance_runs']}", flush=True)

    print()
    header = f"{'page':<9} {'path':<34}" + "".join(f" {category:>14}" for category in TARGETS)
    print(header)
    print(f"{'target':<9} {'':<34}" + "".join(f" {f'>= {t}':>14}" for t in TARGETS.values()))
    print("-" * len(header))
    for row in rows:
        print(f"{row['page']:<9} {row['path']:<34}"
              + "".join(f" {row[category]:>14}" for category in TARGETS))
    for row in rows:
        if row["notes"]:
            print(f"\n{row['page']} ({row['path']}):")
            print("\n".join(row["notes"]))

    passed = all(row["passed"] for row in rows)
    json_path = RESULTS / f"lighthouse-{stamp}.json"
    json_path.write_text(json.dumps({"started": stamp, "runs": args.runs, "targets": TARGETS,
                                     "pages": rows, "passed": passed}, indent=2) + "\n")
    print(f"\n{'Every page met its targets.' if passed else 'TARGET MISSED: see above.'} "
          f"Summary: {json_path}; full reports: {RESULTS}/lighthouse-{stamp}-*.report.html")
    return 0 if passed else 1


if __name__ == "__main__":
    run_bench(main)
