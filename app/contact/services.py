"""Taking in contact messages and reaction reports, and staff handling them."""
from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.catalog.models import Product
from app.contact.models import ContactReport, ReportKind, ReportStatus
from app.db import utcnow
from app.mail.services import queue_email


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
    _acknowledge(session, report=report)
    return report


def _acknowledge(session: Session, *, report: ContactReport) -> None:
    """Queue the sender's receipt and the staff alert with the report itself: they go out after
    the commit, and a send that fails is kept and retried (`flask send-mail`), never the report."""
    config = current_app.config
    reaction = report.kind is ReportKind.reaction
    # The receipt goes to an address anyone can type in: it repeats nothing the sender wrote.
    queue_email(session, recipient=report.email, template="contact_receipt", report=report,
                subject=f"We've received your {'report' if reaction else 'message'} ({report.reference})")
    queue_email(session, recipient=config["SHOP_SAFETY_EMAIL"] if reaction else config["SHOP_STAFF_EMAIL"],
                template="contact_staff_alert", report=report,
                link=url_for("admin.report_detail", report_id=report.id, _external=True),
                subject=(f"Reaction report {report.reference}: {report.product_name}" if reaction
                         else f"Contact message {report.reference}"))


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
