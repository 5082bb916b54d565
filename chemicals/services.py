"""Every write of the chemicals service: keyword-only functions that check permission once, lock the row,
transition, save, record the review and notify on commit (house pattern: approvals.engine, chemicals.tiers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import audit
from approvals.engine import (
    Notice,
    TransitionRefused,
    lock_subject,
    perform_transition,
    record_review,
)
from approvals.models import Decision, Node, OperationLog
from approvals.notify import notify
from enterprises.models import Department, Enterprise, Membership, User
from safety.tenancy import actor_scope, scopes_disabled

from . import gb18218, numbering, selectors, stock, storage_rules, tiers, waste_schedule
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
    UsedUpDeclaration,
    WasteCollection,
    WasteItem,
    WasteRegistration,
    WasteRoute,
)

if TYPE_CHECKING:
    from safety.actors import Actor


# ==== area: catalogue ====


def _lab_store(lab: Department, kind: str, name: str) -> Store:
    """Get or create a lab's store of ``kind``. The lab's row is locked first so two people issuing to the same
    lab at once do not create two stores; the caller's scope (the lab's university) applies."""
    with transaction.atomic():
        list(Department.objects.select_for_update(no_key=True).filter(pk=lab.pk).values_list("pk", flat=True))
        found = Store.objects.filter(lab_id=lab.pk, kind=kind).order_by("pk").first()
        if found is not None:
            return found
        # Store names are unique per university: a centre store may already carry the natural name.
        if Store.objects.filter(enterprise_id=lab.enterprise_id, name=name).exists():
            name = f"{name}（{lab.pk}）"
        return Store.objects.create(enterprise_id=lab.enterprise_id, lab=lab, kind=kind, name=name)


def lab_store_for(lab: Department) -> Store:
    """The lab's own virtual store (what it has paid for and not yet requisitioned), created on first use."""
    return _lab_store(lab, Store.Kind.LAB, f"{lab.name}库房")


def lab_room_store_for(lab: Department) -> Store:
    """Where the lab's issued packages physically sit (rooms / cabinets of the lab), created on first use."""
    return _lab_store(lab, Store.Kind.LAB_ROOM, f"{lab.name}实验室")


class PlacementClash(ValidationError):
    """Placing a package where incompatible chemicals already sit; the person may confirm ("place anyway")."""

    def __init__(self, clashes: list[storage_rules.Clash]) -> None:
        self.clashes = clashes
        super().__init__(
            _("Incompatible chemicals are stored there: %(list)s. Choose another place, or confirm to place it anyway.")
            % {"list": "; ".join(f"{c.package.code} {c.package.chemical.name_zh} ({c.reason})" for c in clashes)},
            code="incompatible_storage",
        )


def _cat_university(actor: Actor, allowed: bool) -> Enterprise:
    university = selectors.catalogue_university(actor)
    if university is None or not allowed:
        raise PermissionDenied(_("You may not do this in the chemicals service."))
    return university


def _cat_text(value: str | None) -> str:
    return (value or "").strip()


def _cat_placement_note(clashes: list[storage_rules.Clash]) -> str:
    if not clashes:
        return ""
    listed = ", ".join(f"{c.package.code} {c.package.chemical.name_zh}: {c.reason}" for c in clashes)
    return "; " + _("placed anyway next to incompatible chemicals (%(list)s)") % {"list": listed}


def _cat_check_place(chemical: Chemical, *, store: Store, room: str, cabinet: str, exclude_pk=None, confirm: bool):
    found = storage_rules.clashes(
        chemical,
        selectors.packages_at(store=store, room=room, cabinet=cabinet, exclude_pk=exclude_pk),
        store_id=store.pk,
        room=room,
        cabinet=cabinet,
    )
    if found and not confirm:
        raise PlacementClash(found)
    return found


def campus_save(*, actor: Actor, pk: int | None = None, name: str, delivers: bool, pickup_point: str = "") -> Campus:
    """Create or edit a campus: requisitions from its physical store are picked up (at the pick-up point) or
    delivered by the centre."""
    name, pickup_point = _cat_text(name), _cat_text(pickup_point)
    with actor_scope(actor), transaction.atomic():
        university = _cat_university(actor, actor.can("chemicals.catalogue"))
        campus = lock_subject(Campus.objects.filter(enterprise=university), pk) if pk else Campus(enterprise=university)
        errors = {}
        if not name:
            errors["name"] = _("Enter the campus's name.")
        elif Campus.objects.filter(enterprise=university, name=name).exclude(pk=campus.pk).exists():
            errors["name"] = _("The university already has a campus called “%(name)s”.") % {"name": name}
        if not delivers and not pickup_point:
            errors["pickup_point"] = _("Say where people pick their chemicals up, or tick “delivered by the centre”.")
        if errors:
            raise ValidationError(errors)
        created = campus.pk is None
        campus.name, campus.delivers, campus.pickup_point = name, bool(delivers), pickup_point
        campus.save()
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE if created else OperationLog.Action.UPDATE,
            obj=campus,
            detail=f"{'delivered' if campus.delivers else 'pick-up: ' + campus.pickup_point}",
        )
    return campus


CENTRE_STORE_KINDS = (Store.Kind.CENTRE_PHYSICAL, Store.Kind.CENTRE_VIRTUAL)


def store_save(
    *,
    actor: Actor,
    pk: int | None = None,
    kind: str | None = None,
    name: str,
    campus: Campus | None = None,
    address: str = "",
    people_exposed: int = 0,
) -> Store:
    """Create a centre store (physical, one or more per campus; or the one virtual store) or edit any store's
    name, campus, address and exposure. Labs' stores are created by lab_store_for / lab_room_store_for."""
    name, address = _cat_text(name), _cat_text(address)
    with actor_scope(actor), transaction.atomic():
        university = _cat_university(actor, actor.can("chemicals.catalogue"))
        if pk:
            store = lock_subject(Store.objects.filter(enterprise=university), pk)
        else:
            store = Store(enterprise=university, kind=kind)
        errors: dict[str, str] = {}
        if store.kind not in Store.Kind.values:
            errors["kind"] = _("Choose the kind of store.")
        elif store.pk is None and store.kind not in CENTRE_STORE_KINDS:
            errors["kind"] = _("Labs' stores are created automatically; add the centre's stores here.")
        if not name:
            errors["name"] = _("Enter the store's name.")
        elif Store.objects.filter(enterprise=university, name=name).exclude(pk=store.pk).exists():
            errors["name"] = _("The university already has a store called “%(name)s”.") % {"name": name}
        if campus is not None and campus.enterprise_id != university.pk:
            raise Http404  # a campus of another university: the form never offers it
        if store.kind == Store.Kind.CENTRE_PHYSICAL and campus is None:
            errors["campus"] = _("A physical store is on a campus: choose it.")
        virtual = Store.objects.filter(enterprise=university, kind=Store.Kind.CENTRE_VIRTUAL).exclude(pk=store.pk)
        if store.kind == Store.Kind.CENTRE_VIRTUAL and virtual.exists():
            errors["kind"] = _("The centre has one virtual store, and it already exists.")
        if people_exposed is None or people_exposed < 0:
            errors["people_exposed"] = _("Enter a number of people (0 or more).")
        if errors:
            raise ValidationError(errors)
        created = store.pk is None
        store.name, store.campus, store.address, store.people_exposed = name, campus, address, people_exposed
        store.save()
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE if created else OperationLog.Action.UPDATE,
            obj=store,
            detail=f"{store.kind} {campus.name if campus else ''}".strip(),
        )
    return store


STOCK_IN_MAX_PACKAGES = 200


def package_stock_in(
    *,
    actor: Actor,
    chemical: Chemical,
    store: Store,
    size: Decimal,
    count: int,
    room: str = "",
    cabinet: str = "",
    shelf: str = "",
    police_filing: PoliceFiling | None = None,
    filing_number: str = "",
    police_station: str = "",
    place_anyway: bool = False,
) -> list[Package]:
    """The centre's manual stock-in of its own stock into one of its physical stores: ``count`` packages of
    ``size`` (in the chemical's unit), each with its own code. A controlled chemical is linked to its police
    filing (an existing one, or a new filing number entered here); without one its packages show "not filed"."""
    room, cabinet, shelf = _cat_text(room), _cat_text(cabinet), _cat_text(shelf)
    filing_number, police_station = _cat_text(filing_number), _cat_text(police_station)
    with actor_scope(actor), transaction.atomic():
        university = _cat_university(actor, actor.can("chemicals.centre"))
        store = lock_subject(Store.objects.filter(enterprise=university), store.pk)
        errors: dict[str, str] = {}
        if store.kind != Store.Kind.CENTRE_PHYSICAL:
            errors["store"] = _("Stock-in goes to one of the centre's physical stores.")
        if not chemical.is_active:
            errors["chemical"] = _("This chemical is no longer in the catalogue.")
        if size is None or size <= 0:
            errors["size"] = _("Enter the size of one package (more than 0).")
        if not count or count < 1 or count > STOCK_IN_MAX_PACKAGES:
            errors["count"] = _("Enter between 1 and %(max)s packages.") % {"max": STOCK_IN_MAX_PACKAGES}
        if chemical.is_controlled and police_filing is not None:
            if police_filing.enterprise_id != university.pk:
                raise Http404
            if police_filing.chemical_id != chemical.pk:
                errors["police_filing"] = _("That filing is for %(other)s, not %(this)s.") % {
                    "other": police_filing.chemical.name_zh,
                    "this": chemical.name_zh,
                }
            elif filing_number:
                errors["filing_number"] = _("Choose an existing filing or enter a new filing number, not both.")
        if errors:
            raise ValidationError(errors)
        clashes = _cat_check_place(chemical, store=store, room=room, cabinet=cabinet, confirm=place_anyway)
        filing = None
        if chemical.is_controlled:
            filing = police_filing
            if filing is None and filing_number:
                filing = PoliceFiling.objects.create(
                    enterprise=university,
                    chemical=chemical,
                    quantity=size * count,
                    status=PoliceFiling.Status.FILED,
                    filing_number=filing_number,
                    police_station=police_station,
                    filed_on=timezone.localdate(),
                    filed_by=actor.user,
                )
        codes = numbering.next_numbers(
            enterprise_id=university.pk, model=Package, field="code", prefix=numbering.PACKAGE, count=count
        )
        now = timezone.now()
        packages = Package.objects.bulk_create(
            Package(
                enterprise=university,
                code=code,
                chemical=chemical,
                size=size,
                remaining=size,
                store=store,
                room=room,
                cabinet=cabinet,
                shelf=shelf,
                owner_lab=None,
                status=Package.Status.IN_STOCK,
                police_filing=filing,
                received_at=now,
            )
            for code in codes
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE,
            obj=packages[0],
            detail=(
                f"stock-in {count} × {size}{chemical.unit} {chemical.name_zh} ({chemical.cas_number}) → "
                f"{store.name} {room} {cabinet} {shelf}: {codes[0]}…{codes[-1]}"
                + (f"; police filing {filing.filing_number or filing.pk}" if filing else "")
                + _cat_placement_note(clashes)
            ),
        )
    return packages


