"""The operation log (系统日志). Services call ``log_operation`` inside their transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import OperationLog

if TYPE_CHECKING:
    from safety.actors import Actor


def log_operation(
    *,
    actor: Actor | None,
    action: str,
    obj: Any = None,
    enterprise_id: int | None = None,
    detail: str = "",
    user: Any = None,
    ip: str | None = None,
) -> OperationLog:
    if enterprise_id is None and obj is not None:
        enterprise_id = getattr(obj, "enterprise_id", None)
    if enterprise_id is None and actor is not None and actor.membership is not None:
        # An action on no particular object (an export, say) belongs to the actor's own tenant, so that the
        # tenant's administrator finds it in the tenant's log.
        enterprise_id = actor.membership.enterprise_id
    if actor is not None and not actor.is_system:
        user = actor.user if getattr(actor.user, "is_authenticated", False) else user
        ip = ip or actor.ip
    body_id = actor.membership.body_id if actor is not None and actor.membership is not None else None
    return OperationLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=(
            user.get_username() if getattr(user, "pk", None) else ("system" if actor and actor.is_system else "")
        )[:150],
        enterprise_id=enterprise_id,
        body_id=body_id,
        action=action,
        object_type=obj._meta.verbose_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=detail[:2000],
        ip=ip,
    )
