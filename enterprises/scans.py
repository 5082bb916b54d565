"""Uploaded scans (licences): the real type is read from the content, never from the name or the browser.

A PDF must start with ``%PDF-``; an image must open and verify with Pillow as JPEG or PNG. The stored name is
random, with the extension of the type found, so nothing the uploader chose reaches the file system.
"""

from __future__ import annotations

import uuid
import warnings
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Pillow format → (stored extension, content type)
IMAGE_TYPES = {"JPEG": (".jpg", "image/jpeg"), "PNG": (".png", "image/png")}
PDF_TYPE = (".pdf", "application/pdf")
CONTENT_TYPES = {ext: ctype for ext, ctype in (*IMAGE_TYPES.values(), PDF_TYPE)}


def scan_max_bytes() -> int:
    return int(settings.LICENCE_SCAN_MAX_BYTES)


def validate_scan(upload: IO[bytes], *, max_bytes: int | None = None) -> str:
    """Check an uploaded scan; return the extension to store it with (".pdf", ".jpg", ".png").

    Raises ValidationError with a message that says what is wrong.
    """
    limit = scan_max_bytes() if max_bytes is None else max_bytes
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s. Scan at a lower resolution or compress the PDF."),
            code="too_big",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return PDF_TYPE[0]
    ext = _image_extension(upload)
    upload.seek(0)
    if ext is None:
        raise ValidationError(
            _("Upload a PDF or a JPEG or PNG image. This file is neither (whatever its name says)."),
            code="type",
        )
    return ext


def _image_extension(upload: IO[bytes]) -> str | None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # A decompression bomb only warns below twice the pixel limit: refuse it all the same.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as img:
                fmt = img.format
                img.verify()
    except (Exception, Image.DecompressionBombWarning):  # any failure to parse means "not an image"
        return None
    return IMAGE_TYPES[fmt][0] if fmt in IMAGE_TYPES else None


def random_name(ext: str) -> str:
    """A stored file name nobody can guess or choose (the folder comes from the field's upload_to)."""
    return f"{uuid.uuid4().hex}{ext}"


def content_type_for(name: str) -> str:
    for ext, ctype in CONTENT_TYPES.items():
        if name.lower().endswith(ext):
            return ctype
    return "application/octet-stream"
