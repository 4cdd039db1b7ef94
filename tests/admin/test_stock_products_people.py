"""Staff work on stock, products, staff accounts and reports; the public contact form."""
import io
from pathlib import Path

from sqlalchemy import select

from app.admin.models import AuditEntry
from app.catalog.models import Product, StockMovement, Variant
from app.contact.models import ContactReport, ReportStatus
from app.accounts.models import Role, User
from tests.conftest import csrf, csrf_token_from, latest_order, page_after, png_bytes, post, session_id_from, sign_in_as



def variant(session, sku: str) -> Variant:
    found = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    session.refresh(found)
    return found


def test_stock_adjustment_writes_a_movement_and_an_audit_entry(sign_in, session):
    client = sign_in("fulfilment")
    target = variant(session, "TMC-CRM-8-LAV")
    html = page_after(client, post(client, f"/admin/stock/{target.id}/adjust", change="24", reason="received",
                                   note="PO 1043"))
    assert "is now 24" in html and "PO 1043" in html
    assert variant(session, "TMC-CRM-8-LAV").stock_on_hand == 24
    movement = session.scalars(select(StockMovement).where(StockMovement.variant_id == target.id)
                               .order_by(StockMovement.id.desc())).first()
    assert (movement.delta, movement.reason.value, movement.note) == (24, "received", "PO 1043")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "stock.adjust")).one()
    assert entry.before["stock_on_hand"] == 0 and entry.after["stock_on_hand"] == 24


def test_stock_cannot_drop_below_what_is_held_for_unpaid_orders(sign_in, session, shopper):
    shopper.add("TMC-CRM-2-LAV", 2)  # 3 on hand, 2 now held
    shopper.checkout()
    client = sign_in("fulfilment")
    target = variant(session, "TMC-CRM-2-LAV")
    html = page_after(client, post(client, f"/admin/stock/{target.id}/adjust", change="-2", reason="damaged"))
    assert "less stock than is held" in html
    assert variant(session, "TMC-CRM-2-LAV").stock_on_hand == 3
    for bad in ("0", "abc", "99999"):
        page_after(client, post(client, f"/admin/stock/{target.id}/adjust", change=bad, reason="damaged"))
    assert variant(session, "TMC-CRM-2-LAV").stock_on_hand == 3
    page_after(client, post(client, f"/admin/stock/{target.id}/adjust", change="1", reason="stolen"))
    assert variant(session, "TMC-CRM-2-LAV").stock_on_hand == 3


def test_low_stock_threshold_drives_the_dashboard(sign_in, session):
    client = sign_in("admin")
    target = variant(session, "TMC-CRM-4-UNS")  # 60 in stock
    assert "TMC-CRM-4-UNS" not in client.get("/admin/").get_data(as_text=True)
    page_after(client, post(client, f"/admin/stock/{target.id}/threshold", threshold="100"))
    assert "TMC-CRM-4-UNS" in client.get("/admin/").get_data(as_text=True)


def test_admin_creates_a_product_with_a_variant_and_an_image(sign_in, session, client):
    admin = sign_in("admin")
    html = page_after(admin, post(admin, "/admin/products/new", name="Magnesium Foot Balm", slug="foot-balm",
                                  summary="A rich balm for tired feet.", description="**Soothing** balm.",
                                  position="9", is_active="y"))
    assert "Saved Magnesium Foot Balm" in html
    product = session.scalars(select(Product).where(Product.slug == "foot-balm")).one()
    assert product.description_html == "<p><strong>Soothing</strong> balm.</p>\n"
    page_after(admin, post(admin, f"/admin/products/{product.id}/variants/new", sku="TMC-FTB-2-UNS", size="2 oz",
                           scent="Unscented", price="18.50", compare_at="", weight_grams="80", position="1",
                           is_active="y"))
    new_variant = variant(session, "TMC-FTB-2-UNS")
    assert (new_variant.price_minor, new_variant.stock_on_hand) == (1850, 0)
    upload = admin.post(f"/admin/products/{product.id}/images", data={
        "csrf_token": csrf(admin), "alt": "A tin of foot balm", "image": (io.BytesIO(png_bytes()), "balm.png")},
        content_type="multipart/form-data")
    assert "Image added." in page_after(admin, upload)
    page = client.get("/products/foot-balm").get_data(as_text=True)
    assert "Magnesium Foot Balm" in page and 'src="/media/products/' in page and "Sold out" in page
    image_path = next(part for part in page.split('"') if part.startswith("/media/products/"))
    assert client.get(image_path).status_code == 200
    assert 'width="40" height="30"' in page  # the real size, read from the file


