"""Draft, publish, unpublish, schedule, restore and conflicts, through the test client: the public
page shows only published text at each step (run on SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""
import re
from datetime import timedelta

from sqlalchemy import select

from app.admin.models import AuditEntry
from app.db import utcnow
from app.studio.models import Revision
from app.studio.publishing import publish_due
from app.catalog.models import Product
from tests.conftest import card_titles, csrf, page_after, post, product_form
from tests.studio.conftest import editor, flashes, form_data, item_id, publish, save, typed_at

CREAM = "magnesium-body-cream"


def opened_fields(form: dict) -> dict:
    """The revision fields a posted editor form holds."""
    return {name: value for name, value in form.items() if name not in ("version", "note")}


def without_tokens(html: str) -> str:
    """The page without its CSRF tokens, which are signed with the time."""
    return re.sub(r'value="[\w.-]{40,}"', "", html)


def public(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_a_saved_draft_changes_nothing_public_until_published(app, session, marketing, sign_in):
    product_id = item_id(session, "product", CREAM)
    shopper = app.test_client()
    before = public(shopper, f"/products/{CREAM}")
    response = save(marketing, session, "product", product_id, summary="A slow, rich massage cream for tired feet.")
    assert "Draft saved as revision 1" in page_after(marketing, response)
    assert "tired feet" not in public(shopper, f"/products/{CREAM}")
    assert without_tokens(public(shopper, f"/products/{CREAM}")) == without_tokens(before)

    assert "Revision 1 is published" in page_after(marketing, publish(marketing, "product", product_id, 1))
    assert "A slow, rich massage cream for tired feet." in public(shopper, f"/products/{CREAM}")

    entries = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "product")
                              .order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries] == ["product.draft", "product.publish"]
    assert entries[-1].after == {"Summary": "A slow, rich massage cream for tired feet."}
    assert "Summary" in entries[-1].before
    html = sign_in("admin").get("/admin/audit").get_data(as_text=True)
    assert "<dt>Summary</dt><dd>A slow, rich massage cream for tired feet.</dd>" in html


def test_restore_makes_an_old_revision_the_new_draft_without_publishing(app, session, marketing):
    product_id = item_id(session, "product", CREAM)
    save(marketing, session, "product", product_id, summary="First wording.")
    publish(marketing, "product", product_id, 1)
    save(marketing, session, "product", product_id, summary="Second wording.")
    response = marketing.post(editor("product", product_id, "/revisions/1/restore"),
                              data={"csrf_token": csrf(marketing)})
    assert "Revision 1 restored as the new draft (revision 3)" in page_after(marketing, response)
    newest = session.scalars(select(Revision).where(Revision.object_id == product_id, Revision.kind == "product")
                             .order_by(Revision.number.desc())).first()
    assert (newest.number, newest.fields["summary"], newest.published_at) == (3, "First wording.", None)
    assert "First wording." in public(app.test_client(), f"/products/{CREAM}")

    diff = marketing.get(editor("product", product_id, "/revisions/diff?first=1&second=2")).get_data(as_text=True)
    assert "<del>First wording.</del>" in diff and "<ins>Second wording.</ins>" in diff


def test_the_second_editor_is_told_and_loses_nothing(app, session, sign_in):
    product_id = item_id(session, "product", CREAM)
    first, second = sign_in("marketing"), sign_in("admin")
    opened = form_data(session, "product", product_id)  # both open the editor at the same version
    first.post(editor("product", product_id), data={"csrf_token": csrf(first), **opened,
                                                    "summary": "Summary from the first editor."})
    response = second.post(editor("product", product_id), data={
        "csrf_token": csrf(second), **opened, "summary": "Summary from the second editor."})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "marketing@tidewater.example saved this while you were editing" in html
    assert "Summary from the first editor." in html  # theirs, beside...
    assert 'value="Summary from the second editor."' in html  # ...what they typed, still in the form
    saved = session.scalars(select(Revision.fields).where(Revision.kind == "product")).all()
    assert saved == [{**opened_fields(opened), "summary": "Summary from the first editor."}]
    assert 'name="version" type="hidden" value="1"' in html
    again = second.post(editor("product", product_id), data={
        "csrf_token": csrf(second), **opened, "version": "1", "summary": "Summary from the second editor."})
    assert "Draft saved as revision 2" in page_after(second, again)


def test_articles_are_created_unpublished_published_renamed_and_unpublished(app, session, marketing):
    shopper = app.test_client()
    response = marketing.post("/admin/content/articles/new", data={
        "csrf_token": csrf(marketing), "title": "Magnesium in food", "slug": "magnesium-in-food"})
    assert "Article created as an unpublished draft" in page_after(marketing, response)
    article_id = item_id(session, "article", "magnesium-in-food")
    assert shopper.get("/learn/magnesium-in-food").status_code == 404

    save(marketing, session, "article", article_id, body="Leafy greens, nuts and seeds all hold some.")
    assert shopper.get("/learn/magnesium-in-food").status_code == 404
    publish(marketing, "article", article_id, 2)
    assert "Leafy greens, nuts and seeds" in public(shopper, "/learn/magnesium-in-food")

    save(marketing, session, "article", article_id, slug="magnesium-in-everyday-food")
    assert "Leafy greens" in public(shopper, "/learn/magnesium-in-food")  # the draft's slug is not live yet
    publish(marketing, "article", article_id, 3)
    moved = shopper.get("/learn/magnesium-in-food")
    assert (moved.status_code, moved.headers["Location"]) == (301, "/learn/magnesium-in-everyday-food")

    marketing.post(editor("article", article_id, "/unpublish"), data={"csrf_token": csrf(marketing)})
    assert shopper.get("/learn/magnesium-in-everyday-food").status_code == 404
    assert shopper.get("/learn/magnesium-in-food").status_code == 404


def test_a_page_shows_its_effective_date_and_keeps_its_old_address(app, session, marketing):
    page_id = item_id(session, "page", "returns")
    save(marketing, session, "page", page_id, effective_on="2027-01-01", slug="returns-and-refunds")
    shopper = app.test_client()
    assert "Effective from" not in public(shopper, "/pages/returns")
    publish(marketing, "page", page_id, 1)
    html = public(shopper, "/pages/returns-and-refunds")
    assert '<time datetime="2027-01-01">January 1, 2027</time>' in html
    assert shopper.get("/pages/returns").headers["Location"] == "/pages/returns-and-refunds"


def test_a_scheduled_revision_is_published_by_the_scheduled_run(app, session, marketing):
    page_id = item_id(session, "page", "shipping")
    save(marketing, session, "page", page_id, summary="Shipping, from the new year.")
    at = utcnow() + timedelta(days=2)
    response = publish(marketing, "page", page_id, 1, schedule="yes", publish_at=typed_at(at))
    assert f"will be published at {typed_at(at).replace('T', ' ')} (America/New_York)" in page_after(marketing, response)
    shopper = app.test_client()
    assert "Shipping, from the new year." not in public(shopper, "/pages/shipping")
    assert "Scheduled publications" in marketing.get("/admin/content").get_data(as_text=True)

    assert "Published 0 scheduled revision(s)." in app.test_cli_runner().invoke(args=["publish-scheduled"]).output
    published = publish_due(session, now=at + timedelta(minutes=1))
    assert [done.revision.number for done in published] == [1]
    assert "Shipping, from the new year." in public(shopper, "/pages/shipping")
    assert publish_due(session, now=at + timedelta(minutes=2)) == []  # once only


def test_the_publish_scheduled_command_publishes_what_is_due_and_audits_it(app, session, marketing):
    page_id = item_id(session, "page", "terms")
    save(marketing, session, "page", page_id, summary="Terms, revised.")
    publish(marketing, "page", page_id, 1, schedule="yes",
            publish_at=typed_at(utcnow() + timedelta(hours=1)))
    revision = session.scalars(select(Revision).where(Revision.kind == "page", Revision.object_id == page_id)).one()
    revision.publish_at = utcnow() - timedelta(minutes=1)  # the hour has passed
    session.flush()
    assert "Published 1 scheduled revision(s)." in app.test_cli_runner().invoke(args=["publish-scheduled"]).output
    assert "Terms, revised." in public(app.test_client(), "/pages/terms")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "page.publish")).one()
    assert entry.actor_email == "marketing@tidewater.example (scheduled)"
    assert entry.after == {"Summary": "Terms, revised."}


def test_a_stale_publish_is_refused(app, session, marketing):
    product_id = item_id(session, "product", CREAM)
    save(marketing, session, "product", product_id, summary="Draft one.")
    save(marketing, session, "product", product_id, summary="Draft two.")
    response = publish(marketing, "product", product_id, 1)
    assert "The draft changed since you opened it" in " ".join(flashes(page_after(marketing, response)))
    assert "Draft one." not in public(app.test_client(), f"/products/{CREAM}")


def test_the_home_hero_and_featured_products_change_when_published(app, session, marketing):
    shopper = app.test_client()
    response = save(marketing, session, "home", 1, title="Slow evenings, soft skin", featured=["magnesium-travel-stick"])
    assert "Draft saved as revision 1" in page_after(marketing, response)
    home = public(shopper, "/")
    assert "Slow evenings, soft skin" not in home and "Unwind tired muscles at the end of the day" in home
    publish(marketing, "home", 1, 1)
    home = public(shopper, "/")
    assert "<h1>Slow evenings, soft skin</h1>" in home
    featured = home.split('id="featured-heading"')[1].split("</section>")[0]
    assert card_titles(featured) == ["Magnesium Travel Stick"]


def test_the_home_hero_is_held_to_product_copy_rules(session, marketing):
    response = save(marketing, session, "home", 1, lead="Relieves back pain overnight.")
    assert response.status_code == 200
    assert "Promising relief" in response.get_data(as_text=True).split('id="lead-error">')[1]


def test_an_admins_direct_edit_is_never_undone_by_an_older_draft(app, session, marketing, sign_in):
    """The admin's product form still edits copy: its save becomes the newest, published revision,
    so a draft written before it can't be published, now or on schedule, over the new warning."""
    product_id = item_id(session, "product", CREAM)
    save(marketing, session, "product", product_id, summary="A draft summary written on Monday.")
    at = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    publish(marketing, "product", product_id, 1, schedule="yes", publish_at=typed_at(at))
    admin = sign_in("admin")
    cream = session.get(Product, product_id)
    warning = "Patch test on the inner arm first: a new safety warning."
    assert post(admin, f"/admin/products/{product_id}", **product_form(cream, warnings=warning)).status_code == 303
    assert warning in public(app.test_client(), f"/products/{CREAM}")

    assert publish_due(session, now=at + timedelta(minutes=1)) == []  # the scheduled draft is refused
    refused = page_after(marketing, publish(marketing, "product", product_id, 1))
    assert "The draft changed since you opened it" in " ".join(flashes(refused))
    public_page = public(app.test_client(), f"/products/{CREAM}")
    assert warning in public_page and "written on Monday" not in public_page
    assert warning in marketing.get(editor("product", product_id)).get_data(as_text=True)  # the editor starts there
    latest = session.scalars(select(Revision).where(Revision.object_id == product_id, Revision.kind == "product")
                             .order_by(Revision.number.desc())).first()
    assert (latest.number, latest.published_by, latest.note) == (2, "admin@tidewater.example", "Edited outside the studio")
