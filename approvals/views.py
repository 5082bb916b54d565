from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from safety.views import ExportableListMixin, safe_next

from . import selectors
from .filters import OperationLogFilter
from .inbox import inbox_sections
from .models import Notification
from .tables import OperationLogTable


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "approvals/inbox.html", {"sections": inbox_sections(request.actor, limit=50)})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    qs = selectors.notifications_for(request.user)
    page = list(qs[:100])
    return render(request, "approvals/notifications.html", {"notifications": page})


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(selectors.notifications_for(request.user), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect(notification.url or "approvals:notifications")


notification_open.isolation_model = Notification


@require_POST
@login_required
def notifications_mark_all_read(request: HttpRequest) -> HttpResponse:
    n = selectors.notifications_for(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("%(n)d notifications marked as read.") % {"n": n})
    return redirect(safe_next(request, "approvals:notifications"))


@method_decorator(login_required, name="dispatch")
class OperationLogView(ExportableListMixin, View):
    export_filename = gettext_lazy("operation-log")

    @classmethod
    def build_list(cls, actor, params):
        from enterprises.models import Membership

        if not (actor.is_platform_admin or actor.body is not None or actor.has_role(Membership.Role.ENTERPRISE_ADMIN)):
            raise PermissionDenied(_("The operation log is for administrators and government users."))
        filterset = OperationLogFilter(params, queryset=selectors.operation_log_for(actor))
        return filterset, OperationLogTable(filterset.qs)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
        return render(request, "approvals/operation_log.html", {"table": table, "filter": filterset})
