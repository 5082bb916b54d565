from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .tenancy import ACTIVE_MEMBERSHIP_SESSION_KEY


class ScopedObjectMixin:
    """Object views: the object comes from a scoped selector, so an outsider's id is a 404.

    ``model`` names what the URL's id points at; the generated isolation test reads it.
    """

    model = None
    pk_url_kwarg = "pk"

    def get_queryset(self):
        raise NotImplementedError

    def get_object(self):
        try:
            return get_object_or_404(self.get_queryset(), pk=self.kwargs[self.pk_url_kwarg])
        except (ValueError, TypeError):
            raise Http404 from None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status: 200 when both answer, 503 otherwise. No auth: for load balancers."""
    status = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # report, never raise: this page is how outages are seen
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        from safety.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        status["broker"] = f"error: {exc.__class__.__name__}"
    ok = all(v == "ok" for v in status.values())
    return JsonResponse({"status": "ok" if ok else "error", **status}, status=200 if ok else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor.side == "government":
        from enterprises.views import government_home

        return government_home(request)
    if actor.side in ("enterprise", "university"):
        from enterprises.views import enterprise_home

        return enterprise_home(request)
    from enterprises.selectors import registration_for_applicant

    if registration_for_applicant(request.user) is not None:
        return redirect("enterprises:registration_status")
    if actor.is_platform_admin:
        return redirect("admin:index")
    return render(request, "no_organisation.html")


@require_POST
@login_required
def switch_organisation(request: HttpRequest) -> HttpResponse:
    from enterprises.selectors import memberships_for_user

    wanted = request.POST.get("membership")
    membership = next((m for m in memberships_for_user(request.user) if str(m.pk) == wanted and m.is_active), None)
    if membership is None:
        raise Http404
    request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
    messages.success(request, _("You are now working as %(org)s.") % {"org": membership.organisation})
    return redirect("home")


def safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        return nxt
    return fallback


class ExportableListMixin:
    """A list with filters and an Excel export of exactly what the filters select (``?export=xlsx``)."""

    export_filename = "export"

    def export_response(self, table):
        from approvals import audit
        from approvals.models import OperationLog

        from .exports import export_table

        audit.log_operation(
            actor=self.request.actor,
            action=OperationLog.Action.EXPORT,
            detail=f"{self.export_filename}: {self.request.GET.urlencode()}"[:2000],
        )
        return export_table(table, filename=str(self.export_filename))


def settings_context() -> dict:
    return {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION}
