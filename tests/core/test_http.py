"""app/http.py's request and response classes answer as werkzeug's do, without raising inside."""
import re

from flask import request
from werkzeug.wrappers import Request

from app.http import RequestValues, ResponseHeaders


def test_request_values_answer_get_as_a_multidict_does():
    values = RequestValues([("quantity", "3"), ("quantity", "4"), ("note", "")])
    assert values.get("quantity") == "3"
    assert values.get("quantity", type=int) == 3
    assert values.get("note", "default") == ""
    assert values.get("missing") is None
    assert values.get("missing", "default") == "default"
    assert RequestValues([("quantity", "x")]).get("quantity", 1, type=int) == 1


def test_response_headers_are_found_whatever_their_case():
    headers = ResponseHeaders([("Content-Type", "text/html"), ("Vary", "Cookie")])
    assert "vary" in headers and "VARY" in headers and "Set-Cookie" not in headers
    assert headers.get("content-type") == "text/html"
    assert headers.get("Set-Cookie", "none") == "none"


def test_a_raw_byte_that_is_not_utf8_in_the_query_is_kept_escaped_not_a_500(client):
    response = client.get("/products/magnesium-body-cream",
                          environ_overrides={"QUERY_STRING": "variant=TMC-CRM-4-LAV&x=\xff"})
    assert response.status_code == 200
    assert re.search(r'id="selected-price">\s*\$26\.00', response.get_data(as_text=True))


def test_query_values_read_as_werkzeug_reads_them(app):
    query = "a=1&a=2&blank=&caf%C3%A9=cr%C3%A8me&bad=%FF&plus=a+b"
    with app.test_request_context(f"/?{query}"):
        ours = request.args
        assert list(ours.items(multi=True)) == list(Request(request.environ).args.items(multi=True))
        assert ours.getlist("a") == ["1", "2"] and ours["bad"] == "%FF" and ours["plus"] == "a b"


def test_a_page_says_its_type_once_and_varies_by_cookie_once(client):
    response = client.get("/products/magnesium-body-cream")
    assert response.headers.getlist("Content-Type") == ["text/html; charset=utf-8"]
    assert response.headers.getlist("Vary") == ["Cookie"]

