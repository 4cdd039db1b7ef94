"""A product's gallery: what an upload must be, what is kept of it, and who may arrange it."""
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from app.admin.models import AuditEntry
from app.catalog.models import Product, ProductImage, Variant
from tests.conftest import csrf, page_after, post


def jpeg_with_metadata(width: int = 1400, height: int = 1000) -> bytes:
    """A camera-style JPEG: stored on its side (EXIF orientation 6, "turn 90° clockwise") with the
    camera's make and a GPS position."""
    image = Image.new("RGB", (width, height), (200, 180, 160))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation
    exif[0x010F] = "PhoneCam"  # make
    exif.get_ifd(0x8825)[2] = (43.0, 39.0, 25.0)  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def png_with_text(width: int = 700, height: int = 500) -> bytes:
    info = PngInfo()
    info.add_text("Author", "Jo Staff, 12 Harbor Way")
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (31, 95, 91, 200)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def blank_png(width: int, height: int) -> bytes:
    """A real 1-bit PNG of WIDTH × HEIGHT white pixels: a few kilobytes that unpack to far more."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    pixels = zlib.compressobj(9)
    data = b"".join(pixels.compress(row) for _ in range(height)) + pixels.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def product_named(session, slug: str = "magnesium-body-butter") -> Product:
    return session.scalars(select(Product).where(Product.slug == slug)).one()


def upload(client, product_id: int, data: bytes, name: str, alt: str = "A jar on a wooden table"):
    return client.post(f"/admin/products/{product_id}/images", data={
        "csrf_token": csrf(client), "alt": alt, "image": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def uploaded_images(session, product_id: int) -> list[ProductImage]:
    return list(session.scalars(select(ProductImage).where(ProductImage.product_id == product_id,
                                                           ProductImage.path.startswith("uploads/"))))


def stored(app, image: ProductImage, width: int | None = None, kind: str | None = None) -> Path:
    stem, own_kind = image.path.removeprefix("uploads/").rsplit(".", 1)
    return Path(app.config["UPLOAD_FOLDER"]) / f"{stem}{f'-{width}' if width else ''}.{kind or own_kind}"


def test_a_photo_is_turned_upright_cleared_of_metadata_and_cut_to_web_sizes(app, sign_in, session, client):
    admin = sign_in("admin")
    product = product_named(session)
    assert "Image added." in page_after(admin, upload(admin, product.id, jpeg_with_metadata(), "IMG_0001.JPG"))
    [image] = uploaded_images(session, product.id)
    assert (image.width, image.height, image.renditions) == (1000, 1400, "320,640")  # upright: turned on its side
    for width, kind in [(None, "jpg"), (None, "webp"), (320, "jpg"), (320, "webp"), (640, "jpg"), (640, "webp")]:
        with Image.open(stored(app, image, width, kind)) as saved:
            assert saved.format == {"jpg": "JPEG", "webp": "WEBP"}[kind]
            assert saved.width == (width or 1000)
            assert not saved.getexif() and "exif" not in saved.info and "xmp" not in saved.info
    assert not stored(app, image, 1280, "jpg").exists()  # no copy wider than the photo
    response = client.get("/media/" + image.path.removeprefix("uploads/"))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert b"PhoneCam" not in response.data
    assert {"public", "immutable", "max-age=31536000"} <= {part.strip() for part in response.headers["Cache-Control"].split(",")}


def test_a_png_keeps_its_format_and_transparency_and_loses_its_text(app, sign_in, session):
    admin = sign_in("marketing")
    product = product_named(session)
    assert "Image added." in page_after(admin, upload(admin, product.id, png_with_text(), "label.png"))
    [image] = uploaded_images(session, product.id)
    assert image.path.endswith(".png") and image.renditions == "320,640"
    with Image.open(stored(app, image)) as saved:
        assert saved.mode == "RGBA" and not saved.text
    with Image.open(stored(app, image, 320, "webp")) as saved:
        assert saved.size == (320, 229) and saved.mode == "RGBA"


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"Dear customer, thank you for your order.\n" * 20, "notes.png", "not a PNG, JPEG or WebP"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "logo.png", "SVG files are not accepted"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.webp", "SVG files are not accepted"),
    (blank_png(20_000, 20_000), "huge.png", "too many pixels"),
    (blank_png(8_000, 8_000), "bomb.png", "too many pixels"),  # 64 MP in a few kilobytes
    (Image.new("RGB", (40, 30)).tobytes() + b"\x00" * (10 * 1024 * 1024), "big.jpg", "larger than 10 MB"),
], ids=["text-renamed-png", "svg-with-script", "svg-renamed-webp", "20000x20000", "decompression-bomb",
        "over-10-mb"])
def test_what_is_not_a_safe_picture_is_refused_with_a_reason_and_nothing_is_kept(
        app, sign_in, session, data, name, message):
    admin = sign_in("admin")
    product = product_named(session)
    html = page_after(admin, upload(admin, product.id, data, name))
    assert message in html and "Image added." not in html
    assert uploaded_images(session, product.id) == []
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not any(path.is_file() for path in folder.rglob("*"))
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "product.image_add")) is None


def test_a_file_over_the_request_limit_gets_a_page_saying_so(sign_in, session):
    admin = sign_in("admin")
    response = upload(admin, product_named(session).id, b"\x00" * (12 * 1024 * 1024), "huge.jpg")
    assert response.status_code == 413 and "at most 10 MB" in response.get_data(as_text=True)


def test_alt_text_is_required_and_checked_for_claims(sign_in, session):
    admin = sign_in("admin")
    product = product_named(session)
    assert "Describe the image." in page_after(admin, upload(admin, product.id, png_with_text(), "a.png", alt=" "))
    html = page_after(admin, upload(admin, product.id, png_with_text(), "a.png", alt="Cream that cures arthritis"))
    assert "Image added." not in html
    assert uploaded_images(session, product.id) == []


def test_staff_describe_reorder_and_pick_pictures_and_each_change_is_audited(sign_in, session, client):
    marketing = sign_in("marketing")
    product = product_named(session, "magnesium-body-cream")
    page_after(marketing, upload(marketing, product.id, png_with_text(), "lavender.png", alt="A lavender jar"))
    session.refresh(product)
    new, first = product.images[-1], product.images[0]
    page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/{new.id}/move", step="-1"))
    page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/{new.id}/move", step="-1"))
    session.refresh(product)
    assert product.images[0].id == new.id and product.images[1].id == first.id
    html = page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/{new.id}",
                                      **{f"image-{new.id}-alt": "", f"image-{new.id}-is_social": "y"}))
    assert "Describe the image." in html
    page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/{new.id}",
                               **{f"image-{new.id}-alt": "A lavender jar, lid off", f"image-{new.id}-is_social": "y"}))
    page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/{first.id}",
                               **{f"image-{first.id}-alt": first.alt, f"image-{first.id}-is_social": "y"}))
    session.refresh(new)
    session.refresh(first)
    assert new.alt == "A lavender jar, lid off" and (new.is_social, first.is_social) == (False, True)
    lavender = session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-LAV")).one()
    html = page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/variants",
                                      **{f"variant-{lavender.id}": str(new.id)}))
    assert "Variant pictures saved." in html
    session.refresh(lavender)
    assert lavender.image_id == new.id
    other = product_named(session, "magnesium-body-butter").images[0]
    html = page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/variants",
                                      **{f"variant-{lavender.id}": str(other.id)}))
    assert "not on this product" in html
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == product.slug)).all()
    assert {"product.image_add", "product.image_order", "product.image_edit", "variant.image"} <= set(actions)
    page_after(marketing, post(marketing, f"/admin/products/{product.id}/images/{new.id}/remove"))
    session.refresh(lavender)
    assert lavender.image_id is None  # back to the gallery's first image
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "product.image_remove")).one()
    assert entry.before["alt"] == "A lavender jar, lid off"


def test_the_same_upload_twice_shares_its_files_until_the_last_is_removed(app, sign_in, session):
    admin = sign_in("admin")
    product = product_named(session)
    data = png_with_text()
    page_after(admin, upload(admin, product.id, data, "a.png"))
    page_after(admin, upload(admin, product.id, data, "b.png"))
    one, two = uploaded_images(session, product.id)
    assert one.path == two.path
    files = [stored(app, one), stored(app, one, 320, "webp")]
    page_after(admin, post(admin, f"/admin/products/{product.id}/images/{one.id}/remove"))
    assert all(file.exists() for file in files)
    page_after(admin, post(admin, f"/admin/products/{product.id}/images/{two.id}/remove"))
    assert not any(file.exists() for file in files)


def test_fulfilment_may_not_touch_images_and_every_image_post_needs_a_token(sign_in, session):
    product = product_named(session)
    image = product.images[0]
    fulfilment = sign_in("fulfilment")
    assert fulfilment.get(f"/admin/products/{product.id}/images").status_code == 403
    assert upload(fulfilment, product.id, png_with_text(), "a.png").status_code == 403
    for path in (f"/images/{image.id}/remove", f"/images/{image.id}/move", f"/images/{image.id}", "/images/variants"):
        assert post(fulfilment, f"/admin/products/{product.id}{path}", step="1").status_code == 403
    admin = sign_in("admin")
    for path in ("/images", f"/images/{image.id}/remove", f"/images/{image.id}/move", "/images/variants"):
        assert admin.post(f"/admin/products/{product.id}{path}", data={"step": "1"}).status_code == 400
    session.refresh(product)
    assert product.images[0].id == image.id
