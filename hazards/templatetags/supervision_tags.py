"""Government home cards of the supervision area (templates/enterprises/government_home.html includes them)."""

from __future__ import annotations

from django import template

from .. import selectors, supervision

register = template.Library()

HOME_CARD_LIMIT = 99  # bounded counts ("99+"): the home page never COUNTs a queue


@register.inclusion_tag("hazards/supervision/_home_cards.html", takes_context=True)
def supervision_home_cards(context) -> dict:
    actor = context["request"].actor
    if actor.body is None or not actor.membership.is_active:
        return {"cards": []}
    cards = []
    for tab in ("overdue", "listed", "review"):
        n, more = supervision.bounded_count(selectors.supervision_queue(actor, tab), HOME_CARD_LIMIT)
        cards.append({"tab": tab, "count": f"{n}+" if more else n})
    return {"cards": cards}
