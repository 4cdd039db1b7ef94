"""The product page's Size and Scent picker without JavaScript, its saving, its pictures and its link previews."""
import io
import re

from PIL import Image
from sqlalchemy import select

from app.catalog.models import Product, ProductImage, Variant
from tests.admin.test_product_images import upload
from tests.catalog.test_pages import chosen, selected_price
from tests.conftest import csrf_token_from, page_after


def variant(session, sku: str) -> Variant:
    return session.scalars(select(Variant).where(Variant.sku == sku)).one()


def upload_photo(admin, session, slug: str, size: tuple[int, int], kind: str, *, alt: str) -> ProductImage:
    """Upload a plain picture of SIZE in KIND (PNG or JPEG) to the product, as staff do."""
    product = session.scalars(select(Product).where(Product.slug == slug)).one()
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 90, 160)).save(buffer, kind)
    assert "Image added." in page_after(admin, upload(admin, product.id, buffer.getvalue(), f"photo.{kind.lower()}", alt=alt))
    return session.scalars(select(ProductImage).where(ProductImage.alt == alt)).one()


def choose(client, slug: str, **choice):
    """Press "Show price and stock for this choice" with the radios set to CHOICE."""
    token = csrf_token_from(client.get(f"/products/{slug}").get_data(as_text=True))
    return client.post(f"/products/{slug}", data={"csrf_token": token, **choice})


