"""Deadline rules of hidden hazards (DOMAIN.md "Hidden hazards"; seed 004 §隐患排查): pure functions.

- The rectification deadline defaults to one month after registration.
- A deadline today must carry its time of day (24-hour clock): the seed warns that everything — report and
  review — must be done by then. A later day given without a time means the end of that day.
- A deadline already passed is refused; so is an extension beyond ``EXTENSION_MAX`` from now.
- A hazard is past its deadline strictly after it (the model's ``is_past_deadline``): at the deadline itself the
  rectification may still be reported.
"""

from __future__ import annotations

from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import EXTENSION_MAX

END_OF_DAY = time(23, 59, 59)


def default_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + relativedelta(months=1)


def show(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def combine(day: date, at: time | None, *, now: datetime | None = None, field: str = "deadline_time") -> datetime:
    """The moment a form's date and (optional) time of day mean, in local time."""
    now = now or timezone.now()
    if at is None:
        if day == timezone.localdate(now):
            raise ValidationError(
                {
                    field: [
                        _(
                            "A deadline today needs a time of day (24-hour clock): by then the rectification must be "
                            "reported and reviewed."
                        )
                    ]
                }
            )
        at = END_OF_DAY
    return timezone.make_aware(datetime.combine(day, at))


def check_future(deadline: datetime, *, now: datetime | None = None, field: str = "deadline_date") -> None:
    now = now or timezone.now()
    if deadline <= now:
        raise ValidationError(
            {
                field: [
                    _("The deadline %(when)s has already passed: choose a later date or time.")
                    % {"when": show(deadline)}
                ]
            }
        )


def check_extension(deadline: datetime, *, now: datetime | None = None, field: str = "deadline_date") -> None:
    """A new deadline asked for or granted: in the future, and at most EXTENSION_MAX from now."""
    now = now or timezone.now()
    check_future(deadline, now=now, field=field)
    if deadline > now + EXTENSION_MAX:
        raise ValidationError(
            {
                field: [
                    _("An extension may run at most %(days)d days from today.") % {"days": EXTENSION_MAX.days},
                ]
            }
        )
