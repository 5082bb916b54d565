"""Hidden hazards for tests (area "hazards"; other areas may import these, read-only).

Objects are written with scopes disabled, straight into the state a test needs (no review record): tests of the
lifecycle itself go through hazards.services.
"""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hazards.models import ExtensionRequest, Hazard, HazardPhoto, SupervisedListing
from safety.tenancy import scopes_disabled

_numbers = itertools.count(1)


def tiny_png(colour: str = "red", size: tuple[int, int] = (4, 4)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def photo_upload(name: str = "photo.png", colour: str = "red") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_png(colour), content_type="image/png")


def make_hazard(enterprise, *, status: str = Hazard.Status.REGISTERED, **fields) -> Hazard:
    """A hazard of ``enterprise`` in ``status``. Defaults: general, rectify by deadline, due in a month.

    A closed hazard gets its closing times; a major one a complete rectification plan.
    """
    now = timezone.now()
    values = {
        "title": "配电箱未接地",
        "location": "一号车间",
        "level": Hazard.Level.GENERAL,
        "kind": Hazard.Kind.DEADLINE,
        "deadline": now + timedelta(days=30),
        "number": f"YH-T-{next(_numbers):06d}",
        **fields,
    }
    if values["level"] == Hazard.Level.MAJOR:
        values.setdefault("kind", Hazard.Kind.MAJOR)
        values["kind"] = Hazard.Kind.MAJOR
        values.setdefault("plan_goal", "消除隐患")
        values.setdefault("plan_measures", "更换设备")
        values.setdefault("plan_funds", 10000)
        values.setdefault("plan_responsible", "设备部 张三")
        values.setdefault("plan_time_limit", timezone.localdate() + timedelta(days=30))
        values.setdefault("plan_interim_measures", "停用并设置警戒")
        values.setdefault("reported_to_government_at", now)
    if status in (Hazard.Status.REPORTED, Hazard.Status.CLOSED):
        values.setdefault("rectified_at", now)
        values.setdefault("rectification_measures", "已接地")
    if status == Hazard.Status.CLOSED:
        values.setdefault("closed_at", now)
        values.setdefault("closed_on_time", True)
    with scopes_disabled():
        return Hazard.objects.create(enterprise=enterprise, status=status, **values)


def add_photo(hazard: Hazard, stage: str = HazardPhoto.Stage.BEFORE, colour: str = "red") -> HazardPhoto:
    with scopes_disabled():
        photo = HazardPhoto(enterprise=hazard.enterprise, hazard=hazard, stage=stage)
        photo.image.save(f"{next(_numbers):08x}.png", ContentFile(tiny_png(colour)), save=False)
        photo.save()
        return photo


def make_extension(hazard: Hazard, *, status: str = ExtensionRequest.Status.PENDING, **fields) -> ExtensionRequest:
    values = {
        "reason": "设备到货延迟",
        "requested_deadline": timezone.now() + timedelta(days=20),
        **fields,
    }
    with scopes_disabled():
        return ExtensionRequest.objects.create(enterprise=hazard.enterprise, hazard=hazard, status=status, **values)


def make_listing(hazard: Hazard, body, *, status: str = SupervisedListing.Status.LISTED, **fields) -> SupervisedListing:
    values = {"notice": "限期整改，按期销号", "notice_number": "督〔2025〕1号", **fields}
    with scopes_disabled():
        return SupervisedListing.objects.create(
            enterprise=hazard.enterprise, hazard=hazard, body=body, status=status, **values
        )


def reload(hazard: Hazard) -> Hazard:
    with scopes_disabled():
        return Hazard.objects.get(pk=hazard.pk)
