"""GB 18218-2018 危险化学品重大危险源辨识: identification and grading of major hazard sources.

A pure module (no database): the standard's tables and the calculation, so it can be tested row by row.

Identification (standard 4.2.2): a unit (production unit or storage unit) holding n hazardous chemicals is a
major hazard source when

    S = q₁/Q₁ + q₂/Q₂ + … + qₙ/Qₙ ≥ 1

with qᵢ the quantity actually present (t) and Qᵢ its critical quantity (t): from table 1 when the chemical is
named there, otherwise from table 2 by its hazard category (the lowest Q when several categories apply).

Grading (standard 4.3), only for identified units:

    R = α · (β₁·q₁/Q₁ + β₂·q₂/Q₂ + … + βₙ·qₙ/Qₙ)

β from table 3 (named toxic gases) or table 4 (by category), α from table 5 (people outside the unit within
500 m), the grade from table 6 (grade 1 is the most serious).

Arithmetic: inputs are Decimals; the ratios are kept as exact fractions, so the S ≥ 1 and R boundaries are
decided without rounding (1/3 + 1/3 + 1/3 is exactly 1). Values for display and storage are Decimals rounded
*down* to 4 decimal places: rounding down never shows "S = 1.0000" for a unit that is not identified, nor
"R = 100.0000" for one below grade 1, because every boundary is itself a 4-place value.

Sources the numbers were checked against: a transcription of the standard's tables 2–6 in a public
repository (OCR of the standard; the values of table 3 match position by position, while several of its
substance names were garbled: 一氧化碳, 溴甲烷, 氯, 氰化氢, 磷化氢 are the standard's names as commonly cited,
not literally confirmed there); the grading method of 《危险化学品重大危险源监督管理暂行规定》 annex 1 (the same
tables 5 and 6, identical α and R bands); and a published worked example (二氧化硫: β = 2, Q = 20 t, 200 t
present, 60 people → α = 1.5 → R = 30 → grade 3), which the tests repeat. Table 2's critical quantities of the
acute-toxicity and self-reactive categories were confirmed by a second source (a comparison of the 2009 and
2018 editions); the other categories' quantities rest on the one transcription.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

PLACES = Decimal("0.0001")


class GB18218Error(ValueError):
    """Input the standard cannot assess (a message a person can act on)."""


# ---- table 2: categories not named in table 1, with their critical quantities (t) ------------------------


@dataclass(frozen=True)
class Category:
    code: str  # the standard's symbol, e.g. "J1", "W5.3"
    group: Any  # hazard class (translated lazily)
    description: Any
    critical_quantity: Decimal  # Q, tonnes


def _cat(code: str, group, description, q: str) -> Category:
    return Category(code, group, description, Decimal(q))


ACUTE = _("Acute toxicity")
TABLE_2: dict[str, Category] = {
    c.code: c
    for c in (
        _cat("J1", ACUTE, _("Category 1, all exposure routes, gases"), "5"),
        _cat("J2", ACUTE, _("Category 1, all exposure routes, liquids and solids"), "50"),
        _cat("J3", ACUTE, _("Categories 2 and 3, all exposure routes, gases"), "50"),
        _cat("J4", ACUTE, _("Categories 2 and 3, inhalation, liquids (boiling point ≤ 35 °C)"), "50"),
        _cat("J5", ACUTE, _("Categories 2 and 3, all exposure routes, liquids (other than J4) and solids"), "500"),
        _cat("W1.1", _("Explosives"), _("Unstable explosives; division 1.1 explosives"), "1"),
        _cat("W1.2", _("Explosives"), _("Divisions 1.2, 1.3, 1.5 and 1.6 explosives"), "10"),
        _cat("W1.3", _("Explosives"), _("Division 1.4 explosives"), "50"),
        _cat("W2", _("Flammable gases"), _("Categories 1 and 2"), "10"),
        _cat("W3", _("Aerosols"), _("Categories 1 and 2 (net weight)"), "150"),
        _cat("W4", _("Oxidising gases"), _("Category 1"), "50"),
        _cat(
            "W5.1",
            _("Flammable liquids"),
            _("Category 1; categories 2 and 3 kept above their boiling point"),
            "10",
        ),
        _cat(
            "W5.2",
            _("Flammable liquids"),
            _("Categories 2 and 3 under special process conditions that may cause a major accident"),
            "50",
        ),
        _cat("W5.3", _("Flammable liquids"), _("Other category 2 (not W5.1 or W5.2)"), "1000"),
        _cat("W5.4", _("Flammable liquids"), _("Other category 3 (not W5.1 or W5.2)"), "5000"),
        _cat("W6.1", _("Self-reactive substances and mixtures"), _("Types A and B"), "10"),
        _cat("W6.2", _("Self-reactive substances and mixtures"), _("Types C, D and E"), "50"),
        _cat("W7.1", _("Organic peroxides"), _("Types A and B"), "10"),
        _cat("W7.2", _("Organic peroxides"), _("Types C, D, E and F"), "50"),
        _cat("W8", _("Pyrophoric liquids and solids"), _("Category 1"), "50"),
        _cat("W9.1", _("Oxidising liquids and solids"), _("Category 1"), "50"),
        _cat("W9.2", _("Oxidising liquids and solids"), _("Categories 2 and 3"), "200"),
        _cat("W10", _("Flammable solids"), _("Category 1"), "200"),
        _cat("W11", _("Substances that emit flammable gases in contact with water"), _("Categories 1 and 2"), "200"),
    )
}


# ---- table 3: β of the named toxic gases ---------------------------------------------------------------


@dataclass(frozen=True)
class ToxicGas:
    name_zh: str
    name_en: str
    cas: str
    beta: Decimal


TABLE_3: tuple[ToxicGas, ...] = tuple(
    ToxicGas(zh, en, cas, Decimal(beta))
    for zh, en, cas, beta in (
        ("一氧化碳", "Carbon monoxide", "630-08-0", "2"),
        ("二氧化硫", "Sulfur dioxide", "7446-09-5", "2"),
        ("氨", "Ammonia", "7664-41-7", "2"),
        ("环氧乙烷", "Ethylene oxide", "75-21-8", "2"),
        ("氯化氢", "Hydrogen chloride", "7647-01-0", "3"),
        ("溴甲烷", "Methyl bromide", "74-83-9", "3"),
        ("氯", "Chlorine", "7782-50-5", "4"),
        ("硫化氢", "Hydrogen sulfide", "7783-06-4", "5"),
        ("氟化氢", "Hydrogen fluoride", "7664-39-3", "5"),
        ("二氧化氮", "Nitrogen dioxide", "10102-44-0", "10"),
        ("氰化氢", "Hydrogen cyanide", "74-90-8", "10"),
        ("碳酰氯", "Phosgene", "75-44-5", "20"),
        ("磷化氢", "Phosphine", "7803-51-2", "20"),
        ("异氰酸甲酯", "Methyl isocyanate", "624-83-9", "20"),
    )
)
_TABLE_3_BY_CAS = {g.cas: g for g in TABLE_3}
_TABLE_3_BY_NAME = {g.name_zh: g for g in TABLE_3}


# ---- table 4: β by category, for chemicals not in table 3 ----------------------------------------------

TABLE_4: dict[str, Decimal] = {
    code: Decimal(beta)
    for code, beta in (
        ("J1", "4"),
        ("J2", "1"),
        ("J3", "2"),
        ("J4", "2"),
        ("J5", "1"),
        ("W1.1", "2"),
        ("W1.2", "2"),
        ("W1.3", "2"),
        ("W2", "1.5"),
        ("W3", "1"),
        ("W4", "1"),
        ("W5.1", "1.5"),
        ("W5.2", "1"),
        ("W5.3", "1"),
        ("W5.4", "1"),
        ("W6.1", "1.5"),
        ("W6.2", "1"),
        ("W7.1", "1.5"),
        ("W7.2", "1"),
        ("W8", "1"),
        ("W9.1", "1"),
        ("W9.2", "1"),
        ("W10", "1"),
        ("W11", "1"),
    )
}


# ---- table 5: α by the number of people outside the unit within 500 m ----------------------------------


@dataclass(frozen=True)
class AlphaRow:
    minimum: int
    maximum: int | None  # None: no upper bound
    alpha: Decimal

    @property
    def label(self) -> str:
        if self.maximum is None:
            return f"≥ {self.minimum}"
        if self.minimum == self.maximum:
            return str(self.minimum)
        return f"{self.minimum}–{self.maximum}"

    def contains(self, people: int) -> bool:
        return people >= self.minimum and (self.maximum is None or people <= self.maximum)


TABLE_5: tuple[AlphaRow, ...] = (
    AlphaRow(100, None, Decimal("2.0")),
    AlphaRow(50, 99, Decimal("1.5")),
    AlphaRow(30, 49, Decimal("1.2")),
    AlphaRow(1, 29, Decimal("1.0")),
    AlphaRow(0, 0, Decimal("0.5")),
)


# ---- table 6: grade by R ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeRow:
    grade: int  # 1 (一级, the most serious) … 4 (四级)
    lower: Decimal | None  # R ≥ lower (None: no lower bound)
    upper: Decimal | None  # R < upper (None: no upper bound)

    @property
    def label(self) -> str:
        if self.lower is None:
            return f"R < {self.upper}"
        if self.upper is None:
            return f"R ≥ {self.lower}"
        return f"{self.lower} ≤ R < {self.upper}"

    def contains(self, r: Fraction) -> bool:
        return (self.lower is None or r >= self.lower) and (self.upper is None or r < self.upper)


TABLE_6: tuple[GradeRow, ...] = (
    GradeRow(1, Decimal("100"), None),
    GradeRow(2, Decimal("50"), Decimal("100")),
    GradeRow(3, Decimal("10"), Decimal("50")),
    GradeRow(4, None, Decimal("10")),
)

IDENTIFICATION_THRESHOLD = Decimal("1")


# ---- lookups ------------------------------------------------------------------------------------------


def alpha_row(people_exposed: int) -> AlphaRow:
    """Table 5's row for this many people outside the unit within 500 m."""
    if isinstance(people_exposed, bool) or not isinstance(people_exposed, int):
        raise GB18218Error(_("The number of people exposed must be a whole number."))
    if people_exposed < 0:
        raise GB18218Error(_("The number of people exposed cannot be negative."))
    return next(row for row in TABLE_5 if row.contains(people_exposed))


