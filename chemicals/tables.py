"""Tables of the chemicals service (django-tables2; every list exports to Excel)."""

from __future__ import annotations

from decimal import Decimal

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from enterprises.models import Department

from .models import (
    BarrelRequest,
    Campus,
    Chemical,
    ControlledCategory,
    HazardClass,
    HazardSourceAssessment,
    LedgerEntry,
    Package,
    PoliceFiling,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    Store,
    UsedUpDeclaration,
    WasteCollection,
    WasteItem,
    WasteRegistration,
    WasteRoute,
)

# ==== area: catalogue ====

CONTROLLED_BADGE = {
    ControlledCategory.HIGHLY_TOXIC: "text-bg-danger",
    ControlledCategory.PRECURSOR: "text-bg-warning",
    ControlledCategory.EXPLOSIVE_PRECURSOR: "text-bg-warning",
}


def controlled_badge(chemical: Chemical) -> str:
    if not chemical.controlled_category:
        return ""
    return format_html(
        '<span class="badge {}" data-testid="controlled-badge" data-category="{}">{}</span>',
        CONTROLLED_BADGE.get(chemical.controlled_category, "text-bg-secondary"),
        chemical.controlled_category,
        chemical.get_controlled_category_display(),
    )


def hazard_class_labels(chemical: Chemical) -> str:
    labels = []
    for value in chemical.hazard_classes or ():
        try:
            labels.append(str(HazardClass(value).label))
        except ValueError:
            labels.append(value)
    return "、".join(labels)


def _cat_quantity(value: Decimal | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f} {unit}"


class ChemicalTable(tables.Table):
    name_zh = tables.Column(verbose_name=_("Chinese name"))
    name_en = tables.Column(verbose_name=_("English name"))
    cas_number = tables.Column(verbose_name=_("CAS number"))
    formula = tables.Column(verbose_name=_("Formula"))
    hazard_classes = tables.Column(verbose_name=_("GHS hazard classes"), orderable=False)
    storage_group = tables.Column(verbose_name=_("Storage group"))
    controlled_category = tables.Column(verbose_name=_("Controlled category"), empty_values=())
    unit = tables.Column(verbose_name=_("Unit"))
    critical_quantity_t = tables.Column(verbose_name=_("Critical quantity (t, GB 18218)"))

    class Meta:
        model = Chemical
        fields = ()
        sequence = (
            "name_zh",
            "name_en",
            "cas_number",
            "formula",
            "hazard_classes",
            "storage_group",
            "controlled_category",
            "unit",
            "critical_quantity_t",
        )
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "chemical-table"}
        row_attrs = {"data-testid": "chemical-row", "data-cas": lambda record: record.cas_number}
        empty_text = _("No chemicals found.")

    def render_name_zh(self, record):
        return format_html(
            '<a href="{}" data-testid="chemical-link">{}</a>',
            reverse("chemicals:chemical_detail", args=[record.pk]),
            record.name_zh,
        )

    def value_name_zh(self, record):
        return record.name_zh

    def render_hazard_classes(self, record):
        return hazard_class_labels(record)

    def value_hazard_classes(self, record):
        return hazard_class_labels(record)

    def render_storage_group(self, record):
        return record.get_storage_group_display()

    def value_storage_group(self, record):
        return record.get_storage_group_display()

    def render_controlled_category(self, record):
        return controlled_badge(record) or "—"

    def value_controlled_category(self, record):
        return record.get_controlled_category_display() if record.controlled_category else ""

    def render_critical_quantity_t(self, record):
        return _cat_quantity(record.critical_quantity_t, "t")

    def value_critical_quantity_t(self, record):
        return record.critical_quantity_t


class CampusTable(tables.Table):
    name = tables.Column(verbose_name=_("Campus"))
    delivers = tables.Column(verbose_name=_("Requisitions"))
    pickup_point = tables.Column(verbose_name=_("Pick-up point"))
    store_count = tables.Column(verbose_name=_("Stores"))

    class Meta:
        model = Campus
        fields = ()
        sequence = ("name", "delivers", "pickup_point", "store_count")
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "campus-table"}
        row_attrs = {"data-testid": "campus-row"}
        empty_text = _("No campuses yet.")

    def render_name(self, record):
        return format_html(
            '<a href="{}" data-testid="campus-link">{}</a>',
            reverse("chemicals:campus_edit", args=[record.pk]),
            record.name,
        )

    def value_name(self, record):
        return record.name

    def render_delivers(self, record):
        return _("Delivered by the centre") if record.delivers else _("Pick-up")

    def value_delivers(self, record):
        return str(self.render_delivers(record))


