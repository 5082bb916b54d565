"""The three-tier audit (三级审核) of purchase requests and requisitions: who may see an order, who decides
each step, and the services that submit, review and withdraw (shared by both kinds of order).

    step 1 draft ─submit→ 2 lab review ─→ 3 college review ─→ 4 office review ─→ 5 approved
                            (supervising teacher for a student, the lab head for a teacher; a lab head's
                             own order passes the lab step at once, recorded as such)
    any review step ─reject (reason)→ rejected ─fix and resubmit→ 2
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from approvals import audit
from approvals.engine import Notice, TransitionRefused, lock_subject, perform_transition, record_review
from approvals.models import Decision, Node, OperationLog
from approvals.notify import notify
from enterprises.models import Department, Enterprise, Membership, User
from safety.tenancy import actor_scope

from .models import OrderStatus, PurchaseRequest, Requisition, ThreeTierOrder

if TYPE_CHECKING:
    from safety.actors import Actor

S = OrderStatus
R = Membership.Role
# Who sees every order of the university.
CENTRAL_ROLES = (R.ENTERPRISE_ADMIN, R.LAB_SAFETY_OFFICER, R.CENTRE_STAFF)
ORDER_MODELS: tuple[type[ThreeTierOrder], ...] = (PurchaseRequest, Requisition)


# ---- people ------------------------------------------------------------------------------------------


def _university_membership(user: User, enterprise_id: int) -> Membership | None:
    return (
        Membership.objects.filter(user=user, enterprise_id=enterprise_id, status=Membership.Status.ACTIVE)
        .select_related("department")
        .first()
    )


def lab_reviewer(order: ThreeTierOrder) -> User | None:
    """The lab step's reviewer: a student's supervising teacher (who activated them), else the lab head."""
    membership = _university_membership(order.submitter, order.enterprise_id)
    if membership is not None and membership.role == R.STUDENT and membership.supervisor_id:
        return membership.supervisor
    return order.lab.head


def college_reviewers(order: ThreeTierOrder) -> QuerySet[User]:
    """The college administrators of the order's lab's college."""
    return User.objects.filter(
        memberships__enterprise_id=order.enterprise_id,
        memberships__role=R.COLLEGE_ADMIN,
        memberships__status=Membership.Status.ACTIVE,
        memberships__department_id=order.lab.parent_id,
    ).distinct()


def office_reviewers(enterprise_id: int) -> QuerySet[User]:
    return User.objects.filter(
        memberships__enterprise_id=enterprise_id,
        memberships__role=R.LAB_SAFETY_OFFICER,
        memberships__status=Membership.Status.ACTIVE,
    ).distinct()


def centre_staff(enterprise_id: int) -> QuerySet[User]:
    return User.objects.filter(
        memberships__enterprise_id=enterprise_id,
        memberships__role=R.CENTRE_STAFF,
        memberships__status=Membership.Status.ACTIVE,
    ).distinct()


def _actor_university(actor: Actor) -> Enterprise | None:
    enterprise = actor.enterprise
    if enterprise is None or not enterprise.is_university or not actor.membership.is_active:
        return None
    return enterprise


def actor_lab_ids(actor: Actor) -> list[int]:
    """Labs the actor belongs to: its membership's lab and the labs it heads."""
    university = _actor_university(actor)
    if university is None:
        return []
    ids = set(
        Department.objects.filter(enterprise=university, kind=Department.Kind.LAB, head=actor.user).values_list(
            "pk", flat=True
        )
    )
    membership = actor.membership
    if membership.department_id and membership.role in (R.TEACHER, R.STUDENT):
        ids.add(membership.department_id)
    return sorted(ids)


def visible_lab_ids(actor: Actor) -> QuerySet | list[int] | None:
    """Labs whose chemicals the actor may see: None means every lab of its university."""
    university = _actor_university(actor)
    if university is None:
        return []
    if actor.role in CENTRAL_ROLES:
        return None
    if actor.role == R.COLLEGE_ADMIN:
        college_id = actor.membership.department_id
        if college_id is None:
            return []
        return (
            Department.objects.filter(enterprise=university, kind=Department.Kind.LAB)
            .filter(Q(parent_id=college_id) | Q(pk=college_id))
            .values("pk")
        )
    return actor_lab_ids(actor)


def lab_filter(actor: Actor, field: str = "lab") -> Q | None:
    """A Q limiting rows with a lab FK (``field``) to what the actor may see; None = nothing at all."""
    university = _actor_university(actor)
    if university is None:
        return None
    labs = visible_lab_ids(actor)
    q = Q(enterprise=university)
    if labs is None:
        return q
    return q & Q(**{f"{field}__in": labs})


