"""Views of the chemicals service: thin, over chemicals.selectors and chemicals.services."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_tables2 import RequestConfig
from django_tables2.paginators import LazyPaginator

from approvals import audit
from approvals.engine import TransitionRefused
from approvals.models import OperationLog
from approvals.selectors import review_records_for
from enterprises.models import Department
from safety.exports import export_table, xlsx_response
from safety.pdf import pdf_response
from safety.qr import qr_svg_data_uri
from safety.views import ExportableListMixin, ScopedObjectMixin, safe_next

from . import filters, forms, gb18218, selectors, services, stock, storage_rules, tables, tiers, waste_schedule
from .models import (
    BarrelRequest,
    Campus,
    Chemical,
    HazardSourceAssessment,
    Package,
    PoliceFiling,
    PurchaseRequest,
    PurchaseRound,
    Requisition,
    Store,
    UsedUpDeclaration,
    WasteCollection,
    WasteRegistration,
    WasteRoute,
)

# ==== area: catalogue ====
# The catalogue (search, filters, Excel, a page per chemical), campuses and stores (kept by the lab-safety office
# and the centre), packages (list, page, label PDF with a QR code, the centre's stock-in, place / move with the
# incompatible-storage warning).

CAT_PER_PAGE = 25
_CAT = "chemicals/catalogue/"


def _cat_require_member(actor) -> None:
    if selectors.catalogue_university(actor) is None:
        raise PermissionDenied(_("This page is for the university's chemicals users."))


def _cat_require_keeper(actor) -> None:
    if not selectors.may_keep_stores(actor):
        raise PermissionDenied(_("Only the lab-safety office and the centre keep campuses and stores."))


def _cat_list_page(request, table, template: str, context: dict) -> HttpResponse:
    RequestConfig(request, paginate={"per_page": CAT_PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    return render(request, _CAT + template, {"table": table, **context})


def _cat_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _cat_url(name: str, pk: int) -> str | None:
    """A link to another area's page, when that page exists."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _cat_incompatible_with(group: str) -> list[tuple[str, str]]:
    labels = dict(Chemical._meta.get_field("storage_group").choices)
    return [(labels.get(other, other), str(reason)) for other, reason in storage_rules.INCOMPATIBLE[group].items()]


class _CatListView(ExportableListMixin, View):
    template = ""
    title = ""

    def context(self, request, filterset) -> dict:
        return {"filter": filterset, "title": self.title}

    def get(self, request, *args, **kwargs) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _cat_list_page(request, table, self.template, self.context(request, filterset))


@method_decorator(login_required, name="dispatch")
class ChemicalCatalogueView(_CatListView):
    """The catalogue for university members: search by name, CAS number or formula; filters; Excel."""

    export_filename = gettext_lazy("chemical-catalogue")
    template = "catalogue.html"

    @classmethod
    def build_list(cls, actor, params):
        _cat_require_member(actor)
        filterset = filters.ChemicalFilter(params, queryset=selectors.chemicals_for(actor))
        return filterset, tables.ChemicalTable(filterset.qs)


@method_decorator(login_required, name="dispatch")
class ChemicalDetailView(ScopedObjectMixin, View):
    model = Chemical

    def get_queryset(self):
        return selectors.chemicals_for(self.request.actor)

    def post(self, request, pk: int) -> HttpResponse:
        self.get_object()  # an outsider's POST is a 404 like its GET
        return self.http_method_not_allowed(request)

    def get(self, request, pk: int) -> HttpResponse:
        chemical = self.get_object()
        return render(
            request,
            _CAT + "chemical_detail.html",
            {
                "chemical": chemical,
                "hazard_classes": tables.hazard_class_labels(chemical),
                "controlled_badge": tables.controlled_badge(chemical),
                "incompatible": _cat_incompatible_with(chemical.storage_group),
                "stock": selectors.chemical_stock(request.actor, chemical),
            },
        )


@method_decorator(login_required, name="dispatch")
class CampusListView(_CatListView):
    export_filename = gettext_lazy("campuses")
    template = "campus_list.html"

    @classmethod
    def build_list(cls, actor, params):
        _cat_require_keeper(actor)
        filterset = filters.CampusFilter(params, queryset=selectors.campuses_for(actor))
        return filterset, tables.CampusTable(filterset.qs)


class _CatFormView(View):
    """A create / edit page over a service; ValidationError goes back onto the form, the input kept."""

    template = "form.html"
    title = ""
    cancel_url = ""

    def page(self, form, *, status: int = 200, **extra) -> HttpResponse:
        context = {"form": form, "title": self.title, "cancel_url": reverse(self.cancel_url), **extra}
        return render(self.request, _CAT + self.template, context, status=status)


@method_decorator(login_required, name="dispatch")
class CampusCreateView(_CatFormView):
    title = gettext_lazy("New campus")
    cancel_url = "chemicals:campus_list"

    def dispatch(self, request, *args, **kwargs):
        _cat_require_keeper(request.actor)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request) -> HttpResponse:
        return self.page(forms.CampusForm())

    def post(self, request) -> HttpResponse:
        form = forms.CampusForm(request.POST)
        if form.is_valid():
            try:
                campus = services.campus_save(actor=request.actor, **form.cleaned_data)
            except ValidationError as exc:
                _cat_errors_to_form(form, exc)
            else:
                messages.success(request, _("Campus saved: %(name)s.") % {"name": campus.name})
                return redirect("chemicals:campus_list")
        return self.page(form, status=400)


@method_decorator(login_required, name="dispatch")
class CampusEditView(ScopedObjectMixin, _CatFormView):
    model = Campus
    title = gettext_lazy("Edit campus")
    cancel_url = "chemicals:campus_list"

    def get_queryset(self):
        return selectors.campuses_for(self.request.actor)

    def get(self, request, pk: int) -> HttpResponse:
        campus = self.get_object()
        _cat_require_keeper(request.actor)
        initial = {"name": campus.name, "delivers": campus.delivers, "pickup_point": campus.pickup_point}
        return self.page(forms.CampusForm(initial=initial), obj=campus)

    def post(self, request, pk: int) -> HttpResponse:
        campus = self.get_object()
        _cat_require_keeper(request.actor)
        form = forms.CampusForm(request.POST)
        if form.is_valid():
            try:
                services.campus_save(actor=request.actor, pk=campus.pk, **form.cleaned_data)
            except ValidationError as exc:
                _cat_errors_to_form(form, exc)
            else:
                messages.success(request, _("Campus saved: %(name)s.") % {"name": form.cleaned_data["name"]})
                return redirect("chemicals:campus_list")
        return self.page(form, status=400, obj=campus)


@method_decorator(login_required, name="dispatch")
class StoreListView(_CatListView):
    export_filename = gettext_lazy("stores")
    template = "store_list.html"

    @classmethod
    def build_list(cls, actor, params):
        _cat_require_keeper(actor)
        filterset = filters.StoreFilter(
            params, queryset=selectors.stores_for(actor), campuses=Campus.objects.filter(enterprise=actor.enterprise)
        )
        return filterset, tables.StoreTable(filterset.qs)


@method_decorator(login_required, name="dispatch")
class StoreCreateView(_CatFormView):
    title = gettext_lazy("New store")
    cancel_url = "chemicals:store_list"

    def dispatch(self, request, *args, **kwargs):
        _cat_require_keeper(request.actor)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request) -> HttpResponse:
        return self.page(forms.StoreForm(actor=request.actor))

    def post(self, request) -> HttpResponse:
        form = forms.StoreForm(request.POST, actor=request.actor)
        if form.is_valid():
            try:
                store = services.store_save(actor=request.actor, **form.cleaned_data)
            except ValidationError as exc:
                _cat_errors_to_form(form, exc)
            else:
                messages.success(request, _("Store saved: %(name)s.") % {"name": store.name})
                return redirect("chemicals:store_list")
        return self.page(form, status=400)


@method_decorator(login_required, name="dispatch")
class StoreEditView(ScopedObjectMixin, _CatFormView):
    model = Store
    title = gettext_lazy("Edit store")
    cancel_url = "chemicals:store_list"

    def get_queryset(self):
        return selectors.stores_for(self.request.actor)

    def get(self, request, pk: int) -> HttpResponse:
        store = self.get_object()
        _cat_require_keeper(request.actor)
        initial = {
            "name": store.name,
            "campus": store.campus_id,
            "address": store.address,
            "people_exposed": store.people_exposed,
        }
        return self.page(forms.StoreForm(initial=initial, actor=request.actor, store=store), obj=store)

    def post(self, request, pk: int) -> HttpResponse:
        store = self.get_object()
        _cat_require_keeper(request.actor)
        form = forms.StoreForm(request.POST, actor=request.actor, store=store)
        if form.is_valid():
            try:
                services.store_save(actor=request.actor, pk=store.pk, **form.cleaned_data)
            except ValidationError as exc:
                _cat_errors_to_form(form, exc)
            else:
                messages.success(request, _("Store saved: %(name)s.") % {"name": form.cleaned_data["name"]})
                return redirect("chemicals:store_list")
        return self.page(form, status=400, obj=store)


@method_decorator(login_required, name="dispatch")
class PackageListView(_CatListView):
    """Packages the actor may see (its labs', its college's, or all for central roles, the centre's own stock
    with no owner lab included)."""

    export_filename = gettext_lazy("chemical-packages")
    template = "package_list.html"

    @classmethod
    def build_list(cls, actor, params):
        _cat_require_member(actor)
        filterset = filters.PackageFilter(
            params,
            queryset=selectors.package_list(actor),
            university=actor.enterprise,
            labs=selectors.visible_labs(actor),
            stores=selectors.stores_for(actor),
        )
        return filterset, tables.PackageTable(filterset.qs)

    def context(self, request, filterset) -> dict:
        return {**super().context(request, filterset), "may_stock_in": selectors.may_stock_in(request.actor)}


class _CatPackageObject(ScopedObjectMixin, View):
    model = Package

    def get_queryset(self):
        return selectors.package_page(self.request.actor)

    def post(self, request, pk: int) -> HttpResponse:
        self.get_object()  # an outsider's POST is a 404 like its GET
        return self.http_method_not_allowed(request)


def _cat_package_url(request, package: Package) -> str:
    return request.build_absolute_uri(reverse("chemicals:package_detail", args=[package.pk]))


@method_decorator(login_required, name="dispatch")
class PackageDetailView(_CatPackageObject):
    def get(self, request, pk: int) -> HttpResponse:
        package = self.get_object()
        chemical = package.chemical
        purchase = package.purchase_line.request if package.purchase_line_id else None
        requisition = package.requisition_line.requisition if package.requisition_line_id else None
        return render(
            request,
            _CAT + "package_detail.html",
            {
                "package": package,
                "chemical": chemical,
                "hazard_classes": tables.hazard_class_labels(chemical),
                "controlled_badge": tables.controlled_badge(chemical),
                "ledger": selectors.package_ledger(package),
                "purchase": purchase,
                "purchase_url": _cat_url("chemicals:purchase_request_detail", purchase.pk) if purchase else None,
                "requisition": requisition,
                "requisition_url": (_cat_url("chemicals:requisition_detail", requisition.pk) if requisition else None),
                "may_move": selectors.may_move_package(request.actor, package),
                "incompatible": _cat_incompatible_with(chemical.storage_group),
            },
        )


@method_decorator(login_required, name="dispatch")
class PackageLabelView(_CatPackageObject):
    """A label to stick on the bottle: code, chemical, hazards, owner, location, and a QR code to its page."""

    def get(self, request, pk: int) -> HttpResponse:
        package = self.get_object()
        url = _cat_package_url(request, package)
        context = {
            "package": package,
            "chemical": package.chemical,
            "hazard_classes": tables.hazard_class_labels(package.chemical),
            "qr": qr_svg_data_uri(url, scale=4),
            "url": url,
        }
        return pdf_response(_CAT + "package_label.html", context, filename=f"{package.code}.pdf", request=request)


