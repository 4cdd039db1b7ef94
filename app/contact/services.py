"""Taking in contact messages and reaction reports, and staff handling them."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.catalog.models import Product
from app.contact.models import ContactReport, ReportKind, ReportStatus
from app.db import utcnow


class ReportError(Exception):
    """A report rule was broken; the message is safe to show."""


def submit(session: Session, *, kind: str, name: str, email: str, phone: str, product_id: int | None,
           batch_number: str, message: str, consent: bool, source_ip: str) -> ContactReport:
    report_kind = ReportKind(kind)
    product = session.get(Product, product_id) if product_id else None
    if report_kind is ReportKind.reaction and product is None:
        raise ReportError("Choose the product you reacted to, so we can look into it.")
    report = ContactReport(kind=report_kind, name=name.strip(), email=email.strip().lower(), phone=phone.strip(),
                           product_id=product.id if product else None, product_name=product.name if product else "",
                           batch_number=batch_number.strip(), message=message.strip(), consent_to_contact=consent,
                           source_ip=source_ip)
    session.add(report)
    session.flush()
    return report


def list_reports(session: Session, *, status: str = "") -> list[ContactReport]:
    query = select(ContactReport).order_by(ContactReport.id.desc())
    if status:
        query = query.where(ContactReport.status == ReportStatus(status))
    return list(session.scalars(query))


def assign(session: Session, *, report: ContactReport, assignee: User) -> None:
    if report.status is ReportStatus.closed:
        raise ReportError("This report is closed.")
    if not assignee.is_staff:
        raise ReportError("Reports can only be assigned to staff.")
    report.assigned_to_id = assignee.id
    report.assigned_to_email = assignee.email
    report.status = ReportStatus.assigned
    session.flush()


def close(session: Session, *, report: ContactReport, resolution: str, closed_by: User) -> None:
    if report.status is ReportStatus.closed:
        raise ReportError("This report is already closed.")
    report.status = ReportStatus.closed
    report.resolution = resolution.strip()
    report.closed_at = utcnow()
    report.closed_by_email = closed_by.email
    session.flush()
