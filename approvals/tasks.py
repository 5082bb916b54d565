"""Delivery of notifications through external channels.

``deliver_notifications`` runs right after the decision commits; ``deliver_pending_notifications`` (beat,
every minute) picks up whatever that missed (worker down, channel failing). Both claim rows with
``SELECT … FOR UPDATE SKIP LOCKED`` and skip rows no longer pending, so running them twice or at once
sends each delivery at most once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from safety.tenancy import scopes_disabled

from .channels import channel_for
from .models import NotificationDelivery

log = logging.getLogger(__name__)
BATCH = 100
# The sweep leaves fresh rows to the task enqueued on commit.
SWEEP_GRACE = timedelta(minutes=1)


def _deliver(qs) -> int:
    sent = 0
    with transaction.atomic():
        claimed = list(
            qs.filter(status=NotificationDelivery.Status.PENDING)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient")[:BATCH]
        )
        for delivery in claimed:
            delivery.attempts += 1
            try:
                channel_for(delivery.channel).send(delivery.notification)
            except Exception as exc:  # a channel's failure must not stop the others
                log.warning("notification delivery %s via %s failed: %s", delivery.pk, delivery.channel, exc)
                delivery.last_error = str(exc)[:1000]
                if delivery.attempts >= NotificationDelivery.MAX_ATTEMPTS:
                    delivery.status = NotificationDelivery.Status.FAILED
            else:
                delivery.status = NotificationDelivery.Status.SENT
                delivery.last_error = ""
                sent += 1
            delivery.save(update_fields=["attempts", "status", "last_error", "updated_at"])
    return sent


@shared_task
def deliver_notifications(delivery_ids: list[int]) -> int:
    with scopes_disabled():
        return _deliver(NotificationDelivery.objects.filter(pk__in=delivery_ids))


@shared_task
def deliver_pending_notifications() -> int:
    total = 0
    with scopes_disabled():
        while True:
            cutoff = timezone.now() - SWEEP_GRACE
            sent_before = total
            batch = NotificationDelivery.objects.filter(updated_at__lt=cutoff).order_by("updated_at")
            if not batch.filter(status=NotificationDelivery.Status.PENDING).exists():
                break
            total += _deliver(batch)
            if total == sent_before:  # everything left is failing or claimed by another worker
                break
    return total
