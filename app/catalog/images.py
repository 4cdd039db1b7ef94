"""Product images: uploads checked by decoding them, cleaned, cut to web sizes, and arranged by staff.

An upload is stored outside static/ as files named by a digest of the upload, so a file's content
never changes under its name and browsers may keep it for good (app.core's /media route):
`<digest>.<ext>` (full size, metadata stripped), `<digest>-<width>.<ext>` for each web width
narrower than the picture, and a WebP beside each of them.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.catalog.models import ProductImage, Variant
from app.catalog.services import CatalogError, check_cosmetic_wording
from app.urls import remember_url, static_url_values

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 6000
# Set on purpose, not left to Pillow's default (about 89 megapixels): a picture of more than
# MAX_SIDE × MAX_SIDE pixels makes Pillow warn, of twice that raise, before decoding anything;
# the upload treats both as a refusal, so a small file that unpacks to gigabytes is never decoded.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE
WEB_WIDTHS = (320, 640, 1280)
UPLOAD_PREFIX = "uploads/"
FOLDER = "products"
# Pillow's format name -> the file extension and the format saved. SVG is left out on purpose:
# it can carry script, and it would be served from our own origin.
KINDS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "png": {"format": "PNG"},
    "jpg": {"format": "JPEG", "quality": 82, "progressive": True, "optimize": True},
    "webp": {"format": "WEBP", "quality": 80, "method": 4},
}

NOT_AN_IMAGE = "That file is not a PNG, JPEG or WebP image."
SVG_REFUSED = "SVG files are not accepted, as they can carry script. Upload a PNG, JPEG or WebP image."
TOO_MANY_PIXELS = f"That image has too many pixels: at most {MAX_SIDE} × {MAX_SIDE}."
TOO_LARGE = f"That image is larger than {MAX_BYTES // (1024 * 1024)} MB."


@dataclass
class CleanImage:
    picture: Image.Image  # upright, without EXIF, XMP or text
    kind: str  # the file extension kept: png, jpg or webp
    icc_profile: bytes | None  # colour data, kept: without it a phone's photo changes colour


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<?xml") or b"<svg" in head


def decode_upload(data: bytes) -> CleanImage:
    """The upload as a picture to keep, or CatalogError saying why not. Decoded in full: a name
    or magic bytes can lie, and a truncated or forged file fails only when its pixels are read."""
    if len(data) > MAX_BYTES:
        raise CatalogError(TOO_LARGE)
    if _looks_like_svg(data):
        raise CatalogError(SVG_REFUSED)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = KINDS.get(image.format or "")
                if kind is None:
                    raise CatalogError(NOT_AN_IMAGE)
                width, height = image.size
                if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
                    raise CatalogError(f"Images can be at most {MAX_SIDE} pixels on each side.")
                image.load()
                icc_profile = image.info.get("icc_profile")
                # Turned as the camera said before that note is dropped with the rest of EXIF.
                upright = ImageOps.exif_transpose(image)
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
                picture = upright.convert("RGBA" if has_alpha and kind != "jpg" else "RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise CatalogError(TOO_MANY_PIXELS) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise CatalogError(NOT_AN_IMAGE) from None
    picture.info.clear()  # EXIF, XMP, text chunks, comments: none is saved again
    return CleanImage(picture, kind, icc_profile)


def _encode(picture: Image.Image, kind: str, icc_profile: bytes | None) -> bytes:
    buffer = io.BytesIO()
    options = {**SAVE_OPTIONS[kind]}
    if icc_profile:
        options["icc_profile"] = icc_profile
    picture.save(buffer, **options)
    return buffer.getvalue()


def rendition_name(path: str, width: int | None, kind: str) -> str:
    """The path of one of an upload's files: its web copy WIDTH wide (None: full size) in KIND."""
    stem = path.rsplit(".", 1)[0]
    return f"{stem}-{width}.{kind}" if width else f"{stem}.{kind}"


def _write_files(folder: Path, digest: str, clean: CleanImage) -> list[int]:
    """Write the upload's files, once: a name holds the same bytes for good. Returns the web widths made."""
    width, height = clean.picture.size
    widths = [web_width for web_width in WEB_WIDTHS if web_width < width]
    folder.mkdir(parents=True, exist_ok=True)
    for web_width in [None, *widths]:
        picture = clean.picture if web_width is None else clean.picture.resize(
            (web_width, max(1, round(height * web_width / width))), Image.Resampling.LANCZOS)
        for kind in dict.fromkeys((clean.kind, "webp")):
            target = folder / rendition_name(digest + ".x", web_width, kind)
            if not target.exists():
                target.write_bytes(_encode(picture, kind, clean.icc_profile))
    return widths


