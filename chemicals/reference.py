"""The starter catalogue of common lab chemicals (fixtures/chemicals.json), loaded idempotently.

The fixture is in Django's fixture format (model chemicals.chemical, fixed pks, so ``loaddata`` works on an
empty database), but the loader matches on the CAS number, never the pk: it adds what is missing and brings
existing entries in line with the file (names, classes, GB 18218 figures), leaving chemicals that admins added
themselves alone. Running it again changes nothing.

GB 18218-2018 figures: ``critical_quantity_t`` is the table 1 quantity where the chemical is named there, else
the table 2 quantity of its category (only flammable liquids, whose category follows from the flash point, are
filled by category); ``beta`` comes from table 3 (toxic gases) or table 4 (by category); blank where the
standard does not name the chemical and its category was not certain (see the fixture's entries).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import Chemical
from .validators import normalise_cas_number, validate_cas_number

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "chemicals.json"
FIELDS = (
    "name_zh",
    "name_en",
    "formula",
    "hazard_classes",
    "storage_group",
    "controlled_category",
    "unit",
    "critical_quantity_t",
    "beta",
    "gb18218_category",
    "is_active",
)


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def fixture_entries(path: Path | None = None) -> list[dict]:
    """The fixture's entries as field dicts (with ``cas_number``), values typed like the model's."""
    entries = []
    for row in json.loads((path or FIXTURE).read_text("utf-8")):
        fields = dict(row["fields"])
        fields["cas_number"] = normalise_cas_number(fields["cas_number"])
        for key in ("critical_quantity_t", "beta"):
            fields[key] = _decimal(fields.get(key))
        fields.setdefault("is_active", True)
        entries.append(fields)
    return entries


def load_chemicals(path: Path | None = None) -> LoadResult:
    """Add or update the starter catalogue, matched on the CAS number."""
    created = updated = unchanged = 0
    entries = fixture_entries(path)
    with transaction.atomic():
        existing = {c.cas_number: c for c in Chemical.objects.filter(cas_number__in=[e["cas_number"] for e in entries])}
        for entry in entries:
            validate_cas_number(entry["cas_number"])
            chemical = existing.get(entry["cas_number"])
            values = {k: entry[k] for k in FIELDS if k in entry}
            if chemical is None:
                Chemical.objects.create(cas_number=entry["cas_number"], **values)
                created += 1
                continue
            changed = [k for k, v in values.items() if getattr(chemical, k) != v]
            if changed:
                for k in changed:
                    setattr(chemical, k, values[k])
                chemical.save(update_fields=changed)
                updated += 1
            else:
                unchanged += 1
    return LoadResult(created=created, updated=updated, unchanged=unchanged)
