"""Template filters of the risk area."""

from __future__ import annotations

from django import template

from hazards.grading import format_value

register = template.Library()


@register.filter
def plain_number(value) -> str:
    """10.00 → "10", 0.50 → "0.5" (Decimal.normalize would write 1E+1)."""
    if value is None or value == "":
        return ""
    return format_value(value)
