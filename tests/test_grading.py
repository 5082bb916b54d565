"""Risk grading rules (hazards.grading): LEC and LS scores, every band edge, invalid values, per-province bands."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from hazards import grading
from hazards.models import GradingMethod, GradingScheme, RiskLevel
from safety.tenancy import scopes_disabled

from .risk_world import english  # noqa: F401  (autouse: messages are asserted in English)

LEC, LS = GradingMethod.LEC, GradingMethod.LS
MAJOR, HIGH, GENERAL, LOW = RiskLevel.MAJOR, RiskLevel.HIGH, RiskLevel.GENERAL, RiskLevel.LOW

# ---- LEC: band edges of the default table (lower bound exclusive: each boundary falls in the lower band) ----


@pytest.mark.parametrize(
    ("score", "level"),
    [
        ("10000", MAJOR),
        ("320.01", MAJOR),
        ("320", HIGH),  # ">320" is major, so 320 itself is high
        ("160.01", HIGH),
        ("160", GENERAL),  # "160–320" read as 160 < D ≤ 320
        ("70.01", GENERAL),
        ("70", LOW),  # "≤70" is low
        ("0.05", LOW),  # the smallest D: 0.1 × 0.5 × 1
    ],
)
def test_lec_band_edges(score, level):
    assert grading.level_for(LEC, score) == level


@pytest.mark.parametrize(
    ("l", "e", "c", "score", "level"),
    [
        ("10", "6", "7", "420", MAJOR),
        ("10", "10", "100", "10000", MAJOR),
        ("6", "6", "7", "252", HIGH),
        ("3", "6", "15", "270", HIGH),
        ("1", "6", "40", "240", HIGH),
        ("3", "3", "15", "135", GENERAL),
        ("1", "6", "15", "90", GENERAL),
        ("1", "10", "7", "70", LOW),  # exactly on the 70 edge
        ("10", "1", "7", "70", LOW),
        ("3", "6", "3", "54", LOW),
        ("0.1", "0.5", "1", "0.05", LOW),
        ("0.5", "2", "3", "3", LOW),
    ],
)
def test_lec_scores(l, e, c, score, level):  # noqa: E741
    g = grading.grade(LEC, {"l": l, "e": e, "c": c})
    assert (g.score, g.level) == (Decimal(score), level)
    assert grading.lec_score(l, e, c) == Decimal(score)


def test_lec_every_combination_matches_the_table():
    """All 252 combinations against the band table written out independently."""

    def expected(d: Decimal) -> str:
        if d > 320:
            return MAJOR
        if d > 160:
            return HIGH
        if d > 70:
            return GENERAL
        return LOW

    for l, e, c in itertools.product(grading.LEC_L_VALUES, grading.LEC_E_VALUES, grading.LEC_C_VALUES):  # noqa: E741
        g = grading.grade(LEC, {"l": l, "e": e, "c": c})
        assert g.score == l * e * c
        assert g.level == expected(l * e * c), (l, e, c)


# ---- LS: every product of the 5 × 5 matrix (lower bound inclusive) ----


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (25, MAJOR),
        (20, MAJOR),  # "≥20"
        (19, HIGH),
        (16, HIGH),
        (15, HIGH),  # "15–19" includes 15
        (14, GENERAL),
        (12, GENERAL),
        (10, GENERAL),
        (9, GENERAL),  # "9–14" includes 9
        (8, LOW),  # "≤8"
        (1, LOW),
    ],
)
def test_ls_band_edges(score, level):
    assert grading.level_for(LS, score) == level


LS_MATRIX = {  # rows L = 5 … 1, columns S = 1 … 5: the table in the module docstring
    5: [LOW, GENERAL, HIGH, MAJOR, MAJOR],
    4: [LOW, LOW, GENERAL, HIGH, MAJOR],
    3: [LOW, LOW, GENERAL, GENERAL, HIGH],
    2: [LOW, LOW, LOW, LOW, GENERAL],
    1: [LOW, LOW, LOW, LOW, LOW],
}


@pytest.mark.parametrize(("l", "s"), list(itertools.product(range(1, 6), range(1, 6))))
def test_ls_matrix(l, s):  # noqa: E741
    g = grading.grade(LS, {"l": l, "s": s})
    assert g.score == l * s
    assert g.level == LS_MATRIX[l][s - 1]


def test_ls_matrix_helper_matches():
    assert [[level for _r, level in row] for _l, row in grading.ls_matrix()] == [LS_MATRIX[i] for i in range(5, 0, -1)]


# ---- invalid values: refused with a message naming the factor and the allowed values ----


@pytest.mark.parametrize(
    ("method", "values", "factor", "words"),
    [
        (LEC, {"l": "2", "e": "1", "c": "1"}, "l", ["2", "0.1, 0.2, 0.5, 1, 3, 6, 10"]),
        (LEC, {"l": "1", "e": "4", "c": "1"}, "e", ["4", "0.5, 1, 2, 3, 6, 10"]),
        (LEC, {"l": "1", "e": "1", "c": "50"}, "c", ["50", "1, 3, 7, 15, 40, 100"]),
        (LEC, {"l": "1", "e": "1", "c": "0"}, "c", ["0"]),
        (LEC, {"l": "-1", "e": "1", "c": "1"}, "l", ["-1"]),
        (LEC, {"l": "", "e": "1", "c": "1"}, "l", ["L", "required"]),
        (LEC, {"l": "abc", "e": "1", "c": "1"}, "l", ["abc", "not a number"]),
        (LEC, {"l": "NaN", "e": "1", "c": "1"}, "l", ["not a number"]),
        (LEC, {"l": "1", "e": "1", "c": "1", "s": "3"}, "s", ["S", "not used by LEC"]),
        (LS, {"l": "6", "s": "1"}, "l", ["6", "1, 2, 3, 4, 5"]),
        (LS, {"l": "1", "s": "0"}, "s", ["0"]),
        (LS, {"l": "2.5", "s": "1"}, "l", ["2.5"]),
        (LS, {"l": "1"}, "s", ["S", "required"]),
        (LS, {"l": "1", "s": "1", "e": "6"}, "e", ["E", "not used by LS"]),
    ],
)
def test_invalid_values_are_refused(method, values, factor, words):
    with pytest.raises(ValidationError) as exc:
        grading.grade(method, values)
    messages = exc.value.message_dict[factor]
    for word in words:
        assert any(word in m for m in messages), (word, messages)


def test_every_bad_factor_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        grading.grade(LEC, {"l": "2", "e": "4", "c": "50"})
    assert set(exc.value.message_dict) == {"l", "e", "c"}


@pytest.mark.parametrize("method", ["", "lecx", "LEC "])
def test_unknown_method(method):
    with pytest.raises(ValidationError, match="Unknown grading method"):
        grading.grade(method, {})


@pytest.mark.parametrize(
    "value",
    [0.5, "0.5", "0.50", Decimal("0.500"), " 0.5 "],
)
def test_values_as_written_in_excel_or_forms(value):
    assert grading.grade(LEC, {"l": value, "e": 1, "c": 1}).score == Decimal("0.5")


# ---- bands: validation and per-province configuration ----


@pytest.mark.parametrize(
    "bands",
    [
        "major",
        [{"level": "major", "min": 1}],
        [{"level": "high", "min": 3}, {"level": "major", "min": 2}, {"level": "general", "min": 1}, {"level": "low"}],
        [
            {"level": "major", "min": 100},
            {"level": "high", "min": 100},
            {"level": "general", "min": 10},
            {"level": "low", "min": 0},
        ],
        [
            {"level": "major", "min": 100},
            {"level": "high", "min": 50},
            {"level": "general", "min": 10},
            {"level": "low", "min": -1},
        ],
        [
            {"level": "major", "min": "x"},
            {"level": "high", "min": 50},
            {"level": "general", "min": 10},
            {"level": "low", "min": 0},
        ],
    ],
)
def test_bad_bands_are_refused(bands):
    with pytest.raises(ValidationError):
        grading.check_bands(LEC, bands)


STRICT_LEC = [
    {"level": "major", "min": 240},
    {"level": "high", "min": 120},
    {"level": "general", "min": 50},
    {"level": "low", "min": 0},
]
PLATFORM_LEC = [
    {"level": "major", "min": 300},
    {"level": "high", "min": 150},
    {"level": "general", "min": 60},
    {"level": "low", "min": 0},
]


@pytest.mark.parametrize(
    ("score", "level"),
    [("241", MAJOR), ("240", HIGH), ("121", HIGH), ("120", GENERAL), ("51", GENERAL), ("50", LOW)],
)
def test_configured_bands_keep_the_edge_rule(score, level):
    assert grading.level_for(LEC, score, STRICT_LEC) == level


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({}, grading.DEFAULT_BANDS[LEC]),  # nothing configured: built-in defaults
        ({"default": PLATFORM_LEC}, PLATFORM_LEC),  # the platform default row
        ({"default": PLATFORM_LEC, "sichuan": STRICT_LEC}, STRICT_LEC),  # the province's row wins
        ({"default": PLATFORM_LEC, "guizhou": STRICT_LEC}, PLATFORM_LEC),  # another province's row is ignored
        ({"guizhou": STRICT_LEC}, grading.DEFAULT_BANDS[LEC]),
    ],
)
def test_bands_for_enterprise(world, rows, expected):
    with scopes_disabled():
        for where, bands in rows.items():
            region = None if where == "default" else getattr(world, where)
            GradingScheme.objects.create(region=region, method=LEC, bands=bands)
        GradingScheme.objects.create(region=world.sichuan, method=LS, bands=grading.DEFAULT_BANDS[LS])
        got = grading.bands_for_enterprise(world.acme, LEC)  # acme: 四川省 › 泸州市 › 江阳区 › 南城街道
    assert [(b["level"], Decimal(b["min"])) for b in got] == [(b["level"], Decimal(b["min"])) for b in expected]


def test_grade_for_enterprise_uses_the_province_bands(world):
    with scopes_disabled():
        GradingScheme.objects.create(region=world.sichuan, method=LEC, bands=STRICT_LEC)
        acme = grading.grade_for_enterprise(world.acme, LEC, {"l": "3", "e": "6", "c": "15"})  # 270
        far = grading.grade_for_enterprise(world.far, LEC, {"l": "3", "e": "6", "c": "15"})  # 贵州: defaults
    assert (acme.score, acme.level) == (Decimal(270), MAJOR)
    assert (far.score, far.level) == (Decimal(270), HIGH)


def test_value_choices_cover_the_value_sets():
    for method, factors in grading.METHOD_FACTORS.items():
        for factor, allowed in factors:
            assert {Decimal(v) for v, _label in grading.value_choices(method, factor)} == set(allowed)


@pytest.mark.parametrize(
    ("bands", "valid"),
    [
        (
            '[{"level": "major", "min": 300}, {"level": "high", "min": 150}, {"level": "general", "min": 60}, '
            '{"level": "low", "min": 0}]',
            True,
        ),
        (
            '[{"level": "high", "min": 300}, {"level": "major", "min": 150}, {"level": "general", "min": 60}, '
            '{"level": "low", "min": 0}]',
            False,
        ),
        ('{"major": 300}', False),
    ],
)
def test_the_admin_checks_a_scheme_before_saving(db, bands, valid):
    from hazards.admin import GradingSchemeAdminForm

    form = GradingSchemeAdminForm(data={"region": "", "method": "lec", "bands": bands})
    assert form.is_valid() is valid, form.errors
