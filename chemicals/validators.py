"""CAS registry numbers: NNNNNNN-NN-R, where R is the check digit.

The check digit is the sum of every other digit times its position counted from the right (the digit
before the check digit is position 1), modulo 10: for 7732-18-5 (water), 8·1 + 1·2 + 2·3 + 3·4 + 7·5 + 7·6
= 105, and 105 mod 10 = 5.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CAS_PATTERN = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")


def cas_check_digit(digits: str) -> int:
    """The check digit for the digits before it (without hyphens)."""
    return sum(int(d) * i for i, d in enumerate(reversed(digits), start=1)) % 10


def normalise_cas_number(value: str) -> str:
    """Trim spaces and full-width hyphens people paste from Chinese documents."""
    return (value or "").strip().replace("－", "-").replace("—", "-").replace("–", "-").replace(" ", "")


def validate_cas_number(value: str) -> None:
    value = normalise_cas_number(value)
    match = CAS_PATTERN.match(value)
    if not match:
        raise ValidationError(
            _("“%(value)s” is not a CAS number: it must look like 7732-18-5 (2–7 digits, 2 digits, 1 check digit)."),
            code="cas_format",
            params={"value": value},
        )
    head, middle, check = match.groups()
    if head.startswith("0"):
        raise ValidationError(_("A CAS number does not start with 0."), code="cas_format")
    expected = cas_check_digit(head + middle)
    if int(check) != expected:
        raise ValidationError(
            _("CAS number %(value)s fails its check digit: the last digit should be %(expected)s."),
            code="cas_check_digit",
            params={"value": value, "expected": expected},
        )
