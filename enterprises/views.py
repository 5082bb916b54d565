from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from approvals.engine import TransitionRefused
from approvals.inbox import inbox_sections
from approvals.selectors import review_records_for
from safety.views import ExportableListMixin, ScopedObjectMixin, settings_context

from . import selectors, services
from .filters import RegistrationFilter
from .forms import ApproveForm, RegistrationDetailsForm, RegistrationForm, RejectForm
from .models import Enterprise
from .tables import RegistrationTable


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def register(request: HttpRequest) -> HttpResponse:
    """Enterprise self-registration (public)."""
    if request.user.is_authenticated and selectors.registration_for_applicant(request.user):
        return redirect("enterprises:registration_status")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_register(
                actor=request.actor, details=form.details(), account=form.account()
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            user = enterprise.memberships.get().user
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Registration submitted. The owning body will review it; you will be notified.")
            )
            return redirect("enterprises:registration_status")
    return render(request, "enterprises/register.html", {"form": form, **settings_context()})


def region_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the regions in a body's jurisdiction, for the registration form (public reference data)."""
    from .forms import RegionChoiceField
    from .models import SupervisoryBody

    raw = request.GET.get("owning_body", "")
    body = SupervisoryBody.objects.filter(pk=int(raw)).select_related("region").first() if raw.isdigit() else None
    regions = selectors.regions_under(body.region) if body else selectors.regions_for_choice()
    field = RegionChoiceField(queryset=regions)
    selected = request.GET.get("region", "")
    return render(request, "enterprises/_region_options.html", {"choices": field.choices, "selected": selected})


@login_required
def registration_status(request: HttpRequest) -> HttpResponse:
    """The applicant's own registration: status, the review record, and fix-and-resubmit after a rejection."""
    enterprise = selectors.registration_for_applicant(request.user)
    if enterprise is None:
        return redirect("home")
    form = None
    if enterprise.status == Enterprise.Status.REJECTED:
        form = RegistrationDetailsForm(request.POST or None, initial=RegistrationDetailsForm.initial_from(enterprise))
        if request.method == "POST" and form.is_valid():
            try:
                services.registration_resubmit(actor=request.actor, details=form.details())
            except ValidationError as exc:
                _errors_to_form(form, exc)
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return redirect("enterprises:registration_status")
            else:
                messages.success(request, _("Registration resubmitted for review."))
                return redirect("enterprises:registration_status")
    elif request.method == "POST":
        messages.error(request, _("Only a rejected registration can be changed and resubmitted."))
        return redirect("enterprises:registration_status")
    return render(
        request,
        "enterprises/registration_status.html",
        {
            "enterprise": enterprise,
            "form": form,
            "records": review_records_for(enterprise, scoped=False),
            **settings_context(),
        },
    )


def government_home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    registrations = selectors.registrations_for_actor(actor)
    return render(
        request,
        "enterprises/government_home.html",
        {
            "pending_count": registrations.filter(status=Enterprise.Status.PENDING).count(),
            "rejected_count": registrations.filter(status=Enterprise.Status.REJECTED).count(),
            "approved_count": registrations.filter(status=Enterprise.Status.APPROVED).count(),
            "sections": inbox_sections(actor, limit=5),
        },
    )


def enterprise_home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    return render(
        request,
        "enterprises/enterprise_home.html",
        {
            "enterprise": actor.enterprise,
            "sections": inbox_sections(actor, limit=5),
        },
    )


@method_decorator(login_required, name="dispatch")
class RegistrationListView(ExportableListMixin, View):
    """Government queue of registrations in the jurisdiction: pending, rejected, all."""

    export_filename = gettext_lazy("enterprise-registrations")
    TABS = {
        "pending": (Enterprise.Status.PENDING, gettext_lazy("Pending review")),
        "rejected": (Enterprise.Status.REJECTED, gettext_lazy("Rejected")),
        "all": (None, gettext_lazy("All")),
    }

    @classmethod
    def build_list(cls, actor, params, tab: str = "pending"):
        if actor.body is None:
            raise PermissionDenied(_("This page is for government users."))
        status, _label = cls.TABS.get(tab, cls.TABS["pending"])
        qs = selectors.registrations_for_actor(actor)
        data = params.copy()
        if status:
            qs = qs.filter(status=status)
            data.pop("status", None)
        filterset = RegistrationFilter(data, queryset=qs, actor=actor)
        if status:
            del filterset.filters["status"]
        return filterset, RegistrationTable(filterset.qs)

    def get(self, request: HttpRequest, tab: str = "pending") -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET, tab=tab)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": 25, "paginator_class": LazyPaginator}).configure(table)
        return render(
            request,
            "enterprises/registration_list.html",
            {
                "table": table,
                "filter": filterset,
                "tab": tab,
                "tabs": self.TABS,
            },
        )


@method_decorator(login_required, name="dispatch")
class RegistrationDetailView(ScopedObjectMixin, View):
    model = Enterprise

    def get_queryset(self):
        return selectors.registrations_for_actor(self.request.actor)

    def get(self, request: HttpRequest, pk: int, approve_form=None, reject_form=None) -> HttpResponse:
        enterprise = self.get_object()
        can_review = enterprise.status == Enterprise.Status.PENDING and selectors.can_review_registration(
            request.actor, enterprise
        )
        return render(
            request,
            "enterprises/registration_detail.html",
            {
                "enterprise": enterprise,
                "records": review_records_for(enterprise),
                "can_review": can_review,
                "approve_form": approve_form or ApproveForm(enterprise=enterprise),
                "reject_form": reject_form or RejectForm(),
                **settings_context(),
            },
            status=400 if (approve_form or reject_form) else 200,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise = self.get_object()  # 404 for outsiders before anything else
        action = request.POST.get("action")
        try:
            if action == "approve":
                form = ApproveForm(request.POST, enterprise=enterprise)
                if not form.is_valid():
                    return self.get(request, pk, approve_form=form)
                services.registration_approve(
                    actor=request.actor,
                    enterprise_id=enterprise.pk,
                    corrections=form.corrections(),
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request, _("Approved: %(name)s. Its administrator can now log in.") % {"name": enterprise.name}
                )
            elif action == "reject":
                form = RejectForm(request.POST)
                if not form.is_valid():
                    return self.get(request, pk, reject_form=form)
                services.registration_reject(
                    actor=request.actor, enterprise_id=enterprise.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request, _("Rejected: %(name)s. The applicant has been told why.") % {"name": enterprise.name}
                )
            else:
                messages.error(request, _("Unknown action."))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form = ApproveForm(request.POST, enterprise=enterprise)
            form.is_valid()
            _errors_to_form(form, exc)
            return self.get(request, pk, approve_form=form)
        return redirect("enterprises:gov_registration_detail", pk=enterprise.pk)


# ==== area: profile ====
from django.http import Http404, HttpResponseNotAllowed, JsonResponse  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.views.decorators.cache import never_cache  # noqa: E402

from . import sizing  # noqa: E402
from .filters import GovEnterpriseFilter  # noqa: E402
from .forms import AdminPasswordResetForm, EnterpriseDeleteForm, ProfileForm  # noqa: E402
from .tables import GovEnterpriseTable  # noqa: E402


def _size_explanation(enterprise: Enterprise) -> dict:
    """What the profile page says about the size class: the sector used, or what is missing to compute it."""
    sector = sizing.sector_for(enterprise.economic_class)
    values = {"employees": enterprise.employees, "revenue": enterprise.revenue, "assets": enterprise.assets}
    missing = [i.label for i in sizing.indicators_for(sector) if values[i.value] is None]
    return {"sector": sizing.Sector(sector).label if sector else None, "missing": missing}


def _own_enterprise(request: HttpRequest) -> Enterprise:
    """The actor's enterprise file: 404 off the enterprise side or once it is deleted, 403 without profile.view."""
    enterprise = get_object_or_404(selectors.own_enterprise(request.actor))
    if not request.actor.can("profile.view"):
        raise PermissionDenied(_("You may not view the enterprise file."))
    return enterprise


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The enterprise's own file (一企一档): registration facts (with the reviewer's corrections) and profile."""
    enterprise = _own_enterprise(request)
    return render(
        request,
        "enterprises/profile/profile.html",
        {
            "enterprise": enterprise,
            "size": _size_explanation(enterprise),
            "can_edit": request.actor.can("profile.edit"),
            **settings_context(),
        },
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    enterprise = _own_enterprise(request)
    if not request.actor.can("profile.edit"):
        raise PermissionDenied(_("You may not edit the enterprise profile."))
    form = ProfileForm(request.POST or None, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_profile_update(
                actor=request.actor, enterprise_id=enterprise.pk, data=form.profile_data()
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Enterprise profile saved."))
            return redirect("enterprises:profile")
    # ModelForm validation wrote the input onto the instance: show the stored registration facts instead.
    facts = selectors.own_enterprise(request.actor).get() if form.is_bound else enterprise
    return render(
        request,
        "enterprises/profile/profile_edit.html",
        {"form": form, "enterprise": facts, **settings_context()},
        status=400 if form.is_bound else 200,
    )


def _government_only(actor) -> None:
    if actor.body is None:
        raise PermissionDenied(_("This page is for government users."))


@method_decorator(login_required, name="dispatch")
class GovEnterpriseListView(ExportableListMixin, View):
    """The jurisdiction's enterprises: pending, rejected, deleted and all (= not deleted)."""

    export_filename = gettext_lazy("enterprises")
    TABS = {
        "all": gettext_lazy("All"),
        "pending": gettext_lazy("Pending review"),
        "rejected": gettext_lazy("Rejected"),
        "deleted": gettext_lazy("Deleted"),
    }

    @classmethod
    def build_list(cls, actor, params, tab: str = "all"):
        _government_only(actor)
        if tab not in cls.TABS:
            raise Http404
        qs = selectors.enterprises_for_government(actor)
        qs = qs.filter(deleted_at__isnull=False) if tab == "deleted" else qs.filter(deleted_at__isnull=True)
        data = params.copy()
        if tab in ("pending", "rejected"):
            qs = qs.filter(status=tab)
            data.pop("status", None)
        filterset = GovEnterpriseFilter(data, queryset=qs, actor=actor)
        if tab in ("pending", "rejected"):
            del filterset.filters["status"]
        return filterset, GovEnterpriseTable(filterset.qs, deleted=tab == "deleted")

    def get(self, request: HttpRequest, tab: str = "all") -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET, tab=tab)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": 25, "paginator_class": LazyPaginator}).configure(table)
        return render(
            request,
            "enterprises/profile/gov_list.html",
            {
                "table": table,
                "filter": filterset,
                "tab": tab,
                "tabs": [
                    (key, label, reverse(f"enterprises:gov_enterprises_{key}")) for key, label in self.TABS.items()
                ],
            },
        )