def orders_for(actor: Actor, model: type[ThreeTierOrder]) -> QuerySet:
    """Orders the actor may open: its labs' (a student: its own), its college's, or all (central units);
    plus those it must review as a supervising teacher. Everything else is 404."""
    university = _actor_university(actor)
    if university is None:
        return model._base_manager.none()
    qs = model.objects.filter(enterprise=university)
    if actor.role in CENTRAL_ROLES:
        return qs
    if actor.role == R.STUDENT:
        return qs.filter(submitter=actor.user)
    if actor.role == R.COLLEGE_ADMIN:
        return qs.filter(lab__in=visible_lab_ids(actor))
    supervised = Membership.objects.filter(enterprise=university, role=R.STUDENT, supervisor=actor.user).values(
        "user_id"
    )
    return qs.filter(Q(lab__in=actor_lab_ids(actor)) | Q(submitter__in=supervised) | Q(submitter=actor.user))


def may_review(actor: Actor, order: ThreeTierOrder) -> bool:
    """Whether the actor decides the order's current step."""
    if _actor_university(actor) is None or actor.enterprise.pk != order.enterprise_id:
        return False
    if order.status == S.LAB_REVIEW:
        reviewer = lab_reviewer(order)
        return reviewer is not None and reviewer.pk == actor.user.pk
    if order.status == S.COLLEGE_REVIEW:
        return actor.role == R.COLLEGE_ADMIN and actor.membership.department_id == order.lab.parent_id
    if order.status == S.OFFICE_REVIEW:
        return actor.role == R.LAB_SAFETY_OFFICER
    return False


def awaiting_review(actor: Actor, model: type[ThreeTierOrder]) -> QuerySet | None:
    """Orders whose current step the actor decides (the to-do inbox and the review queue); None: the actor
    decides no step of any order (students, the centre)."""
    university = _actor_university(actor)
    if university is None or actor.role not in (R.LAB_SAFETY_OFFICER, R.COLLEGE_ADMIN, R.TEACHER):
        return None
    if actor.role == R.COLLEGE_ADMIN and actor.membership.department_id is None:
        return None
    qs = model.objects.filter(enterprise=university).select_related("lab", "submitter")
    if actor.role == R.LAB_SAFETY_OFFICER:
        return qs.filter(status=S.OFFICE_REVIEW)
    if actor.role == R.COLLEGE_ADMIN:
        return qs.filter(status=S.COLLEGE_REVIEW, lab__parent_id=actor.membership.department_id)
    # A teacher: its active students' orders, and teachers' orders in the labs it heads (students with a
    # supervisor go to that supervisor, not to the lab head).
    students = Membership.objects.filter(enterprise=university, role=R.STUDENT)
    mine = students.filter(supervisor=actor.user, status=Membership.Status.ACTIVE).values("user_id")
    supervised = students.exclude(supervisor__isnull=True).values("user_id")
    heads = Q(lab__head=actor.user) & ~Q(submitter__in=supervised)
    return qs.filter(status=S.LAB_REVIEW).filter(Q(submitter__in=mine) | heads)


NODE_OF_STATUS = {
    S.LAB_REVIEW: Node.LAB,
    S.COLLEGE_REVIEW: Node.COLLEGE,
    S.OFFICE_REVIEW: Node.LAB_SAFETY_OFFICE,
}
APPROVE_TRANSITION = {
    S.LAB_REVIEW: "approve_lab",
    S.COLLEGE_REVIEW: "approve_college",
    S.OFFICE_REVIEW: "approve_office",
}


def node_name(order: ThreeTierOrder, status: str) -> str:
    if status == S.LAB_REVIEW:
        return order.lab.name
    if status == S.COLLEGE_REVIEW:
        return order.lab.parent.name if order.lab.parent_id else ""
    return str(Node.LAB_SAFETY_OFFICE.label)


def order_url(order: ThreeTierOrder) -> str:
    name = "chemicals:purchase_request_detail" if isinstance(order, PurchaseRequest) else "chemicals:requisition_detail"
    return reverse(name, args=[order.pk])


def kind_label(order: ThreeTierOrder) -> str:
    return _("purchase request") if isinstance(order, PurchaseRequest) else _("requisition")


def next_reviewers(order: ThreeTierOrder) -> list[User]:
    if order.status == S.LAB_REVIEW:
        reviewer = lab_reviewer(order)
        return [reviewer] if reviewer else []
    if order.status == S.COLLEGE_REVIEW:
        return list(college_reviewers(order))
    if order.status == S.OFFICE_REVIEW:
        return list(office_reviewers(order.enterprise_id))
    if order.status == S.APPROVED:
        return list(centre_staff(order.enterprise_id))
    return []


