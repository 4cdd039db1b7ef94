"""Customers and staff accounts (admin only), contact / reaction reports (admin and fulfilment)."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.admin import bp, services
from app.admin.customers import customers
from app.admin.forms import (AssignReportForm, CloseReportForm, CustomerSearchForm, SignOutEverywhereForm,
                             staff_form)
from app.contact import services as reports
from app.contact.models import ContactReport
from app.extensions import db
from app.forms import flash_form_errors
from app.inputs import page_number
from app.security import role_required

STAFF_FIELDS = ("email", "name", "role", "is_active_account")
REPORT_FIELDS = ("status", "assigned_to_email", "resolution")


@bp.get("/customers")
@role_required()  # admin only: what each named person spent is more than marketing or fulfilment need
def customer_list():
    form = CustomerSearchForm(request.args)
    if not form.validate():
        return render_template("admin/customers.html", form=form, page=None)
    page = customers(db.session, search=form.q.data or "", page=request.args.get("page", 1, type=page_number))
    return render_template("admin/customers.html", form=form, page=page)


@bp.get("/staff")
@role_required()
def staff_list():
    return render_template("admin/staff.html", staff=accounts.staff_members(db.session))


@bp.route("/staff/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@role_required()
def staff_edit(user_id: int | None):
    user = db.get_or_404(User, user_id) if user_id else None
    form = staff_form(user)
    if form.validate_on_submit():
        before = services.snapshot(user, *STAFF_FIELDS) if user else None
        try:
            if user is None:
                user = accounts.register(db.session, email=form.email.data, password=form.password.data or "",
                                         name=form.name.data or "", role=Role(form.role.data))
            else:
                if user.id == current_user.id and Role(form.role.data) is not Role.admin:
                    raise accounts.AccountError("You can't remove your own admin role.")
                user.name = form.name.data or ""
                user.role = Role(form.role.data)
                user.is_active_account = form.is_active.data
                if form.password.data:
                    accounts.set_password(db.session, user=user, password=form.password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            services.audit(db.session, actor=current_user, action="staff.create" if before is None else "staff.edit",
                           obj_type="user", obj_id=user.email, before=before,
                           after=services.snapshot(user, *STAFF_FIELDS))
            db.session.commit()
            flash(f"Saved {user.email} ({user.role.value}).", "success")
            return redirect(url_for("admin.staff_list"), code=303)
    return render_template("admin/staff_edit.html", form=form, user=user, sign_out_form=SignOutEverywhereForm())


@bp.post("/staff/<int:user_id>/sign-out")
@role_required()
def staff_sign_out(user_id: int):
    user = db.get_or_404(User, user_id)
    if SignOutEverywhereForm().validate_on_submit():
        accounts.end_sessions(db.session, user_id=user.id)
        services.audit(db.session, actor=current_user, action="staff.sign_out", obj_type="user", obj_id=user.email)
        db.session.commit()
        flash(f"{user.email} is signed out on every device.", "success")
    return redirect(url_for("admin.staff_edit", user_id=user_id), code=303)


@bp.get("/reports")
@role_required("fulfilment")
def report_list():
    status = request.args.get("status", "")
    if status not in ("", "new", "assigned", "closed"):
        status = ""
    return render_template("admin/reports.html", reports=reports.list_reports(db.session, status=status),
                           status=status)


@bp.get("/reports/<int:report_id>")
@role_required("fulfilment")
def report_detail(report_id: int):
    report = db.get_or_404(ContactReport, report_id)
    assign_form = AssignReportForm()
    assign_form.assignee.choices = [SelectChoice(user.id, user.email) for user in _report_handlers()]
    return render_template("admin/report.html", report=report, assign_form=assign_form,
                           close_form=CloseReportForm())


def _report_handlers() -> list[User]:
    """Who may be given a report: the roles that can open the reports screens."""
    return accounts.staff_members(db.session, roles=(Role.admin, Role.fulfilment))


def _report_action(report: ContactReport, form, action: str, work):
    if form.validate_on_submit():
        before = services.snapshot(report, *REPORT_FIELDS)
        try:
            work()
        except reports.ReportError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            services.audit(db.session, actor=current_user, action=action, obj_type="report", obj_id=report.id,
                           before=before, after=services.snapshot(report, *REPORT_FIELDS))
            db.session.commit()
            flash("Report updated.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("admin.report_detail", report_id=report.id), code=303)


@bp.post("/reports/<int:report_id>/assign")
@role_required("fulfilment")
def report_assign(report_id: int):
    report = db.get_or_404(ContactReport, report_id)
    form = AssignReportForm()
    staff = _report_handlers()
    form.assignee.choices = [SelectChoice(user.id, user.email) for user in staff]
    return _report_action(report, form, "report.assign", lambda: reports.assign(
        db.session, report=report, assignee=next(user for user in staff if user.id == form.assignee.data)))


@bp.post("/reports/<int:report_id>/close")
@role_required("fulfilment")
def report_close(report_id: int):
    report = db.get_or_404(ContactReport, report_id)
    form = CloseReportForm()
    return _report_action(report, form, "report.close", lambda: reports.close(
        db.session, report=report, resolution=form.resolution.data, closed_by=current_user))
