"""The to-do inbox (待办事项). Each app registers providers of what awaits an actor.

A provider returns a scoped queryset of items awaiting the actor (or None when the actor has none of that
kind), plus how to show one item. The top bar shows the sum of the counts: one COUNT per provider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from safety.actors import Actor


@dataclass
class InboxItem:
    title: str
    url: str
    subtitle: str = ""
    since: datetime | None = None


@dataclass
class InboxProvider:
    key: str
    title: Any  # lazy translation
    queryset: Callable[[Actor], QuerySet | None]
    item: Callable[[Any], InboxItem]
    list_url: Callable[[Actor], str] | None = None


@dataclass
class InboxSection:
    provider: InboxProvider
    count: int
    items: list[InboxItem]
    url: str


_providers: dict[str, InboxProvider] = {}


def register(provider: InboxProvider) -> InboxProvider:
    _providers[provider.key] = provider
    return provider


def providers() -> list[InboxProvider]:
    return list(_providers.values())


# The top bar's badge runs on every page: each provider counts at most this many rows (a COUNT over a LIMIT
# subquery), so a page's cost does not grow with a table of a million hazards; the badge then reads "99+".
BADGE_CAP = 100


def inbox_count(actor: Actor) -> int:
    """What awaits the actor, up to BADGE_CAP (the badge shows "99+" from there)."""
    if not actor.is_authenticated or actor.membership is None:
        return 0
    total = 0
    for provider in _providers.values():
        qs = provider.queryset(actor)
        if qs is not None:
            total += qs.order_by()[:BADGE_CAP].count()
        if total >= BADGE_CAP:
            return BADGE_CAP
    return total


def inbox_sections(actor: Actor, limit: int = 20) -> list[InboxSection]:
    sections = []
    if not actor.is_authenticated or actor.membership is None:
        return sections
    for provider in _providers.values():
        qs = provider.queryset(actor)
        if qs is None:
            continue
        rows = list(qs[: limit + 1])
        count = len(rows) if len(rows) <= limit else qs.count()
        if count:
            sections.append(
                InboxSection(
                    provider=provider,
                    count=count,
                    items=[provider.item(r) for r in rows[:limit]],
                    url=provider.list_url(actor) if provider.list_url else "",
                )
            )
    return sections