def add_product_image(session: Session, *, product_id: int, data: bytes, alt: str) -> ProductImage:
    """Check, clean and store an upload as the product's last image."""
    alt = alt.strip()
    if not alt:
        raise CatalogError("Describe the image: shoppers using a screen reader hear this text.")
    check_cosmetic_wording({"alt": alt}, ("alt",))  # screen readers read it out to shoppers
    clean = decode_upload(data)
    digest = hashlib.sha256(data).hexdigest()[:24]
    widths = _write_files(_upload_folder(), digest, clean)
    width, height = clean.picture.size
    last = session.scalar(select(func.max(ProductImage.position)).where(ProductImage.product_id == product_id))
    image = ProductImage(product_id=product_id, path=f"{UPLOAD_PREFIX}{FOLDER}/{digest}.{clean.kind}", alt=alt,
                         width=width, height=height, position=(last or 0) + 1,
                         renditions=",".join(map(str, widths)))
    session.add(image)
    session.flush()
    return image


def _upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / FOLDER


def product_image(session: Session, *, product_id: int, image_id: int) -> ProductImage:
    image = session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        raise CatalogError("That image is not on this product.")
    return image


def describe_image(session: Session, *, product_id: int, image_id: int, alt: str, is_social: bool) -> ProductImage:
    """Change an image's alt text, and whether link previews show it (one image per product does)."""
    image = product_image(session, product_id=product_id, image_id=image_id)
    alt = alt.strip()
    if not alt:
        raise CatalogError("Describe the image: shoppers using a screen reader hear this text.")
    check_cosmetic_wording({"alt": alt}, ("alt",))
    if is_social:
        session.execute(update(ProductImage).where(ProductImage.product_id == product_id,
                                                   ProductImage.id != image.id).values(is_social=False))
    image.alt, image.is_social = alt, is_social
    session.flush()
    return image


def move_image(session: Session, *, product_id: int, image_id: int, step: int) -> ProductImage:
    """Move an image one place earlier (step -1) or later (+1) in the product's gallery; the
    first image is the one the shop's lists and the product page show first."""
    images = list(session.scalars(select(ProductImage).where(ProductImage.product_id == product_id)
                                  .order_by(ProductImage.position, ProductImage.id)))
    image = product_image(session, product_id=product_id, image_id=image_id)
    index = images.index(image)
    target = min(max(index + step, 0), len(images) - 1)
    images.insert(target, images.pop(index))
    for position, each in enumerate(images):
        each.position = position
    session.flush()
    return image


def set_variant_images(session: Session, *, product_id: int, choices: dict[int, int | None]) -> dict[str, int | None]:
    """Give each of the product's variants its picture (None: the gallery's first). Returns
    {SKU: image id} of the variants that changed, for the audit log."""
    image_ids = set(session.scalars(select(ProductImage.id).where(ProductImage.product_id == product_id)))
    changed = {}
    for variant in session.scalars(select(Variant).where(Variant.product_id == product_id)):
        if variant.id not in choices:
            continue
        image_id = choices[variant.id]
        if image_id is not None and image_id not in image_ids:
            raise CatalogError("That image is not on this product.")
        if variant.image_id != image_id:
            variant.image_id = image_id
            changed[variant.sku] = image_id
    session.flush()
    return changed


def remove_product_image(session: Session, *, product_id: int, image_id: int) -> ProductImage:
    """Take an image off a product. An upload's files are deleted once no image uses them (the
    same file uploaded twice shares them); demo art stays in static/."""
    image = product_image(session, product_id=product_id, image_id=image_id)
    session.delete(image)
    session.flush()
    shared = session.scalar(select(func.count()).select_from(ProductImage).where(ProductImage.path == image.path))
    if image.path.startswith(UPLOAD_PREFIX) and not shared:
        relative = image.path[len(UPLOAD_PREFIX):]
        widths = [int(width) for width in image.renditions.split(",") if width]
        kind = relative.rsplit(".", 1)[1]
        for width in [None, *widths]:
            for each in dict.fromkeys((kind, "webp")):
                (Path(current_app.config["UPLOAD_FOLDER"]) / rendition_name(relative, width, each)).unlink(missing_ok=True)
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


def srcsets(path: str, width: int, renditions: str) -> tuple[str, str]:
    """An image's `srcset` in its own format and in WebP ("" for an image with no web copies)."""
    if not renditions:
        return "", ""
    widths: list[int | None] = [*(int(each) for each in renditions.split(",")), None]
    kind = path.rsplit(".", 1)[1]

    def srcset(format_: str) -> str:
        return ", ".join(f"{image_url(rendition_name(path, each, format_))} {each or width}w" for each in widths)

    return srcset(kind), srcset("webp")
