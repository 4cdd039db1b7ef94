"""What the marketing dashboard lists: every item with its draft state, drafts waiting, scheduled
publications and Learn articles due for review; and creating a new article."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.content.models import Article, Page
from app.core.models import HOME_PAGE_ID
from app.studio.models import Revision
from app.studio.items import KINDS
from app.studio.revisions import check_copy

REVIEW_AFTER = timedelta(days=365)


@dataclass
class Item:
    kind: str
    id: int
    title: str
    is_public: bool
    draft: Revision | None = None  # the newest revision, when it is not published yet

    @property
    def scheduled(self):
        return self.draft.publish_at if self.draft is not None else None


@dataclass
class Board:
    products: list[Item] = field(default_factory=list)
    articles: list[Item] = field(default_factory=list)
    pages: list[Item] = field(default_factory=list)
    home: list[Item] = field(default_factory=list)
    review_due: list[Article] = field(default_factory=list)

    @property
    def everything(self) -> list[Item]:
        return self.home + self.products + self.articles + self.pages

    @property
    def drafts_waiting(self) -> list[Item]:
        return [item for item in self.everything if item.draft and not item.scheduled]

    @property
    def scheduled(self) -> list[Item]:
        return sorted((item for item in self.everything if item.scheduled),
                      key=lambda item: item.scheduled)


def board(session: Session, *, today: date) -> Board:
    """Four queries whatever the shop's size: the items of each kind, and the newest revisions."""
    newest = (select(Revision.kind, Revision.object_id, func.max(Revision.number).label("number"))
              .group_by(Revision.kind, Revision.object_id).subquery())
    drafts = {(revision.kind, revision.object_id): revision for revision in session.scalars(
        select(Revision).join(newest, (newest.c.kind == Revision.kind) & (newest.c.object_id == Revision.object_id)
                              & (newest.c.number == Revision.number))
        .where(Revision.published_at.is_(None)))}
    result = Board()
    for product in session.scalars(select(Product).order_by(Product.position, Product.name)):
        result.products.append(Item("product", product.id, product.name, product.is_active,
                                    drafts.get(("product", product.id))))
    for article in session.scalars(select(Article).order_by(Article.position, Article.title)):
        result.articles.append(Item("article", article.id, article.title, article.is_published,
                                    drafts.get(("article", article.id))))
        if article.is_published and article.reviewed_on < today - REVIEW_AFTER:
            result.review_due.append(article)
    for page in session.scalars(select(Page).order_by(Page.title)):
        result.pages.append(Item("page", page.id, page.title, True, drafts.get(("page", page.id))))
    result.home.append(Item("home", HOME_PAGE_ID, "Home page", True, drafts.get(("home", HOME_PAGE_ID))))
    result.review_due.sort(key=lambda article: article.reviewed_on)
    return result


def create_article(session: Session, *, title: str, slug: str, author, today: date) -> Article:
    """A new, unpublished article (a 404 for the public) with its first revision."""
    article = Article(title=title, slug="", summary="", body_markdown="", body_html="", sources=[],
                      reviewed_on=today, reviewed_by="", is_published=False,
                      position=(session.scalar(select(func.max(Article.position))) or 0) + 1)
    fields = {"title": title, "slug": slug, "summary": "", "body": "", "sources": [],
              "reviewed_on": today.isoformat(), "reviewed_by": "", "products": []}
    check_copy(session, KINDS["article"], None, fields)
    article.slug = slug
    session.add(article)
    session.flush()
    session.add(Revision(kind="article", object_id=article.id, number=1, fields=fields, note="Created",
                         author_id=author.id, author_email=author.email, acknowledgements=[]))
    session.flush()
    return article