def _department_tree_of(departments) -> list[tuple]:
    """The department tree in reading order, with each row's depth (one query; trees are small)."""
    from .organisation import tree_order

    return tree_order(departments.select_related("head"))


@method_decorator(login_required, name="dispatch")
class GovEnterpriseDetailView(ScopedObjectMixin, View):
    """The enterprise file, read-only, for the jurisdiction; delete / restore / password reset for managers."""

    model = Enterprise

    def get_queryset(self):
        return selectors.enterprises_for_government(self.request.actor)

    def registry_sections(self, enterprise: Enterprise) -> dict:
        """The parts of the file other areas own, read through their selectors (scoped to the jurisdiction)."""
        actor, pk = self.request.actor, enterprise.pk
        return {
            "departments": _department_tree_of(selectors.departments_for_reading(actor).filter(enterprise_id=pk)),
            "staff_count": selectors.staff_for_reading(actor).filter(enterprise_id=pk, is_active=True).count(),
            "certificate_count": selectors.certificates_for_reading(actor).filter(enterprise_id=pk).count(),
            "licences": list(selectors.licences_for_actor(actor).filter(enterprise_id=pk).order_by("kind", "pk")),
            "suspensions": list(selectors.suspension_applications_for_government(actor).filter(enterprise_id=pk)[:20]),
        }

    def render_file(self, request, enterprise, *, delete_form=None, reset_form=None, status=200) -> HttpResponse:
        admins = selectors.enterprise_admin_memberships(enterprise)
        return render(
            request,
            "enterprises/profile/gov_detail.html",
            {
                "enterprise": enterprise,
                "size": _size_explanation(enterprise),
                "can_manage": selectors.can_manage_enterprise(request.actor, enterprise),
                "admins": admins,
                "delete_form": delete_form or EnterpriseDeleteForm(),
                "reset_form": reset_form or AdminPasswordResetForm(memberships=admins),
                **self.registry_sections(enterprise),
                **settings_context(),
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_file(request, self.get_object())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.get_object()  # an outsider learns nothing, not even that the page takes no POST
        return HttpResponseNotAllowed(["GET"])


@method_decorator(login_required, name="dispatch")
class GovEnterpriseDeleteView(GovEnterpriseDetailView):
    """POST only: soft delete with a reason."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise = self.get_object()  # outsiders: 404 before anything else
        form = EnterpriseDeleteForm(request.POST)
        if not selectors.can_manage_enterprise(request.actor, enterprise):
            raise PermissionDenied
        if not form.is_valid():
            return self.render_file(request, enterprise, delete_form=form, status=400)
        try:
            services.enterprise_soft_delete(
                actor=request.actor, enterprise_id=enterprise.pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Deleted: %(name)s. It can be restored from the Deleted tab.") % {"name": enterprise.name}
            )
        return redirect("enterprises:gov_enterprise_detail", pk=enterprise.pk)


@method_decorator(login_required, name="dispatch")
class GovEnterpriseRestoreView(GovEnterpriseDetailView):
    """POST only: undo a soft delete."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise = self.get_object()
        try:
            services.enterprise_restore(actor=request.actor, enterprise_id=enterprise.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Restored: %(name)s.") % {"name": enterprise.name})
        return redirect("enterprises:gov_enterprise_detail", pk=enterprise.pk)


@method_decorator([login_required, never_cache], name="dispatch")
class GovEnterprisePasswordResetView(GovEnterpriseDetailView):
    """POST only: a temporary password for one of the enterprise's administrators, shown once and never stored
    in clear (no redirect, no flash message, no cache)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise = self.get_object()
        if not selectors.can_manage_enterprise(request.actor, enterprise):
            raise PermissionDenied
        form = AdminPasswordResetForm(request.POST, memberships=selectors.enterprise_admin_memberships(enterprise))
        if not form.is_valid():
            return self.render_file(request, enterprise, reset_form=form, status=400)
        try:
            user, password = services.enterprise_admin_password_reset(
                actor=request.actor, enterprise_id=enterprise.pk, username=form.cleaned_data["account"]
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
            return self.render_file(request, enterprise, reset_form=form, status=400)
        response = render(
            request,
            "enterprises/profile/gov_password.html",
            {"enterprise": enterprise, "account": user, "password": password},
        )
        response["Cache-Control"] = "no-store"
        return response


def _map_queryset(actor, params):
    """The map's enterprises: the "all" list (not deleted) with its filters, so map and list always agree."""
    filterset, _table = GovEnterpriseListView.build_list(actor, params, tab="all")
    return filterset


@login_required
def gov_enterprise_map(request: HttpRequest) -> HttpResponse:
    filterset = _map_queryset(request.actor, request.GET)
    points_url = reverse("enterprises:gov_enterprise_map_points") + (
        f"?{request.GET.urlencode()}" if request.GET else ""
    )
    return render(
        request,
        "enterprises/profile/gov_map.html",
        {"filter": filterset, "points_url": points_url, **settings_context()},
    )


@login_required
def gov_enterprise_map_points(request: HttpRequest) -> JsonResponse:
    """JSON points of the jurisdiction's enterprises under the current filters (the scope does the jurisdiction)."""
    filterset = _map_queryset(request.actor, request.GET)
    points, truncated = selectors.map_points(filterset.qs, limit=selectors.MAP_POINT_LIMIT)
    # One reverse() for all points: the file URL with a placeholder id.
    url_template = reverse("enterprises:gov_enterprise_detail", args=[987654321])
    return JsonResponse(
        {
            "points": [
                {
                    "id": p["pk"],
                    "name": p["name"],
                    "lat": float(p["latitude"]),
                    "lng": float(p["longitude"]),
                    "url": url_template.replace("987654321", str(p["pk"])),
                    "status": p["status"],
                    "size_class": p["size_class"],
                    "major_hazard": p["has_major_hazard_source"],
                }
                for p in points
            ],
            "truncated": truncated,
        }
    )


# ==== area: organisation ====

# Departments, positions, roles, users, staff and certificates of the actor's own enterprise. Lists have filters,
# lazy pagination and an Excel export; object views read through scoped selectors (outsiders: 404) and then
# check the feature (insiders without it: 403); every write goes through a service.
from django.contrib.auth import update_session_auth_hash as org_update_session_auth_hash  # noqa: E402
from django.http import FileResponse as OrgFileResponse  # noqa: E402
from django.http import Http404 as OrgHttp404  # noqa: E402
from django.urls import reverse as org_reverse  # noqa: E402
from django.views.decorators.cache import never_cache as org_never_cache  # noqa: E402

from safety.exports import EXCEL_MIME as ORG_EXCEL_MIME  # noqa: E402
from safety.exports import export_table as org_export_table  # noqa: E402

from . import filters as org_filters  # noqa: E402
from . import forms as org_forms  # noqa: E402
from . import image_uploads as org_image_uploads  # noqa: E402
from . import models as org_models  # noqa: E402
from . import organisation as org_rules  # noqa: E402
from . import staff_excel as org_staff_excel  # noqa: E402
from . import tables as org_tables  # noqa: E402

ORG_TEMPLATES = "enterprises/organisation/"
ORG_CREDENTIALS_KEY = "organisation_new_credentials"
ORG_IMPORT_REPORT_KEY = "organisation_staff_import_report"


class _OrgReadOnlyObject:
    """An object view without a POST: an outsider's POST is still a 404 (the object first), an insider's a 405."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.get_object()
        return self.http_method_not_allowed(request, *args, **kwargs)


def _org_require(actor, feature: str) -> None:
    """403 for someone of the enterprise without the feature (and for anyone with no enterprise)."""
    if actor.enterprise is None or actor.enterprise.deleted_at is not None or not actor.can(feature):
        raise PermissionDenied(_("You do not have permission to do this."))


@method_decorator(login_required, name="dispatch")
class _OrgListView(ExportableListMixin, View):
    feature = "organisation.manage"
    title = ""
    create_url = ""
    per_page = 50
    testid = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": self.per_page, "paginator_class": LazyPaginator}).configure(table)
        return render(request, ORG_TEMPLATES + "list.html", {"table": table, "filter": filterset, **self.context()})

    def context(self) -> dict:
        return {"title": self.title, "create_url": self.create_url and org_reverse(self.create_url)}


class _OrgFormPage(View):
    """GET shows the form, POST validates it and calls the service; errors come back inline, input kept."""

    feature = "organisation.manage"
    template_name = ORG_TEMPLATES + "form.html"
    title = ""
    back_url = ""
    multipart = False

    def load(self) -> None:
        _org_require(self.request.actor, self.feature)

    def make_form(self, data=None, files=None):
        raise NotImplementedError

    def save(self, form) -> str:
        """Call the service; return where to go next."""
        raise NotImplementedError

    def context(self) -> dict:
        return {}

    def page(self, form) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "title": self.title,
                "back_url": org_reverse(self.back_url) if self.back_url else "",
                "multipart": self.multipart,
                **self.context(),
            },
        )

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        self.load()
        return self.page(self.make_form())

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        self.load()
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                url = self.save(form)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                return redirect(url)
        return self.page(form)


class _OrgObjectFormPage(ScopedObjectMixin, _OrgFormPage):
    def load(self) -> None:
        self.object = self.get_object()  # outsiders: 404, before anything else
        _org_require(self.request.actor, self.feature)


class _OrgDeletePage(ScopedObjectMixin, View):
    """GET asks to confirm, POST deletes through the service (a refusal comes back as a message)."""

    feature = "organisation.manage"
    back_url = ""
    what = ""

    def delete(self, obj) -> None:
        raise NotImplementedError

    def load(self):
        obj = self.get_object()
        _org_require(self.request.actor, self.feature)
        return obj

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.load()
        return render(
            request,
            ORG_TEMPLATES + "confirm_delete.html",
            {"object": obj, "what": self.what, "back_url": self.cancel_url(obj)},
        )

    def cancel_url(self, obj) -> str:
        return org_reverse(self.back_url)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.load()
        try:
            self.delete(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(self.cancel_url(obj))
        messages.success(request, _("Deleted: %(name)s.") % {"name": obj})
        return redirect(self.after_delete_url(obj))

    def after_delete_url(self, obj) -> str:
        return org_reverse(self.back_url)


# ---- departments ----


@method_decorator(login_required, name="dispatch")
class DepartmentListView(_OrgListView):
    export_filename = gettext_lazy("departments")
    title = gettext_lazy("Departments")
    create_url = "enterprises:department_create"

    @classmethod
    def build_list(cls, actor, params):
        _org_require(actor, cls.feature)
        filterset = org_filters.DepartmentFilter(params, queryset=selectors.org_department_list(actor), actor=actor)
        everything = list(selectors.org_departments(actor))
        depths, paths = org_rules.depths({d.pk: d.parent_id for d in everything}), org_rules.paths(everything)
        rows = []
        for department, _depth in org_rules.tree_order(filterset.qs):
            # Depth in the whole tree, not in the filtered rows: a match keeps its place in the hierarchy.
            department.depth, department.path = depths.get(department.pk, 0), paths.get(department.pk, "")
            rows.append(department)
        return filterset, org_tables.DepartmentTable(rows, university=actor.enterprise.is_university)

    def export_response(self, table):
        # A tree is small and in memory already: always exported at once (the base class probes a queryset).
        from approvals import audit
        from approvals.models import OperationLog

        audit.log_operation(
            actor=self.request.actor,
            action=OperationLog.Action.EXPORT,
            detail=f"{self.export_filename}: {self.request.GET.urlencode()}"[:2000],
        )
        return org_export_table(table, filename=str(self.export_filename))


@method_decorator(login_required, name="dispatch")
class DepartmentCreateView(_OrgFormPage):
    title = gettext_lazy("New department")
    back_url = "enterprises:department_list"

    def make_form(self, data=None, files=None):
        initial = {}
        if (parent := self.request.GET.get("parent", "")).isdigit():
            initial["parent"] = int(parent)
        return org_forms.DepartmentForm(data, actor=self.request.actor, initial=initial or None)

    def save(self, form) -> str:
        department = services.department_create(actor=self.request.actor, **form.values())
        messages.success(self.request, _("Department created: %(name)s.") % {"name": department.name})
        return org_reverse("enterprises:department_list")


@method_decorator(login_required, name="dispatch")
class DepartmentEditView(_OrgObjectFormPage):
    model = org_models.Department
    title = gettext_lazy("Edit department")
    back_url = "enterprises:department_list"

    def get_queryset(self):
        return selectors.org_departments(self.request.actor)

    def make_form(self, data=None, files=None):
        return org_forms.DepartmentForm(data, actor=self.request.actor, department=self.object)

    def save(self, form) -> str:
        services.department_update(actor=self.request.actor, department_id=self.object.pk, **form.values())
        messages.success(self.request, _("Department saved: %(name)s.") % {"name": form.cleaned_data["name"]})
        return org_reverse("enterprises:department_list")


@method_decorator(login_required, name="dispatch")
class DepartmentDeleteView(_OrgDeletePage):
    model = org_models.Department
    back_url = "enterprises:department_list"
    what = gettext_lazy("department")

    def get_queryset(self):
        return selectors.org_departments(self.request.actor)

    def delete(self, obj) -> None:
        services.department_delete(actor=self.request.actor, department_id=obj.pk)


# ---- positions ----


@method_decorator(login_required, name="dispatch")
class PositionListView(_OrgListView):
    export_filename = gettext_lazy("positions")
    title = gettext_lazy("Positions")
    create_url = "enterprises:position_create"

    @classmethod
    def build_list(cls, actor, params):
        _org_require(actor, cls.feature)
        filterset = org_filters.PositionFilter(params, queryset=selectors.org_position_list(actor))
        return filterset, org_tables.PositionTable(filterset.qs)


@method_decorator(login_required, name="dispatch")
class PositionCreateView(_OrgFormPage):
    title = gettext_lazy("New position")
    back_url = "enterprises:position_list"

    def make_form(self, data=None, files=None):
        return org_forms.PositionForm(data)

    def save(self, form) -> str:
        position = services.position_create(actor=self.request.actor, **form.cleaned_data)
        messages.success(self.request, _("Position created: %(name)s.") % {"name": position.name})
        return org_reverse("enterprises:position_list")


@method_decorator(login_required, name="dispatch")
class PositionEditView(_OrgObjectFormPage):
    model = org_models.Position
    title = gettext_lazy("Edit position")
    back_url = "enterprises:position_list"

    def get_queryset(self):
        return selectors.org_positions(self.request.actor)

    def make_form(self, data=None, files=None):
        return org_forms.PositionForm(data, initial={"name": self.object.name, "order": self.object.order})

    def save(self, form) -> str:
        services.position_update(actor=self.request.actor, position_id=self.object.pk, **form.cleaned_data)
        messages.success(self.request, _("Position saved: %(name)s.") % {"name": form.cleaned_data["name"]})
        return org_reverse("enterprises:position_list")


@method_decorator(login_required, name="dispatch")
class PositionDeleteView(_OrgDeletePage):
    model = org_models.Position
    back_url = "enterprises:position_list"
    what = gettext_lazy("position")

    def get_queryset(self):
        return selectors.org_positions(self.request.actor)

    def delete(self, obj) -> None:
        services.position_delete(actor=self.request.actor, position_id=obj.pk)


# ---- roles (权限管理) ----


@method_decorator(login_required, name="dispatch")
class RoleListView(_OrgListView):
    export_filename = gettext_lazy("roles")
    title = gettext_lazy("Roles and permissions")
    create_url = "enterprises:role_create"

    @classmethod
    def build_list(cls, actor, params):
        _org_require(actor, cls.feature)
        filterset = org_filters.RoleFilter(params, queryset=selectors.org_role_list(actor))
        return filterset, org_tables.RoleTable(filterset.qs)


@method_decorator(login_required, name="dispatch")
class RoleCreateView(_OrgFormPage):
    title = gettext_lazy("New role")
    back_url = "enterprises:role_list"
    template_name = ORG_TEMPLATES + "role_form.html"

    def make_form(self, data=None, files=None):
        return org_forms.RoleForm(data)

    def save(self, form) -> str:
        role = services.role_create(actor=self.request.actor, **form.cleaned_data)
        messages.success(self.request, _("Role created: %(name)s.") % {"name": role.name})
        return org_reverse("enterprises:role_list")


@method_decorator(login_required, name="dispatch")
class RoleEditView(_OrgObjectFormPage):
    model = org_models.Role
    title = gettext_lazy("Edit role")
    back_url = "enterprises:role_list"
    template_name = ORG_TEMPLATES + "role_form.html"

    def get_queryset(self):
        return selectors.org_roles(self.request.actor)

    def make_form(self, data=None, files=None):
        return org_forms.RoleForm(data, initial={"name": self.object.name, "permissions": self.object.permissions})

    def context(self) -> dict:
        members = selectors.org_memberships(self.request.actor).filter(custom_roles=self.object)
        return {"members": members.select_related("user").order_by("user__username")}

    def save(self, form) -> str:
        services.role_update(actor=self.request.actor, role_id=self.object.pk, **form.cleaned_data)
        messages.success(self.request, _("Role saved: %(name)s.") % {"name": form.cleaned_data["name"]})
        return org_reverse("enterprises:role_list")


@method_decorator(login_required, name="dispatch")
class RoleDeleteView(_OrgDeletePage):
    model = org_models.Role
    back_url = "enterprises:role_list"
    what = gettext_lazy("role")

    def get_queryset(self):
        return selectors.org_roles(self.request.actor)

    def delete(self, obj) -> None:
        services.role_delete(actor=self.request.actor, role_id=obj.pk)


# ---- users (用户管理) ----


@method_decorator(login_required, name="dispatch")
class UserListView(_OrgListView):
    export_filename = gettext_lazy("users")
    title = gettext_lazy("Users")
    create_url = "enterprises:user_create"

    @classmethod
    def build_list(cls, actor, params):
        _org_require(actor, cls.feature)
        filterset = org_filters.MembershipFilter(params, queryset=selectors.org_membership_list(actor), actor=actor)
        return filterset, org_tables.MembershipTable(filterset.qs.distinct())


def _org_show_credentials(request: HttpRequest, membership, password: str) -> str:
    """Keep a generated password for one showing on the next page (never in a URL, never in a log)."""
    request.session[ORG_CREDENTIALS_KEY] = {
        "membership": membership.pk,
        "username": membership.user.get_username(),
        "name": membership.user.display_name,
        "password": password,
    }
    return org_reverse("enterprises:user_credentials")


@method_decorator(login_required, name="dispatch")
class UserCreateView(_OrgFormPage):
    title = gettext_lazy("New user account")
    back_url = "enterprises:user_list"

    def make_form(self, data=None, files=None):
        initial = {}
        if (staff := self.request.GET.get("staff", "")).isdigit():
            initial["staff"] = int(staff)
        return org_forms.UserCreateForm(data, actor=self.request.actor, initial=initial or None)

    def save(self, form) -> str:
        d = form.cleaned_data
        membership, generated = services.user_create(
            actor=self.request.actor,
            staff_id=d["staff"].pk,
            username=d["username"],
            role=d["role"],
            password=d.get("password") or "",
            email=d.get("email") or "",
            custom_role_ids=[r.pk for r in d["custom_roles"]],
        )
        if generated:
            return _org_show_credentials(self.request, membership, generated)
        messages.success(self.request, _("Account created: %(username)s.") % {"username": d["username"]})
        return org_reverse("enterprises:user_list")


@login_required
@org_never_cache
def user_credentials(request: HttpRequest) -> HttpResponse:
    """The generated password, shown once: the session forgets it as the page is built."""
    credentials = request.session.pop(ORG_CREDENTIALS_KEY, None)
    if not credentials:
        messages.info(request, _("The password was shown once already; reset it again if it was lost."))
        return redirect("enterprises:user_list")
    return render(request, ORG_TEMPLATES + "credentials.html", {"credentials": credentials})


class _OrgMembershipMixin:
    model = org_models.Membership

    def get_queryset(self):
        return selectors.org_memberships(self.request.actor).select_related("user", "staff")


@method_decorator(login_required, name="dispatch")
class MembershipEditView(_OrgMembershipMixin, _OrgObjectFormPage):
    title = gettext_lazy("User account")
    back_url = "enterprises:user_list"

    def make_form(self, data=None, files=None):
        return org_forms.MembershipForm(data, actor=self.request.actor, membership=self.object)

    def context(self) -> dict:
        return {"membership": self.object}

    def save(self, form) -> str:
        d = form.cleaned_data
        services.membership_update(
            actor=self.request.actor,
            membership_id=self.object.pk,
            role=d["role"],
            custom_role_ids=[r.pk for r in d["custom_roles"]],
            staff_id=d["staff"].pk if d.get("staff") else None,
        )
        messages.success(self.request, _("Saved: %(username)s.") % {"username": self.object.user.get_username()})
        return org_reverse("enterprises:user_list")


@method_decorator(login_required, name="dispatch")
class MembershipStatusView(_OrgMembershipMixin, ScopedObjectMixin, View):
    """POST action=disable or action=enable: the membership's switch (users are never deleted)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        membership = self.get_object()
        _org_require(request.actor, "organisation.manage")
        action = request.POST.get("action")
        if action not in ("disable", "enable"):
            messages.error(request, _("Unknown action."))
            return redirect("enterprises:user_list")
        try:
            services.membership_set_active(actor=request.actor, membership_id=membership.pk, active=action == "enable")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            text = _("Account disabled: %(username)s.") if action == "disable" else _("Account enabled: %(username)s.")
            messages.success(request, text % {"username": membership.user.get_username()})
        return redirect("enterprises:user_list")


@method_decorator(login_required, name="dispatch")
class MembershipPasswordView(_OrgMembershipMixin, _OrgObjectFormPage):
    title = gettext_lazy("Reset password")
    back_url = "enterprises:user_list"

    def make_form(self, data=None, files=None):
        return org_forms.MemberPasswordForm(data)

    def context(self) -> dict:
        return {"membership": self.object}

    def save(self, form) -> str:
        password = form.cleaned_data.get("password") or ""
        generated = services.membership_reset_password(
            actor=self.request.actor, membership_id=self.object.pk, password=password
        )
        user = self.object.user
        if user.pk == self.request.user.pk:
            user.refresh_from_db()
            org_update_session_auth_hash(self.request, user)  # resetting one's own password keeps one logged in
        if generated:
            return _org_show_credentials(self.request, self.object, generated)
        messages.success(self.request, _("Password changed: %(username)s.") % {"username": user.get_username()})
        return org_reverse("enterprises:user_list")


# ---- staff (企业人员) ----


@method_decorator(login_required, name="dispatch")
class StaffListView(_OrgListView):
    feature = "staff.manage"
    export_filename = gettext_lazy("staff")
    title = gettext_lazy("Staff")
    create_url = "enterprises:staff_create"
    per_page = 25

    @classmethod
    def build_list(cls, actor, params):
        _org_require(actor, cls.feature)
        filterset = org_filters.StaffFilter(params, queryset=selectors.org_staff_list(actor), actor=actor)
        paths = org_rules.paths(selectors.org_departments(actor))
        return filterset, org_tables.StaffTable(filterset.qs, department_paths=paths)

    def context(self) -> dict:
        return {**super().context(), "import_url": org_reverse("enterprises:staff_import")}


def _org_staff_details_page(request: HttpRequest, staff, can_edit: bool) -> HttpResponse:
    account = selectors.staff_account(staff)
    return render(
        request,
        ORG_TEMPLATES + "staff_detail.html",
        {
            "staff": staff,
            "certificates": staff.certificates.all(),
            "account": account,
            "can_edit": can_edit,
            "can_manage_users": can_edit and request.actor.can("organisation.manage"),
        },
    )


@method_decorator(login_required, name="dispatch")
class StaffDetailView(_OrgReadOnlyObject, ScopedObjectMixin, View):
    """A person and their certificates. Enterprise: with staff.manage; government: read-only, its jurisdiction."""

    model = org_models.Staff

    def get_queryset(self):
        return selectors.staff_for_reading(self.request.actor).select_related("department", "position", "enterprise")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        staff = self.get_object()
        if request.actor.enterprise is not None:
            _org_require(request.actor, "staff.manage")
        return _org_staff_details_page(request, staff, can_edit=request.actor.enterprise is not None)


@method_decorator(login_required, name="dispatch")
class StaffCreateView(_OrgFormPage):
    feature = "staff.manage"
    title = gettext_lazy("New staff member")
    back_url = "enterprises:staff_list"

    def make_form(self, data=None, files=None):
        return org_forms.StaffForm(data, actor=self.request.actor)

    def save(self, form) -> str:
        staff = services.staff_create(actor=self.request.actor, details=form.details())
        messages.success(self.request, _("Staff member added: %(name)s.") % {"name": staff.name})
        return org_reverse("enterprises:staff_detail", args=[staff.pk])


@method_decorator(login_required, name="dispatch")
class StaffEditView(_OrgObjectFormPage):
    feature = "staff.manage"
    model = org_models.Staff
    title = gettext_lazy("Edit staff member")
    back_url = "enterprises:staff_list"

    def get_queryset(self):
        return selectors.org_staff(self.request.actor)

    def make_form(self, data=None, files=None):
        return org_forms.StaffForm(data, actor=self.request.actor, staff=self.object)

    def save(self, form) -> str:
        services.staff_update(actor=self.request.actor, staff_id=self.object.pk, details=form.details())
        messages.success(self.request, _("Saved: %(name)s.") % {"name": form.cleaned_data["name"]})
        return org_reverse("enterprises:staff_detail", args=[self.object.pk])


@method_decorator(login_required, name="dispatch")
class StaffDeleteView(_OrgDeletePage):
    feature = "staff.manage"
    model = org_models.Staff
    back_url = "enterprises:staff_list"
    what = gettext_lazy("staff member")

    def get_queryset(self):
        return selectors.org_staff(self.request.actor)

    def cancel_url(self, obj) -> str:
        return org_reverse("enterprises:staff_detail", args=[obj.pk])

    def delete(self, obj) -> None:
        services.staff_delete(actor=self.request.actor, staff_id=obj.pk)


# ---- certificates ----


@method_decorator(login_required, name="dispatch")
class CertificateCreateView(_OrgObjectFormPage):
    feature = "staff.manage"
    model = org_models.Staff  # the id in the URL is the staff member's
    pk_url_kwarg = "staff_pk"
    title = gettext_lazy("New certificate")
    multipart = True

    def get_queryset(self):
        return selectors.org_staff(self.request.actor)

    def context(self) -> dict:
        return {"back_url": org_reverse("enterprises:staff_detail", args=[self.object.pk]), "subject": self.object}

    def make_form(self, data=None, files=None):
        return org_forms.CertificateForm(data, files)

    def save(self, form) -> str:
        services.certificate_create(
            actor=self.request.actor,
            staff_id=self.object.pk,
            details=form.details(),
            image=form.cleaned_data.get("image"),
        )
        messages.success(self.request, _("Certificate added."))
        return org_reverse("enterprises:staff_detail", args=[self.object.pk])


@method_decorator(login_required, name="dispatch")
class CertificateEditView(_OrgObjectFormPage):
    feature = "staff.manage"
    model = org_models.Certificate
    title = gettext_lazy("Edit certificate")
    multipart = True

    def get_queryset(self):
        return selectors.org_certificates(self.request.actor).select_related("staff")

    def context(self) -> dict:
        return {
            "back_url": org_reverse("enterprises:staff_detail", args=[self.object.staff_id]),
            "subject": self.object.staff,
            "certificate": self.object,
        }

    def make_form(self, data=None, files=None):
        return org_forms.CertificateForm(data, files, certificate=self.object)

    def save(self, form) -> str:
        services.certificate_update(
            actor=self.request.actor,
            certificate_id=self.object.pk,
            details=form.details(),
            image=form.cleaned_data.get("image"),
            remove_image=form.cleaned_data.get("remove_image", False),
        )
        messages.success(self.request, _("Certificate saved."))
        return org_reverse("enterprises:staff_detail", args=[self.object.staff_id])


@method_decorator(login_required, name="dispatch")
class CertificateDeleteView(_OrgDeletePage):
    feature = "staff.manage"
    model = org_models.Certificate
    what = gettext_lazy("certificate")

    def get_queryset(self):
        return selectors.org_certificates(self.request.actor)

    def cancel_url(self, obj) -> str:
        return org_reverse("enterprises:staff_detail", args=[obj.staff_id])

    after_delete_url = cancel_url

    def delete(self, obj) -> None:
        services.certificate_delete(actor=self.request.actor, certificate_id=obj.pk)


@method_decorator(login_required, name="dispatch")
class CertificateImageView(_OrgReadOnlyObject, ScopedObjectMixin, View):
    """The certificate's image, only through this scoped view (media files are never served directly)."""

    model = org_models.Certificate

    def get_queryset(self):
        return selectors.certificates_for_reading(self.request.actor)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        certificate = self.get_object()
        if request.actor.enterprise is not None:
            _org_require(request.actor, "staff.manage")
        if not certificate.image:
            raise OrgHttp404
        try:
            handle = certificate.image.open("rb")
        except FileNotFoundError:
            raise OrgHttp404 from None
        name = certificate.image.name
        extension = name.rsplit(".", 1)[-1].lower()
        response = OrgFileResponse(
            handle, content_type=org_image_uploads.content_type_for(name), filename=f"certificate-{pk}.{extension}"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=300"
        return response


# ---- staff import and its template ----


@login_required
def staff_import_template(request: HttpRequest) -> HttpResponse:
    _org_require(request.actor, "staff.manage")
    departments = list(selectors.org_departments(request.actor))
    paths = org_rules.paths(departments)
    content = org_staff_excel.template_workbook(
        department_paths=[paths[d.pk] for d, _depth in org_rules.tree_order(departments)],
        position_names=list(selectors.org_positions(request.actor).values_list("name", flat=True)),
    )
    response = HttpResponse(content, content_type=ORG_EXCEL_MIME)
    response["Content-Disposition"] = 'attachment; filename="staff-import-template.xlsx"'
    return response


@method_decorator(login_required, name="dispatch")
class StaffImportView(View):
    """Upload a filled-in template: all rows go in, or none, with every problem listed (and as Excel)."""

    def page(self, form, result=None) -> HttpResponse:
        return render(
            self.request,
            ORG_TEMPLATES + "staff_import.html",
            {"form": form, "result": result, "max_rows": org_staff_excel.max_rows()},
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        _org_require(request.actor, "staff.manage")
        return self.page(org_forms.StaffImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        _org_require(request.actor, "staff.manage")
        form = org_forms.StaffImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(form)
        upload = form.cleaned_data["file"]
        try:
            result = services.staff_import(actor=request.actor, upload=upload, filename=upload.name)
        except ValidationError as exc:
            _errors_to_form(form, exc)
            return self.page(form)
        if result.errors:
            request.session[ORG_IMPORT_REPORT_KEY] = {
                "headers": result.sheet.headers,
                "rows": [[n, [org_staff_excel.jsonable(v) for v in values]] for n, values in result.sheet.rows],
                "errors": [[e.row, e.column, e.message] for e in result.errors],
            }
            return self.page(org_forms.StaffImportForm(), result)
        request.session.pop(ORG_IMPORT_REPORT_KEY, None)
        messages.success(request, _("Imported %(n)d staff members.") % {"n": result.created})
        return redirect("enterprises:staff_list")


@login_required
def staff_import_report(request: HttpRequest) -> HttpResponse:
    """The last failed import's rows with an Errors column, to fix in Excel and upload again."""
    _org_require(request.actor, "staff.manage")
    report = request.session.get(ORG_IMPORT_REPORT_KEY)
    if not report:
        messages.info(request, _("There is no import error report to download."))
        return redirect("enterprises:staff_import")
    content = org_staff_excel.report_workbook(
        headers=report["headers"],
        rows=[(n, values) for n, values in report["rows"]],
        errors=[org_staff_excel.RowError(row, column, message) for row, column, message in report["errors"]],
    )
    response = HttpResponse(content, content_type=ORG_EXCEL_MIME)
    response["Content-Disposition"] = 'attachment; filename="staff-import-errors.xlsx"'
    return response


# ==== area: licences ====
from django.http import FileResponse  # noqa: E402
from django.http import Http404 as _Http404  # noqa: E402
from django.utils import timezone as _timezone  # noqa: E402

from . import expiry as _expiry  # noqa: E402
from . import scans as _scans  # noqa: E402
from .filters import (  # noqa: E402
    GovCertificateExpiryFilter,
    GovLicenceExpiryFilter,
    GovSuspensionFilter,
    LicenceFilter,
    SuspensionFilter,
)
from .forms import LicenceForm, SuspensionDecisionForm, SuspensionForm  # noqa: E402
from .models import Licence, OperatingStatus, SuspensionApplication  # noqa: E402
from .tables import (  # noqa: E402
    GovCertificateExpiryTable,
    GovLicenceExpiryTable,
    GovSuspensionTable,
    LicenceTable,
    SuspensionTable,
)


def _require_enterprise_feature(actor, feature: str) -> None:
    if actor.enterprise is None or not actor.can(feature):
        raise PermissionDenied(_("You do not have permission for this page."))


def _require_government(actor) -> None:
    if actor.body is None:
        raise PermissionDenied(_("This page is for government users."))


def _list_page(request: HttpRequest, table, template: str, context: dict, per_page: int = 25) -> HttpResponse:
    RequestConfig(request, paginate={"per_page": per_page, "paginator_class": LazyPaginator}).configure(table)
    return render(request, template, {"table": table, **context})


class _ObjectGetOnly:
    """Object views without a POST: an outsider's POST is still a 404 (object first), an insider's a 405."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.get_object()
        return self.http_method_not_allowed(request, *args, **kwargs)


@method_decorator(login_required, name="dispatch")
class LicenceListView(ExportableListMixin, View):
    """The enterprise's licences (资质证照) with their state on today's date."""

    export_filename = gettext_lazy("licences")

    @classmethod
    def build_list(cls, actor, params):
        _require_enterprise_feature(actor, services.LICENCE_FEATURE)
        today, window = _timezone.localdate(), _expiry.reminder_window()
        filterset = LicenceFilter(params, queryset=selectors.licences_for_enterprise(actor), today=today, window=window)
        return filterset, LicenceTable(filterset.qs, today=today, window=window)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _list_page(
            request,
            table,
            "enterprises/licences/licence_list.html",
            {"filter": filterset, "window": _expiry.reminder_window()},
        )


def _licence_form_page(request: HttpRequest, form, licence=None, status: int = 200) -> HttpResponse:
    return render(request, "enterprises/licences/licence_form.html", {"form": form, "licence": licence}, status=status)


@method_decorator(login_required, name="dispatch")
class LicenceCreateView(View):
    def dispatch(self, request, *args, **kwargs):
        _require_enterprise_feature(request.actor, services.LICENCE_FEATURE)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return _licence_form_page(request, LicenceForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LicenceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                licence = services.licence_create(
                    actor=request.actor, details=form.details(), scan=form.cleaned_data.get("scan")
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Licence saved: %(licence)s.") % {"licence": licence})
                return redirect("enterprises:licences")
        return _licence_form_page(request, form, status=400)


@method_decorator(login_required, name="dispatch")
class LicenceEditView(ScopedObjectMixin, View):
    model = Licence

    def get_queryset(self):
        return selectors.licences_for_enterprise(self.request.actor)

    def get_licence(self) -> Licence:
        licence = self.get_object()  # 404 for outsiders before the permission check (403 for insiders)
        _require_enterprise_feature(self.request.actor, services.LICENCE_FEATURE)
        return licence

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        licence = self.get_licence()
        return _licence_form_page(request, LicenceForm(licence=licence), licence)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        licence = self.get_licence()
        form = LicenceForm(request.POST, request.FILES, licence=licence)
        if form.is_valid():
            try:
                licence = services.licence_update(
                    actor=request.actor,
                    licence_id=licence.pk,
                    details=form.details(),
                    scan=form.cleaned_data.get("scan"),
                    remove_scan=form.cleaned_data.get("remove_scan", False),
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Licence saved: %(licence)s.") % {"licence": licence})
                return redirect("enterprises:licences")
        return _licence_form_page(request, form, licence, status=400)


@method_decorator(login_required, name="dispatch")
class LicenceDeleteView(LicenceEditView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        licence = self.get_licence()
        return render(request, "enterprises/licences/licence_confirm_delete.html", {"licence": licence})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        licence = self.get_licence()
        services.licence_delete(actor=request.actor, licence_id=licence.pk)
        messages.success(request, _("Licence deleted: %(licence)s.") % {"licence": licence})
        return redirect("enterprises:licences")


@method_decorator(login_required, name="dispatch")
class LicenceScanView(_ObjectGetOnly, ScopedObjectMixin, View):
    """The scan, only through here (never a public media URL): the enterprise's managers and the government
    users of its jurisdiction."""

    model = Licence

    def get_queryset(self):
        return selectors.licences_for_actor(self.request.actor)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        licence = self.get_object()
        if request.actor.body is None:
            _require_enterprise_feature(request.actor, services.LICENCE_FEATURE)
        if not licence.scan:
            raise _Http404
        name = licence.scan.name
        ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        try:
            handle = licence.scan.open("rb")
        except FileNotFoundError:
            raise _Http404 from None
        response = FileResponse(
            handle,
            content_type=_scans.content_type_for(name),
            as_attachment=request.GET.get("download") == "1",
            filename=f"{licence.get_kind_display()}-{licence.number}{ext}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


@method_decorator(login_required, name="dispatch")
class GovLicenceExpiryListView(ExportableListMixin, View):
    """Government: the jurisdiction's expiring or expired licences (one list per kind of document)."""

    STATES = {"expiring": gettext_lazy("Expiring soon"), "expired": gettext_lazy("Expired")}
    DOCUMENT = "licences"
    filter_class = GovLicenceExpiryFilter
    table_class = GovLicenceExpiryTable

    @property
    def export_filename(self):
        return f"{self.DOCUMENT}-{self.kwargs.get('state', 'expiring')}"

    @classmethod
    def queryset(cls, actor, state, today, window):
        return selectors.licences_by_expiry(actor, state, today, window)

    @classmethod
    def build_list(cls, actor, params, state: str = "expiring"):
        _require_government(actor)
        if state not in cls.STATES:
            raise _Http404
        today, window = _timezone.localdate(), _expiry.reminder_window()
        filterset = cls.filter_class(params, queryset=cls.queryset(actor, state, today, window), actor=actor)
        return filterset, cls.table_class(filterset.qs, today=today, window=window, state=state)

    def get(self, request: HttpRequest, state: str = "expiring") -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET, state=state)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _list_page(
            request,
            table,
            "enterprises/licences/gov_expiry_list.html",
            {
                "filter": filterset,
                "state": state,
                "states": self.STATES,
                "document": self.DOCUMENT,
                "window": _expiry.reminder_window(),
            },
        )


class GovCertificateExpiryListView(GovLicenceExpiryListView):
    """Government: the jurisdiction's expiring or expired staff certificates."""

    DOCUMENT = "certificates"
    filter_class = GovCertificateExpiryFilter
    table_class = GovCertificateExpiryTable

    @classmethod
    def queryset(cls, actor, state, today, window):
        return selectors.certificates_by_expiry(actor, state, today, window)


@method_decorator(login_required, name="dispatch")
class SuspensionListView(ExportableListMixin, View):
    """The enterprise's suspension / resumption applications and its current operating status."""

    export_filename = gettext_lazy("suspension-applications")

    @classmethod
    def build_list(cls, actor, params):
        _require_enterprise_feature(actor, services.SUSPENSION_FEATURE)
        filterset = SuspensionFilter(params, queryset=selectors.suspension_applications_for_enterprise(actor))
        return filterset, SuspensionTable(filterset.qs)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        enterprise = request.actor.enterprise
        return _list_page(
            request,
            table,
            "enterprises/licences/suspension_list.html",
            {
                "filter": filterset,
                "enterprise": enterprise,
                "pending": selectors.pending_suspension_application(enterprise),
            },
        )


@method_decorator(login_required, name="dispatch")
class SuspensionApplyView(View):
    def dispatch(self, request, *args, **kwargs):
        _require_enterprise_feature(request.actor, services.SUSPENSION_FEATURE)
        return super().dispatch(request, *args, **kwargs)

    def _page(self, request: HttpRequest, form, status: int = 200) -> HttpResponse:
        enterprise = request.actor.enterprise
        return render(
            request,
            "enterprises/licences/suspension_apply.html",
            {
                "form": form,
                "enterprise": enterprise,
                "pending": selectors.pending_suspension_application(enterprise),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        suspended = request.actor.enterprise.operating_status == OperatingStatus.SUSPENDED
        kind = SuspensionApplication.Kind.RESUMPTION if suspended else SuspensionApplication.Kind.SUSPENSION
        return self._page(request, SuspensionForm(initial={"kind": kind, "start_date": _timezone.localdate()}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SuspensionForm(request.POST)
        if form.is_valid():
            try:
                application = services.suspension_apply(actor=request.actor, details=form.details())
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Application submitted; the owning body will review it."))
                return redirect("enterprises:suspension_detail", pk=application.pk)
        return self._page(request, form, status=400)


@method_decorator(login_required, name="dispatch")
class SuspensionDetailView(_ObjectGetOnly, ScopedObjectMixin, View):
    model = SuspensionApplication

    def get_queryset(self):
        return selectors.suspension_applications_for_enterprise(self.request.actor)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self.get_object()
        _require_enterprise_feature(request.actor, services.SUSPENSION_FEATURE)
        return render(
            request,
            "enterprises/licences/suspension_detail.html",
            {"application": application, "records": review_records_for(application)},
        )


@method_decorator(login_required, name="dispatch")
class GovSuspensionListView(ExportableListMixin, View):
    """Government queue of suspension / resumption applications in the jurisdiction."""

    export_filename = gettext_lazy("suspension-applications")
    TABS = {
        "pending": (SuspensionApplication.Status.PENDING, gettext_lazy("Pending review")),
        "all": (None, gettext_lazy("All")),
    }

    @classmethod
    def build_list(cls, actor, params, tab: str = "pending"):
        _require_government(actor)
        if tab not in cls.TABS:
            raise _Http404
        status, _label = cls.TABS[tab]
        qs = selectors.suspension_applications_for_government(actor)
        data = params.copy()
        if status:
            qs = qs.filter(status=status)
            data.pop("status", None)
        filterset = GovSuspensionFilter(data, queryset=qs, actor=actor)
        if status:
            del filterset.filters["status"]
        return filterset, GovSuspensionTable(filterset.qs)

    def get(self, request: HttpRequest, tab: str = "pending") -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET, tab=tab)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _list_page(
            request,
            table,
            "enterprises/licences/gov_suspension_list.html",
            {"filter": filterset, "tab": tab, "tabs": self.TABS},
        )


@method_decorator(login_required, name="dispatch")
class GovSuspensionDetailView(ScopedObjectMixin, View):
    model = SuspensionApplication

    def get_queryset(self):
        return selectors.suspension_applications_for_government(self.request.actor)

    def get(self, request: HttpRequest, pk: int, approve_form=None, reject_form=None) -> HttpResponse:
        application = self.get_object()
        can_review = application.status == SuspensionApplication.Status.PENDING and selectors.can_review_suspension(
            request.actor, application
        )
        return render(
            request,
            "enterprises/licences/gov_suspension_detail.html",
            {
                "application": application,
                "enterprise": application.enterprise,
                "records": review_records_for(application),
                "can_review": can_review,
                "approve_form": approve_form or SuspensionDecisionForm(),
                "reject_form": reject_form or RejectForm(),
            },
            status=400 if (approve_form or reject_form) else 200,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self.get_object()  # 404 for outsiders before anything else
        action = request.POST.get("action")
        try:
            if action == "approve":
                form = SuspensionDecisionForm(request.POST)
                if not form.is_valid():
                    return self.get(request, pk, approve_form=form)
                services.suspension_approve(
                    actor=request.actor, application_id=application.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Approved: %(name)s.") % {"name": application.enterprise.name})
            elif action == "reject":
                form = RejectForm(request.POST)
                if not form.is_valid():
                    return self.get(request, pk, reject_form=form)
                services.suspension_reject(
                    actor=request.actor, application_id=application.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    _("Rejected: %(name)s. The enterprise has been told why.") % {"name": application.enterprise.name},
                )
            else:
                messages.error(request, _("Unknown action."))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form = RejectForm(request.POST)
            form.is_valid()
            _errors_to_form(form, exc)
            return self.get(request, pk, reject_form=form)
        return redirect("enterprises:gov_suspension_detail", pk=application.pk)


# ==== area: university ====
# Colleges and labs (heads, stock limits); the first-login lab profile of teachers and students; the student
# activation decided by the supervising teacher. Pending students have no tenant scope: their pages read the
# university through their own membership (enterprises.selectors.lab_student_membership).
from django import http as django_http  # noqa: E402

from .filters import ActivationFilter, LabFilter  # noqa: E402
from .forms import (  # noqa: E402
    ActivationApproveForm,
    ActivationRejectForm,
    LabForm,
    LabProfileForm,
    StudentProfileForm,
    UnitChoiceField,
    supervisor_choices,
)
from .models import Department, Membership  # noqa: E402
from .tables import ActivationTable, LabTable, activation_not_submitted  # noqa: E402


def _lab_profile_target(request: HttpRequest) -> tuple[Membership | None, str]:
    """(membership, "teacher" | "student") whose profile /lab/profile/ shows, or (None, "")."""
    actor = request.actor
    current = actor.membership
    if current is not None and current.role == Membership.Role.TEACHER and selectors.university_of(actor):
        return current, "teacher"
    student = selectors.lab_student_membership(request.user)
    if student is not None and (
        student.status != Membership.Status.ACTIVE or (current is not None and current.pk == student.pk)
    ):
        return student, "student"
    return None, ""


def _activation_state(student: Membership) -> str:
    if student.status == Membership.Status.ACTIVE:
        return "active"
    if student.status == Membership.Status.REJECTED:
        return "rejected"
    return "draft" if student.supervisor_id is None else "awaiting"


@login_required
def lab_profile(request: HttpRequest) -> HttpResponse:
    """First login of a university's teacher or student: complete the profile (students: choose the
    supervising teacher and follow the activation). The middleware sends them here until it is done."""
    membership, mode = _lab_profile_target(request)
    if membership is None:
        return redirect("home")
    membership.user = request.user
    if mode == "teacher":
        return _teacher_profile(request, membership)
    return _student_profile(request, membership)


def _teacher_profile(request: HttpRequest, membership: Membership) -> HttpResponse:
    first = membership.profile_completed_at is None
    form = LabProfileForm(
        request.POST or None, university=membership.enterprise, initial=LabProfileForm.initial_from(membership)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.lab_profile_complete(actor=request.actor, profile=form.profile())
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Profile completed. Welcome!") if first else _("Profile saved."))
            return redirect("home")
    return render(
        request,
        "enterprises/university/lab_profile.html",
        {"mode": "teacher", "membership": membership, "form": form, "first": first},
        status=400 if form.is_bound else 200,
    )


def _student_profile(request: HttpRequest, student: Membership) -> HttpResponse:
    state = _activation_state(student)
    form = None
    if state in ("draft", "rejected"):
        form = StudentProfileForm(
            request.POST or None,
            university=student.enterprise,
            student=request.user,
            initial=LabProfileForm.initial_from(student),
        )
        if request.method == "POST" and form.is_valid():
            try:
                done = services.student_activation_submit(
                    actor=request.actor, profile=form.profile(), supervisor=form.supervisor_user()
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return redirect("enterprises:lab_profile")
            else:
                messages.success(
                    request,
                    _("Sent to %(teacher)s for approval. You will be notified of the decision.")
                    % {"teacher": done.supervisor.display_name},
                )
                return redirect("enterprises:lab_profile")
    elif request.method == "POST":
        messages.error(request, _("Your request already awaits a decision; it cannot be changed now."))
        return redirect("enterprises:lab_profile")
    records = review_records_for(student, scoped=False)
    rejection = next((r for r in reversed(records) if r.decision == "reject"), None)
    return render(
        request,
        "enterprises/university/lab_profile.html",
        {
            "mode": "student",
            "membership": student,
            "state": state,
            "form": form,
            "records": records,
            "rejection": rejection if state == "rejected" else None,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


def _option_context(request: HttpRequest) -> Membership:
    membership, _mode = _lab_profile_target(request)
    if membership is None:
        raise django_http.Http404
    return membership


def _option_groups(choices) -> list[tuple[str, list]]:
    """Choices as (group label or "", [(value, label)]) for enterprises/university/_options.html."""
    groups: list[tuple[str, list]] = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            groups.append((str(value), list(label)))
        elif groups and not groups[-1][0]:
            groups[-1][1].append((value, label))
        else:
            groups.append(("", [(value, label)]))
    return groups


def _pick(queryset, raw: str | None) -> Department | None:
    return queryset.select_related("parent").filter(pk=int(raw)).first() if (raw or "").isdigit() else None


@login_required
def lab_profile_labs(request: HttpRequest) -> HttpResponse:
    """<option>s of the chosen college's labs, for the profile form (htmx)."""
    university = _option_context(request).enterprise
    college = _pick(selectors.colleges_of(university), request.GET.get("college"))
    field = UnitChoiceField(queryset=selectors.labs_of(university, college), required=False)
    field.with_college = college is None
    return render(
        request,
        "enterprises/university/_options.html",
        {"groups": _option_groups(field.choices), "selected": request.GET.get("lab", "")},
    )


@login_required
def lab_profile_supervisors(request: HttpRequest) -> HttpResponse:
    """<option>s of the supervising teachers, grouped by the chosen lab and college (htmx)."""
    student = _option_context(request)
    university = student.enterprise
    college = _pick(selectors.colleges_of(university), request.GET.get("college"))
    lab = _pick(selectors.labs_of(university, college), request.GET.get("lab"))
    teachers = selectors.university_teachers(university).exclude(user=request.user)
    return render(
        request,
        "enterprises/university/_options.html",
        {
            "groups": _option_groups(supervisor_choices(teachers, college or (lab.parent if lab else None), lab)),
            "selected": request.GET.get("supervisor", ""),
        },
    )


def _lab_managers_only(actor) -> None:
    if selectors.university_of(actor) is None or not actor.can("labs.manage"):
        raise PermissionDenied(_("Colleges and labs are managed by the university's administrators."))


@method_decorator(login_required, name="dispatch")
class UniversityLabListView(ExportableListMixin, View):
    """Colleges with their labs: head teacher, stock limit, members."""

    export_filename = gettext_lazy("colleges-and-labs")

    @classmethod
    def build_list(cls, actor, params):
        _lab_managers_only(actor)
        filterset = LabFilter(params, queryset=selectors.managed_labs(actor), actor=actor)
        return filterset, LabTable(filterset.qs)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
        return render(
            request,
            "enterprises/university/colleges.html",
            {
                "table": table,
                "filter": filterset,
                "colleges": list(selectors.managed_colleges(request.actor)),
                # Colleges and labs are departments: they are added in the organisation's department tree.
                "can_add_departments": request.actor.can("organisation.manage"),
            },
        )


@method_decorator(login_required, name="dispatch")
class UniversityLabView(ScopedObjectMixin, View):
    """One lab: set the head teacher and the stock limit."""

    model = Department

    def get_queryset(self):
        return selectors.university_labs(self.request.actor)

    def get_object(self):
        lab = super().get_object()
        if not selectors.can_manage_lab(self.request.actor, lab):
            raise PermissionDenied(_("This lab is managed by its college or the university's administrators."))
        return lab

    def get(self, request: HttpRequest, pk: int, form=None) -> HttpResponse:
        lab = self.get_object()
        members = (
            Membership.objects.filter(department=lab, status=Membership.Status.ACTIVE)
            .select_related("user")
            .order_by("role", "user__full_name", "pk")
        )
        from chemicals import stock  # the chemicals app's read: how much of the limit the lab uses now

        return render(
            request,
            "enterprises/university/lab.html",
            {"lab": lab, "form": form or LabForm(lab=lab), "members": list(members), "gauge": stock.gauge(lab)},
            status=400 if form is not None else 200,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lab = self.get_object()
        form = LabForm(request.POST, lab=lab)
        if not form.is_valid():
            return self.get(request, pk, form=form)
        try:
            services.lab_update(
                actor=request.actor,
                lab_id=lab.pk,
                head=form.cleaned_data["head"],
                stock_limit=form.cleaned_data["stock_limit"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
            return self.get(request, pk, form=form)
        messages.success(request, _("Saved: %(lab)s.") % {"lab": lab.name})
        return redirect("enterprises:university_colleges")


@method_decorator(login_required, name="dispatch")
class ActivationListView(ExportableListMixin, View):
    """Students' account activations: a teacher's own students; managers see the university's."""

    export_filename = gettext_lazy("student-activations")

    @classmethod
    def build_list(cls, actor, params):
        if selectors.university_of(actor) is None:
            raise PermissionDenied(_("This page is for universities."))
        filterset = ActivationFilter(params, queryset=selectors.activations_for(actor), actor=actor)
        return filterset, ActivationTable(filterset.qs)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": 25, "paginator_class": LazyPaginator}).configure(table)
        return render(request, "enterprises/university/activations.html", {"table": table, "filter": filterset})


@method_decorator(login_required, name="dispatch")
class ActivationDetailView(ScopedObjectMixin, View):
    """One student's activation: the profile, the review record, and the supervisor's decision."""

    model = Membership

    def get_queryset(self):
        return selectors.university_students(self.request.actor)

    def get(self, request: HttpRequest, pk: int, approve_form=None, reject_form=None) -> HttpResponse:
        student = self.get_object()
        actor = request.actor
        if not selectors.can_view_activation(actor, student):
            raise PermissionDenied(_("Only the chosen supervising teacher decides this activation."))
        can_decide = student.status == Membership.Status.PENDING and selectors.can_decide_activation(actor, student)
        return render(
            request,
            "enterprises/university/activation.html",
            {
                "student": student,
                "not_submitted": activation_not_submitted(student),
                "records": review_records_for(student),
                "can_decide": can_decide,
                "approve_form": approve_form or ActivationApproveForm(),
                "reject_form": reject_form or ActivationRejectForm(),
            },
            status=400 if (approve_form or reject_form) else 200,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        student = self.get_object()  # 404 for outsiders before anything else
        actor = request.actor
        if not selectors.can_decide_activation(actor, student):
            raise PermissionDenied(_("Only the chosen supervising teacher decides this activation."))
        name = student.user.display_name
        action = request.POST.get("action")
        try:
            if action == "approve":
                form = ActivationApproveForm(request.POST)
                if not form.is_valid():
                    return self.get(request, pk, approve_form=form)
                services.student_activation_approve(
                    actor=actor, membership_id=student.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Activated: %(name)s can now use the platform.") % {"name": name})
            elif action == "reject":
                form = ActivationRejectForm(request.POST)
                if not form.is_valid():
                    return self.get(request, pk, reject_form=form)
                services.student_activation_reject(
                    actor=actor, membership_id=student.pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Rejected: %(name)s has been told why.") % {"name": name})
            else:
                messages.error(request, _("Unknown action."))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            form = ActivationRejectForm(request.POST)
            form.is_valid()
            _errors_to_form(form, exc)
            return self.get(request, pk, reject_form=form)
        return redirect("enterprises:student_activation", pk=student.pk)
