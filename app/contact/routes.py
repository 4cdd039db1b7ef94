"""The public contact page."""
from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from app.catalog.services import product_cards
from app.contact import bp, services
from app.contact.forms import ContactForm
from app.contact.models import ReportKind
from app.extensions import db, limiter
from app.mail.services import commit_then_send


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per day", methods=["POST"])
def contact():
    form = ContactForm()
    form.product.choices = [SelectChoice(0, "Choose a product")] + [
        SelectChoice(product.id, product.name) for product in product_cards(db.session)]
    if form.validate_on_submit():
        thanks = url_for("contact.thanks", kind=form.kind.data)  # a report and a message are thanked differently
        if form.website.data:  # only bots fill the hidden field: thank them and keep nothing
            return redirect(thanks, code=303)
        try:
            report = services.submit(db.session, kind=form.kind.data, name=form.name.data, email=form.email.data,
                            phone=form.phone.data or "", product_id=form.product.data or None,
                            batch_number=form.batch_number.data or "", message=form.message.data,
                            consent=form.consent.data, source_ip=request.remote_addr or "")
        except services.ReportError as error:
            db.session.rollback()
            form.product.errors = [*form.product.errors, str(error)]
        else:
            reference = report.reference
            commit_then_send(db.session)  # a failed send stays queued for `flask send-mail`
            flash(f"Your reference is {reference}. We're emailing you a receipt.", "success")
            return redirect(thanks, code=303)
    return render_template("contact/form.html", form=form)


@bp.get("/contact/thanks")
def thanks():
    # Any kind but a known one (a hand-made link) gets the general wording.
    return render_template("contact/thanks.html", reaction=request.args.get("kind") == ReportKind.reaction.value)