class StoreTable(tables.Table):
    name = tables.Column(verbose_name=_("Store"))
    kind = tables.Column(verbose_name=_("Kind"))
    campus = tables.Column(verbose_name=_("Campus"), accessor="campus__name", default="")
    lab = tables.Column(verbose_name=_("Lab"), accessor="lab__name", default="")
    address = tables.Column(verbose_name=_("Address"))
    people_exposed = tables.Column(verbose_name=_("People exposed within 500 m"))

    class Meta:
        model = Store
        fields = ()
        sequence = ("name", "kind", "campus", "lab", "address", "people_exposed")
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "store-table"}
        row_attrs = {"data-testid": "store-row", "data-kind": lambda record: record.kind}
        empty_text = _("No stores yet.")

    def render_name(self, record):
        return format_html(
            '<a href="{}" data-testid="store-link">{}</a>',
            reverse("chemicals:store_edit", args=[record.pk]),
            record.name,
        )

    def value_name(self, record):
        return record.name

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return record.get_kind_display()


class PackageTable(tables.Table):
    code = tables.Column(verbose_name=_("Package code"))
    chemical = tables.Column(verbose_name=_("Chemical"), accessor="chemical__name_zh")
    cas = tables.Column(verbose_name=_("CAS number"), accessor="chemical__cas_number")
    controlled = tables.Column(verbose_name=_("Controlled"), accessor="chemical__controlled_category", empty_values=())
    size = tables.Column(verbose_name=_("Size"))
    remaining = tables.Column(verbose_name=_("Remaining"))
    location = tables.Column(verbose_name=_("Location"), accessor="store__name", order_by=("store__name", "room"))
    owner_lab = tables.Column(verbose_name=_("Owner lab"), accessor="owner_lab__name", default="")
    status = tables.Column(verbose_name=_("Status"))
    received_at = tables.DateTimeColumn(verbose_name=_("Received at"), format="Y-m-d")

    class Meta:
        model = Package
        fields = ()
        sequence = (
            "code",
            "chemical",
            "cas",
            "controlled",
            "size",
            "remaining",
            "location",
            "owner_lab",
            "status",
            "received_at",
        )
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "package-table"}
        row_attrs = {
            "data-testid": "package-row",
            "data-code": lambda record: record.code,
            "data-status": lambda record: record.status,
        }
        empty_text = _("No packages found.")

    def render_code(self, record):
        return format_html(
            '<a href="{}" data-testid="package-link">{}</a>',
            reverse("chemicals:package_detail", args=[record.pk]),
            record.code,
        )

    def value_code(self, record):
        return record.code

    def render_controlled(self, record):
        return controlled_badge(record.chemical) or "—"

    def value_controlled(self, record):
        chemical = record.chemical
        return chemical.get_controlled_category_display() if chemical.controlled_category else ""

    def render_size(self, record):
        return _cat_quantity(record.size, record.chemical.unit)

    def value_size(self, record):
        return _cat_quantity(record.size, record.chemical.unit)

    def render_remaining(self, record):
        return _cat_quantity(record.remaining, record.chemical.unit)

    def value_remaining(self, record):
        return _cat_quantity(record.remaining, record.chemical.unit)

    def render_location(self, record):
        return record.location

    def value_location(self, record):
        return record.location

    def render_status(self, record):
        return record.get_status_display()

    def value_status(self, record):
        return record.get_status_display()


# ==== area: purchase ====
# Purchase rounds, purchase requests and police filings.


class PurchaseRoundTable(tables.Table):
    title = tables.Column(verbose_name=_("Round"))
    opens_at = tables.DateTimeColumn(verbose_name=_("Opens at"), format="Y-m-d H:i")
    deadline = tables.DateTimeColumn(verbose_name=_("Deadline"), format="Y-m-d H:i")
    state = tables.Column(verbose_name=_("State"), empty_values=(), orderable=False)
    request_count = tables.Column(verbose_name=_("Requests submitted"))
    tendered_at = tables.DateTimeColumn(verbose_name=_("Sent to tender"), format="Y-m-d H:i", default="")

    class Meta:
        model = PurchaseRound
        fields = ()
        sequence = ("title", "opens_at", "deadline", "state", "request_count", "tendered_at")
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "round-table"}
        row_attrs = {"data-testid": "round-row"}
        empty_text = _("No purchase rounds yet.")

    def render_title(self, record):
        return format_html(
            '<a href="{}" data-testid="round-link">{}</a>',
            reverse("chemicals:purchase_round_detail", args=[record.pk]),
            record.title,
        )

    def value_title(self, record):
        return record.title

    def value_state(self, record):
        return str(purchase_round_state(record))

    def render_state(self, record):
        state = purchase_round_state(record)
        css = {"open": "success", "upcoming": "info", "closed": "secondary"}[state.key]
        return format_html('<span class="badge text-bg-{}">{}</span>', css, state)


class _RoundState(str):
    key = ""


def purchase_round_state(round_) -> _RoundState:
    now = timezone.now()
    if now < round_.opens_at:
        key, label = "upcoming", _("Not open yet")
    elif now < round_.deadline:
        key, label = "open", _("Open")
    else:
        key, label = "closed", _("Closed")
    state = _RoundState(label)
    state.key = key
    return state


