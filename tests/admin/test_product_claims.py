"""Product copy a shopper sees, in every field staff can edit, is refused when it makes a drug claim."""
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.admin.models import AuditEntry
from app.catalog.models import Product, ProductImage, ProductRedirect, Variant
from app.content.services import save_article
from app.money import to_major
from tests.conftest import csrf, page_after, png_bytes, post, product_form

REFUSED = "Product copy must stay cosmetic"

# What a reviewer saved through the product form: (field, copy, the box and words the refusal names).
DRUG_CLAIMS = [
    ("summary", "Boosts your magnesium levels as effectively as an IV drip",
     "Summary: as effectively as, boosts your magnesium levels, iv drip"),
    ("summary", "Eases aches and reduces inflammation", "Summary: aches, inflammation"),
    ("description", "Helps you sleep better and reduces anxiety", "Description: anxiety, sleep better"),
    ("name", "Painkilling balm.", "Name: painkilling"),
    ("seo_title", "Great for migraines.", "SEO title: migraines"),
    ("seo_description", "Reduces cramps and spasms.", "SEO description: cramps, spasms"),
    ("directions", "Absorbs through the skin into your bloodstream.",
     "How to use: bloodstream, through the skin"),
    ("description", "Made to help you sleep\nbetter. A pain-killing rub.",
     "Description: pain, pain-killing, sleep better"),
    ("warnings", "Relieves pain", "Warnings: relieves"),
    ("ingredients", "Aqua, Glycerin, Magnesium Chloride (pain reliever)", "Ingredients: pain, reliever"),
    ("slug", "pain-relief-stick", "Web address (slug): pain, relief"),
    ("description", "See [our article](/learn/how-common-is-back-pain).", "Description: pain"),
    ("warnings", "Great for back pain and arthritis.", "Warnings: great for back pain"),
    ("summary", "Re\u00adlief in a jar, re\u200blieves tired muscles", "Summary: relief, relieves"),
    ("name", "Reliéf Balm", "Name: relief"),
    ("directions", "Helps your body absorb magnesium.", "How to use: body absorb magnesium"),
    ("summary", "Shea treats tired skin.", "Summary: treats"),
    ("warnings", "Works on sore backs and good for cramps.", "Warnings: good for cramps, works on sore"),
    ("summary", "Absorbed by the skin to top up magnesium", "Summary: top up magnesium"),
    ("description", "A treatment for tired legs. It treats them well.", "Description: treatment, treats"),
]

# Cosmetic copy the check must let through, in the fields a reviewer found it refused or might.
COSMETIC = [("summary", "summary", "A little treat for tired muscles after a long day."),
            ("description", "description_markdown", "Treat yourself to a slow massage. Absorbs quickly, no greasy feel."),
            ("warnings", "warnings_markdown", "Stop use if pain, redness or swelling occurs. Keep away from eyes."),
            ("warnings", "warnings_markdown", "Good for 12 months after opening. Best used within a year."),
            ("description", "description_markdown", "Absorbs quickly with magnesium chloride and shea."),
            ("summary", "summary", "The perfect treat for tired muscles, and a real treat after a long walk.")]


def product(session, slug: str) -> Product:
    found = session.scalars(select(Product).where(Product.slug == slug)).one()
    session.refresh(found)
    return found


def stored(session, slug: str) -> dict:
    """Every column of the product as the database holds it."""
    row = product(session, slug)
    return {column.key: getattr(row, column.key) for column in Product.__table__.columns}


def audit_count(session) -> int:
    return session.scalar(select(func.count(AuditEntry.id)))


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


@pytest.mark.parametrize(("field", "copy", "named"), DRUG_CLAIMS)
def test_product_copy_making_a_drug_claim_is_refused_and_nothing_is_saved(admin, session, field, copy, named):
    before, audited = stored(session, "magnesium-body-butter"), audit_count(session)
    response = post(admin, f"/admin/products/{before['id']}",
                    **product_form(product(session, "magnesium-body-butter"), **{field: copy}))
    html = page_after(admin, response)
    assert REFUSED in html and f"Please reword {named}." in html
    assert stored(session, "magnesium-body-butter") == before
    assert audit_count(session) == audited
    assert session.scalar(select(func.count(ProductRedirect.id))) == 0


def test_a_new_product_making_a_drug_claim_is_not_created(admin, session):
    html = page_after(admin, post(admin, "/admin/products/new", name="Magnesium Stick", slug="pain-relief-stick",
                                  summary="Great for migraines.", position="9", is_active="y"))
    assert "Please reword Web address (slug): pain, relief; Summary: migraines." in html
    assert session.scalars(select(Product).where(Product.name == "Magnesium Stick")).first() is None


