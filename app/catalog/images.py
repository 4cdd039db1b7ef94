"""Product images uploaded by staff: checked by content (not by name) and stored outside static/."""
from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image
from sqlalchemy.orm import Session

from app.catalog.models import ProductImage
from app.catalog.services import CatalogError, check_cosmetic_wording
from app.urls import remember_url, static_url_values

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 6000
UPLOAD_PREFIX = "uploads/"
# SVG is left out on purpose: it can carry script, and it would be served from our own origin.
KINDS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def _inspect(data: bytes) -> tuple[str, int, int]:
    """The file's kind and size in pixels, read by decoding it: a name or magic bytes can lie."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = KINDS.get(image.format or ""), image.size
            image.load()  # decodes every pixel: a truncated or forged file fails here
    except (OSError, SyntaxError, Image.DecompressionBombError, ValueError):
        kind = None
    if kind is None:
        raise CatalogError("That file is not a PNG, JPEG or WebP image.")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise CatalogError(f"Images can be at most {MAX_SIDE} pixels on each side.")
    return kind, width, height


def add_product_image(session: Session, *, product_id: int, data: bytes, alt: str) -> ProductImage:
    check_cosmetic_wording({"alt": alt}, ("alt",))  # shoppers' screen readers read it out
    if len(data) > MAX_BYTES:
        raise CatalogError("That image is larger than 5 MB.")
    kind, width, height = _inspect(data)
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{kind}"
    (folder / name).write_bytes(data)
    image = ProductImage(product_id=product_id, path=f"{UPLOAD_PREFIX}products/{name}", alt=alt.strip(),
                         width=width, height=height, position=1000)
    session.add(image)
    session.flush()
    return image


def remove_product_image(session: Session, *, product_id: int, image_id: int) -> ProductImage:
    """Take an image off a product; an uploaded file is deleted, a demo one stays in static/."""
    image = session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        raise CatalogError("That image is not on this product.")
    if image.path.startswith(UPLOAD_PREFIX):
        (Path(current_app.config["UPLOAD_FOLDER"]) / image.path[len(UPLOAD_PREFIX):]).unlink(missing_ok=True)
    session.delete(image)
    session.flush()
    return image


def _endpoint(path: str) -> tuple[str, dict[str, str]]:
    """Where an image path is served: demo images ship in static/, uploaded ones in the upload folder."""
    if path.startswith(UPLOAD_PREFIX):
        return "core.media", {"filename": path[len(UPLOAD_PREFIX):]}
    return "static", static_url_values(path)


class ImageUrls(dict):
    """The URL of each image path, built the first time it is asked for: a grid asks once per
    card, and building one costs ten times a dict read (see app.urls). One per process, as
    templates read it as `image_urls[card.image_path]` and image_url() reads it too."""

    def __missing__(self, path: str) -> str:
        endpoint, values = _endpoint(path)
        return remember_url(self, path, endpoint, **values)


image_urls = ImageUrls()


def image_url(path: str) -> str:
    """The URL of an image path."""
    return image_urls[path]