def purchase_status_badge(order) -> str:
    css = {
        "draft": "secondary",
        "rejected": "danger",
        "approved": "success",
        "stocked": "warning",
        "completed": "success",
        "terminated": "dark",
        "withdrawn": "light",
    }.get(order.status, "primary")
    return format_html(
        '<span class="badge text-bg-{}" data-testid="status-badge" data-status="{}">{}</span>',
        css,
        order.status,
        order.get_status_display(),
    )


class PurchaseRequestTable(tables.Table):
    number = tables.Column(verbose_name=_("Number"))
    round = tables.Column(verbose_name=_("Round"), accessor="round__title")
    lab = tables.Column(verbose_name=_("Lab"), accessor="lab__name")
    college = tables.Column(verbose_name=_("College"), accessor="lab__parent__name", default="")
    submitter = tables.Column(verbose_name=_("Submitted by"), empty_values=(), order_by=("submitter__full_name",))
    status = tables.Column(verbose_name=_("Status"))
    payment_status = tables.Column(verbose_name=_("Paid"))
    line_count = tables.Column(verbose_name=_("Chemicals"))
    package_total = tables.Column(verbose_name=_("Packages"), default=0)
    amount_total = tables.Column(verbose_name=_("Amount (yuan)"), default="")
    submitted_at = tables.DateTimeColumn(verbose_name=_("Submitted at"), format="Y-m-d H:i", default="")

    class Meta:
        model = PurchaseRequest
        fields = ()
        sequence = (
            "number",
            "round",
            "lab",
            "college",
            "submitter",
            "status",
            "payment_status",
            "line_count",
            "package_total",
            "amount_total",
            "submitted_at",
        )
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "purchase-table"}
        row_attrs = {"data-testid": "purchase-row", "data-status": lambda record: record.status}
        empty_text = _("No purchase requests found.")

    def render_number(self, record):
        return format_html(
            '<a href="{}" data-testid="purchase-link">{}</a>',
            reverse("chemicals:purchase_request_detail", args=[record.pk]),
            record.number,
        )

    def value_number(self, record):
        return record.number

    def render_submitter(self, record):
        return record.submitter.full_name or record.submitter.username

    def value_submitter(self, record):
        return self.render_submitter(record)

    def render_status(self, record):
        return purchase_status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def render_payment_status(self, record):
        return record.get_payment_status_display()

    def value_payment_status(self, record):
        return record.get_payment_status_display()

    def render_amount_total(self, value):
        return f"{Decimal(value):.2f}"

    def value_amount_total(self, value):
        return float(value) if value is not None else None


class PoliceFilingTable(tables.Table):
    chemical = tables.Column(verbose_name=_("Chemical"), accessor="chemical__name_zh")
    cas = tables.Column(verbose_name=_("CAS number"), accessor="chemical__cas_number")
    category = tables.Column(verbose_name=_("Controlled category"), accessor="chemical__controlled_category")
    round = tables.Column(verbose_name=_("Round"), accessor="round__title", default="")
    quantity = tables.Column(verbose_name=_("Quantity"))
    status = tables.Column(verbose_name=_("Status"))
    filing_number = tables.Column(verbose_name=_("Filing number"), default="")
    police_station = tables.Column(verbose_name=_("Police authority"), default="")
    filed_on = tables.DateColumn(verbose_name=_("Filed on"), format="Y-m-d", default="")
    record = tables.Column(verbose_name="", empty_values=(), orderable=False)
    exclude_from_export = ("record",)

    class Meta:
        model = PoliceFiling
        fields = ()
        sequence = (
            "chemical",
            "cas",
            "category",
            "round",
            "quantity",
            "status",
            "filing_number",
            "police_station",
            "filed_on",
            "record",
        )
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "filing-table"}
        row_attrs = {"data-testid": "filing-row", "data-status": lambda record: record.status}
        empty_text = _("No police filings yet.")

    def render_category(self, record):
        return record.chemical.get_controlled_category_display()

    def value_category(self, record):
        return record.chemical.get_controlled_category_display()

    def render_quantity(self, record):
        return f"{record.quantity.normalize():f} {record.chemical.unit}"

    def value_quantity(self, record):
        return f"{record.quantity.normalize():f} {record.chemical.unit}"

    def render_status(self, record):
        css = "success" if record.status == PoliceFiling.Status.FILED else "warning"
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()

    def render_record(self, record):
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}" data-testid="filing-record-link">{}</a>',
            reverse("chemicals:purchase_police_filing_record", args=[record.pk]),
            _("Record the filing") if record.status == PoliceFiling.Status.PENDING else _("Correct"),
        )


# ==== area: requisition ====
# Requisitions: the list (every requisition the actor may open), the review queue and the centre's work list.