def test_variant_labels_and_image_alt_text_are_product_copy_too(admin, session, app):
    butter = product(session, "magnesium-body-butter")
    html = page_after(admin, post(admin, f"/admin/products/{butter.id}/variants/new", sku="TMC-BTR-8-MIG",
                                  size="8 oz", scent="Migraine Relief Lavender", price="40", weight_grams="300",
                                  position="3", is_active="y"))
    assert "Please reword Scent: migraine, relief." in html
    assert session.scalars(select(Variant).where(Variant.sku == "TMC-BTR-8-MIG")).first() is None

    upload = admin.post(f"/admin/products/{butter.id}/images", data={
        "csrf_token": csrf(admin), "alt": "A painkilling balm for sore muscles",
        "image": (io.BytesIO(png_bytes()), "balm.png")}, content_type="multipart/form-data")
    assert "Please reword Image alt text: painkilling, sore." in page_after(admin, upload)
    assert session.scalar(select(func.count(ProductImage.id)).where(ProductImage.product_id == butter.id)) == 1
    assert not list(Path(app.config["UPLOAD_FOLDER"]).rglob("*.png"))  # refused before the file was written


@pytest.mark.parametrize(("field", "column", "copy"), COSMETIC)
def test_cosmetic_copy_saves(admin, session, field, column, copy):
    butter = product(session, "magnesium-body-butter")
    html = page_after(admin, post(admin, f"/admin/products/{butter.id}", **product_form(butter, **{field: copy})))
    assert "Saved Magnesium Body Butter" in html
    assert getattr(product(session, "magnesium-body-butter"), column) == copy


def test_warnings_may_name_conditions_they_warn_about(admin, session):
    butter = product(session, "magnesium-body-butter")
    warnings = ("- Stop use if irritation occurs.\n- For external use only.\n- Consult a doctor if you are pregnant.\n"
                "- If you have kidney disease or are under medical treatment, ask a doctor before use.\n"
                "- Stop use if pain, redness or swelling occurs.")
    html = page_after(admin, post(admin, f"/admin/products/{butter.id}", **product_form(butter, warnings=warnings)))
    assert "Saved Magnesium Body Butter" in html
    assert product(session, "magnesium-body-butter").warnings_markdown == warnings


def test_every_demo_product_variant_and_image_saves_unchanged(admin, session):
    slugs = list(session.scalars(select(Product.slug).order_by(Product.position)))
    assert slugs == ["magnesium-body-cream", "magnesium-body-butter", "magnesium-travel-stick", "recovery-bundle"]
    for slug in slugs:
        before = stored(session, slug)
        demo = product(session, slug)
        html = page_after(admin, post(admin, f"/admin/products/{demo.id}", **product_form(demo)))
        assert f"Saved {demo.name}" in html, html[:3000]
        after = stored(session, slug)
        assert {**after, "updated_at": None} == {**before, "updated_at": None}
        for variant in product(session, slug).variants:
            compare_at = str(to_major(variant.compare_at_minor, variant.currency)) if variant.compare_at_minor else ""
            html = page_after(admin, post(admin, f"/admin/products/{demo.id}/variants/{variant.id}", sku=variant.sku,
                                          size=variant.size, scent=variant.scent,
                                          price=str(to_major(variant.price_minor, variant.currency)),
                                          compare_at=compare_at, weight_grams=str(variant.weight_grams),
                                          position=str(variant.position), is_active="y"))
            assert f"Saved {variant.sku}" in html
        for image in product(session, slug).images:
            upload = admin.post(f"/admin/products/{demo.id}/images", data={
                "csrf_token": csrf(admin), "alt": image.alt, "image": (io.BytesIO(png_bytes()), "copy.png")},
                content_type="multipart/form-data")
            assert "Image added." in page_after(admin, upload)
    assert session.scalar(select(func.count(ProductRedirect.id))) == 0


def test_learn_articles_are_educational_and_not_checked_as_product_copy(session, client):
    save_article(session, slug="magnesium-and-migraine", title="What studies say about magnesium and migraine",
                 summary="IV magnesium, inflammation and pain relief: what the trials measured.",
                 body_markdown="Trials gave **intravenous** magnesium for migraine pain.", sources=[],
                 reviewed_on=date(2026, 11, 1), product_slugs=["magnesium-body-cream"])
    session.commit()
    assert client.get("/learn/magnesium-and-migraine").status_code == 200
