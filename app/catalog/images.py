"""Product images uploaded by staff: checked by content (not by name) and stored outside static/."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy.orm import Session

from app.catalog.models import ProductImage
from app.catalog.services import CatalogError
from app.urls import template_url_for

MAX_BYTES = 5 * 1024 * 1024
UPLOAD_PREFIX = "uploads/"
# SVG is left out on purpose: it can carry script, and it would be served from our own origin.
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def _image_kind(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((kind for signature, kind in SIGNATURES.items() if head.startswith(signature)), None)


def add_product_image(session: Session, *, product_id: int, data: bytes, alt: str) -> ProductImage:
    if len(data) > MAX_BYTES:
        raise CatalogError("That image is larger than 5 MB.")
    kind = _image_kind(data[:16])
    if kind is None:
        raise CatalogError("That file is not a PNG, JPEG or WebP image.")
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{kind}"
    (folder / name).write_bytes(data)
    image = ProductImage(product_id=product_id, path=f"{UPLOAD_PREFIX}products/{name}", alt=alt.strip(),
                         position=1000)
    session.add(image)
    session.flush()
    return image


def image_url(path: str, external: bool = False) -> str:
    """The URL of an image path: demo images ship in static/, uploaded ones in the upload folder."""
    endpoint, filename = (
        ("core.media", path[len(UPLOAD_PREFIX):]) if path.startswith(UPLOAD_PREFIX) else ("static", path)
    )
    if external:
        return url_for(endpoint, filename=filename, _external=True)
    return template_url_for(endpoint, filename=filename)