def _new_item_notice(order: ThreeTierOrder) -> Notice:
    # Seed 000's wording: 有新的申领审核提交,请及时处理!
    return Notice(
        recipients=next_reviewers(order),
        title=_("A new %(kind)s awaits your review: %(number)s") % {"kind": kind_label(order), "number": order.number},
        url=order_url(order),
    )


# ---- services ----------------------------------------------------------------------------------------

# Checks a kind of order adds before a step (e.g. the unpaid-purchase block, the stock limit). Each returns a
# message refusing the step, or None. Registered by the purchase and requisition areas of chemicals.services.
SUBMIT_CHECKS: dict[type, list[Callable[[ThreeTierOrder], str | None]]] = {PurchaseRequest: [], Requisition: []}
REVIEW_CHECKS: dict[type, list[Callable[[ThreeTierOrder], str | None]]] = {PurchaseRequest: [], Requisition: []}


def _run_checks(checks: dict, order: ThreeTierOrder) -> None:
    for check in checks.get(type(order), ()):
        message = check(order)
        if message:
            raise TransitionRefused(message)


def order_submit(*, actor: Actor, model: type[ThreeTierOrder], pk: int) -> ThreeTierOrder:
    """Step 1 → 2 (or resubmission after a rejection). A lab head's own order passes the lab step at once."""
    with actor_scope(actor), transaction.atomic():
        order = lock_subject(orders_for(actor, model), pk)
        if order.submitter_id != actor.user.pk:
            raise PermissionDenied(_("Only the person who wrote the order submits it."))
        if not order.lines.exists():
            raise TransitionRefused(_("Add at least one chemical before submitting."))
        if order.status not in (S.DRAFT, S.REJECTED):
            from approvals.engine import already_decided_message

            raise TransitionRefused(already_decided_message(order, "status"))
        if lab_reviewer(order) is None:
            raise TransitionRefused(
                _("%(lab)s has no lab head to review it: ask the college to name the lab head first.")
                % {"lab": order.lab.name}
            )
        _run_checks(SUBMIT_CHECKS, order)
        decision = Decision.RESUBMIT if order.status == S.REJECTED else Decision.SUBMIT
        from_state = order.status
        order.submit()
        order.save()
        record_review(
            actor=actor,
            subject=order,
            node=Node.APPLICANT,
            decision=decision,
            from_state=from_state,
            to_state=order.status,
        )
        reviewer = lab_reviewer(order)
        if reviewer is not None and reviewer.pk == actor.user.pk:
            order.approve_lab()
            order.save()
            record_review(
                actor=actor,
                subject=order,
                node=Node.LAB,
                node_name=order.lab.name,
                decision=Decision.APPROVE,
                reason=_("Submitted by the lab head: the lab step passes."),
                from_state=S.LAB_REVIEW,
                to_state=order.status,
            )
        audit.log_operation(
            actor=actor, action=OperationLog.Action.TRANSITION, obj=order, detail=f"{from_state} → {order.status}"
        )
        notice = _new_item_notice(order)
        notify(recipients=notice.recipients, title=notice.title, url=notice.url)
    return order


def order_review(
    *,
    actor: Actor,
    model: type[ThreeTierOrder],
    pk: int,
    approve: bool,
    reason: str = "",
    seen_status: str | None = None,
) -> ThreeTierOrder:
    """Decide the current step: approve moves on (and tells the next reviewers); reject needs a reason and
    tells the submitter, who fixes the order and resubmits."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise TransitionRefused(_("Give the reason for the rejection: the submitter needs it to fix the order."))
    with actor_scope(actor), transaction.atomic():
        current = lock_subject(orders_for(actor, model), pk)
        status = current.status
        # The step the reviewer saw (the page's form): if another decision moved the order on meanwhile, say who
        # decided rather than refusing the reviewer for the next step's rights.
        if status not in NODE_OF_STATUS or (seen_status is not None and seen_status != status):
            from approvals.engine import already_decided_message

            raise TransitionRefused(already_decided_message(current, "status"))
        # Who decides comes before what blocks the decision: an outsider to this step learns nothing of the lab.
        if not may_review(actor, current):
            raise PermissionDenied(_("You may not take this decision."))
        if approve:
            _run_checks(REVIEW_CHECKS, current)

        def notices(order: ThreeTierOrder):
            if approve:
                yield _new_item_notice(order)
            else:
                yield Notice(
                    recipients=[order.submitter],
                    title=_("Your %(kind)s %(number)s was rejected")
                    % {"kind": kind_label(order), "number": order.number},
                    body=_("Reason: %(reason)s. Fix it and submit it again.") % {"reason": reason},
                    url=order_url(order),
                )

        return perform_transition(
            actor=actor,
            queryset=model.objects.filter(pk=current.pk),
            pk=current.pk,
            transition=APPROVE_TRANSITION[status] if approve else "reject",
            node=NODE_OF_STATUS[status],
            node_name=node_name(current, status),
            decision=Decision.APPROVE if approve else Decision.REJECT,
            reason=reason,
            check=lambda order: may_review(actor, order) and order.status == status,
            notices=notices,
        )


def order_withdraw(*, actor: Actor, model: type[ThreeTierOrder], pk: int) -> ThreeTierOrder:
    """The submitter takes back an order nobody has decided on yet (or a rejected one)."""
    with actor_scope(actor):  # orders_for reads the tenant scope when the queryset is built
        return perform_transition(
            actor=actor,
            queryset=orders_for(actor, model),
            pk=pk,
            transition="withdraw",
            node=Node.APPLICANT,
            decision=Decision.CANCEL,
            check=lambda order: order.submitter_id == actor.user.pk,
        )


# ---- payment (否 → 待确认 → 是) -----------------------------------------------------------------------

# What happens once the centre confirms a payment, per kind of order (registered by chemicals.services areas):
# a purchase request completes and its packages join the lab's own store.
PAYMENT_CONFIRMED: dict[type, Callable[[Actor, ThreeTierOrder], None]] = {}


def may_pay(actor: Actor, order: ThreeTierOrder) -> bool:
    """The submitter or a teacher of the order's lab pays (the lab pays once, 实验室一次性付款)."""
    if _actor_university(actor) is None:
        return False
    return order.submitter_id == actor.user.pk or (actor.role == R.TEACHER and order.lab_id in actor_lab_ids(actor))