@method_decorator(login_required, name="dispatch")
class PackageMoveView(_CatPackageObject, _CatFormView):
    """Place or move a package; incompatible chemicals at the new place need "place anyway" ticked."""

    template = "package_move.html"
    title = gettext_lazy("Place or move a package")
    cancel_url = "chemicals:package_list"

    def allowed(self, package: Package) -> None:
        if not selectors.may_move_package(self.request.actor, package):
            raise PermissionDenied(_("Only the centre or a teacher of the package's lab may move it."))

    def get(self, request, pk: int) -> HttpResponse:
        package = self.get_object()
        self.allowed(package)
        return self.page(forms.PackageMoveForm(actor=request.actor, package=package), package=package)

    def post(self, request, pk: int) -> HttpResponse:
        package = self.get_object()
        self.allowed(package)
        form = forms.PackageMoveForm(request.POST, actor=request.actor, package=package)
        clashes = []
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.package_move(
                    actor=request.actor,
                    pk=package.pk,
                    store=d["store"],
                    room=d["room"],
                    cabinet=d["cabinet"],
                    shelf=d["shelf"],
                    place_anyway=d["place_anyway"],
                )
            except services.PlacementClash as exc:
                clashes = exc.clashes
            except ValidationError as exc:
                _cat_errors_to_form(form, exc)
            else:
                messages.success(request, _("Package %(code)s moved.") % {"code": package.code})
                return redirect("chemicals:package_detail", pk=package.pk)
        return self.page(form, status=400, package=package, clashes=clashes)


@method_decorator(login_required, name="dispatch")
class PackageStockInView(_CatFormView):
    """The centre's manual stock-in of its own stock into a physical store."""

    template = "package_move.html"
    title = gettext_lazy("Stock in packages")
    cancel_url = "chemicals:package_list"

    def dispatch(self, request, *args, **kwargs):
        if not selectors.may_stock_in(request.actor):
            raise PermissionDenied(_("Only the centre stocks packages in."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request) -> HttpResponse:
        return self.page(forms.PackageStockInForm(actor=request.actor), stock_in=True)

    def post(self, request) -> HttpResponse:
        form = forms.PackageStockInForm(request.POST, actor=request.actor)
        clashes = []
        if form.is_valid():
            try:
                packages = services.package_stock_in(actor=request.actor, **form.cleaned_data)
            except services.PlacementClash as exc:
                clashes = exc.clashes
            except ValidationError as exc:
                _cat_errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Packages stocked in (%(count)s): %(first)s … %(last)s.")
                    % {"count": len(packages), "first": packages[0].code, "last": packages[-1].code},
                )
                query = f"?store={packages[0].store_id}&chemical={packages[0].chemical_id}"
                return HttpResponseRedirect(reverse("chemicals:package_list") + query)
        return self.page(form, status=400, stock_in=True, clashes=clashes)


# ==== area: purchase ====
# Purchase rounds (the office), purchase requests (labs), reviews, stock-in and payment (the centre).

_PU = "chemicals/purchase/"
PURCHASE_PER_PAGE = 25


def _pu_university(actor) -> None:
    if selectors.purchase_university(actor) is None:
        raise PermissionDenied(_("Purchase rounds and requests are for members of a university."))


