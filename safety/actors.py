"""The actor: who is acting, in which organisation and role. Built once per request by the middleware."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser

if TYPE_CHECKING:
    from enterprises.models import Enterprise, Membership, SupervisoryBody, User


@dataclass
class Actor:
    user: User | AnonymousUser
    membership: Membership | None = None
    ip: str | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    SYSTEM: Any = None  # set below: the actor of scheduled jobs

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def is_platform_admin(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False)) and self.membership is None

    @property
    def is_system(self) -> bool:
        return isinstance(self, _SystemActor)

    @property
    def enterprise(self) -> Enterprise | None:
        return self.membership.enterprise if self.membership and self.membership.enterprise_id else None

    @property
    def body(self) -> SupervisoryBody | None:
        return self.membership.body if self.membership and self.membership.body_id else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def side(self) -> str:
        """'government', 'university', 'enterprise', 'admin' or 'none' — picks the menu."""
        if self.body is not None:
            return "government"
        if self.enterprise is not None:
            return "university" if self.enterprise.is_university else "enterprise"
        if self.is_platform_admin:
            return "admin"
        return "none"

    def has_role(self, *roles: str) -> bool:
        return self.membership is not None and self.membership.is_active and self.membership.role in roles

    def can(self, feature: str) -> bool:
        """May this actor use a platform feature (safety.features)? Platform role defaults + custom roles."""
        from .features import actor_can

        return actor_can(self, feature)

    @cached_property
    def _enterprise_ids(self) -> Any:
        from enterprises.models import Enterprise

        if self.enterprise is not None and self.membership.is_active:
            # A deleted (soft-deleted) enterprise's users see nothing until the owning body restores it.
            return [] if self.enterprise.deleted_at else [self.enterprise.pk]
        if self.body is not None and self.membership.is_active:
            return Enterprise.unscoped.in_jurisdiction(self.body).values("pk")
        return []

    def enterprise_ids(self) -> Any:
        """Ids of the enterprises this actor may see: a list, or an id queryset for a jurisdiction."""
        if self.is_system:
            raise RuntimeError("The system actor runs with scopes disabled; it has no enterprise list.")
        return self._enterprise_ids

    @property
    def display_name(self) -> str:
        if self.is_system:
            return "system"
        return getattr(self.user, "display_name", None) or self.user.get_username()


class _SystemActor(Actor):
    pass


Actor.SYSTEM = _SystemActor(user=None)  # type: ignore[arg-type]
