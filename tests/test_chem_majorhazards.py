"""GB 18218-2018 identification and grading (chemicals.gb18218), table by table.

Pure: no database. Each boundary of the standard is checked on both sides: S = 1 (identification), the rows
of table 5 (α) and of table 6 (grade); then the β and Q lookups, mixed units, worked examples and bad input.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from chemicals import gb18218
from chemicals.gb18218 import GB18218Error, Line, assess
from chemicals.validators import validate_cas_number

pytestmark = pytest.mark.usefixtures("english_messages")

D = Decimal


def line(q, big_q, beta="1", name="X") -> Line:
    return Line(name=name, q=D(q), Q=D(big_q), beta=D(beta))


# ---- S and identification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "s", "is_major"),
    [
        ([line("5", "5")], "1.0000", True),  # exactly 1: identified (S ≥ 1)
        ([line("4.9999", "5")], "0.9999", False),
        ([line("5.0001", "5")], "1.0000", True),
        ([line("0.99999", "1")], "0.9999", False),  # rounded down for display: never shows 1 when below
        ([line("1", "3"), line("1", "3"), line("1", "3")], "1.0000", True),  # exact: 1/3 × 3 is 1
        ([line("2.5", "5"), line("250", "500")], "1.0000", True),  # two halves
        ([line("2.5", "5"), line("249.99", "500")], "0.9999", False),
        ([line("0", "5")], "0.0000", False),  # nothing present
        ([], "0.0000", False),  # no GB 18218 chemical at all
        ([line("50", "5")], "10.0000", True),
    ],
)
def test_s_and_identification(lines, s, is_major):
    result = assess(lines, 10)
    assert result.s == D(s)
    assert result.is_major is is_major
    if not is_major:
        assert result.grade is None and result.grade_row is None  # only identified units are graded


# ---- α (table 5) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "alpha", "label"),
    [
        (0, "0.5", "0"),
        (1, "1.0", "1–29"),
        (29, "1.0", "1–29"),
        (30, "1.2", "30–49"),
        (49, "1.2", "30–49"),
        (50, "1.5", "50–99"),
        (99, "1.5", "50–99"),
        (100, "2.0", "≥ 100"),
        (250_000, "2.0", "≥ 100"),
    ],
)
def test_alpha_rows(people, alpha, label):
    row = gb18218.alpha_row(people)
    assert row.alpha == D(alpha)
    assert row.label == label
    result = assess([line("5", "5", "2")], people)
    assert result.alpha == D(alpha)
    assert result.r == D(alpha) * 2  # R = α · β · q/Q with q/Q = 1


# ---- grade (table 6) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "grade"),
    [
        ("0", 4),
        ("9.9999", 4),
        ("10", 3),
        ("49.9999", 3),
        ("50", 2),
        ("99.9999", 2),
        ("100", 1),
        ("100000", 1),
    ],
)
def test_grade_rows(r, grade):
    assert gb18218.grade_row(D(r)).grade == grade


@pytest.mark.parametrize(
    ("lines", "people", "r", "grade"),
    [
        # S = 1 with β chosen so that R sits exactly on, or just below, each band's lower bound (α = 1).
        ([line("5", "5", "9.99")], 10, "9.9900", 4),
        ([line("5", "5", "10")], 10, "10.0000", 3),
        ([line("5", "5", "1"), line("48.9999", "1", "1")], 10, "49.9999", 3),
        ([line("5", "5", "20"), line("1", "1", "30")], 10, "50.0000", 2),
        ([line("5", "5", "20"), line("40", "1", "2")], 100, "200.0000", 1),  # α = 2
        ([line("5", "5", "20"), line("30", "1", "1")], 50, "75.0000", 2),  # α = 1.5: 1.5 × 50
        ([line("5", "5", "20"), line("30", "1", "1")], 100, "100.0000", 1),  # α = 2: exactly 100
        ([line("5", "5", "20")], 0, "10.0000", 3),  # α = 0.5: 0.5 × 20
        ([line("5", "5", "19.99")], 0, "9.9950", 4),
    ],
)
def test_grade_of_identified_units(lines, people, r, grade):
    result = assess(lines, people)
    assert result.is_major
    assert result.r == D(r)
    assert result.grade == grade


def test_r_boundary_is_decided_exactly():
    """R = 1.2 × (100/12) = 10 exactly, though 100/12 has no finite decimal form."""
    result = assess([line("100", "12", "1")], 30)  # α = 1.2
    assert result.r_exact == Fraction(10)
    assert result.grade == 3
    just_below = assess([line("99.9999", "12", "1")], 30)
    assert just_below.r == D("9.9999") and just_below.grade == 4


# ---- worked examples -----------------------------------------------------------------------------------


def test_worked_example_sulfur_dioxide():
    """A published exam example (GB 18218 grading): a production area holds 200 t of 二氧化硫 (Q = 20 t,
    β = 2 from table 3), 60 people may be exposed (α = 1.5): R = 1.5 × (2 × 200 / 20) = 30, grade 3."""
    so2 = gb18218.toxic_gas(name="二氧化硫")
    assert so2 is not None and so2.beta == 2
    result = assess([Line(name="二氧化硫", q=D("200"), Q=D("20"), beta=so2.beta)], 60)
    assert result.s == D("10.0000") and result.is_major
    assert result.alpha == D("1.5")
    assert result.weighted_sum == D("20.0000")
    assert result.r == D("30.0000")
    assert result.grade == 3
    assert result.grade_row.label == "10 ≤ R < 50"


def test_mixed_unit_of_toxic_gas_and_flammable_liquid():
    """Chlorine (table 3: β = 4; Q = 5 t) and methanol (Q = 500 t; flammable liquid category 2, W5.3: β = 1),
    120 people around (α = 2): S = 0.6 + 0.6 = 1.2 ≥ 1; R = 2 × (2.4 + 0.6) = 6: grade 4."""
    chlorine = Line(name="氯", q=D("3"), Q=D("5"), beta=gb18218.toxic_gas(cas="7782-50-5").beta)
    methanol = Line(name="甲醇", q=D("300"), Q=D("500"), beta=gb18218.category_beta("W5.3"))
    result = assess([chlorine, methanol], 120)
    assert [(r.ratio, r.weighted) for r in result.lines] == [(D("0.6000"), D("2.4000")), (D("0.6000"), D("0.6000"))]
    assert result.s == D("1.2000") and result.is_major
    assert result.alpha == D("2.0")
    assert result.r == D("6.0000")
    assert result.grade == 4


def test_ammonia_store_is_grade_one():
    ammonia = Line(name="氨", q=D("300"), Q=D("10"), beta=gb18218.toxic_gas(name="氨").beta)  # β = 2
    result = assess([ammonia], 100)
    assert (result.s, result.r, result.grade) == (D("30.0000"), D("120.0000"), 1)


# ---- β and Q lookups -----------------------------------------------------------------------------------

TABLE_3_EXPECTED = {
    "一氧化碳": 2,
    "二氧化硫": 2,
    "氨": 2,
    "环氧乙烷": 2,
    "氯化氢": 3,
    "溴甲烷": 3,
    "氯": 4,
    "硫化氢": 5,
    "氟化氢": 5,
    "二氧化氮": 10,
    "氰化氢": 10,
    "碳酰氯": 20,
    "磷化氢": 20,
    "异氰酸甲酯": 20,
}


@pytest.mark.parametrize(("name", "beta"), sorted(TABLE_3_EXPECTED.items()))
def test_table_3_by_name_and_cas(name, beta):
    gas = gb18218.toxic_gas(name=name)
    assert gas is not None and gas.beta == beta
    assert gb18218.toxic_gas(cas=gas.cas) is gas
    validate_cas_number(gas.cas)  # the CAS numbers are real ones (check digit)


def test_table_3_is_complete():
    assert {g.name_zh for g in gb18218.TABLE_3} == set(TABLE_3_EXPECTED)


TABLE_4_EXPECTED = {
    "J1": "4",
    "J2": "1",
    "J3": "2",
    "J4": "2",
    "J5": "1",
    "W1.1": "2",
    "W1.2": "2",
    "W1.3": "2",
    "W2": "1.5",
    "W3": "1",
    "W4": "1",
    "W5.1": "1.5",
    "W5.2": "1",
    "W5.3": "1",
    "W5.4": "1",
    "W6.1": "1.5",
    "W6.2": "1",
    "W7.1": "1.5",
    "W7.2": "1",
    "W8": "1",
    "W9.1": "1",
    "W9.2": "1",
    "W10": "1",
    "W11": "1",
}

TABLE_2_EXPECTED = {
    "J1": "5",
    "J2": "50",
    "J3": "50",
    "J4": "50",
    "J5": "500",
    "W1.1": "1",
    "W1.2": "10",
    "W1.3": "50",
    "W2": "10",
    "W3": "150",
    "W4": "50",
    "W5.1": "10",
    "W5.2": "50",
    "W5.3": "1000",
    "W5.4": "5000",
    "W6.1": "10",
    "W6.2": "50",
    "W7.1": "10",
    "W7.2": "50",
    "W8": "50",
    "W9.1": "50",
    "W9.2": "200",
    "W10": "200",
    "W11": "200",
}


@pytest.mark.parametrize(("code", "beta"), sorted(TABLE_4_EXPECTED.items()))
def test_table_4_and_table_2_by_category(code, beta):
    assert gb18218.category_beta(code) == D(beta)
    assert gb18218.category_beta(code.lower()) == D(beta)  # symbols are read case-insensitively
    assert gb18218.category(code).critical_quantity == D(TABLE_2_EXPECTED[code])


def test_tables_2_and_4_cover_the_same_categories():
    assert set(gb18218.TABLE_2) == set(gb18218.TABLE_4) == set(TABLE_4_EXPECTED)


def chem(**attrs) -> SimpleNamespace:
    """A stand-in for chemicals.models.Chemical (the lookups read attributes only)."""
    base = {"cas_number": "", "name_zh": "", "beta": None, "critical_quantity_t": None, "gb18218_category": ""}
    return SimpleNamespace(**{**base, **attrs})


@pytest.mark.parametrize(
    ("attrs", "beta", "critical"),
    [
        ({"beta": D("3.5"), "cas_number": "7782-50-5", "gb18218_category": "J1"}, "3.5", "5"),  # catalogue wins
        ({"cas_number": "7782-50-5", "critical_quantity_t": D("5")}, "4", "5"),  # table 3 by CAS (chlorine)
        ({"name_zh": "硫化氢", "critical_quantity_t": D("5")}, "5", "5"),  # table 3 by name
        ({"cas_number": "7782-50-5", "gb18218_category": "J3"}, "4", "50"),  # table 3 before table 4
        ({"gb18218_category": "W5.3"}, "1", "1000"),  # both by category
        ({"gb18218_category": "J2", "critical_quantity_t": D("20")}, "1", "20"),  # table 1 (catalogue) before 2
        ({"name_zh": "乙醇"}, None, None),  # not a GB 18218 chemical here
        ({"gb18218_category": "Z9"}, None, None),  # unknown symbol
    ],
)
def test_beta_for_and_critical_quantity_for(attrs, beta, critical):
    c = chem(**attrs)
    assert gb18218.beta_for(c) == (None if beta is None else D(beta))
    assert gb18218.critical_quantity_for(c) == (None if critical is None else D(critical))


def test_tonnes_from_kilograms():
    assert gb18218.tonnes(D("7.5")) == D("0.0075")
    assert gb18218.tonnes(D("0.04")) == D("0.0001")  # 40 g: rounded up, never counted as nothing
    assert gb18218.tonnes(D("0.1")) == D("0.0001")
    assert gb18218.tonnes(D("0.1001")) == D("0.0002")
    assert gb18218.tonnes(D("0")) == D("0.0000")
    assert gb18218.tonnes(D("400")) == D("0.4000")


# ---- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "people", "message"),
    [
        ([line("1", "0")], 10, "critical quantity Q"),
        ([line("1", "-5")], 10, "critical quantity Q"),
        ([line("-0.001", "5")], 10, "cannot be negative"),
        ([line("1", "5", "0")], 10, "β"),
        ([line("1", "5", "-2")], 10, "β"),
        ([Line(name="  ", q=D("1"), Q=D("5"), beta=D("1"))], 10, "name"),
        ([Line(name="X", q="abc", Q=D("5"), beta=D("1"))], 10, "not a number"),
        ([Line(name="X", q=D("NaN"), Q=D("5"), beta=D("1"))], 10, "not a number"),
        ([Line(name="X", q=D("1"), Q=None, beta=D("1"))], 10, "not a number"),
        ([line("1", "5")], -1, "negative"),
        ([line("1", "5")], 1.5, "whole number"),
        ([line("1", "5")], True, "whole number"),
    ],
)
def test_bad_input_is_refused_clearly(lines, people, message):
    with pytest.raises(GB18218Error) as exc:
        assess(lines, people)
    assert message in str(exc.value)


def test_the_error_names_the_line():
    with pytest.raises(GB18218Error, match="硫化氢"):
        assess([line("1", "5", name="氨"), line("1", "0", name="硫化氢")], 3)


def test_strings_and_floats_are_read_as_typed():
    result = assess([Line(name="X", q="0.1", Q=0.3, beta=1)], 5)  # type: ignore[arg-type]
    assert result.lines[0].line.Q == D("0.3")
    assert result.s == D("0.3333")


def test_errors_are_value_errors_not_validation_errors():
    """The pure module knows nothing of forms: services turn GB18218Error into ValidationError."""
    assert issubclass(GB18218Error, ValueError)
    assert not issubclass(GB18218Error, ValidationError)
