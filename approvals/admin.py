from __future__ import annotations

from django.contrib import admin

from .models import Notification, NotificationDelivery, OperationLog, ReviewRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are evidence: they are never added or changed by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReviewRecord)
class ReviewRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "enterprise", "subject_type", "subject_id", "node", "reviewer_name", "decision")
    list_filter = ("node", "decision")


@admin.register(OperationLog)
class OperationLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "username", "action", "object_type", "object_repr", "enterprise", "ip")
    list_filter = ("action",)
    search_fields = ("username", "object_repr")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        from safety.tenancy import current_enterprise_filter

        return qs.filter(enterprise__in=current_enterprise_filter())


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "title", "read_at")
    raw_id_fields = ("recipient",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(recipient=request.user)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "channel", "status", "attempts", "updated_at")
    list_filter = ("status", "channel")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.none()
