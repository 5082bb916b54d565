"""Scoped reads of the chemicals service: a university's rows only, narrowed by lab and college
(chemicals.tiers.visible_lab_ids); everyone else gets nothing, so ids outside the scope are 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.models import Department, Enterprise, Membership, User
from safety.tenancy import actor_scope

from . import gb18218, tiers
from .models import (
    BarrelRequest,
    Campus,
    Chemical,
    HazardSourceAssessment,
    HazardSourceLine,
    LedgerEntry,
    OrderStatus,
    Package,
    PaymentStatus,
    PoliceFiling,
    PurchaseLine,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    RequisitionLine,
    Store,
    Unit,
    UsedUpDeclaration,
    WasteCollection,
    WasteItem,
    WasteRegistration,
    WasteRoute,
)

if TYPE_CHECKING:
    from safety.actors import Actor


# ==== area: catalogue ====
# The catalogue (platform reference data, shown to university members), campuses and stores (the university's),
# packages (by owner lab through tiers.lab_filter: central roles see every package, the centre's own stock with
# no owner lab included; a lab sees its own; a college admin its college's labs').


def _cat_cached(actor: Actor, key: str, compute):
    # A page asks these several times (permission, list, filters): the labs an actor sees cost a query each.
    cache = actor._cache
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def visible_labs(actor: Actor):
    """tiers.visible_lab_ids, once per request."""
    return _cat_cached(actor, "chemicals.visible_labs", lambda: tiers.visible_lab_ids(actor))


def _owner_lab_filter(actor: Actor) -> Q | None:
    return _cat_cached(actor, "chemicals.owner_lab_filter", lambda: tiers.lab_filter(actor, "owner_lab"))


def catalogue_university(actor: Actor) -> Enterprise | None:
    """The actor's university when it may use the chemicals service, else None (outsiders: 404 on objects)."""
    if _owner_lab_filter(actor) is None or not actor.can("chemicals.view"):
        return None
    return actor.enterprise


def chemicals_for(actor: Actor) -> QuerySet[Chemical]:
    """Catalogue entries the actor may open (active ones, plus inactive for the keepers of stores)."""
    if catalogue_university(actor) is None:
        return Chemical.objects.none()
    qs = Chemical.objects.all()
    if not actor.can("chemicals.catalogue"):
        qs = qs.filter(is_active=True)
    return qs


def chemical_stock(actor: Actor, chemical: Chemical) -> list[dict[str, Any]]:
    """Packages of ``chemical`` the actor may see, not yet collected, by store: store name, count, quantity."""
    return list(
        packages_for(actor)
        .filter(chemical=chemical)
        .exclude(status=Package.Status.COLLECTED)
        .values("store__name")
        .annotate(count=Count("pk"), quantity=Sum("remaining"))
        .order_by("store__name")
    )


def campuses_for(actor: Actor) -> QuerySet[Campus]:
    university = catalogue_university(actor)
    if university is None:
        return Campus.objects.none()
    return Campus.objects.filter(enterprise=university).annotate(store_count=Count("stores"))


def stores_for(actor: Actor) -> QuerySet[Store]:
    """The university's stores for the keepers and central roles; a lab's people see the centre's stores and
    their own labs' stores."""
    university = catalogue_university(actor)
    if university is None:
        return Store.objects.none()
    qs = Store.objects.filter(enterprise=university).select_related("campus", "lab")
    labs = visible_labs(actor)
    if labs is None or actor.can("chemicals.catalogue"):
        return qs
    return qs.filter(Q(lab__isnull=True) | Q(lab__in=labs))


def packages_for(actor: Actor) -> QuerySet[Package]:
    q = _owner_lab_filter(actor)
    if q is None or not actor.can("chemicals.view"):
        return Package.objects.none()
    return Package.objects.filter(q)


def package_list(actor: Actor) -> QuerySet[Package]:
    return packages_for(actor).select_related("chemical", "store", "owner_lab").order_by("-received_at", "-pk")


def package_page(actor: Actor) -> QuerySet[Package]:
    """Packages with everything the package page shows in one query."""
    return packages_for(actor).select_related(
        "chemical",
        "store__campus",
        "owner_lab__parent",
        "police_filing",
        "purchase_line__request",
        "requisition_line__requisition",
    )


def package_ledger(package: Package) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(package=package).select_related("user").order_by("used_on", "created_at", "pk")


