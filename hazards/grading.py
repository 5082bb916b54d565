"""Risk grading (风险分级): LEC and LS, as pure functions, with the band thresholds a province may configure.

LEC (作业条件危险性评价法): D = L × E × C, each factor from its standard value set:

    L  likelihood     0.1 · 0.2 · 0.5 · 1 · 3 · 6 · 10
    E  exposure       0.5 · 1 · 2 · 3 · 6 · 10
    C  consequence    1 · 3 · 7 · 15 · 40 · 100

LS (风险矩阵法): R = L × S, L (likelihood) and S (severity) each an integer 1–5, so R is one of
1 2 3 4 5 6 8 9 10 12 15 16 20 25.

Bands (``GradingScheme.bands``): a list of {"level": RiskLevel, "min": number} from the highest level down, the
last one catching everything below. How a score meets a band's ``min`` differs by method:

* LEC: the score must EXCEED ``min`` (lower bound exclusive). The default bands read the usual table
  ">320 / 160–320 / 70–160 / ≤70" so that each boundary belongs to the lower band:

      D > 320          major   (red)      重大风险
      160 < D ≤ 320    high    (orange)   较大风险
      70 < D ≤ 160     general (yellow)   一般风险
      D ≤ 70           low     (blue)     低风险

  e.g. D = 320 is high, D = 160 general, D = 70 (L 1 × E 10 × C 7) low.

* LS: the score must REACH ``min`` (lower bound inclusive); R is an integer. Default bands:

      R ≥ 20 (20, 25)          major   (red)
      15 ≤ R ≤ 19 (15, 16)     high    (orange)
      9 ≤ R ≤ 14 (9, 10, 12)   general (yellow)
      R ≤ 8 (1 … 8)            low     (blue)

The 5 × 5 matrix under the LS defaults (rows L, columns S; M major, H high, G general, l low):

        S=1 S=2 S=3 S=4 S=5
    L=5  l   G   H   M   M
    L=4  l   l   G   H   M
    L=3  l   l   G   G   H
    L=2  l   l   l   l   G
    L=1  l   l   l   l   l

Which bands apply to an enterprise (``bands_for_enterprise``): the GradingScheme row of the method for the
enterprise's province, else the row with no region (the platform default), else the built-in defaults above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import GradingMethod, RiskLevel

if TYPE_CHECKING:
    from enterprises.models import Enterprise


def _decimals(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


LEC_L_VALUES = _decimals("0.1", "0.2", "0.5", "1", "3", "6", "10")
LEC_E_VALUES = _decimals("0.5", "1", "2", "3", "6", "10")
LEC_C_VALUES = _decimals("1", "3", "7", "15", "40", "100")
LS_L_VALUES = _decimals("1", "2", "3", "4", "5")
LS_S_VALUES = _decimals("1", "2", "3", "4", "5")

# The factors each method uses, in order, with their value sets: the keys of a grading's ``values``.
METHOD_FACTORS: dict[str, tuple[tuple[str, tuple[Decimal, ...]], ...]] = {
    GradingMethod.LEC: (("l", LEC_L_VALUES), ("e", LEC_E_VALUES), ("c", LEC_C_VALUES)),
    GradingMethod.LS: (("l", LS_L_VALUES), ("s", LS_S_VALUES)),
}

# What each value means (the standard tables), for form choices and the import template's instructions.
VALUE_MEANINGS: dict[str, dict[str, dict[Decimal, Any]]] = {
    GradingMethod.LEC: {
        "l": {
            Decimal("10"): gettext_lazy("fully expected"),
            Decimal("6"): gettext_lazy("quite possible"),
            Decimal("3"): gettext_lazy("possible but unusual"),
            Decimal("1"): gettext_lazy("unlikely, a mere coincidence"),
            Decimal("0.5"): gettext_lazy("very unlikely, conceivable"),
            Decimal("0.2"): gettext_lazy("extremely unlikely"),
            Decimal("0.1"): gettext_lazy("practically impossible"),
        },
        "e": {
            Decimal("10"): gettext_lazy("continuous exposure"),
            Decimal("6"): gettext_lazy("daily during working hours"),
            Decimal("3"): gettext_lazy("weekly, or occasionally"),
            Decimal("2"): gettext_lazy("monthly"),
            Decimal("1"): gettext_lazy("a few times a year"),
            Decimal("0.5"): gettext_lazy("very rarely"),
        },
        "c": {
            Decimal("100"): gettext_lazy("catastrophe: many deaths"),
            Decimal("40"): gettext_lazy("disaster: several deaths"),
            Decimal("15"): gettext_lazy("very serious: one death"),
            Decimal("7"): gettext_lazy("serious: serious injury"),
            Decimal("3"): gettext_lazy("important: disabling injury"),
            Decimal("1"): gettext_lazy("noticeable: first aid needed"),
        },
    },
    GradingMethod.LS: {
        "l": {
            Decimal("5"): gettext_lazy("very likely"),
            Decimal("4"): gettext_lazy("likely"),
            Decimal("3"): gettext_lazy("possible"),
            Decimal("2"): gettext_lazy("unlikely"),
            Decimal("1"): gettext_lazy("very unlikely"),
        },
        "s": {
            Decimal("5"): gettext_lazy("catastrophic: deaths"),
            Decimal("4"): gettext_lazy("major: serious injury or large loss"),
            Decimal("3"): gettext_lazy("moderate: injury needing treatment"),
            Decimal("2"): gettext_lazy("minor: first aid"),
            Decimal("1"): gettext_lazy("negligible"),
        },
    },
}


def value_choices(method: str, factor: str) -> list[tuple[str, Any]]:
    """Form choices of one factor, highest first: ("0.5", "0.5 — very unlikely, conceivable"). The labels are lazy:
    form classes build their choices at import, in no particular language."""
    allowed = dict(METHOD_FACTORS[_method(method)])[factor]
    meanings = VALUE_MEANINGS[method][factor]
    return [(_plain(v), format_lazy("{} — {}", _plain(v), meanings[v])) for v in sorted(allowed, reverse=True)]


LEVEL_ORDER = (RiskLevel.MAJOR, RiskLevel.HIGH, RiskLevel.GENERAL, RiskLevel.LOW)

DEFAULT_BANDS: dict[str, list[dict[str, Any]]] = {
    GradingMethod.LEC: [
        {"level": RiskLevel.MAJOR.value, "min": 320},
        {"level": RiskLevel.HIGH.value, "min": 160},
        {"level": RiskLevel.GENERAL.value, "min": 70},
        {"level": RiskLevel.LOW.value, "min": 0},
    ],
    GradingMethod.LS: [
        {"level": RiskLevel.MAJOR.value, "min": 20},
        {"level": RiskLevel.HIGH.value, "min": 15},
        {"level": RiskLevel.GENERAL.value, "min": 9},
        {"level": RiskLevel.LOW.value, "min": 1},
    ],
}


@dataclass(frozen=True)
class Grade:
    method: str
    values: dict[str, Decimal]  # {"l": …, "e": …, "c": …} or {"l": …, "s": …}
    score: Decimal
    level: str

    def values_json(self) -> dict[str, str]:
        """The values as JSON-safe strings (RiskGrading.values)."""
        return {k: _plain(v) for k, v in self.values.items()}


def _plain(value: Decimal) -> str:
    """0.50 → "0.5", 10.00 → "10": how the value sets are written."""
    return format(value.normalize(), "f")


def format_value(value: Decimal | None) -> str:
    return "" if value is None else _plain(Decimal(value))


def _method(method: str) -> str:
    if method not in METHOD_FACTORS:
        raise ValidationError(
            _("Unknown grading method “%(method)s”: use LEC or LS."), code="method", params={"method": method}
        )
    return method


def to_decimal(value: Any) -> Decimal | None:
    """A value as typed or read from Excel (0.5, "0.5", "0.50") as a Decimal; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("“%(value)s” is not a number."), code="number", params={"value": value})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number."), code="number", params={"value": value}) from None
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number."), code="number", params={"value": value})
    return number


