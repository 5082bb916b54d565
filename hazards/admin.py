from __future__ import annotations

# ==== area: risk ====
# isort: split
# Platform reference data of risk grading: the band thresholds per province and the shared library of typical
# risk points. Enterprises' own points are edited in the app (its services keep the grading history).
from django import forms as _rk_forms  # noqa: E402
from django.contrib import admin as _rk_admin  # noqa: E402

from . import grading as _rk_grading  # noqa: E402
from .models import GradingScheme as _RkGradingScheme  # noqa: E402
from .models import SharedRiskPoint as _RkSharedRiskPoint  # noqa: E402


class GradingSchemeAdminForm(_rk_forms.ModelForm):
    class Meta:
        model = _RkGradingScheme
        fields = ("region", "method", "bands")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") and "bands" in cleaned:
            try:
                _rk_grading.check_bands(cleaned["method"], cleaned["bands"])
            except _rk_forms.ValidationError as exc:
                self.add_error("bands", exc)
        return cleaned


@_rk_admin.register(_RkGradingScheme)
class GradingSchemeAdmin(_rk_admin.ModelAdmin):
    form = GradingSchemeAdminForm
    list_display = ("__str__", "region", "method")
    list_filter = ("method",)
    raw_id_fields = ("region",)


@_rk_admin.register(_RkSharedRiskPoint)
class SharedRiskPointAdmin(_rk_admin.ModelAdmin):
    list_display = ("name", "industry", "category", "method")
    list_filter = ("industry", "category")
    search_fields = ("name",)


# ==== area: lists ====
# isort: split
# Read-mostly: list statuses change through the services (with their review record), tasks through the jobs
# and the checklist.
from django.contrib import admin as _ls_admin  # noqa: E402

from .models import InspectionResult as _LsInspectionResult  # noqa: E402
from .models import InspectionTask as _LsInspectionTask  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402
from .models import RiskListItem as _LsRiskListItem  # noqa: E402


class RiskListItemInline(_ls_admin.TabularInline):
    model = _LsRiskListItem
    extra = 0
    raw_id_fields = ("risk_point",)
    fields = ("risk_point", "order")


@_ls_admin.register(_LsRiskList)
class RiskListAdmin(_ls_admin.ModelAdmin):
    list_display = ("name", "enterprise", "level", "department", "frequency", "checks_per_day", "status", "filed_at")
    list_filter = ("status", "level", "frequency")
    search_fields = ("name", "enterprise__name")
    raw_id_fields = ("enterprise", "department")
    readonly_fields = ("status", "filed_at")
    inlines = [RiskListItemInline]


class InspectionResultInline(_ls_admin.TabularInline):
    model = _LsInspectionResult
    extra = 0
    fields = ("measure_text", "passed", "note", "hazard")
    readonly_fields = fields
    can_delete = False


@_ls_admin.register(_LsInspectionTask)
class InspectionTaskAdmin(_ls_admin.ModelAdmin):
    list_display = ("risk_point", "risk_list", "period_start", "period_end", "slot", "status", "done_at", "done_by")
    list_filter = ("status",)
    search_fields = ("risk_point__name", "risk_list__name", "enterprise__name")
    raw_id_fields = ("enterprise", "risk_list", "risk_point", "done_by")
    readonly_fields = ("status", "done_at", "done_by", "submission_id")
    inlines = [InspectionResultInline]


# ==== area: hazards ====
# isort: split
# Read-mostly: states change through the services (with their review record), never through these forms.
from django.contrib import admin  # noqa: E402

from .models import ExtensionRequest, Hazard, HazardPhoto, SupervisedListing  # noqa: E402


class HazardPhotoInline(admin.TabularInline):
    model = HazardPhoto
    extra = 0
    fields = ("stage", "uploaded_at", "uploaded_by")
    readonly_fields = fields
    can_delete = False


@admin.register(Hazard)
class HazardAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "enterprise", "level", "kind", "status", "source", "found_at", "deadline")
    list_filter = ("status", "level", "kind", "source")
    search_fields = ("number", "title", "enterprise__name")
    raw_id_fields = ("enterprise", "risk_point", "inspection_task", "department", "responsible_user")
    readonly_fields = (
        "status",
        "registered_by",
        "registered_by_body",
        "rectified_at",
        "rectified_by",
        "closed_at",
        "closed_on_time",
        "reported_to_government_at",
    )
    inlines = [HazardPhotoInline]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    list_display = ("hazard", "requested_deadline", "granted_deadline", "status", "requested_at")
    list_filter = ("status",)
    raw_id_fields = ("enterprise", "hazard", "requested_by")
    readonly_fields = ("status", "granted_deadline")


@admin.register(SupervisedListing)
class SupervisedListingAdmin(admin.ModelAdmin):
    list_display = ("hazard", "body", "notice_number", "status", "listed_at", "delisted_at")
    list_filter = ("status",)
    raw_id_fields = ("enterprise", "hazard", "body")
    readonly_fields = ("status", "delisted_at")


# ==== area: supervision ====
# isort: split
# Summary reports and samples, read-only for support: they are built, reported and drawn in the app only (a
# reported summary and a recorded draw must never change).
from django.contrib import admin as _sv_admin  # noqa: E402

from .models import EnterpriseSample as _SvSample  # noqa: E402
from .models import SummaryReport as _SvReport  # noqa: E402


class _SvReadOnlyAdmin(_sv_admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@_sv_admin.register(_SvReport)
class SummaryReportAdmin(_SvReadOnlyAdmin):
    list_display = ("body", "period_start", "period_end", "reported_at", "reported_by")
    list_filter = ("reported_at",)
    search_fields = ("body__name",)
    list_select_related = ("body", "reported_by")


@_sv_admin.register(_SvSample)
class EnterpriseSampleAdmin(_SvReadOnlyAdmin):
    list_display = ("purpose", "body", "size", "seed", "drawn_by", "drawn_at")
    search_fields = ("purpose", "body__name", "seed")
    list_select_related = ("body", "drawn_by")
