"""Uploaded images (certificate photos and scans): checked for what they are, stored under a random name.

The browser's content type and the file's name are the uploader's claims, so neither is trusted: Pillow
must recognise the bytes as a JPEG, PNG or WebP image and decode them completely. The stored name is
random, so nothing the uploader typed reaches the file system, and the files are served only through
scoped views (never as plain media URLs).
"""

from __future__ import annotations

import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# Pillow format name → the extension the stored file gets, and the type it is served with.
ALLOWED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {ext: ctype for ext, ctype in ALLOWED_FORMATS.values()}
ACCEPT = ",".join(ctype for _ext, ctype in ALLOWED_FORMATS.values())
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# A scan of an A4 page at 600 dpi is about 35 megapixels; beyond this decoding costs too much memory.
MAX_PIXELS = 60_000_000


def max_bytes() -> int:
    return int(getattr(settings, "CERTIFICATE_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def validate_image(upload: UploadedFile) -> str:
    """Check an uploaded image and return the extension to store it with; ValidationError says what is wrong."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            _("The image is %(size)s; images may be at most %(limit)s. Scan at a lower resolution or crop it."),
            code="too_big",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    not_an_image = ValidationError(
        _(
            "This file is not a JPEG, PNG or WebP image, or it is damaged. PDFs and renamed files are not "
            "accepted: upload a photo or a scan saved as an image."
        ),
        code="not_image",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as img:
                fmt = img.format
                width, height = img.size
                img.verify()
            if fmt in ALLOWED_FORMATS and width * height <= MAX_PIXELS:
                # verify() checks the structure only; decoding catches a truncated or corrupt image body.
                upload.seek(0)
                with Image.open(upload) as img:
                    img.load()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        raise not_an_image from None
    finally:
        upload.seek(0)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError(
            _("Only JPEG, PNG and WebP images are accepted; this one is %(format)s."),
            code="format",
            params={"format": fmt or "?"},
        )
    if width * height > MAX_PIXELS:
        raise ValidationError(
            _("The image is %(w)d × %(h)d pixels, too large to show; scan at a lower resolution."),
            code="pixels",
            params={"w": width, "h": height},
        )
    return ALLOWED_FORMATS[fmt][0]


def random_name(extension: str) -> str:
    """A file name that says nothing about the person or the uploader's own file name."""
    return f"{uuid.uuid4().hex}.{extension}"


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
