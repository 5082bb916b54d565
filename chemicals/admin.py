"""Admin of the chemicals service: the catalogue is platform reference data; tenant rows are read through
the admin's own scope (safety.tenancy)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .models import Campus, Chemical, HazardClass, HazardSourceAssessment, HazardSourceLine, Package, Store
from .validators import normalise_cas_number, validate_cas_number

# ==== area: catalogue ====
# The catalogue is kept here by the platform's administrators (the starter list comes from
# fixtures/chemicals.json, see chemicals.reference). Campuses, stores and packages are the universities'
# rows: the admin reads them through the tenant manager, so a staff member with a membership sees only its
# own university's (the request's scope), and states change through the services only.


class ChemicalAdminForm(forms.ModelForm):
    hazard_classes = forms.MultipleChoiceField(
        label=Chemical._meta.get_field("hazard_classes").verbose_name,
        choices=HazardClass.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Chemical
        fields = (
            "cas_number",
            "name_zh",
            "name_en",
            "formula",
            "hazard_classes",
            "storage_group",
            "controlled_category",
            "unit",
            "critical_quantity_t",
            "beta",
            "gb18218_category",
            "is_active",
        )

    def clean_cas_number(self) -> str:
        # Full-width hyphens and spaces pasted from Chinese documents are tidied before the check digit is
        # checked, so the stored number is always the plain form the search and the loader match on.
        value = normalise_cas_number(self.cleaned_data.get("cas_number", ""))
        validate_cas_number(value)
        return value


@admin.register(Chemical)
class ChemicalAdmin(admin.ModelAdmin):
    form = ChemicalAdminForm
    list_display = (
        "name_zh",
        "name_en",
        "cas_number",
        "formula",
        "storage_group",
        "controlled_category",
        "unit",
        "critical_quantity_t",
        "is_active",
    )
    list_filter = ("controlled_category", "storage_group", "unit", "is_active")
    search_fields = ("cas_number", "name_zh", "name_en", "formula")
    ordering = ("name_zh", "pk")


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ("name", "enterprise", "delivers", "pickup_point")
    list_filter = ("delivers",)
    search_fields = ("name", "enterprise__name")
    raw_id_fields = ("enterprise",)
    list_select_related = ("enterprise",)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "enterprise", "kind", "campus", "lab", "people_exposed")
    list_filter = ("kind",)
    search_fields = ("name", "enterprise__name", "lab__name")
    raw_id_fields = ("enterprise", "campus", "lab")
    list_select_related = ("enterprise", "campus", "lab")


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    """Support only: stock-in, moves, issue, ledger and collection go through the services (with their log)."""

    list_display = ("code", "chemical", "enterprise", "store", "owner_lab", "size", "remaining", "status")
    list_filter = ("status", "chemical__controlled_category")
    search_fields = ("code", "chemical__name_zh", "chemical__cas_number", "enterprise__name")
    raw_id_fields = (
        "enterprise",
        "chemical",
        "store",
        "owner_lab",
        "purchase_line",
        "requisition_line",
        "police_filing",
        "waste_registration",
    )
    list_select_related = ("chemical", "enterprise", "store", "owner_lab")
    readonly_fields = ("status", "issued_at", "used_up_at", "collected_at")


# ==== area: purchase ====


# ==== area: requisition ====


# ==== area: ledger ====


# ==== area: waste ====


# ==== area: termination ====


# ==== area: majorhazards ====
# Saved assessments are records: read-only here (they are made on the pages, whose service computes them).


class HazardSourceLineInline(admin.TabularInline):
    model = HazardSourceLine
    extra = 0
    can_delete = False
    fields = ("name", "chemical", "quantity_t", "critical_quantity_t", "beta")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HazardSourceAssessment)
class HazardSourceAssessmentAdmin(admin.ModelAdmin):
    list_display = ("name", "enterprise", "unit_kind", "s_value", "r_value", "is_major", "grade", "assessed_at")
    list_filter = ("is_major", "grade", "unit_kind")
    search_fields = ("name",)
    date_hierarchy = "assessed_at"
    inlines = [HazardSourceLineInline]
    readonly_fields = (
        "enterprise",
        "name",
        "unit_kind",
        "store",
        "people_exposed",
        "alpha",
        "s_value",
        "r_value",
        "is_major",
        "grade",
        "assessed_by",
        "assessed_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# ==== area: figures ====
