"""Scheduled work of the chemicals service (beat only enqueues; sweeps claim rows with SKIP LOCKED in
batches and are idempotent)."""

from __future__ import annotations

from celery import shared_task

# ==== area: catalogue ====


# ==== area: purchase ====


# ==== area: requisition ====


# ==== area: ledger ====


# ==== area: waste ====
# The name beat schedules (safety/settings.py CELERY_BEAT_SCHEDULE).
WASTE_COLLECTIONS_TASK = "chemicals.tasks.ensure_waste_collections"


@shared_task(name=WASTE_COLLECTIONS_TASK)
def ensure_waste_collections() -> dict[str, int]:
    """Daily just after midnight (beat): next Thursday's waste collection for every university with routes, and
    collections past their registration deadline closed. The work is services.ensure_waste_collections
    (idempotent; closing claims its rows with SKIP LOCKED), so a duplicate delivery or two workers do no harm."""
    from .services import ensure_waste_collections as ensure

    return ensure()


# ==== area: termination ====
# The name beat schedules (safety/settings.py CELERY_BEAT_SCHEDULE).
TERMINATE_OVERDUE_TASK = "chemicals.tasks.terminate_overdue_orders"


@shared_task(name=TERMINATE_OVERDUE_TASK)
def terminate_overdue_orders() -> dict[str, int]:
    """Daily, just after midnight Asia/Shanghai (beat): the auto-termination of overdue requisitions and
    purchase requests. The work, its locking and idempotence are in chemicals.services."""
    from .services import terminate_overdue_orders as sweep

    return sweep()


# ==== area: majorhazards ====


# ==== area: figures ====
