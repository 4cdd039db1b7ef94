"""Property (issue 14): for every route in the URL map, as every role, with every form field a
page offers that role, bad values never give a 5xx, and refused input changes nothing.

Bad values: huge and negative integers, NUL and other control characters, very long strings,
malformed dates, repeated and missing fields, in the path, the query and the form. Each example
sends a valid CSRF token, so the request reaches the form's own checks.

`make test` runs FUZZ_EXAMPLES random examples (default 250) and a sweep that sends each kind of
bad value to every route and form field of every role: about 40 s per database. A longer
random run, e.g. before a release:

    FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest -p no:playwright tests/hardening/test_bad_input_property.py
    TEST_DATABASE_URL=postgresql+psycopg://127.0.0.1:5432/test FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest \\
        -p no:playwright tests/hardening/test_bad_input_property.py

A failure prints the request that caused it (method, path, query and form).
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app.accounts.services import register
from app.catalog.models import Product, ProductImage, Variant
from app.contact.models import ContactReport
from app.content.models import Article, Page
from app.discounts.models import DiscountCode
from app.db import Base
from app.extensions import db
from tests.conftest import CSRF_TOKEN, DEMO_PASSWORDS, counting_queries, sign_in_as

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))
ROLES = ("anonymous", "shopper", "admin", "fulfilment", "marketing")
SHOPPER = ("fuzz-shopper@example.com", "fuzz-shopper-password")
QUERY_KEYS = ("page", "status", "date_from", "date_to", "q", "next", "variant", "session_id", "order", "kind", "v")
# Requests that end the signing-in client's session: it signs in again before its next request.
ENDS_SESSIONS = {"accounts.sign_out", "accounts.reset_password", "admin.staff_sign_out", "admin.staff_edit"}
PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")

HUGE_INTEGERS = [2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**400]
bad_integers = st.one_of(st.sampled_from(HUGE_INTEGERS), st.sampled_from(HUGE_INTEGERS).map(lambda n: -n),
                         st.integers(min_value=-(2**70), max_value=2**70)).map(str)
huge_ids = st.one_of(st.sampled_from(HUGE_INTEGERS), st.integers(min_value=0, max_value=2**70)).map(str)
control_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from("\x7f\x00a1-="),
                       min_size=1, max_size=12)
bad_dates = st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "0000-00-00", "-1-01-01", "2026-13-01",
                             "99999-01-01", "2026-1-1", "2026-01-01T00:00", "1e9"])
long_text = st.sampled_from(["x" * 61, "x" * 256, "9" * 400, "é" * 300, "x" * 20001, "=" * 5000])
odd_text = st.sampled_from(["", " ", "=1+1", "@SUM(1)", "-1", "1e309", "1e18", "-1e18", "21474836.48", "NaN", "inf",
                            "'; DROP TABLE users;--", "\ufeff", "\u202e", "\ud7ff", "%00", "../../etc/passwd", "<script>", "0x10", "1_000"])
bad_values = st.one_of(bad_integers, control_text, bad_dates, long_text, odd_text)


@dataclass
class Target:
    endpoint: str
    method: str
    rule: str
    fields: dict[str, str] = field(default_factory=dict)  # a form's fields and the values it shows
    action: str = ""  # where the page's form posts, for a form found on a page


def _forms_on(html: str, page_path: str) -> list[tuple[str, dict[str, str]]]:
    """(action path, {field: shown value}) for each POST form on a page."""
    forms = []
    for attributes, body in re.findall(r"<form([^>]*)>(.*?)</form>", html, re.S):
        if 'method="post"' not in attributes:
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        path = urlsplit(action.group(1)).path if action and action.group(1) else page_path
        values = {}
        for tag in re.findall(r"<(?:input|textarea|select)[^>]*>", body):
            name = re.search(r'name="([^"]+)"', tag)
            if name and name.group(1) != "csrf_token":
                value = re.search(r'value="([^"]*)"', tag)
                values[name.group(1)] = value.group(1) if value else ""
        forms.append((path.replace("&amp;", "&"), values))
    return forms


class Clients:
    """One client per role, on its own client address (so sign-in limits stay apart), signed in
    again after a request that may have ended its session."""

    def __init__(self, app) -> None:
        self.app = app
        self.clients: dict[str, object] = {}
        self.signed_in_again = 0
        self.tokens: dict[str, str] = {}
        self.fingerprint = ""

    def sign_in(self, role: str):
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.99.{ROLES.index(role)}.{self.signed_in_again % 250}"
        self.signed_in_again += 1
        if role == "shopper":
            assert sign_in_as(client, *SHOPPER).status_code == 303
        elif role != "anonymous":
            assert sign_in_as(client, f"{role}@tidewater.example", DEMO_PASSWORDS[role]).status_code == 303
        self.clients[role] = client
        self.tokens.pop(role, None)
        self.fingerprint = database_fingerprint()  # signing in writes the time of it
        return client

    def get(self, role: str):
        return self.clients.get(role) or self.sign_in(role)

    def csrf_token(self, role: str) -> str:
        """The role's CSRF token, read from a page once per sign-in (it lasts the session)."""
        if role not in self.tokens:
            page = self.get(role).get("/contact").get_data(as_text=True)
            self.tokens[role] = CSRF_TOKEN.search(page).group(1)
        return self.tokens[role]