def test_choosing_size_and_scent_without_javascript_shows_that_variant(client):
    response = choose(client, "magnesium-body-cream", size="4 oz", scent="Lavender", quantity="1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/products/magnesium-body-cream?variant=TMC-CRM-4-LAV#choose"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert chosen(html) == {"size": "4 oz", "scent": "Lavender"} and selected_price(html) == "$26.00"
    assert "csrf_token" not in response.headers["Location"]


def test_a_scent_not_made_in_a_size_is_disabled_with_the_reason(client, session):
    variant(session, "TMC-CRM-8-LAV").is_active = False
    session.commit()
    html = client.get("/products/magnesium-body-cream?variant=TMC-CRM-8-UNS").get_data(as_text=True)
    lavender = re.search(r'<input type="radio" id="(scent-\d)" name="scent" value="Lavender"\s+([^>]*)>\s*'
                         r'(?:\{#.*?#\}\s*)?<label for="scent-\d">(.*?)</label>', html, re.S)
    assert lavender.group(2).strip() == "disabled"
    assert re.sub(r"<[^>]+>", "", lavender.group(3)) == "Lavender, Not made in 8 oz"
    # Asking for the impossible pair without JavaScript gives the size in a scent it is made in.
    response = choose(client, "magnesium-body-cream", size="8 oz", scent="Lavender")
    assert response.headers["Location"].endswith("?variant=TMC-CRM-8-UNS#choose")
    # In 2 oz, lavender is made: nothing is disabled.
    assert "Not made in" not in client.get("/products/magnesium-body-cream?variant=TMC-CRM-2-LAV").get_data(as_text=True)


def test_add_to_cart_adds_the_size_and_scent_the_radios_say(client, session):
    """Without JavaScript a shopper may change a radio and press Add to cart straight away: the
    variant the page was showing (variant_id) gives way to the one the radios name."""
    token = csrf_token_from(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    shown = variant(session, "TMC-CRM-2-UNS")
    response = client.post("/cart/add", data={"csrf_token": token, "variant_id": shown.id, "size": "4 oz",
                                              "scent": "Lavender", "quantity": "1"})
    assert "Magnesium Body Cream (4 oz / Lavender)" in page_after(client, response)
    variant(session, "TMC-CRM-8-LAV").is_active = False
    session.commit()
    response = client.post("/cart/add", data={"csrf_token": token, "variant_id": shown.id, "size": "8 oz",
                                              "scent": "Lavender", "quantity": "1"},
                           headers={"Referer": "http://localhost/products/magnesium-body-cream"})
    assert "That scent is not made in 8 oz" in page_after(client, response)
    other = variant(session, "TMC-BTR-4-VAN")  # another product's 4 oz Lavender does not exist either
    response = client.post("/cart/add", data={"csrf_token": token, "variant_id": other.id, "size": "4 oz",
                                              "scent": "Lavender", "quantity": "1"})
    assert "That scent is not made in 4 oz" in page_after(client, response)


def test_larger_jars_show_their_saving_against_the_smallest_per_ounce(client):
    def saving(sku: str) -> str:
        html = client.get(f"/products/magnesium-body-cream?variant={sku}").get_data(as_text=True)
        return re.search(r"data-saving[^>]*>([^<]*)<", html).group(1)

    # 2 oz is $16, $8 an ounce: 4 oz at $26 saves $6 on two small jars, 8 oz at $42 saves $22.
    assert (saving("TMC-CRM-2-UNS"), saving("TMC-CRM-4-UNS"), saving("TMC-CRM-8-UNS")) == ("", "Save $6.00", "Save $22.00")
    bundle = client.get("/products/recovery-bundle").get_data(as_text=True)
    assert re.search(r"data-saving hidden>\s*<", bundle)  # a set's size is not a weight


def test_a_variant_with_its_own_picture_shows_it_and_uploads_are_served_with_srcset(app, sign_in, client, session):
    photo = upload_photo(sign_in("admin"), session, "magnesium-body-cream", (1600, 1200), "JPEG",
                         alt="A lavender jar in the sun")
    variant(session, "TMC-CRM-4-LAV").image_id = photo.id
    photo.is_social = True
    session.commit()

    def main_image(html: str) -> str:
        return re.search(r'<div class="product-main-image".*?</picture>', html, re.S).group(0)

    lavender = client.get("/products/magnesium-body-cream?variant=TMC-CRM-4-LAV").get_data(as_text=True)
    picture = main_image(lavender)
    assert 'alt="A lavender jar in the sun"' in picture and 'width="1600" height="1200"' in picture
    stem = "/media/" + photo.path.removeprefix("uploads/").rsplit(".", 1)[0]
    assert (f'<source type="image/webp" srcset="{stem}-320.webp 320w, {stem}-640.webp 640w, {stem}-1280.webp 1280w, '
            f'{stem}.webp 1600w" sizes="(min-width: 48rem) 50vw, 100vw">') in picture
    assert f'srcset="{stem}-320.jpg 320w, {stem}-640.jpg 640w, {stem}-1280.jpg 1280w, {stem}.jpg 1600w"' in picture
    unscented = client.get("/products/magnesium-body-cream?variant=TMC-CRM-4-UNS").get_data(as_text=True)
    assert "A lavender jar in the sun" not in main_image(unscented)
    # Link previews show the chosen picture, at most 1280 wide and in a format every site reads.
    assert f'<meta property="og:image" content="http://localhost{stem}-1280.jpg">' in lavender
    assert '<meta name="twitter:card" content="summary_large_image">' in lavender
    for path in (f"{stem}-640.webp", f"{stem}.jpg"):
        response = client.get(path)
        assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]


def test_products_and_articles_carry_open_graph_and_twitter_tags(client):
    html = client.get("/products/magnesium-travel-stick").get_data(as_text=True)
    assert '<meta property="og:type" content="product">' in html
    assert '<meta property="og:url" content="http://localhost/products/magnesium-travel-stick">' in html
    assert re.search(r'<meta property="og:title" content="[^"]*Travel Stick', html)
    assert '<meta property="product:price:currency" content="USD">' in html
    # The demo's pictures are SVG, which previews do not show: a small card without an image.
    assert '<meta name="twitter:card" content="summary">' in html and "og:image" not in html
    learn = client.get("/learn").get_data(as_text=True)
    article = re.search(r'href="(/learn/[a-z0-9-]+)"', learn).group(1)
    html = client.get(article).get_data(as_text=True)
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:url" content="http://localhost{article}">' in html
    assert '<meta name="twitter:title"' in html


def test_the_demo_lavender_jars_show_the_lavender_picture(client):
    def main_image(sku: str) -> str:
        html = client.get(f"/products/magnesium-body-cream?variant={sku}").get_data(as_text=True)
        return re.search(r'<div class="product-main-image".*?</picture>', html, re.S).group(0)

    assert "body-cream-lavender.svg" in main_image("TMC-CRM-8-LAV")
    assert "body-cream-unscented.svg" in main_image("TMC-CRM-8-UNS")


def test_the_cart_thumbnail_follows_the_chosen_scent(client, session):
    token = csrf_token_from(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    for sku in ("TMC-CRM-4-LAV", "TMC-CRM-4-UNS"):
        client.post("/cart/add", data={"csrf_token": token, "variant_id": variant(session, sku).id, "quantity": "1"})
    html = client.get("/cart").get_data(as_text=True)
    rows = re.findall(r'<th scope="row" class="cart-item">.*?</th>', html, re.S)
    thumbnails = {re.search(r"SKU ([A-Z0-9-]+)", row).group(1): re.search(r'<img src="([^"]+)"', row).group(1)
                  for row in rows}
    assert "body-cream-lavender.svg" in thumbnails["TMC-CRM-4-LAV"]
    assert "body-cream-unscented.svg" in thumbnails["TMC-CRM-4-UNS"]


def test_product_cards_offer_an_uploads_web_widths(sign_in, client, session):
    upload = upload_photo(sign_in("admin"), session, "magnesium-travel-stick", (900, 900), "PNG",
                          alt="The stick, cap off")
    upload.position = -1  # first, so the cards show it
    session.commit()
    stem = "/media/" + upload.path.removeprefix("uploads/").rsplit(".", 1)[0]
    for path in ("/products", "/"):
        html = client.get(path).get_data(as_text=True)
        assert f'<source type="image/webp" srcset="{stem}-320.webp 320w, {stem}-640.webp 640w, {stem}.webp 900w"' in html
        assert f'srcset="{stem}-320.png 320w, {stem}-640.png 640w, {stem}.png 900w"' in html
