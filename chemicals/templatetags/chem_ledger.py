"""Template filters of the ledger pages: quantities without trailing zeros or exponents (500, 120.5, 0.001)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """A Decimal quantity as people write it: 500.000 → 500, 120.500 → 120.5 (never 5E+2)."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(value).normalize():f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