def _pu_list_page(request, table, template: str, context: dict) -> HttpResponse:
    RequestConfig(request, paginate={"per_page": PURCHASE_PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    return render(request, _PU + template, {"table": table, **context})


def _pu_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _pu_detail(order) -> HttpResponseRedirect:
    return redirect("chemicals:purchase_request_detail", pk=order.pk)


# ---- rounds (the lab-safety office) ----


@method_decorator(login_required, name="dispatch")
class PurchaseRoundListView(ExportableListMixin, View):
    export_filename = gettext_lazy("purchase-rounds")

    @classmethod
    def build_list(cls, actor, params):
        if not selectors.may_see_rounds(actor):
            raise PermissionDenied(_("Purchase rounds are kept by the lab-safety office."))
        return None, tables.PurchaseRoundTable(selectors.purchase_rounds_list(actor))

    def get(self, request):
        _filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _pu_list_page(
            request, table, "round_list.html", {"may_manage": selectors.may_manage_rounds(request.actor)}
        )


class _PurchaseRoundFormView(View):
    def page(self, form, round_=None, status: int = 200) -> HttpResponse:
        return render(self.request, _PU + "round_form.html", {"form": form, "round": round_}, status=status)


@method_decorator(login_required, name="dispatch")
class PurchaseRoundCreateView(_PurchaseRoundFormView):
    def dispatch(self, request, *args, **kwargs):
        if not selectors.may_manage_rounds(request.actor):
            raise PermissionDenied(_("Purchase rounds are opened by the lab-safety office."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        title, opens_at, deadline = selectors.next_round_window(request.actor)
        form = forms.PurchaseRoundForm(
            initial={"title": title, "opens_at": timezone.localtime(opens_at), "deadline": timezone.localtime(deadline)}
        )
        return self.page(form)

    def post(self, request):
        form = forms.PurchaseRoundForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                round_ = services.purchase_round_create(
                    actor=request.actor,
                    title=d["title"],
                    opens_at=d["opens_at"],
                    deadline=d["deadline"],
                    notice=d["notice"],
                )
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(request, _("Round opened; the university's teachers have been told."))
                return redirect("chemicals:purchase_round_detail", pk=round_.pk)
        messages.error(request, _("Please correct the errors below."))
        return self.page(form, status=400)


@method_decorator(login_required, name="dispatch")
class PurchaseRoundEditView(ScopedObjectMixin, _PurchaseRoundFormView):
    model = PurchaseRound

    def get_queryset(self):
        return selectors.purchase_rounds_for(self.request.actor)

    def _load(self):
        round_ = self.get_object()
        if not selectors.may_manage_rounds(self.request.actor):
            raise PermissionDenied(_("Purchase rounds are kept by the lab-safety office."))
        return round_

    def get(self, request, pk: int):
        round_ = self._load()
        return self.page(forms.PurchaseRoundForm(instance=round_), round_)

    def post(self, request, pk: int):
        round_ = self._load()
        form = forms.PurchaseRoundForm(request.POST, instance=PurchaseRound(enterprise_id=round_.enterprise_id))
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.purchase_round_update(
                    actor=request.actor,
                    pk=round_.pk,
                    title=d["title"],
                    opens_at=d["opens_at"],
                    deadline=d["deadline"],
                    notice=d["notice"],
                )
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(request, _("Round saved."))
                return redirect("chemicals:purchase_round_detail", pk=round_.pk)
        messages.error(request, _("Please correct the errors below."))
        return self.page(form, round_, status=400)


class _PurchaseRoundObjectView(ScopedObjectMixin, View):
    model = PurchaseRound

    def get_queryset(self):
        return selectors.purchase_rounds_for(self.request.actor)

    def _load(self):
        round_ = self.get_object()
        if not selectors.may_see_rounds(self.request.actor):
            raise PermissionDenied(_("Purchase rounds are kept by the lab-safety office."))
        return round_

    def post(self, request, pk: int):
        self.get_object()  # pages without a form: an outsider's POST is a 404 like its GET
        return self.http_method_not_allowed(request)


@method_decorator(login_required, name="dispatch")
class PurchaseRoundDetailView(_PurchaseRoundObjectView):
    """The round: its window and notice, its requests by status (each status a filtered list)."""

    def get(self, request, pk: int):
        round_ = self._load()
        actor = request.actor
        requests = selectors.purchase_requests_list(
            actor, selectors.purchase_requests_for(actor).filter(round=round_).exclude(status="draft")
        ).order_by("status", "-submitted_at", "-pk")[:200]
        return render(
            request,
            _PU + "round_detail.html",
            {
                "round": round_,
                "state": tables.purchase_round_state(round_),
                "counts": selectors.round_status_counts(actor, round_),
                "requests": requests,
                "may_manage": selectors.may_manage_rounds(actor),
            },
        )


@method_decorator(login_required, name="dispatch")
class PurchaseRoundAggregateView(_PurchaseRoundObjectView):
    """Approved requests by chemical for tendering; ``?export=xlsx`` downloads the same rows."""

    def get(self, request, pk: int):
        round_ = self._load()
        rows = selectors.round_aggregation(round_)
        if request.GET.get("export") == "xlsx":
            audit.log_operation(
                actor=request.actor, action=OperationLog.Action.EXPORT, obj=round_, detail="purchase aggregation"
            )
            return xlsx_response(
                filename=f"{round_.title}-aggregation",
                sheet_title=_("Aggregation"),
                headers=[
                    _("Chemical"),
                    _("English name"),
                    _("CAS number"),
                    _("Controlled category"),
                    _("Package size"),
                    _("Unit"),
                    _("Total packages"),
                    _("Total quantity"),
                    _("Labs"),
                ],
                rows=(
                    [
                        r.name,
                        r.name_en,
                        r.cas_number,
                        Chemical(controlled_category=r.controlled).get_controlled_category_display(),
                        float(r.package_size),
                        r.unit,
                        r.packages,
                        float(r.quantity),
                        "、".join(r.labs),
                    ]
                    for r in rows
                ),
            )
        filings = {f.chemical_id: f for f in PoliceFiling.objects.filter(round=round_)}
        for r in rows:
            r.filing = filings.get(r.chemical_id)
            r.controlled_label = Chemical(controlled_category=r.controlled).get_controlled_category_display()
        return render(
            request,
            _PU + "aggregation.html",
            {
                "round": round_,
                "rows": rows,
                "may_manage": selectors.may_manage_rounds(request.actor),
                "needs_filing": any(r.controlled for r in rows),
            },
        )


@method_decorator(login_required, name="dispatch")
class PurchaseRoundPrepareFilingsView(_PurchaseRoundObjectView):
    """POST: one police filing per controlled chemical of the round."""

    def post(self, request, pk: int):
        round_ = self.get_object()
        filings = services.police_filings_prepare(actor=request.actor, round_id=round_.pk)
        if filings:
            messages.success(
                request, _("%(n)s police filing(s) prepared: record each one once filed.") % {"n": len(filings)}
            )
        else:
            messages.info(request, _("No controlled chemicals were approved in this round: nothing to file."))
        return redirect(reverse("chemicals:purchase_police_filings") + f"?round={round_.pk}")


@method_decorator(login_required, name="dispatch")
class PurchaseRoundTenderedView(_PurchaseRoundObjectView):
    """POST: the office records that the aggregation went out for tendering."""

    def post(self, request, pk: int):
        round_ = self.get_object()
        services.purchase_round_mark_tendered(actor=request.actor, pk=round_.pk)
        messages.success(request, _("Recorded as sent to tender."))
        return redirect("chemicals:purchase_round_aggregate", pk=round_.pk)


@method_decorator(login_required, name="dispatch")
class PoliceFilingListView(ExportableListMixin, View):
    export_filename = gettext_lazy("police-filings")

    @classmethod
    def build_list(cls, actor, params):
        if not selectors.may_see_rounds(actor):
            raise PermissionDenied(_("Police filings are kept by the lab-safety office."))
        filterset = filters.PoliceFilingFilter(params, queryset=selectors.police_filings_for(actor), actor=actor)
        return filterset, tables.PoliceFilingTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _pu_list_page(request, table, "filing_list.html", {"filter": filterset})


@method_decorator(login_required, name="dispatch")
class PoliceFilingRecordView(ScopedObjectMixin, View):
    model = PoliceFiling

    def get_queryset(self):
        return selectors.police_filings_for(self.request.actor)

    def _load(self):
        filing = self.get_object()
        if not selectors.may_manage_rounds(self.request.actor):
            raise PermissionDenied(_("Police filings are kept by the lab-safety office."))
        return filing

    def page(self, filing, form, status: int = 200):
        return render(self.request, _PU + "filing_form.html", {"filing": filing, "form": form}, status=status)

    def get(self, request, pk: int):
        filing = self._load()
        initial = {"filed_on": filing.filed_on or timezone.localdate()}
        return self.page(filing, forms.PoliceFilingRecordForm(instance=filing, initial=initial))

    def post(self, request, pk: int):
        filing = self._load()
        form = forms.PoliceFilingRecordForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.police_filing_record(
                    actor=request.actor,
                    pk=filing.pk,
                    filing_number=d["filing_number"],
                    police_station=d["police_station"],
                    filed_on=d["filed_on"],
                )
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(request, _("Police filing recorded."))
                return redirect(reverse("chemicals:purchase_police_filings") + f"?round={filing.round_id or ''}")
        messages.error(request, _("Please correct the errors below."))
        return self.page(filing, form, status=400)


# ---- requests (labs) ----


class _PurchaseRequestListBase(ExportableListMixin, View):
    template = "request_list.html"
    title = ""
    intro = ""

    @classmethod
    def base_queryset(cls, actor):
        raise NotImplementedError

    @classmethod
    def build_list(cls, actor, params):
        queryset = cls.base_queryset(actor)
        filterset = filters.PurchaseRequestFilter(params, queryset=queryset, actor=actor)
        return filterset, tables.PurchaseRequestTable(filterset.qs)

    def context(self) -> dict:
        return {}

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _pu_list_page(
            request,
            table,
            self.template,
            {"filter": filterset, "title": self.title, "intro": self.intro, **self.context()},
        )


@method_decorator(login_required, name="dispatch")
class PurchaseRequestListView(_PurchaseRequestListBase):
    export_filename = gettext_lazy("purchase-requests")
    title = gettext_lazy("Purchase requests")

    @classmethod
    def base_queryset(cls, actor):
        _pu_university(actor)
        if not actor.can("chemicals.view"):
            raise PermissionDenied(_("You may not see purchase requests."))
        return selectors.purchase_requests_list(actor)

    def context(self) -> dict:
        actor = self.request.actor
        may_order = actor.can("chemicals.order") and selectors.purchase_labs_for(actor).exists()
        return {
            "may_order": may_order,
            "open_rounds": list(selectors.open_purchase_rounds(actor)) if may_order else [],
        }


@method_decorator(login_required, name="dispatch")
class PurchaseReviewQueueView(_PurchaseRequestListBase):
    """Requests whose current step the actor decides: supervising teachers and lab heads, college administrators,
    the lab-safety office."""

    export_filename = gettext_lazy("purchase-requests-to-review")
    title = gettext_lazy("Purchase requests awaiting your review")

    @classmethod
    def base_queryset(cls, actor):
        _pu_university(actor)
        return selectors.purchase_review_queue(actor)


@method_decorator(login_required, name="dispatch")
class PurchaseStockInQueueView(_PurchaseRequestListBase):
    export_filename = gettext_lazy("purchase-requests-to-stock-in")
    title = gettext_lazy("Approved purchase requests to stock in")

    @classmethod
    def base_queryset(cls, actor):
        _pu_university(actor)
        if not actor.can("chemicals.centre"):
            raise PermissionDenied(_("Stock-in is done by the chemicals service centre."))
        return selectors.purchase_stock_in_queue(actor)


@method_decorator(login_required, name="dispatch")
class PurchasePaymentsToConfirmView(_PurchaseRequestListBase):
    export_filename = gettext_lazy("purchase-payments-to-confirm")
    title = gettext_lazy("Purchase payments to confirm")
    intro = gettext_lazy("The labs say they have paid: check the receipt, then confirm or reject each payment.")

    @classmethod
    def base_queryset(cls, actor):
        _pu_university(actor)
        if not actor.can("chemicals.centre"):
            raise PermissionDenied(_("Payments are confirmed by the chemicals service centre."))
        return selectors.purchase_payments_to_confirm(actor)


@login_required
def purchase_chemical_options(request):
    """htmx: <option>s of the catalogue matching ``q`` for a line's chemical input (datalist)."""
    if selectors.purchase_university(request.actor) is None:
        raise PermissionDenied
    # htmx sends the line's own input (lines-N-chemical); a picked label searches by its name.
    query = request.GET.get("q") or next((v for k, v in request.GET.items() if k.endswith("-chemical")), "")
    chemicals = selectors.chemical_search(query.split("·")[0])
    return render(
        request,
        _PU + "_chemical_options.html",
        {"options": [forms.purchase_chemical_label(c) for c in chemicals]},
    )


class _PurchaseRequestFormView(View):
    def page(self, form, formset, order=None, status: int = 200):
        return render(
            self.request,
            _PU + "request_form.html",
            {
                "form": form,
                "formset": formset,
                "order": order,
                "chemical_options": [forms.purchase_chemical_label(c) for c in selectors.chemical_search("", 50)],
            },
            status=status,
        )

    @staticmethod
    def line_data(formset) -> list:
        return [
            services.PurchaseLineData(
                chemical=f.cleaned_data["chemical"],
                package_size=f.cleaned_data["package_size"],
                package_count=f.cleaned_data["package_count"],
                specification=f.cleaned_data.get("specification", ""),
                note=f.cleaned_data.get("note", ""),
            )
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


@method_decorator(login_required, name="dispatch")
class PurchaseRequestCreateView(_PurchaseRequestFormView):
    def dispatch(self, request, *args, **kwargs):
        actor = request.actor
        _pu_university(actor)
        if not actor.can("chemicals.order") or not selectors.purchase_labs_for(actor).exists():
            raise PermissionDenied(_("Purchase requests are written by the teachers and students of a lab."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        actor = request.actor
        form = forms.PurchaseRequestForm(
            actor=actor,
            initial={"round": request.GET.get("round"), "contact_phone": getattr(request.user, "phone", "")},
        )
        if not form.fields["round"].queryset.exists():
            messages.warning(request, _("No purchase round is open now: requests are written while a round is open."))
        return self.page(form, forms.purchase_line_formset())

    def post(self, request):
        actor = request.actor
        form = forms.PurchaseRequestForm(request.POST, actor=actor)
        formset = forms.purchase_line_formset(request.POST, add_row="add_row" in request.POST)
        if "add_row" in request.POST:
            return self.page(form, formset)
        if form.is_valid() and formset.is_valid():
            d = form.cleaned_data
            try:
                order = services.purchase_request_create(
                    actor=actor,
                    round_id=d["round"].pk,
                    lab_id=d["lab"].pk,
                    lines=self.line_data(formset),
                    purpose=d["purpose"],
                    contact_phone=d["contact_phone"],
                )
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Request %(number)s saved as a draft: check it and submit it.") % {"number": order.number},
                )
                return _pu_detail(order)
        messages.error(request, _("Please correct the errors below."))
        return self.page(form, formset, status=400)


class _PurchaseRequestObjectView(ScopedObjectMixin, View):
    model = PurchaseRequest

    def get_queryset(self):
        return selectors.purchase_requests_for(self.request.actor).select_related(
            "lab", "lab__parent", "lab__head", "submitter", "round"
        )

    def post(self, request, pk: int):
        self.get_object()  # pages without a form: an outsider's POST is a 404 like its GET
        return self.http_method_not_allowed(request)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestEditView(_PurchaseRequestObjectView, _PurchaseRequestFormView):
    def _load(self):
        order = self.get_object()
        if not selectors.purchase_actions(self.request.actor, order).edit:
            if order.submitter_id != self.request.user.pk:
                raise PermissionDenied(_("Only the person who wrote the request changes it."))
            return order, False
        return order, True

    def get(self, request, pk: int):
        order, editable = self._load()
        if not editable:
            messages.info(
                request,
                _("This request is “%(state)s”: it can no longer be changed.") % {"state": order.get_status_display()},
            )
            return _pu_detail(order)
        form = forms.PurchaseRequestForm(
            actor=request.actor, order=order, initial={"purpose": order.purpose, "contact_phone": order.contact_phone}
        )
        return self.page(form, forms.purchase_line_formset(lines=selectors.purchase_lines(order)), order)

    def post(self, request, pk: int):
        order, editable = self._load()
        if not editable:
            messages.error(
                request,
                _("This request is “%(state)s”: it can no longer be changed.") % {"state": order.get_status_display()},
            )
            return _pu_detail(order)
        form = forms.PurchaseRequestForm(request.POST, actor=request.actor, order=order)
        formset = forms.purchase_line_formset(request.POST, add_row="add_row" in request.POST)
        if "add_row" in request.POST:
            return self.page(form, formset, order)
        if form.is_valid() and formset.is_valid():
            d = form.cleaned_data
            try:
                services.purchase_request_update(
                    actor=request.actor,
                    pk=order.pk,
                    lines=self.line_data(formset),
                    purpose=d["purpose"],
                    contact_phone=d["contact_phone"],
                )
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return _pu_detail(order)
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(request, _("Request saved."))
                return _pu_detail(order)
        messages.error(request, _("Please correct the errors below."))
        return self.page(form, formset, order, status=400)


def _pu_order_context(actor, order) -> dict:
    lines = selectors.purchase_lines(order)
    return {
        "order": order,
        "lines": lines,
        "amount": selectors.purchase_amount(order, lines),
        "records": selectors.purchase_records(order),
        "actions": selectors.purchase_actions(actor, order),
        "unpaid": list(selectors.unpaid_purchase_numbers(order.lab_id, exclude_pk=order.pk)) if order.is_open else [],
        "status_badge": tables.purchase_status_badge(order),
    }


@method_decorator(login_required, name="dispatch")
class PurchaseRequestDetailView(_PurchaseRequestObjectView):
    def get(self, request, pk: int):
        order = self.get_object()
        context = _pu_order_context(request.actor, order)
        if context["actions"].confirm_payment:
            context["reject_payment_form"] = forms.PurchaseRejectPaymentForm()
        return render(request, _PU + "request_detail.html", context)


class _PurchaseRequestPostView(_PurchaseRequestObjectView):
    """A POST-only step from the request page; refusals come back as messages on it."""

    success_message = ""

    def perform(self, order):
        raise NotImplementedError

    def post(self, request, pk: int):
        order = self.get_object()
        try:
            self.perform(order)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.success_message)
        return _pu_detail(order)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestSubmitView(_PurchaseRequestPostView):
    success_message = gettext_lazy("Request submitted: it now awaits the lab's review.")

    def perform(self, order):
        services.purchase_request_submit(actor=self.request.actor, pk=order.pk)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestWithdrawView(_PurchaseRequestPostView):
    success_message = gettext_lazy("Request withdrawn.")

    def perform(self, order):
        services.purchase_request_withdraw(actor=self.request.actor, pk=order.pk)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestConfirmPaymentView(_PurchaseRequestPostView):
    success_message = gettext_lazy("Payment confirmed: the chemicals are now in the lab's own store.")

    def perform(self, order):
        if not self.request.actor.can("chemicals.centre"):
            raise PermissionDenied(_("Payments are confirmed by the chemicals service centre."))
        services.purchase_confirm_payment(actor=self.request.actor, pk=order.pk)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestRejectPaymentView(_PurchaseRequestPostView):
    success_message = gettext_lazy("Payment not confirmed: the lab has been told why.")

    def perform(self, order):
        if not self.request.actor.can("chemicals.centre"):
            raise PermissionDenied(_("Payments are confirmed by the chemicals service centre."))
        form = forms.PurchaseRejectPaymentForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError(_("Say why the payment is not confirmed."))
        services.purchase_reject_payment(actor=self.request.actor, pk=order.pk, reason=form.cleaned_data["reason"])


@method_decorator(login_required, name="dispatch")
class PurchaseRequestReviewView(_PurchaseRequestObjectView):
    """The step's reviewer approves or rejects (with a reason); the page shows the whole request first."""

    def page(self, order, form, status: int = 200):
        context = _pu_order_context(self.request.actor, order)
        context["form"] = form
        return render(self.request, _PU + "review.html", context, status=status)

    def get(self, request, pk: int):
        order = self.get_object()
        if not tiers.may_review(request.actor, order):
            if order.status in tiers.NODE_OF_STATUS:
                raise PermissionDenied(_("You do not decide this step of the request."))
            messages.info(
                request,
                _("This request is “%(state)s”: there is nothing to review.") % {"state": order.get_status_display()},
            )
            return _pu_detail(order)
        return self.page(order, forms.PurchaseReviewForm(initial={"seen_status": order.status}))

    def post(self, request, pk: int):
        order = self.get_object()
        form = forms.PurchaseReviewForm(request.POST)
        if form.is_valid():
            try:
                services.purchase_request_review(
                    actor=request.actor,
                    pk=order.pk,
                    approve=form.approve,
                    reason=form.cleaned_data["reason"],
                    seen_status=form.cleaned_data["seen_status"] or order.status,
                )
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                if order.status == form.cleaned_data["seen_status"] or not form.cleaned_data["seen_status"]:
                    # Refused at this step (e.g. the lab's unpaid order): stay on the form, input kept.
                    return self.page(order, form, status=400)
                return _pu_detail(order)
            else:
                messages.success(request, _("Decision recorded."))
                return _pu_detail(order)
        if not tiers.may_review(request.actor, order):
            raise PermissionDenied(_("You do not decide this step of the request."))
        return self.page(order, form, status=400)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestStockInView(_PurchaseRequestObjectView):
    """The centre records what arrived (packages and unit prices) for an approved request."""

    def _load(self):
        order = self.get_object()
        if not self.request.actor.can("chemicals.centre"):
            raise PermissionDenied(_("Stock-in is done by the chemicals service centre."))
        return order

    def page(self, order, form, status: int = 200):
        context = _pu_order_context(self.request.actor, order)
        context["form"] = form
        return render(self.request, _PU + "stock_in.html", context, status=status)

    def get(self, request, pk: int):
        order = self._load()
        if order.status != "approved":
            messages.info(
                request,
                _("This request is “%(state)s”: only approved requests are stocked in.")
                % {"state": order.get_status_display()},
            )
            return _pu_detail(order)
        form = forms.PurchaseStockInForm(actor=request.actor, lines=selectors.purchase_lines(order))
        return self.page(order, form)

    def post(self, request, pk: int):
        order = self._load()
        form = forms.PurchaseStockInForm(request.POST, actor=request.actor, lines=selectors.purchase_lines(order))
        if form.is_valid():
            try:
                services.purchase_stock_in(
                    actor=request.actor,
                    pk=order.pk,
                    campus_id=form.cleaned_data["campus"].pk,
                    lines=[services.StockInLineData(line_id, n, price) for line_id, n, price in form.received()],
                )
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return _pu_detail(order)
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(request, _("Stocked in: the lab has been sent the payment notice."))
                return _pu_detail(order)
        messages.error(request, _("Please correct the errors below."))
        return self.page(order, form, status=400)


@method_decorator(login_required, name="dispatch")
class PurchaseRequestPayView(_PurchaseRequestObjectView):
    """The lab pays once: the amount, the payment code (QR of the payment reference) and the reference it
    enters after paying. No real gateway: the centre confirms receipt by hand."""

    def page(self, order, form, status: int = 200):
        context = _pu_order_context(self.request.actor, order)
        payment_text = selectors.purchase_payment_reference(order, context["amount"])
        context.update(form=form, payment_text=payment_text, payment_qr=qr_svg_data_uri(payment_text, scale=5))
        return render(self.request, _PU + "pay.html", context, status=status)

    def get(self, request, pk: int):
        order = self.get_object()
        if order.status not in ("stocked", "completed"):
            messages.info(
                request, _("Nothing to pay yet: the request is “%(state)s”.") % {"state": order.get_status_display()}
            )
            return _pu_detail(order)
        return self.page(order, forms.PurchasePayForm())

    def post(self, request, pk: int):
        order = self.get_object()
        form = forms.PurchasePayForm(request.POST)
        if form.is_valid():
            try:
                services.purchase_pay(actor=request.actor, pk=order.pk, reference=form.cleaned_data["reference"])
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return _pu_detail(order)
            except ValidationError as exc:
                _pu_errors_to_form(form, exc)
            else:
                messages.success(request, _("Payment recorded: the centre now confirms receipt."))
                return _pu_detail(order)
        return self.page(order, form, status=400)


@method_decorator(login_required, name="dispatch")
class PurchasePaymentNoticeView(_PurchaseRequestObjectView):
    """The payment notice (付款通知) as PDF: each line's packages, unit price and amount, and the total."""

    def get(self, request, pk: int):
        order = self.get_object()
        if order.status not in ("stocked", "completed"):
            raise Http404
        context = _pu_order_context(request.actor, order)
        payment_text = selectors.purchase_payment_reference(order, context["amount"])
        context.update(payment_text=payment_text, payment_qr=qr_svg_data_uri(payment_text, scale=4))
        return pdf_response(
            _PU + "payment_notice_pdf.html", context, filename=f"{order.number}-payment-notice.pdf", request=request
        )


# ==== area: requisition ====
# Requisitions (申领): list, review queue and the centre's work list (each exports to Excel); write / edit,
# submit, withdraw; the page (status guide, lines, packages, payment, review record); review; the centre's
# stock, payment confirmation and issue; the issue slip (PDF). Every id is read through tiers.orders_for first:
# another lab's, college's or university's requisition is a 404, before any permission check.

RQ_TEMPLATES = "chemicals/requisition/"
RQ_PER_PAGE = 25


def _rq_require_view(actor) -> None:
    if actor.enterprise is None or not actor.enterprise.is_university or not actor.can("chemicals.view"):
        raise PermissionDenied(_("You do not have permission for this page."))


def _rq_require_centre(actor) -> None:
    if not actor.can("chemicals.centre"):
        raise PermissionDenied(_("Only the chemicals service centre does this."))


def _rq_list_page(request, table, template: str, context: dict):
    RequestConfig(request, paginate={"per_page": RQ_PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    return render(request, RQ_TEMPLATES + template, {"table": table, **context})


def _rq_refusal(request, exc) -> None:
    """A refusal the user can act on, as a message (TransitionRefused or a ValidationError)."""
    if isinstance(exc, TransitionRefused):
        messages.error(request, exc.message)
    else:
        for message in exc.messages:
            messages.error(request, message)


RQ_STEPS = {
    ("draft", "lab_review"): gettext_lazy("Submitted"),
    ("rejected", "lab_review"): gettext_lazy("Resubmitted"),
    ("lab_review", "college_review"): gettext_lazy("Approved by the lab"),
    ("college_review", "office_review"): gettext_lazy("Approved by the college"),
    ("office_review", "approved"): gettext_lazy("Approved by the lab-safety office"),
    ("approved", "stocked"): gettext_lazy("Stocked"),
    ("approved", "completed"): gettext_lazy("Issued (出库)"),
    ("stocked", "completed"): gettext_lazy("Issued (出库)"),
    ("unpaid", "awaiting"): gettext_lazy("Paid"),
    ("awaiting", "paid"): gettext_lazy("Payment confirmed"),
    ("awaiting", "unpaid"): gettext_lazy("Payment not confirmed"),
}


def _rq_records(requisition: Requisition) -> list:
    records = review_records_for(requisition)
    for r in records:
        r.step = str(RQ_STEPS.get((r.from_state, r.to_state), r.get_decision_display()))
    return records


class _RqObject(ScopedObjectMixin):
    model = Requisition

    def get_queryset(self):
        return selectors.requisitions_for(self.request.actor).select_related(
            "lab", "lab__parent", "submitter", "campus", "issued_by", "second_custodian"
        )


class _RqGetOnly(_RqObject):
    """Read-only pages: an outsider's POST is a 404 (object first), an insider's a 405."""

    def post(self, request, *args, **kwargs):
        self.get_object()
        return self.http_method_not_allowed(request, *args, **kwargs)


class _RqPostOnly(_RqObject, View):
    """A POST action on one requisition: outsiders get 404 (object first), then the service decides."""

    def act(self, request, requisition):
        raise NotImplementedError

    def post(self, request, pk: int):
        requisition = self.get_object()
        try:
            self.act(request, requisition)
        except (TransitionRefused, ValidationError) as exc:
            _rq_refusal(request, exc)
        return redirect("chemicals:requisition_detail", pk=requisition.pk)


@method_decorator(login_required, name="dispatch")
class RequisitionListView(ExportableListMixin, View):
    export_filename = gettext_lazy("requisitions")

    @classmethod
    def build_list(cls, actor, params):
        _rq_require_view(actor)
        filterset = filters.RequisitionFilter(params, queryset=selectors.requisition_list(actor), actor=actor)
        return filterset, tables.RequisitionTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _rq_list_page(
            request,
            table,
            "list.html",
            {
                "filter": filterset,
                "title": _("Requisitions"),
                "may_order": request.actor.can("chemicals.order"),
            },
        )


@method_decorator(login_required, name="dispatch")
class RequisitionReviewQueueView(ExportableListMixin, View):
    """The requisitions whose current step the actor decides (tiers.awaiting_review)."""

    export_filename = gettext_lazy("requisitions-to-review")

    @classmethod
    def build_list(cls, actor, params):
        _rq_require_view(actor)
        queryset = selectors.requisitions_awaiting_review(actor)
        if queryset is None:
            queryset = Requisition._base_manager.none()
        queryset = queryset.prefetch_related("lines__chemical").select_related("campus").order_by("last_reviewed_at")
        filterset = filters.RequisitionFilter(params, queryset=queryset, actor=actor)
        return filterset, tables.RequisitionTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _rq_list_page(
            request, table, "list.html", {"filter": filterset, "title": _("Requisitions awaiting your review")}
        )


@method_decorator(login_required, name="dispatch")
class RequisitionCentreView(ExportableListMixin, View):
    """The centre's work list: stock, confirm payments, issue."""

    export_filename = gettext_lazy("requisitions-centre")

    @classmethod
    def build_list(cls, actor, params):
        _rq_require_view(actor)
        _rq_require_centre(actor)
        filterset = filters.RequisitionFilter(params, queryset=selectors.requisition_centre_queue(actor), actor=actor)
        return filterset, tables.RequisitionCentreTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _rq_list_page(
            request, table, "list.html", {"filter": filterset, "title": _("Requisitions: the centre's work")}
        )


class _RqEditorPage(View):
    def page(self, editor, requisition=None, status: int = 200):
        campuses = editor.form.campuses
        return render(
            self.request,
            RQ_TEMPLATES + "form.html",
            {"editor": editor, "requisition": requisition, "campuses": campuses, "sources": Requisition.Source},
            status=status,
        )

    def save(self, editor, requisition=None):
        if editor.grown:
            return self.page(editor, requisition)
        if editor.is_valid():
            try:
                saved = services.requisition_save(
                    actor=self.request.actor, pk=requisition.pk if requisition else None, **editor.save_kwargs()
                )
            except TransitionRefused as exc:
                editor.errors.append(exc.message)
            except ValidationError as exc:
                editor.add_error(exc)
            else:
                messages.success(
                    self.request,
                    _("Requisition %(number)s saved. Submit it when it is complete.") % {"number": saved.number},
                )
                return redirect("chemicals:requisition_detail", pk=saved.pk)
        return self.page(editor, requisition, status=400)


@method_decorator(login_required, name="dispatch")
class RequisitionCreateView(_RqEditorPage):
    def dispatch(self, request, *args, **kwargs):
        actor = request.actor
        if not actor.can("chemicals.order") or not selectors.requisition_lab_choices(actor).exists():
            raise PermissionDenied(_("Only a lab's teachers and students write requisitions."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        source = request.GET.get("source")
        initial = {"source": source} if source in Requisition.Source.values else {}
        return self.page(forms.RequisitionEditor(actor=request.actor, initial=initial))

    def post(self, request):
        return self.save(forms.RequisitionEditor(request.POST, actor=request.actor))


@method_decorator(login_required, name="dispatch")
class RequisitionEditView(_RqObject, _RqEditorPage):
    def editable(self) -> Requisition:
        requisition = self.get_object()
        if requisition.submitter_id != self.request.actor.user.pk or not self.request.actor.can("chemicals.order"):
            raise PermissionDenied(_("Only the person who wrote the requisition edits it."))
        return requisition

    def get(self, request, pk: int):
        requisition = self.editable()
        if requisition.status not in services.RQ_EDITABLE:
            messages.error(request, _("This requisition can no longer be edited."))
            return redirect("chemicals:requisition_detail", pk=requisition.pk)
        header, rows = forms.RequisitionEditor.initial_for(requisition, selectors.requisition_lines(requisition))
        editor = forms.RequisitionEditor(actor=request.actor, initial=header, lines=rows, pk=requisition.pk)
        return self.page(editor, requisition)

    def post(self, request, pk: int):
        requisition = self.editable()
        header, rows = forms.RequisitionEditor.initial_for(requisition, selectors.requisition_lines(requisition))
        return self.save(
            forms.RequisitionEditor(request.POST, actor=request.actor, lines=rows, pk=requisition.pk), requisition
        )


def _rq_payment_reference(requisition: Requisition, amount) -> str:
    """What the payment QR carries (no real gateway): who is paid, for what, how much."""
    return f"CHEMPAY|{requisition.enterprise_id}|{requisition.number}|{amount:.2f}|CNY"


@method_decorator(login_required, name="dispatch")
class RequisitionDetailView(_RqGetOnly, View):
    def get(self, request, pk: int):
        requisition = self.get_object()
        actor = request.actor
        lines = selectors.requisition_lines(requisition)
        amount = selectors.requisition_amount(lines)
        mine = requisition.submitter_id == actor.user.pk
        centre = actor.can("chemicals.centre")
        status = requisition.status
        paid = requisition.payment_status
        actions = {
            "edit": mine and status in services.RQ_EDITABLE and actor.can("chemicals.order"),
            "submit": mine and status in services.RQ_EDITABLE and actor.can("chemicals.order"),
            "withdraw": mine and status in ("draft", "rejected", "lab_review"),
            "review": tiers.may_review(actor, requisition),
            "stock": centre and status == "approved" and requisition.source != Requisition.Source.LAB,
            "issue": centre
            and (
                (status == "approved" and requisition.source == Requisition.Source.LAB)
                or (status == "stocked" and paid == "paid")
            ),
            "pay": status == "stocked" and paid == "unpaid" and tiers.may_pay(actor, requisition),
            "confirm_payment": centre and status == "stocked" and paid == "awaiting",
        }
        reference = _rq_payment_reference(requisition, amount)
        return render(
            request,
            RQ_TEMPLATES + "detail.html",
            {
                "requisition": requisition,
                "lines": lines,
                "amount": amount,
                "records": _rq_records(requisition),
                "actions": actions,
                "toxic": any(line.chemical.is_highly_toxic for line in lines),
                "payment_reference": reference,
                "payment_qr": qr_svg_data_uri(reference) if actions["pay"] else "",
                "pay_form": forms.RequisitionPayForm(),
                "payment_form": forms.RequisitionPaymentDecisionForm(),
            },
        )


@method_decorator(login_required, name="dispatch")
class RequisitionSubmitView(_RqPostOnly):
    def act(self, request, requisition):
        services.requisition_submit(actor=request.actor, pk=requisition.pk)
        messages.success(request, _("Requisition %(number)s submitted for review.") % {"number": requisition.number})


@method_decorator(login_required, name="dispatch")
class RequisitionWithdrawView(_RqPostOnly):
    def act(self, request, requisition):
        services.requisition_withdraw(actor=request.actor, pk=requisition.pk)
        messages.success(request, _("Requisition %(number)s withdrawn.") % {"number": requisition.number})


@method_decorator(login_required, name="dispatch")
class RequisitionPayView(_RqPostOnly):
    def act(self, request, requisition):
        form = forms.RequisitionPayForm(request.POST)
        reference = form.cleaned_data["reference"] if form.is_valid() else ""
        services.requisition_pay(actor=request.actor, pk=requisition.pk, reference=reference)
        messages.success(request, _("Payment recorded: the centre confirms receipt."))


@method_decorator(login_required, name="dispatch")
class RequisitionPaymentView(_RqPostOnly):
    """The centre confirms the payment (待确认 → 是) or sends it back (→ 否) with the reason."""

    def act(self, request, requisition):
        form = forms.RequisitionPaymentDecisionForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Choose whether the payment was received."))
        if form.cleaned_data["action"] == "confirm":
            services.requisition_confirm_payment(actor=request.actor, pk=requisition.pk)
            messages.success(request, _("Payment confirmed: the requisition can be issued."))
        else:
            services.requisition_reject_payment(
                actor=request.actor, pk=requisition.pk, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Payment sent back to the lab as not received."))


@method_decorator(login_required, name="dispatch")
class RequisitionReviewView(_RqObject, View):
    def page(self, requisition, form, status: int = 200):
        return render(
            self.request,
            RQ_TEMPLATES + "review.html",
            {
                "requisition": requisition,
                "lines": selectors.requisition_lines(requisition),
                "records": _rq_records(requisition),
                "form": form,
                "may_review": tiers.may_review(self.request.actor, requisition),
            },
            status=status,
        )

    def get(self, request, pk: int):
        return self.page(self.get_object(), forms.RequisitionReviewForm())

    def post(self, request, pk: int):
        requisition = self.get_object()
        form = forms.RequisitionReviewForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                services.requisition_review(
                    actor=request.actor, pk=requisition.pk, approve=approve, reason=form.cleaned_data["reason"]
                )
            except TransitionRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    (_("Requisition %(number)s approved.") if approve else _("Requisition %(number)s rejected."))
                    % {"number": requisition.number},
                )
                return redirect("chemicals:requisition_detail", pk=requisition.pk)
        return self.page(requisition, form, status=400)


@method_decorator(login_required, name="dispatch")
class RequisitionStockView(_RqObject, View):
    def prepare(self, data=None):
        requisition = self.get_object()
        _rq_require_centre(self.request.actor)
        lines = selectors.requisition_lines(requisition)
        form = forms.RequisitionStockForm(
            data,
            requisition=requisition,
            lines=lines,
            reservable=selectors.requisition_reservable(requisition, lines),
        )
        return requisition, form

    def page(self, requisition, form, status: int = 200):
        return render(
            self.request, RQ_TEMPLATES + "stock.html", {"requisition": requisition, "form": form}, status=status
        )

    def get(self, request, pk: int):
        requisition, form = self.prepare()
        return self.page(requisition, form)

    def post(self, request, pk: int):
        requisition, form = self.prepare(request.POST)
        if form.is_valid():
            try:
                services.requisition_stock(
                    actor=request.actor, pk=requisition.pk, unit_prices=form.unit_prices(), packages=form.packages()
                )
            except TransitionRefused as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Requisition %(number)s stocked: the lab is asked to pay.") % {"number": requisition.number},
                )
                return redirect("chemicals:requisition_detail", pk=requisition.pk)
        return self.page(requisition, form, status=400)


@method_decorator(login_required, name="dispatch")
class RequisitionIssueView(_RqObject, View):
    def prepare(self, data=None):
        requisition = self.get_object()
        _rq_require_centre(self.request.actor)
        lines = selectors.requisition_lines(requisition)
        toxic = any(line.chemical.is_highly_toxic for line in lines)
        return requisition, lines, toxic, forms.RequisitionIssueForm(data, actor=self.request.actor, toxic=toxic)

    def page(self, requisition, lines, toxic, form, status: int = 200):
        return render(
            self.request,
            RQ_TEMPLATES + "issue.html",
            {"requisition": requisition, "lines": lines, "toxic": toxic, "form": form},
            status=status,
        )

    def get(self, request, pk: int):
        return self.page(*self.prepare())

    def post(self, request, pk: int):
        requisition, lines, toxic, form = self.prepare(request.POST)
        if form.is_valid():
            custodian = form.cleaned_data.get("second_custodian")
            try:
                services.requisition_issue(
                    actor=request.actor, pk=requisition.pk, second_custodian_id=custodian.pk if custodian else None
                )
            except TransitionRefused as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Requisition %(number)s issued.") % {"number": requisition.number})
                return redirect("chemicals:requisition_detail", pk=requisition.pk)
        return self.page(requisition, lines, toxic, form, status=400)


@method_decorator(login_required, name="dispatch")
class RequisitionSlipView(_RqGetOnly, View):
    """The issue slip (出库单): the packages, the issuer and the second custodian, signature lines; controlled
    chemicals with their police filing."""

    def get(self, request, pk: int):
        requisition = self.get_object()
        lines = selectors.requisition_lines(requisition)
        return pdf_response(
            RQ_TEMPLATES + "slip_pdf.html",
            {"requisition": requisition, "lines": lines, "amount": selectors.requisition_amount(lines)},
            filename=f"{requisition.number}.pdf",
            request=request,
        )


# ==== area: ledger ====
# The lab's packages with the stock-limit gauge and a quick "record use" form per package, each package's
# ledger (record, declare used up, PDF), the lab's ledger list (Excel), the supervising teacher's review queue.

LEDGER_PER_PAGE = 25
LEDGER_PACKAGES_PER_PAGE = 30
_LG = "chemicals/ledger/"


class _LgGetOnly:
    """Object pages without a POST: an outsider's POST is a 404 (the object first), an insider's a 405."""

    def post(self, request, *args, **kwargs):
        self.get_object()
        return self.http_method_not_allowed(request, *args, **kwargs)


def _lg_require_view(actor) -> None:
    if tiers.lab_filter(actor) is None or not actor.can("chemicals.view"):
        raise PermissionDenied(_("This page is for the university's chemicals users."))


def _lg_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _lg_gauge(lab) -> dict:
    return stock.gauge(lab)


def _lg_package_page(request, package, *, form=None, declare_form=None, status: int = 200) -> HttpResponse:
    actor = request.actor
    may_record = selectors.ledger_may_record(actor, package) and package.status in services.LEDGER_OPEN
    declarations = list(selectors.ledger_package_declarations(package))
    pending = next((d for d in declarations if d.status == UsedUpDeclaration.Status.PENDING), None)
    return render(
        request,
        _LG + "package.html",
        {
            "package": package,
            "entries": selectors.ledger_package_entries(package),
            "declarations": [(d, review_records_for(d)) for d in declarations],
            "pending": pending,
            "may_record": may_record,
            "form": form or (forms.LedgerEntryForm(package=package) if may_record else None),
            "declare_form": declare_form or (forms.LedgerDeclareForm() if may_record and pending is None else None),
        },
        status=status,
    )


@login_required
def ledger_home(request):
    """“My lab's packages”: a lab's people go straight to their lab; others choose among the labs they see."""
    actor = request.actor
    _lg_require_view(actor)
    labs = list(selectors.ledger_labs(actor))
    own = tiers.actor_lab_ids(actor)
    if len(own) == 1 and any(lab.pk == own[0] for lab in labs):
        return redirect("chemicals:ledger_lab", pk=own[0])
    return render(request, _LG + "home.html", {"labs": labs, "own": own})


@method_decorator(login_required, name="dispatch")
class LedgerLabView(_LgGetOnly, ScopedObjectMixin, View):
    """A lab's packages (issued, in use, used up: those counting against its stock limit) and the gauge."""

    model = Department

    def get_queryset(self):
        return selectors.ledger_labs(self.request.actor)

    def get(self, request, pk: int):
        from django.core.paginator import Paginator

        lab = self.get_object()
        _lg_require_view(request.actor)
        page = Paginator(selectors.ledger_lab_packages(request.actor, lab), LEDGER_PACKAGES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        may_record = bool(page.object_list) and selectors.ledger_may_record(request.actor, page.object_list[0])
        rows = [
            (
                p,
                forms.LedgerEntryForm(package=p, auto_id=f"id_{p.pk}_%s")
                if may_record and p.status in services.LEDGER_OPEN
                else None,
            )
            for p in page.object_list
        ]
        return render(
            request,
            _LG + "lab.html",
            {
                "lab": lab,
                "page": page,
                "rows": rows,
                "gauge": _lg_gauge(lab),
                "is_own": lab.pk in tiers.actor_lab_ids(request.actor),
            },
        )


@method_decorator(login_required, name="dispatch")
class LedgerPackageView(_LgGetOnly, ScopedObjectMixin, View):
    """One package's ledger: its uses, its used-up declarations and their review."""

    model = Package

    def get_queryset(self):
        return selectors.ledger_packages(self.request.actor)

    def get(self, request, pk: int):
        return _lg_package_page(request, self.get_object())


@method_decorator(login_required, name="dispatch")
class LedgerRecordView(ScopedObjectMixin, View):
    """Record a use (GET: the form alone, e.g. from a phone; POST: from here, the package page or the lab's
    quick form, which come back here with the errors and the input kept)."""

    model = Package

    def get_queryset(self):
        return selectors.ledger_packages(self.request.actor)

    def page(self, package, form, status: int = 200):
        next_url = safe_next(self.request, reverse("chemicals:ledger_package", args=[package.pk]))
        may_record = selectors.ledger_may_record(self.request.actor, package) and package.status in services.LEDGER_OPEN
        return render(
            self.request,
            _LG + "record.html",
            {"package": package, "form": form, "next": next_url, "may_record": may_record},
            status=status,
        )

    def get(self, request, pk: int):
        package = self.get_object()
        return self.page(package, forms.LedgerEntryForm(package=package))

    def post(self, request, pk: int):
        package = self.get_object()
        form = forms.LedgerEntryForm(request.POST, package=package)
        if form.is_valid():
            try:
                entry = services.ledger_record_use(actor=request.actor, package_id=package.pk, **form.cleaned_data)
            except ValidationError as exc:
                _lg_errors_to_form(form, exc)
            except TransitionRefused as exc:
                messages.error(request, exc.message)
                return self.page(package, form, status=409)
            else:
                messages.success(
                    request,
                    _("Recorded: %(quantity)s %(unit)s of %(code)s; %(remaining)s %(unit)s remain.")
                    % {
                        "quantity": services.ledger_qty(entry.quantity),
                        "unit": package.chemical.get_unit_display(),
                        "code": package.code,
                        "remaining": services.ledger_qty(entry.remaining_after),
                    },
                )
                return HttpResponseRedirect(safe_next(request, reverse("chemicals:ledger_package", args=[package.pk])))
        messages.error(request, _("The use was not recorded: correct the form below."))
        return self.page(package, form, status=400)


@method_decorator(login_required, name="dispatch")
class LedgerDeclareView(ScopedObjectMixin, View):
    """Declare a package used up (GET: confirm; POST: declare)."""

    model = Package

    def get_queryset(self):
        return selectors.ledger_packages(self.request.actor)

    def page(self, package, form, status: int = 200):
        return render(
            self.request,
            _LG + "declare.html",
            {
                "package": package,
                "form": form,
                "may_record": selectors.ledger_may_record(self.request.actor, package)
                and package.status in services.LEDGER_OPEN,
                "is_student": self.request.actor.role == "student",
            },
            status=status,
        )

    def get(self, request, pk: int):
        return self.page(self.get_object(), forms.LedgerDeclareForm())

    def post(self, request, pk: int):
        package = self.get_object()
        form = forms.LedgerDeclareForm(request.POST)
        if not form.is_valid():
            return self.page(package, form, status=400)
        try:
            declaration = services.ledger_declare_used_up(
                actor=request.actor, package_id=package.pk, note=form.cleaned_data["note"]
            )
        except TransitionRefused as exc:
            messages.error(request, exc.message)
            return self.page(package, form, status=409)
        if declaration.status == UsedUpDeclaration.Status.ACCEPTED:
            messages.success(request, _("Package %(code)s is used up.") % {"code": package.code})
        else:
            messages.success(
                request,
                _("Package %(code)s is declared used up: it awaits your supervising teacher's review.")
                % {"code": package.code},
            )
        return redirect("chemicals:ledger_package", pk=package.pk)


@method_decorator(login_required, name="dispatch")
class LedgerPackagePdfView(_LgGetOnly, ScopedObjectMixin, View):
    """The package's ledger as a printable form."""

    model = Package

    def get_queryset(self):
        return selectors.ledger_packages(self.request.actor)

    def get(self, request, pk: int):
        package = self.get_object()
        return pdf_response(
            _LG + "package_pdf.html",
            {
                "package": package,
                "entries": selectors.ledger_package_entries(package),
                "declarations": selectors.ledger_package_declarations(package),
            },
            filename=f"{package.code}-ledger.pdf",
            request=request,
        )


@method_decorator(login_required, name="dispatch")
class LedgerEntryListView(ExportableListMixin, View):
    """The ledger of the labs the actor sees: every use, with filters and the Excel export."""

    export_filename = gettext_lazy("ledger")

    @classmethod
    def build_list(cls, actor, params):
        _lg_require_view(actor)
        labs = selectors.ledger_labs(actor)
        several = actor.role not in selectors.LEDGER_WRITERS or len(tiers.actor_lab_ids(actor)) > 1
        filterset = filters.LedgerEntryFilter(
            params, queryset=selectors.ledger_entries(actor), labs=labs if several else None
        )
        return filterset, tables.LedgerEntryTable(filterset.qs)

    def get(self, request):
        from django_tables2.paginators import LazyPaginator

        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": LEDGER_PER_PAGE, "paginator_class": LazyPaginator}).configure(
            table
        )
        return render(request, _LG + "entries.html", {"table": table, "filter": filterset})


@method_decorator(login_required, name="dispatch")
class LedgerReviewListView(ExportableListMixin, View):
    """Students' used-up declarations awaiting this supervising teacher."""

    export_filename = gettext_lazy("ledgers-to-review")

    @classmethod
    def build_list(cls, actor, params):
        queryset = selectors.ledger_declarations_awaiting(actor)
        if queryset is None:
            raise PermissionDenied(_("Ledgers are reviewed by the students' supervising teachers."))
        filterset = filters.LedgerDeclarationFilter(params, queryset=queryset)
        return filterset, tables.LedgerDeclarationTable(filterset.qs)

    def get(self, request):
        from django_tables2.paginators import LazyPaginator

        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(request, paginate={"per_page": LEDGER_PER_PAGE, "paginator_class": LazyPaginator}).configure(
            table
        )
        return render(request, _LG + "reviews.html", {"table": table, "filter": filterset})


@method_decorator(login_required, name="dispatch")
class LedgerDeclarationReviewView(ScopedObjectMixin, View):
    """The supervising teacher accepts or rejects a student's used-up declaration, seeing the package's ledger."""

    model = UsedUpDeclaration

    def get_queryset(self):
        return selectors.ledger_declarations(self.request.actor)

    def page(self, declaration, form, status: int = 200):
        actor = self.request.actor
        may_review = (
            declaration.status == UsedUpDeclaration.Status.PENDING
            and declaration.reviewer_id == actor.user.pk
            and actor.has_role("teacher")
        )
        return render(
            self.request,
            _LG + "review.html",
            {
                "declaration": declaration,
                "package": declaration.package,
                "entries": selectors.ledger_package_entries(declaration.package),
                "records": review_records_for(declaration),
                "form": form if may_review else None,
            },
            status=status,
        )

    def get(self, request, pk: int):
        return self.page(self.get_object(), forms.LedgerReviewForm())

    def post(self, request, pk: int):
        declaration = self.get_object()
        form = forms.LedgerReviewForm(request.POST)
        if not form.is_valid():
            return self.page(declaration, form, status=400)
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.ledger_review_declaration(
                actor=request.actor, declaration_id=declaration.pk, accept=accept, reason=form.cleaned_data["reason"]
            )
        except TransitionRefused as exc:
            messages.error(request, exc.message)
            return self.page(self.get_object(), form, status=409)
        if accept:
            messages.success(request, _("Accepted: package %(code)s is used up.") % {"code": declaration.package.code})
        else:
            messages.success(request, _("Rejected: the student is told the reason."))
        return redirect("chemicals:ledger_reviews")


# ==== area: waste ====
# Waste collection (废弃物回收): routes (the centre / office keep them), collections (list, detail with the
# per-route lists, the collectors' PDF, mark collected), the labs' registration form and their registrations
# (cancel before the deadline), barrel requests (the centre delivers or cancels), figures per lab.

WASTE_PER_PAGE = 25
_WS = "chemicals/waste/"


def _ws_require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You do not have permission for this page."))


def _ws_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _ws_list_page(request, table, template: str, context: dict) -> HttpResponse:
    from django_tables2.paginators import LazyPaginator

    RequestConfig(request, paginate={"per_page": WASTE_PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    return render(request, _WS + template, {"table": table, **context})


class _WsGetOnly:
    """Object pages without a POST: an outsider's POST is a 404 (the object first), an insider's a 405."""

    def post(self, request, *args, **kwargs):
        self.get_object()
        return self.http_method_not_allowed(request, *args, **kwargs)


class _WsPostOnly(ScopedObjectMixin, View):
    """A POST-only step on one object: the scoped lookup first (an outsider's id is 404 before anything else),
    then the service; its refusals come back as messages on ``next``."""

    success_message = ""

    def get_queryset(self):
        raise NotImplementedError

    def perform(self, obj) -> None:
        raise NotImplementedError

    def back(self, obj) -> str:
        raise NotImplementedError

    def post(self, request, pk: int):
        obj = self.get_object()
        try:
            self.perform(obj)
        except (TransitionRefused, ValidationError) as exc:
            messages.error(request, exc.message if isinstance(exc, TransitionRefused) else " ".join(exc.messages))
        else:
            messages.success(request, self.success_message)
        return redirect(safe_next(request, self.back(obj)))


# ---- routes ----


@method_decorator(login_required, name="dispatch")
class WasteRouteListView(ExportableListMixin, View):
    export_filename = gettext_lazy("waste-routes")

    @classmethod
    def build_list(cls, actor, params):
        _ws_require(selectors.waste_university(actor) is not None)
        return None, tables.WasteRouteTable(selectors.waste_routes(actor).order_by("campus__name", "name", "pk"))

    def get(self, request):
        _filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ws_list_page(
            request, table, "routes.html", {"may_edit": selectors.waste_may_edit_routes(request.actor)}
        )


@method_decorator(login_required, name="dispatch")
class WasteRouteCreateView(View):
    route = None

    def load(self):
        _ws_require(selectors.waste_may_edit_routes(self.request.actor), _("You may not edit waste routes."))

    def page(self, form, status: int = 200):
        return render(self.request, _WS + "route_form.html", {"form": form, "route": self.route}, status=status)

    def get(self, request, **kwargs):
        self.load()
        return self.page(forms.WasteRouteForm(actor=request.actor, route=self.route))

    def post(self, request, **kwargs):
        self.load()
        form = forms.WasteRouteForm(request.POST, actor=request.actor, route=self.route)
        if form.is_valid():
            try:
                route = services.waste_route_save(
                    actor=request.actor,
                    pk=self.route.pk if self.route else None,
                    campus_id=form.cleaned_data["campus"].pk,
                    name=form.cleaned_data["name"],
                    stops=form.stop_list(),
                )
            except ValidationError as exc:
                _ws_errors_to_form(form, exc)
            else:
                messages.success(request, _("Route saved: %(name)s.") % {"name": route.name})
                return redirect("chemicals:waste_routes")
        return self.page(form, status=400)


class WasteRouteEditView(ScopedObjectMixin, WasteRouteCreateView):
    model = WasteRoute

    def get_queryset(self):
        return selectors.waste_routes(self.request.actor)

    def load(self):
        self.route = self.get_object()
        super().load()


# ---- collections (the centre) ----


@method_decorator(login_required, name="dispatch")
class WasteCollectionListView(ExportableListMixin, View):
    export_filename = gettext_lazy("waste-collections")

    @classmethod
    def build_list(cls, actor, params):
        _ws_require(selectors.waste_university(actor) is not None)
        filterset = filters.WasteCollectionFilter(params, queryset=selectors.waste_collection_list(actor))
        return filterset, tables.WasteCollectionTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ws_list_page(
            request,
            table,
            "collections.html",
            {"filter": filterset, "may_manage": selectors.waste_may_manage(request.actor)},
        )


@method_decorator(login_required, name="dispatch")
class WasteCollectionCreateView(View):
    collection = None

    def load(self):
        _ws_require(
            selectors.waste_may_manage(self.request.actor), _("Only the service centre runs waste collections.")
        )

    def page(self, form, status: int = 200):
        return render(
            self.request, _WS + "collection_form.html", {"form": form, "collection": self.collection}, status=status
        )

    def get(self, request, **kwargs):
        self.load()
        initial = {} if self.collection else {"collection_date": waste_schedule.next_collection_date()}
        return self.page(forms.WasteCollectionForm(collection=self.collection, initial=initial))

    def post(self, request, **kwargs):
        self.load()
        form = forms.WasteCollectionForm(request.POST, collection=self.collection)
        if form.is_valid():
            d = form.cleaned_data
            try:
                collection = services.waste_collection_save(
                    actor=request.actor,
                    pk=self.collection.pk if self.collection else None,
                    collection_date=d["collection_date"],
                    deadline=d["registration_deadline"],
                    note=d["note"],
                )
            except ValidationError as exc:
                _ws_errors_to_form(form, exc)
            except TransitionRefused as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("Collection saved: %(date)s.") % {"date": collection.collection_date.isoformat()}
                )
                return redirect("chemicals:waste_collection_detail", pk=collection.pk)
        return self.page(form, status=400)


class WasteCollectionEditView(ScopedObjectMixin, WasteCollectionCreateView):
    model = WasteCollection

    def get_queryset(self):
        return selectors.waste_collections(self.request.actor)

    def load(self):
        self.collection = self.get_object()
        super().load()


class _WsCollectionObject(ScopedObjectMixin):
    model = WasteCollection

    def get_queryset(self):
        return selectors.waste_collections(self.request.actor)


@method_decorator(login_required, name="dispatch")
class WasteCollectionDetailView(_WsGetOnly, _WsCollectionObject, View):
    """The collection's registrations per route in stop order (a lab's people see their labs' only)."""

    def get(self, request, pk: int):
        collection = self.get_object()
        actor = request.actor
        return render(
            request,
            _WS + "collection_detail.html",
            {
                "collection": collection,
                "route_lists": selectors.waste_route_lists(actor, collection),
                "categories": _ws_categories(),
                "may_manage": selectors.waste_may_manage(actor),
                "may_print": selectors.waste_is_central(actor) or selectors.waste_may_manage(actor),
                "is_open": collection.status == WasteCollection.Status.OPEN
                and waste_schedule.is_open(collection.registration_deadline),
            },
        )


def _ws_categories() -> list[dict]:
    """The five categories in seed 000's order, with their container and a short label for narrow columns."""
    from .models import WasteItem

    C = WasteItem.Category
    unit = {"barrel": _("barrels"), "bag": _("bags")}
    short = {
        C.CHEMICAL_LIQUID: _("Chemical liquid"),
        C.BIOLOGICAL_LIQUID: _("Biological liquid"),
        C.CHEMICAL_SOLID: _("Chemical solid"),
        C.BIOLOGICAL_SOLID: _("Biological solid"),
        C.SHARPS: _("Sharps"),
    }
    return [{"value": c.value, "label": c.label, "short": short[c], "unit": unit[WasteItem.CONTAINER[c]]} for c in C]


@method_decorator(login_required, name="dispatch")
class WasteCollectionCollectedView(_WsCollectionObject, _WsPostOnly):
    success_message = gettext_lazy("The collection is marked collected; the labs are told.")

    def perform(self, obj) -> None:
        services.waste_collection_mark_collected(actor=self.request.actor, pk=obj.pk)

    def back(self, obj) -> str:
        return reverse("chemicals:waste_collection_detail", args=[obj.pk])


@method_decorator(login_required, name="dispatch")
class WasteCollectionPdfView(_WsGetOnly, _WsCollectionObject, View):
    """收运清单: the collectors' list per route (``?route=<id>``: that route alone), a page per route, with tick
    boxes and signature lines."""

    def get(self, request, pk: int):
        collection = self.get_object()
        actor = request.actor
        _ws_require(selectors.waste_is_central(actor) or selectors.waste_may_manage(actor))
        route_id = request.GET.get("route")
        if route_id is not None:
            try:
                route_id = int(route_id)
            except ValueError:
                raise Http404 from None
            if not selectors.waste_routes(actor).filter(pk=route_id).exists():
                raise Http404
        lists = selectors.waste_route_lists(actor, collection, route_id)
        name = lists[0].route.name if route_id is not None and lists else "all-routes"
        return pdf_response(
            _WS + "collection_pdf.html",
            {"collection": collection, "route_lists": lists, "categories": _ws_categories()},
            filename=f"waste-{collection.collection_date.isoformat()}-{name}.pdf",
            request=request,
        )


# ---- registration (labs) ----


@method_decorator(login_required, name="dispatch")
class WasteRegisterView(View):
    """登记回收: for one of the actor's labs (``?lab=``), the open collection; empty packages all ticked."""

    def setup_lab(self):
        actor = self.request.actor
        _ws_require(selectors.waste_may_register(actor), _("Only lab teachers and students register waste."))
        self.labs = list(selectors.waste_lab_choices(actor))
        wanted = self.request.POST.get("lab") or self.request.GET.get("lab")
        self.lab = next((lab for lab in self.labs if str(lab.pk) == wanted), self.labs[0])

    def page(self, form, status: int = 200):
        actor = self.request.actor
        collections = form.open_collections
        return render(
            self.request,
            _WS + "register.html",
            {
                "form": form,
                "labs": self.labs,
                "lab": self.lab,
                "collections": collections,
                "routes": list(selectors.waste_routes(actor)),
                "package_count": len(form.fields["packages"].choices),
            },
            status=status,
        )

    def get(self, request):
        self.setup_lab()
        return self.page(forms.WasteRegistrationForm(actor=request.actor, lab=self.lab))

    def post(self, request):
        self.setup_lab()
        form = forms.WasteRegistrationForm(request.POST, actor=request.actor, lab=self.lab)
        if form.is_valid():
            d = form.cleaned_data
            try:
                registration = services.waste_register(
                    actor=request.actor,
                    collection_id=d["collection"].pk,
                    lab_id=d["lab"].pk,
                    route_id=d["route"].pk,
                    building=d["building"],
                    room=d["room"],
                    phone=d["phone"],
                    note=d["note"],
                    quantities=form.quantities(),
                    package_ids=[p.pk for p in d["packages"]],
                )
            except ValidationError as exc:
                _ws_errors_to_form(form, exc)
            except TransitionRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Registered for the collection on %(date)s: %(packages)s empty packages handed in.")
                    % {
                        "date": registration.collection.collection_date.isoformat(),
                        "packages": len(d["packages"]),
                    },
                )
                return redirect("chemicals:waste_registration_detail", pk=registration.pk)
        messages.error(request, _("The waste was not registered: see the messages below."))
        return self.page(form, status=400)


@method_decorator(login_required, name="dispatch")
class WasteRegistrationListView(ExportableListMixin, View):
    export_filename = gettext_lazy("waste-registrations")

    @classmethod
    def build_list(cls, actor, params):
        _ws_require(selectors.waste_university(actor) is not None)
        filterset = filters.WasteRegistrationFilter(
            params, queryset=selectors.waste_registration_list(actor), actor=actor
        )
        return filterset, tables.WasteRegistrationTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ws_list_page(
            request,
            table,
            "registrations.html",
            {"filter": filterset, "may_register": selectors.waste_may_register(request.actor)},
        )


class _WsRegistrationObject(ScopedObjectMixin):
    model = WasteRegistration

    def get_queryset(self):
        return selectors.waste_registrations(self.request.actor)


@method_decorator(login_required, name="dispatch")
class WasteRegistrationDetailView(_WsGetOnly, _WsRegistrationObject, View):
    def get_queryset(self):
        return selectors.waste_with_counts(
            super().get_queryset().select_related("collection", "lab", "route", "route__campus", "registered_by")
        )

    def get(self, request, pk: int):
        registration = self.get_object()
        collection = registration.collection
        return render(
            request,
            _WS + "registration_detail.html",
            {
                "registration": registration,
                "items": list(registration.items.all()),
                "packages": list(registration.packages.select_related("chemical").order_by("code")),
                "categories": _ws_categories(),
                "may_cancel": registration.status == WasteRegistration.Status.REGISTERED
                and services.waste_may_cancel(request.actor, registration)
                and collection.status == WasteCollection.Status.OPEN
                and waste_schedule.is_open(collection.registration_deadline),
            },
        )


@method_decorator(login_required, name="dispatch")
class WasteRegistrationCancelView(_WsRegistrationObject, _WsPostOnly):
    success_message = gettext_lazy("Registration cancelled: its empty packages are back in the lab's list.")

    def perform(self, obj) -> None:
        services.waste_registration_cancel(actor=self.request.actor, pk=obj.pk)

    def back(self, obj) -> str:
        return reverse("chemicals:waste_registration_detail", args=[obj.pk])


# ---- barrel requests ----


@method_decorator(login_required, name="dispatch")
class BarrelRequestListView(ExportableListMixin, View):
    export_filename = gettext_lazy("waste-barrel-requests")

    @classmethod
    def build_list(cls, actor, params):
        _ws_require(selectors.waste_university(actor) is not None)
        filterset = filters.BarrelRequestFilter(params, queryset=selectors.waste_barrel_requests(actor), actor=actor)
        may_register = selectors.waste_may_register(actor)
        table = tables.BarrelRequestTable(
            filterset.qs,
            may_deliver=selectors.waste_may_manage(actor),
            cancellable_labs=tiers.actor_lab_ids(actor) if may_register else (),
        )
        return filterset, table

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ws_list_page(
            request,
            table,
            "barrels.html",
            {"filter": filterset, "may_request": selectors.waste_may_register(request.actor)},
        )


@method_decorator(login_required, name="dispatch")
class BarrelRequestCreateView(View):
    def page(self, form, status: int = 200):
        return render(self.request, _WS + "barrel_form.html", {"form": form}, status=status)

    def get(self, request):
        _ws_require(selectors.waste_may_register(request.actor), _("Only lab teachers and students request barrels."))
        return self.page(forms.BarrelRequestForm(actor=request.actor))

    def post(self, request):
        _ws_require(selectors.waste_may_register(request.actor), _("Only lab teachers and students request barrels."))
        form = forms.BarrelRequestForm(request.POST, actor=request.actor)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.waste_barrel_request(
                    actor=request.actor,
                    lab_id=d["lab"].pk,
                    campus_id=d["campus"].pk,
                    kind=d["kind"],
                    quantity=d["quantity"],
                )
            except ValidationError as exc:
                _ws_errors_to_form(form, exc)
            else:
                messages.success(request, _("Barrels requested: the service centre is told."))
                return redirect("chemicals:waste_barrels")
        return self.page(form, status=400)


class _WsBarrelObject(ScopedObjectMixin):
    model = BarrelRequest

    def get_queryset(self):
        return selectors.waste_barrel_requests(self.request.actor)

    def back(self, obj) -> str:
        return reverse("chemicals:waste_barrels")


@method_decorator(login_required, name="dispatch")
class BarrelRequestDeliverView(_WsBarrelObject, _WsPostOnly):
    success_message = gettext_lazy("Barrels marked delivered; the requester is told.")

    def perform(self, obj) -> None:
        services.waste_barrel_deliver(actor=self.request.actor, pk=obj.pk)


@method_decorator(login_required, name="dispatch")
class BarrelRequestCancelView(_WsBarrelObject, _WsPostOnly):
    success_message = gettext_lazy("Barrel request cancelled.")

    def perform(self, obj) -> None:
        services.waste_barrel_cancel(actor=self.request.actor, pk=obj.pk)


# ---- figures ----


class _WsFilter:
    """The figures' date range in the shape the list templates expect (``filter.form``)."""

    def __init__(self, form) -> None:
        self.form = form


@method_decorator(login_required, name="dispatch")
class WasteFiguresView(ExportableListMixin, View):
    """Per lab: barrels and bags of each category and empty packages collected over a date range (collection
    dates; default: this year so far)."""

    export_filename = gettext_lazy("waste-figures")

    @classmethod
    def build_list(cls, actor, params):
        _ws_require(
            selectors.waste_university(actor) is not None
            and (actor.can("chemicals.figures") or selectors.waste_may_manage(actor))
        )
        today = timezone.localdate()
        data = {"start": today.replace(month=1, day=1).isoformat(), "end": today.isoformat()}
        data.update({k: params.get(k) for k in ("start", "end") if k in params})
        form = forms.WasteFiguresForm(data)
        valid = form.is_valid()
        start = form.cleaned_data.get("start") if valid else None
        end = form.cleaned_data.get("end") if valid else None
        return _WsFilter(form), tables.WasteFiguresTable(selectors.waste_figures(actor, start, end))

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ws_list_page(request, table, "figures.html", {"filter": filterset})


# ==== area: termination ====


# ==== area: majorhazards ====
# Major hazard sources (GB 18218-2018): saved assessments (any enterprise), the hand-entered assessment with its
# step-by-step calculation, and for a university's stores the same calculation from live inventory.
# Object pages look the object up first (outsiders: 404), then check the feature (members without it: 403).

_MH = "chemicals/majorhazards/"
MAJOR_HAZARD_PER_PAGE = 25


def _mh_require(actor) -> None:
    if actor.enterprise is None or not actor.can(selectors.MAJOR_HAZARD_FEATURE):
        raise PermissionDenied(_("You may not assess major hazard sources."))


def _mh_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _mh_plain(value) -> str:
    """A quantity as typed: 200 rather than 200.0000."""
    return f"{Decimal(value).normalize():f}"


def _mh_steps(result: gb18218.Assessment) -> dict:
    """The step-by-step block's context (templates/chemicals/majorhazards/_steps.html)."""
    grade_row = result.grade_row
    return {
        "result": result,
        "step_rows": [
            {
                "name": r.line.name,
                "q": _mh_plain(r.line.q),
                "Q": _mh_plain(r.line.Q),
                "beta": _mh_plain(r.line.beta),
                "ratio": r.ratio,
                "weighted": r.weighted,
            }
            for r in result.lines
        ],
        "s_terms": " + ".join(str(r.ratio) for r in result.lines) or "0",
        "weighted_terms": " + ".join(str(r.weighted) for r in result.lines) or "0",
        "threshold": gb18218.IDENTIFICATION_THRESHOLD,
        "grade_label": tables.major_hazard_grade_label(grade_row.grade) if grade_row else "",
        "grade_badge": tables.major_hazard_grade_badge(result.grade, result.is_major),
        "alpha_rows": gb18218.TABLE_5,
        "grade_rows": gb18218.TABLE_6,
    }


def _mh_record_result(assessment: HazardSourceAssessment, lines) -> gb18218.Assessment:
    """A saved record's calculation, repeated from its stored lines (the same numbers it was saved with)."""
    return gb18218.assess(
        [
            gb18218.Line(
                name=line.name,
                q=line.quantity_t,
                Q=line.critical_quantity_t,
                beta=line.beta,
                chemical_id=line.chemical_id,
            )
            for line in lines
        ],
        assessment.people_exposed,
    )


def _mh_tables_context() -> dict:
    return {"gb_tables": gb18218.describe_tables()}


@method_decorator(login_required, name="dispatch")
class MajorHazardListView(ExportableListMixin, View):
    """The enterprise's saved assessments (any enterprise), with filters and the Excel export."""

    export_filename = gettext_lazy("major-hazard-sources")

    @classmethod
    def build_list(cls, actor, params):
        _mh_require(actor)
        filterset = filters.MajorHazardAssessmentFilter(params, queryset=selectors.major_hazard_assessments(actor))
        return filterset, tables.MajorHazardAssessmentTable(filterset.qs)

    def get(self, request):
        from django_tables2.paginators import LazyPaginator

        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(
            request, paginate={"per_page": MAJOR_HAZARD_PER_PAGE, "paginator_class": LazyPaginator}
        ).configure(table)
        return render(
            request,
            _MH + "list.html",
            {"table": table, "filter": filterset, "is_university": request.actor.enterprise.is_university},
        )


@method_decorator(login_required, name="dispatch")
class MajorHazardNewView(View):
    """A new assessment: the unit and its lines; "calculate" shows the steps under the form, "save" keeps it."""

    def dispatch(self, request, *args, **kwargs):
        _mh_require(request.actor)  # login_required wraps this dispatch: the user is logged in here
        return super().dispatch(request, *args, **kwargs)

    def page(self, form, lines, *, result=None, status: int = 200):
        context = {"form": form, "lines": lines, **_mh_tables_context()}
        if result is not None:
            context.update(_mh_steps(result))
        return render(self.request, _MH + "form.html", context, status=status)

    def catalogue(self) -> dict:
        return forms.major_hazard_catalogue_choices(selectors.major_hazard_catalogue())

    def get(self, request):
        return self.page(forms.MajorHazardUnitForm(), forms.major_hazard_line_formset(catalogue=self.catalogue()))

    def post(self, request):
        catalogue = self.catalogue()
        if "add_line" in request.POST:  # nothing validated, nothing lost: the same rows and one more
            return self.page(
                forms.MajorHazardUnitForm(initial=request.POST.dict()),
                forms.major_hazard_line_formset(request.POST, catalogue=catalogue, add_line=True),
            )
        form = forms.MajorHazardUnitForm(request.POST)
        lines = forms.major_hazard_line_formset(request.POST, catalogue=catalogue)
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        if form_ok and lines_ok:
            # Show the catalogue's Q and β in the rows that left them blank: the values the calculation used.
            lines = forms.MajorHazardLineFormSet(
                lines.filled_data(), prefix="lines", form_kwargs={"catalogue": catalogue}
            )
            lines.is_valid()
            d = form.cleaned_data
            try:
                result = gb18218.assess(lines.lines(), d["people_exposed"])
                if "save" in request.POST:
                    assessment = services.hazard_source_assessment_create(
                        actor=request.actor,
                        name=d["name"],
                        unit_kind=d["unit_kind"],
                        people_exposed=d["people_exposed"],
                        lines=lines.lines(),
                    )
                    messages.success(request, _("Assessment saved: %(unit)s.") % {"unit": assessment.name})
                    return redirect("chemicals:major_hazard_detail", pk=assessment.pk)
            except gb18218.GB18218Error as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                _mh_errors_to_form(form, exc)
            else:
                return self.page(form, lines, result=result)
        messages.error(request, _("Please correct the errors below."))
        return self.page(form, lines, status=400)


class _MajorHazardRecordView(ScopedObjectMixin, View):
    model = HazardSourceAssessment

    def get_queryset(self):
        return selectors.major_hazard_assessments(self.request.actor)

    def record(self) -> tuple[HazardSourceAssessment, dict]:
        assessment = self.get_object()  # outsiders: 404 before anything else
        _mh_require(self.request.actor)
        lines = selectors.major_hazard_assessment_lines(assessment)
        context = {"assessment": assessment, "lines": lines}
        context.update(_mh_steps(_mh_record_result(assessment, lines)))
        context["grade_badge"] = tables.major_hazard_grade_badge(assessment.grade, assessment.is_major)
        return assessment, context

    def post(self, request, pk: int):
        self.get_object()  # an outsider's POST is a 404 like its GET
        return self.http_method_not_allowed(request)


@method_decorator(login_required, name="dispatch")
class MajorHazardDetailView(_MajorHazardRecordView):
    def get(self, request, pk: int):
        _assessment, context = self.record()
        return render(request, _MH + "detail.html", context)


@method_decorator(login_required, name="dispatch")
class MajorHazardPdfView(_MajorHazardRecordView):
    """The assessment record as a printable form (重大危险源辨识与分级记录)."""

    def get(self, request, pk: int):
        assessment, context = self.record()
        context["enterprise"] = request.actor.enterprise
        stamp = timezone.localtime(assessment.assessed_at).strftime("%Y%m%d")
        return pdf_response(
            _MH + "pdf.html",
            context,
            filename=f"{_('Major hazard source assessment')}-{assessment.name}-{stamp}.pdf",
            request=request,
        )


@method_decorator(login_required, name="dispatch")
class MajorHazardStoreListView(ExportableListMixin, View):
    """A university's physical stores and lab rooms, each with its "assess from live inventory" action."""

    export_filename = gettext_lazy("major-hazard-stores")

    @classmethod
    def build_list(cls, actor, params):
        _mh_require(actor)
        if not actor.enterprise.is_university:
            raise Http404
        filterset = filters.MajorHazardStoreFilter(params, queryset=selectors.major_hazard_stores(actor))
        return filterset, tables.MajorHazardStoreTable(filterset.qs)

    def get(self, request):
        from django_tables2.paginators import LazyPaginator

        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        RequestConfig(
            request, paginate={"per_page": MAJOR_HAZARD_PER_PAGE, "paginator_class": LazyPaginator}
        ).configure(table)
        return render(request, _MH + "stores.html", {"table": table, "filter": filterset})


@method_decorator(login_required, name="dispatch")
class MajorHazardStoreView(ScopedObjectMixin, View):
    """A university store assessed from its live inventory (GET: the steps; POST: save them as a snapshot)."""

    model = Store

    def get_queryset(self):
        return selectors.major_hazard_stores(self.request.actor)

    def page(self, store, form, *, status: int = 200):
        inventory = selectors.major_hazard_store_inventory(store)
        people = form.cleaned_data["people_exposed"] if form.is_bound and form.is_valid() else store.people_exposed
        context = {"store": store, "form": form, "inventory": inventory, **_mh_tables_context()}
        context.update(_mh_steps(gb18218.assess(inventory.lines, people)))
        return render(self.request, _MH + "store.html", context, status=status)

    def get(self, request, pk: int):
        store = self.get_object()
        _mh_require(request.actor)
        if "people_exposed" in request.GET:
            form = forms.MajorHazardPeopleForm(request.GET)
        else:
            form = forms.MajorHazardPeopleForm(initial={"people_exposed": store.people_exposed})
        return self.page(store, form, status=200 if not form.is_bound or form.is_valid() else 400)

    def post(self, request, pk: int):
        store = self.get_object()
        _mh_require(request.actor)
        form = forms.MajorHazardPeopleForm(request.POST)
        if form.is_valid():
            try:
                assessment = services.hazard_source_assessment_from_store(
                    actor=request.actor, store_id=store.pk, people_exposed=form.cleaned_data["people_exposed"]
                )
            except ValidationError as exc:
                _mh_errors_to_form(form, exc)
            else:
                messages.success(request, _("Snapshot saved: %(unit)s.") % {"unit": assessment.name})
                return redirect("chemicals:major_hazard_detail", pk=assessment.pk)
        messages.error(request, _("Please correct the errors below."))
        return self.page(store, form, status=400)


# ==== area: figures ====
# The figures page: four tables (per lab, per college, per chemical, stock-limit usage) in tabs, each exported to
# Excel on its own (``?by=<tab>&export=xlsx``), and bar charts of the per-lab and per-college kilograms.
FIGURE_TABS = {
    "lab": (tables.LabFiguresTable, "labs"),
    "college": (tables.CollegeFiguresTable, "colleges"),
    "chemical": (tables.ChemicalFiguresTable, "chemicals"),
    "limit": (tables.StockLimitTable, "limits"),
}
FIGURES_PER_PAGE = 50
FIGURES_CHART_BARS = 30  # the most active labs; the tables have them all


def _figures(actor, params) -> tuple[forms.FiguresForm, selectors.ChemicalFigures]:
    if not selectors.may_see_figures(actor):
        raise PermissionDenied
    form = forms.FiguresForm(params or None, actor=actor)
    return form, selectors.chemical_figures(actor, **form.selection())


def _figures_chart(rows: list[selectors.FigureRow]) -> dict:
    """Kilograms per measure for the rows with figures, the most active first."""
    rows = sorted(
        (row for row in rows if row.has_figures),
        key=lambda row: -sum(getattr(row, m) for m in selectors.FIGURE_MEASURES),
    )[:FIGURES_CHART_BARS]
    return {
        "labels": [row.label for row in rows],
        "series": {m: [float(round(getattr(row, m), 3)) for row in rows] for m in selectors.FIGURE_MEASURES},
    }


@method_decorator(login_required, name="dispatch")
class FiguresView(ExportableListMixin, View):
    """Purchased, issued, in stock, used and collected per lab, college and chemical over a date range (default:
    this year), and each lab's stock-limit usage. College administrators see their college's labs only."""

    @property
    def export_filename(self) -> str:
        return _("chemical-figures")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        form, figures = _figures(actor, params)
        by = params.get("by") if params.get("by") in FIGURE_TABS else "lab"
        table_class, attr = FIGURE_TABS[by]
        return form, table_class(getattr(figures, attr))

    def export_response(self, table):
        # Aggregated rows, a few hundred at most: always exported at once (the base class probes a queryset).
        audit.log_operation(
            actor=self.request.actor,
            action=OperationLog.Action.EXPORT,
            detail=f"{self.export_filename}: {self.request.GET.urlencode()}"[:2000],
        )
        return export_table(table, filename=self.export_filename)

    def get(self, request):
        actor = request.actor
        if request.GET.get("export") == "xlsx":
            _form, table = self.build_list(actor, request.GET)
            return self.export_response(table)
        form, figures = _figures(actor, request.GET)
        figure_tables = {}
        for key, (table_class, attr) in FIGURE_TABS.items():
            table = table_class(getattr(figures, attr), prefix=f"{key}-", testid=f"figures-{key}")
            RequestConfig(request, paginate={"per_page": FIGURES_PER_PAGE}).configure(table)
            figure_tables[key] = table
        # Paging through one table reloads the page on that table's tab.
        paged = next((key for key in FIGURE_TABS if f"{key}-page" in request.GET), None)
        tab = paged or (request.GET.get("tab") if request.GET.get("tab") in FIGURE_TABS else "lab")
        keep = request.GET.copy()
        for name in ("export", "by", "tab", *(f"{key}-page" for key in FIGURE_TABS)):
            keep.pop(name, None)
        return render(
            request,
            "chemicals/figures/figures.html",
            {
                "form": form,
                "figures": figures,
                "tables": figure_tables,
                "tab": tab,
                "keep": keep.urlencode(),
                "totals": [
                    {
                        "key": measure,
                        "label": label,
                        "quantity": tables.figure_quantity(getattr(figures.total, measure), "kg"),
                        "count": getattr(figures.total, f"{measure}_n"),
                    }
                    for measure, label, _count in tables.FIGURE_MEASURE_LABELS
                ],
                "chart": {
                    "data": {"lab": _figures_chart(figures.labs), "college": _figures_chart(figures.colleges)},
                    "text": {
                        "purchased": _("Purchased (kg)"),
                        "issued": _("Issued (kg)"),
                        "in_stock": _("In stock (kg)"),
                        "used": _("Used (kg)"),
                        "collected": _("Collected as waste (kg)"),
                    },
                },
            },
        )
