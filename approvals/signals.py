from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from safety.tenancy import scopes_disabled

from .models import OperationLog


def _ip(request) -> str | None:
    if request is None:
        return None
    from safety.tenancy import _client_ip

    return _client_ip(request)


def _enterprise_and_body(user):
    from enterprises.selectors import memberships_for_user

    active = [m for m in memberships_for_user(user) if m.is_active]
    first = active[0] if active else None
    return (first.enterprise_id if first else None), (first.body_id if first else None)


def _log_session_event(request, user, action: str) -> None:
    if user is None:
        return
    with scopes_disabled():
        enterprise_id, body_id = _enterprise_and_body(user)
        OperationLog.objects.create(
            user=user,
            username=user.get_username(),
            enterprise_id=enterprise_id,
            body_id=body_id,
            action=action,
            ip=_ip(request),
        )


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs) -> None:
    _log_session_event(request, user, OperationLog.Action.LOGIN)


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs) -> None:
    _log_session_event(request, user, OperationLog.Action.LOGOUT)


@receiver(user_login_failed)
def log_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from django.contrib.auth import get_user_model

    username = str(credentials.get("username", ""))[:150]
    with scopes_disabled():
        # Attribute the attempt to the account's organisation, so its administrators see attacks on it.
        user = get_user_model().objects.filter(username=username).first() if username else None
        enterprise_id, body_id = _enterprise_and_body(user) if user else (None, None)
        OperationLog.objects.create(
            user=user,
            username=username,
            enterprise_id=enterprise_id,
            body_id=body_id,
            action=OperationLog.Action.LOGIN_FAILED,
            ip=_ip(request),
        )
