"""The marketing studio in Chromium: a product summary edited, previewed and published; an article
with a claims warning acknowledged, scheduled and published by the scheduled run; XSS payloads
that never run; and axe-core on every studio page at desktop and phone widths."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from app.content.models import Article
from app.db import utcnow
from app.extensions import db
from app.studio.models import Revision
from tests.e2e.test_checkout_and_fulfilment import assert_accessible, sign_in
from tests.e2e.test_storefront import VIEWPORTS
from tests.studio.xss import PAYLOADS

MARKETING = ("marketing@tidewater.example", "demo-marketing-pass")
BUTTER = "/products/magnesium-body-butter"


def open_editor(page: Page, title: str) -> None:
    page.goto("/admin/content")
    page.locator(".admin-main").get_by_role("link", name=title, exact=True).first.click()


def test_marketing_edits_previews_and_publishes_a_product_summary(page: Page):
    sign_in(page, *MARKETING)
    open_editor(page, "Magnesium Body Butter")
    page.get_by_label("Summary", exact=True).fill("A dense, slow-melting butter for a long evening massage.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text(re.compile(r"Draft saved as revision \d+"))).to_be_visible()
    editor_url = page.url

    page.get_by_role("link", name=re.compile(r"^Preview revision \d+$")).click()
    expect(page.locator(".preview-banner")).to_contain_text("not public until published")
    expect(page.get_by_text("A dense, slow-melting butter for a long evening massage.")).to_be_visible()
    page.goto(BUTTER)
    expect(page.get_by_text("A dense, slow-melting butter")).to_have_count(0)

    page.goto(editor_url)
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text(re.compile(r"Revision \d+ is published\."))).to_be_visible()
    page.goto(BUTTER)
    expect(page.get_by_text("A dense, slow-melting butter for a long evening massage.")).to_be_visible()


def test_an_article_warning_is_acknowledged_scheduled_and_published_by_the_scheduled_run(page: Page, live_app):
    sign_in(page, *MARKETING)
    page.goto("/admin/content")
    page.get_by_role("link", name="New Learn article").click()
    page.get_by_label("Title").fill("Magnesium myths")
    page.get_by_label("Web address (slug)").fill("magnesium-myths")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_label("Summary", exact=True).fill("Claims you may read online, and what is known.")
    page.get_by_label("Body (Markdown)").fill(
        "Some sites say a cream gives you as much magnesium as an IV. No study shows that.")
    page.get_by_label("Reviewed by").fill("Dana Reyes, RD")
    page.get_by_role("button", name="Save draft").click()

    warnings = page.locator(".studio-warnings")
    expect(warnings).to_contain_text("absolute-promise")
    page.get_by_role("button", name="Publish now").click()  # not acknowledged yet
    expect(page.get_by_text("Acknowledge each claims warning before publishing")).to_be_visible()

    page.get_by_label("absolute-promise").check()
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")  # in the future on any shop clock
    page.get_by_label("Publish at (shop time)").fill(when)
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text(re.compile(r"Revision \d+ will be published at"))).to_be_visible()
    assert page.request.get("/learn/magnesium-myths").status == 404

    with live_app.app_context():  # two hours pass
        article_id = db.session.scalars(select(Article.id).where(Article.slug == "magnesium-myths")).one()
        db.session.execute(update(Revision).where(Revision.kind == "article", Revision.object_id == article_id,
                                                  Revision.publish_at.is_not(None))
                           .values(publish_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        result = live_app.test_cli_runner().invoke(args=["publish-scheduled"])
    assert "Published 1 scheduled revision(s)." in result.output
    page.goto("/learn/magnesium-myths")
    expect(page.get_by_role("heading", level=1)).to_have_text("Magnesium myths")
    expect(page.get_by_text("by Dana Reyes, RD")).to_be_visible()


def test_payloads_typed_into_the_studio_never_run(page: Page, base_url):
    """Every payload at once in the page's fields; the public and staff pages it shows on."""
    dialogs, outside = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((base_url, "data:", "about:")) else None)
    sign_in(page, *MARKETING)
    open_editor(page, "Privacy policy")
    page.get_by_label("Title").fill(PAYLOADS[0] + " Privacy policy")
    page.get_by_label("Summary", exact=True).fill(" ".join(PAYLOADS[:4])[:300])
    page.get_by_label("Body (Markdown)").fill("\n\n".join(PAYLOADS))
    page.get_by_role("button", name="Save draft").click()
    editor_url = page.url
    for box in page.locator("input[name=acknowledge]").all():  # whatever claims warnings the payloads earn
        box.check()
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text(re.compile(r"Revision \d+ is published\."))).to_be_visible()
    checked = [editor_url, editor_url + "/revisions", "/admin/content", "/pages/privacy", "/"]
    page.goto(editor_url + "/revisions")
    page.get_by_role("link", name=re.compile(r"^Preview")).first.click()
    checked.append(page.url)
    for path in checked:
        page.goto(path)
        page.wait_for_load_state("load")
        injected = page.evaluate("""() => document.querySelectorAll(
            'main iframe, main object, main embed, main svg, main style, main script, main img[src*="evil"],'
            + 'main [onerror], main [onload], main [onfocus], main [onmouseover], main [ontoggle], main [style],'
            + 'main a[href^="javascript"], main a[href^="data"], main form[action*="evil"], base').length""")
        assert injected == 0, path
    assert dialogs == [] and outside == []


@pytest.fixture(scope="module")
def studio_pages(live_app, live_server) -> list[str]:
    with live_app.app_context():
        article = db.session.scalars(select(Article).order_by(Article.id)).first()
        numbers = db.session.scalars(select(Revision.number).where(Revision.kind == "article",
                                                                   Revision.object_id == article.id)).all()
    pages = ["/admin/content", "/admin/content/rules", "/admin/content/articles/new", "/admin/content/products/1",
             f"/admin/content/articles/{article.id}", "/admin/content/pages/1",
             f"/admin/content/articles/{article.id}/revisions"]
    if len(numbers) >= 2:
        pages.append(f"/admin/content/articles/{article.id}/revisions/diff?first=1&second=2")
    return pages


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_studio_page_passes_axe(page: Page, studio_pages, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, *MARKETING)
    for path in studio_pages:
        page.goto(path)
        assert_accessible(page)
    # A diff, a preview and a share page, made for the purpose.
    page.goto("/admin/content/pages/2")
    page.get_by_label("Summary", exact=True).fill(f"A summary for the {viewport} check.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_label("Summary", exact=True).fill(f"A second summary for the {viewport} check.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("link", name="All revisions").click()
    assert_accessible(page)
    page.get_by_role("button", name="Show the differences").click()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name=re.compile(r"^Preview")).first.click()
    assert_accessible(page)
    page.goto("/admin/content/pages/2")
    page.get_by_role("button", name="Share a preview link").click()
    assert_accessible(page)
    page.goto(page.locator("#share-link").input_value())
    expect(page.locator(".preview-banner")).to_contain_text("Shared preview")