def grade_row(r: Fraction | Decimal) -> GradeRow:
    """Table 6's row for this R."""
    value = Fraction(r)
    return next(row for row in TABLE_6 if row.contains(value))


def category(code: str) -> Category | None:
    return TABLE_2.get((code or "").strip().upper())


def toxic_gas(*, cas: str = "", name: str = "") -> ToxicGas | None:
    """Table 3's entry for a chemical, by CAS number first, then by its Chinese name."""
    return _TABLE_3_BY_CAS.get((cas or "").strip()) or _TABLE_3_BY_NAME.get((name or "").strip())


def category_beta(code: str) -> Decimal | None:
    return TABLE_4.get((code or "").strip().upper())


def beta_for(chemical: Any) -> Decimal | None:
    """β of a catalogue chemical: its own ``beta`` if the catalogue sets one, else table 3 (named toxic gases,
    by CAS or name), else table 4 by its ``gb18218_category``; None when none applies (the user enters it)."""
    own = getattr(chemical, "beta", None)
    if own is not None:
        return Decimal(own)
    gas = toxic_gas(cas=getattr(chemical, "cas_number", ""), name=getattr(chemical, "name_zh", ""))
    if gas is not None:
        return gas.beta
    return category_beta(getattr(chemical, "gb18218_category", ""))


