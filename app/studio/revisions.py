"""Drafts as revisions: every save is a new numbered revision; the newest is the draft.

The form carries the number it was opened at (its version). A save on top of an older one is an
edit conflict: the editor is shown the other's revision beside what they typed, and saves again
on top of it when they have merged the two. Two saves on the same version at the same moment
both pass the check, and the unique (kind, object_id, number) stops the second at flush.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.catalog.errors import CatalogError
from app.claims import Finding, product_findings
from app.content.services import ContentError
from app.studio.items import KINDS, Kind
from app.studio.models import Revision


class StudioError(Exception):
    """Copy that cannot be saved or published as it is; the message is written for staff."""


class EditConflict(StudioError):
    def __init__(self, theirs: Revision) -> None:
        super().__init__(f"{theirs.author_email} saved this while you were editing (revision {theirs.number}). "
                         "Their text is shown beside yours: nothing you typed is lost. Merge what you need and "
                         "save again.")
        self.theirs = theirs


class CopyRefused(StudioError):
    """Product copy that makes a drug claim: the findings, by field name, are shown beside each box."""

    def __init__(self, findings: dict[str, list[Finding]]) -> None:
        super().__init__("Nothing was saved: some copy makes a drug claim. See the notes beside the fields.")
        self.findings = findings


@dataclass
class Draft:
    """What the editor opens: the newest text, the version the form carries, and the revision."""

    fields: dict
    version: int
    revision: Revision | None


def find_item(session: Session, *, kind: str, object_id: int):
    item = session.get(KINDS[kind].model, object_id)
    if item is None:
        raise StudioError(f"There is no such {kind}.")
    return item


def latest(session: Session, *, kind: str, object_id: int) -> Revision | None:
    return session.scalars(select(Revision).where(Revision.kind == kind, Revision.object_id == object_id)
                           .order_by(Revision.number.desc()).limit(1)).first()


def current_draft(session: Session, *, kind: str, object_id: int) -> Draft:
    """The newest revision, or the public text for an item never saved in the studio (version 0)."""
    revision = latest(session, kind=kind, object_id=object_id)
    if revision is not None:
        return Draft(dict(revision.fields), revision.number, revision)
    item = find_item(session, kind=kind, object_id=object_id)
    return Draft(KINDS[kind].live(session, item), 0, None)


def history(session: Session, *, kind: str, object_id: int) -> list[Revision]:
    return list(session.scalars(select(Revision).where(Revision.kind == kind, Revision.object_id == object_id)
                                .order_by(Revision.number.desc())))


def get_revision(session: Session, *, kind: str, object_id: int, number: int) -> Revision:
    revision = session.scalars(select(Revision).where(
        Revision.kind == kind, Revision.object_id == object_id, Revision.number == number)).first()
    if revision is None:
        raise StudioError(f"There is no revision {number}.")
    return revision


def save_draft(session: Session, *, kind: str, object_id: int, fields: dict, base_version: int, author,
               note: str = "") -> Revision:
    """Save the editor's text as the next revision; the public page is unchanged until published."""
    current = latest(session, kind=kind, object_id=object_id)
    if (current.number if current else 0) != base_version:
        raise EditConflict(current)
    check_copy(session, KINDS[kind], object_id, fields)
    revision = Revision(kind=kind, object_id=object_id, number=base_version + 1, fields=fields, note=note,
                        author_id=author.id, author_email=author.email, acknowledgements=[])
    try:
        with session.begin_nested():
            session.add(revision)
    except IntegrityError:  # another editor's save of the same version won the race
        raise EditConflict(latest(session, kind=kind, object_id=object_id)) from None
    return revision


def record_live_edit(session: Session, *, kind: str, object_id: int, author, now: datetime) -> Revision:
    """Keep an edit made outside the studio (the admin's product form) as a published revision, so
    the editor starts from it and no older draft can be published over it (publishing.publish)."""
    current = latest(session, kind=kind, object_id=object_id)
    item = find_item(session, kind=kind, object_id=object_id)
    revision = Revision(kind=kind, object_id=object_id, number=(current.number if current else 0) + 1,
                        fields=KINDS[kind].live(session, item), note="Edited outside the studio",
                        author_id=author.id, author_email=author.email, acknowledgements=[],
                        published_at=now, published_by=author.email)
    session.add(revision)
    session.flush()
    return revision


def restore(session: Session, *, kind: str, object_id: int, number: int, author) -> Revision:
    """An earlier revision's text saved again as the newest draft (nothing published)."""
    old = get_revision(session, kind=kind, object_id=object_id, number=number)
    current = latest(session, kind=kind, object_id=object_id)
    return save_draft(session, kind=kind, object_id=object_id, fields=dict(old.fields),
                      base_version=current.number if current else 0, author=author,
                      note=f"Restored from revision {number}")


def check_copy(session: Session, kind: Kind, object_id: int | None, fields: dict) -> None:
    """Refuse a slug that is taken and any drug claim in copy held to the product rules, field by field."""
    by_field: dict[str, list[Finding]] = {}
    for name in kind.product_copy:
        findings = product_findings(fields, (name,))
        if findings:
            by_field[name] = findings
    if by_field:
        raise CopyRefused(by_field)
    if kind.check_slug is None:
        return
    try:
        kind.check_slug(session, object_id, fields["slug"])
    except (CatalogError, ContentError) as error:
        raise StudioError(str(error)) from None
