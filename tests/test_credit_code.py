"""GB 32100-2015 unified social credit code, and phone numbers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from enterprises.validators import (
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_WEIGHTS,
    credit_code_check_character,
    validate_credit_code,
    validate_phone,
)


def reference_check_character(first17: str) -> str:
    """An independent implementation straight from the standard: weights 3^i mod 31, C18 = 31 - (Σ mod 31)."""
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(charset.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return charset[(31 - total % 31) % 31]


def with_check(first17: str) -> str:
    return first17 + reference_check_character(first17)


# Published codes of well-known companies (printed on their business licences / annual reports).
PUBLISHED = [
    pytest.param("914403001922038216", id="huawei-technologies"),
    pytest.param("91440300708461136T", id="shenzhen-tencent-computer-systems"),
    pytest.param("91330100799655058B", id="alibaba-china"),
    pytest.param("91110108551385082Q", id="xiaomi-technology"),
    pytest.param("91110000802100433B", id="beijing-baidu-netcom"),
]


def test_charset_and_weights_follow_the_standard():
    assert len(CREDIT_CODE_CHARSET) == 31
    assert not set("IOZSV") & set(CREDIT_CODE_CHARSET)
    assert CREDIT_CODE_WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    # The reference implementation agrees with the published check character, and so does the validator.
    assert reference_check_character(code[:17]) == code[17]
    assert credit_code_check_character(code[:17]) == code[17]
    validate_credit_code(code)


@pytest.mark.parametrize(
    "first17",
    [
        "91510502MA6201234",  # company, Jiangyang district (泸州江阳)
        "12510500MB0123456",  # public institution (事业单位)
        "52520102MJY000001",  # social organisation
        "92510504MA0000001",  # individual business
        "91110000000000000",
        "9151050273459201X",
    ],
)
def test_computed_codes_are_valid_and_lowercase_is_accepted(first17):
    code = with_check(first17)
    assert credit_code_check_character(first17) == code[17]
    validate_credit_code(code)
    validate_credit_code(f"  {code.lower()}  ")  # the form strips and upper-cases


@pytest.mark.parametrize(
    "value, n",
    [
        ("", 0),
        ("91510502MA620123", 16),
        ("91510502MA6201234", 17),
        ("914403001922038216X", 19),
        ("914403001922038216" * 2, 36),
    ],
)
def test_wrong_length(value, n):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    assert exc.value.code == "length"
    assert exc.value.params["n"] == n
    assert str(n) in exc.value.messages[0]


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters(letter):
    code = "91510502MA620123" + letter + "4"  # 18 characters, the forbidden one in the body
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == "charset"
    assert letter in exc.value.messages[0]


@pytest.mark.parametrize("bad", ["!", "-", "中"])
def test_other_foreign_characters(bad):
    code = "91510502MA62012" + bad + "34"
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == "charset"
    assert bad in exc.value.messages[0]


@pytest.mark.parametrize(
    "first17",
    [
        "91A10502MA6201234",  # position 3
        "9151050BMA6201234",  # position 8
        "915105X2MA6201234",
    ],
)
def test_region_part_must_be_digits(first17):
    code = with_check(first17)  # a correct check character: only the region part is wrong
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == "region"


@pytest.mark.parametrize("code", [p.values[0] for p in PUBLISHED] + [with_check("91510502MA6201234")])
def test_wrong_check_character_names_the_expected_one(code):
    expected = code[17]
    wrong = next(c for c in CREDIT_CODE_CHARSET if c != expected)
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code[:17] + wrong)
    assert exc.value.code == "check"
    assert exc.value.params == {"expected": expected, "got": wrong}
    message = exc.value.messages[0]
    assert expected in message and wrong in message


@pytest.mark.parametrize("position", [0, 5, 10, 16])
def test_single_typo_in_body_is_caught(position):
    code = "914403001922038216"
    original = code[position]
    typo = "1" if original != "1" else "2"
    mistyped = code[:position] + typo + code[position + 1 :]
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(mistyped)
    assert exc.value.code in {"check", "region"}


@pytest.mark.parametrize(
    "phone",
    ["13800000000", "0830-1234567", "0830 1234567", "1234567", "8613800000000", "028-88886666"],
)
def test_valid_phones(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    ["", "123456", "12345678901234", "138-0000-000a", "phone", "+8613800000000", "13800000000 ext 1"],
)
def test_invalid_phones(phone):
    with pytest.raises(ValidationError) as exc:
        validate_phone(phone)
    assert exc.value.code == "phone"
