"""Publishing a revision: now, at a chosen time (publish_due runs the schedule), or unpublishing.

A Learn article or page publishes only when the editor has acknowledged each claims warning its
text earns; the acknowledgements (who, when, which rule) are kept with the revision.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.errors import CatalogError
from app.catalog.models import Product
from app.claims import Context, Finding, check_text
from app.content.models import Article
from app.content.services import ContentError
from app.studio.items import KINDS, text_of
from app.studio.models import Revision
from app.studio.revisions import StudioError, find_item, latest


@dataclass
class Published:
    """What changed on the public page, for the audit log: field -> text, before and after."""

    revision: Revision
    before: dict
    after: dict


def warnings_for(session: Session, revision: Revision | None = None, *, kind: str = "", fields: dict | None = None,
                 today: date | None = None) -> list[Finding]:
    """The claims warnings an article's or page's text earns (product copy is refused instead)."""
    kind = revision.kind if revision is not None else kind
    fields = revision.fields if revision is not None else fields or {}
    item_kind = KINDS[kind]
    if not item_kind.long_text:
        return []
    names = list(session.scalars(select(Product.name).where(Product.is_active.is_(True))))
    context = Context(sources=fields.get("sources") or [], product_names=names, today=today or date.today())
    return [finding for name in item_kind.long_text for finding in check_text(fields.get(name) or "", context)]


def unacknowledged(session: Session, revision: Revision) -> list[Finding]:
    done = {entry["rule"] for entry in revision.acknowledgements or []}
    return [finding for finding in warnings_for(session, revision) if finding.rule.id not in done]


def acknowledge(session: Session, *, revision: Revision, rule_ids: Iterable[str], actor, now: datetime) -> None:
    """Record that the editor read these warnings and stands by the text, then refuse if any is left."""
    earned = {finding.rule.id for finding in warnings_for(session, revision)}
    done = {entry["rule"] for entry in revision.acknowledgements or []}
    added = [{"rule": rule_id, "by": actor.email, "at": now.isoformat()}
             for rule_id in sorted(set(rule_ids) & earned - done)]
    if added:
        revision.acknowledgements = [*(revision.acknowledgements or []), *added]
    left = unacknowledged(session, revision)
    if left:
        raise StudioError("Acknowledge each claims warning before publishing: "
                          + ", ".join(sorted({finding.rule.id for finding in left})) + ".")
    session.flush()


def publish(session: Session, *, revision: Revision, actor_email: str, now: datetime) -> Published:
    """Make the revision's text public (through the owning package's save) and record who did it."""
    kind = KINDS[revision.kind]
    item = find_item(session, kind=revision.kind, object_id=revision.object_id)
    left = unacknowledged(session, revision)
    if left:
        raise StudioError("This revision has claims warnings nobody acknowledged: "
                          + ", ".join(sorted({finding.rule.id for finding in left})) + ".")
    newer = session.scalar(select(func.max(Revision.number)).where(
        Revision.kind == revision.kind, Revision.object_id == revision.object_id,
        Revision.number > revision.number, Revision.published_at.is_not(None)))
    if newer is not None:
        raise StudioError(f"Revision {newer} was published after this one was written, and publishing this one "
                          "would undo it. Restore this revision as a new draft to merge the two.")
    before = kind.live(session, item)
    try:
        kind.apply(session, item, dict(revision.fields))
    except (CatalogError, ContentError, ValueError) as error:
        raise StudioError(str(error)) from None
    revision.published_at, revision.published_by = now, actor_email
    revision.publish_at, revision.scheduled_by = None, ""
    session.flush()
    after = kind.live(session, item)
    changed = [name for name in after if before.get(name) != after[name]]
    return Published(revision, {name: text_of(before.get(name)) for name in changed},
                     {name: text_of(after[name]) for name in changed})


def schedule(session: Session, *, revision: Revision, actor_email: str, at: datetime, now: datetime) -> None:
    """Publish the revision at a later time: `flask publish-scheduled` (or publish_due) does it."""
    if at <= now:
        raise StudioError("Choose a time in the future, or publish now.")
    if unacknowledged(session, revision):
        raise StudioError("Acknowledge each claims warning before scheduling.")
    revision.publish_at, revision.scheduled_by = at, actor_email
    session.flush()


def cancel_schedule(session: Session, *, revision: Revision) -> None:
    revision.publish_at, revision.scheduled_by = None, ""
    session.flush()


def publish_due(session: Session, *, now: datetime) -> list[Published]:
    """Publish every scheduled revision whose time has come, oldest first. Run by cron (a
    revision is published once: publishing clears its publish_at)."""
    due = session.scalars(select(Revision).where(Revision.publish_at.is_not(None), Revision.publish_at <= now)
                          .order_by(Revision.publish_at, Revision.id).with_for_update(skip_locked=True))
    published = []
    for revision in list(due):
        try:
            with session.begin_nested():
                published.append(publish(session, revision=revision, actor_email=revision.scheduled_by, now=now))
        except StudioError:
            # Left scheduled and shown on the dashboard; a later run or an editor sorts it out.
            continue
    return published


def unpublish(session: Session, *, article_id: int) -> None:
    """Take a Learn article off the shop: its address becomes a 404. Its revisions are kept."""
    article = session.get(Article, article_id)
    if article is None:
        raise StudioError("There is no such article.")
    article.is_published = False
    session.flush()


def has_unpublished_changes(session: Session, *, kind: str, object_id: int) -> bool:
    revision = latest(session, kind=kind, object_id=object_id)
    return revision is not None and revision.published_at is None
