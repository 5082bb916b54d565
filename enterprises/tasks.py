"""Scheduled work of the enterprise registry (beat only enqueues; each task claims its own rows)."""

from __future__ import annotations

# ==== area: profile ====

# ==== area: organisation ====

# ==== area: licences ====
# The name beat schedules (safety/settings.py CELERY_BEAT_SCHEDULE).
EXPIRY_REMINDERS_TASK = "enterprises.tasks.sweep_expiry_reminders"

from celery import shared_task  # noqa: E402


@shared_task(name=EXPIRY_REMINDERS_TASK)
def sweep_expiry_reminders() -> dict[str, int]:
    """Daily (beat, just after 00:30): licence and certificate expiry stages and their reminders.

    The work is services.expiry_reminders_sweep: it claims its rows itself, so a duplicate delivery of this
    task, or two workers running it at once, send each reminder once.
    """
    from dataclasses import asdict

    from .services import expiry_reminders_sweep

    return asdict(expiry_reminders_sweep())


# ==== area: university ====
