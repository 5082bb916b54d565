"""Loading reference data (regions, supervisory bodies) from fixtures/, idempotently.

Trees are loaded node by node through treebeard (so paths stay consistent) and matched on their natural
keys (region code, body name): running the load again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import Region, SupervisoryBody

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def _load_regions(nodes: list[dict], parent: Region | None, counter: list[int]) -> None:
    for node in nodes:
        region = Region.objects.filter(code=node["code"]).first()
        fields = {"name": node["name"], "name_en": node.get("name_en", ""), "level": node["level"]}
        if region is None:
            create = {"code": node["code"], **fields}
            region = (
                Region.objects.add_child(parent, create_kwargs=create)
                if parent
                else Region.objects.add_root(create_kwargs=create)
            )
            counter[0] += 1
        elif any(getattr(region, k) != v for k, v in fields.items()):
            Region.objects.filter(pk=region.pk).update(**fields)
        _load_regions(node.get("children") or [], region, counter)


def load_regions(path: Path | None = None) -> int:
    counter = [0]
    with transaction.atomic():
        _load_regions(json.loads((path or FIXTURES / "regions.json").read_text("utf-8")), None, counter)
    return counter[0]


def _load_bodies(nodes: list[dict], parent: SupervisoryBody | None, counter: list[int]) -> None:
    for node in nodes:
        region = Region.objects.get(code=node["region"])
        body = SupervisoryBody.objects.filter(name=node["name"]).first()
        fields = {
            "kind": node["kind"],
            "region": region,
            "industries": node.get("industries", []),
            "accepts_registrations": node.get("accepts_registrations", True),
        }
        if body is None:
            create = {"name": node["name"], **fields}
            body = (
                SupervisoryBody.objects.add_child(parent, create_kwargs=create)
                if parent
                else SupervisoryBody.objects.add_root(create_kwargs=create)
            )
            counter[0] += 1
        _load_bodies(node.get("children") or [], body, counter)


def load_bodies(path: Path | None = None) -> int:
    counter = [0]
    with transaction.atomic():
        _load_bodies(json.loads((path or FIXTURES / "bodies.json").read_text("utf-8")), None, counter)
    return counter[0]


# ==== area: profile — economic classes (GB/T 4754-2017) ====
# fixtures/economic_classes.json: the 20 sections (letters) and 97 divisions (2 digits), plus the groups (3) and
# classes (4) that sizing needs to tell sectors apart. Matched on the code, so a second load changes nothing.


def _economic_level(code: str) -> str:
    from .models import EconomicClass

    levels = {2: EconomicClass.Level.DIVISION, 3: EconomicClass.Level.GROUP, 4: EconomicClass.Level.CLASS}
    return EconomicClass.Level.SECTION if code.isalpha() else levels[len(code)]


def _load_economic_classes(nodes: list[dict], parent, counter: list[int]) -> None:
    from .models import EconomicClass

    for node in nodes:
        fields = {"name": node["name"], "level": _economic_level(node["code"]), "parent": parent}
        obj, created = EconomicClass.objects.get_or_create(code=node["code"], defaults=fields)
        if created:
            counter[0] += 1
        elif (obj.name, obj.level, obj.parent_id) != (fields["name"], fields["level"], getattr(parent, "pk", None)):
            EconomicClass.objects.filter(pk=obj.pk).update(**fields)
        _load_economic_classes(node.get("children") or [], obj, counter)


def load_economic_classes(path: Path | None = None) -> int:
    """Load (or refresh) the economic classes; returns how many were new."""
    counter = [0]
    with transaction.atomic():
        _load_economic_classes(
            json.loads((path or FIXTURES / "economic_classes.json").read_text("utf-8")), None, counter
        )
    return counter[0]