def order_pay(*, actor: Actor, model: type[ThreeTierOrder], pk: int, reference: str = "") -> ThreeTierOrder:
    """The lab has paid (scanned the payment code): the centre is asked to confirm receipt."""
    reference = (reference or "").strip()[:60]

    def notices(order: ThreeTierOrder):
        yield Notice(
            recipients=list(centre_staff(order.enterprise_id)),
            title=_("Payment to confirm: %(number)s") % {"number": order.number},
            url=order_url(order),
        )

    with actor_scope(actor):  # orders_for reads the tenant scope when the queryset is built
        return perform_transition(
            actor=actor,
            queryset=orders_for(actor, model),
            pk=pk,
            transition="pay",
            transition_kwargs={"reference": reference},
            state_field="payment_status",
            node=Node.LAB,
            node_name="",
            decision=Decision.PAY,
            reason=reference,
            check=lambda order: may_pay(actor, order) and order.status == S.STOCKED,
            notices=notices,
        )


def order_confirm_payment(*, actor: Actor, model: type[ThreeTierOrder], pk: int) -> ThreeTierOrder:
    """The centre found the money (待确认 → 是); then the kind's own follow-up (PAYMENT_CONFIRMED)."""

    def follow_up(order: ThreeTierOrder) -> None:
        hook = PAYMENT_CONFIRMED.get(type(order))
        if hook is not None:
            hook(actor, order)

    def notices(order: ThreeTierOrder):
        yield Notice(
            recipients=[order.submitter],
            title=_("Payment confirmed: %(number)s") % {"number": order.number},
            url=order_url(order),
        )

    with actor_scope(actor):  # orders_for reads the tenant scope when the queryset is built
        return perform_transition(
            actor=actor,
            queryset=orders_for(actor, model),
            pk=pk,
            transition="confirm_payment",
            state_field="payment_status",
            node=Node.SERVICE_CENTRE,
            decision=Decision.CONFIRM,
            check=lambda order: actor.can("chemicals.centre"),
            before_save=follow_up,
            notices=notices,
        )


def order_reject_payment(*, actor: Actor, model: type[ThreeTierOrder], pk: int, reason: str) -> ThreeTierOrder:
    """The centre found no payment: back to unpaid, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_("Say why the payment is not confirmed."))

    def notices(order: ThreeTierOrder):
        yield Notice(
            recipients=[order.submitter],
            title=_("Payment not confirmed: %(number)s") % {"number": order.number},
            body=reason,
            url=order_url(order),
        )

    with actor_scope(actor):  # orders_for reads the tenant scope when the queryset is built
        return perform_transition(
            actor=actor,
            queryset=orders_for(actor, model),
            pk=pk,
            transition="reject_payment",
            state_field="payment_status",
            node=Node.SERVICE_CENTRE,
            decision=Decision.REJECT,
            reason=reason,
            check=lambda order: actor.can("chemicals.centre"),
            notices=notices,
        )


def last_review_time(order: ThreeTierOrder):
    """The time the 5-day clock runs from: the last review or submission (seed 000's 上次审核时间)."""
    return order.last_reviewed_at or order.submitted_at or order.created_at
