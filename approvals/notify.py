"""Send a notification: the in-app rows are written in the caller's transaction (so a decision and its
notifications commit or vanish together); external deliveries are sent by Celery after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from .models import Notification, NotificationDelivery


def notify(*, recipients: Iterable[Any], title: str, body: str = "", url: str = "") -> list[Notification]:
    from .channels import configured_channels

    seen: set[int] = set()
    created: list[Notification] = []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        created.append(Notification(recipient=user, title=str(title)[:200], body=str(body), url=url))
    if not created:
        return []
    Notification.objects.bulk_create(created)
    deliveries = [
        NotificationDelivery(notification=n, channel=path)
        for n in created
        for path, channel in configured_channels()
        if channel.applies_to(n)
    ]
    if deliveries:
        NotificationDelivery.objects.bulk_create(deliveries)
        ids = [d.pk for d in deliveries]

        def enqueue() -> None:
            from .tasks import deliver_notifications

            deliver_notifications.delay(ids)

        transaction.on_commit(enqueue)
    return created