def check_value(method: str, factor: str, value: Any) -> Decimal:
    """One factor's value, checked against the method's value set; ValidationError naming the allowed values."""
    allowed = dict(METHOD_FACTORS[_method(method)]).get(factor)
    if allowed is None:
        raise ValidationError(
            _("%(method)s grading has no factor %(factor)s."),
            code="factor",
            params={"method": method.upper(), "factor": factor.upper()},
        )
    number = to_decimal(value)
    if number is None:
        raise ValidationError(
            _("%(factor)s is required for %(method)s grading."),
            code="required",
            params={"factor": factor.upper(), "method": method.upper()},
        )
    if number not in allowed:
        raise ValidationError(
            _("%(value)s is not a valid %(method)s value of %(factor)s; use one of %(allowed)s."),
            code="value",
            params={
                "value": _plain(number),
                "method": method.upper(),
                "factor": factor.upper(),
                "allowed": ", ".join(_plain(v) for v in allowed),
            },
        )
    return number


def check_values(method: str, values: Mapping[str, Any]) -> dict[str, Decimal]:
    """Every factor of the method checked; errors keyed by factor ("l", "e", "c", "s"). Factors the method does
    not use must be empty (a stray S on an LEC grading is a mistake, not something to ignore silently)."""
    method = _method(method)
    checked: dict[str, Decimal] = {}
    errors: dict[str, list[str]] = {}
    used = {factor for factor, _allowed in METHOD_FACTORS[method]}
    for factor, _allowed in METHOD_FACTORS[method]:
        try:
            checked[factor] = check_value(method, factor, values.get(factor))
        except ValidationError as exc:
            errors[factor] = exc.messages
    for factor in ("l", "e", "c", "s"):
        if factor not in used and _is_filled(values.get(factor)):
            errors[factor] = [
                _("%(factor)s is not used by %(method)s grading: leave it empty.")
                % {"factor": factor.upper(), "method": method.upper()}
            ]
    if errors:
        raise ValidationError(errors)
    return checked