class RequisitionTable(tables.Table):
    number = tables.Column(verbose_name=_("Number"))
    lab = tables.Column(verbose_name=_("Lab"), accessor="lab__name", order_by=("lab__name",))
    submitter = tables.Column(verbose_name=_("Submitted by"), accessor="submitter__full_name")
    source = tables.Column(verbose_name=_("Store"))
    chemicals = tables.Column(verbose_name=_("Chemicals"), empty_values=(), orderable=False)
    campus = tables.Column(verbose_name=_("Campus"), accessor="campus__name", default="")
    handover = tables.Column(verbose_name=_("Pick-up or delivery"), default="")
    status = tables.Column(verbose_name=_("Status"))
    payment_status = tables.Column(verbose_name=_("Paid"))
    created_at = tables.DateTimeColumn(verbose_name=_("Created at"), format="Y-m-d H:i")

    class Meta:
        model = Requisition
        fields = ()
        sequence = (
            "number",
            "lab",
            "submitter",
            "source",
            "chemicals",
            "campus",
            "handover",
            "status",
            "payment_status",
            "created_at",
        )
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "requisition-table"}
        row_attrs = {
            "data-testid": "requisition-row",
            "data-status": lambda record: record.status,
            "data-number": lambda record: record.number,
        }
        empty_text = _("No requisitions found.")

    def render_number(self, record):
        return format_html(
            '<a href="{}" data-testid="requisition-link">{}</a>',
            reverse("chemicals:requisition_detail", args=[record.pk]),
            record.number,
        )

    def value_number(self, record):
        return record.number

    def value_created_at(self, record):
        return record.created_at

    def render_submitter(self, record):
        return record.submitter.display_name

    def value_submitter(self, record):
        return record.submitter.display_name

    def render_chemicals(self, record):
        # lines are prefetched (chemicals.selectors.requisition_list): no query per row
        return "; ".join(
            f"{line.chemical.name_zh} {line.package_size.normalize():f} {line.chemical.unit} × {line.package_count}"
            for line in record.lines.all()
        )

    def value_chemicals(self, record):
        return self.render_chemicals(record)


class RequisitionCentreTable(RequisitionTable):
    """The centre's work list: what to do next for each requisition."""

    next_step = tables.Column(verbose_name=_("Next step"), empty_values=(), orderable=False)

    class Meta(RequisitionTable.Meta):
        sequence = ("number", "next_step", "lab", "source", "chemicals", "campus", "handover", "payment_status")
        exclude = ("submitter", "status", "created_at")

    def value_next_step(self, record):
        if record.status == "approved":
            return _("Issue") if record.source == Requisition.Source.LAB else _("Stock")
        if record.payment_status == "awaiting":
            return _("Confirm the payment")
        return _("Issue")

    def render_next_step(self, record):
        if record.status == "approved" and record.source != Requisition.Source.LAB:
            url = reverse("chemicals:requisition_stock", args=[record.pk])
        elif record.payment_status == "awaiting":
            url = reverse("chemicals:requisition_detail", args=[record.pk]) + "#payment"
        else:
            url = reverse("chemicals:requisition_issue", args=[record.pk])
        return format_html(
            '<a class="btn btn-sm btn-primary" href="{}" data-testid="centre-action">{}</a>',
            url,
            self.value_next_step(record),
        )


# ==== area: ledger ====


def _lg_quantity(value, unit: str) -> str:
    return f"{Decimal(value).normalize():f} {unit}"


class LedgerEntryTable(tables.Table):
    """The lab's ledger: every recorded use, newest first."""

    used_on = tables.DateColumn(verbose_name=_("Date of use"), format="Y-m-d")
    package = tables.Column(verbose_name=_("Package"), accessor="package__code", order_by=("package__code",))
    chemical = tables.Column(
        verbose_name=_("Chemical"), accessor="package__chemical__name_zh", order_by=("package__chemical__name_zh",)
    )
    lab = tables.Column(verbose_name=_("Lab"), accessor="package__owner_lab__name", order_by=("package__owner_lab",))
    quantity = tables.Column(verbose_name=_("Quantity used"))
    remaining_after = tables.Column(verbose_name=_("Remaining after"))
    purpose = tables.Column(verbose_name=_("Purpose"))
    user = tables.Column(verbose_name=_("Used by"), accessor="user__full_name", order_by=("user__full_name",))
    created_at = tables.DateTimeColumn(verbose_name=_("Recorded at"), format="Y-m-d H:i")

    class Meta:
        model = LedgerEntry
        fields = ()
        sequence = (
            "used_on",
            "package",
            "chemical",
            "lab",
            "quantity",
            "remaining_after",
            "purpose",
            "user",
            "created_at",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "ledger-entry-table"}
        row_attrs = {"data-testid": "ledger-entry-row"}
        empty_text = _("No uses recorded yet.")
        order_by = ("-used_on",)

    def render_package(self, record, value):
        return format_html(
            '<a href="{}" data-testid="ledger-package-link">{}</a>',
            reverse("chemicals:ledger_package", args=[record.package_id]),
            value,
        )

    def value_package(self, value):
        return value

    def render_quantity(self, record, value):
        return _lg_quantity(value, record.package.chemical.get_unit_display())

    def value_quantity(self, value):
        return float(value)

    def render_remaining_after(self, record, value):
        return _lg_quantity(value, record.package.chemical.get_unit_display())

    def value_remaining_after(self, value):
        return float(value)

    def render_user(self, record, value):
        return value or record.user.get_username()

    def value_user(self, record, value):
        return value or record.user.get_username()