def database_fingerprint() -> str:
    """A digest of every row of every table: equal digests, nothing changed."""
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


@pytest.fixture
def world(app, session, paid_order, client):
    """Sample values for each kind of path argument, and each role's forms, found by visiting
    every page it may open."""
    user = register(session, email=SHOPPER[0], password=SHOPPER[1])
    spare = register(session, email="fuzz-staff@tidewater.example", password="fuzz-staff-password")
    session.commit()
    contact_token = CSRF_TOKEN.search(client.get("/contact").get_data(as_text=True)).group(1)
    client.post("/contact", data={"csrf_token": contact_token, "kind": "question", "name": "Jo",
                                  "email": "jo@example.com", "message": "A question about the cream."})
    first_variant = session.scalars(select(Variant).order_by(Variant.id)).first()
    samples = {
        "slug": [*session.scalars(select(Product.slug)), *session.scalars(select(Article.slug)),
                 *session.scalars(select(Page.slug))],
        "number": [paid_order.number], "variant_id": [str(v) for v in session.scalars(select(Variant.id).order_by(Variant.id))],
        # The first product is the first variant's, and owns the first image: its pages show forms.
        "product_id": [str(first_variant.product_id), *(str(v) for v in session.scalars(select(Product.id)))],
        "image_id": [str(v) for v in session.scalars(select(ProductImage.id).order_by(
            ProductImage.product_id != first_variant.product_id))] or ["1"],
        "report_id": [str(v) for v in session.scalars(select(ContactReport.id))] or ["1"],
        "code_id": [str(v) for v in session.scalars(select(DiscountCode.id))] or ["1"],
        "user_id": [str(spare.id), str(user.id)], "line_id": ["1"], "token": ["not-a-token"], "review_id": ["1"],
        "session_id": [paid_order.checkout_session_id or "cs_test_x"], "filename": ["css/site.css"],
        "job_id": ["mail-1"],  # no Redis here (jobs run inline): the retry route answers 404
        "object_id": ["1"], "revision": ["1"],  # the studio's items (each kind has an id 1) and revisions
    }
    clients = Clients(app)
    adapter = app.url_map.bind("localhost")
    targets: dict[str, list[Target]] = {role: [] for role in ROLES}
    for role in ROLES:
        browser = clients.get(role)
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                targets[role].append(Target(rule.endpoint, method, rule.rule))
            if "GET" not in rule.methods:
                continue
            page = PLACEHOLDER.sub(lambda m: samples[m.group(2)][0], rule.rule)
            response = browser.get(page)
            if response.status_code == 200 and response.mimetype == "text/html":
                for action, fields in _forms_on(response.get_data(as_text=True), page):
                    try:
                        posted_to, _values = adapter.match(action, method="POST", return_rule=True)
                    except HTTPException:  # a form that posts elsewhere
                        continue
                    targets[role].append(Target(posted_to.endpoint, "POST", posted_to.rule, fields, action))
    assert sum(1 for role in ROLES for target in targets[role] if target.fields) >= 20
    clients.fingerprint = database_fingerprint()
    return samples, clients, targets