def test_product_edits_are_validated(sign_in, session):
    admin = sign_in("admin")
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one()
    html = page_after(admin, post(admin, "/admin/products/new", name="Copy", slug="magnesium-body-cream",
                                  position="1"))
    assert "already uses the address" in html
    response = post(admin, f"/admin/products/{product.id}", name="Butter", slug="Not A Slug!")
    assert "lower-case letters" in response.get_data(as_text=True)
    html = page_after(admin, post(admin, f"/admin/products/{product.id}/variants/new", sku="TMC-CRM-2-UNS",
                                  size="1 oz", scent="x", price="5", weight_grams="1", position="1"))
    assert "already uses SKU" in html
    forged_png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 11  # the right magic bytes, no picture
    for bad_file, name in ((b"GIF89a....", "x.png"), (forged_png, "x.png"),
                           (png_bytes(7000, 10), "wide.png")):
        upload = admin.post(f"/admin/products/{product.id}/images", data={
            "csrf_token": csrf(admin), "alt": "x", "image": (io.BytesIO(bad_file), name)},
            content_type="multipart/form-data")
        html = page_after(admin, upload)
        assert "not a PNG, JPEG or WebP" in html or "at most 6000 pixels" in html


def test_admin_manages_staff_but_cannot_demote_themselves(sign_in, session):
    admin = sign_in("admin")
    page_after(admin, post(admin, "/admin/staff/new", email="sam@tidewater.example", name="Sam",
                           role="fulfilment", password="sam-password-123", is_active="y"))
    sam = session.scalars(select(User).where(User.email == "sam@tidewater.example")).one()
    assert sam.role is Role.fulfilment
    me = session.scalars(select(User).where(User.email == "admin@tidewater.example")).one()
    response = post(admin, f"/admin/staff/{me.id}", email=me.email, role="marketing", is_active="y")
    assert "can&#39;t remove your own admin role" in response.get_data(as_text=True)
    session.refresh(me)
    assert me.role is Role.admin


def test_contact_form_takes_questions_and_reaction_reports(client, session):
    token = csrf_token_from(client.get("/contact").get_data(as_text=True))
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    missing_product = client.post("/contact", data={"csrf_token": token, "kind": "reaction", "name": "Ana",
                                                    "email": "ana@example.com", "product": "0",
                                                    "message": "Red itchy patch after use."})
    assert "Choose the product you reacted to" in missing_product.get_data(as_text=True)
    response = client.post("/contact", data={"csrf_token": token, "kind": "reaction", "name": "Ana",
                                             "email": "ana@example.com", "product": str(product.id),
                                             "batch_number": "LOT-2026-11A", "consent": "y",
                                             "message": "Red itchy patch after use."})
    assert response.status_code == 303 and response.headers["Location"] == "/contact/thanks?kind=reaction"
    report = session.scalars(select(ContactReport)).one()
    assert (report.product_name, report.batch_number, report.consent_to_contact) == (
        "Magnesium Body Cream", "LOT-2026-11A", True)


def test_honeypot_submissions_are_thanked_and_dropped(client, session):
    token = csrf_token_from(client.get("/contact").get_data(as_text=True))
    response = client.post("/contact", data={"csrf_token": token, "kind": "question", "name": "Bot",
                                             "email": "bot@example.com", "message": "Buy cheap things now!!",
                                             "website": "http://spam.example"})
    assert response.status_code == 303
    assert session.scalars(select(ContactReport)).all() == []


def test_contact_form_is_rate_limited(client):
    token = csrf_token_from(client.get("/contact").get_data(as_text=True))
    statuses = [client.post("/contact", data={"csrf_token": token, "kind": "question", "name": "A",
                                              "email": "a@example.com", "message": "Hello there, a question."}
                            ).status_code for _ in range(6)]
    assert statuses == [303] * 5 + [429]


