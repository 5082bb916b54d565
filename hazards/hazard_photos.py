"""Hazard photos (before and after rectification), usually straight from a phone camera.

Checked by content with the enterprise app's image validation (enterprises.image_uploads: Pillow must recognise
and decode a JPEG, PNG or WebP), stored under random names, and served only through the scoped photo view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from enterprises import image_uploads

from .models import Hazard, HazardPhoto

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Photos per upload field: enough for a hazard seen from several sides, not a photo album.
MAX_PHOTOS = 9
ACCEPT = "image/*"  # the phone offers its camera for image/*; the content check decides what is accepted


def max_bytes() -> int:
    # The enterprise app's check has its own cap (CERTIFICATE_IMAGE_MAX_BYTES): the smaller of the two applies.
    return min(int(getattr(settings, "HAZARD_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)), image_uploads.max_bytes())


def validate_photos(uploads: Sequence[UploadedFile], *, field: str) -> list[tuple[UploadedFile, str]]:
    """Check every photo; returns (upload, extension to store with). All problems are reported at once."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({field: [_("At most %(n)d photos at a time.") % {"n": MAX_PHOTOS}]})
    limit = max_bytes()
    checked, errors = [], []
    for upload in uploads:
        if (upload.size or 0) > limit:
            errors.append(
                _("%(name)s is %(size)s; a photo may be at most %(limit)s. Take it at a lower resolution.")
                % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
            continue
        try:
            checked.append((upload, image_uploads.validate_image(upload)))
        except ValidationError as exc:
            errors.extend(f"{upload.name}: {m}" for m in exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return checked


def store(
    hazard: Hazard, stage: str, checked: Iterable[tuple[UploadedFile, str]], *, user, stored: list[str]
) -> list[HazardPhoto]:
    """Save photos of a hazard (inside the caller's transaction); ``stored`` collects the file names written, so
    the caller can remove them if the transaction fails."""
    photos = []
    for upload, ext in checked:
        photo = HazardPhoto(enterprise_id=hazard.enterprise_id, hazard=hazard, stage=stage, uploaded_by=user)
        photo.image.save(image_uploads.random_name(ext), upload, save=False)
        stored.append(photo.image.name)
        photo.save()
        photos.append(photo)
    return photos


def forget(names: Iterable[str]) -> None:
    """Files written by a transaction that then failed: nothing points at them."""
    for name in names:
        default_storage.delete(name)


def delete_on_commit(names: Iterable[str]) -> None:
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: forget(names))


def content_type_for(name: str) -> str:
    return image_uploads.content_type_for(name)


# -- Photos kept across a failed submission ---------------------------------------------------------------------
# A browser cannot give a file input back after a form comes back with errors, and retaking photos on a phone is
# a chore: valid photos of a failed submission are kept here, named in the page by signed tokens (bound to the
# user, valid for a day), and used by the next submission. Leftovers are purged daily (hazards.tasks).

PENDING_DIR = "hazards/pending/"
PENDING_MAX_AGE = timedelta(days=1)
_SALT = "hazards.pending-photo"


def stash(checked: Iterable[tuple[UploadedFile, str]], *, user) -> list[tuple[str, str]]:
    """Keep checked photos; returns (token, stored name) of each."""
    from django.core import signing

    signer = signing.TimestampSigner(salt=_SALT)
    kept = []
    for upload, ext in checked:
        upload.seek(0)
        name = default_storage.save(f"{PENDING_DIR}{image_uploads.random_name(ext)}", upload)
        kept.append((signer.sign(f"{user.pk}:{name}"), name))
    return kept


def kept(tokens: Iterable[str], *, user) -> list[tuple[str, str]]:
    """(token, stored name) of the tokens that are this user's, unexpired and still there; others are ignored."""
    from django.core import signing

    signer = signing.TimestampSigner(salt=_SALT)
    found = []
    for token in dict.fromkeys(tokens):
        try:
            owner, name = signer.unsign(token, max_age=PENDING_MAX_AGE).split(":", 1)
        except (signing.BadSignature, ValueError):
            continue
        if owner == str(getattr(user, "pk", "")) and name.startswith(PENDING_DIR) and default_storage.exists(name):
            found.append((token, name))
    return found


def open_kept(names: Iterable[str]) -> list:
    from django.core.files import File

    files = []
    for name in names:
        handle = default_storage.open(name, "rb")
        files.append(File(handle, name=name.rsplit("/", 1)[-1]))
    return files


def purge_pending(*, older_than: timedelta = PENDING_MAX_AGE) -> int:
    """Delete kept photos nobody came back for."""
    from django.utils import timezone

    try:
        _dirs, files = default_storage.listdir(PENDING_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    cutoff = timezone.now() - older_than
    removed = 0
    for name in files:
        path = f"{PENDING_DIR}{name}"
        try:
            stale = default_storage.get_modified_time(path) < cutoff
        except (FileNotFoundError, NotImplementedError):
            continue
        if stale:
            default_storage.delete(path)
            removed += 1
    return removed