def _request(data, samples, targets, role):
    target = data.draw(st.sampled_from(targets[role]), label="target")

    def argument(match):
        kind, name = match.group(1), match.group(2)
        good = st.sampled_from(samples[name])
        bad = huge_ids if kind == "int" else st.one_of(control_text, long_text, odd_text.filter(bool))
        return data.draw(st.one_of(good, bad), label=name)

    if target.action and data.draw(st.booleans(), label="the form's own address"):
        path = target.action
    else:
        path = PLACEHOLDER.sub(argument, target.rule)
    query = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS) | control_text, bad_values), max_size=3),
                      label="query")
    form: list[tuple[str, str]] = []
    for name, shown in target.fields.items():
        # Mostly as shown, so that one bad field at a time gets past the others' checks.
        choice = data.draw(st.sampled_from(["shown"] * 6 + ["bad", "bad", "missing", "repeated"]), label=name)
        if choice == "shown":
            form.append((name, shown))
        elif choice == "bad":
            form.append((name, data.draw(bad_values, label=name)))
        elif choice == "repeated":
            form.extend([(name, data.draw(bad_values, label=name)), (name, shown)])
    form.extend(data.draw(st.lists(st.tuples(control_text | st.sampled_from(list(target.fields) or ["x"]),
                                             bad_values), max_size=2), label="extra fields"))
    return target, path, query, form


WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE)", re.I)


def send(clients: Clients, role: str, target: Target, path: str, query: list, form: list) -> None:
    """One request as ROLE; no 5xx, and if it was refused, no change to the database.

    The database is read whole (database_fingerprint) only around a request that sent a write
    statement: one that sends none changes nothing."""
    client = clients.get(role)
    token = clients.csrf_token(role) if target.method == "POST" else ""
    before = clients.fingerprint
    url = path + ("?" + urlencode(query) if query else "")
    with counting_queries(db.engine) as counter:
        if target.method == "POST":
            response = client.post(url, data=MultiDict([("csrf_token", token), *form]))
        else:
            response = client.get(url)
    assert response.status_code < 500, (role, target.method, url, form, response.status_code)
    if any(WRITES.match(statement) for statement in counter.statements):
        clients.fingerprint = database_fingerprint()
        if response.status_code >= 400:
            assert clients.fingerprint == before, ("refused, yet the database changed", role, url, form)
    if target.endpoint in ENDS_SESSIONS and role != "anonymous":
        clients.sign_in(role)


@pytest.mark.timeout(300)
@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_bad_input_never_gives_a_5xx_and_refused_input_changes_nothing(world, data):
    samples, clients, targets = world
    role = data.draw(st.sampled_from(ROLES), label="role")
    send(clients, role, *_request(data, samples, targets, role))


# Each kind of bad value, in every field of every form at once (the property above mixes them).
SWEEP = {
    "huge": lambda name: "9" * 25,
    "negative": lambda name: str(-(2**63) - 1),
    "control": lambda name: "a\x00\x1b",
    "long or malformed date": lambda name: "9999-12-31" if "date" in name else "x" * 5000,
}


ONE_AT_A_TIME = ("9" * 25, str(-(2**31) - 1), "a\x00", "x" * 5000, "9999-12-31", str(2**63), "")


@pytest.mark.timeout(300)
def test_every_route_and_form_field_of_every_role_refuses_each_kind_of_bad_value(world):
    """The sweep that makes sure nothing is left out: every route in the URL map and every form
    field a page offers, for every role, with each kind of bad value."""
    samples, clients, targets = world
    sent = 0
    for role in ROLES:
        for target in {(t.endpoint, t.method, t.rule, tuple(t.fields.items())): t for t in targets[role]}.values():
            good_path = target.action or PLACEHOLDER.sub(lambda m: samples[m.group(2)][0], target.rule)
            huge_path = PLACEHOLDER.sub(lambda m: str(2**64) if m.group(1) == "int" else "x\x00" + "y" * 300,
                                        target.rule)
            send(clients, role, target, huge_path, [], list(target.fields.items()))
            send(clients, role, target, good_path, [("page", str(2**64)), ("date_to", "9999-12-31"),
                                                    ("status", "x")], [])
            sent += 2
            if not target.fields:
                continue
            for bad in SWEEP.values():
                send(clients, role, target, good_path, [], [(name, bad(name)) for name in target.fields])
            repeated = [(name, value) for name, shown in target.fields.items() for value in (shown, "9" * 25)]
            send(clients, role, target, good_path, [], repeated)
            sent += len(SWEEP) + 1
            # One field at a time, the others as shown, so each field's own check is reached.
            for number, name in enumerate(target.fields):
                for bad in ("1e309", ONE_AT_A_TIME[number % len(ONE_AT_A_TIME)]):
                    send(clients, role, target, good_path, [], [*{**target.fields, name: bad}.items()])
                    sent += 1
    assert sent > 500