def test_staff_assign_and_close_reports_which_are_never_deleted(app, sign_in, session, client):
    token = csrf_token_from(client.get("/contact").get_data(as_text=True))
    client.post("/contact", data={"csrf_token": token, "kind": "question", "name": "Lee",
                                  "email": "lee@example.com", "message": "Do you ship to Alaska?"})
    report = session.scalars(select(ContactReport)).one()
    staff = sign_in("fulfilment")
    assert "lee@example.com" in staff.get("/admin/reports").get_data(as_text=True)
    assignee = session.scalars(select(User).where(User.email == "fulfilment@tidewater.example")).one()
    page_after(staff, post(staff, f"/admin/reports/{report.id}/assign", assignee=str(assignee.id)))
    html = page_after(staff, post(staff, f"/admin/reports/{report.id}/close", resolution="Replied: yes we do."))
    assert "Replied: yes we do." in html
    session.refresh(report)
    assert report.status is ReportStatus.closed and report.closed_by_email == "fulfilment@tidewater.example"
    assert not any("DELETE" in rule.methods or "delete" in rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin/reports"))


def test_audit_log_lists_staff_actions(sign_in, session):
    admin = sign_in("admin")
    target = variant(session, "TMC-STK-06-PEP")
    page_after(admin, post(admin, f"/admin/stock/{target.id}/threshold", threshold="12"))
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "stock.threshold" in html and "admin@tidewater.example" in html and "TMC-STK-06-PEP" in html


def test_signed_in_shopper_sees_tracking_after_shipping(app, sign_in, session, stripe_server, deliver,
                                                       shopper_account):
    from tests.conftest import Shopper

    shopper = Shopper(app.test_client(), session)
    sign_in_as(shopper.client, *shopper_account)
    shopper.add("TMC-BTR-4-VAN", 1)
    session_id = session_id_from(shopper.checkout(email=""))
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    order = latest_order(session)
    assert order.email == shopper_account[0]
    staff = sign_in("fulfilment")
    page_after(staff, post(staff, f"/admin/orders/{order.number}/ship", carrier="UPS", tracking_number="1Z999",
                           confirm_shipped="y", **{f"lot-{line.id}": "B-77" for line in order.lines}))
    html = shopper.client.get("/account").get_data(as_text=True)
    assert "UPS 1Z999" in html and "Shipped" in html


def test_admin_removes_an_uploaded_image_and_its_file(app, sign_in, session):
    admin = sign_in("admin")
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one()
    admin.post(f"/admin/products/{product.id}/images", data={
        "csrf_token": csrf(admin), "alt": "Extra", "image": (io.BytesIO(png_bytes()), "x.png")},
        content_type="multipart/form-data")
    session.refresh(product)
    uploaded = next(image for image in product.images if image.path.startswith("uploads/"))
    stored = Path(app.config["UPLOAD_FOLDER"]) / uploaded.path.removeprefix("uploads/")
    assert stored.exists()
    html = page_after(admin, post(admin, f"/admin/products/{product.id}/images/{uploaded.id}/remove"))
    assert "Image removed." in html
    assert not stored.exists()
    session.refresh(product)
    assert all(not image.path.startswith("uploads/") for image in product.images)


def test_product_copy_with_drug_claims_is_refused(sign_in, session):
    admin = sign_in("admin")
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one()
    response = post(admin, f"/admin/products/{product.id}", name=product.name, slug=product.slug, position="2",
                    summary="Relieves back pain and cures cramps.", is_active="y")
    html = page_after(admin, response)
    assert "Please reword Summary: cramps, cures, pain, relieves." in html
    session.refresh(product)
    assert "Relieves" not in product.summary


def test_variant_prices_must_make_sense(sign_in, session):
    admin = sign_in("admin")
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one()
    base = dict(sku="TMC-BTR-8-UNS", size="8 oz", scent="Unscented", weight_grams="300", position="3", is_active="y")
    assert "above zero" in page_after(admin, post(admin, f"/admin/products/{product.id}/variants/new", price="0", **base))
    html = page_after(admin, post(admin, f"/admin/products/{product.id}/variants/new", price="40", compare_at="30", **base))
    assert "make it more than the price" in html
    assert "without commas" in page_after(admin, post(admin, f"/admin/products/{product.id}/variants/new",
                                                      price="40,00", **base))
    assert session.scalars(select(Variant).where(Variant.sku == "TMC-BTR-8-UNS")).first() is None


def test_edited_ingredients_show_on_the_product_page_as_grouped_lists(sign_in, session, client):
    admin = sign_in("admin")
    html = page_after(admin, post(admin, "/admin/products/new", name="Magnesium Duo", slug="magnesium-duo",
                                  summary="Two tins.", position="9", is_active="y", ingredients=(
                                      "Cream: Aqua, Magnesium Chloride*\n"
                                      "Butter <tin>: Butyrospermum Parkii & Cera Alba, Parfum\n"
                                      "*Lavender scent only.")))
    assert "Saved Magnesium Duo" in html
    page = client.get("/products/magnesium-duo").get_data(as_text=True)
    assert ('<p class="ingredient-label">Cream</p>\n<ul class="ingredient-list"><li>Aqua</li>'
            "<li>Magnesium Chloride*</li></ul>\n"
            '<p class="ingredient-label">Butter &lt;tin&gt;</p>\n<ul class="ingredient-list">'
            "<li>Butyrospermum Parkii &amp; Cera Alba</li><li>Parfum</li></ul>\n"
            '<p class="small">*Lavender scent only.</p>') in page
    assert "<tin>" not in page