def package_move(
    *,
    actor: Actor,
    pk: int,
    store: Store,
    room: str = "",
    cabinet: str = "",
    shelf: str = "",
    place_anyway: bool = False,
) -> Package:
    """Place or move a package (store / room / cabinet / shelf): the centre anywhere in the university, the
    owner lab's teacher within its lab's stores. Incompatible chemicals in the same cabinet need confirming,
    and the confirmation is recorded in the operation log."""
    room, cabinet, shelf = _cat_text(room), _cat_text(cabinet), _cat_text(shelf)
    with actor_scope(actor), transaction.atomic():
        package = lock_subject(selectors.packages_for(actor).select_related("chemical", "store"), pk)
        if not selectors.may_move_package(actor, package):
            raise PermissionDenied(_("Only the centre or a teacher of the package's lab may move it."))
        # Locking the target store serialises placements into it, so two incompatible packages placed at once
        # both see each other.
        try:
            target = lock_subject(selectors.move_targets(actor, package), store.pk)
        except Http404:
            raise ValidationError({"store": _("You may not move the package to that store.")}) from None
        before = package.location
        if (target.pk, room, cabinet, shelf) == (package.store_id, package.room, package.cabinet, package.shelf):
            raise ValidationError(_("The package is already there."))
        clashes = _cat_check_place(
            package.chemical, store=target, room=room, cabinet=cabinet, exclude_pk=package.pk, confirm=place_anyway
        )
        package.store, package.room, package.cabinet, package.shelf = target, room, cabinet, shelf
        package.save(update_fields=["store", "room", "cabinet", "shelf"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.UPDATE,
            obj=package,
            detail=f"moved {before} → {package.location}{_cat_placement_note(clashes)}",
        )
    return package


# ==== area: purchase ====
# Purchase rounds (申购意向征集) and purchase requests (申购). The three-tier audit itself is chemicals.tiers; this
# area adds the round's window (a submit check), the unpaid-order block (a review check), stock-in with its
# packages and payment notice, the payment follow-up (packages join the lab's own store) and police filings.


@dataclass(frozen=True)
class PurchaseLineData:
    """One line of a purchase request as a form hands it over."""

    chemical: Chemical
    package_size: Decimal
    package_count: int
    specification: str = ""
    note: str = ""


@dataclass(frozen=True)
class StockInLineData:
    """What arrived for one line: packages received and the unit price (yuan per package)."""

    line_id: int
    received_count: int
    unit_price: Decimal | None


def _pu_university(actor: Actor) -> Enterprise:
    enterprise = actor.enterprise
    if enterprise is None or not enterprise.is_university or not actor.membership.is_active:
        raise PermissionDenied(_("Purchase rounds and requests are for members of a university."))
    return enterprise


def _pu_when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _pu_check_window(*, university: Enterprise, opens_at: datetime, deadline: datetime, exclude_pk=None) -> None:
    if deadline <= opens_at:
        raise ValidationError({"deadline": [_("The deadline must come after the opening time.")]})
    # One round at a time: a request belongs to the round open when it is written.
    overlapping = (
        PurchaseRound.objects.filter(enterprise=university, opens_at__lt=deadline, deadline__gt=opens_at)
        .exclude(pk=exclude_pk)
        .first()
    )
    if overlapping is not None:
        raise ValidationError(
            {
                "opens_at": [
                    _("The window overlaps the round “%(round)s” (%(opens)s – %(deadline)s): choose another window.")
                    % {
                        "round": overlapping.title,
                        "opens": _pu_when(overlapping.opens_at),
                        "deadline": _pu_when(overlapping.deadline),
                    }
                ]
            }
        )


def purchase_round_create(
    *, actor: Actor, title: str, opens_at: datetime, deadline: datetime, notice: str = ""
) -> PurchaseRound:
    """The lab-safety office opens a round; the university's teachers are told (they pass it on to students)."""
    university = _pu_university(actor)
    with actor_scope(actor):
        if not actor.can("chemicals.rounds"):
            raise PermissionDenied(_("You may not open purchase rounds."))
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Give the round a title.")]})
    if deadline <= timezone.now():
        raise ValidationError({"deadline": [_("The deadline has already passed.")]})
    with actor_scope(actor), transaction.atomic():
        # Serialise round creation per university so two offices' clicks cannot both pass the overlap check.
        list(Enterprise.unscoped.select_for_update(no_key=True).filter(pk=university.pk).values_list("pk", flat=True))
        _pu_check_window(university=university, opens_at=opens_at, deadline=deadline)
        round_ = PurchaseRound.objects.create(
            enterprise=university,
            title=title,
            opens_at=opens_at,
            deadline=deadline,
            notice=notice or "",
            created_by=actor.user,
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE,
            obj=round_,
            detail=f"{title}: {_pu_when(opens_at)} – {_pu_when(deadline)}",
        )
        teachers = User.objects.filter(
            memberships__enterprise=university,
            memberships__role=Membership.Role.TEACHER,
            memberships__status=Membership.Status.ACTIVE,
        ).distinct()
        notify(
            recipients=teachers,
            title=_("Purchase round open: %(title)s") % {"title": title},
            body=_(
                "Labs submit their purchase requests from %(opens)s to %(deadline)s; requests submitted outside "
                "this window are not accepted. %(notice)s"
            )
            % {"opens": _pu_when(opens_at), "deadline": _pu_when(deadline), "notice": notice or ""},
            url=reverse("chemicals:purchase_request_create") + f"?round={round_.pk}",
        )
    return round_


def purchase_round_update(
    *, actor: Actor, pk: int, title: str, opens_at: datetime, deadline: datetime, notice: str = ""
) -> PurchaseRound:
    university = _pu_university(actor)
    with actor_scope(actor), transaction.atomic():
        round_ = lock_subject(selectors.purchase_rounds_for(actor), pk)
        if not actor.can("chemicals.rounds"):
            raise PermissionDenied(_("You may not change purchase rounds."))
        title = (title or "").strip()
        if not title:
            raise ValidationError({"title": [_("Give the round a title.")]})
        _pu_check_window(university=university, opens_at=opens_at, deadline=deadline, exclude_pk=round_.pk)
        changes = [
            f"{name}: {old} → {new}"
            for name, old, new in (
                ("title", round_.title, title),
                ("opens_at", _pu_when(round_.opens_at), _pu_when(opens_at)),
                ("deadline", _pu_when(round_.deadline), _pu_when(deadline)),
                ("notice", round_.notice, notice or ""),
            )
            if old != new
        ]
        if not changes:
            return round_
        round_.title, round_.opens_at, round_.deadline, round_.notice = title, opens_at, deadline, notice or ""
        round_.save(update_fields=["title", "opens_at", "deadline", "notice"])
        audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=round_, detail="; ".join(changes))
    return round_


def purchase_round_mark_tendered(*, actor: Actor, pk: int) -> PurchaseRound:
    """The office records that the round's aggregation went out for tendering."""
    _pu_university(actor)
    with actor_scope(actor), transaction.atomic():
        round_ = lock_subject(selectors.purchase_rounds_for(actor), pk)
        if not actor.can("chemicals.rounds"):
            raise PermissionDenied(_("You may not change purchase rounds."))
        if round_.tendered_at is None:
            round_.tendered_at = timezone.now()
            round_.save(update_fields=["tendered_at"])
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=round_, detail="tendered")
    return round_


def _pu_lines(order: PurchaseRequest, lines: Iterable[PurchaseLineData]) -> list[PurchaseLine]:
    rows = []
    for i, data in enumerate(lines, start=1):
        if not data.chemical.is_active:
            raise ValidationError(
                _("Line %(n)s: %(chemical)s is no longer in the catalogue.") % {"n": i, "chemical": data.chemical}
            )
        if data.package_size is None or data.package_size <= 0:
            raise ValidationError(_("Line %(n)s: the package size must be more than zero.") % {"n": i})
        if not data.package_count or data.package_count < 1:
            raise ValidationError(_("Line %(n)s: order at least one package.") % {"n": i})
        rows.append(
            PurchaseLine(
                enterprise_id=order.enterprise_id,
                request=order,
                chemical=data.chemical,
                package_size=data.package_size,
                package_count=data.package_count,
                specification=(data.specification or "")[:100],
                note=(data.note or "")[:200],
            )
        )
    if not rows:
        raise ValidationError(_("Add at least one chemical."))
    return rows


def purchase_request_create(
    *,
    actor: Actor,
    round_id: int,
    lab_id: int,
    lines: Iterable[PurchaseLineData],
    purpose: str = "",
    contact_phone: str = "",
) -> PurchaseRequest:
    """A teacher or student writes a purchase request (a draft) for its lab in an open round."""
    university = _pu_university(actor)
    lines = list(lines)
    with actor_scope(actor), transaction.atomic():
        if not actor.can("chemicals.order"):
            raise PermissionDenied(_("You may not write purchase requests."))
        round_ = selectors.purchase_rounds_for(actor).filter(pk=round_id).first()
        if round_ is None or not round_.is_open:
            raise ValidationError({"round": [_("Choose a purchase round that is open now.")]})
        if lab_id not in tiers.actor_lab_ids(actor):
            raise ValidationError({"lab": [_("Choose one of your own labs.")]})
        number = numbering.next_number(
            enterprise_id=university.pk, model=PurchaseRequest, field="number", prefix=numbering.PURCHASE_REQUEST
        )
        order = PurchaseRequest.objects.create(
            enterprise=university,
            number=number,
            round=round_,
            lab_id=lab_id,
            submitter=actor.user,
            purpose=purpose or "",
            contact_phone=(contact_phone or "")[:20],
        )
        PurchaseLine.objects.bulk_create(_pu_lines(order, lines))
        audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=order, detail=number)
    return order


def purchase_request_update(
    *, actor: Actor, pk: int, lines: Iterable[PurchaseLineData], purpose: str = "", contact_phone: str = ""
) -> PurchaseRequest:
    """The submitter changes a draft or a rejected request (its lines are replaced)."""
    _pu_university(actor)
    lines = list(lines)
    with actor_scope(actor), transaction.atomic():
        order = lock_subject(tiers.orders_for(actor, PurchaseRequest), pk)
        if order.submitter_id != actor.user.pk:
            raise PermissionDenied(_("Only the person who wrote the request changes it."))
        if order.status not in (OrderStatus.DRAFT, OrderStatus.REJECTED):
            raise TransitionRefused(
                _("Only a draft or a rejected request can be changed; this one is “%(state)s”.")
                % {"state": order.get_status_display()}
            )
        rows = _pu_lines(order, lines)
        order.lines.all().delete()
        PurchaseLine.objects.bulk_create(rows)
        order.purpose, order.contact_phone = purpose or "", (contact_phone or "")[:20]
        order.save(update_fields=["purpose", "contact_phone"])
        audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=order, detail=f"{len(rows)} line(s)")
    return order


def purchase_request_submit(*, actor: Actor, pk: int) -> PurchaseRequest:
    return tiers.order_submit(actor=actor, model=PurchaseRequest, pk=pk)


def purchase_request_withdraw(*, actor: Actor, pk: int) -> PurchaseRequest:
    # tiers builds its queryset before perform_transition opens the scope: open it here (callers outside a request).
    return tiers.order_withdraw(actor=actor, model=PurchaseRequest, pk=pk)


def purchase_request_review(
    *, actor: Actor, pk: int, approve: bool, reason: str = "", seen_status: str = ""
) -> PurchaseRequest:
    """Decide the request's current step. ``seen_status`` is the step the reviewer had on screen: when someone
    else decided it meanwhile, the reviewer is told who and when (tiers.order_review)."""
    return tiers.order_review(
        actor=actor, model=PurchaseRequest, pk=pk, approve=approve, reason=reason, seen_status=seen_status or None
    )


