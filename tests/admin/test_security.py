"""Every staff route is guarded by role, and every state-changing route needs a CSRF token.

The expected access below is written out by hand, not read from the code: a new /admin route
that is not listed here fails, and so does one whose guard lets in the wrong people.
"""
import re

import pytest

from tests.conftest import sign_in_as

ALL_STAFF = {"admin", "fulfilment", "marketing"}
# Path prefix (after /admin) -> roles that may use it. The longest matching prefix wins.
ACCESS = {
    "/": ALL_STAFF,
    "/content": {"admin", "marketing"},
    "/discounts": {"admin", "marketing"},
    "/reviews": {"admin", "marketing"},
    "/orders": {"admin", "fulfilment"},
    "/stock": {"admin", "fulfilment"},
    "/reports": {"admin", "fulfilment"},
    "/products": {"admin"},
    "/products/<int:product_id>/images": {"admin", "marketing"},
    "/staff": {"admin"},
    "/customers": {"admin"},
    "/audit": {"admin"},
    "/jobs": {"admin"},
}
SAMPLE_VALUES = {"number": "TW-NOPE", "variant_id": "1", "product_id": "1", "user_id": "1", "report_id": "1",
                 "image_id": "1", "job_id": "mail-1", "code_id": "1", "object_id": "1", "revision": "1",
                 "review_id": "1"}
CSRF_EXEMPT = {"payments.stripe_webhook"}  # authenticated by Stripe's signature instead


def admin_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_VALUES[m.group(1)], rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path, rule.rule


def allowed_roles(rule: str) -> set[str]:
    tail = rule[len("/admin"):] or "/"
    matches = [prefix for prefix in ACCESS if tail == prefix or tail.startswith(prefix.rstrip("/") + "/")]
    assert matches, f"{rule} is not in the access table: decide who may use it and add it"
    return ACCESS[max(matches, key=len)]


def test_every_admin_route_is_in_the_access_table(app):
    routes = list(admin_routes(app))
    assert len(routes) >= 20
    for _, _, rule in routes:
        allowed_roles(rule)


def test_anonymous_visitors_are_sent_to_sign_in(app):
    client = app.test_client()
    for method, path, _ in admin_routes(app):
        response = client.open(path, method=method)
        if method == "POST":  # CSRF is checked first; without a token nothing runs at all
            assert response.status_code in (302, 400), (method, path)
        else:
            assert response.status_code == 302, (method, path)
            assert "/account/sign-in" in response.headers["Location"]


def test_shoppers_are_refused(app, shopper_account):
    client = app.test_client()
    sign_in_as(client, *shopper_account)
    for method, path, _ in admin_routes(app):
        if method == "GET":
            assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("role", sorted(ALL_STAFF))
def test_each_role_reaches_exactly_its_screens(app, sign_in, role):
    client = sign_in(role)
    for method, path, rule in admin_routes(app):
        if method != "GET":
            continue
        status = client.get(path).status_code
        if role in allowed_roles(rule):
            assert status in (200, 302, 404), (role, path, status)  # 404: the sample id does not exist
            assert status != 403, (role, path)
        else:
            assert status == 403, (role, path, status)


@pytest.mark.parametrize("role", ["fulfilment", "marketing"])
def test_posts_to_forbidden_screens_are_refused_by_role(app, sign_in, role):
    client = sign_in(role)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/admin/").get_data(as_text=True)).group(1)
    for method, path, rule in admin_routes(app):
        if method == "POST" and role not in allowed_roles(rule):
            assert client.post(path, data={"csrf_token": token}).status_code == 403, (role, path)


def test_marketing_dashboard_shows_no_order_or_revenue_figures(sign_in):
    html = sign_in("marketing").get("/admin/").get_data(as_text=True)
    assert "Learn articles" in html
    assert "revenue" not in html.lower() and "/admin/orders" not in html


def test_every_state_changing_route_refuses_a_post_without_csrf(app, sign_in):
    client = sign_in("admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in CSRF_EXEMPT:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_VALUES.get(m.group(1), "1"), rule.rule)
        response = client.post(path, data={"anything": "1"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "This form has expired" in response.get_data(as_text=True)
        checked += 1
    assert checked >= 20
