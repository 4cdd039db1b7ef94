"""Helpers for the studio's tests: the editor's form as a browser would post it."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.catalog.models import Product
from app.content.models import Article, Page
from app.core.models import HomePage
from app.dates import to_shop_time
from app.studio.revisions import current_draft
from tests.conftest import csrf

PLURALS = {"product": "products", "article": "articles", "page": "pages", "home": "home"}
MODELS = {"product": Product, "article": Article, "page": Page, "home": HomePage}


def item_id(session, kind: str, slug: str) -> int:
    model = MODELS[kind]
    return session.scalars(select(model.id).where(model.slug == slug)).one()


def editor(kind: str, object_id: int, tail: str = "") -> str:
    return f"/admin/content/{PLURALS[kind]}/{object_id}{tail}"


def form_data(session, kind: str, object_id: int, **changes) -> dict:
    """The editor's form, filled with the newest draft as the page shows it, with some changes."""
    draft = current_draft(session, kind=kind, object_id=object_id)
    fields = {**draft.fields, **changes}
    data: dict = {"version": str(draft.version), "note": ""}
    for name, value in fields.items():
        if name == "sources":
            for index, source in enumerate(value):
                for key, part in source.items():
                    data[f"sources-{index}-{key}"] = str(part)
        elif isinstance(value, list):
            data[name] = value
        else:
            data[name] = value
    return data


def save(client, session, kind: str, object_id: int, **changes):
    data = form_data(session, kind, object_id, **changes)
    return client.post(editor(kind, object_id), data={"csrf_token": csrf(client), **data})


def publish(client, kind: str, object_id: int, version: int, acknowledge=(), **extra):
    data = {"csrf_token": csrf(client), "version": str(version), "acknowledge": list(acknowledge), "publish": "now",
            **extra}
    return client.post(editor(kind, object_id, "/publish"), data=data)


def typed_at(moment) -> str:
    """A UTC moment as staff type it into a datetime-local field: on the shop's clock (SHOP_TIMEZONE)."""
    return to_shop_time(moment).strftime("%Y-%m-%dT%H:%M")


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html, re.S)


@pytest.fixture
def marketing(sign_in):
    return sign_in("marketing")