def _pu_window_check(order: PurchaseRequest) -> str | None:
    """SUBMIT_CHECKS: requests are submitted (and resubmitted) only inside their round's window."""
    round_ = order.round
    now = timezone.now()
    if round_.is_open_at(now):
        return None
    values = {"round": round_.title, "opens": _pu_when(round_.opens_at), "deadline": _pu_when(round_.deadline)}
    if now < round_.opens_at:
        return _("The round “%(round)s” is not open yet: submit between %(opens)s and %(deadline)s.") % values
    return (
        _(
            "The round “%(round)s” closed at %(deadline)s (its window was %(opens)s – %(deadline)s): requests can "
            "no longer be submitted in it. Submit the chemicals in the next round."
        )
        % values
    )


def _pu_unpaid_check(order: PurchaseRequest) -> str | None:
    """REVIEW_CHECKS: a lab with an unpaid purchase order gets no further purchase requests reviewed (seed 000:
    未完成付款 → the lab is taken to have no need of the chemicals)."""
    unpaid = list(selectors.unpaid_purchase_numbers(order.lab_id, exclude_pk=order.pk))
    if not unpaid:
        return None
    return _(
        "%(lab)s has an unpaid purchase order (%(numbers)s): no further purchase requests of the lab are reviewed "
        "until it is paid. Open that order, pay the amount of its payment notice (scan the payment code and enter "
        "the payment reference) and wait for the centre to confirm receipt; then decide this request."
    ) % {"lab": order.lab.name, "numbers": ", ".join(unpaid)}


tiers.SUBMIT_CHECKS[PurchaseRequest].append(_pu_window_check)
tiers.REVIEW_CHECKS[PurchaseRequest].append(_pu_unpaid_check)


def _pu_centre_store(university: Enterprise, campus_id: int | None) -> Store:
    campus = Campus.objects.filter(enterprise=university, pk=campus_id).first() if campus_id else None
    if campus is None:
        raise ValidationError({"campus": [_("Choose the campus whose store receives the chemicals.")]})
    store = (
        Store.objects.filter(enterprise=university, kind=Store.Kind.CENTRE_PHYSICAL, campus=campus)
        .order_by("name", "pk")
        .first()
    )
    if store is None:
        raise ValidationError({"campus": [_("%(campus)s has no store of the centre yet.") % {"campus": campus}]})
    return store


def purchase_stock_in(
    *, actor: Actor, pk: int, campus_id: int | None, lines: Iterable[StockInLineData]
) -> PurchaseRequest:
    """The centre stocks in an approved request: one Package per bottle received, in the centre's store of the
    chosen campus, owned by the request's lab; the lab gets the payment notice (5 → 6, payment: no)."""
    university = _pu_university(actor)
    received = {data.line_id: data for data in lines}
    with actor_scope(actor):
        store = _pu_centre_store(university, campus_id)

    def before_save(order: PurchaseRequest) -> None:
        order_lines = list(order.lines.select_related("chemical"))
        errors: list[str] = []
        total = 0
        for i, line in enumerate(order_lines, start=1):
            data = received.get(line.pk)
            count = data.received_count if data else 0
            price = data.unit_price if data else None
            if count < 0 or count > line.package_count:
                errors.append(
                    _("Line %(n)s (%(chemical)s): between 0 and %(max)s packages can be received.")
                    % {"n": i, "chemical": line.chemical.name_zh, "max": line.package_count}
                )
            if count and (price is None or price < 0):
                errors.append(
                    _("Line %(n)s (%(chemical)s): give the unit price.") % {"n": i, "chemical": line.chemical.name_zh}
                )
            line.received_count, line.unit_price = count, price if count else None
            total += max(count, 0)
        if errors:
            raise ValidationError(errors)
        if total == 0:
            raise ValidationError(_("Nothing received: enter the packages that arrived."))
        codes = iter(
            numbering.next_numbers(
                enterprise_id=order.enterprise_id, model=Package, field="code", prefix=numbering.PACKAGE, count=total
            )
        )
        filings = {f.chemical_id: f for f in PoliceFiling.objects.filter(round_id=order.round_id)}
        packages = []
        for line in order_lines:
            line.save(update_fields=["received_count", "unit_price"])
            packages += [
                Package(
                    enterprise_id=order.enterprise_id,
                    code=next(codes),
                    chemical=line.chemical,
                    size=line.package_size,
                    remaining=line.package_size,
                    store=store,
                    owner_lab_id=order.lab_id,
                    status=Package.Status.IN_STOCK,
                    police_filing=filings.get(line.chemical_id),
                    purchase_line=line,
                )
                for _n in range(line.received_count)
            ]
        Package.objects.bulk_create(packages)

    def notices(order: PurchaseRequest):
        amount = selectors.purchase_amount(order)
        yield Notice(
            recipients=[order.submitter, order.lab.head],
            title=_("Payment notice: %(number)s, %(amount)s yuan") % {"number": order.number, "amount": amount},
            body=_(
                "The chemicals of purchase request %(number)s are stocked in. The lab pays %(amount)s yuan once "
                "(the payment notice lists each line); after the centre confirms receipt they join the lab's own "
                "store. Payment notice (PDF): %(pdf)s"
            )
            % {
                "number": order.number,
                "amount": amount,
                "pdf": reverse("chemicals:purchase_payment_notice", args=[order.pk]),
            },
            url=reverse("chemicals:purchase_request_pay", args=[order.pk]),
        )

    with actor_scope(actor):
        return perform_transition(
            actor=actor,
            queryset=tiers.orders_for(actor, PurchaseRequest),
            pk=pk,
            transition="stock",
            node=Node.SERVICE_CENTRE,
            node_name=str(store),
            decision=Decision.STOCK,
            reason=_("Stocked in at %(store)s; payment notice sent.") % {"store": store},
            check=lambda order: actor.can("chemicals.centre"),
            before_save=before_save,
            notices=notices,
        )


def purchase_pay(*, actor: Actor, pk: int, reference: str) -> PurchaseRequest:
    if not (reference or "").strip():
        raise ValidationError({"reference": [_("Enter the reference of your payment so the centre can find it.")]})
    return tiers.order_pay(actor=actor, model=PurchaseRequest, pk=pk, reference=reference)


def purchase_confirm_payment(*, actor: Actor, pk: int) -> PurchaseRequest:
    return tiers.order_confirm_payment(actor=actor, model=PurchaseRequest, pk=pk)


def purchase_reject_payment(*, actor: Actor, pk: int, reason: str) -> PurchaseRequest:
    return tiers.order_reject_payment(actor=actor, model=PurchaseRequest, pk=pk, reason=reason)


def _pu_payment_confirmed(actor: Actor, order: PurchaseRequest) -> None:
    """PAYMENT_CONFIRMED: the request completes (6 → 7) and its packages move into the lab's own store."""
    order.complete()
    store = lab_store_for(order.lab)  # the catalogue area's get-or-create of the lab's own store
    moved = Package.objects.filter(
        enterprise_id=order.enterprise_id, purchase_line__request=order, status=Package.Status.IN_STOCK
    ).update(store=store, owner_lab_id=order.lab_id)
    audit.log_operation(
        actor=actor,
        action=OperationLog.Action.UPDATE,
        obj=order,
        detail=f"{moved} package(s) → {store.name}",
    )


tiers.PAYMENT_CONFIRMED[PurchaseRequest] = _pu_payment_confirmed


def police_filings_prepare(*, actor: Actor, round_id: int) -> list[PoliceFiling]:
    """One filing per controlled chemical approved in the round (quantity = the round's total); pending filings
    follow the totals, filed ones are left as the police recorded them."""
    university = _pu_university(actor)
    with actor_scope(actor), transaction.atomic():
        round_ = lock_subject(selectors.purchase_rounds_for(actor), round_id)
        if not actor.can("chemicals.rounds"):
            raise PermissionDenied(_("You may not file with the police."))
        totals = selectors.round_chemical_totals(round_, controlled_only=True)
        existing = {f.chemical_id: f for f in PoliceFiling.objects.filter(round=round_)}
        result = []
        for chemical_id, quantity in totals.items():
            filing = existing.get(chemical_id)
            if filing is None:
                filing = PoliceFiling.objects.create(
                    enterprise=university, round=round_, chemical_id=chemical_id, quantity=quantity
                )
                audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=filing, detail=str(quantity))
            elif filing.status == PoliceFiling.Status.PENDING and filing.quantity != quantity:
                filing.quantity = quantity
                filing.save(update_fields=["quantity"])
            # Packages stocked in before the filing existed get it now.
            Package.objects.filter(
                purchase_line__request__round=round_, chemical_id=chemical_id, police_filing__isnull=True
            ).update(police_filing=filing)
            result.append(filing)
    return result


