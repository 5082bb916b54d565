"""Validators for identifiers defined by national standards."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: the unified social credit code. 18 characters from this 31-character set (no I, O, Z, S, V);
# the 18th is a check character over the first 17 with weights 3^i mod 31.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Raise ValidationError naming exactly what is wrong with a unified social credit code."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="length",
            params={"n": len(code)},
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain %(chars)s (the letters I, O, Z, S, V are never used)."),
            code="charset",
            params={"chars": "、".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of a unified social credit code are the region code and must be digits."),
            code="region",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character (the last one) should be %(expected)s, not %(got)s: please check for a typo."),
            code="check",
            params={"expected": expected, "got": code[17]},
        )


def validate_phone(value: str) -> None:
    digits = (value or "").replace("-", "").replace(" ", "")
    if not digits.isdigit() or not 7 <= len(digits) <= 13:
        raise ValidationError(_("Enter a mobile number (11 digits) or a landline such as 0830-1234567."), code="phone")
