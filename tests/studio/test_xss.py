"""Whatever staff type into the studio, no public or staff page holds it as live markup."""
import pytest
from markupsafe import escape

from tests.conftest import csrf, page_after
from tests.studio.conftest import editor, flashes, form_data, item_id, publish, save
from tests.studio.xss import PAYLOADS, live_markup

PRODUCT_TEXT = ("name", "summary", "description", "ingredients", "directions", "warnings", "seo_title",
                "seo_description")
ARTICLE_TEXT = ("title", "summary", "body", "reviewed_by")
PAGE_TEXT = ("title", "summary", "body")


def test_there_are_at_least_thirty_payloads():
    assert len(set(PAYLOADS)) >= 30


def test_the_checker_finds_live_markup():
    assert live_markup("<body><p>ok</p><img src=x onerror=alert(1)></body>")
    assert live_markup('<body><a href="javascript:alert(1)">x</a></body>')
    assert live_markup('<body><img src="https://evil.example/p.png"></body>')
    assert not live_markup("<body><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></body>")


def fill(payload: str, names, limit: int = 70) -> dict:
    return {name: payload[:limit] if name in ("seo_title", "name") else payload for name in names}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_every_field_is_never_live(app, session, marketing, sign_in, payload):
    product_id = item_id(session, "product", "magnesium-body-cream")
    article_id = item_id(session, "article", "magnesium-and-nerve-signaling")
    page_id = item_id(session, "page", "privacy")
    saved = {
        "product": save(marketing, session, "product", product_id, **fill(payload, PRODUCT_TEXT)),
        "article": save(marketing, session, "article", article_id, **fill(payload, ARTICLE_TEXT),
                        sources=[{"title": payload, "authors": payload, "publisher": payload, "year": "2020"}]),
        "page": save(marketing, session, "page", page_id, **fill(payload, PAGE_TEXT)),
        "home": save(marketing, session, "home", 1, **fill(payload, ("eyebrow", "title", "lead"))),
    }
    staff_pages = ["/admin/", "/admin/content"]
    for kind, object_id in (("product", product_id), ("article", article_id), ("page", page_id), ("home", 1)):
        assert saved[kind].status_code == 303, (kind, saved[kind].get_data(as_text=True)[-3000:])
        version = form_data(session, kind, object_id)["version"]
        acknowledge = ["uncited-figure", "absolute-promise", "condition-beside-product", "old-source-present-tense"]
        published = page_after(marketing, publish(marketing, kind, object_id, int(version), acknowledge=acknowledge))
        assert f"Revision {version} is published." in flashes(published), (kind, flashes(published))
        staff_pages += [editor(kind, object_id), editor(kind, object_id, "/revisions"),
                        editor(kind, object_id, f"/revisions/{version}/preview"),
                        editor(kind, object_id, f"/revisions/diff?first=1&second={version}")]
    # A conflict shows the stored text beside what was typed.
    conflict = marketing.post(editor("page", page_id), data={"csrf_token": csrf(marketing),
                                                             **form_data(session, "page", page_id), "version": "0"})
    assert conflict.status_code == 200 and not live_markup(conflict.get_data(as_text=True))
    shopper, admin = app.test_client(), sign_in("admin")
    product_page = shopper.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert escape(payload[:70]) in product_page  # the payload is there, as text
    pages = [(shopper, path) for path in ("/products/magnesium-body-cream", "/learn/magnesium-and-nerve-signaling",
                                          "/learn", "/pages/privacy", "/", "/products")]
    pages += [(marketing, path) for path in staff_pages] + [(admin, "/admin/audit")]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert live_markup(response.get_data(as_text=True)) == [], (path, payload)