def packages_at(*, store: Store, room: str, cabinet: str, exclude_pk: int | None = None) -> QuerySet[Package]:
    """Packages physically at store / room / cabinet (anything not yet collected as waste: empties keep residue)."""
    qs = (
        Package.objects.filter(
            enterprise_id=store.enterprise_id, store=store, room=(room or "").strip(), cabinet=(cabinet or "").strip()
        )
        .exclude(status=Package.Status.COLLECTED)
        .select_related("chemical")
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def may_keep_stores(actor: Actor) -> bool:
    return catalogue_university(actor) is not None and actor.can("chemicals.catalogue")


def may_stock_in(actor: Actor) -> bool:
    return catalogue_university(actor) is not None and actor.can("chemicals.centre")


def may_move_package(actor: Actor, package: Package) -> bool:
    """The centre (or the keepers of stores) anywhere; the owner lab's teacher the packages its lab physically
    holds (issued, in use, used up: those in the lab's virtual store are still the centre's to hand out)."""
    if catalogue_university(actor) is None or package.enterprise_id != actor.enterprise.pk:
        return False
    if package.status == Package.Status.COLLECTED:
        return False
    if actor.can("chemicals.centre") or actor.can("chemicals.catalogue"):
        return True
    return (
        actor.role == Membership.Role.TEACHER
        and package.status in Package.HELD_BY_LAB
        and package.owner_lab_id is not None
        and package.owner_lab_id in tiers.actor_lab_ids(actor)
    )


def move_targets(actor: Actor, package: Package) -> QuerySet[Store]:
    """Stores a package may be moved to: any of the university's for the centre; the owner lab's rooms for its
    teacher."""
    qs = Store.objects.filter(enterprise_id=package.enterprise_id).select_related("campus", "lab")
    if actor.can("chemicals.centre") or actor.can("chemicals.catalogue"):
        return qs
    return qs.filter(lab_id=package.owner_lab_id, kind=Store.Kind.LAB_ROOM)


def police_filings_for_stock_in(actor: Actor) -> QuerySet[PoliceFiling]:
    university = catalogue_university(actor)
    if university is None:
        return PoliceFiling.objects.none()
    return PoliceFiling.objects.filter(enterprise=university, status=PoliceFiling.Status.FILED).select_related(
        "chemical"
    )


# ==== area: purchase ====
# Purchase rounds and requests: rounds are the university's; requests are scoped by chemicals.tiers.orders_for.

# Requests the office approved (and what became of them): what a round aggregates for tendering.
PURCHASE_APPROVED = (OrderStatus.APPROVED, OrderStatus.STOCKED, OrderStatus.COMPLETED)


def purchase_university(actor: Actor) -> Enterprise | None:
    enterprise = actor.enterprise
    if enterprise is None or not enterprise.is_university or not actor.membership.is_active:
        return None
    return enterprise


def purchase_rounds_for(actor: Actor) -> QuerySet[PurchaseRound]:
    """The rounds of the actor's university (every member may know them); anyone else: none (404)."""
    university = purchase_university(actor)
    if university is None:
        return PurchaseRound._base_manager.none()
    return PurchaseRound.objects.filter(enterprise=university)


def purchase_rounds_list(actor: Actor) -> QuerySet[PurchaseRound]:
    return purchase_rounds_for(actor).annotate(
        request_count=Count("requests", filter=~Q(requests__status=OrderStatus.DRAFT), distinct=True)
    )


def open_purchase_rounds(actor: Actor, when: datetime | None = None) -> QuerySet[PurchaseRound]:
    when = when or timezone.now()
    return purchase_rounds_for(actor).filter(opens_at__lte=when, deadline__gt=when).order_by("deadline", "pk")


def may_manage_rounds(actor: Actor) -> bool:
    return purchase_university(actor) is not None and actor.can("chemicals.rounds")


def may_see_rounds(actor: Actor) -> bool:
    """Round pages (requests by status, aggregation, filings): the office and the central units."""
    return purchase_university(actor) is not None and (
        actor.can("chemicals.rounds") or actor.role in tiers.CENTRAL_ROLES
    )


def next_round_window(actor: Actor, now: datetime | None = None) -> tuple[str, datetime, datetime]:
    """A suggested title and window for the next round: every three months. After a round, the same window three
    months later; the first round opens at the start of the next quarter for two weeks."""
    now = timezone.localtime(now or timezone.now())
    last = purchase_rounds_for(actor).order_by("-opens_at", "-pk").first()

    def add_months(value: datetime, months: int) -> datetime:
        month = value.month - 1 + months
        year, month = value.year + month // 12, month % 12 + 1
        day = min(value.day, 28)  # every month has a 28th
        return value.replace(year=year, month=month, day=day)

    if last is not None:
        opens = timezone.localtime(last.opens_at)
        length = last.deadline - last.opens_at
        opens = add_months(opens, 3)
        while opens + length <= now:
            opens = add_months(opens, 3)
        deadline = opens + length
    else:
        first_of_quarter = now.replace(month=(now.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0)
        opens = add_months(first_of_quarter.replace(microsecond=0), 3)
        deadline = opens + timedelta(days=14)
    quarter = (opens.month - 1) // 3 + 1
    title = _("Chemicals purchase %(year)s Q%(quarter)s") % {"year": opens.year, "quarter": quarter}
    return title, opens, deadline


def purchase_requests_for(actor: Actor) -> QuerySet[PurchaseRequest]:
    return tiers.orders_for(actor, PurchaseRequest)


def purchase_requests_list(actor: Actor, queryset: QuerySet | None = None) -> QuerySet[PurchaseRequest]:
    """For the lists: lab, college, submitter and round in one query, line counts and amounts annotated."""
    qs = purchase_requests_for(actor) if queryset is None else queryset
    return qs.select_related("lab", "lab__parent", "submitter", "round").annotate(
        line_count=Count("lines", distinct=True),
        package_total=Sum("lines__package_count"),
        amount_total=Sum(F("lines__unit_price") * F("lines__received_count")),
    )


def purchase_review_queue(actor: Actor) -> QuerySet[PurchaseRequest]:
    qs = tiers.awaiting_review(actor, PurchaseRequest)
    if qs is None:
        return PurchaseRequest._base_manager.none()
    return purchase_requests_list(actor, qs)


def purchase_stock_in_queue(actor: Actor) -> QuerySet[PurchaseRequest]:
    if purchase_university(actor) is None or not actor.can("chemicals.centre"):
        return PurchaseRequest._base_manager.none()
    return purchase_requests_list(actor, purchase_requests_for(actor).filter(status=OrderStatus.APPROVED))


def purchase_payments_to_confirm(actor: Actor) -> QuerySet[PurchaseRequest]:
    if purchase_university(actor) is None or not actor.can("chemicals.centre"):
        return PurchaseRequest._base_manager.none()
    return purchase_requests_list(
        actor,
        purchase_requests_for(actor).filter(
            status=OrderStatus.STOCKED, payment_status=PaymentStatus.AWAITING_CONFIRMATION
        ),
    )


def purchase_labs_for(actor: Actor) -> QuerySet[Department]:
    """Labs the actor may write purchase requests for: its own."""
    university = purchase_university(actor)
    if university is None:
        return Department._base_manager.none()
    return Department.objects.filter(enterprise=university, pk__in=tiers.actor_lab_ids(actor)).order_by("name", "pk")


def purchase_visible_labs(actor: Actor) -> QuerySet[Department]:
    """Labs for the list's filter: those whose requests the actor may see."""
    university = purchase_university(actor)
    if university is None:
        return Department._base_manager.none()
    qs = Department.objects.filter(enterprise=university, kind=Department.Kind.LAB)
    labs = tiers.visible_lab_ids(actor)
    if labs is not None:
        qs = qs.filter(pk__in=labs)
    return qs.order_by("name", "pk")


def purchase_lines(order: PurchaseRequest) -> list[PurchaseLine]:
    return list(order.lines.select_related("chemical"))


def purchase_amount(order: PurchaseRequest, lines: list[PurchaseLine] | None = None) -> Decimal:
    lines = purchase_lines(order) if lines is None else lines
    return sum((line.amount for line in lines), Decimal("0.00"))


def unpaid_purchase_numbers(lab_id: int, exclude_pk: int | None = None) -> QuerySet:
    """Numbers of the lab's stocked purchase orders whose payment the centre has not confirmed."""
    return (
        PurchaseRequest.objects.filter(lab_id=lab_id, status=OrderStatus.STOCKED)
        .exclude(payment_status=PaymentStatus.PAID)
        .exclude(pk=exclude_pk)
        .order_by("stocked_at", "pk")
        .values_list("number", flat=True)
    )


def purchase_payment_reference(order: PurchaseRequest, amount: Decimal) -> str:
    """What the payment code carries: the university, the order and the amount (no real gateway behind it)."""
    return f"CHEMPAY|{order.enterprise_id}|{order.number}|{amount:.2f}"


def chemical_search(query: str, limit: int = 20) -> QuerySet[Chemical]:
    """Catalogue search by Chinese or English name, formula or CAS number (platform data: no scope)."""
    query = (query or "").strip()
    qs = Chemical.objects.filter(is_active=True)
    if query:
        qs = qs.filter(
            Q(name_zh__icontains=query)
            | Q(name_en__icontains=query)
            | Q(cas_number__startswith=query)
            | Q(formula__iexact=query)
        )
    return qs.order_by("name_zh", "pk")[:limit]


@dataclass
class PurchaseActions:
    edit: bool = False
    submit: bool = False
    withdraw: bool = False
    review: bool = False
    stock_in: bool = False
    pay: bool = False
    confirm_payment: bool = False
    payment_notice: bool = False


def purchase_actions(actor: Actor, order: PurchaseRequest) -> PurchaseActions:
    S, P = OrderStatus, PaymentStatus
    mine = order.submitter_id == actor.user.pk
    return PurchaseActions(
        edit=mine and order.status in (S.DRAFT, S.REJECTED),
        submit=mine and order.status in (S.DRAFT, S.REJECTED),
        withdraw=mine and order.status in (S.DRAFT, S.REJECTED, S.LAB_REVIEW),
        review=tiers.may_review(actor, order),
        stock_in=order.status == S.APPROVED and actor.can("chemicals.centre"),
        pay=order.status == S.STOCKED and order.payment_status == P.UNPAID and tiers.may_pay(actor, order),
        confirm_payment=order.status == S.STOCKED
        and order.payment_status == P.AWAITING_CONFIRMATION
        and actor.can("chemicals.centre"),
        payment_notice=order.status in (S.STOCKED, S.COMPLETED),
    )


PURCHASE_STEPS = {
    (OrderStatus.DRAFT, OrderStatus.LAB_REVIEW): gettext_lazy("Submitted"),
    (OrderStatus.REJECTED, OrderStatus.LAB_REVIEW): gettext_lazy("Resubmitted"),
    (OrderStatus.LAB_REVIEW, OrderStatus.COLLEGE_REVIEW): gettext_lazy("Lab review passed"),
    (OrderStatus.COLLEGE_REVIEW, OrderStatus.OFFICE_REVIEW): gettext_lazy("College review passed"),
    (OrderStatus.OFFICE_REVIEW, OrderStatus.APPROVED): gettext_lazy("Approved by the lab-safety office"),
    (OrderStatus.APPROVED, OrderStatus.STOCKED): gettext_lazy("Stocked in, payment notice sent"),
    (PaymentStatus.UNPAID, PaymentStatus.AWAITING_CONFIRMATION): gettext_lazy(
        "Paid, awaiting the centre's confirmation"
    ),
    (PaymentStatus.AWAITING_CONFIRMATION, PaymentStatus.PAID): gettext_lazy("Payment confirmed"),
    (PaymentStatus.AWAITING_CONFIRMATION, PaymentStatus.UNPAID): gettext_lazy("Payment not confirmed"),
}


def purchase_records(order: PurchaseRequest) -> list:
    """The review record of a request, oldest first, each with ``step`` named in the reader's language."""
    from approvals.selectors import review_records_for

    records = review_records_for(order)
    for r in records:
        r.step = str(PURCHASE_STEPS.get((r.from_state, r.to_state), r.get_decision_display()))
    return records


def round_status_counts(actor: Actor, round_: PurchaseRound) -> list[tuple[str, str, int]]:
    """(status, label, count) of the round's submitted requests the actor may see, in the status guide's order."""
    counts = dict(
        purchase_requests_for(actor)
        .filter(round=round_)
        .exclude(status=OrderStatus.DRAFT)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in OrderStatus.choices]


@dataclass
class AggregateRow:
    chemical_id: int
    name: str
    name_en: str
    cas_number: str
    unit: str
    controlled: str
    package_size: Decimal
    packages: int
    quantity: Decimal
    labs: list[str]


def round_aggregation(round_: PurchaseRound) -> list[AggregateRow]:
    """Approved requests of the round by chemical and package size, for tendering (two queries)."""
    lines = PurchaseLine.objects.filter(
        enterprise_id=round_.enterprise_id, request__round=round_, request__status__in=PURCHASE_APPROVED
    )
    grouped = (
        lines.order_by()
        .values(
            "chemical_id",
            "chemical__name_zh",
            "chemical__name_en",
            "chemical__cas_number",
            "chemical__unit",
            "chemical__controlled_category",
            "package_size",
        )
        .annotate(packages=Sum("package_count"), quantity=Sum(F("package_size") * F("package_count")))
        .order_by("chemical__name_zh", "chemical_id", "package_size")
    )
    labs: dict[tuple[int, Decimal], list[str]] = {}
    for chemical_id, size, lab in (
        lines.order_by("request__lab__name").values_list("chemical_id", "package_size", "request__lab__name").distinct()
    ):
        labs.setdefault((chemical_id, size), []).append(lab)
    return [
        AggregateRow(
            chemical_id=g["chemical_id"],
            name=g["chemical__name_zh"],
            name_en=g["chemical__name_en"],
            cas_number=g["chemical__cas_number"],
            unit=g["chemical__unit"],
            controlled=g["chemical__controlled_category"],
            package_size=g["package_size"],
            packages=g["packages"],
            quantity=Decimal(g["quantity"]).quantize(Decimal("0.001")),
            labs=labs.get((g["chemical_id"], g["package_size"]), []),
        )
        for g in grouped
    ]


def round_chemical_totals(round_: PurchaseRound, *, controlled_only: bool = False) -> dict[int, Decimal]:
    """Total approved quantity per chemical (in its unit) of the round."""
    totals: dict[int, Decimal] = {}
    for row in round_aggregation(round_):
        if controlled_only and not row.controlled:
            continue
        totals[row.chemical_id] = totals.get(row.chemical_id, Decimal(0)) + row.quantity
    return totals


def police_filings_for(actor: Actor) -> QuerySet[PoliceFiling]:
    university = purchase_university(actor)
    if university is None:
        return PoliceFiling._base_manager.none()
    return PoliceFiling.objects.filter(enterprise=university).select_related("chemical", "round", "filed_by")


# ==== area: requisition ====
# Requisitions (申领): what the actor may open (tiers.orders_for), the review queue, the centre's work list, and
# what each store offers (chemical + size with the count available, less what requisitions under way ask for).

RQ_UNDER_WAY = (
    OrderStatus.LAB_REVIEW,
    OrderStatus.COLLEGE_REVIEW,
    OrderStatus.OFFICE_REVIEW,
    OrderStatus.APPROVED,
)
RQ_CUSTODIAN_ROLES = (Membership.Role.CENTRE_STAFF, Membership.Role.LAB_SAFETY_OFFICER)


def rq_size_key(size: Decimal | str) -> str:
    """A package size as the forms write it: 500.000 → "500", 2.500 → "2.5"."""
    text = format(Decimal(size).normalize(), "f")
    return text


def requisitions_for(actor: Actor) -> QuerySet[Requisition]:
    return tiers.orders_for(actor, Requisition)


def requisition_list(actor: Actor) -> QuerySet[Requisition]:
    """The list page: the lab, submitter and campus joined, the lines (and their chemicals) prefetched."""
    return (
        requisitions_for(actor)
        .select_related("lab", "submitter", "campus")
        .prefetch_related(Prefetch("lines", queryset=RequisitionLine.objects.select_related("chemical")))
        .order_by("-created_at", "-pk")
    )


def requisitions_awaiting_review(actor: Actor) -> QuerySet[Requisition] | None:
    return tiers.awaiting_review(actor, Requisition)


def requisition_centre_queue(actor: Actor) -> QuerySet[Requisition] | None:
    """The centre's work: approved (stock, or issue from a lab's own store), payments to confirm, paid to issue."""
    if not actor.can("chemicals.centre"):
        return None
    return (
        requisitions_for(actor)
        .filter(
            Q(status=OrderStatus.APPROVED)
            | Q(
                status=OrderStatus.STOCKED,
                payment_status__in=(PaymentStatus.AWAITING_CONFIRMATION, PaymentStatus.PAID),
            )
        )
        .select_related("lab", "submitter", "campus")
        .prefetch_related(Prefetch("lines", queryset=RequisitionLine.objects.select_related("chemical")))
        .order_by("last_reviewed_at", "pk")
    )


def requisition_lines(requisition: Requisition) -> list[RequisitionLine]:
    """The lines with their chemicals and the packages assigned (reserved, created or issued)."""
    return list(
        requisition.lines.select_related("chemical").prefetch_related(
            Prefetch(
                "packages",
                queryset=Package.objects.select_related("store", "police_filing").order_by("code", "pk"),
            )
        )
    )


def requisition_amount(lines: list[RequisitionLine]) -> Decimal:
    return sum(((line.unit_price or Decimal(0)) * line.package_count for line in lines), Decimal(0))


def requisition_lab_choices(actor: Actor) -> QuerySet[Department]:
    """Labs the actor may requisition for: its own lab and the labs it heads."""
    return Department.objects.filter(pk__in=tiers.actor_lab_ids(actor)).order_by("name", "pk")


def requisition_campuses(actor: Actor) -> QuerySet[Campus]:
    if actor.enterprise is None:
        return Campus.objects.none()
    return Campus.objects.filter(enterprise=actor.enterprise).order_by("name", "pk")


def requisition_store_packages(
    *, enterprise_id: int, source: str, lab_id: int | None, campus_id: int | None
) -> QuerySet[Package] | None:
    """Packages a requisition from this store may take (in stock); None for the centre's virtual store, which
    stocks whatever the catalogue has."""
    qs = Package.objects.filter(enterprise_id=enterprise_id, status=Package.Status.IN_STOCK)
    if source == Requisition.Source.LAB:
        return qs.filter(store__kind=Store.Kind.LAB, store__lab_id=lab_id, owner_lab_id=lab_id)
    if source == Requisition.Source.CENTRE_PHYSICAL:
        return qs.filter(store__kind=Store.Kind.CENTRE_PHYSICAL, store__campus_id=campus_id, owner_lab__isnull=True)
    return None


def requisition_claims(
    *, enterprise_id: int, source: str, lab_id: int | None, campus_id: int | None, exclude_pk: int | None = None
) -> dict[tuple[int, str], int]:
    """Packages asked for by requisitions under way (submitted, not yet stocked or issued) from the same store,
    by (chemical id, size key): they are not reserved yet, so the next requisition must not count them."""
    qs = RequisitionLine.objects.filter(
        enterprise_id=enterprise_id, requisition__source=source, requisition__status__in=RQ_UNDER_WAY
    )
    if source == Requisition.Source.LAB:
        qs = qs.filter(requisition__lab_id=lab_id)
    else:
        qs = qs.filter(requisition__campus_id=campus_id)
    if exclude_pk is not None:
        qs = qs.exclude(requisition_id=exclude_pk)
    claims: dict[tuple[int, str], int] = {}
    for row in qs.values("chemical_id", "package_size").annotate(count=Sum("package_count")):
        key = (row["chemical_id"], rq_size_key(row["package_size"]))
        claims[key] = claims.get(key, 0) + row["count"]
    return claims


class RqOffer:
    """One choice of a store: a chemical in one package size, how many are in stock and how many are free."""

    def __init__(self, chemical: Chemical, size: Decimal, in_stock: int, claimed: int) -> None:
        self.chemical = chemical
        self.size = size
        self.in_stock = in_stock
        self.claimed = claimed

    @property
    def available(self) -> int:
        return max(self.in_stock - self.claimed, 0)

    @property
    def key(self) -> str:
        return f"{self.chemical.pk}:{rq_size_key(self.size)}"


def requisition_offers(
    *, enterprise_id: int, source: str, lab_id: int | None, campus_id: int | None, exclude_pk: int | None = None
) -> list[RqOffer]:
    """What a store offers, grouped by chemical and package size (two queries, whatever the stock)."""
    packages = requisition_store_packages(
        enterprise_id=enterprise_id, source=source, lab_id=lab_id, campus_id=campus_id
    )
    if packages is None:
        return []
    rows = list(packages.values("chemical_id", "size").annotate(count=Count("pk")).order_by("chemical_id", "size"))
    if not rows:
        return []
    claims = requisition_claims(
        enterprise_id=enterprise_id, source=source, lab_id=lab_id, campus_id=campus_id, exclude_pk=exclude_pk
    )
    chemicals = Chemical.objects.in_bulk({r["chemical_id"] for r in rows})
    offers = [
        RqOffer(
            chemicals[r["chemical_id"]],
            r["size"],
            r["count"],
            claims.get((r["chemical_id"], rq_size_key(r["size"])), 0),
        )
        for r in rows
    ]
    offers.sort(key=lambda o: (o.chemical.name_zh, o.size))
    return offers


def requisition_catalogue() -> QuerySet[Chemical]:
    """The centre's virtual store: any active catalogue chemical."""
    return Chemical.objects.filter(is_active=True).order_by("name_zh", "pk")


def requisition_reservable(requisition: Requisition, lines: list[RequisitionLine]) -> dict[int, list[Package]]:
    """Per line, the packages of the campus's physical stores the centre may reserve for it (one query)."""
    if requisition.source != Requisition.Source.CENTRE_PHYSICAL or not lines:
        return {}
    packages = requisition_store_packages(
        enterprise_id=requisition.enterprise_id,
        source=requisition.source,
        lab_id=requisition.lab_id,
        campus_id=requisition.campus_id,
    )
    found = list(
        packages.filter(chemical_id__in={line.chemical_id for line in lines})
        .select_related("store", "chemical")
        .order_by("received_at", "code", "pk")
    )
    return {
        line.pk: [p for p in found if p.chemical_id == line.chemical_id and p.size == line.package_size]
        for line in lines
    }


def second_custodian_choices(actor: Actor) -> QuerySet[User]:
    """The second custodian of a highly toxic issue (双人双锁): another centre staff member or lab-safety officer
    of the actor's university, never the issuer."""
    if actor.enterprise is None:
        return User.objects.none()
    return (
        User.objects.filter(
            memberships__enterprise=actor.enterprise,
            memberships__role__in=RQ_CUSTODIAN_ROLES,
            memberships__status=Membership.Status.ACTIVE,
        )
        .exclude(pk=actor.user.pk)
        .distinct()
        .order_by("full_name", "username")
    )


# ==== area: ledger ====
# The ledger (使用台账): packages labs hold, their uses and used-up declarations. Seen by lab
# (tiers.lab_filter): a lab's teachers and students their lab's, a college admin its college's, central units
# all of the university's; anything else is 404.

LEDGER_WRITERS = (Membership.Role.TEACHER, Membership.Role.STUDENT)


def ledger_labs(actor: Actor) -> QuerySet[Department]:
    """Labs whose packages the actor may see."""
    q = tiers.lab_filter(actor, "pk")
    if q is None:
        return Department.objects.none()
    return (
        Department.objects.filter(q, kind=Department.Kind.LAB)
        .select_related("parent")
        .order_by("parent__name", "name", "pk")
    )


def ledger_packages(actor: Actor) -> QuerySet[Package]:
    """Packages owned by labs the actor may see (a ledger belongs to a lab's package)."""
    q = tiers.lab_filter(actor, "owner_lab")
    if q is None:
        return Package.objects.none()
    return Package.objects.filter(q, owner_lab__isnull=False).select_related("chemical", "store", "owner_lab")


def ledger_lab_packages(actor: Actor, lab: Department) -> QuerySet[Package]:
    """What the lab holds (issued, in use, used up: what counts against its stock limit), with whether a
    used-up declaration awaits review; in use first, then issued, then used up."""
    pending = UsedUpDeclaration.objects.filter(package=OuterRef("pk"), status=UsedUpDeclaration.Status.PENDING)
    return (
        ledger_packages(actor)
        .filter(owner_lab=lab, status__in=Package.HELD_BY_LAB)
        .annotate(pending_declaration=Exists(pending))
        .order_by("status", "code", "pk")
    )


def ledger_may_record(actor: Actor, package: Package) -> bool:
    """Record a use or declare the package used up: a teacher or student of the package's owner lab."""
    return (
        actor.has_role(*LEDGER_WRITERS)
        and actor.can("chemicals.ledger")
        and package.owner_lab_id is not None
        and package.owner_lab_id in tiers.actor_lab_ids(actor)
    )


def ledger_entries(actor: Actor) -> QuerySet[LedgerEntry]:
    q = tiers.lab_filter(actor, "package__owner_lab")
    if q is None:
        return LedgerEntry.objects.none()
    return (
        LedgerEntry.objects.filter(q)
        .select_related("package", "package__chemical", "package__owner_lab", "user")
        .order_by("-used_on", "-created_at", "-pk")
    )


def ledger_package_entries(package: Package) -> QuerySet[LedgerEntry]:
    """One package's ledger, oldest first (the package came from a scoped selector)."""
    return LedgerEntry.objects.filter(package=package).select_related("user").order_by("used_on", "created_at", "pk")


def ledger_declarations(actor: Actor) -> QuerySet[UsedUpDeclaration]:
    """Declarations of packages the actor may see, and those it reviews."""
    q = tiers.lab_filter(actor, "package__owner_lab")
    if q is None:
        return UsedUpDeclaration.objects.none()
    return UsedUpDeclaration.objects.filter(
        q | Q(enterprise_id=actor.enterprise.pk, reviewer_id=actor.user.pk)
    ).select_related("package", "package__chemical", "package__owner_lab", "declared_by", "reviewer")


def ledger_package_declarations(package: Package) -> QuerySet[UsedUpDeclaration]:
    return UsedUpDeclaration.objects.filter(package=package).select_related("declared_by", "reviewer")


def ledger_declarations_awaiting(actor: Actor) -> QuerySet[UsedUpDeclaration] | None:
    """Students' used-up declarations waiting for this teacher's review (the inbox and the review queue)."""
    # Cheap checks first: the inbox asks this on every page of every user.
    if not actor.has_role(Membership.Role.TEACHER) or actor.enterprise is None or not actor.enterprise.is_university:
        return None
    return (
        UsedUpDeclaration.objects.filter(
            enterprise_id=actor.enterprise.pk, reviewer_id=actor.user.pk, status=UsedUpDeclaration.Status.PENDING
        )
        .select_related("package", "package__chemical", "package__owner_lab", "declared_by")
        .order_by("created_at", "pk")
    )


# ==== area: waste ====
# Waste collection (废弃物回收). Routes, campuses and collections are the university's: every member reads them.
# Registrations and barrel requests are a lab's, narrowed like orders (tiers.lab_filter): a lab member its
# labs', a college admin its college's, the central units everything; anything else is 404.

WASTE_ACTIVE_REGISTRATION = (WasteRegistration.Status.REGISTERED, WasteRegistration.Status.COLLECTED)


def waste_university(actor: Actor) -> Enterprise | None:
    """The actor's university if it may use the chemicals service at all."""
    university = tiers._actor_university(actor)
    if university is None or not actor.can("chemicals.view"):
        return None
    return university


def waste_is_central(actor: Actor) -> bool:
    return waste_university(actor) is not None and actor.role in tiers.CENTRAL_ROLES


def waste_may_manage(actor: Actor) -> bool:
    """The service centre runs the collections and the barrel deliveries."""
    return waste_university(actor) is not None and actor.can("chemicals.centre")


def waste_may_edit_routes(actor: Actor) -> bool:
    return waste_university(actor) is not None and (actor.can("chemicals.centre") or actor.can("chemicals.catalogue"))


def waste_may_register(actor: Actor) -> bool:
    """Lab teachers and students register their labs' waste and request barrels."""
    return waste_university(actor) is not None and actor.can("chemicals.ledger") and bool(tiers.actor_lab_ids(actor))


def waste_campuses(actor: Actor) -> QuerySet[Campus]:
    university = waste_university(actor)
    if university is None:
        return Campus._base_manager.none()
    return Campus.objects.filter(enterprise=university)


def waste_routes(actor: Actor) -> QuerySet[WasteRoute]:
    university = waste_university(actor)
    if university is None:
        return WasteRoute._base_manager.none()
    return WasteRoute.objects.filter(enterprise=university).select_related("campus")


def waste_collections(actor: Actor) -> QuerySet[WasteCollection]:
    university = waste_university(actor)
    if university is None:
        return WasteCollection._base_manager.none()
    return WasteCollection.objects.filter(enterprise=university)


def _waste_visible_registrations(actor: Actor) -> Q | None:
    q = tiers.lab_filter(actor)
    if q is None or not actor.can("chemicals.view"):
        return None
    return q


def waste_collection_list(actor: Actor) -> QuerySet[WasteCollection]:
    """Collections with the number of registrations (not cancelled) of the labs the actor may see."""
    labs = tiers.visible_lab_ids(actor)
    counted = Q(registrations__status__in=WASTE_ACTIVE_REGISTRATION)
    if labs is not None:
        counted &= Q(registrations__lab__in=labs)
    return waste_collections(actor).annotate(registration_count=Count("registrations", filter=counted))


def waste_open_collections(actor: Actor, now: datetime | None = None) -> QuerySet[WasteCollection]:
    """Collections labs may register for now: open and before their deadline, the nearest first."""
    return (
        waste_collections(actor)
        .filter(status=WasteCollection.Status.OPEN, registration_deadline__gte=now or timezone.now())
        .order_by("collection_date", "pk")
    )


def waste_registrations(actor: Actor) -> QuerySet[WasteRegistration]:
    q = _waste_visible_registrations(actor)
    if q is None:
        return WasteRegistration._base_manager.none()
    return WasteRegistration.objects.filter(q)


def _waste_item_total(category: str, registration_field: str = "pk"):
    total = (
        WasteItem.objects.filter(registration=OuterRef(registration_field), category=category)
        .values("registration")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def _waste_package_count(registration_field: str = "pk"):
    count = (
        Package.objects.filter(waste_registration=OuterRef(registration_field))
        .values("waste_registration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


def waste_with_counts(queryset: QuerySet[WasteRegistration]) -> QuerySet[WasteRegistration]:
    """Each category's quantity (``q_<category>``) and the number of empty packages, one query (subqueries:
    joining both items and packages would multiply the rows)."""
    return queryset.annotate(
        **{f"q_{c}": _waste_item_total(c) for c in WasteItem.Category.values},
        package_count=_waste_package_count(),
    )


def waste_attach_counts(registration: WasteRegistration) -> WasteRegistration:
    """``category_counts``: (category, quantity) in seed 000's order, for templates (annotated registrations)."""
    registration.category_counts = [(c, getattr(registration, f"q_{c}")) for c in WasteItem.Category.values]
    return registration


def waste_registration_list(actor: Actor) -> QuerySet[WasteRegistration]:
    return waste_with_counts(
        waste_registrations(actor).select_related("collection", "lab", "route", "route__campus", "registered_by")
    ).order_by("-collection__collection_date", "lab__name", "pk")


def waste_stop_order(route: WasteRoute, building: str) -> tuple[int, str]:
    """Where a building comes on the route: its stop's position, other buildings after the last stop."""
    try:
        return route.stops.index(building), ""
    except ValueError:
        return len(route.stops), building


@dataclass
class WasteRouteList:
    route: WasteRoute
    registrations: list[WasteRegistration]

    @property
    def total_list(self) -> list[int]:
        """Each category's total, then the empty packages' (the list's last row)."""
        keys = [f"q_{c}" for c in WasteItem.Category.values] + ["package_count"]
        return [sum(getattr(r, k) for r in self.registrations) for k in keys]


def waste_route_lists(actor: Actor, collection: WasteCollection, route_id: int | None = None) -> list[WasteRouteList]:
    """A collection's registrations (not cancelled) per route, in the order the collectors drive: the route's
    stops in order, then buildings typed in by labs; within a building by room. Routes without registrations
    are listed too (the collectors still see the route); constant queries."""
    routes = waste_routes(actor)
    if route_id is not None:
        routes = routes.filter(pk=route_id)
    routes = list(routes)
    registrations = waste_with_counts(
        waste_registrations(actor)
        .filter(collection=collection, status__in=WASTE_ACTIVE_REGISTRATION, route__in=[r.pk for r in routes])
        .select_related("lab", "lab__parent", "registered_by")
    )
    by_route: dict[int, list[WasteRegistration]] = {r.pk: [] for r in routes}
    for registration in registrations:
        waste_attach_counts(registration)
        by_route[registration.route_id].append(registration)
    lists = []
    for route in routes:
        rows = sorted(by_route[route.pk], key=lambda r: (*waste_stop_order(route, r.building), r.room, r.pk))
        lists.append(WasteRouteList(route=route, registrations=rows))
    return lists


def waste_lab_choices(actor: Actor) -> QuerySet[Department]:
    """The labs the actor registers for: its own (its membership's lab, the labs it heads)."""
    university = waste_university(actor)
    if university is None:
        return Department._base_manager.none()
    return Department.objects.filter(enterprise=university, pk__in=tiers.actor_lab_ids(actor)).order_by("name")


def waste_empty_packages(actor: Actor, lab: Department) -> QuerySet[Package]:
    """The lab's empty packages awaiting collection: used up (ledger accepted), not yet collected."""
    university = waste_university(actor)
    if university is None or lab.enterprise_id != university.pk:
        return Package._base_manager.none()
    return (
        Package.objects.filter(enterprise=university, owner_lab=lab, status=Package.Status.USED_UP)
        .select_related("chemical")
        .order_by("used_up_at", "code", "pk")
    )


def waste_barrel_requests(actor: Actor) -> QuerySet[BarrelRequest]:
    q = _waste_visible_registrations(actor)
    if q is None:
        return BarrelRequest._base_manager.none()
    return BarrelRequest.objects.filter(q).select_related("lab", "campus", "requested_by")


def waste_barrels_awaiting(actor: Actor) -> QuerySet[BarrelRequest] | None:
    """Barrel requests the centre has yet to deliver (its to-do inbox)."""
    if not waste_may_manage(actor):
        return None
    return waste_barrel_requests(actor).filter(status=BarrelRequest.Status.REQUESTED).order_by("created_at", "pk")


def waste_figures(actor: Actor, start: date | None, end: date | None) -> QuerySet[Department]:
    """Per lab the actor may see: barrels and bags of each category and empty packages collected (registrations
    the centre marked collected) with a collection date in [start, end]. One query, one row per lab that had any."""
    university = waste_university(actor)
    q = _waste_visible_registrations(actor)
    if university is None or q is None:
        return Department._base_manager.none()
    registrations = WasteRegistration.objects.filter(q, status=WasteRegistration.Status.COLLECTED)
    if start:
        registrations = registrations.filter(collection__collection_date__gte=start)
    if end:
        registrations = registrations.filter(collection__collection_date__lte=end)

    def items(category: str):
        total = (
            WasteItem.objects.filter(
                registration__in=registrations, registration__lab=OuterRef("pk"), category=category
            )
            .values("registration__lab")
            .annotate(total=Sum("quantity"))
            .values("total")
        )
        return Coalesce(Subquery(total, output_field=IntegerField()), 0)

    packages = (
        Package.objects.filter(waste_registration__in=registrations, waste_registration__lab=OuterRef("pk"))
        .values("waste_registration__lab")
        .annotate(n=Count("pk"))
        .values("n")
    )
    collections = (
        registrations.filter(lab=OuterRef("pk"))
        .values("lab")
        .annotate(n=Count("collection", distinct=True))
        .values("n")
    )
    return (
        Department.objects.filter(enterprise=university, pk__in=registrations.values("lab"))
        .select_related("parent")
        .annotate(
            **{f"q_{c}": items(c) for c in WasteItem.Category.values},
            package_count=Coalesce(Subquery(packages, output_field=IntegerField()), 0),
            collection_count=Coalesce(Subquery(collections, output_field=IntegerField()), 0),
        )
        .order_by("parent__name", "name", "pk")
    )


# ==== area: termination ====


# ==== area: majorhazards ====
# Major hazard sources (GB 18218-2018, chemicals.gb18218): any enterprise's saved assessments, and for a
# university the stores that can be assessed from live inventory.

MAJOR_HAZARD_FEATURE = "major_hazards.manage"
# Packages physically in a store: what the unit holds (used-up packages are empty, collected ones are gone).
MAJOR_HAZARD_LIVE_STATUSES = (
    Package.Status.IN_STOCK,
    Package.Status.RESERVED,
    Package.Status.ISSUED,
    Package.Status.IN_USE,
)
# The stores that are places (the centre's virtual store and a lab's own store are accounts, not places).
MAJOR_HAZARD_STORE_KINDS = (Store.Kind.CENTRE_PHYSICAL, Store.Kind.LAB_ROOM)


def major_hazard_assessments(actor: Actor) -> QuerySet[HazardSourceAssessment]:
    """The assessments of the actor's own enterprise (university or not); nobody else's."""
    if actor.enterprise is None:
        return HazardSourceAssessment.objects.none()
    return (
        HazardSourceAssessment.objects.filter(enterprise_id=actor.enterprise.pk)
        .select_related("store", "assessed_by")
        .annotate(line_count=Count("lines"))
    )


def major_hazard_assessment_lines(assessment: HazardSourceAssessment) -> list[HazardSourceLine]:
    return list(HazardSourceLine.objects.filter(assessment_id=assessment.pk).order_by("pk"))


def major_hazard_stores(actor: Actor) -> QuerySet[Store]:
    """Stores of the actor's university that can be assessed from live inventory: the centre's physical stores
    and the lab rooms of the labs the actor may see (chemicals.tiers)."""
    university = actor.enterprise
    if university is None or not university.is_university:
        return Store.objects.none()
    stores = Store.objects.filter(enterprise_id=university.pk, kind__in=MAJOR_HAZARD_STORE_KINDS)
    labs = tiers.visible_lab_ids(actor)
    if labs is not None:
        stores = stores.filter(Q(kind=Store.Kind.CENTRE_PHYSICAL) | Q(lab_id__in=labs))
    return stores.select_related("campus", "lab")


def major_hazard_catalogue() -> list[Chemical]:
    """Active catalogue chemicals with a GB 18218 critical quantity (their own, or their table 2 category's)."""
    found = Chemical.objects.filter(is_active=True).filter(
        Q(critical_quantity_t__isnull=False) | ~Q(gb18218_category="")
    )
    return [c for c in found if gb18218.critical_quantity_for(c) is not None]


@dataclass(frozen=True)
class MajorHazardInventoryRow:
    chemical: Chemical
    packages: int
    quantity: Decimal  # remaining, in the chemical's unit
    kilograms: Decimal
    line: gb18218.Line
    beta_assumed: bool  # no β in the catalogue, table 3 or table 4: 1 is used and the page says so


@dataclass(frozen=True)
class MajorHazardInventory:
    store: Store
    rows: list[MajorHazardInventoryRow]
    other_chemicals: int  # chemicals present without a GB 18218 critical quantity (not counted)
    other_packages: int

    @property
    def lines(self) -> list[gb18218.Line]:
        return [row.line for row in self.rows]


def major_hazard_store_inventory(store: Store) -> MajorHazardInventory:
    """The store's live packages summed per chemical, in tonnes (the remaining quantity: what is actually
    there; a litre counts as a kilogram, chemicals.models.Unit.to_kg), for chemicals with a critical quantity.
    Two queries whatever the number of packages."""
    totals = list(
        Package.objects.filter(store_id=store.pk, status__in=MAJOR_HAZARD_LIVE_STATUSES)
        .values("chemical_id")
        .annotate(quantity=Sum("remaining"), packages=Count("pk"))
        .order_by()
    )
    chemicals = Chemical.objects.in_bulk([t["chemical_id"] for t in totals])
    rows: list[MajorHazardInventoryRow] = []
    other_chemicals = other_packages = 0
    for total in sorted(totals, key=lambda t: (chemicals[t["chemical_id"]].name_zh, t["chemical_id"])):
        chemical = chemicals[total["chemical_id"]]
        critical = gb18218.critical_quantity_for(chemical)
        if critical is None:
            other_chemicals += 1
            other_packages += total["packages"]
            continue
        beta = gb18218.beta_for(chemical)
        kilograms = Unit.to_kg(total["quantity"], chemical.unit)
        rows.append(
            MajorHazardInventoryRow(
                chemical=chemical,
                packages=total["packages"],
                quantity=total["quantity"],
                kilograms=kilograms,
                line=gb18218.Line(
                    name=chemical.name_zh,
                    q=gb18218.tonnes(kilograms),
                    Q=critical,
                    beta=beta if beta is not None else Decimal("1"),
                    chemical_id=chemical.pk,
                ),
                beta_assumed=beta is None,
            )
        )
    return MajorHazardInventory(store=store, rows=rows, other_chemicals=other_chemicals, other_packages=other_packages)


# ==== area: figures ====
# Figures (统计) per lab, college and chemical over a date range: purchased (packages received through purchase
# requests), issued (handed to labs), in stock (now in the labs' stores or held by them), used (ledger entries)
# and collected (as waste). Two grouped queries (packages; ledger entries) at lab × chemical level plus one for the
# labs, however many packages: the rows per lab, college and chemical are sums over those groups. Quantities per
# chemical are in its unit; per lab and college in kilograms (a litre counts as a kilogram, Unit.to_kg).

FIGURE_MEASURES = ("purchased", "issued", "in_stock", "used", "collected")
# A lab at or above this share of its stock limit is flagged "near" (the requisition block starts at 100 %).
NEAR_LIMIT_PERCENT = Decimal(80)
_KG_PLACES = Decimal("0.001")


@dataclass
class FigureRow:
    """One row of a figures table: a quantity and a package count per measure. ``unit`` is "kg" for a lab, a
    college or the total, the chemical's unit for a chemical. ``used_n`` counts packages with a use recorded."""

    key: int | None
    label: str
    unit: str
    college: str = ""
    cas_number: str = ""
    labs: int = 0
    purchased: Decimal = Decimal(0)
    purchased_n: int = 0
    issued: Decimal = Decimal(0)
    issued_n: int = 0
    in_stock: Decimal = Decimal(0)
    in_stock_n: int = 0
    used: Decimal = Decimal(0)
    used_n: int = 0
    collected: Decimal = Decimal(0)
    collected_n: int = 0

    def add(self, group: dict[str, Any], unit: str | None) -> None:
        """Add one lab × chemical group; ``unit`` converts its quantities to kilograms (None: keep them)."""
        for measure in FIGURE_MEASURES:
            quantity = group.get(measure) or Decimal(0)
            if unit is not None:
                quantity = Unit.to_kg(quantity, unit)
            setattr(self, measure, getattr(self, measure) + quantity)
            setattr(self, f"{measure}_n", getattr(self, f"{measure}_n") + (group.get(f"{measure}_n") or 0))

    @property
    def has_figures(self) -> bool:
        return any(getattr(self, f"{measure}_n") for measure in FIGURE_MEASURES)


@dataclass
class LimitRow:
    """A lab's stock-limit usage: what it holds (stock.held_kg: issued and not yet collected) against its limit."""

    key: int
    label: str
    college: str
    limit_kg: Decimal | None
    held_kg: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.limit_kg:
            return None
        return (100 * self.held_kg / self.limit_kg).quantize(Decimal("0.1"))

    @property
    def state(self) -> str:
        """none (no limit set) / ok / near (≥ 80 %) / full (at or over the limit: no more requisitions)."""
        percent = self.percent
        if percent is None:
            return "none"
        if self.held_kg >= self.limit_kg:
            return "full"
        return "near" if percent >= NEAR_LIMIT_PERCENT else "ok"


@dataclass
class ChemicalFigures:
    date_from: date
    date_to: date
    total: FigureRow
    labs: list[FigureRow]
    colleges: list[FigureRow]
    chemicals: list[FigureRow]
    limits: list[LimitRow]


def may_see_figures(actor: Actor) -> bool:
    # Custom roles and a college admin's labs are tenant queries: built in the actor's scope (callable outside
    # a request too).
    with actor_scope(actor):
        return actor.can("chemicals.figures") and tiers.lab_filter(actor, "pk") is not None


def figure_labs(actor: Actor, college_id: int | None = None) -> QuerySet[Department]:
    """The labs whose figures the actor sees (tiers.visible_lab_ids: a college admin its college's), optionally
    one college's."""
    q = tiers.lab_filter(actor, "pk")
    if q is None:
        return Department._base_manager.none()
    labs = Department.objects.filter(q, kind=Department.Kind.LAB)
    if college_id:
        labs = labs.filter(parent_id=college_id)
    return labs


def figure_colleges(actor: Actor) -> QuerySet[Department]:
    """Colleges with a lab the actor sees: the figures' college filter."""
    return Department.objects.filter(
        kind=Department.Kind.COLLEGE, pk__in=figure_labs(actor).values("parent_id")
    ).order_by("order", "name", "pk")


def figures_period(date_from: date | None = None, date_to: date | None = None) -> tuple[date, date]:
    """The date range, both days included; by default this year up to today."""
    today = timezone.localdate()
    start = date_from or (date_to or today).replace(month=1, day=1)
    end = date_to or max(today, start)
    return (start, end) if start <= end else (end, start)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _package_groups(lab_ids: QuerySet, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Packages per lab × chemical: one query. A purchased package counts for the requesting lab even before
    it is allocated to the lab (owner_lab empty while at the centre)."""
    held = Q(status__in=Package.HELD_BY_LAB, owner_lab__isnull=False)
    in_stock = held | Q(
        status__in=(Package.Status.IN_STOCK, Package.Status.RESERVED),
        store__kind__in=(Store.Kind.LAB, Store.Kind.LAB_ROOM),
        owner_lab__isnull=False,
    )
    purchased = Q(purchase_line__isnull=False, received_at__gte=start, received_at__lt=end)
    issued = Q(issued_at__gte=start, issued_at__lt=end)
    collected = Q(collected_at__gte=start, collected_at__lt=end)
    return list(
        Package.objects.annotate(
            lab_key=Coalesce(F("owner_lab_id"), F("purchase_line__request__lab_id"), output_field=IntegerField())
        )
        .filter(lab_key__in=lab_ids)
        .filter(purchased | issued | collected | in_stock)
        .order_by()
        .values(
            "lab_key",
            chem=F("chemical_id"),
            name=F("chemical__name_zh"),
            cas=F("chemical__cas_number"),
            unit=F("chemical__unit"),
        )
        .annotate(
            purchased=Sum("size", filter=purchased),
            purchased_n=Count("pk", filter=purchased),
            issued=Sum("size", filter=issued),
            issued_n=Count("pk", filter=issued),
            # What is left in them: a half-used bottle is half a bottle of stock.
            in_stock=Sum("remaining", filter=in_stock),
            in_stock_n=Count("pk", filter=in_stock),
            collected=Sum("size", filter=collected),
            collected_n=Count("pk", filter=collected),
            # The stock limit counts full sizes (chemicals.stock).
            held=Sum("size", filter=held),
        )
    )


def _ledger_groups(lab_ids: QuerySet, start: date, end: date) -> list[dict[str, Any]]:
    """Ledger entries per lab × chemical: one query."""
    return list(
        LedgerEntry.objects.filter(package__owner_lab__in=lab_ids, used_on__gte=start, used_on__lte=end)
        .order_by()
        .values(
            lab_key=F("package__owner_lab_id"),
            chem=F("package__chemical_id"),
            name=F("package__chemical__name_zh"),
            cas=F("package__chemical__cas_number"),
            unit=F("package__chemical__unit"),
        )
        .annotate(used=Sum("quantity"), used_n=Count("package", distinct=True))
    )


def chemical_figures(
    actor: Actor, *, date_from: date | None = None, date_to: date | None = None, college_id: int | None = None
) -> ChemicalFigures:
    """The figures the actor may see (three queries whatever the number of packages and entries)."""
    start_day, end_day = figures_period(date_from, date_to)
    start, end = _day_start(start_day), _day_start(end_day + timedelta(days=1))
    total = FigureRow(key=None, label=_("Total"), unit=Unit.KILOGRAM)
    if not may_see_figures(actor):
        return ChemicalFigures(start_day, end_day, total, [], [], [], [])
    with actor_scope(actor):
        lab_ids = figure_labs(actor, college_id)
        labs_info = list(
            lab_ids.order_by("parent__order", "parent__name", "parent_id", "order", "name", "pk").values(
                "pk", "name", "parent_id", "parent__name", "stock_limit"
            )
        )
        groups = _package_groups(lab_ids.values("pk"), start, end) + _ledger_groups(
            lab_ids.values("pk"), start_day, end_day
        )
    no_college = _("No college")
    labs: dict[int, FigureRow] = {}
    colleges: dict[int | None, FigureRow] = {}
    held: dict[int, Decimal] = {}
    for info in labs_info:
        college = info["parent__name"] or no_college
        labs[info["pk"]] = FigureRow(key=info["pk"], label=info["name"], unit=Unit.KILOGRAM, college=college)
        if info["parent_id"] not in colleges:
            colleges[info["parent_id"]] = FigureRow(key=info["parent_id"], label=college, unit=Unit.KILOGRAM)
        colleges[info["parent_id"]].labs += 1
        held[info["pk"]] = Decimal(0)
    college_of = {info["pk"]: info["parent_id"] for info in labs_info}
    chemicals: dict[int, FigureRow] = {}
    for group in groups:
        lab = labs.get(group["lab_key"])
        if lab is None:  # cannot happen: both queries are limited to these labs
            continue
        unit = group["unit"]
        lab.add(group, unit)
        colleges[college_of[lab.key]].add(group, unit)
        total.add(group, unit)
        chemical = chemicals.get(group["chem"])
        if chemical is None:
            chemical = chemicals[group["chem"]] = FigureRow(
                key=group["chem"], label=group["name"], unit=unit, cas_number=group["cas"]
            )
        chemical.add(group, None)
        held[lab.key] += Unit.to_kg(group.get("held") or Decimal(0), unit)
    limits = [
        LimitRow(
            key=info["pk"],
            label=info["name"],
            college=info["parent__name"] or no_college,
            limit_kg=info["stock_limit"],
            held_kg=held[info["pk"]].quantize(_KG_PLACES),
        )
        for info in labs_info
    ]
    # The labs closest to their limit first; labs without a limit last.
    limits.sort(key=lambda row: (row.percent is None, -(row.percent or 0), row.label))
    return ChemicalFigures(
        date_from=start_day,
        date_to=end_day,
        total=total,
        labs=list(labs.values()),
        colleges=list(colleges.values()),
        chemicals=sorted(chemicals.values(), key=lambda row: (row.label, row.key)),
        limits=limits,
    )
