"""What the chemicals service puts in the to-do inbox (待办事项)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from approvals import inbox

from . import selectors, tiers
from .models import OrderStatus, PaymentStatus, PurchaseRequest

# ==== area: catalogue ====


# ==== area: purchase ====
# Purchase requests whose current step the actor decides; for the centre: approved ones to stock in and payments
# to confirm.


def _pu_item(order: PurchaseRequest) -> inbox.InboxItem:
    submitter = order.submitter.full_name or order.submitter.username
    return inbox.InboxItem(
        title=f"{order.number} · {order.lab.name}",
        url=reverse("chemicals:purchase_request_detail", args=[order.pk]),
        subtitle=f"{submitter} · {order.get_status_display()}",
        since=order.last_reviewed_at or order.submitted_at,
    )


def _pu_awaiting(actor):
    qs = tiers.awaiting_review(actor, PurchaseRequest)
    return None if qs is None else qs.order_by("last_reviewed_at", "pk")


def _pu_centre(actor, **filters):
    if selectors.purchase_university(actor) is None or not actor.can("chemicals.centre"):
        return None
    return (
        selectors.purchase_requests_for(actor)
        .filter(**filters)
        .select_related("lab", "submitter")
        .order_by("last_reviewed_at", "pk")
    )


inbox.register(
    inbox.InboxProvider(
        key="chemicals.purchase_review",
        title=_("Purchase requests awaiting your review"),
        queryset=_pu_awaiting,
        item=_pu_item,
        list_url=lambda actor: reverse("chemicals:purchase_reviews"),
    )
)
inbox.register(
    inbox.InboxProvider(
        key="chemicals.purchase_stock_in",
        title=_("Approved purchase requests to stock in"),
        queryset=lambda actor: _pu_centre(actor, status=OrderStatus.APPROVED),
        item=_pu_item,
        list_url=lambda actor: reverse("chemicals:purchase_stock_in_queue"),
    )
)
inbox.register(
    inbox.InboxProvider(
        key="chemicals.purchase_payment",
        title=_("Purchase payments to confirm"),
        queryset=lambda actor: _pu_centre(
            actor, status=OrderStatus.STOCKED, payment_status=PaymentStatus.AWAITING_CONFIRMATION
        ),
        item=_pu_item,
        list_url=lambda actor: reverse("chemicals:purchase_payments"),
    )
)


# ==== area: requisition ====
# Requisitions awaiting the actor's review (lab, college, office steps), and the centre's work on requisitions.
inbox.register(
    inbox.InboxProvider(
        key="chemicals_requisitions_review",
        title=_("Requisitions awaiting your review"),
        queryset=selectors.requisitions_awaiting_review,
        item=lambda r: inbox.InboxItem(
            title=f"{r.number} · {r.lab.name}",
            subtitle=f"{r.submitter.display_name} · {r.get_status_display()}",
            since=r.last_reviewed_at or r.submitted_at,
            url=reverse("chemicals:requisition_review", args=[r.pk]),
        ),
        list_url=lambda actor: reverse("chemicals:requisition_review_queue"),
    )
)
inbox.register(
    inbox.InboxProvider(
        key="chemicals_requisitions_centre",
        title=_("Requisitions to stock, confirm or issue"),
        queryset=selectors.requisition_centre_queue,
        item=lambda r: inbox.InboxItem(
            title=f"{r.number} · {r.lab.name}",
            subtitle=f"{r.get_source_display()} · {r.get_status_display()}",
            since=r.last_reviewed_at or r.stocked_at,
            url=reverse("chemicals:requisition_detail", args=[r.pk]),
        ),
        list_url=lambda actor: reverse("chemicals:requisition_centre"),
    )
)


# ==== area: ledger ====
# Students' used-up declarations awaiting the supervising teacher (台账审核).
inbox.register(
    inbox.InboxProvider(
        key="chemicals_ledger_review",
        title=_("Ledgers awaiting your review"),
        queryset=selectors.ledger_declarations_awaiting,
        item=lambda d: inbox.InboxItem(
            title=f"{d.package.code} {d.package.chemical.name_zh}",
            subtitle=f"{d.package.owner_lab.name} · {d.declared_by.display_name}",
            since=d.created_at,
            url=reverse("chemicals:ledger_declaration_review", args=[d.pk]),
        ),
        list_url=lambda actor: reverse("chemicals:ledger_reviews"),
    )
)


# ==== area: waste ====
# Waste-barrel requests the service centre has yet to deliver (废液桶申领).
inbox.register(
    inbox.InboxProvider(
        key="chemicals_waste_barrels",
        title=_("Waste barrels to deliver"),
        queryset=selectors.waste_barrels_awaiting,
        item=lambda r: inbox.InboxItem(
            title=f"{r.lab.name} · {r.quantity} × {r.get_kind_display()}",
            subtitle=f"{r.campus.name} · {r.requested_by.display_name}",
            since=r.created_at,
            url=reverse("chemicals:waste_barrels") + "?status=requested",
        ),
        list_url=lambda actor: reverse("chemicals:waste_barrels") + "?status=requested",
    )
)


# ==== area: termination ====


# ==== area: majorhazards ====


# ==== area: figures ====