class LedgerDeclarationTable(tables.Table):
    """Used-up declarations awaiting the supervising teacher."""

    created_at = tables.DateTimeColumn(verbose_name=_("Declared at"), format="Y-m-d H:i")
    package = tables.Column(verbose_name=_("Package"), accessor="package__code", order_by=("package__code",))
    chemical = tables.Column(
        verbose_name=_("Chemical"), accessor="package__chemical__name_zh", order_by=("package__chemical__name_zh",)
    )
    lab = tables.Column(verbose_name=_("Lab"), accessor="package__owner_lab__name", order_by=("package__owner_lab",))
    remaining = tables.Column(verbose_name=_("Remaining"), accessor="package__remaining", orderable=False)
    declared_by = tables.Column(
        verbose_name=_("Declared by"), accessor="declared_by__full_name", order_by=("declared_by__full_name",)
    )
    note = tables.Column(verbose_name=_("Note"))
    review = tables.Column(verbose_name="", empty_values=(), orderable=False)

    exclude_from_export = ("review",)

    class Meta:
        model = UsedUpDeclaration
        fields = ()
        sequence = ("created_at", "package", "chemical", "lab", "remaining", "declared_by", "note", "review")
        attrs = {"class": "table table-hover align-middle", "data-testid": "ledger-review-table"}
        row_attrs = {"data-testid": "ledger-review-row"}
        empty_text = _("No ledgers await your review.")
        order_by = ("created_at",)

    def render_remaining(self, record, value):
        return _lg_quantity(value, record.package.chemical.get_unit_display())

    def value_remaining(self, value):
        return float(value)

    def render_review(self, record):
        return format_html(
            '<a class="btn btn-sm btn-primary" href="{}" data-testid="ledger-review-link">{}</a>',
            reverse("chemicals:ledger_declaration_review", args=[record.pk]),
            _("Review"),
        )


# ==== area: waste ====
# Waste collection lists: routes, collections, registrations (each category's barrels or bags and the empty
# packages), barrel requests (the centre's deliver / cancel buttons) and the figures per lab.


def _waste_category_columns() -> dict[str, tables.Column]:
    """One column per waste category (``q_<category>`` annotations), headed with its container."""
    unit = {"barrel": _("barrels"), "bag": _("bags")}
    return {
        f"q_{c.value}": tables.Column(
            verbose_name=format_lazy("{} ({})", c.label, unit[WasteItem.CONTAINER[c]]),
            attrs={"td": {"class": "text-end", "data-category": c.value}},
        )
        for c in WasteItem.Category
    }


class WasteRouteTable(tables.Table):
    campus = tables.Column(verbose_name=_("Campus"), accessor="campus__name", order_by=("campus__name",))
    name = tables.Column(verbose_name=_("Route"), linkify=("chemicals:waste_route_edit", {"pk": tables.A("pk")}))
    stops = tables.Column(verbose_name=_("Buildings in order"), orderable=False)

    class Meta:
        model = WasteRoute
        fields = ()
        sequence = ("campus", "name", "stops")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "waste-routes"}

    def render_stops(self, value) -> str:
        return " → ".join(value)

    def value_stops(self, value) -> str:
        return " → ".join(value)


class WasteCollectionTable(tables.Table):
    collection_date = tables.DateColumn(
        verbose_name=_("Collection date"),
        format="Y-m-d (D)",
        linkify=("chemicals:waste_collection_detail", {"pk": tables.A("pk")}),
    )
    registration_deadline = tables.DateTimeColumn(verbose_name=_("Registration deadline"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=_("Status"))
    registration_count = tables.Column(verbose_name=_("Registrations"), attrs={"td": {"class": "text-end"}})
    note = tables.Column(verbose_name=_("Note"), orderable=False)

    class Meta:
        model = WasteCollection
        fields = ()
        sequence = ("collection_date", "registration_deadline", "status", "registration_count", "note")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "waste-collections"}