def critical_quantity_for(chemical: Any) -> Decimal | None:
    """Q (t) of a catalogue chemical: its own ``critical_quantity_t`` (table 1, kept in the catalogue), else
    table 2 by its ``gb18218_category``; None when the chemical is not a GB 18218 chemical."""
    own = getattr(chemical, "critical_quantity_t", None)
    if own is not None:
        return Decimal(own)
    found = category(getattr(chemical, "gb18218_category", ""))
    return found.critical_quantity if found else None


# ---- the calculation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One hazardous chemical of the unit: q and Q in tonnes, β its correction factor."""

    name: str
    q: Decimal
    Q: Decimal  # the standard's symbol for the critical quantity
    beta: Decimal
    chemical_id: int | None = None  # the catalogue entry it came from, if any (opaque here)


@dataclass(frozen=True)
class LineResult:
    line: Line
    ratio_exact: Fraction  # q/Q
    weighted_exact: Fraction  # β·q/Q

    @property
    def ratio(self) -> Decimal:
        return to_decimal(self.ratio_exact)

    @property
    def weighted(self) -> Decimal:
        return to_decimal(self.weighted_exact)


@dataclass(frozen=True)
class Assessment:
    lines: tuple[LineResult, ...]
    people_exposed: int
    s_exact: Fraction
    weighted_sum_exact: Fraction  # Σ β·q/Q
    alpha_row: AlphaRow
    r_exact: Fraction

    @property
    def s(self) -> Decimal:
        return to_decimal(self.s_exact)

    @property
    def is_major(self) -> bool:
        """Identified as a major hazard source: S ≥ 1 (decided on the exact value)."""
        return self.s_exact >= IDENTIFICATION_THRESHOLD

    @property
    def alpha(self) -> Decimal:
        return self.alpha_row.alpha

    @property
    def weighted_sum(self) -> Decimal:
        return to_decimal(self.weighted_sum_exact)

    @property
    def r(self) -> Decimal:
        return to_decimal(self.r_exact)

    @property
    def grade_row(self) -> GradeRow | None:
        """Table 6's row; None when the unit is not a major hazard source (only identified units are graded)."""
        return grade_row(self.r_exact) if self.is_major else None

    @property
    def grade(self) -> int | None:
        row = self.grade_row
        return row.grade if row else None


