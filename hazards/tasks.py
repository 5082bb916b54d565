"""Scheduled work of dual prevention (beat only enqueues; sweeps claim rows with SKIP LOCKED, idempotent)."""

from __future__ import annotations

# ==== area: risk ====

# ==== area: lists ====
# isort: split
from celery import shared_task as _ls_shared_task  # noqa: E402

# The name beat schedules (safety/settings.py CELERY_BEAT_SCHEDULE).
INSPECTION_TASKS_TASK = "hazards.tasks.generate_inspection_tasks"


@_ls_shared_task(name=INSPECTION_TASKS_TASK)
def generate_inspection_tasks() -> dict[str, int]:
    """Daily, just after midnight (beat): today's inspection tasks of every filed list, and yesterday's (and
    older) undone tasks marked missed.

    The work is services.inspection_tasks_generate: the unique slot constraint makes a second run (a duplicate
    delivery, two workers at once) insert nothing, and the missed marking claims its rows with SKIP LOCKED.
    """
    from dataclasses import asdict

    from .services import inspection_tasks_generate

    return asdict(inspection_tasks_generate())


# ==== area: hazards ====
# isort: split
from celery import shared_task  # noqa: E402

# The name beat schedules (safety/settings.py CELERY_BEAT_SCHEDULE).
OVERDUE_SWEEP_TASK = "hazards.tasks.sweep_overdue_hazards"


@shared_task(name=OVERDUE_SWEEP_TASK)
def sweep_overdue_hazards() -> int:
    """Every few minutes (beat): mark overdue the open hazards whose deadline passed.

    The work is services.overdue_sweep: it claims its rows itself (SKIP LOCKED, re-checked under the lock), so a
    duplicate delivery, or two workers at once, mark each hazard once.
    """
    from .services import overdue_sweep

    return overdue_sweep()


PURGE_KEPT_PHOTOS_TASK = "hazards.tasks.purge_kept_hazard_photos"


@shared_task(name=PURGE_KEPT_PHOTOS_TASK)
def purge_kept_hazard_photos() -> int:
    """Daily (beat): delete photos kept from failed form submissions that nobody came back for (a day old)."""
    from .hazard_photos import purge_pending

    return purge_pending()


# ==== area: supervision ====
