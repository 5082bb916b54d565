"""Expiry of licences and staff certificates: the pure rule, and the SQL filters that agree with it.

A document with an end date ``valid_until`` is

    valid     while more than ``window`` days are left,
    expiring  from ``window`` days before the end date up to and including the end date itself
              (a licence "valid until 2026-05-01" may still be used on 1 May),
    expired   from the day after the end date.

A long-term document (长期) or one without an end date is always valid. The daily reminder job and every
list compute the state from the dates with these functions, so a list is right even on a day the job has
not run yet; the stored ``reminder_stage`` only records which reminder has been sent.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q

from .models import ReminderStage

# Stages only move forward between reminders; a renewal moves a document back to the start.
STAGE_ORDER: dict[str, int] = {ReminderStage.NONE: 0, ReminderStage.EXPIRING: 1, ReminderStage.EXPIRED: 2}


def reminder_window() -> int:
    """Days before the end date from which a document counts as expiring (settings.LICENCE_REMINDER_DAYS)."""
    return int(settings.LICENCE_REMINDER_DAYS)


def reminder_stage_for(valid_until: date | None, long_term: bool, today: date, window: int) -> ReminderStage:
    """The stage a document is in on ``today``. Pure: no clock, no settings, no database."""
    if window < 0:
        raise ValueError("the reminder window cannot be negative")
    if long_term or valid_until is None:
        return ReminderStage.NONE
    if valid_until < today:
        return ReminderStage.EXPIRED
    if valid_until <= today + timedelta(days=window):
        return ReminderStage.EXPIRING
    return ReminderStage.NONE


def days_left(valid_until: date | None, today: date) -> int | None:
    """Days until the end date (0 on the last valid day); negative once expired, by the days overdue."""
    return None if valid_until is None else (valid_until - today).days


def is_ahead(new: str, old: str) -> bool:
    return STAGE_ORDER[new] > STAGE_ORDER[old]


def stage_after_edit(stored: str, computed: str) -> str:
    """The stage to store when a document's end date is edited.

    A renewal moves the stage back to what the new dates say (so the next expiry is reminded again); it never
    moves it forward, so the job still sends the reminder of a stage the edit reached, and a mere correction
    within the same stage sends nothing twice.
    """
    return computed if is_ahead(stored, computed) else stored


# The same rule as SQL filters, for lists and for the job's claim query. ``end`` names the date field
# (Licence.valid_until, Certificate.expires_on); ``long_term`` the long-term flag if the model has one.


def expired_q(today: date, *, end: str = "valid_until", long_term: str | None = "long_term") -> Q:
    q = Q(**{f"{end}__lt": today})
    return q & Q(**{long_term: False}) if long_term else q


def expiring_q(today: date, window: int, *, end: str = "valid_until", long_term: str | None = "long_term") -> Q:
    q = Q(**{f"{end}__gte": today, f"{end}__lte": today + timedelta(days=window)})
    return q & Q(**{long_term: False}) if long_term else q


def valid_q(today: date, window: int, *, end: str = "valid_until", long_term: str | None = "long_term") -> Q:
    """Computed stage NONE: long-term, no end date, or more than ``window`` days left."""
    q = Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": today + timedelta(days=window)})
    return q | Q(**{long_term: True}) if long_term else q


def dated_valid_q(today: date, window: int, *, end: str = "valid_until", long_term: str = "long_term") -> Q:
    """Valid with an end date more than ``window`` days away (lists show long-term documents apart)."""
    return Q(**{f"{end}__gt": today + timedelta(days=window), long_term: False})


def stage_behind_or_stale_q(
    today: date, window: int, *, end: str = "valid_until", long_term: str | None = "long_term"
) -> Q:
    """Rows whose stored ``reminder_stage`` differs from the computed one (the job's work list)."""
    kw = {"end": end, "long_term": long_term}
    return (
        (expired_q(today, **kw) & ~Q(reminder_stage=ReminderStage.EXPIRED))
        | (expiring_q(today, window, **kw) & ~Q(reminder_stage=ReminderStage.EXPIRING))
        | (valid_q(today, window, **kw) & ~Q(reminder_stage=ReminderStage.NONE))
    )
