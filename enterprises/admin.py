from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Enterprise, Membership, Region, SupervisoryBody, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Profile"), {"fields": ("full_name", "phone")}))
    list_display = ("username", "full_name", "phone", "email", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone", "email")


@admin.register(Region)
class RegionAdmin(TreeAdmin):
    form = movenodeform_factory(Region)
    list_display = ("name", "code", "level")
    search_fields = ("name", "code")


@admin.register(SupervisoryBody)
class SupervisoryBodyAdmin(TreeAdmin):
    form = movenodeform_factory(SupervisoryBody)
    list_display = ("name", "kind", "region", "accepts_registrations")
    search_fields = ("name",)
    raw_id_fields = ("region",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Admin reads through the tenant manager, so a non-superuser staff member sees only its scope.

    Status changes go through the review services (with their record), never through this form.
    """

    list_display = ("name", "credit_code", "owning_body", "region", "industry", "status", "submitted_at")
    list_filter = ("status", "industry", "is_university")
    search_fields = ("name", "credit_code")
    raw_id_fields = ("owning_body", "region")
    readonly_fields = ("status", "corrected_fields", "reject_reason", "submitted_at", "reviewed_at")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "enterprise", "body", "role", "status")
    list_filter = ("role", "status")
    search_fields = ("user__username", "user__full_name", "enterprise__name", "body__name")
    raw_id_fields = ("user", "enterprise", "body")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        from safety.tenancy import current_enterprise_filter

        # Memberships use a plain manager; non-superusers see their scope's enterprise memberships only.
        return qs.filter(enterprise__in=current_enterprise_filter())


# ==== area: profile ====
from .models import EconomicClass  # noqa: E402


@admin.register(EconomicClass)
class EconomicClassAdmin(admin.ModelAdmin):
    """GB/T 4754-2017 reference data, loaded from fixtures/economic_classes.json by load_reference_data."""

    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    list_select_related = ("parent",)


# ==== area: organisation ====

# ==== area: licences ====
from .models import Licence, SuspensionApplication  # noqa: E402


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    """Support only: the tenant manager scopes non-superusers; the reminder stage belongs to the daily job."""

    list_display = ("number", "kind", "enterprise", "valid_until", "long_term", "reminder_stage")
    list_filter = ("kind", "long_term", "reminder_stage")
    search_fields = ("number", "name", "enterprise__name")
    raw_id_fields = ("enterprise",)
    list_select_related = ("enterprise",)
    readonly_fields = ("reminder_stage", "created_at")


@admin.register(SuspensionApplication)
class SuspensionApplicationAdmin(admin.ModelAdmin):
    """Decisions go through the review services (with their record), never through this form."""

    list_display = ("enterprise", "kind", "start_date", "end_date", "status", "submitted_at", "reviewed_at")
    list_filter = ("kind", "status")
    search_fields = ("enterprise__name",)
    raw_id_fields = ("enterprise", "submitted_by")
    list_select_related = ("enterprise",)
    readonly_fields = ("status", "submitted_at", "reviewed_at")


# ==== area: university ====
