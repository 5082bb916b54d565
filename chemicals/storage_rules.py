"""Store rules (seed 002: 化学性质或防护、灭火方法相互抵触的化学危险物品,不得在同一储存室内存放): which storage
groups must not share a cabinet, and which packages already in a cabinet clash with one being placed there.

Pure: no database access. The caller (chemicals.services) fetches the packages at the place and passes them in.

The table, by storage group (chemicals.models.StorageGroup); every pair is symmetric and a group never clashes
with itself:

    acid × base                    neutralisation: heat, spattering, ruptured bottles
    acid × oxidiser                e.g. hydrochloric acid + permanganate → chlorine; sulfuric acid + chlorate → ClO₂
    acid × toxic                   cyanides, azides, sulfides + acid → HCN, HN₃, H₂S
    acid × water-reactive          aqueous acids; alkali metals, hydrides → hydrogen, fire
    base × water-reactive          aqueous bases, same
    oxidiser × flammable           fire and explosion
    oxidiser × toxic               many toxics are reducing or organic (cyanides, arsenic compounds, phenols, anilines)
    oxidiser × water-reactive      alkali metals and hydrides with oxidisers: fire
    flammable × water-reactive     conflicting extinguishing methods (foam and water vs. dry sand and powder)
    compressed gas × flammable     a leaking flammable gas over flammable liquids, or oxidising gas feeding a fire
    compressed gas × oxidiser      oxidising gases and oxidisers with flammable gas cylinders
    explosive × every other group  explosives are stored on their own

Inside the compressed-gas group, flammable gases and oxidising gases clash too (by GHS hazard class, since both
sit in the same group).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import HazardClass, StorageGroup

G = StorageGroup

# Each unordered pair once, with the reason shown to the person placing the package.
_PAIRS: dict[tuple[str, str], Any] = {
    (G.ACID, G.BASE): _("acids and bases react violently (heat, spattering)"),
    (G.ACID, G.OXIDISER): _("acids with oxidisers release toxic gases (chlorine, chlorine dioxide) or explode"),
    (G.ACID, G.TOXIC): _("acids release toxic gases from cyanides, azides and sulfides"),
    (G.ACID, G.WATER_REACTIVE): _("aqueous acids make water-reactive substances release flammable gas"),
    (G.BASE, G.WATER_REACTIVE): _("aqueous bases make water-reactive substances release flammable gas"),
    (G.OXIDISER, G.FLAMMABLE): _("oxidisers and flammables: fire and explosion"),
    (G.OXIDISER, G.TOXIC): _("oxidisers react with many toxic (reducing or organic) substances"),
    (G.OXIDISER, G.WATER_REACTIVE): _("oxidisers with alkali metals and hydrides: fire"),
    (G.FLAMMABLE, G.WATER_REACTIVE): _(
        "their fires need conflicting extinguishing methods (water or foam vs. dry sand)"
    ),
    (G.COMPRESSED_GAS, G.FLAMMABLE): _("gas cylinders must not be stored with flammables"),
    (G.COMPRESSED_GAS, G.OXIDISER): _("gas cylinders must not be stored with oxidisers"),
    **{
        (G.EXPLOSIVE, other): _("explosives are stored on their own")
        for other in StorageGroup.values
        if other != G.EXPLOSIVE
    },
}

# The symmetric table: INCOMPATIBLE[a][b] is the reason a and b must not share a cabinet (absent: compatible).
INCOMPATIBLE: dict[str, dict[str, Any]] = {group: {} for group in StorageGroup.values}
for (_a, _b), _reason in _PAIRS.items():
    INCOMPATIBLE[_a][_b] = _reason
    INCOMPATIBLE[_b][_a] = _reason

GAS_CLASH = _("flammable gases and oxidising gases are kept apart")


def group_clash(a: str, b: str) -> Any | None:
    """Why storage groups ``a`` and ``b`` must not share a cabinet, or None."""
    return INCOMPATIBLE.get(a, {}).get(b)


def chemical_clash(a: Any, b: Any) -> Any | None:
    """Why chemicals ``a`` and ``b`` (anything with storage_group and hazard_classes) must not share a cabinet."""
    reason = group_clash(a.storage_group, b.storage_group)
    if reason is not None:
        return reason
    if a.storage_group == b.storage_group == G.COMPRESSED_GAS:
        a_classes, b_classes = set(a.hazard_classes or ()), set(b.hazard_classes or ())
        flammable, oxidising = HazardClass.FLAMMABLE_GAS, HazardClass.OXIDISING_GAS
        if (flammable in a_classes and oxidising in b_classes) or (oxidising in a_classes and flammable in b_classes):
            return GAS_CLASH
    return None


@dataclass(frozen=True)
class Clash:
    package: Any  # a chemicals.models.Package already at the place
    reason: Any  # lazy translation


def same_place(package: Any, *, store_id: int, room: str, cabinet: str) -> bool:
    """Whether ``package`` sits in that store's room and cabinet (blank room or cabinet counts as a place too:
    packages left in the open part of a room share it)."""
    return (
        package.store_id == store_id
        and (package.room or "").strip() == (room or "").strip()
        and (package.cabinet or "").strip() == (cabinet or "").strip()
    )


def clashes(chemical: Any, packages: Iterable[Any], *, store_id: int, room: str, cabinet: str) -> list[Clash]:
    """The packages at store/room/cabinet whose chemical must not be stored with ``chemical``. Packages
    elsewhere in ``packages`` are ignored, so the caller may pass a wider set."""
    found = []
    for package in packages:
        if not same_place(package, store_id=store_id, room=room, cabinet=cabinet):
            continue
        reason = chemical_clash(chemical, package.chemical)
        if reason is not None:
            found.append(Clash(package=package, reason=reason))
    return found
