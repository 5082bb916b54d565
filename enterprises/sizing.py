"""Size class (企业划型) by the 2017 statistical rule: 统计上大中小微型企业划分办法（2017）, 国统字〔2017〕213号.

Seed 004 reproduces the rule's table (lines ~170–425). Units: employees in persons (从业人员 X), operating revenue
(营业收入 Y) and total assets (资产总额 Z) in 10 000 yuan (万元), as the Enterprise fields store them.

The rule's closing sentence is the whole algorithm:

    划型须同时满足所列两个指标的下限，否则下划一档；微型企业只须满足所列指标中的一项即可。
    (A class needs both listed lower bounds, otherwise it drops one class; micro needs only one indicator.)

How this module reads it (the edge cases are decided here, once):

* **A class needs every listed lower bound.** Large, medium and small each require *all* the sector's indicators
  to reach that class's lower bound. Otherwise the enterprise drops one class, and the test repeats there; so the
  result is the highest class whose every listed bound is met, which is the lowest class reached by any single
  indicator. (Reading "drops one class" as "at most one class, whatever the other indicator" would let 1 000
  employees with 1 万元 of revenue be medium, which contradicts the micro sentence: that firm meets a micro
  indicator.)
* **Micro needs one indicator.** An enterprise is micro as soon as one listed indicator is below the small lower
  bound, which is exactly what falling through large, medium and small means.
* **Bounds are inclusive** (``X ≥ 1000`` is large): a value equal to a lower bound reaches that class.
* **Single-indicator sectors** (agriculture: revenue; "other": employees) are sized by that indicator alone; the
  indicators the table does not list for a sector are ignored, given or not.
* **Missing data → None.** If any indicator the sector lists is unknown, the class is not computed, even when the
  known one would already make the enterprise micro: the class is a statistical fact about the full row, and an
  incomplete profile should show "not computed" (and ask for the data) rather than a guess.
* **Unknown sector → None**: no economic class, or one too coarse to tell the sector (a section such as F, which
  mixes wholesale and retail, or division 70, which mixes development, property management and the rest).

Sectors follow the rule's table and its footnotes (工业 = B, C, D; 信息传输业 = 63, 64; 装卸搬运 belongs to
交通运输业). Deliberate simplifications, all toward a sizable answer instead of none: railway (53), which the
2017 footnote leaves out of 交通运输业, is sized as transport; and every division the table does not name
(finance J, education P, public administration S, international organisations T, 7040 房地产租赁经营) is sized
as "other unlisted industries" (其他未列明行业, employees only).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import SizeClass

if TYPE_CHECKING:
    from .models import EconomicClass


class Sector(models.TextChoices):
    """The rows of the 2017 table (行业名称)."""

    AGRICULTURE = "agriculture", _("Agriculture, forestry, animal husbandry and fishery")
    INDUSTRY = "industry", _("Industry")
    CONSTRUCTION = "construction", _("Construction")
    WHOLESALE = "wholesale", _("Wholesale")
    RETAIL = "retail", _("Retail")
    TRANSPORT = "transport", _("Transport")
    STORAGE = "storage", _("Storage")
    POSTAL = "postal", _("Postal services")
    ACCOMMODATION = "accommodation", _("Accommodation")
    CATERING = "catering", _("Catering")
    INFORMATION_TRANSMISSION = "information_transmission", _("Information transmission")
    SOFTWARE_IT = "software_it", _("Software and IT services")
    REAL_ESTATE_DEVELOPMENT = "real_estate_development", _("Real-estate development")
    PROPERTY_MANAGEMENT = "property_management", _("Property management")
    LEASING_BUSINESS = "leasing_business", _("Leasing and business services")
    OTHER = "other", _("Other unlisted industries")


class Indicator(models.TextChoices):
    EMPLOYEES = "employees", _("employees")
    REVENUE = "revenue", _("operating revenue")
    ASSETS = "assets", _("total assets")


E, Y, Z = Indicator.EMPLOYEES, Indicator.REVENUE, Indicator.ASSETS

# Sector → indicator → lower bounds of (large, medium, small); below the small bound is micro.
# Transcribed from seed 004's table, row by row.
THRESHOLDS: dict[Sector, dict[Indicator, tuple[int, int, int]]] = {
    Sector.AGRICULTURE: {Y: (20000, 500, 50)},
    Sector.INDUSTRY: {E: (1000, 300, 20), Y: (40000, 2000, 300)},
    Sector.CONSTRUCTION: {Y: (80000, 6000, 300), Z: (80000, 5000, 300)},
    Sector.WHOLESALE: {E: (200, 20, 5), Y: (40000, 5000, 1000)},
    Sector.RETAIL: {E: (300, 50, 10), Y: (20000, 500, 100)},
    Sector.TRANSPORT: {E: (1000, 300, 20), Y: (30000, 3000, 200)},
    Sector.STORAGE: {E: (200, 100, 20), Y: (30000, 1000, 100)},
    Sector.POSTAL: {E: (1000, 300, 20), Y: (30000, 2000, 100)},
    Sector.ACCOMMODATION: {E: (300, 100, 10), Y: (10000, 2000, 100)},
    Sector.CATERING: {E: (300, 100, 10), Y: (10000, 2000, 100)},
    Sector.INFORMATION_TRANSMISSION: {E: (2000, 100, 10), Y: (100000, 1000, 100)},
    Sector.SOFTWARE_IT: {E: (300, 100, 10), Y: (10000, 1000, 50)},
    Sector.REAL_ESTATE_DEVELOPMENT: {Y: (200000, 1000, 100), Z: (10000, 5000, 2000)},
    Sector.PROPERTY_MANAGEMENT: {E: (1000, 300, 100), Y: (5000, 1000, 500)},
    Sector.LEASING_BUSINESS: {E: (300, 100, 10), Z: (120000, 8000, 100)},
    Sector.OTHER: {E: (300, 100, 10)},
}

_CLASSES = (SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL)

Number = int | Decimal | float


def indicators_for(sector: Sector | str | None) -> tuple[Indicator, ...]:
    """The indicators the table lists for a sector (what the profile must give for a size class)."""
    if not sector:
        return ()
    return tuple(THRESHOLDS[Sector(sector)])


def size_class(
    sector: Sector | str | None,
    employees: Number | None,
    revenue: Number | None,
    assets: Number | None,
) -> SizeClass | None:
    """The size class of an enterprise of ``sector`` (see the module docstring for the reading of the rule).

    ``employees`` in persons, ``revenue`` and ``assets`` in 10 000 yuan. None when the sector is unknown or an
    indicator the sector lists is missing. Negative values are mistakes, not data: ValueError.
    """
    if not sector:
        return None
    table = THRESHOLDS[Sector(sector)]
    values = {E: employees, Y: revenue, Z: assets}
    listed = {indicator: values[indicator] for indicator in table}
    if any(v is None for v in listed.values()):
        return None
    for indicator, value in listed.items():
        if value < 0:
            raise ValueError(f"{indicator.value} cannot be negative: {value}")
    for position, size in enumerate(_CLASSES):
        if all(value >= table[indicator][position] for indicator, value in listed.items()):
            return size
    return SizeClass.MICRO


# GB/T 4754-2017: the divisions (2-digit codes) of each section.
SECTION_DIVISIONS: dict[str, range] = {
    "A": range(1, 6),
    "B": range(6, 13),
    "C": range(13, 44),
    "D": range(44, 47),
    "E": range(47, 51),
    "F": range(51, 53),
    "G": range(53, 61),
    "H": range(61, 63),
    "I": range(63, 66),
    "J": range(66, 70),
    "K": range(70, 71),
    "L": range(71, 73),
    "M": range(73, 76),
    "N": range(76, 80),
    "O": range(80, 83),
    "P": range(83, 84),
    "Q": range(84, 86),
    "R": range(86, 91),
    "S": range(91, 97),
    "T": range(97, 98),
}

# Sections that are one sector whatever the division.
_SECTION_SECTORS = {
    "A": Sector.AGRICULTURE,
    "B": Sector.INDUSTRY,
    "C": Sector.INDUSTRY,
    "D": Sector.INDUSTRY,
    "E": Sector.CONSTRUCTION,
    "L": Sector.LEASING_BUSINESS,
}
# Sections whose divisions fall in different sectors: the section alone cannot be sized.
_MIXED_SECTIONS = {"F", "G", "H", "I", "K"}

_DIVISION_SECTORS = {
    51: Sector.WHOLESALE,
    52: Sector.RETAIL,
    **dict.fromkeys(range(53, 59), Sector.TRANSPORT),
    59: Sector.STORAGE,
    60: Sector.POSTAL,
    61: Sector.ACCOMMODATION,
    62: Sector.CATERING,
    63: Sector.INFORMATION_TRANSMISSION,
    64: Sector.INFORMATION_TRANSMISSION,
    65: Sector.SOFTWARE_IT,
}


def section_of(code: str) -> str | None:
    """The section letter of a GB/T 4754-2017 code ('C', '26', '261', '2614' → 'C'); None if not a valid code."""
    code = (code or "").strip().upper()
    if len(code) == 1 and code in SECTION_DIVISIONS:
        return code
    if len(code) < 2 or not code.isdigit():
        return None
    division = int(code[:2])
    return next((s for s, divisions in SECTION_DIVISIONS.items() if division in divisions), None)


def sector_for(economic_class: EconomicClass | str | None) -> Sector | None:
    """The sizing sector of an economic class (an EconomicClass or its code, with or without the section letter).

    None when there is no class, the code is not a GB/T 4754-2017 code, or the class is too coarse to tell the
    sector (sections F, G, H, I, K; division 70).
    """
    code = getattr(economic_class, "code", economic_class)
    code = (code or "").strip().upper()
    if len(code) > 2 and code[0].isalpha() and code[1:].isdigit():
        code = code[1:]  # "K7010" → "7010": the letter is redundant with the digits
    section = section_of(code)
    if section is None:
        return None
    if section in _SECTION_SECTORS:
        return _SECTION_SECTORS[section]
    if code.isalpha():
        return None if section in _MIXED_SECTIONS else Sector.OTHER
    division = int(code[:2])
    if division == 59 and code.startswith("591"):
        return Sector.TRANSPORT  # 装卸搬运: the footnote puts loading and unloading with transport
    if division in _DIVISION_SECTORS:
        return _DIVISION_SECTORS[division]
    if division == 70:
        if code.startswith("701"):
            return Sector.REAL_ESTATE_DEVELOPMENT
        if code.startswith("702"):
            return Sector.PROPERTY_MANAGEMENT
        return None if code == "70" else Sector.OTHER
    return Sector.OTHER


def size_class_for(enterprise) -> SizeClass | None:
    """The size class of an enterprise from its stored economic class and indicators."""
    sector = sector_for(enterprise.economic_class)
    return size_class(sector, enterprise.employees, enterprise.revenue, enterprise.assets)