def to_decimal(value: Fraction) -> Decimal:
    """An exact value for display and storage: rounded down to 4 decimal places (see the module's docstring)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(PLACES, rounding=ROUND_FLOOR)


def _decimal(value: Any, what: str, name: str) -> Decimal:
    if isinstance(value, float):
        value = str(value)  # a float's repr is what the user typed; its binary value is not
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise GB18218Error(
            _("%(what)s of %(name)s is not a number: %(value)r.") % {"what": what, "name": name, "value": value}
        ) from None
    if not result.is_finite():
        raise GB18218Error(_("%(what)s of %(name)s is not a number.") % {"what": what, "name": name})
    return result


def check_line(line: Line) -> Line:
    """The line with Decimal values, or GB18218Error saying what is wrong with it."""
    name = (line.name or "").strip()
    if not name:
        raise GB18218Error(_("Every line needs the substance's name."))
    q = _decimal(line.q, "q", name)
    big_q = _decimal(line.Q, "Q", name)
    beta = _decimal(line.beta, "β", name)
    if q < 0:
        raise GB18218Error(_("The quantity q of %(name)s cannot be negative.") % {"name": name})
    if big_q <= 0:
        raise GB18218Error(_("The critical quantity Q of %(name)s must be greater than 0.") % {"name": name})
    if beta <= 0:
        raise GB18218Error(_("The correction factor β of %(name)s must be greater than 0.") % {"name": name})
    return Line(name=name, q=q, Q=big_q, beta=beta, chemical_id=line.chemical_id)


def assess(lines: Iterable[Line], people_exposed: int) -> Assessment:
    """Identify and grade one unit (standard 4.2 and 4.3). Raises GB18218Error on input it cannot assess.

    A unit with no lines is assessed as S = 0 (nothing of GB 18218 present: not a major hazard source).
    """
    row = alpha_row(people_exposed)
    results: list[LineResult] = []
    for line in lines:
        checked = check_line(line)
        ratio = Fraction(checked.q) / Fraction(checked.Q)
        results.append(LineResult(line=checked, ratio_exact=ratio, weighted_exact=Fraction(checked.beta) * ratio))
    s = sum((r.ratio_exact for r in results), Fraction(0))
    weighted = sum((r.weighted_exact for r in results), Fraction(0))
    return Assessment(
        lines=tuple(results),
        people_exposed=people_exposed,
        s_exact=s,
        weighted_sum_exact=weighted,
        alpha_row=row,
        r_exact=Fraction(row.alpha) * weighted,
    )


def tonnes(kilograms: Decimal) -> Decimal:
    """Kilograms to tonnes, rounded *up* to 4 places (0.1 kg), what an assessment line stores: a small amount
    is never counted as nothing."""
    return (Decimal(kilograms) / 1000).quantize(PLACES, rounding=ROUND_CEILING)


def describe_tables() -> dict[str, Sequence[Any]]:
    """The tables as shown on the help panel of the pages."""
    return {
        "table_2": list(TABLE_2.values()),
        "table_3": TABLE_3,
        "table_4": list(TABLE_4.items()),
        "table_5": TABLE_5,
        "table_6": TABLE_6,
    }
