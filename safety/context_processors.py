from __future__ import annotations

from django.conf import settings

from .menus import menu_for


def shell(request) -> dict:
    """What the page shell needs: the actor, its menu, the organisation switcher and the counts."""
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_authenticated:
        return {"actor": actor, "SITE_TITLE": settings.VERBOSE_NAMES["site_title"]}
    # Computed once per request: templates rendered with the request inside the page (django-tables2's
    # {% render_table %}) run the context processors again, which cost the counts' queries twice.
    cached = getattr(request, "_shell_context", None)
    if cached is not None:
        return cached
    from approvals.inbox import inbox_count
    from approvals.selectors import unread_count

    request._shell_context = {
        "actor": actor,
        "SITE_TITLE": settings.VERBOSE_NAMES["site_title"],
        "menu": menu_for(actor),
        "memberships": [m for m in actor._cache.get("memberships", []) if m.is_active],
        "inbox_count": inbox_count(actor),
        "unread_count": unread_count(actor.user),
    }
    return request._shell_context
