"""Previews render the public templates with the draft, marked as a preview, for staff; a signed
share link lets anyone read that revision for 7 days."""
import re
import time

from itsdangerous import URLSafeTimedSerializer

from app.studio.share import SHARE_DAYS
from tests.conftest import csrf
from tests.studio.conftest import editor, item_id, save


def test_staff_preview_shows_the_draft_in_the_public_template(app, session, marketing):
    product_id = item_id(session, "product", "magnesium-body-cream")
    save(marketing, session, "product", product_id, summary="A draft summary nobody has seen.")
    preview = marketing.get(editor("product", product_id, "/revisions/1/preview"))
    html = preview.get_data(as_text=True)
    public = app.test_client().get("/products/magnesium-body-cream").get_data(as_text=True)
    assert preview.status_code == 200 and "A draft summary nobody has seen." in html
    assert 'class="container preview-banner"' in html and "not public until published" in html
    assert preview.headers["X-Robots-Tag"] == "noindex" and "no-store" in preview.headers["Cache-Control"]
    # The same template: the public page's structure, with the draft's text in place of the summary.
    def structure(page: str) -> list[str]:
        main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        return re.findall(r"<(h1|h2|form|section)\b", main)

    assert structure(html) == structure(public)
    assert "A draft summary nobody has seen." not in public
    assert app.test_client().get(editor("product", product_id, "/revisions/1/preview")).status_code == 302
    assert sign_in_fulfilment(app).get(editor("product", product_id, "/revisions/1/preview")).status_code == 403


def sign_in_fulfilment(app):
    from tests.conftest import DEMO_PASSWORDS, sign_in_as
    client = app.test_client()
    sign_in_as(client, "fulfilment@tidewater.example", DEMO_PASSWORDS["fulfilment"])
    return client


def share_link(client, kind: str, object_id: int, number: int) -> str:
    html = client.post(editor(kind, object_id, f"/revisions/{number}/share"),
                       data={"csrf_token": csrf(client)}).get_data(as_text=True)
    return re.search(r'id="share-link" type="text" readonly value="([^"]+)"', html).group(1)


def test_a_share_link_shows_that_revision_without_an_account(app, session, marketing):
    article_id = item_id(session, "article", "stress-and-magnesium")
    save(marketing, session, "article", article_id, title="Stress, sleep and magnesium (draft)")
    link = share_link(marketing, "article", article_id, 1)
    path = link.split("localhost", 1)[-1]
    reviewer = app.test_client()
    response = reviewer.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Stress, sleep and magnesium (draft)" in html
    assert "Shared preview of a draft" in html and response.headers["X-Robots-Tag"] == "noindex"
    save(marketing, session, "article", article_id, title="A later title")
    assert "Stress, sleep and magnesium (draft)" in reviewer.get(path).get_data(as_text=True)  # that revision only

    token = path.rsplit("/", 1)[1]
    assert reviewer.get(f"/preview/{token[:-2]}xx").status_code == 404  # altered
    assert reviewer.get(f"/preview/{expired_token(app, token)}").status_code == 404


class EightDaysAgo(URLSafeTimedSerializer):
    """A serializer whose signer stamps tokens 8 days in the past (TimestampSigner.get_timestamp
    is its documented hook for the time)."""

    def make_signer(self, salt=None):
        signer = super().make_signer(salt)
        signer.get_timestamp = lambda: int(time.time()) - (SHARE_DAYS + 1) * 86400
        return signer


def expired_token(app, token: str) -> str:
    data = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="studio-share-preview").loads(token)
    return EightDaysAgo(app.config["SECRET_KEY"], salt="studio-share-preview").dumps(data)
