"""Fail-closed tenancy.

Every tenant-owned model uses ``TenantManager`` as its default manager. Its queries are filtered to the
enterprises of the scope that is active (django-scopes' context state); with no scope active they raise
``ScopeError`` instead of returning every tenant's rows. The request middleware opens the scope derived
from the actor; Celery tasks and management commands open ``scopes_disabled()`` explicitly.

A scope value is either a list of enterprise ids or a queryset of ids (a government jurisdiction, used as a
subquery so thousands of enterprises cost nothing). ``None`` is refused: django-scopes would read it as
"no filter", which is the fail-open we must not have.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import models
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError
from django_scopes.state import get_scope

if TYPE_CHECKING:
    from .actors import Actor

__all__ = ["ScopeError", "TenantManager", "actor_scope", "scope", "scopes_disabled", "current_enterprise_filter"]

DIMENSION = "enterprise"


def current_enterprise_filter() -> Any | None:
    """The active scope's enterprise ids (list or id queryset); None when scopes are disabled.

    Raises ScopeError when no scope is active at all.
    """
    state = get_scope()
    if not state.get("_enabled", True):
        return None
    if DIMENSION not in state:
        raise ScopeError("A tenant scope must be active for this query (see safety.tenancy).")
    value = state[DIMENSION]
    if value is None:
        raise ScopeError("A tenant scope of None is not allowed; use [] for 'nothing'.")
    return value


class TenantManager(models.Manager):
    """Default manager of tenant-owned rows: filters by ``tenant_field`` to the active scope."""

    def __init__(self, tenant_field: str = "enterprise") -> None:
        super().__init__()
        self.tenant_field = tenant_field

    def deconstruct(self):  # keep migrations free of the argument's noise
        return (False, "safety.tenancy.TenantManager", None, (self.tenant_field,), {})

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        ids = current_enterprise_filter()
        if ids is None:
            return qs
        return qs.filter(**{f"{self.tenant_field}__in": ids})


@contextmanager
def actor_scope(actor: Actor):
    """Open the scope an actor may see: nothing, its enterprise, its jurisdiction, or all (superuser, system).

    Nesting is fine: services open their actor's scope themselves, so they are safe to call from a view (scope
    already open), a Celery task or a test alike.
    """
    if actor.is_system or actor.is_platform_admin:
        with scopes_disabled():
            yield
        return
    with scope(**{DIMENSION: actor.enterprise_ids()}):
        yield


def _client_ip(request) -> str | None:
    from django.conf import settings

    # X-Forwarded-For is forgeable by anyone reaching the app directly: trusted only when the deployment says
    # a proxy in front overwrites it (settings.USE_X_FORWARDED_FOR); then its first hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") if settings.USE_X_FORWARDED_FOR else None
    if forwarded:
        return forwarded.split(",")[0].strip()[:45]
    return request.META.get("REMOTE_ADDR")


ACTIVE_MEMBERSHIP_SESSION_KEY = "active_membership_id"


def resolve_actor(request) -> Actor:
    from .actors import Actor

    user = request.user
    ip = _client_ip(request)
    if not user.is_authenticated:
        return Actor(user=user, ip=ip)
    from enterprises.selectors import memberships_for_user

    memberships = memberships_for_user(user)
    chosen = None
    wanted = request.session.get(ACTIVE_MEMBERSHIP_SESSION_KEY)
    for m in memberships:
        if m.pk == wanted and m.is_active:
            chosen = m
            break
    if chosen is None:
        chosen = next((m for m in memberships if m.is_active), None)
    actor = Actor(user=user, membership=chosen, ip=ip)
    actor._cache["memberships"] = memberships
    return actor


class ActorMiddleware:
    """Attach ``request.actor`` and run the whole request (template rendering included) in its scope."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        # Resolving memberships queries tenant-owned rows, so it needs the scope of the user itself.
        with scopes_disabled():
            request.actor = resolve_actor(request)
        with actor_scope(request.actor):
            return self.get_response(request)
