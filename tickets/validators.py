"""Evidence images: real images (fully decoded by Pillow, not only verified), in a web
format, capped in bytes and in pixels (``PLATFORM["TICKET_EVIDENCE_MAX_PIXELS"]``)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def max_evidence_bytes() -> int:
    return settings.PLATFORM["TICKET_EVIDENCE_MAX_BYTES"]


def max_evidence_images() -> int:
    return settings.PLATFORM["TICKET_EVIDENCE_MAX_IMAGES"]


def validate_evidence_image(file) -> None:
    """Refuse files over the size cap and anything Pillow cannot decode as a
    JPEG/PNG/WebP/GIF (a renamed PDF or script is not an image)."""
    from PIL import Image, UnidentifiedImageError

    limit = max_evidence_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("Image is too large (%(size)d bytes; at most %(limit)d)."),
            code="image_too_large",
            params={"size": size, "limit": limit},
        )
    max_pixels = settings.PLATFORM["TICKET_EVIDENCE_MAX_PIXELS"]
    try:
        position = file.tell() if hasattr(file, "tell") else None
        with Image.open(file) as img:
            img_format = img.format
            width, height = img.size
            if width * height > max_pixels:
                raise ValidationError(
                    _("Image is too large (%(pixels)d pixels; at most %(limit)d)."),
                    code="image_too_many_pixels",
                    params={"pixels": width * height, "limit": max_pixels},
                )
            img.verify()
        if hasattr(file, "seek"):
            file.seek(position or 0)
        with Image.open(file) as img:
            img.load()  # decode every pixel: a truncated or corrupt body fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("Upload a valid image."), code="invalid_image") from exc
    finally:
        if hasattr(file, "seek"):
            file.seek(position or 0)
    if img_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("Image format %(format)s is not accepted (JPEG, PNG, WebP or GIF)."),
            code="invalid_image_format",
            params={"format": img_format},
        )
