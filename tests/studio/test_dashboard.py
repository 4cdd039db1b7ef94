"""The marketing dashboard: articles due for review, drafts waiting and scheduled publications;
and who may reach the studio at all."""
import re
from datetime import date, timedelta

import pytest
from markupsafe import escape

from sqlalchemy import select, update

from app.content.models import Article
from app.db import utcnow
from tests.conftest import sign_in_as
from tests.studio.conftest import item_id, publish, save, typed_at


def section(html: str, heading: str) -> str:
    return html.split(f">{heading}</h2>", 1)[1].split("<h2", 1)[0]


def test_the_dashboard_lists_reviews_due_drafts_waiting_and_schedules(session, marketing):
    stale = item_id(session, "article", "stress-and-magnesium")
    session.execute(update(Article).where(Article.id == stale).values(reviewed_on=date.today() - timedelta(days=400)))
    session.flush()
    save(marketing, session, "product", item_id(session, "product", "magnesium-travel-stick"), summary="A draft.")
    page_id = item_id(session, "page", "terms")
    save(marketing, session, "page", page_id, summary="New terms.")
    publish(marketing, "page", page_id, 1, schedule="yes",
            publish_at=typed_at(utcnow() + timedelta(days=1)))

    html = marketing.get("/admin/").get_data(as_text=True)
    due = section(html, "Learn articles due for review")
    title = session.scalars(select(Article.title).where(Article.id == stale)).one()
    assert str(escape(title)) in due and "Magnesium and nerve signaling" not in due
    assert "Magnesium Travel Stick" in section(html, "Drafts waiting")
    assert "Terms of sale and use" not in section(html, "Drafts waiting")
    assert "Terms of sale and use" in section(html, "Scheduled publications")
    assert "revenue" not in html.lower()


def studio_routes(app):
    """Every studio route in the URL map, with sample ids (each kind has an item 1)."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/admin/content", "/preview/")):
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: {"token": "x"}.get(m.group(1), "1"), rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


@pytest.mark.parametrize("who", ["anonymous", "shopper", "fulfilment", "marketing", "admin"])
def test_the_studio_is_for_marketing_and_admin_only(app, sign_in, shopper_account, who):
    routes = list(studio_routes(app))
    assert len(routes) >= 30  # every kind's editor, revisions, diff, preview, share, publish...
    client = {"anonymous": app.test_client, "shopper": lambda: shopper_client(app, shopper_account)}.get(
        who, lambda: sign_in(who))()
    for method, path in routes:
        if path.startswith("/preview/"):  # a share link: its signature is the key, for anyone
            assert client.get(path).status_code == 404
            continue
        status = client.open(path, method=method).status_code
        if method == "POST":
            assert status == 400, (who, path)  # no CSRF token: refused before anything runs
        elif who == "anonymous":
            assert status == 302, path
        elif who in ("shopper", "fulfilment"):
            assert status == 403, (who, path)
        else:
            assert status in (200, 302, 404), (who, path, status)


def shopper_client(app, account):
    client = app.test_client()
    sign_in_as(client, *account)
    return client