class WasteRegistrationTable(tables.Table):
    collection = tables.DateColumn(
        verbose_name=_("Collection date"),
        accessor="collection__collection_date",
        format="Y-m-d",
        order_by=("collection__collection_date",),
        linkify=("chemicals:waste_registration_detail", {"pk": tables.A("pk")}),
    )
    lab = tables.Column(verbose_name=_("Lab"), accessor="lab__name", order_by=("lab__name",))
    route = tables.Column(verbose_name=_("Route"), accessor="route__name", order_by=("route__name",))
    building = tables.Column(verbose_name=_("Building"))
    room = tables.Column(verbose_name=_("Room"))
    registered_by = tables.Column(
        verbose_name=_("Registered by"), accessor="registered_by__full_name", order_by=("registered_by__full_name",)
    )
    phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    package_count = tables.Column(verbose_name=_("Empty packages"), attrs={"td": {"class": "text-end"}})
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = WasteRegistration
        fields = ()
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "waste-registrations"}

    def __init__(self, *args, **kwargs) -> None:
        extra = list(_waste_category_columns().items())
        sequence = [
            "collection",
            "lab",
            "route",
            "building",
            "room",
            "registered_by",
            "phone",
            *[name for name, _column in extra],
            "package_count",
            "status",
        ]
        super().__init__(*args, extra_columns=extra, sequence=sequence, **kwargs)


class BarrelRequestTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Requested at"), format="Y-m-d H:i")
    lab = tables.Column(verbose_name=_("Lab"), accessor="lab__name", order_by=("lab__name",))
    campus = tables.Column(verbose_name=_("Campus"), accessor="campus__name", order_by=("campus__name",))
    kind = tables.Column(verbose_name=_("Barrels for"))
    quantity = tables.Column(verbose_name=_("Barrels"), attrs={"td": {"class": "text-end"}})
    requested_by = tables.Column(
        verbose_name=_("Requested by"), accessor="requested_by__full_name", order_by=("requested_by__full_name",)
    )
    status = tables.Column(verbose_name=_("Status"))
    delivered_at = tables.DateTimeColumn(verbose_name=_("Delivered at"), format="Y-m-d H:i")
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False)

    exclude_from_export = ("actions",)

    class Meta:
        model = BarrelRequest
        fields = ()
        sequence = (
            "created_at",
            "lab",
            "campus",
            "kind",
            "quantity",
            "requested_by",
            "status",
            "delivered_at",
            "actions",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "waste-barrels"}
        row_attrs = {"data-status": lambda record: record.status}

    def __init__(self, *args, may_deliver: bool = False, cancellable_labs=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.may_deliver = may_deliver
        self.cancellable_labs = set(cancellable_labs)

    def render_actions(self, record) -> str:
        if record.status != BarrelRequest.Status.REQUESTED or getattr(self, "request", None) is None:
            return ""
        token = get_token(self.request)
        buttons = []
        if self.may_deliver:
            buttons.append(
                format_html(
                    '<form method="post" action="{}" class="d-inline"><input type="hidden" name="csrfmiddlewaretoken" '
                    'value="{}"><button class="btn btn-sm btn-success" data-testid="barrel-deliver">{}</button></form>',
                    reverse("chemicals:waste_barrel_deliver", args=[record.pk]),
                    token,
                    _("Delivered"),
                )
            )
        if self.may_deliver or record.lab_id in self.cancellable_labs:
            buttons.append(
                format_html(
                    '<form method="post" action="{}" class="d-inline"><input type="hidden" name="csrfmiddlewaretoken" '
                    'value="{}"><button class="btn btn-sm btn-outline-danger" data-testid="barrel-cancel" '
                    'data-confirm="{}">{}</button></form>',
                    reverse("chemicals:waste_barrel_cancel", args=[record.pk]),
                    token,
                    _("Cancel this barrel request?"),
                    _("Cancel"),
                )
            )
        return format_html_join(" ", "{}", ((b,) for b in buttons))


class WasteFiguresTable(tables.Table):
    college = tables.Column(verbose_name=_("College"), accessor="parent__name", order_by=("parent__name",))
    name = tables.Column(verbose_name=_("Lab"))
    collection_count = tables.Column(verbose_name=_("Collections"), attrs={"td": {"class": "text-end"}})
    package_count = tables.Column(verbose_name=_("Empty packages"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Department
        fields = ()
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "waste-figures"}
        row_attrs = {"data-lab": lambda record: record.name}

    def __init__(self, *args, **kwargs) -> None:
        extra = list(_waste_category_columns().items())
        sequence = [
            "college",
            "name",
            *[name for name, _column in extra],
            "package_count",
            "collection_count",
        ]
        super().__init__(*args, extra_columns=extra, sequence=sequence, **kwargs)


# ==== area: termination ====


# ==== area: majorhazards ====


def major_hazard_grade_badge(grade: int | None, is_major: bool):
    """一级 (red) … 四级 (blue), as the risk colours; a unit below the threshold is grey."""
    if not is_major or grade is None:
        return format_html(
            '<span class="badge text-bg-secondary" data-testid="mh-grade" data-grade="">{}</span>',
            _("Not a major hazard source"),
        )
    colours = {1: "text-bg-danger", 2: "text-bg-warning", 3: "text-bg-info", 4: "text-bg-primary"}
    return format_html(
        '<span class="badge {}" data-testid="mh-grade" data-grade="{}">{}</span>',
        colours[grade],
        grade,
        major_hazard_grade_label(grade),
    )


def major_hazard_grade_label(grade: int) -> str:
    labels = {1: _("Grade 1"), 2: _("Grade 2"), 3: _("Grade 3"), 4: _("Grade 4")}
    return str(labels[grade])


class MajorHazardAssessmentTable(tables.Table):
    name = tables.Column(verbose_name=_("Unit"))
    unit_kind = tables.Column(verbose_name=_("Unit kind"))
    store = tables.Column(verbose_name=_("From live inventory of"), accessor="store__name", default="—")
    line_count = tables.Column(verbose_name=_("Chemicals"))
    people_exposed = tables.Column(verbose_name=_("People exposed"))
    s_value = tables.Column(verbose_name=_("S = Σ q/Q"))
    alpha = tables.Column(verbose_name=_("α"))
    r_value = tables.Column(verbose_name=_("R"))
    grade = tables.Column(verbose_name=_("Result"), empty_values=(), order_by=("-is_major", "grade"))
    assessed_by = tables.Column(
        verbose_name=_("Assessed by"), accessor="assessed_by__full_name", order_by=("assessed_by__full_name",)
    )
    assessed_at = tables.DateTimeColumn(verbose_name=_("Assessed at"), format="Y-m-d H:i")

    class Meta:
        model = HazardSourceAssessment
        fields = ()
        sequence = (
            "name",
            "unit_kind",
            "store",
            "line_count",
            "people_exposed",
            "s_value",
            "alpha",
            "r_value",
            "grade",
            "assessed_by",
            "assessed_at",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "mh-assessment-table"}
        row_attrs = {"data-testid": "mh-assessment-row"}
        empty_text = _("No assessments yet.")
        order_by = ("-assessed_at",)

    def render_name(self, record, value):
        return format_html(
            '<a href="{}" data-testid="mh-assessment-link">{}</a>',
            reverse("chemicals:major_hazard_detail", args=[record.pk]),
            value,
        )

    def value_name(self, value):
        return value

    def render_unit_kind(self, record):
        return record.get_unit_kind_display()

    def value_unit_kind(self, record):
        return str(record.get_unit_kind_display())

    def render_grade(self, record):
        return major_hazard_grade_badge(record.grade, record.is_major)

    def value_grade(self, record):
        return (
            major_hazard_grade_label(record.grade)
            if record.is_major and record.grade
            else str(_("Not a major hazard source"))
        )

    def value_s_value(self, value):
        return float(value)

    def value_r_value(self, value):
        return float(value)

    def value_alpha(self, value):
        return float(value)


class MajorHazardStoreTable(tables.Table):
    name = tables.Column(verbose_name=_("Store"))
    kind = tables.Column(verbose_name=_("Kind"))
    place = tables.Column(verbose_name=_("Campus or lab"), empty_values=(), orderable=False)
    address = tables.Column(verbose_name=_("Address"))
    people_exposed = tables.Column(verbose_name=_("People exposed within 500 m"))
    action = tables.Column(verbose_name="", empty_values=(), orderable=False)

    exclude_from_export = ("action",)

    class Meta:
        model = Store
        fields = ()
        sequence = ("name", "kind", "place", "address", "people_exposed", "action")
        attrs = {"class": "table table-hover align-middle", "data-testid": "mh-store-table"}
        row_attrs = {"data-testid": "mh-store-row"}
        empty_text = _("No physical stores or lab rooms yet.")
        order_by = ("name",)

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return str(record.get_kind_display())

    def render_place(self, record):
        return record.lab.name if record.lab_id else (record.campus.name if record.campus_id else "—")

    def value_place(self, record):
        return self.render_place(record)

    def render_action(self, record):
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}" data-testid="mh-store-assess">{}</a>',
            reverse("chemicals:major_hazard_store", args=[record.pk]),
            _("Assess from live inventory"),
        )