def _is_filled(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def lec_score(l: Any, e: Any, c: Any) -> Decimal:  # noqa: E741  the method's own letters
    """D = L × E × C, each checked against its value set."""
    v = check_values(GradingMethod.LEC, {"l": l, "e": e, "c": c})
    return v["l"] * v["e"] * v["c"]


def ls_score(l: Any, s: Any) -> Decimal:  # noqa: E741
    """R = L × S, L and S each 1–5."""
    v = check_values(GradingMethod.LS, {"l": l, "s": s})
    return v["l"] * v["s"]


def check_bands(method: str, bands: Any) -> list[dict[str, Any]]:
    """A scheme's bands: the four levels once each, highest first, with strictly falling numeric minimums."""
    method = _method(method)
    if not isinstance(bands, Sequence) or isinstance(bands, (str, bytes)):
        raise ValidationError(_("The bands must be a list of {level, min} entries."), code="bands")
    levels = [b.get("level") if isinstance(b, Mapping) else None for b in bands]
    if levels != [lvl.value for lvl in LEVEL_ORDER]:
        raise ValidationError(
            _("The bands must name the levels %(levels)s, in this order, once each."),
            code="bands",
            params={"levels": ", ".join(lvl.value for lvl in LEVEL_ORDER)},
        )
    cleaned: list[dict[str, Any]] = []
    previous: Decimal | None = None
    for band in bands:
        try:
            minimum = to_decimal(band.get("min"))
        except ValidationError:
            minimum = None
        if minimum is None or minimum < 0:
            raise ValidationError(
                _("The minimum of the %(level)s band must be a number of at least 0."),
                code="bands",
                params={"level": band.get("level")},
            )
        if previous is not None and minimum >= previous:
            raise ValidationError(
                _("Each band's minimum must be below the one above it (%(level)s: %(min)s)."),
                code="bands",
                params={"level": band["level"], "min": _plain(minimum)},
            )
        previous = minimum
        cleaned.append({"level": band["level"], "min": minimum})
    return cleaned


def level_for(method: str, score: Any, bands: Sequence[Mapping[str, Any]] | None = None) -> str:
    """The RiskLevel of a score under ``bands`` (default: DEFAULT_BANDS). LEC: exceed the minimum; LS: reach it."""
    method = _method(method)
    checked = check_bands(method, DEFAULT_BANDS[method] if bands is None else bands)
    number = to_decimal(score)
    if number is None:
        raise ValidationError(_("A score is required."), code="required")
    for band in checked:
        met = number > band["min"] if method == GradingMethod.LEC else number >= band["min"]
        if met:
            return band["level"]
    return checked[-1]["level"]  # the lowest band catches everything below


def grade(method: str, values: Mapping[str, Any], bands: Sequence[Mapping[str, Any]] | None = None) -> Grade:
    """Check the values, compute the score and its level. ValidationError keyed by factor for bad values."""
    method = _method(method)
    checked = check_values(method, values)
    score = Decimal(1)
    for factor, _allowed in METHOD_FACTORS[method]:
        score *= checked[factor]
    return Grade(method=method, values=checked, score=score, level=level_for(method, score, bands))


def describe_bands(method: str, bands: Sequence[Mapping[str, Any]] | None = None) -> list[tuple[str, str]]:
    """[(level, "160 < D ≤ 320"), …] from the highest level down: the bands as people read them."""
    method = _method(method)
    checked = check_bands(method, DEFAULT_BANDS[method] if bands is None else bands)
    letter = "D" if method == GradingMethod.LEC else "R"
    below, above = ("<", "≤") if method == GradingMethod.LEC else ("≤", "<")
    described = []
    for i, band in enumerate(checked):
        low = _plain(band["min"])
        high = _plain(checked[i - 1]["min"]) if i else None
        if i == len(checked) - 1:
            text = f"{letter} {'≤' if method == GradingMethod.LEC else '<'} {high}"
        elif high is None:
            text = f"{letter} {'>' if method == GradingMethod.LEC else '≥'} {low}"
        else:
            text = f"{low} {below} {letter} {above} {high}"
        described.append((band["level"], text))
    return described


def ls_matrix(bands: Sequence[Mapping[str, Any]] | None = None) -> list[tuple[int, list[tuple[int, str]]]]:
    """The 5 × 5 matrix under ``bands``: rows L = 5 … 1, each [(R, level) for S = 1 … 5] (for the help page)."""
    return [
        (likelihood, [(likelihood * s, level_for(GradingMethod.LS, likelihood * s, bands)) for s in range(1, 6)])
        for likelihood in range(5, 0, -1)
    ]


# ---- which bands apply (reads the database) ----


def bands_for_enterprise(enterprise: Enterprise, method: str) -> list[dict[str, Any]]:
    """The bands for the enterprise's province: its province's scheme, else the default row, else built-in."""
    from django.db.models import Q

    from enterprises.models import Region

    from .models import GradingScheme

    method = _method(method)
    region = getattr(enterprise, "region", None)
    q = Q(region__isnull=True)
    if region is not None:
        q |= Q(region__path=region.path[: Region.steplen])  # the province: the root of the region tree
    rows = {row.region_id is not None: row.bands for row in GradingScheme.objects.filter(q, method=method)}
    for own in (True, False):
        if own in rows:
            return check_bands(method, rows[own])
    return check_bands(method, DEFAULT_BANDS[method])


def grade_for_enterprise(enterprise: Enterprise, method: str, values: Mapping[str, Any]) -> Grade:
    """Grade a risk point of ``enterprise`` with the bands of its province."""
    method = _method(method)
    checked = check_values(method, values)  # bad values are reported before any query
    return grade(method, checked, bands_for_enterprise(enterprise, method))
