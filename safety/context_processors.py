from __future__ import annotations

from django.conf import settings

from .menus import menu_for


def shell(request) -> dict:
    """What the page shell needs: the actor, its menu, the organisation switcher and the counts."""
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_authenticated:
        return {"actor": actor, "SITE_TITLE": settings.VERBOSE_NAMES["site_title"]}
    from approvals.inbox import inbox_count
    from approvals.selectors import unread_count

    return {
        "actor": actor,
        "SITE_TITLE": settings.VERBOSE_NAMES["site_title"],
        "menu": menu_for(actor),
        "memberships": [m for m in actor._cache.get("memberships", []) if m.is_active],
        "inbox_count": inbox_count(actor),
        "unread_count": unread_count(actor.user),
    }
