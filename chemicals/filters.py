"""Filters of the chemicals service; choices re-scoped to the actor's university."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import Department

from . import selectors, tiers
from .models import (
    BarrelRequest,
    Campus,
    Chemical,
    ControlledCategory,
    HazardClass,
    HazardSourceAssessment,
    LedgerEntry,
    OrderStatus,
    Package,
    PaymentStatus,
    PoliceFiling,
    PurchaseRequest,
    Requisition,
    StorageGroup,
    Store,
    UsedUpDeclaration,
    WasteCollection,
    WasteRegistration,
    WasteRoute,
)
from .validators import normalise_cas_number

# ==== area: catalogue ====

CONTROLLED_ANY = "any"
CONTROLLED_NONE = "none"
CONTROLLED_CHOICES = [
    (CONTROLLED_ANY, _("Any controlled category")),
    *[(c.value, c.label) for c in ControlledCategory if c.value],
    (CONTROLLED_NONE, _("Not controlled")),
]


def _by_controlled(queryset, field: str, value: str):
    if value == CONTROLLED_ANY:
        return queryset.exclude(**{field: ""})
    if value == CONTROLLED_NONE:
        return queryset.filter(**{field: ""})
    if value:
        return queryset.filter(**{field: value})
    return queryset


class ChemicalFilter(django_filters.FilterSet):
    """The catalogue: search by name, CAS number or formula; filter by controlled category, storage group and
    GHS hazard class."""

    q = django_filters.CharFilter(label=_("Name, CAS number or formula"), method="search")
    controlled = django_filters.ChoiceFilter(
        label=_("Controlled category"), choices=CONTROLLED_CHOICES, method="by_controlled"
    )
    storage_group = django_filters.ChoiceFilter(label=_("Storage group"), choices=StorageGroup.choices)
    hazard_class = django_filters.ChoiceFilter(
        label=_("GHS hazard class"), choices=HazardClass.choices, method="by_hazard_class"
    )

    class Meta:
        model = Chemical
        fields = ()

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        cas = normalise_cas_number(value)
        return queryset.filter(
            Q(name_zh__icontains=value)
            | Q(name_en__icontains=value)
            | Q(formula__icontains=value)
            | Q(cas_number__startswith=cas)
        )

    def by_controlled(self, queryset, name, value):
        return _by_controlled(queryset, "controlled_category", value)

    def by_hazard_class(self, queryset, name, value):
        return queryset.filter(hazard_classes__contains=[value]) if value else queryset


class CampusFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or pick-up point"), method="search")
    delivers = django_filters.BooleanFilter(label=_("Delivered by the centre"))

    def search(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(name__icontains=value) | Q(pickup_point__icontains=value)) if value else queryset


class StoreFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or address"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Store.Kind.choices)
    campus = django_filters.ModelChoiceFilter(label=_("Campus"), queryset=Store._base_manager.none())

    class Meta:
        model = Store
        fields = ()

    def __init__(self, *args, campuses=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["campus"].queryset = campuses if campuses is not None else Store._base_manager.none()

    def search(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value)) if value else queryset


class PackageFilter(django_filters.FilterSet):
    """Packages: code or chemical, status, store, chemical, controlled category, owner lab."""

    q = django_filters.CharFilter(label=_("Code, chemical or CAS number"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Package.Status.choices)
    store = django_filters.ModelChoiceFilter(label=_("Store"), queryset=Store._base_manager.none())
    chemical = django_filters.ModelChoiceFilter(label=_("Chemical"), queryset=Chemical.objects.none())
    controlled = django_filters.ChoiceFilter(
        label=_("Controlled category"), choices=CONTROLLED_CHOICES, method="by_controlled"
    )
    lab = django_filters.ModelChoiceFilter(
        label=_("Owner lab"), field_name="owner_lab", queryset=Department._base_manager.none()
    )

    class Meta:
        model = Package
        fields = ()

    def __init__(self, *args, university=None, labs=None, stores=None, **kwargs) -> None:
        """``labs``: the labs the actor sees (tiers.visible_lab_ids: None = every lab of ``university``)."""
        super().__init__(*args, **kwargs)
        self.filters["store"].queryset = stores if stores is not None else Store._base_manager.none()
        self.filters["chemical"].queryset = Chemical.objects.order_by("name_zh", "pk")
        lab_qs = Department.objects.filter(enterprise=university, kind=Department.Kind.LAB) if university else None
        if lab_qs is None:
            lab_qs = Department._base_manager.none()
        elif labs is not None:
            lab_qs = lab_qs.filter(pk__in=labs)
        self.filters["lab"].queryset = lab_qs.order_by("name", "pk")

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        cas = normalise_cas_number(value)
        return queryset.filter(
            Q(code__icontains=value)
            | Q(chemical__name_zh__icontains=value)
            | Q(chemical__name_en__icontains=value)
            | Q(chemical__cas_number__startswith=cas)
        )

    def by_controlled(self, queryset, name, value):
        return _by_controlled(queryset, "chemical__controlled_category", value)


# ==== area: purchase ====
# Purchase requests and police filings.


class PurchaseRequestFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(label=_("Number"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(label=_("Paid"), choices=PaymentStatus.choices)
    round = django_filters.ModelChoiceFilter(label=_("Round"), queryset=None)
    lab = django_filters.ModelChoiceFilter(label=_("Lab"), queryset=None)

    class Meta:
        model = PurchaseRequest
        fields = ["number", "status", "payment_status", "round", "lab"]

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["round"].queryset = selectors.purchase_rounds_for(actor)
        self.filters["lab"].queryset = selectors.purchase_visible_labs(actor)


class PoliceFilingFilter(django_filters.FilterSet):
    round = django_filters.ModelChoiceFilter(label=_("Round"), queryset=None)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PoliceFiling.Status.choices)

    class Meta:
        model = PoliceFiling
        fields = ["round", "status"]

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["round"].queryset = selectors.purchase_rounds_for(actor)


# ==== area: requisition ====
# Requisitions: filters of the list (store, status, payment, lab; the lab choices are the labs the actor sees).


class RequisitionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Number or chemical"), method="search")
    source = django_filters.ChoiceFilter(label=_("Store"), choices=Requisition.Source.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(label=_("Paid"), choices=PaymentStatus.choices)
    lab = django_filters.ModelChoiceFilter(label=_("Lab"), queryset=Requisition._base_manager.none())

    class Meta:
        model = Requisition
        fields = ()

    def __init__(self, *args, actor=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labs = Department._base_manager.none()
        if actor is not None and actor.enterprise is not None:
            visible = tiers.visible_lab_ids(actor)
            labs = Department.objects.filter(enterprise=actor.enterprise, kind=Department.Kind.LAB)
            if visible is not None:
                labs = labs.filter(pk__in=visible)
        self.filters["lab"].queryset = labs.order_by("name", "pk")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(lines__chemical__name_zh__icontains=value)
            | Q(lines__chemical__cas_number=value)
        ).distinct()


# ==== area: ledger ====


class LedgerEntryFilter(django_filters.FilterSet):
    """The lab's ledger: lab (for those who see several), chemical or package, person, dates."""

    lab = django_filters.ModelChoiceFilter(label=_("Lab"), field_name="package__owner_lab", queryset=None)
    q = django_filters.CharFilter(label=_("Chemical, CAS or package code"), method="search")
    user = django_filters.CharFilter(label=_("Used by"), method="by_user")
    used_from = django_filters.DateFilter(
        label=_("Used from"), field_name="used_on", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    used_to = django_filters.DateFilter(
        label=_("Used to"), field_name="used_on", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = LedgerEntry
        fields = ()

    def __init__(self, *args, labs=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if labs is None:
            del self.filters["lab"]
        else:
            self.filters["lab"].queryset = labs

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(package__code__icontains=value)
            | Q(package__chemical__name_zh__icontains=value)
            | Q(package__chemical__name_en__icontains=value)
            | Q(package__chemical__cas_number=value)
        )

    def by_user(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(user__full_name__icontains=value) | Q(user__username__iexact=value))


class LedgerDeclarationFilter(django_filters.FilterSet):
    """The supervising teacher's review queue: search by chemical, package or student."""

    q = django_filters.CharFilter(label=_("Chemical, package code or student"), method="search")

    class Meta:
        model = UsedUpDeclaration
        fields = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(package__code__icontains=value)
            | Q(package__chemical__name_zh__icontains=value)
            | Q(package__chemical__name_en__icontains=value)
            | Q(declared_by__full_name__icontains=value)
        )


# ==== area: waste ====


class WasteCollectionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=WasteCollection.Status.choices)
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="collection_date", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("To"), field_name="collection_date", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = WasteCollection
        fields = ()


class WasteRegistrationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=WasteRegistration.Status.choices)
    date_from = django_filters.DateFilter(
        label=_("From"),
        field_name="collection__collection_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        field_name="collection__collection_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    route = django_filters.ModelChoiceFilter(label=_("Route"), queryset=WasteRoute._base_manager.none())
    q = django_filters.CharFilter(label=_("Lab or building"), method="search")

    class Meta:
        model = WasteRegistration
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["route"].queryset = selectors.waste_routes(actor)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(lab__name__icontains=value) | Q(building__icontains=value))


class BarrelRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=BarrelRequest.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Barrels for"), choices=BarrelRequest._meta.get_field("kind").choices)
    campus = django_filters.ModelChoiceFilter(label=_("Campus"), queryset=Campus._base_manager.none())

    class Meta:
        model = BarrelRequest
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["campus"].queryset = selectors.waste_campuses(actor)


# ==== area: termination ====


# ==== area: majorhazards ====

MAJOR_HAZARD_YES_NO = [("", "—"), ("true", _("Yes")), ("false", _("No"))]


class MajorHazardAssessmentFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Unit"), lookup_expr="icontains")
    unit_kind = django_filters.ChoiceFilter(label=_("Unit kind"), choices=HazardSourceAssessment.UnitKind.choices)
    is_major = django_filters.BooleanFilter(
        label=_("Major hazard source"), widget=forms.Select(choices=MAJOR_HAZARD_YES_NO)
    )
    grade = django_filters.ChoiceFilter(label=_("Grade"), choices=[(g, str(g)) for g in (1, 2, 3, 4)])
    assessed_from = django_filters.DateFilter(
        label=_("Assessed from"),
        field_name="assessed_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    assessed_to = django_filters.DateFilter(
        label=_("Assessed until"),
        field_name="assessed_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = HazardSourceAssessment
        fields = ()


class MajorHazardStoreFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Store"), lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=[(k, k.label) for k in (Store.Kind.CENTRE_PHYSICAL, Store.Kind.LAB_ROOM)],
    )

    class Meta:
        model = Store
        fields = ()


# ==== area: figures ====
