from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .models import ExportJob
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
    """A list with filters and an Excel export of exactly what the filters select (``?export=xlsx``).

    Subclasses implement ``build_list(actor, params, **url_kwargs) -> (filterset, table)``, used both by the
    page and by the Celery export of big lists, so both always agree on the rows. Up to
    settings.EXPORT_SYNC_MAX_ROWS rows download at once; more become an ExportJob with a progress page.
    """

    export_filename = "export"

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        raise NotImplementedError

    def export_response(self, table):
        from approvals import audit
        from approvals.models import OperationLog

        from .exports import export_table

        actor = self.request.actor
        audit.log_operation(
            actor=actor,
            action=OperationLog.Action.EXPORT,
            detail=f"{self.export_filename}: {self.request.GET.urlencode()}"[:2000],
        )
        limit = settings.EXPORT_SYNC_MAX_ROWS
        # Bounded probe instead of COUNT(*): a queue of a million rows must not be counted to decide this.
        if len(table.data.data.values("pk")[: limit + 1]) <= limit:
            return export_table(table, filename=str(self.export_filename))
        from .tasks import run_export

        params = {k: v for k, v in self.request.GET.lists() if k not in ("export", "page")}
        job = ExportJob.objects.create(
            user=self.request.user,
            membership=actor.membership,
            list_key=f"{type(self).__module__}.{type(self).__qualname__}",
            url_kwargs=dict(self.kwargs),
            params=params,
            title=str(self.export_filename),
        )
        transaction.on_commit(lambda: run_export.delay(job.pk))
        return redirect("export_status", pk=job.pk)


def _export_jobs(request: HttpRequest):
    return ExportJob.objects.filter(user=request.user)


@login_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of a big export; the partial polls itself (htmx) until the file is ready."""
    job = get_object_or_404(_export_jobs(request), pk=pk)
    template = "exports/_progress.html" if request.headers.get("HX-Request") else "exports/status.html"
    return render(request, template, {"job": job})


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_export_jobs(request).filter(status=ExportJob.Status.DONE), pk=pk)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])


export_status.isolation_model = ExportJob
export_download.isolation_model = ExportJob


def settings_context() -> dict:
    return {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION}
