"""A product whose slug staff change keeps answering at its old addresses, with a 301."""
import re

import pytest
from sqlalchemy import select

from app.catalog.models import Product, ProductRedirect
from tests.conftest import page_after, post, product_form


def product(session, slug: str) -> Product:
    found = session.scalars(select(Product).where(Product.slug == slug)).one()
    session.refresh(found)
    return found


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


def rename(admin, session, slug: str, new_slug: str) -> str:
    target = product(session, slug)
    return page_after(admin, post(admin, f"/admin/products/{target.id}", **product_form(target, slug=new_slug)))


def test_a_renamed_product_answers_301_at_its_old_address_keeping_the_query(admin, session, client):
    before = product(session, "magnesium-body-butter")
    copy = (before.name, before.summary, before.description_html, before.warnings_html, before.ingredients_html)
    assert "Saved Magnesium Body Butter" in rename(admin, session, "magnesium-body-butter", "whipped-body-butter")

    response = client.get("/products/magnesium-body-butter?variant=TMC-BTR-4-VAN")
    assert response.status_code == 301
    assert response.headers["Location"] == "/products/whipped-body-butter?variant=TMC-BTR-4-VAN"
    assert response.headers["Cache-Control"] == "max-age=86400, private"
    assert client.get("/products/magnesium-body-butter").headers["Location"] == "/products/whipped-body-butter"
    page = client.get(response.headers["Location"])
    after = product(session, "whipped-body-butter")
    vanilla = next(variant for variant in after.variants if variant.sku == "TMC-BTR-4-VAN")
    assert page.status_code == 200 and f'name="variant_id" value="{vanilla.id}"' in page.get_data(as_text=True)
    assert (after.name, after.summary, after.description_html, after.warnings_html, after.ingredients_html) == copy


def test_every_old_slug_of_a_chain_of_renames_leads_to_the_current_one(admin, session, client):
    rename(admin, session, "magnesium-travel-stick", "travel-stick")
    rename(admin, session, "travel-stick", "peppermint-travel-stick")
    for old in ("magnesium-travel-stick", "travel-stick"):
        response = client.get(f"/products/{old}")
        assert (response.status_code, response.headers["Location"]) == (301, "/products/peppermint-travel-stick")

    rename(admin, session, "peppermint-travel-stick", "magnesium-travel-stick")  # taking back its first slug
    assert client.get("/products/magnesium-travel-stick").status_code == 200
    for old in ("travel-stick", "peppermint-travel-stick"):
        assert client.get(f"/products/{old}").headers["Location"] == "/products/magnesium-travel-stick"
    assert sorted(session.scalars(select(ProductRedirect.old_slug))) == ["peppermint-travel-stick", "travel-stick"]


def test_unknown_slugs_and_old_slugs_of_inactive_products_are_styled_404s(admin, session, client):
    rename(admin, session, "magnesium-body-butter", "whipped-body-butter")
    butter = product(session, "whipped-body-butter")
    post(admin, f"/admin/products/{butter.id}", **product_form(butter, is_active=""))
    for slug in ("magnesium-body-butter", "whipped-body-butter", "no-such-cream"):
        response = client.get(f"/products/{slug}")
        assert response.status_code == 404, slug
        assert 'class="site-header"' in response.get_data(as_text=True)


def test_a_slug_that_still_forwards_to_another_product_is_refused(admin, session, client):
    rename(admin, session, "magnesium-body-butter", "whipped-body-butter")
    html = page_after(admin, post(admin, "/admin/products/new", name="Body Butter Bar", slug="magnesium-body-butter",
                                  position="9", is_active="y"))
    assert ("The address /products/magnesium-body-butter was Magnesium Body Butter&#39;s and still forwards there"
            in html)
    stick = product(session, "magnesium-travel-stick")
    html = page_after(admin, post(admin, f"/admin/products/{stick.id}",
                                  **product_form(stick, slug="magnesium-body-butter")))
    assert "still forwards there" in html
    assert session.scalars(select(Product).where(Product.name == "Body Butter Bar")).first() is None
    assert product(session, "magnesium-travel-stick").slug == "magnesium-travel-stick"
    assert client.get("/products/magnesium-body-butter").headers["Location"] == "/products/whipped-body-butter"


def test_the_old_address_is_looked_up_only_when_no_product_has_the_slug(admin, session, client, count_queries):
    rename(admin, session, "magnesium-body-butter", "whipped-body-butter")
    with count_queries() as counter:
        assert client.get("/products/whipped-body-butter").status_code == 200
    assert counter.count == 1 and "product_redirects" not in counter.statements[0]
    with count_queries() as counter:
        assert client.get("/products/magnesium-body-butter").status_code == 301
    assert counter.count == 2


def test_a_rename_that_loses_a_race_for_the_same_address_is_refused_without_an_error_page(admin, session):
    butter = product(session, "magnesium-body-butter")
    name = butter.name
    # What another member of staff renaming the butter at the same moment commits first: its
    # current address kept as an old one. Ours was checked before that and collides at commit.
    session.add(ProductRedirect(old_slug="magnesium-body-butter", product_id=butter.id))
    session.commit()
    page = rename(admin, session, "magnesium-body-butter", "whipped-body-butter")
    assert "Nothing was saved: another change to the catalogue conflicted with this one" in page
    assert product(session, "magnesium-body-butter").name == name
    assert session.scalars(select(Product).where(Product.slug == "whipped-body-butter")).first() is None
