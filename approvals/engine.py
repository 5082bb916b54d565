"""The one service path for every reviewed state change.

    scope + permission check → row lock → django-fsm transition → save → review record → operation log
    → notifications (rows now, external deliveries on commit)

Concurrent decisions on one subject serialise on the row lock; the loser finds the subject no longer in a
state the transition accepts and gets ``TransitionRefused`` with a message naming who decided and when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from safety.tenancy import actor_scope

from . import audit
from .models import OperationLog, ReviewRecord
from .notify import notify

if TYPE_CHECKING:
    from safety.actors import Actor


class TransitionRefused(Exception):
    """A decision that cannot be taken now; ``message`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Notice:
    """A notification to send once the decision commits."""

    recipients: Iterable[Any]
    title: str
    body: str = ""
    url: str = ""


def lock_subject(queryset: models.QuerySet, pk: Any) -> models.Model:
    """Fetch and lock one row through a scoped queryset: an outsider's id is simply not found (404)."""
    try:
        return queryset.select_for_update(of=("self",)).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _latest_record(subject: models.Model) -> ReviewRecord | None:
    from django.contrib.contenttypes.models import ContentType

    from safety.tenancy import scopes_disabled

    # The subject came through the actor's scoped queryset, so its record is the actor's to read; an
    # applicant before approval has no tenant scope yet (see approvals.selectors.review_records_for).
    with scopes_disabled():
        return (
            ReviewRecord.objects.filter(subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk)
            .order_by("-created_at", "-pk")
            .first()
        )


def already_decided_message(subject: models.Model, state_field: str) -> str:
    state = getattr(subject, f"get_{state_field}_display")()
    last = _latest_record(subject)
    if last is None:
        return _("This item is now “%(state)s”; the action is no longer possible.") % {"state": state}
    return _("This item is now “%(state)s”: %(who)s decided “%(decision)s” at %(when)s. Reload the page to see it.") % {
        "state": state,
        "who": last.reviewer_name or _("the system"),
        "decision": last.get_decision_display(),
        "when": formats.date_format(timezone.localtime(last.created_at), "Y-m-d H:i:s"),
    }


def record_review(
    *,
    actor: Actor,
    subject: models.Model,
    node: str,
    decision: str,
    reason: str = "",
    node_name: str = "",
    from_state: str = "",
    to_state: str = "",
) -> ReviewRecord:
    return ReviewRecord.objects.create(
        enterprise_id=subject.enterprise_id,
        subject=subject,
        node=node,
        node_name=node_name[:100],
        reviewer=None if actor.is_system else actor.user,
        reviewer_name="" if actor.is_system else actor.display_name[:100],
        decision=decision,
        reason=reason,
        from_state=from_state,
        to_state=to_state,
    )


def perform_transition(
    *,
    actor: Actor,
    queryset: models.QuerySet,
    pk: Any,
    transition: str,
    node: str,
    decision: str,
    reason: str = "",
    node_name: str = "",
    state_field: str = "status",
    check: Callable[[Any], bool] | None = None,
    transition_kwargs: dict | None = None,
    before_save: Callable[[Any], None] | None = None,
    notices: Callable[[Any], Iterable[Notice]] | None = None,
) -> Any:
    """Run one reviewed transition. Returns the saved subject.

    ``queryset`` must already be scoped to the actor (a selector's result). ``check(subject)`` returns
    whether this actor may take the decision; a refusal is 403 (the actor can see the item, so nothing
    leaks). ``before_save`` applies edits that go with the decision (e.g. a reviewer's corrections).
    """
    with actor_scope(actor), transaction.atomic():
        subject = lock_subject(queryset, pk)
        if check is not None and not check(subject):
            raise PermissionDenied(_("You may not take this decision."))
        method = getattr(subject, transition)
        if not can_proceed(method):
            raise TransitionRefused(already_decided_message(subject, state_field))
        from_state = getattr(subject, state_field)
        method(**(transition_kwargs or {}))
        if before_save is not None:
            before_save(subject)
        subject.save()
        to_state = getattr(subject, state_field)
        record_review(
            actor=actor,
            subject=subject,
            node=node,
            node_name=node_name,
            decision=decision,
            reason=reason,
            from_state=from_state,
            to_state=to_state,
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.TRANSITION,
            obj=subject,
            detail=f"{from_state} → {to_state}" + (f": {reason}" if reason else ""),
        )
        for notice in notices(subject) if notices else ():
            notify(recipients=notice.recipients, title=notice.title, body=notice.body, url=notice.url)
    return subject