def police_filing_record(
    *, actor: Actor, pk: int, filing_number: str, police_station: str, filed_on: date
) -> PoliceFiling:
    _pu_university(actor)
    filing_number, police_station = (filing_number or "").strip(), (police_station or "").strip()
    errors = {}
    if not filing_number:
        errors["filing_number"] = [_("Enter the filing number the police gave.")]
    if not police_station:
        errors["police_station"] = [_("Enter the police authority.")]
    if filed_on is None:
        errors["filed_on"] = [_("Enter the date of the filing.")]
    elif filed_on > timezone.localdate():
        errors["filed_on"] = [_("The filing date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    with actor_scope(actor), transaction.atomic():
        filing = lock_subject(selectors.police_filings_for(actor), pk)
        if not actor.can("chemicals.rounds"):
            raise PermissionDenied(_("You may not file with the police."))
        before = f"{filing.get_status_display()} {filing.filing_number}"
        filing.filing_number, filing.police_station, filing.filed_on = filing_number, police_station, filed_on
        filing.status, filing.filed_by = PoliceFiling.Status.FILED, actor.user
        filing.save(update_fields=["filing_number", "police_station", "filed_on", "status", "filed_by"])
        audit.log_operation(
            actor=actor, action=OperationLog.Action.UPDATE, obj=filing, detail=f"{before} → {filing_number}"
        )
    return filing


# ==== area: requisition ====
# Requisitions (申领) from the centre's physical store, the centre's virtual store or the lab's own store. The
# order goes through the three-tier audit of chemicals.tiers (submit / review / withdraw / payment); here are the
# order's edits, its submit checks (stock limit, availability) and the centre's work after the office approves:
# stock (reserve packages of the campus's store, or create them for the virtual store), issue (出库) to the lab.

RQ = Requisition.Source
RQ_EDITABLE = (OrderStatus.DRAFT, OrderStatus.REJECTED)


def _rq_require_order(actor: Actor) -> None:
    if not actor.can("chemicals.order"):
        raise PermissionDenied(_("Only a lab's teachers and students write requisitions."))


def _rq_require_centre(actor: Actor) -> None:
    if not actor.can("chemicals.centre"):
        raise PermissionDenied(_("Only the chemicals service centre stocks and issues requisitions."))


def _rq_refused(requisition: Requisition, what: str) -> TransitionRefused:
    return TransitionRefused(
        _("Requisition %(number)s is now “%(status)s”: %(what)s")
        % {"number": requisition.number, "status": requisition.get_status_display(), "what": what}
    )


def _rq_clean_header(
    actor: Actor, *, source: str, lab_id: int | None, campus_id: int | None, handover: str
) -> tuple[Department, Campus | None, str]:
    errors: dict[str, str] = {}
    if source not in RQ.values:
        errors["source"] = _("Choose the store to requisition from.")
    labs = tiers.actor_lab_ids(actor)
    if lab_id is None and len(labs) == 1:
        lab_id = labs[0]
    lab = Department.objects.filter(pk=lab_id).first() if lab_id in labs else None
    if lab is None:
        errors["lab"] = _("Choose one of your labs.")
    campus = None
    if source in (RQ.CENTRE_PHYSICAL, RQ.CENTRE_VIRTUAL):
        campus = Campus.objects.filter(enterprise=actor.enterprise, pk=campus_id).first() if campus_id else None
        if campus is None:
            errors["campus"] = _("Choose the campus: the centre's store there hands the chemicals out.")
        if handover not in Requisition.Handover.values:
            errors["handover"] = _("Choose pick-up or delivery.")
        elif handover == Requisition.Handover.DELIVERY and campus is not None and not campus.delivers:
            errors["handover"] = _("The centre does not deliver on %(campus)s: choose pick-up (at %(point)s).") % {
                "campus": campus.name,
                "point": campus.pickup_point or campus.name,
            }
    else:
        handover = ""  # the lab's own store: nothing moves between campuses
    if errors:
        raise ValidationError(errors)
    return lab, campus, handover


def _rq_clean_lines(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    for n, line in enumerate(lines, 1):
        chemical = Chemical.objects.filter(pk=line.get("chemical_id"), is_active=True).first()
        try:
            size = Decimal(str(line.get("package_size")))
            count = int(line.get("package_count"))
        except (ArithmeticError, TypeError, ValueError):
            errors.append(_("Line %(n)s: give the package size and the number of packages.") % {"n": n})
            continue
        if chemical is None:
            errors.append(_("Line %(n)s: choose a chemical of the catalogue.") % {"n": n})
        elif not size.is_finite() or size <= 0 or count < 1:
            errors.append(_("Line %(n)s: the package size and the number of packages must be above zero.") % {"n": n})
        else:
            cleaned.append(
                {
                    "chemical": chemical,
                    "package_size": size.quantize(Decimal("0.001")),
                    "package_count": count,
                    "note": (line.get("note") or "")[:200],
                }
            )
    if errors:
        raise ValidationError({"lines": errors})
    if not cleaned:
        raise ValidationError({"lines": [_("Add at least one chemical.")]})
    return cleaned


def requisition_save(
    *,
    actor: Actor,
    source: str,
    lines: Iterable[dict[str, Any]],
    pk: int | None = None,
    lab_id: int | None = None,
    campus_id: int | None = None,
    handover: str = "",
    purpose: str = "",
    contact_phone: str = "",
) -> Requisition:
    """Write a new requisition (step 1) or edit a draft or rejected one (its lines are replaced). ``lines``:
    dicts of chemical_id, package_size, package_count, note."""
    with actor_scope(actor), transaction.atomic():
        _rq_require_order(actor)
        requisition = None
        if pk is not None:
            requisition = lock_subject(selectors.requisitions_for(actor), pk)
            if requisition.submitter_id != actor.user.pk:
                raise PermissionDenied(_("Only the person who wrote the requisition edits it."))
            if requisition.status not in RQ_EDITABLE:
                raise _rq_refused(requisition, _("it can no longer be edited."))
        lab, campus, handover = _rq_clean_header(
            actor, source=source, lab_id=lab_id, campus_id=campus_id, handover=handover
        )
        cleaned = _rq_clean_lines(lines)
        if requisition is None:
            requisition = Requisition(
                enterprise=actor.enterprise,
                submitter=actor.user,
                number=numbering.next_number(
                    enterprise_id=actor.enterprise.pk,
                    model=Requisition,
                    field="number",
                    prefix=numbering.REQUISITION,
                ),
            )
        requisition.lab = lab
        requisition.source = source
        requisition.campus = campus
        requisition.handover = handover
        requisition.purpose = purpose.strip()
        requisition.contact_phone = contact_phone.strip()[:20]
        created = requisition.pk is None
        requisition.save()
        if not created:
            requisition.lines.all().delete()
        RequisitionLine.objects.bulk_create(
            RequisitionLine(enterprise_id=requisition.enterprise_id, requisition=requisition, **line)
            for line in cleaned
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE if created else OperationLog.Action.UPDATE,
            obj=requisition,
            detail="; ".join(
                f"{line['chemical'].name_zh} {line['package_size']}{line['chemical'].unit} × {line['package_count']}"
                for line in cleaned
            )[:2000],
        )
    return requisition


def requisition_submit(*, actor: Actor, pk: int) -> Requisition:
    """Step 1 → 2 (the checks below run first: stock limit, availability)."""
    with actor_scope(actor):
        _rq_require_order(actor)
        return tiers.order_submit(actor=actor, model=Requisition, pk=pk)


# tiers.order_withdraw / order_pay / order_confirm_payment / order_reject_payment build their queryset before
# perform_transition opens the actor's scope: the scope is opened here (reported in model_requests.md).


def requisition_withdraw(*, actor: Actor, pk: int) -> Requisition:
    return tiers.order_withdraw(actor=actor, model=Requisition, pk=pk)


def requisition_review(*, actor: Actor, pk: int, approve: bool, reason: str = "") -> Requisition:
    return tiers.order_review(actor=actor, model=Requisition, pk=pk, approve=approve, reason=reason)


def requisition_pay(*, actor: Actor, pk: int, reference: str = "") -> Requisition:
    return tiers.order_pay(actor=actor, model=Requisition, pk=pk, reference=reference)


def requisition_confirm_payment(*, actor: Actor, pk: int) -> Requisition:
    return tiers.order_confirm_payment(actor=actor, model=Requisition, pk=pk)


def requisition_reject_payment(*, actor: Actor, pk: int, reason: str) -> Requisition:
    return tiers.order_reject_payment(actor=actor, model=Requisition, pk=pk, reason=reason)


# ---- submit checks (chemicals.tiers.SUBMIT_CHECKS) ----


def _rq_requested_kg(order: Requisition) -> Decimal:
    return sum((line.size_kg for line in order.lines.select_related("chemical")), Decimal(0))


def rq_check_stock_limit(order: Requisition) -> str | None:
    """A lab at its stock limit cannot requisition: the message names the packages to close out."""
    result = stock.check_stock_limit(order.lab, _rq_requested_kg(order))
    return None if result.allowed else result.message


def rq_check_availability(order: Requisition) -> str | None:
    """Each line must be available in the chosen store (less what requisitions under way already ask for)."""
    if order.source == RQ.CENTRE_VIRTUAL:
        inactive = [
            line.chemical.name_zh for line in order.lines.select_related("chemical") if not line.chemical.is_active
        ]
        if inactive:
            return _("No longer in the catalogue: %(names)s. Remove them from the requisition.") % {
                "names": ", ".join(inactive)
            }
        return None
    offers = {
        o.key: o
        for o in selectors.requisition_offers(
            enterprise_id=order.enterprise_id,
            source=order.source,
            lab_id=order.lab_id,
            campus_id=order.campus_id,
            exclude_pk=order.pk,
        )
    }
    store_name = (
        order.get_source_display() if order.campus is None else f"{order.get_source_display()} ({order.campus})"
    )
    problems = []
    wanted: dict[str, int] = {}
    for line in order.lines.select_related("chemical"):
        key = f"{line.chemical_id}:{selectors.rq_size_key(line.package_size)}"
        wanted[key] = wanted.get(key, 0) + line.package_count
        offer = offers.get(key)
        available = offer.available if offer else 0
        if wanted[key] > available:
            problems.append(
                _(
                    "%(chemical)s %(size)s %(unit)s: %(wanted)s requested, %(available)s available "
                    "(%(in_stock)s in stock, %(claimed)s asked for by requisitions under way)"
                )
                % {
                    "chemical": line.chemical.name_zh,
                    "size": selectors.rq_size_key(line.package_size),
                    "unit": line.chemical.unit,
                    "wanted": wanted[key],
                    "available": available,
                    "in_stock": offer.in_stock if offer else 0,
                    "claimed": offer.claimed if offer else 0,
                }
            )
    if problems:
        return _("Not enough in %(store)s: %(problems)s.") % {"store": store_name, "problems": "; ".join(problems)}
    return None


tiers.SUBMIT_CHECKS[Requisition].extend([rq_check_stock_limit, rq_check_availability])


# ---- the centre: stock, issue ----


def _rq_notify_submitter(requisition: Requisition, title: str, body: str = "") -> None:
    notify(recipients=[requisition.submitter], title=title, body=body, url=tiers.order_url(requisition))


def _rq_reserve(requisition: Requisition, lines: list[RequisitionLine], chosen: dict[int, list[int]]) -> list[Package]:
    """Reserve the chosen packages of the campus's physical store (or the oldest free ones for a line with no
    choice). Packages are locked first: one reserved by someone else a moment ago is refused by code."""
    ids = [pk for line in lines for pk in chosen.get(line.pk, [])]
    if len(ids) != len(set(ids)):
        raise TransitionRefused(_("A package is chosen for two lines: choose each package once."))
    base = selectors.requisition_store_packages(
        enterprise_id=requisition.enterprise_id,
        source=requisition.source,
        lab_id=requisition.lab_id,
        campus_id=requisition.campus_id,
    )
    locked = {
        p.pk: p
        for p in Package.objects.select_for_update(of=("self",))
        .filter(enterprise_id=requisition.enterprise_id, pk__in=ids)
        .select_related("store", "chemical")
        .order_by("pk")
    }
    free = set(base.filter(pk__in=ids).values_list("pk", flat=True))
    reserved: list[Package] = []
    for line in lines:
        picks = chosen.get(line.pk, [])
        label = f"{line.chemical.name_zh} {selectors.rq_size_key(line.package_size)} {line.chemical.unit}"
        if picks:
            if len(picks) != line.package_count:
                raise TransitionRefused(
                    _("%(line)s: choose %(count)s packages (%(chosen)s chosen).")
                    % {"line": label, "count": line.package_count, "chosen": len(picks)}
                )
            packages = []
            for pk in picks:
                package = locked.get(pk)
                if package is None or pk not in free:
                    code = package.code if package is not None else f"#{pk}"
                    raise TransitionRefused(
                        _(
                            "Package %(code)s is no longer in stock on %(campus)s (reserved or issued a moment ago?): "
                            "choose another."
                        )
                        % {"code": code, "campus": requisition.campus}
                    )
                if package.chemical_id != line.chemical_id or package.size != line.package_size:
                    raise TransitionRefused(
                        _("Package %(code)s is not %(line)s.") % {"code": package.code, "line": label}
                    )
                packages.append(package)
        else:
            packages = list(
                base.select_for_update(skip_locked=True, of=("self",))
                .filter(chemical_id=line.chemical_id, size=line.package_size)
                .exclude(pk__in=ids)
                .select_related("chemical")
                .order_by("received_at", "code", "pk")[: line.package_count]
            )
            if len(packages) < line.package_count:
                raise TransitionRefused(
                    _("%(line)s: %(count)s requested, only %(left)s free in the store on %(campus)s.")
                    % {"line": label, "count": line.package_count, "left": len(packages), "campus": requisition.campus}
                )
        for package in packages:
            package.reserve()
            package.requisition_line = line
            package.save(update_fields=["status", "requisition_line"])
        reserved.extend(packages)
    return reserved


def _rq_create_packages(requisition: Requisition, lines: list[RequisitionLine]) -> list[Package]:
    """The centre's virtual store: the centre buys in and the packages arrive in the campus's physical store,
    reserved for this requisition."""
    store = (
        Store.objects.filter(
            enterprise_id=requisition.enterprise_id, kind=Store.Kind.CENTRE_PHYSICAL, campus_id=requisition.campus_id
        )
        .order_by("pk")
        .first()
    )
    if store is None:
        raise TransitionRefused(
            _("%(campus)s has no physical store of the centre to stock into: add one first.")
            % {"campus": requisition.campus}
        )
    total = sum(line.package_count for line in lines)
    codes = iter(
        numbering.next_numbers(
            enterprise_id=requisition.enterprise_id,
            model=Package,
            field="code",
            prefix=numbering.PACKAGE,
            count=total,
        )
    )
    packages = [
        Package(
            enterprise_id=requisition.enterprise_id,
            code=next(codes),
            chemical=line.chemical,
            size=line.package_size,
            remaining=line.package_size,
            store=store,
            status=Package.Status.RESERVED,
            requisition_line=line,
        )
        for line in lines
        for _n in range(line.package_count)
    ]
    return Package.objects.bulk_create(packages)


def requisition_stock(
    *,
    actor: Actor,
    pk: int,
    unit_prices: dict[int, Decimal],
    packages: dict[int, list[int]] | None = None,
) -> Requisition:
    """Step 5 → 6 for the centre's stores: reserve (physical) or create (virtual) the packages, set the unit
    prices of the payment notice; the payment becomes due (否)."""
    with actor_scope(actor), transaction.atomic():
        requisition = lock_subject(selectors.requisitions_for(actor), pk)
        _rq_require_centre(actor)
        if requisition.source == RQ.LAB:
            raise TransitionRefused(_("A requisition from the lab's own store is issued directly: nothing to stock."))
        if requisition.status != OrderStatus.APPROVED:
            raise _rq_refused(requisition, _("it can no longer be stocked."))
        lines = list(requisition.lines.select_related("chemical"))
        missing = [line for line in lines if unit_prices.get(line.pk) is None or unit_prices[line.pk] < 0]
        if missing:
            raise ValidationError(
                {
                    "unit_prices": _("Give the unit price of every line (%(lines)s).")
                    % {"lines": ", ".join(map(str, missing))}
                }
            )
        if requisition.source == RQ.CENTRE_PHYSICAL:
            stocked = _rq_reserve(requisition, lines, packages or {})
        else:
            stocked = _rq_create_packages(requisition, lines)
        for line in lines:
            line.unit_price = Decimal(unit_prices[line.pk]).quantize(Decimal("0.01"))
            line.save(update_fields=["unit_price"])
        amount = selectors.requisition_amount(lines)
        from_state = requisition.status
        requisition.stock()
        requisition.save()
        codes = ", ".join(p.code for p in stocked)
        reason = _("Stocked: %(codes)s. Amount due: %(amount)s yuan.") % {"codes": codes, "amount": amount}
        record_review(
            actor=actor,
            subject=requisition,
            node=Node.SERVICE_CENTRE,
            decision=Decision.STOCK,
            reason=reason,
            from_state=from_state,
            to_state=requisition.status,
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.TRANSITION,
            obj=requisition,
            detail=f"{from_state} → {requisition.status}: {codes}"[:2000],
        )
        _rq_notify_submitter(
            requisition,
            _("Requisition %(number)s is stocked: pay %(amount)s yuan")
            % {"number": requisition.number, "amount": amount},
            _("Pay within 5 days, or the requisition ends automatically."),
        )
    return requisition


def _rq_custodian(actor: Actor, user_id: int | None, required: bool) -> User | None:
    if not user_id:
        if required:
            raise ValidationError(
                {
                    "second_custodian": _(
                        "Highly toxic chemicals are issued by two custodians (双人双锁): choose the second one."
                    )
                }
            )
        return None
    user = selectors.second_custodian_choices(actor).filter(pk=user_id).first()
    if user is None:
        raise ValidationError(
            {
                "second_custodian": _(
                    "The second custodian is another centre staff member or lab-safety officer, not the issuer."
                )
            }
        )
    return user


def _rq_issue_packages(requisition: Requisition, lines: list[RequisitionLine]) -> list[tuple[RequisitionLine, Package]]:
    if requisition.source != RQ.LAB:
        reserved = list(
            Package.objects.select_for_update(of=("self",))
            .filter(enterprise_id=requisition.enterprise_id, requisition_line__requisition=requisition)
            .order_by("pk")
        )
        by_line = {line.pk: line for line in lines}
        bad = [p.code for p in reserved if p.status != Package.Status.RESERVED]
        if bad or not reserved:
            raise TransitionRefused(
                _("The packages reserved for this requisition are not all waiting to be issued: %(codes)s.")
                % {"codes": ", ".join(bad) or "—"}
            )
        return [(by_line[p.requisition_line_id], p) for p in reserved]
    base = selectors.requisition_store_packages(
        enterprise_id=requisition.enterprise_id, source=RQ.LAB, lab_id=requisition.lab_id, campus_id=None
    )
    picked: list[tuple[RequisitionLine, Package]] = []
    taken: list[int] = []
    for line in lines:
        # skip_locked: two issues from one lab's store at once take different packages.
        packages = list(
            base.select_for_update(skip_locked=True, of=("self",))
            .filter(chemical_id=line.chemical_id, size=line.package_size)
            .exclude(pk__in=taken)
            .order_by("received_at", "code", "pk")[: line.package_count]
        )
        if len(packages) < line.package_count:
            raise TransitionRefused(
                _("%(chemical)s %(size)s %(unit)s: %(count)s requested, only %(left)s left in the lab's own store.")
                % {
                    "chemical": line.chemical.name_zh,
                    "size": selectors.rq_size_key(line.package_size),
                    "unit": line.chemical.unit,
                    "count": line.package_count,
                    "left": len(packages),
                }
            )
        taken.extend(p.pk for p in packages)
        picked.extend((line, p) for p in packages)
    return picked


def requisition_issue(*, actor: Actor, pk: int, second_custodian_id: int | None = None) -> Requisition:
    """出库 (step 7): the packages go to the lab's room store, owned by the lab; from the lab's own store right after
    approval, from the centre's stores once the payment is confirmed. Highly toxic chemicals need a second
    custodian; both are recorded on the requisition and in its review record."""
    with actor_scope(actor), transaction.atomic():
        requisition = lock_subject(selectors.requisitions_for(actor), pk)
        _rq_require_centre(actor)
        if requisition.source == RQ.LAB and requisition.status != OrderStatus.APPROVED:
            raise _rq_refused(requisition, _("it cannot be issued now."))
        if requisition.source != RQ.LAB:
            if requisition.status == OrderStatus.APPROVED:
                raise TransitionRefused(_("Stock the requisition first: the lab pays, then it is issued."))
            if requisition.status != OrderStatus.STOCKED:
                raise _rq_refused(requisition, _("it cannot be issued now."))
            if requisition.payment_status != PaymentStatus.PAID:
                raise TransitionRefused(
                    _("The payment of %(number)s is not confirmed yet (paid: %(paid)s): confirm it before issuing.")
                    % {"number": requisition.number, "paid": requisition.get_payment_status_display()}
                )
        lines = list(requisition.lines.select_related("chemical"))
        toxic = [line.chemical.name_zh for line in lines if line.chemical.is_highly_toxic]
        custodian = _rq_custodian(actor, second_custodian_id, required=bool(toxic))
        picked = _rq_issue_packages(requisition, lines)
        room = lab_room_store_for(requisition.lab)  # the catalogue area's helper
        for line, package in picked:
            package.issue()
            package.owner_lab = requisition.lab
            package.store = room
            package.room = package.cabinet = package.shelf = ""
            package.requisition_line = line
            package.save()
        from_state = requisition.status
        requisition.issued_by = actor.user
        requisition.second_custodian = custodian
        requisition.issue()
        requisition.save()
        codes = ", ".join(p.code for _line, p in picked)
        reason = _("Issued to %(lab)s: %(codes)s. Issued by %(issuer)s.") % {
            "lab": requisition.lab.name,
            "codes": codes,
            "issuer": actor.display_name,
        }
        if custodian is not None:
            reason += " " + _("Second custodian: %(name)s.") % {"name": custodian.display_name}
        record_review(
            actor=actor,
            subject=requisition,
            node=Node.SERVICE_CENTRE,
            decision=Decision.ISSUE,
            reason=reason,
            from_state=from_state,
            to_state=requisition.status,
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.TRANSITION,
            obj=requisition,
            detail=f"{from_state} → {requisition.status}: {codes}"[:2000],
        )
        _rq_notify_submitter(
            requisition,
            _("Requisition %(number)s is issued") % {"number": requisition.number},
            _("The packages are in your lab's inventory: record each use in its ledger."),
        )
    return requisition


# ==== area: ledger ====
# The ledger (使用台账): uses of a package, and declaring it used up (a student's reviewed by the supervising
# teacher, a teacher's passes at once). Used-up packages still count against the stock limit until collected.

LEDGER_OPEN = (Package.Status.ISSUED, Package.Status.IN_USE)


def _lg_lock_package(actor: Actor, package_id: int) -> Package:
    """Lock the package through the actor's scope (an outsider's id is 404), then check the actor records for
    its lab (someone who may only look, e.g. the college, is refused)."""
    package = lock_subject(selectors.ledger_packages(actor), package_id)
    if not selectors.ledger_may_record(actor, package):
        raise PermissionDenied(_("Only the teachers and students of the package's lab keep its ledger."))
    if package.status not in LEDGER_OPEN:
        raise TransitionRefused(
            _("Package %(code)s is “%(status)s”: its ledger is closed.")
            % {"code": package.code, "status": package.get_status_display()}
        )
    return package


def _lg_unit(package: Package) -> str:
    return package.chemical.get_unit_display()


def ledger_qty(value: Decimal) -> str:
    """500.000 → 500, 120.500 → 120.5 (never 5E+2)."""
    return f"{Decimal(value).normalize():f}"


def ledger_record_use(*, actor: Actor, package_id: int, used_on: date, quantity: Decimal, purpose: str) -> LedgerEntry:
    """One use of a package: the remaining quantity follows. The package row is locked, so two people recording
    at once are served one after the other and the second sees what the first left."""
    quantity = Decimal(quantity)
    purpose = (purpose or "").strip()
    with actor_scope(actor), transaction.atomic():
        package = _lg_lock_package(actor, package_id)
        errors: dict[str, list[str]] = {}
        today = timezone.localdate()
        if used_on > today:
            errors["used_on"] = [_("The date of use cannot be in the future.")]
        elif package.issued_at is not None and used_on < timezone.localdate(package.issued_at):
            errors["used_on"] = [
                _("Package %(code)s was issued on %(date)s: the date of use cannot be earlier.")
                % {"code": package.code, "date": timezone.localdate(package.issued_at).isoformat()}
            ]
        if quantity <= 0:
            errors["quantity"] = [_("Enter the quantity used (more than 0).")]
        elif quantity > package.remaining:
            errors["quantity"] = [
                _(
                    "Only %(remaining)s %(unit)s remain in package %(code)s: you cannot record %(quantity)s %(unit)s. "
                    "If the package is empty, declare it used up."
                )
                % {
                    "remaining": ledger_qty(package.remaining),
                    "unit": _lg_unit(package),
                    "code": package.code,
                    "quantity": ledger_qty(quantity),
                }
            ]
        if not purpose:
            errors["purpose"] = [_("Say what the chemical was used for.")]
        if errors:
            raise ValidationError(errors)
        package.remaining -= quantity
        if package.status == Package.Status.ISSUED:
            package.use()  # the first use: issued → in use
        package.save(update_fields=["remaining", "status"])
        entry = LedgerEntry.objects.create(
            enterprise_id=package.enterprise_id,
            package=package,
            used_on=used_on,
            quantity=quantity,
            purpose=purpose[:200],
            user=actor.user,
            remaining_after=package.remaining,
        )
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE,
            obj=entry,
            detail=f"{package.code}: −{ledger_qty(quantity)} {package.chemical.unit} → {ledger_qty(package.remaining)}",
        )
    return entry


def _lg_declaration_url(declaration: UsedUpDeclaration) -> str:
    return reverse("chemicals:ledger_package", args=[declaration.package_id])


def ledger_declare_used_up(*, actor: Actor, package_id: int, note: str = "") -> UsedUpDeclaration:
    """Declare a package used up (台账提交). A teacher's passes at once (recorded as such) and the package is used
    up; a student's waits for the supervising teacher (else the lab head), who is told."""
    note = (note or "").strip()[:200]
    with actor_scope(actor), transaction.atomic():
        package = _lg_lock_package(actor, package_id)
        if UsedUpDeclaration.objects.filter(package=package, status=UsedUpDeclaration.Status.PENDING).exists():
            raise TransitionRefused(
                _("Package %(code)s is already declared used up and awaits the supervisor's review.")
                % {"code": package.code}
            )
        is_student = actor.role == Membership.Role.STUDENT
        if is_student:
            reviewer = actor.membership.supervisor or package.owner_lab.head
            if reviewer is None:
                raise TransitionRefused(
                    _("You have no supervising teacher and the lab has no head: nobody can review the declaration.")
                )
        else:
            reviewer = actor.user
        declaration = UsedUpDeclaration.objects.create(
            enterprise_id=package.enterprise_id, package=package, declared_by=actor.user, reviewer=reviewer, note=note
        )
        record_review(
            actor=actor,
            subject=declaration,
            node=Node.APPLICANT,
            node_name=package.owner_lab.name,
            decision=Decision.SUBMIT,
            reason=note,
            to_state=declaration.status,
        )
        if is_student:
            notify(
                recipients=[reviewer],
                title=_("A ledger awaits your review: %(code)s %(chemical)s")
                % {"code": package.code, "chemical": package.chemical.name_zh},
                body=_("%(student)s declared the package used up.") % {"student": actor.display_name},
                url=reverse("chemicals:ledger_declaration_review", args=[declaration.pk]),
            )
        else:
            declaration.accept()
            declaration.save(update_fields=["status", "decided_at"])
            record_review(
                actor=actor,
                subject=declaration,
                node=Node.SUPERVISOR,
                node_name=package.owner_lab.name,
                decision=Decision.APPROVE,
                reason=_("Declared by a teacher: passes without review."),
                from_state=UsedUpDeclaration.Status.PENDING,
                to_state=declaration.status,
            )
            package.mark_used_up()
            package.save(update_fields=["status", "used_up_at"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE,
            obj=declaration,
            detail=f"{package.code}: {declaration.status}",
        )
    return declaration


def ledger_review_declaration(
    *, actor: Actor, declaration_id: int, accept: bool, reason: str = ""
) -> UsedUpDeclaration:
    """The supervising teacher accepts (the package is used up) or rejects (with the reason; the student keeps
    recording and declares again) a student's declaration; the student is told."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise TransitionRefused(_("Give the reason for the rejection: the student needs it to fix the ledger."))

    def settle(declaration: UsedUpDeclaration) -> None:
        if not accept:
            return
        package = Package.objects.select_for_update(of=("self",)).get(pk=declaration.package_id)
        if package.status not in LEDGER_OPEN:
            raise TransitionRefused(
                _("Package %(code)s is “%(status)s”: it cannot be declared used up.")
                % {"code": package.code, "status": package.get_status_display()}
            )
        package.mark_used_up()
        package.save(update_fields=["status", "used_up_at"])

    def notices(declaration: UsedUpDeclaration):
        package = declaration.package
        if accept:
            title = _("Your ledger of %(code)s was accepted: the package is used up") % {"code": package.code}
        else:
            title = _("Your ledger of %(code)s was rejected") % {"code": package.code}
        yield Notice(
            recipients=[declaration.declared_by],
            title=title,
            body=_("Reason: %(reason)s") % {"reason": reason} if reason else "",
            url=_lg_declaration_url(declaration),
        )

    with actor_scope(actor):
        declarations = selectors.ledger_declarations(actor)
        lab_name = declarations.filter(pk=declaration_id).values_list("package__owner_lab__name", flat=True).first()
    return perform_transition(
        actor=actor,
        queryset=declarations,
        pk=declaration_id,
        transition="accept" if accept else "reject",
        node=Node.SUPERVISOR,
        node_name=lab_name or "",
        decision=Decision.APPROVE if accept else Decision.REJECT,
        reason=reason,
        check=lambda d: d.reviewer_id == actor.user.pk and actor.has_role(Membership.Role.TEACHER),
        before_save=settle,
        notices=notices,
    )


# ==== area: waste ====
# Waste collection (废弃物回收, seed 000 §5.2): routes per campus; a collection every Thursday whose
# registrations close Wednesday 23:59 (chemicals.waste_schedule); labs register their waste and empty packages
# (collecting a package is its stock-out and frees stock-limit quota, chemicals.stock); barrel requests; the
# centre marks collections collected.

WASTE_SWEEP_BATCH = 200
WASTE_MAX_CONTAINERS = 999  # barrels or bags of one category in one registration
WASTE_MAX_BARRELS = 50  # barrels in one request


def _waste_scoped(service):
    """The service runs in the actor's scope from its first line: its permission checks read the actor's labs."""

    @wraps(service)
    def run(*, actor: Actor, **kwargs):
        with actor_scope(actor):
            return service(actor=actor, **kwargs)

    return run


def _waste_university(actor: Actor) -> Enterprise:
    university = selectors.waste_university(actor)
    if university is None:
        raise PermissionDenied(_("You do not have permission for this page."))
    return university


def _waste_text(value: str | None, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def _waste_show(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def waste_clean_stops(stops: Iterable[str]) -> list[str]:
    """The route's buildings in order: blanks and repeats dropped, spaces tidied."""
    cleaned: list[str] = []
    for stop in stops:
        stop = _waste_text(stop, 100)
        if stop and stop not in cleaned:
            cleaned.append(stop)
    return cleaned


@_waste_scoped
def waste_route_save(
    *, actor: Actor, campus_id: int, name: str, stops: Iterable[str], pk: int | None = None
) -> WasteRoute:
    """Create or edit a route: its campus, its name and the buildings in the order the collectors drive."""
    if not selectors.waste_may_edit_routes(actor):
        raise PermissionDenied(_("You may not edit waste routes."))
    name = _waste_text(name, 100)
    stops = waste_clean_stops(stops)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the route a name.")
    if not stops:
        errors["stops"] = _("List at least one building, one per line, in the order of collection.")
    if errors:
        raise ValidationError(errors)
    with actor_scope(actor), transaction.atomic():
        campus = selectors.waste_campuses(actor).filter(pk=campus_id).first()
        if campus is None:
            raise ValidationError({"campus": _("Choose a campus of your university.")})
        if pk is None:
            route = WasteRoute(enterprise_id=campus.enterprise_id)
        else:
            route = lock_subject(selectors.waste_routes(actor), pk)
        route.campus, route.name, route.stops = campus, name, stops
        taken = _("Another route is already called “%(name)s”.") % {"name": name}
        if selectors.waste_routes(actor).filter(name=name).exclude(pk=route.pk).exists():
            raise ValidationError({"name": taken})
        try:
            with transaction.atomic():
                route.save()
        except IntegrityError:  # the same name saved at the same moment
            raise ValidationError({"name": taken}) from None
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE if pk is None else OperationLog.Action.UPDATE,
            obj=route,
            detail=f"{campus.name}: {' → '.join(stops)}"[:2000],
        )
    return route


def ensure_waste_collections(*, now: datetime | None = None, batch: int = WASTE_SWEEP_BATCH) -> dict[str, int]:
    """The daily job (beat, chemicals.tasks): next Thursday's collection for every university that has routes,
    and open collections past their registration deadline closed. Runs as the system across tenants.

    Safe to run twice or twice at once: a university that already has a collection in that week (the standard
    one, or one the centre moved to another day) gets none, the unique (university, date) constraint turns a
    concurrent second insert into nothing, and closing claims its rows with SKIP LOCKED (a collection a lab is
    registering for right now is left for the next run; registration checks the deadline itself).
    """
    now = now or timezone.now()
    collection_date = waste_schedule.next_collection_date(now)
    deadline = waste_schedule.default_deadline(collection_date)
    monday, sunday = waste_schedule.week_of(collection_date)
    created = closed = 0
    with scopes_disabled():
        universities = set(
            WasteRoute.objects.filter(enterprise__is_university=True, enterprise__deleted_at__isnull=True)
            .values_list("enterprise_id", flat=True)
            .distinct()
        )
        scheduled = set(
            WasteCollection.objects.filter(
                enterprise_id__in=universities, collection_date__range=(monday, sunday)
            ).values_list("enterprise_id", flat=True)
        )
        for enterprise_id in sorted(universities - scheduled):
            try:
                with transaction.atomic():
                    collection = WasteCollection.objects.create(
                        enterprise_id=enterprise_id, collection_date=collection_date, registration_deadline=deadline
                    )
                    OperationLog.objects.create(
                        username="system",
                        enterprise_id=enterprise_id,
                        action=OperationLog.Action.CREATE,
                        object_type=str(WasteCollection._meta.verbose_name),
                        object_id=str(collection.pk),
                        object_repr=str(collection),
                        detail=f"{collection_date} / {_waste_show(deadline)}",
                    )
            except IntegrityError:  # another run made it a moment ago
                continue
            created += 1
        while True:
            with transaction.atomic():
                rows = list(
                    WasteCollection.objects.filter(status=WasteCollection.Status.OPEN, registration_deadline__lt=now)
                    .select_for_update(skip_locked=True)
                    .order_by("registration_deadline", "pk")[:batch]
                )
                if not rows:
                    break
                for collection in rows:
                    collection.close()
                WasteCollection.objects.bulk_update(rows, ["status"])
                OperationLog.objects.bulk_create(
                    OperationLog(
                        username="system",
                        enterprise_id=c.enterprise_id,
                        action=OperationLog.Action.TRANSITION,
                        object_type=str(WasteCollection._meta.verbose_name),
                        object_id=str(c.pk),
                        object_repr=str(c)[:200],
                        detail=f"{WasteCollection.Status.OPEN} → {c.status}",
                    )
                    for c in rows
                )
                closed += len(rows)
    return {"created": created, "closed": closed}


def _waste_check_open(collection: WasteCollection, now: datetime | None = None) -> None:
    """Registering and cancelling are possible while the collection is open, up to its deadline."""
    if collection.status == WasteCollection.Status.OPEN and waste_schedule.is_open(
        collection.registration_deadline, now
    ):
        return
    raise TransitionRefused(
        _(
            "Registrations for the collection on %(date)s closed at %(deadline)s. Register for the next "
            "collection, or call the service centre."
        )
        % {"date": collection.collection_date.isoformat(), "deadline": _waste_show(collection.registration_deadline)}
    )


@_waste_scoped
def waste_collection_save(
    *,
    actor: Actor,
    collection_date: date,
    deadline: datetime | None = None,
    note: str = "",
    pk: int | None = None,
) -> WasteCollection:
    """The centre adds a collection by hand or adjusts one (a moved date, a note shown to the labs). The deadline
    defaults to the day before at 23:59 and counts to the end of its minute. Labs already registered are told
    when the date moves."""
    university = _waste_university(actor)
    if not selectors.waste_may_manage(actor):
        raise PermissionDenied(_("Only the service centre runs waste collections."))
    deadline = waste_schedule.end_of_minute(deadline) if deadline else waste_schedule.default_deadline(collection_date)
    if waste_schedule.local(deadline).date() > collection_date:
        raise ValidationError(
            {"registration_deadline": _("The registration deadline must not be after the collection day.")}
        )
    with actor_scope(actor), transaction.atomic():
        if pk is None:
            collection = WasteCollection(enterprise=university)
            old_date = None
        else:
            collection = lock_subject(selectors.waste_collections(actor), pk)
            if collection.status == WasteCollection.Status.COLLECTED:
                raise TransitionRefused(_("This collection is already collected; it can no longer be changed."))
            old_date = collection.collection_date
        taken = _("There is already a collection on %(date)s.") % {"date": collection_date.isoformat()}
        if (
            selectors.waste_collections(actor)
            .filter(collection_date=collection_date)
            .exclude(pk=collection.pk)
            .exists()
        ):
            raise ValidationError({"collection_date": taken})
        collection.collection_date = collection_date
        collection.registration_deadline = deadline
        collection.note = _waste_text(note, 200)
        # A new deadline reopens or closes registration.
        if waste_schedule.is_open(deadline):
            if collection.status == WasteCollection.Status.CLOSED:
                collection.reopen()
        elif collection.status == WasteCollection.Status.OPEN:
            collection.close()
        try:
            with transaction.atomic():
                collection.save()
        except IntegrityError:  # the same date saved at the same moment
            raise ValidationError({"collection_date": taken}) from None
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE if pk is None else OperationLog.Action.UPDATE,
            obj=collection,
            detail=f"{collection_date} / {_waste_show(deadline)} {collection.note}"[:2000],
        )
        if old_date is not None and old_date != collection_date:
            registrants = User.objects.filter(
                pk__in=collection.registrations.filter(status=WasteRegistration.Status.REGISTERED).values(
                    "registered_by"
                )
            )
            notify(
                recipients=registrants,
                title=_("The waste collection of %(old)s moves to %(new)s")
                % {"old": old_date.isoformat(), "new": collection_date.isoformat()},
                body=collection.note,
                url=reverse("chemicals:waste_registrations"),
            )
    return collection


@_waste_scoped
def waste_collection_mark_collected(*, actor: Actor, pk: int) -> WasteCollection:
    """The collectors came back: the collection and its registrations are collected; the registrants are told."""
    if not selectors.waste_may_manage(actor):
        raise PermissionDenied(_("Only the service centre runs waste collections."))

    def collect_registrations(collection: WasteCollection) -> None:
        WasteRegistration.objects.filter(collection=collection, status=WasteRegistration.Status.REGISTERED).update(
            status=WasteRegistration.Status.COLLECTED
        )

    def notices(collection: WasteCollection):
        yield Notice(
            recipients=User.objects.filter(
                pk__in=collection.registrations.filter(status=WasteRegistration.Status.COLLECTED).values(
                    "registered_by"
                )
            ),
            title=_("Your lab's waste was collected (%(date)s)") % {"date": collection.collection_date.isoformat()},
            url=reverse("chemicals:waste_registrations"),
        )

    return perform_transition(
        actor=actor,
        queryset=selectors.waste_collections(actor),
        pk=pk,
        transition="mark_collected",
        node=Node.SERVICE_CENTRE,
        decision=Decision.CONFIRM,
        check=lambda collection: selectors.waste_may_manage(actor),
        before_save=collect_registrations,
        notices=notices,
    )


@_waste_scoped
def waste_register(
    *,
    actor: Actor,
    collection_id: int,
    lab_id: int,
    route_id: int,
    building: str,
    phone: str,
    quantities: dict[str, int],
    package_ids: Iterable[int],
    room: str = "",
    note: str = "",
    now: datetime | None = None,
) -> WasteRegistration:
    """登记回收: a lab's waste for an open collection. The chosen empty packages (the lab's used-up ones) are
    collected at once: that is their stock-out, which frees the lab's stock-limit quota. Their rows are locked,
    so two registrations never take the same package; categories with no barrels or bags are not stored."""
    if not selectors.waste_may_register(actor):
        raise PermissionDenied(_("Only lab teachers and students register waste."))
    university = _waste_university(actor)
    building, room = _waste_text(building, 100), _waste_text(room, 50)
    phone, note = _waste_text(phone, 20), _waste_text(note, 200)
    errors: dict[str, str] = {}
    counts: dict[str, int] = {}
    for category, quantity in (quantities or {}).items():
        if category not in WasteItem.Category.values:
            continue
        if quantity is None or not 0 <= int(quantity) <= WASTE_MAX_CONTAINERS:
            errors[category] = _("Enter a number from 0 to %(max)s.") % {"max": WASTE_MAX_CONTAINERS}
        elif int(quantity):
            counts[category] = int(quantity)
    ids = sorted({int(i) for i in package_ids or ()})
    if not building:
        errors["building"] = _("Give the building the collectors come to.")
    if not phone:
        errors["phone"] = _("Give a phone number the collectors can call.")
    if int(lab_id) not in tiers.actor_lab_ids(actor):
        errors["lab"] = _("Register waste for your own lab.")
    if errors:
        raise ValidationError(errors)
    if not counts and not ids:
        raise ValidationError(
            _(
                "Nothing to register: enter the number of barrels or bags of waste, or tick the empty packages "
                "to hand in."
            )
        )
    with actor_scope(actor), transaction.atomic():
        collection = lock_subject(selectors.waste_collections(actor), collection_id)
        _waste_check_open(collection, now)
        route = selectors.waste_routes(actor).filter(pk=route_id).first()
        if route is None:
            raise ValidationError({"route": _("Choose one of your university's collection routes.")})
        lab = selectors.waste_lab_choices(actor).get(pk=lab_id)
        packages = list(
            Package.objects.filter(enterprise=university, owner_lab=lab, status=Package.Status.USED_UP, pk__in=ids)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if len(packages) != len(ids):
            raise ValidationError(
                {
                    "packages": _(
                        "%(count)s of the chosen packages can no longer be registered: only used-up packages of "
                        "%(lab)s not yet handed in can be (another registration may just have taken them). "
                        "Reload the page and choose again."
                    )
                    % {"count": len(ids) - len(packages), "lab": lab.name}
                }
            )
        registration = WasteRegistration.objects.create(
            enterprise=university,
            collection=collection,
            lab=lab,
            route=route,
            building=building,
            room=room,
            registered_by=actor.user,
            phone=phone,
            note=note,
        )
        WasteItem.objects.bulk_create(
            WasteItem(enterprise=university, registration=registration, category=category, quantity=quantity)
            for category, quantity in counts.items()
        )
        for package in packages:
            package.collect()
            package.waste_registration = registration
        Package.objects.bulk_update(packages, ["status", "collected_at", "waste_registration"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.CREATE,
            obj=registration,
            detail=(
                f"{collection.collection_date} {route.name} {building} {room}: "
                + ", ".join(f"{c}×{q}" for c, q in counts.items())
                + (f"; {len(packages)} packages: " + ", ".join(p.code for p in packages) if packages else "")
            )[:2000],
        )
    return registration


def waste_may_cancel(actor: Actor, registration: WasteRegistration) -> bool:
    """A member of the registration's lab (not the centre: it is the lab's decision)."""
    return selectors.waste_may_register(actor) and registration.lab_id in tiers.actor_lab_ids(actor)


@_waste_scoped
def waste_registration_cancel(*, actor: Actor, pk: int, now: datetime | None = None) -> WasteRegistration:
    """The lab takes its registration back before the deadline: its packages are used up again (held by the lab,
    counted against its stock limit) and may be registered anew."""
    with actor_scope(actor), transaction.atomic():
        found = selectors.waste_registrations(actor).filter(pk=pk).values_list("collection_id", flat=True).first()
        if found is None:
            raise Http404
        # The same lock order as registering: the collection, then the registration, then its packages.
        collection = lock_subject(selectors.waste_collections(actor), found)
        registration = lock_subject(selectors.waste_registrations(actor), pk)
        if not waste_may_cancel(actor, registration):
            raise PermissionDenied(_("Only the lab's members may cancel its registration."))
        if registration.status != WasteRegistration.Status.REGISTERED:
            raise TransitionRefused(
                _("This registration is “%(state)s”; it can no longer be cancelled.")
                % {"state": registration.get_status_display()}
            )
        _waste_check_open(collection, now)
        packages = list(
            Package.objects.filter(waste_registration=registration, status=Package.Status.COLLECTED)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for package in packages:
            package.uncollect()
        Package.objects.bulk_update(packages, ["status", "collected_at", "waste_registration"])
        registration.cancel()
        registration.save(update_fields=["status"])
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.TRANSITION,
            obj=registration,
            detail=(
                f"{WasteRegistration.Status.REGISTERED} → {registration.status}"
                + (f"; packages back: {', '.join(p.code for p in packages)}" if packages else "")
            )[:2000],
        )
    return registration


@_waste_scoped
def waste_barrel_request(*, actor: Actor, lab_id: int, campus_id: int, kind: str, quantity: int) -> BarrelRequest:
    """废液桶申领: a lab asks the centre for empty waste barrels; the centre staff are told."""
    if not selectors.waste_may_register(actor):
        raise PermissionDenied(_("Only lab teachers and students request waste barrels."))
    university = _waste_university(actor)
    errors: dict[str, str] = {}
    if int(lab_id) not in tiers.actor_lab_ids(actor):
        errors["lab"] = _("Request barrels for your own lab.")
    kinds = dict(BarrelRequest._meta.get_field("kind").choices)
    if kind not in kinds:
        errors["kind"] = _("Choose chemical or biological waste liquid.")
    if quantity is None or not 1 <= int(quantity) <= WASTE_MAX_BARRELS:
        errors["quantity"] = _("Enter a number of barrels from 1 to %(max)s.") % {"max": WASTE_MAX_BARRELS}
    if errors:
        raise ValidationError(errors)
    with actor_scope(actor), transaction.atomic():
        campus = selectors.waste_campuses(actor).filter(pk=campus_id).first()
        if campus is None:
            raise ValidationError({"campus": _("Choose a campus of your university.")})
        lab = selectors.waste_lab_choices(actor).get(pk=lab_id)
        request = BarrelRequest.objects.create(
            enterprise=university, lab=lab, campus=campus, kind=kind, quantity=int(quantity), requested_by=actor.user
        )
        audit.log_operation(
            actor=actor, action=OperationLog.Action.CREATE, obj=request, detail=f"{campus.name} {kind} × {quantity}"
        )
        notify(
            recipients=tiers.centre_staff(university.pk),
            title=_("Waste barrels requested: %(lab)s, %(quantity)s × %(kind)s")
            % {"lab": lab.name, "quantity": request.quantity, "kind": kinds[kind]},
            url=reverse("chemicals:waste_barrels"),
        )
    return request


@_waste_scoped
def waste_barrel_deliver(*, actor: Actor, pk: int) -> BarrelRequest:
    """The centre delivered the barrels; the requester is told."""
    if not selectors.waste_may_manage(actor):
        raise PermissionDenied(_("Only the service centre delivers waste barrels."))

    def notices(request: BarrelRequest):
        yield Notice(
            recipients=[request.requested_by],
            title=_("Waste barrels delivered: %(quantity)s for %(lab)s")
            % {"quantity": request.quantity, "lab": request.lab.name},
            url=reverse("chemicals:waste_barrels"),
        )

    return perform_transition(
        actor=actor,
        queryset=selectors.waste_barrel_requests(actor),
        pk=pk,
        transition="deliver",
        node=Node.SERVICE_CENTRE,
        decision=Decision.CONFIRM,
        check=lambda request: selectors.waste_may_manage(actor),
        notices=notices,
    )


def waste_may_cancel_barrels(actor: Actor, request: BarrelRequest) -> bool:
    """The centre, or a member of the requesting lab."""
    if selectors.waste_may_manage(actor):
        return True
    return selectors.waste_may_register(actor) and request.lab_id in tiers.actor_lab_ids(actor)


@_waste_scoped
def waste_barrel_cancel(*, actor: Actor, pk: int) -> BarrelRequest:
    """A barrel request nobody will deliver: cancelled by the centre (the requester is told) or by the lab."""
    by_centre = selectors.waste_may_manage(actor)

    def notices(request: BarrelRequest):
        if by_centre and request.requested_by_id != actor.user.pk:
            yield Notice(
                recipients=[request.requested_by],
                title=_("Waste barrel request cancelled by the service centre: %(lab)s") % {"lab": request.lab.name},
                url=reverse("chemicals:waste_barrels"),
            )

    return perform_transition(
        actor=actor,
        queryset=selectors.waste_barrel_requests(actor),
        pk=pk,
        transition="cancel",
        node=Node.SERVICE_CENTRE if by_centre else Node.LAB,
        decision=Decision.CANCEL,
        check=lambda request: waste_may_cancel_barrels(actor, request),
        notices=notices,
    )


# ==== area: termination ====
# The daily auto-termination (chemicals.tasks.terminate_overdue_orders; the rules are chemicals.deadlines).


def _tm_order_url(order: Any) -> str:
    from django.urls import NoReverseMatch

    try:
        return tiers.order_url(order)
    except NoReverseMatch:  # a kind of order whose pages are not installed: the notice goes without a link
        return ""


def _tm_release_packages(order: Any) -> int:
    """Packages reserved for a terminated requisition go back in stock where they are, so nothing is lost: a
    centre store's packages belong to no lab again; a lab store's stay the lab's."""
    if not isinstance(order, Requisition):
        return 0
    packages = list(
        Package.objects.select_for_update(of=("self",))
        .select_related("store")
        .filter(requisition_line__requisition=order, status=Package.Status.RESERVED)
        .order_by("pk")
    )
    for package in packages:
        package.release()
        if package.store.lab_id is None:
            package.owner_lab = None
        package.save(update_fields=["status", "requisition_line", "owner_lab"])
    return len(packages)


def _tm_terminate_one(order: Any, reason: str) -> int:
    """Terminate one locked, overdue order: record, log, release, notify. Returns the packages released."""
    from safety.actors import Actor

    from_state = order.status
    order.terminate()
    order.save(update_fields=["status", "closed_at"])
    record_review(
        actor=Actor.SYSTEM,
        subject=order,
        node=Node.LAB_SAFETY_OFFICE,
        node_name=str(Node.LAB_SAFETY_OFFICE.label),
        decision=Decision.TERMINATE,
        reason=reason,
        from_state=from_state,
        to_state=order.status,
    )
    released = _tm_release_packages(order)
    audit.log_operation(
        actor=Actor.SYSTEM,
        action=OperationLog.Action.TRANSITION,
        obj=order,
        detail=f"{from_state} → {order.status}: {reason}",
    )
    notify(
        recipients=[order.submitter],
        title=_("Your %(kind)s %(number)s was terminated by the system")
        % {"kind": tiers.kind_label(order), "number": order.number},
        body=reason,
        url=_tm_order_url(order),
    )
    return released


def terminate_overdue_orders(*, now: datetime | None = None, batch_size: int = 200) -> dict[str, int]:
    """Terminate every overdue requisition and purchase request (chemicals.deadlines), as the system, across
    universities. Returns {"requisitions": n, "purchase_requests": n, "packages_released": n}.

    Candidates are claimed a batch at a time with SELECT … FOR UPDATE SKIP LOCKED, walking up the ids, and the
    rule is checked again on each locked row. So a second run finds nothing left; two runs at once share the
    rows, each terminating its own; and an order a person is deciding on right now is skipped (their decision
    commits first and restarts the clock; if it is still overdue, tomorrow's run takes it). Once the sweep holds
    the row, a reviewer arriving waits for it and then finds the order terminated (TransitionRefused).
    Each order's termination, review record, log entry and notification commit together.
    """
    from . import deadlines

    counts = {"requisitions": 0, "purchase_requests": 0, "packages_released": 0}
    with scopes_disabled():
        for model, key in ((Requisition, "requisitions"), (PurchaseRequest, "purchase_requests")):
            last_pk = 0
            while True:
                with transaction.atomic():
                    moment = now or timezone.now()
                    rows = list(
                        model.objects.filter(deadlines.candidates_q(model, moment), pk__gt=last_pk)
                        .select_for_update(skip_locked=True, of=("self",))
                        .select_related(*(("round",) if model is PurchaseRequest else ()))
                        .select_related("submitter")
                        .order_by("pk")[:batch_size]
                    )
                    if not rows:
                        break
                    last_pk = rows[-1].pk
                    for order in rows:
                        reason = deadlines.overdue_reason(order, moment)
                        if reason is None:  # moved on since the query read it
                            continue
                        counts["packages_released"] += _tm_terminate_one(order, reason)
                        counts[key] += 1
    return counts


# ==== area: majorhazards ====
# Saving major hazard source assessments (GB 18218-2018): the results are always computed here from the lines
# (chemicals.gb18218.assess), never taken from the caller.


def _mh_require(actor: Actor) -> None:
    if actor.enterprise is None or not actor.can(selectors.MAJOR_HAZARD_FEATURE):
        raise PermissionDenied(_("You may not assess major hazard sources."))


def _mh_check_storable(line: gb18218.Line) -> None:
    """The line's numbers fit the record's columns (q: 4 places, Q: 3, β: 2), so what is saved is exactly what
    was assessed."""
    for value, places, max_digits, label in (
        (line.q, 4, 14, "q"),
        (line.Q, 3, 10, "Q"),
        (line.beta, 2, 5, "β"),
    ):
        exponent = value.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        digits = len(value.quantize(Decimal(1).scaleb(-places)).as_tuple().digits)
        if decimals > places or digits > max_digits:
            raise ValidationError(
                _("%(label)s of %(name)s has too many digits: at most %(places)d decimal places.")
                % {"label": label, "name": line.name, "places": places}
            )


def _mh_save(
    *,
    actor: Actor,
    name: str,
    unit_kind: str,
    people_exposed: int,
    lines: list[gb18218.Line],
    store: Store | None,
) -> HazardSourceAssessment:
    try:
        result = gb18218.assess(lines, people_exposed)
    except gb18218.GB18218Error as exc:
        raise ValidationError(str(exc)) from None
    checked = [r.line for r in result.lines]
    for line in checked:
        _mh_check_storable(line)
    chemical_ids = {line.chemical_id for line in checked if line.chemical_id is not None}
    known = set(Chemical.objects.filter(pk__in=chemical_ids).values_list("pk", flat=True))
    if chemical_ids - known:
        raise ValidationError(_("A chosen chemical is not in the catalogue any more: choose it again."))
    enterprise_id = actor.enterprise.pk
    assessment = HazardSourceAssessment.objects.create(
        enterprise_id=enterprise_id,
        name=name,
        unit_kind=unit_kind,
        store=store,
        people_exposed=people_exposed,
        alpha=result.alpha,
        s_value=result.s,
        r_value=result.r,
        is_major=result.is_major,
        grade=result.grade,
        assessed_by=actor.user,
        assessed_at=timezone.now(),
    )
    HazardSourceLine.objects.bulk_create(
        HazardSourceLine(
            enterprise_id=enterprise_id,
            assessment=assessment,
            chemical_id=line.chemical_id,
            name=line.name[:150],
            quantity_t=line.q,
            critical_quantity_t=line.Q,
            beta=line.beta,
        )
        for line in checked
    )
    verdict = f"grade {result.grade}" if result.is_major else "not a major hazard source"
    audit.log_operation(
        actor=actor,
        action=OperationLog.Action.CREATE,
        obj=assessment,
        detail=f"GB 18218 {assessment.name}: S={result.s} R={result.r} α={result.alpha}, {verdict}",
    )
    return assessment


def hazard_source_assessment_create(
    *,
    actor: Actor,
    name: str,
    unit_kind: str,
    people_exposed: int,
    lines: Iterable[gb18218.Line],
) -> HazardSourceAssessment:
    """Save the assessment of a unit whose quantities were entered by hand (any enterprise)."""
    with actor_scope(actor):
        _mh_require(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the unit's name.")})
    if unit_kind not in HazardSourceAssessment.UnitKind.values:
        raise ValidationError({"unit_kind": _("Choose a storage unit or a production unit.")})
    lines = list(lines)
    if not lines:
        raise ValidationError(_("Enter at least one hazardous chemical with its quantity."))
    with actor_scope(actor), transaction.atomic():
        return _mh_save(
            actor=actor, name=name, unit_kind=unit_kind, people_exposed=people_exposed, lines=lines, store=None
        )


def hazard_source_assessment_from_store(
    *, actor: Actor, store_id: int, people_exposed: int | None = None
) -> HazardSourceAssessment:
    """Save a snapshot of a university store's assessment from its live inventory, as it is at this moment
    (the lines are read again here, in the saving transaction). ``people_exposed`` defaults to the store's."""
    with actor_scope(actor), transaction.atomic():
        _mh_require(actor)
        store = lock_subject(selectors.major_hazard_stores(actor), store_id)
        inventory = selectors.major_hazard_store_inventory(store)
        people = store.people_exposed if people_exposed is None else people_exposed
        return _mh_save(
            actor=actor,
            name=store.name,
            unit_kind=HazardSourceAssessment.UnitKind.STORAGE,
            people_exposed=people,
            lines=inventory.lines,
            store=store,
        )


# ==== area: figures ====
