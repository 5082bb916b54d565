"""The weekly waste collection's calendar (seed 000: 每周四回收, 每周三晚前登记), in Asia/Shanghai time.

    Mon Tue Wed ──────────────► Thu (collection)
    registrations for Thursday D close at Wednesday D-1 23:59 (inclusive of the whole minute):
    from Thursday 00:00 on, registrations go to the next Thursday's collection.

Pure functions (no database), so the rules are tested as tables.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY = 3  # date.weekday()
# The last instant a registration is accepted: the whole 23:59 minute of the day before the collection.
END_OF_DEADLINE_MINUTE = {"second": 59, "microsecond": 999999}


def local(moment: datetime | None = None) -> datetime:
    return (moment or timezone.now()).astimezone(SHANGHAI)


def next_collection_date(moment: datetime | None = None) -> date:
    """The Thursday whose registrations are open at ``moment``: this week's until Wednesday 23:59, then the
    following week's (a Thursday itself already registers for the next Thursday)."""
    today = local(moment).date()
    days = (THURSDAY - today.weekday()) % 7
    return today + timedelta(days=days or 7)


def default_deadline(collection_date: date) -> datetime:
    """The day before the collection, 23:59 (to the end of that minute), Asia/Shanghai."""
    return end_of_minute(datetime.combine(collection_date - timedelta(days=1), time(23, 59), tzinfo=SHANGHAI))


def end_of_minute(moment: datetime) -> datetime:
    """A deadline shown as HH:MM accepts registrations through that whole minute."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.replace(**END_OF_DEADLINE_MINUTE)


def is_open(deadline: datetime, moment: datetime | None = None) -> bool:
    return (moment or timezone.now()) <= deadline


def week_of(collection_date: date) -> tuple[date, date]:
    """Monday and Sunday of the collection's week: the scheduler makes one collection a week, so a
    collection the centre moved (say to Friday) stands in for that week's Thursday."""
    monday = collection_date - timedelta(days=collection_date.weekday())
    return monday, monday + timedelta(days=6)