# ==== area: figures ====


def figure_quantity(value: Decimal | None, unit: str = "") -> str:
    """A quantity as people write it: at most three decimals, no trailing zeros, with its unit."""
    number = f"{Decimal(value or 0).quantize(Decimal('0.001')).normalize():f}"
    return f"{number} {unit}".strip()


class FigureQuantityColumn(tables.Column):
    """A quantity in the row's unit on screen; a plain number in the Excel export."""

    def render(self, value, record):
        return figure_quantity(value, record.unit)

    def value(self, value):
        return float(value or 0)


FIGURE_MEASURE_LABELS = (
    ("purchased", _("Purchased"), _("Packages purchased")),
    ("issued", _("Issued"), _("Packages issued")),
    ("in_stock", _("In stock"), _("Packages in stock")),
    ("used", _("Used"), _("Packages used from")),
    ("collected", _("Collected as waste"), _("Packages collected")),
)
FIGURE_ATTRS = {"class": "table table-sm table-hover align-middle text-nowrap"}


class _FiguresTable(tables.Table):
    """Purchased, issued, in stock, used and collected with package counts; rows: selectors.FigureRow."""

    purchased = FigureQuantityColumn(verbose_name=_("Purchased"))
    purchased_n = tables.Column(verbose_name=_("Packages purchased"))
    issued = FigureQuantityColumn(verbose_name=_("Issued"))
    issued_n = tables.Column(verbose_name=_("Packages issued"))
    in_stock = FigureQuantityColumn(verbose_name=_("In stock"))
    in_stock_n = tables.Column(verbose_name=_("Packages in stock"))
    used = FigureQuantityColumn(verbose_name=_("Used"))
    used_n = tables.Column(verbose_name=_("Packages used from"))
    collected = FigureQuantityColumn(verbose_name=_("Collected as waste"))
    collected_n = tables.Column(verbose_name=_("Packages collected"))

    in_kg = True

    class Meta:
        orderable = False
        attrs = FIGURE_ATTRS
        row_attrs = {"data-testid": "figures-row", "data-key": lambda record: record.key or ""}

    def __init__(self, *args, testid: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.in_kg:  # the Excel headers say the unit: the cells there are bare numbers
            for measure, label, _count in FIGURE_MEASURE_LABELS:
                self.columns[measure].column.verbose_name = f"{label} (kg)"
        if testid:
            self.attrs = {**self.attrs, "data-testid": testid}


class LabFiguresTable(_FiguresTable):
    label = tables.Column(verbose_name=_("Lab"))
    college = tables.Column(verbose_name=_("College"))

    class Meta(_FiguresTable.Meta):
        sequence = ("label", "college", "...")
        empty_text = _("No labs to show.")


class CollegeFiguresTable(_FiguresTable):
    label = tables.Column(verbose_name=_("College"))
    labs = tables.Column(verbose_name=_("Labs"))

    class Meta(_FiguresTable.Meta):
        sequence = ("label", "labs", "...")
        empty_text = _("No colleges to show.")


class ChemicalFiguresTable(_FiguresTable):
    label = tables.Column(verbose_name=_("Chemical"))
    cas_number = tables.Column(verbose_name=_("CAS number"))
    unit = tables.Column(verbose_name=_("Unit"))

    in_kg = False

    class Meta(_FiguresTable.Meta):
        sequence = ("label", "cas_number", "unit", "...")
        empty_text = _("No chemicals were purchased, issued, held, used or collected in this period.")


class StockLimitTable(tables.Table):
    """Each lab's stock-limit usage (selectors.LimitRow): held kilograms against the limit, with a gauge."""

    label = tables.Column(verbose_name=_("Lab"))
    college = tables.Column(verbose_name=_("College"))
    held_kg = tables.Column(verbose_name=_("Held (kg)"))
    limit_kg = tables.Column(verbose_name=_("Stock limit (kg)"), default="—")
    percent = tables.Column(verbose_name=_("Share of the limit"), empty_values=())
    state = tables.Column(verbose_name=_("State"), empty_values=())

    STATES = {
        "none": ("secondary", _("No limit set")),
        "ok": ("success", _("Within the limit")),
        "near": ("warning", _("Near the limit")),
        "full": ("danger", _("At the limit: no more requisitions")),
    }

    class Meta:
        orderable = False
        attrs = FIGURE_ATTRS
        # The gauge next to the lab's name: on a phone it is what shows without scrolling sideways.
        sequence = ("label", "percent", "state", "held_kg", "limit_kg", "college")
        row_attrs = {
            "data-testid": "limit-row",
            "data-key": lambda record: record.key,
            "data-state": lambda record: record.state,
        }
        empty_text = _("No labs to show.")

    def __init__(self, *args, testid: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if testid:
            self.attrs = {**self.attrs, "data-testid": testid}

    def render_held_kg(self, value):
        return figure_quantity(value)

    def value_held_kg(self, value):
        return float(value)

    def render_limit_kg(self, value):
        return figure_quantity(value)

    def value_limit_kg(self, value):
        return float(value)

    def render_percent(self, record):
        percent = record.percent
        if percent is None:
            return "—"
        colour = self.STATES[record.state][0]
        return format_html(
            '<div class="d-flex align-items-center gap-2" style="min-width:9rem">'
            '<div class="progress flex-grow-1" role="progressbar" aria-valuenow="{}" aria-valuemin="0" '
            'aria-valuemax="100" data-testid="limit-gauge"><div class="progress-bar bg-{}" style="width:{}%">'
            "</div></div><span>{}%</span></div>",
            percent,
            colour,
            min(percent, 100),
            percent,
        )

    def value_percent(self, record):
        return None if record.percent is None else float(record.percent)

    def render_state(self, record):
        colour, label = self.STATES[record.state]
        return format_html('<span class="badge text-bg-{}">{}</span>', colour, label)

    def value_state(self, record):
        return str(self.STATES[record.state][1])
