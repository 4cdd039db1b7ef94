"""app/http.py's request and response classes answer as werkzeug's do, without raising inside."""
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


def test_a_page_says_its_type_once_and_varies_by_cookie_once(client):
    response = client.get("/products/magnesium-body-cream")
    assert response.headers.getlist("Content-Type") == ["text/html; charset=utf-8"]
    assert response.headers.getlist("Vary") == ["Cookie"]

