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

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
