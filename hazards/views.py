from __future__ import annotations

# ==== area: risk ====
# isort: split
# Risk points (风险点库): the library with filters, Excel export and batch delete; a point's page, form (factors
# and measures) and re-grading; the shared library; Excel template / import / export and the import/export log;
# the enterprise risk grade; the printables (notice board, post card, control ledger, four-colour map) and the
# site plan. Enterprise side only: outsiders' ids are 404 (scoped selectors), insiders without the feature 403.
import base64 as _rk_base64  # noqa: E402
import io as _rk_io  # noqa: E402

from django.contrib import messages as _rk_messages  # noqa: E402
from django.contrib.auth.decorators import login_required as _rk_login_required  # noqa: E402
from django.core.exceptions import PermissionDenied as _RkPermissionDenied  # noqa: E402
from django.core.exceptions import ValidationError as _RkValidationError  # noqa: E402
from django.http import FileResponse as _RkFileResponse  # noqa: E402
from django.http import Http404 as _RkHttp404  # noqa: E402
from django.http import HttpResponse as _RkHttpResponse  # noqa: E402
from django.http import JsonResponse as _RkJsonResponse  # noqa: E402
from django.shortcuts import redirect as _rk_redirect  # noqa: E402
from django.shortcuts import render as _rk_render  # noqa: E402
from django.template.loader import render_to_string as _rk_render_to_string  # noqa: E402
from django.urls import Resolver404 as _RkResolver404  # noqa: E402
from django.urls import resolve as _rk_resolve  # noqa: E402
from django.urls import reverse as _rk_reverse  # noqa: E402
from django.utils import timezone as _rk_timezone  # noqa: E402
from django.utils import translation as _rk_tr  # noqa: E402
from django.utils.decorators import method_decorator as _rk_method_decorator  # noqa: E402
from django.views import View as _RkView  # noqa: E402
from django_tables2 import RequestConfig as _RkRequestConfig  # noqa: E402
from django_tables2.paginators import LazyPaginator as _RkLazyPaginator  # noqa: E402

from enterprises import image_uploads as _rk_image_uploads  # noqa: E402
from enterprises import scans as _rk_scans  # noqa: E402
from safety import qr as _rk_qr  # noqa: E402
from safety.exports import EXCEL_MIME as _RK_EXCEL_MIME  # noqa: E402
from safety.views import ExportableListMixin as _RkExportableListMixin  # noqa: E402
from safety.views import ScopedObjectMixin as _RkScopedObjectMixin  # noqa: E402

from . import grading as _rk_grading  # noqa: E402
from . import risk_excel as _rk_excel  # noqa: E402
from . import selectors as _rk_selectors  # noqa: E402
from . import services as _rk_services  # noqa: E402
from .filters import RiskPointFilter as _RkPointFilter  # noqa: E402
from .filters import RiskSharedPointFilter as _RkSharedFilter  # noqa: E402
from .filters import RiskTransferLogFilter as _RkTransferLogFilter  # noqa: E402
from .forms import EnterpriseRiskGradeForm as _RkGradeForm  # noqa: E402
from .forms import RiskCopyForm as _RkCopyForm  # noqa: E402
from .forms import RiskFactorEditor as _RkFactorEditor  # noqa: E402
from .forms import RiskImportForm as _RkImportForm  # noqa: E402
from .forms import RiskPointForm as _RkPointForm  # noqa: E402
from .forms import RiskPositionForm as _RkPositionForm  # noqa: E402
from .forms import RiskRegradeForm as _RkRegradeForm  # noqa: E402
from .forms import RiskSitePlanForm as _RkSitePlanForm  # noqa: E402
from .models import RISK_LEVEL_COLOUR as _RK_LEVEL_COLOUR  # noqa: E402
from .models import ControlMeasure as _RkControlMeasure  # noqa: E402
from .models import EnterpriseRiskGrade as _RkEnterpriseRiskGrade  # noqa: E402
from .models import RiskLevel as _RkRiskLevel  # noqa: E402
from .models import RiskPoint as _RkRiskPoint  # noqa: E402
from .tables import RISK_LEVEL_HEX as _RK_LEVEL_HEX  # noqa: E402
from .tables import RISK_LEVEL_TEXT_HEX as _RK_LEVEL_TEXT_HEX  # noqa: E402
from .tables import EnterpriseRiskGradeTable as _RkGradeTable  # noqa: E402
from .tables import RiskPointTable as _RkPointTable  # noqa: E402
from .tables import RiskSharedPointTable as _RkSharedTable  # noqa: E402
from .tables import RiskTransferLogTable as _RkTransferLogTable  # noqa: E402

_RK_TEMPLATES = "hazards/risk/"
_RK_IMPORT_REPORT_KEY = "risk_import_report"


def _rk_require_view(actor) -> None:
    if not _rk_selectors.risk_may_view(actor):
        raise _RkPermissionDenied(_rk_tr.gettext("You do not have permission for this page."))


def _rk_require_manage(actor) -> None:
    if not _rk_selectors.risk_may_manage(actor):
        raise _RkPermissionDenied(_rk_tr.gettext("You may not manage this enterprise's risk points."))


def _rk_errors_to_form(form, exc: _RkValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _rk_list_page(request, table, template: str, context: dict, per_page: int = 25):
    _RkRequestConfig(request, paginate={"per_page": per_page, "paginator_class": _RkLazyPaginator}).configure(table)
    return _rk_render(request, _RK_TEMPLATES + template, {"table": table, **context})


def _rk_stamp() -> str:
    return _rk_timezone.localtime().strftime("%Y%m%d-%H%M")


class _RkObjectGetOnly:
    """Object views without a POST: an outsider's POST is a 404 (object first), an insider's a 405."""

    def post(self, request, *args, **kwargs):
        self.get_object()
        return self.http_method_not_allowed(request, *args, **kwargs)


class _RkPointObject(_RkScopedObjectMixin):
    model = _RkRiskPoint

    def get_queryset(self):
        return _rk_selectors.risk_points_for_actor(self.request.actor)


# ---- the library ----


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointListView(_RkExportableListMixin, _RkView):
    """风险点库: filters, Excel export (the table; the library in the template's format is ``risk_export``), and
    the selection for batch delete."""

    export_filename = _rk_tr.gettext_lazy("risk-points")

    @classmethod
    def build_list(cls, actor, params):
        _rk_require_view(actor)
        filterset = _RkPointFilter(params, queryset=_rk_selectors.risk_point_list(actor), actor=actor)
        return filterset, _RkPointTable(filterset.qs, manage=_rk_selectors.risk_may_manage(actor))

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            response = self.export_response(table)  # a file, or a background job for a big library
            _rk_services.risk_record_export(
                actor=request.actor,
                subject=_rk_services.RISK_SUBJECT_LIST,
                rows=filterset.qs.count(),
                file_name=str(self.export_filename),
            )
            return response
        return _rk_list_page(
            request,
            table,
            "point_list.html",
            {"filter": filterset, "can_manage": _rk_selectors.risk_may_manage(request.actor)},
        )


def _rk_factor_rows_page(request, template: str, context: dict, status: int = 200):
    return _rk_render(request, _RK_TEMPLATES + template, context, status=status)


class _RkPointFormPage(_RkView):
    template = "point_form.html"

    def page(self, form, editor, point=None, status: int = 200):
        return _rk_factor_rows_page(
            self.request,
            self.template,
            {
                "form": form,
                "editor": editor,
                "point": point,
                "bands": _rk_bands_help(self.request.actor),
            },
            status,
        )

    def save(self, form, editor, point=None):
        """Validate both, then the service; returns a response (redirect on success, the page otherwise)."""
        if editor.grown:  # "add a factor / measure": show the page again, nothing saved, nothing lost, no errors
            unbound = type(form)(initial=self.request.POST.dict(), actor=self.request.actor)
            return self.page(unbound, editor, point)
        form_ok, editor_ok = form.is_valid(), editor.is_valid()
        if form_ok and editor_ok:
            try:
                if point is None:
                    point = _rk_services.risk_point_create(
                        actor=self.request.actor,
                        details=form.details(),
                        factors=editor.factor_inputs(),
                        grading=form.grading_input(),
                    )
                    _rk_messages.success(
                        self.request, _rk_tr.gettext("Risk point added: %(point)s.") % {"point": point}
                    )
                else:
                    point = _rk_services.risk_point_update(
                        actor=self.request.actor,
                        point_id=point.pk,
                        details=form.details(),
                        factors=editor.factor_inputs(),
                        grading=form.grading_input(),
                    )
                    _rk_messages.success(
                        self.request, _rk_tr.gettext("Risk point saved: %(point)s.") % {"point": point}
                    )
                return _rk_redirect("hazards:risk_point_detail", pk=point.pk)
            except _RkValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
                editor.errors.extend(errors.pop("factors", []))  # the factors' problems show above the factors
                for field, messages in errors.items():
                    form.add_error(field if field in form.fields else None, messages)
        return self.page(form, editor, point, status=400)


def _rk_bands_help(actor) -> list[tuple[str, list[tuple[str, str]]]]:
    """The bands in force for the actor's enterprise, per method: shown next to the grading fields."""
    enterprise = actor.enterprise
    if enterprise is None:
        return []
    levels = dict(_RkRiskLevel.choices)
    return [
        (
            method.upper(),
            [
                (levels[level], text)
                for level, text in _rk_grading.describe_bands(
                    method, _rk_grading.bands_for_enterprise(enterprise, method)
                )
            ],
        )
        for method in ("lec", "ls")
    ]


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointCreateView(_RkPointFormPage):
    def dispatch(self, request, *args, **kwargs):
        _rk_require_manage(request.actor)  # login_required wraps this dispatch: the user is logged in here
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.page(_RkPointForm(actor=request.actor, initial={"method": "lec"}), _RkFactorEditor())

    def post(self, request):
        return self.save(_RkPointForm(request.POST, actor=request.actor), _RkFactorEditor(request.POST))


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointEditView(_RkPointObject, _RkPointFormPage):
    def get_point(self) -> _RkRiskPoint:
        point = self.get_object()  # 404 for outsiders before the permission check (403 for insiders)
        _rk_require_manage(self.request.actor)
        return point

    def get(self, request, pk: int):
        point = self.get_point()
        point = _rk_selectors.risk_points_with_factors(_rk_selectors.risk_points_for_actor(request.actor)).get(
            pk=point.pk
        )
        form = _RkPointForm(actor=request.actor, initial=_RkPointForm.initial_for(point))
        return self.page(form, _RkFactorEditor(initial=_RkFactorEditor.initial_for(point)), point)

    def post(self, request, pk: int):
        point = self.get_point()
        return self.save(_RkPointForm(request.POST, actor=request.actor), _RkFactorEditor(request.POST), point)


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointDetailView(_RkObjectGetOnly, _RkPointObject, _RkView):
    def get(self, request, pk: int):
        self.get_object()
        _rk_require_view(request.actor)
        point = _rk_selectors.risk_points_with_factors(_rk_selectors.risk_points_for_actor(request.actor)).get(pk=pk)
        check_url = risk_check_url(request, point)
        return _rk_render(
            request,
            _RK_TEMPLATES + "point_detail.html",
            {
                "point": point,
                "gradings": _rk_selectors.risk_point_gradings(point),
                "can_manage": _rk_selectors.risk_may_manage(request.actor),
                "qr": _rk_qr.qr_svg_data_uri(check_url),
                "check_url": check_url,
                "level_style": _rk_level_style(point.level),
            },
        )


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointRegradeView(_RkPointObject, _RkView):
    def get_point(self) -> _RkRiskPoint:
        point = self.get_object()
        _rk_require_manage(self.request.actor)
        return point

    def page(self, form, point, status: int = 200):
        return _rk_render(
            self.request,
            _RK_TEMPLATES + "regrade.html",
            {"form": form, "point": point, "bands": _rk_bands_help(self.request.actor)},
            status=status,
        )

    def get(self, request, pk: int):
        point = self.get_point()
        return self.page(_RkRegradeForm(initial=_RkRegradeForm.initial_for(point)), point)

    def post(self, request, pk: int):
        point = self.get_point()
        form = _RkRegradeForm(request.POST)
        if form.is_valid():
            try:
                record = _rk_services.risk_point_regrade(
                    actor=request.actor, point_id=point.pk, grading=form.grading_input()
                )
            except _RkValidationError as exc:
                _rk_errors_to_form(form, exc)
            else:
                _rk_messages.success(
                    request,
                    _rk_tr.gettext("Re-graded: %(point)s is now %(level)s.")
                    % {"point": point, "level": record.get_level_display()},
                )
                return _rk_redirect("hazards:risk_point_detail", pk=point.pk)
        return self.page(form, point, status=400)


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointBatchDeleteView(_RkView):
    """Batch delete: the list's selection comes here, is shown for confirmation, and is deleted on confirm."""

    def get(self, request):
        return _rk_redirect("hazards:risk_point_list")

    def post(self, request):
        _rk_require_manage(request.actor)
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
        points = list(
            _rk_selectors.risk_points_for_actor(request.actor).filter(pk__in=ids).select_related("department")
        )
        if not points:
            _rk_messages.info(request, _rk_tr.gettext("Select the risk points to delete first."))
            return _rk_redirect("hazards:risk_point_list")
        errors: list[str] = []
        if request.POST.get("confirm") == "1":
            try:
                names = _rk_services.risk_points_delete(actor=request.actor, point_ids=[p.pk for p in points])
            except _RkValidationError as exc:
                errors = exc.messages
            else:
                _rk_messages.success(
                    request,
                    _rk_tr.ngettext("Deleted %(n)d risk point.", "Deleted %(n)d risk points.", len(names))
                    % {"n": len(names)},
                )
                return _rk_redirect("hazards:risk_point_list")
        blocked = _rk_selectors.risk_points_in_use(points)
        return _rk_render(
            request,
            _RK_TEMPLATES + "confirm_delete.html",
            {"points": points, "errors": errors, "blocked": blocked},
            status=400 if errors else 200,
        )


# ---- shared library, Excel ----


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskSharedLibraryView(_RkExportableListMixin, _RkView):
    """Typical risk points of the enterprise's industry, to copy into its library (引用系统选项)."""

    export_filename = _rk_tr.gettext_lazy("shared-risk-points")

    @classmethod
    def build_list(cls, actor, params):
        _rk_require_manage(actor)
        enterprise = actor.enterprise
        bands = {m: _rk_grading.bands_for_enterprise(enterprise, m) for m in ("lec", "ls")}
        filterset = _RkSharedFilter(params, queryset=_rk_selectors.risk_shared_points(actor))
        return filterset, _RkSharedTable(filterset.qs, bands=bands)

    def page(self, form, status: int = 200):
        filterset, table = self.build_list(self.request.actor, self.request.GET)
        _RkRequestConfig(self.request, paginate={"per_page": 50, "paginator_class": _RkLazyPaginator}).configure(table)
        return _rk_render(
            self.request,
            _RK_TEMPLATES + "shared_library.html",
            {
                "table": table,
                "filter": filterset,
                "form": form,
                "industry": self.request.actor.enterprise.get_industry_display(),
            },
            status=status,
        )

    def get(self, request):
        _rk_require_manage(request.actor)
        if request.GET.get("export") == "xlsx":
            return self.export_response(self.build_list(request.actor, request.GET)[1])
        return self.page(_RkCopyForm(actor=request.actor))

    def post(self, request):
        _rk_require_manage(request.actor)
        form = _RkCopyForm(request.POST, actor=request.actor)
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
        if form.is_valid():
            try:
                result = _rk_services.risk_points_copy_shared(
                    actor=request.actor, shared_ids=ids, department=form.cleaned_data.get("department")
                )
            except _RkValidationError as exc:
                _rk_errors_to_form(form, exc)
            else:
                if result.created:
                    _rk_messages.success(
                        request,
                        _rk_tr.ngettext(
                            "Copied %(n)d risk point into your library.",
                            "Copied %(n)d risk points into your library.",
                            len(result.created),
                        )
                        % {"n": len(result.created)},
                    )
                if result.skipped:
                    _rk_messages.warning(
                        request,
                        _rk_tr.gettext("Already in your library, not copied again: %(names)s.")
                        % {"names": "、".join(result.skipped)},
                    )
                return _rk_redirect("hazards:risk_point_list")
        return self.page(form, status=400)


@_rk_login_required
def risk_import_template(request):
    _rk_require_manage(request.actor)
    departments = _rk_excel.Departments(list(_rk_selectors.risk_departments(request.actor).order_by("order", "name")))
    enterprise = request.actor.enterprise
    content = _rk_excel.template_workbook(
        department_labels=[departments.label(d) for d in departments.departments],
        bands={m: _rk_grading.bands_for_enterprise(enterprise, m) for m in ("lec", "ls")},
    )
    response = _RkHttpResponse(content, content_type=_RK_EXCEL_MIME)
    response["Content-Disposition"] = 'attachment; filename="risk-point-template.xlsx"'
    return response


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskImportView(_RkView):
    """Upload a filled-in template: all rows go in or none, every problem listed (and as Excel)."""

    def page(self, form, result=None, status: int = 200):
        return _rk_render(
            self.request,
            _RK_TEMPLATES + "import.html",
            {"form": form, "result": result, "max_rows": _rk_excel.max_rows()},
            status=status,
        )

    def get(self, request):
        _rk_require_manage(request.actor)
        return self.page(_RkImportForm())

    def post(self, request):
        _rk_require_manage(request.actor)
        form = _RkImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(form, status=400)
        upload = form.cleaned_data["file"]
        try:
            result = _rk_services.risk_points_import(actor=request.actor, upload=upload, filename=upload.name)
        except _RkValidationError as exc:
            _rk_errors_to_form(form, exc)
            return self.page(form, status=400)
        if result.errors:
            request.session[_RK_IMPORT_REPORT_KEY] = {
                "headers": result.sheet.headers,
                "rows": [[n, [_rk_excel.jsonable(v) for v in values]] for n, values in result.sheet.rows],
                "errors": [[e.row, e.column, e.message] for e in result.errors],
            }
            return self.page(_RkImportForm(), result, status=400)
        request.session.pop(_RK_IMPORT_REPORT_KEY, None)
        _rk_messages.success(request, _rk_tr.gettext("Imported %(n)d risk points.") % {"n": result.created})
        return _rk_redirect("hazards:risk_point_list")


@_rk_login_required
def risk_import_report(request):
    """The last failed import's rows with an Errors column, to fix in Excel and upload again."""
    _rk_require_manage(request.actor)
    report = request.session.get(_RK_IMPORT_REPORT_KEY)
    if not report:
        _rk_messages.info(request, _rk_tr.gettext("There is no import error report to download."))
        return _rk_redirect("hazards:risk_import")
    content = _rk_excel.report_workbook(
        headers=report["headers"],
        rows=[(n, values) for n, values in report["rows"]],
        errors=[_rk_excel.RowError(row, column, message) for row, column, message in report["errors"]],
    )
    response = _RkHttpResponse(content, content_type=_RK_EXCEL_MIME)
    response["Content-Disposition"] = 'attachment; filename="risk-point-import-errors.xlsx"'
    return response


def _rk_filtered_points(request):
    """The library as the list's filters select it, with factors and measures (export and printables)."""
    actor = request.actor
    filterset = _RkPointFilter(request.GET, queryset=_rk_selectors.risk_points_for_actor(actor), actor=actor)
    return _rk_selectors.risk_points_with_factors(filterset.qs).order_by("name", "place", "pk")


@_rk_login_required
def risk_export(request):
    """The library (as filtered) in the import template's format: it imports again as it is."""
    _rk_require_view(request.actor)
    points = _rk_filtered_points(request)
    departments = _rk_excel.Departments(list(_rk_selectors.risk_departments(request.actor)))
    spool = _rk_io.BytesIO()
    rows = _rk_excel.export_workbook(spool, points, departments)
    filename = f"risk-point-library-{_rk_stamp()}.xlsx"
    _rk_services.risk_record_export(
        actor=request.actor, subject=_rk_services.RISK_SUBJECT_LIBRARY, rows=rows, file_name=filename
    )
    response = _RkHttpResponse(spool.getvalue(), content_type=_RK_EXCEL_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskTransferLogView(_RkExportableListMixin, _RkView):
    """导入日志: every import, export and copy from the shared library."""

    export_filename = _rk_tr.gettext_lazy("risk-import-export-log")

    @classmethod
    def build_list(cls, actor, params):
        _rk_require_view(actor)
        filterset = _RkTransferLogFilter(params, queryset=_rk_selectors.risk_transfer_logs(actor))
        return filterset, _RkTransferLogTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _rk_list_page(request, table, "transfer_log.html", {"filter": filterset})


# ---- enterprise risk grade ----


@_rk_method_decorator(_rk_login_required, name="dispatch")
class EnterpriseRiskGradeView(_RkExportableListMixin, _RkView):
    """企业风险等级: the current grade (the latest), its history, and the form to set a new one."""

    export_filename = _rk_tr.gettext_lazy("enterprise-risk-grades")

    @classmethod
    def build_list(cls, actor, params):
        _rk_require_view(actor)
        return None, _RkGradeTable(_rk_selectors.risk_enterprise_grades(actor))

    def page(self, form, status: int = 200):
        actor = self.request.actor
        _filter, table = self.build_list(actor, self.request.GET)
        _RkRequestConfig(self.request, paginate={"per_page": 25, "paginator_class": _RkLazyPaginator}).configure(table)
        return _rk_render(
            self.request,
            _RK_TEMPLATES + "grade.html",
            {
                "table": table,
                "current": _rk_selectors.risk_enterprise_grades(actor).order_by("-set_at", "-pk").first(),
                "form": form if _rk_selectors.risk_may_manage(actor) else None,
            },
            status=status,
        )

    def get(self, request):
        if request.GET.get("export") == "xlsx":
            _filter, table = self.build_list(request.actor, request.GET)
            return self.export_response(table)
        _rk_require_view(request.actor)
        return self.page(_RkGradeForm())

    def post(self, request):
        _rk_require_manage(request.actor)
        form = _RkGradeForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = _rk_services.risk_enterprise_grade_set(
                    actor=request.actor,
                    grade=form.cleaned_data["grade"],
                    basis=form.cleaned_data["basis"],
                    attachment=form.cleaned_data.get("attachment"),
                )
            except _RkValidationError as exc:
                _rk_errors_to_form(form, exc)
            else:
                _rk_messages.success(
                    request, _rk_tr.gettext("Enterprise risk grade set: %(grade)s.") % {"grade": row.grade}
                )
                return _rk_redirect("hazards:risk_grade")
        return self.page(form, status=400)


@_rk_method_decorator(_rk_login_required, name="dispatch")
class EnterpriseRiskGradeAttachmentView(_RkObjectGetOnly, _RkScopedObjectMixin, _RkView):
    """The attachment, only through here (never a public media URL)."""

    model = _RkEnterpriseRiskGrade

    def get_queryset(self):
        return _rk_selectors.risk_enterprise_grades(self.request.actor)

    def get(self, request, pk: int):
        row = self.get_object()
        _rk_require_view(request.actor)
        if not row.attachment:
            raise _RkHttp404
        name = row.attachment.name
        try:
            handle = row.attachment.open("rb")
        except FileNotFoundError:
            raise _RkHttp404 from None
        ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        response = _RkFileResponse(
            handle,
            content_type=_rk_scans.content_type_for(name),
            as_attachment=request.GET.get("download") == "1",
            filename=f"risk-grade-{row.grade}-{row.set_at:%Y%m%d}{ext}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# ---- printables ----


def risk_check_url(request, point: _RkRiskPoint) -> str:
    """The checklist URL the point's QR code carries (/hazards/check/<token>/, built by the lists area)."""
    path = f"/hazards/check/{point.qr_token}/"
    try:
        match = _rk_resolve(path)
        path = _rk_reverse(match.view_name, kwargs=match.kwargs)
    except _RkResolver404:
        pass  # the checklist page is not there (yet): the printed code stays valid once it is
    return request.build_absolute_uri(path) if request is not None else path


def _rk_level_style(level: str) -> dict:
    if not level:
        return {"bg": "#888888", "fg": "#ffffff", "label": _rk_tr.gettext("Not graded"), "colour": ""}
    colour = _RK_LEVEL_COLOUR[level]
    return {
        "bg": _RK_LEVEL_HEX[colour],
        "fg": _RK_LEVEL_TEXT_HEX[colour],
        "label": _RkRiskLevel(level).label,
        "colour": colour,
    }


def risk_board(request, point: _RkRiskPoint) -> dict:
    """What a notice board or post card shows of one point (its factors and measures prefetched)."""
    factors = list(point.factors.all())
    measures = [m for f in factors for m in f.measures.all()]
    check_url = risk_check_url(request, point)
    return {
        "point": point,
        "level": _rk_level_style(point.level),
        "factors": factors,
        "controls": [
            m for m in measures if m.kind not in (_RkControlMeasure.Kind.EMERGENCY, _RkControlMeasure.Kind.PPE)
        ],
        "ppe": [m for m in measures if m.kind == _RkControlMeasure.Kind.PPE],
        "emergency": [m for m in measures if m.kind == _RkControlMeasure.Kind.EMERGENCY],
        "qr": _rk_qr.qr_svg_data_uri(check_url, scale=5),
        "check_url": check_url,
    }


def risk_board_context(request, points) -> dict:
    return {"boards": [risk_board(request, p) for p in points], "enterprise": request.actor.enterprise}


def _rk_pdf(request, template: str, context: dict, filename: str):
    from safety.pdf import pdf_response

    return pdf_response(_RK_TEMPLATES + template, context, filename=filename, request=request)


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointBoardPdfView(_RkObjectGetOnly, _RkPointObject, _RkView):
    """风险告知牌 of one point: level and colour band, factors, measures, emergency measures, QR code."""

    template = "pdf/board.html"
    filename = "risk-notice-board"

    def get(self, request, pk: int):
        self.get_object()
        _rk_require_view(request.actor)
        points = _rk_selectors.risk_points_with_factors(
            _rk_selectors.risk_points_for_actor(request.actor).filter(pk=pk)
        )
        return _rk_pdf(request, self.template, risk_board_context(request, points), f"{self.filename}-{pk}.pdf")


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointCardPdfView(RiskPointBoardPdfView):
    """岗位风险告知卡 of one point (a post, usually)."""

    template = "pdf/card.html"
    filename = "post-risk-card"


@_rk_login_required
def risk_boards_pdf(request):
    """Notice boards of every point the list's filters select (e.g. one place), a page each."""
    _rk_require_view(request.actor)
    points = list(_rk_filtered_points(request)[:500])
    if not points:
        _rk_messages.info(request, _rk_tr.gettext("No risk points match: nothing to print."))
        return _rk_redirect("hazards:risk_point_list")
    return _rk_pdf(request, "pdf/board.html", risk_board_context(request, points), "risk-notice-boards.pdf")


def risk_ledger_context(request, points) -> dict:
    return {
        "enterprise": request.actor.enterprise,
        "points": [{"point": p, "level": _rk_level_style(p.level), "factors": list(p.factors.all())} for p in points],
    }


@_rk_login_required
def risk_ledger_pdf(request):
    """风险管控台账: every point (as filtered) with its factors, measures and level; landscape A4."""
    _rk_require_view(request.actor)
    points = _rk_filtered_points(request)
    return _rk_pdf(request, "pdf/ledger.html", risk_ledger_context(request, points), "risk-control-ledger.pdf")


# ---- four-colour risk map ----


def _rk_plan_data_uri(plan) -> str:
    """The site plan inline (PDFs fetch nothing but static files and data URIs)."""
    with plan.image.open("rb") as handle:
        data = handle.read()
    ctype = _rk_image_uploads.content_type_for(plan.image.name)
    return f"data:{ctype};base64,{_rk_base64.b64encode(data).decode('ascii')}"


def risk_map_context(request, *, for_pdf: bool = False) -> dict:
    actor = request.actor
    plan = _rk_selectors.risk_site_plan(actor)
    points = list(_rk_selectors.risk_points_for_actor(actor).select_related("department").order_by("name", "pk"))
    placed = [p for p in points if p.map_x is not None and p.map_y is not None]
    image = None
    if plan is not None:
        try:
            image = _rk_plan_data_uri(plan) if for_pdf else _rk_reverse("hazards:risk_site_plan_image")
        except FileNotFoundError:
            image = None
    counts = {level: 0 for level in _RkRiskLevel.values}
    for p in points:
        if p.level:
            counts[p.level] += 1
    return {
        "enterprise": actor.enterprise,
        "plan": plan,
        "image": image,
        "points": [{"point": p, "level": _rk_level_style(p.level)} for p in points],
        "placed": [{"point": p, "level": _rk_level_style(p.level)} for p in placed],
        "legend": [(_rk_level_style(level), counts[level]) for level in _RkRiskLevel.values],
    }


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskMapView(_RkView):
    """四色风险分布图: the site plan with the points coloured by level; managers upload the plan and place points
    by clicking on it (static/js/risk_map.js; the per-point form below works without JavaScript)."""

    def page(self, form=None, status: int = 200):
        actor = self.request.actor
        context = risk_map_context(self.request)
        context["can_manage"] = _rk_selectors.risk_may_manage(actor)
        context["form"] = form or (_RkSitePlanForm() if context["can_manage"] else None)
        return _rk_render(self.request, _RK_TEMPLATES + "map.html", context, status=status)

    def get(self, request):
        _rk_require_view(request.actor)
        return self.page()

    def post(self, request):
        _rk_require_manage(request.actor)
        form = _RkSitePlanForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                _rk_services.risk_site_plan_upload(actor=request.actor, image=form.cleaned_data["image"])
            except _RkValidationError as exc:
                _rk_errors_to_form(form, exc)
            else:
                _rk_messages.success(request, _rk_tr.gettext("Site plan uploaded: now place the risk points on it."))
                return _rk_redirect("hazards:risk_map")
        return self.page(form, status=400)


@_rk_login_required
def risk_site_plan_image(request):
    """The actor's enterprise's site plan, served through its scope (never a public media URL)."""
    _rk_require_view(request.actor)
    plan = _rk_selectors.risk_site_plan(request.actor)
    if plan is None or not plan.image:
        raise _RkHttp404
    try:
        handle = plan.image.open("rb")
    except FileNotFoundError:
        raise _RkHttp404 from None
    response = _RkFileResponse(handle, content_type=_rk_image_uploads.content_type_for(plan.image.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


@_rk_login_required
def risk_map_pdf(request):
    _rk_require_view(request.actor)
    return _rk_pdf(request, "pdf/map.html", risk_map_context(request, for_pdf=True), "four-colour-risk-map.pdf")


@_rk_method_decorator(_rk_login_required, name="dispatch")
class RiskPointPositionView(_RkPointObject, _RkView):
    """Place a point on the site plan (POST x, y in %; empty to take it off): JSON for the map's script, a
    redirect back to the map for the plain form."""

    http_method_names = ["post"]  # a GET is refused (405) for everyone, before the object is read

    def post(self, request, pk: int):
        point = self.get_object()
        _rk_require_manage(request.actor)
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        form = _RkPositionForm(request.POST)
        error = None
        if form.is_valid():
            try:
                point = _rk_services.risk_point_set_position(
                    actor=request.actor, point_id=point.pk, x=form.cleaned_data.get("x"), y=form.cleaned_data.get("y")
                )
            except _RkValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = " ".join(m for errors in form.errors.values() for m in errors)
        if wants_json:
            if error:
                return _RkJsonResponse({"error": error}, status=400)
            return _RkJsonResponse(
                {"id": point.pk, "x": _rk_grading.format_value(point.map_x), "y": _rk_grading.format_value(point.map_y)}
            )
        if error:
            _rk_messages.error(request, error)
        else:
            _rk_messages.success(request, _rk_tr.gettext("Position saved: %(point)s.") % {"point": point})
        return _rk_redirect("hazards:risk_map")


def risk_render_printable(template: str, context: dict, request=None) -> str:
    """The HTML a printable's PDF is made from (tests read it)."""
    return _rk_render_to_string(
        _RK_TEMPLATES + template, {"generated_at": _rk_timezone.localtime(), **context}, request=request
    )


# ==== area: lists ====
# isort: split
# Risk lists: the enterprise's list, form (new, edit, copy), page with the workflow actions the actor may take,
# preview and PDF; the government's filing queue and page. Inspections: the QR checklist on a phone, the task
# list, a task's result page (with hazard registration for each failed item) and the figures with history.
import uuid as _ls_uuid  # noqa: E402
from urllib.parse import urlencode as _ls_urlencode  # noqa: E402

from django.contrib import messages as _ls_messages  # noqa: E402
from django.contrib.auth.decorators import login_required as _ls_login_required  # noqa: E402
from django.core import exceptions as _ls_exceptions  # noqa: E402
from django.db.models import Count as _LsCount  # noqa: E402
from django.http import Http404 as _LsHttp404  # noqa: E402
from django.shortcuts import redirect as _ls_redirect  # noqa: E402
from django.shortcuts import render as _ls_render  # noqa: E402
from django.urls import NoReverseMatch as _LsNoReverseMatch  # noqa: E402
from django.urls import reverse as _ls_reverse  # noqa: E402
from django.utils import timezone as _ls_timezone  # noqa: E402
from django.utils import translation as _ls_tr  # noqa: E402
from django.utils.decorators import method_decorator as _ls_method_decorator  # noqa: E402
from django.views import View as _LsView  # noqa: E402
from django_tables2 import RequestConfig as _LsRequestConfig  # noqa: E402
from django_tables2.paginators import LazyPaginator as _LsLazyPaginator  # noqa: E402

from approvals import audit as _ls_audit  # noqa: E402
from approvals.engine import TransitionRefused as _LsTransitionRefused  # noqa: E402
from approvals.models import OperationLog as _LsOperationLog  # noqa: E402
from approvals.selectors import review_records_for as _ls_review_records_for  # noqa: E402
from enterprises.models import Department as _LsDepartment  # noqa: E402
from safety import exports as _ls_exports  # noqa: E402
from safety import pdf as _ls_pdf  # noqa: E402
from safety import views as _ls_safety_views  # noqa: E402

from . import list_figures as _ls_figures  # noqa: E402
from . import list_rules as _ls_rules  # noqa: E402
from . import selectors as _ls_selectors  # noqa: E402
from . import services as _ls_services  # noqa: E402
from .filters import GovRiskListFilter, InspectionTaskFilter, RiskListFilter  # noqa: E402
from .forms import (  # noqa: E402
    ChecklistForm,
    FiguresForm,
    RiskListDecisionForm,
    RiskListForm,
    RiskListReturnForm,
)
from .models import RISK_LEVEL_COLOUR as _LS_RISK_LEVEL_COLOUR  # noqa: E402
from .models import InspectionTask as _LsInspectionTask  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402
from .tables import (  # noqa: E402
    GovRiskListTable,
    InspectionTaskTable,
    RiskListTable,
    inspection_status_badge,
    risk_list_frequency,
    risk_list_status_badge,
)

LISTS_PER_PAGE = 25


def _ls_errors_to_form(form, exc: _ls_exceptions.ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _ls_denied() -> _ls_exceptions.PermissionDenied:
    return _ls_exceptions.PermissionDenied(_ls_tr.gettext("You do not have permission for this page."))


def _ls_list_page(request, table, template: str, context: dict):
    _LsRequestConfig(request, paginate={"per_page": LISTS_PER_PAGE, "paginator_class": _LsLazyPaginator}).configure(
        table
    )
    return _ls_render(request, template, {"table": table, **context})


def _ls_items_context(risk_list: _LsRiskList) -> dict:
    """The list's points with their factors and measures, as the page, the preview and the PDF show them."""
    items = _ls_selectors.risk_list_items(risk_list)
    return {
        "risk_list": risk_list,
        "items": items,
        "frequency": risk_list_frequency(risk_list),
        "status_badge": risk_list_status_badge(risk_list),
        "level_colours": {str(k): v for k, v in _LS_RISK_LEVEL_COLOUR.items()},
    }


@_ls_method_decorator(_ls_login_required, name="dispatch")
class RiskListListView(_ls_safety_views.ExportableListMixin, _LsView):
    """The enterprise's risk lists, any status."""

    export_filename = _ls_tr.gettext_lazy("risk-lists")

    @classmethod
    def build_list(cls, actor, params):
        if not _ls_selectors.risk_list_may_view(actor):
            raise _ls_denied()
        qs = _ls_selectors.risk_lists_for_enterprise(actor).annotate(items_count=_LsCount("items"))
        filterset = RiskListFilter(params, queryset=qs, enterprise_id=actor.enterprise.pk)
        return filterset, RiskListTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ls_list_page(
            request,
            table,
            "hazards/lists/list.html",
            {"filter": filterset, "may_manage": _ls_selectors.risk_list_may_manage(request.actor)},
        )


class _RiskListFormMixin:
    def _page(self, request, form, risk_list=None, copied_from=None, status: int = 200):
        return _ls_render(
            request,
            "hazards/lists/form.html",
            {"form": form, "risk_list": risk_list, "copied_from": copied_from},
            status=status,
        )


@_ls_method_decorator(_ls_login_required, name="dispatch")
class RiskListCreateView(_RiskListFormMixin, _LsView):
    """A new list; ``?copy_from=<id>`` starts from another list of the enterprise (its settings and items)."""

    def dispatch(self, request, *args, **kwargs):
        if not _ls_selectors.risk_list_may_manage(request.actor):
            raise _ls_denied()
        return super().dispatch(request, *args, **kwargs)

    def _source(self, request):
        value = request.POST.get("copy_from") or request.GET.get("copy_from")
        if not value:
            return None
        try:
            return _ls_selectors.risk_lists_for_enterprise(request.actor).get(pk=int(value))
        except (ValueError, TypeError, _LsRiskList.DoesNotExist):
            raise _LsHttp404 from None

    def get(self, request):
        source = self._source(request)
        initial = {}
        if source is not None:
            points = [item.risk_point for item in _ls_selectors.risk_list_items(source)]
            initial = RiskListForm.initial_from(source, points)
            initial["name"] = _ls_tr.gettext("Copy of %(name)s") % {"name": source.name}
        return self._page(request, RiskListForm(actor=request.actor, initial=initial), copied_from=source)

    def post(self, request):
        source = self._source(request)
        form = RiskListForm(request.POST, actor=request.actor)
        if form.is_valid():
            try:
                risk_list = _ls_services.risk_list_create(
                    actor=request.actor, details=form.details(), copied_from_id=source.pk if source else None
                )
            except _ls_exceptions.ValidationError as exc:
                _ls_errors_to_form(form, exc)
            else:
                _ls_messages.success(request, _ls_tr.gettext("Risk list saved as a draft."))
                return _ls_redirect("hazards:risk_list_detail", pk=risk_list.pk)
        return self._page(request, form, copied_from=source, status=400)


@_ls_method_decorator(_ls_login_required, name="dispatch")
class RiskListEditView(_RiskListFormMixin, _ls_safety_views.ScopedObjectMixin, _LsView):
    model = _LsRiskList

    def get_queryset(self):
        return _ls_selectors.risk_lists_for_enterprise(self.request.actor)

    def _editable(self, request, risk_list) -> bool:
        if not _ls_selectors.risk_list_may_manage(request.actor):
            raise _ls_denied()
        if risk_list.status in (_LsRiskList.Status.DRAFT, _LsRiskList.Status.RETURNED):
            return True
        _ls_messages.error(request, _ls_tr.gettext("Only a draft or a returned list can be changed."))
        return False

    def get(self, request, pk: int):
        risk_list = self.get_object()
        if not self._editable(request, risk_list):
            return _ls_redirect("hazards:risk_list_detail", pk=risk_list.pk)
        points = [item.risk_point for item in _ls_selectors.risk_list_items(risk_list)]
        form = RiskListForm(actor=request.actor, initial=RiskListForm.initial_from(risk_list, points))
        return self._page(request, form, risk_list=risk_list)

    def post(self, request, pk: int):
        risk_list = self.get_object()
        if not self._editable(request, risk_list):
            return _ls_redirect("hazards:risk_list_detail", pk=risk_list.pk)
        form = RiskListForm(request.POST, actor=request.actor)
        if form.is_valid():
            try:
                _ls_services.risk_list_update(actor=request.actor, risk_list_id=risk_list.pk, details=form.details())
            except _LsTransitionRefused as exc:
                form.add_error(None, exc.message)
            except _ls_exceptions.ValidationError as exc:
                _ls_errors_to_form(form, exc)
            else:
                _ls_messages.success(request, _ls_tr.gettext("Risk list saved."))
                return _ls_redirect("hazards:risk_list_detail", pk=risk_list.pk)
        return self._page(request, form, risk_list=risk_list, status=400)


# The enterprise's workflow actions: POST action → (service, needs a reason form, message on success).
_LS_ENTERPRISE_ACTIONS = {
    "submit": (_ls_services.risk_list_submit, None, _ls_tr.gettext_lazy("Submitted for internal review.")),
    "approve": (_ls_services.risk_list_approve, "decision", _ls_tr.gettext_lazy("Approved.")),
    "return": (_ls_services.risk_list_return, "return", _ls_tr.gettext_lazy("Returned with your reason.")),
    "send_for_filing": (
        _ls_services.risk_list_send_for_filing,
        None,
        _ls_tr.gettext_lazy("Sent to the owning body for filing."),
    ),
}


class _RiskListPageMixin(_ls_safety_views.ScopedObjectMixin):
    """A list page with its workflow forms; POST ``action`` runs one step and comes back here."""

    model = _LsRiskList
    template = ""
    actions: dict = {}
    detail_url = ""

    def may(self, risk_list) -> dict:
        raise NotImplementedError

    def get(self, request, pk: int, decision_form=None, return_form=None):
        risk_list = self.get_object()
        return _ls_render(
            request,
            self.template,
            {
                **_ls_items_context(risk_list),
                "records": _ls_review_records_for(risk_list),
                "may": self.may(risk_list),
                "decision_form": decision_form or RiskListDecisionForm(),
                "return_form": return_form or RiskListReturnForm(),
            },
            status=400 if (decision_form or return_form) else 200,
        )

    def post(self, request, pk: int):
        risk_list = self.get_object()  # 404 for outsiders before anything else
        action = request.POST.get("action")
        if action not in self.actions:
            _ls_messages.error(request, _ls_tr.gettext("Unknown action."))
            return _ls_redirect(self.detail_url, pk=risk_list.pk)
        service, form_kind, done = self.actions[action]
        kwargs = {}
        form = None
        if form_kind == "decision":
            form = RiskListDecisionForm(request.POST)
        elif form_kind == "return":
            form = RiskListReturnForm(request.POST)
        if form is not None:
            if not form.is_valid():
                return self._form_page(request, pk, form_kind, form)
            kwargs["reason"] = form.cleaned_data["reason"]
        try:
            service(actor=request.actor, risk_list_id=risk_list.pk, **kwargs)
        except _LsTransitionRefused as exc:
            _ls_messages.error(request, exc.message)
        except _ls_exceptions.ValidationError as exc:
            if form is None:
                _ls_messages.error(request, " ".join(exc.messages))
            else:
                _ls_errors_to_form(form, exc)
                return self._form_page(request, pk, form_kind, form)
        else:
            _ls_messages.success(request, str(done))
        return _ls_redirect(self.detail_url, pk=risk_list.pk)

    def _form_page(self, request, pk, form_kind, form):
        if form_kind == "return":
            return self.get(request, pk, return_form=form)
        return self.get(request, pk, decision_form=form)


@_ls_method_decorator(_ls_login_required, name="dispatch")
class RiskListDetailView(_RiskListPageMixin, _LsView):
    template = "hazards/lists/detail.html"
    actions = _LS_ENTERPRISE_ACTIONS
    detail_url = "hazards:risk_list_detail"

    def get_queryset(self):
        return _ls_selectors.risk_lists_for_enterprise(self.request.actor)

    def may(self, risk_list) -> dict:
        actor = self.request.actor
        S = _LsRiskList.Status
        manage = _ls_selectors.risk_list_may_manage(actor)
        review = _ls_selectors.risk_list_may_review(actor)
        return {
            "edit": manage and risk_list.status in (S.DRAFT, S.RETURNED),
            "submit": manage and risk_list.status in (S.DRAFT, S.RETURNED),
            "review": review and risk_list.status == S.SUBMITTED,
            "send_for_filing": manage and risk_list.status == S.APPROVED,
            "copy": manage,
        }


@_ls_method_decorator(_ls_login_required, name="dispatch")
class GovRiskListDetailView(_RiskListPageMixin, _LsView):
    """The owning body's page of a list sent for filing: file it, or return it with the reason."""

    template = "hazards/lists/gov_detail.html"
    actions = {
        "file": (_ls_services.risk_list_file, "decision", _ls_tr.gettext_lazy("Filed.")),
        "return": (
            _ls_services.risk_list_return_filing,
            "return",
            _ls_tr.gettext_lazy("Returned to the enterprise with your reason."),
        ),
    }
    detail_url = "hazards:gov_risk_list_detail"

    def get_queryset(self):
        return _ls_selectors.risk_lists_for_government(self.request.actor)

    def may(self, risk_list) -> dict:
        decide = risk_list.status == _LsRiskList.Status.FILING and _ls_selectors.risk_list_may_file(
            self.request.actor, risk_list
        )
        return {"file": decide}


@_ls_method_decorator(_ls_login_required, name="dispatch")
class GovRiskListListView(_ls_safety_views.ExportableListMixin, _LsView):
    """Lists of the jurisdiction awaiting filing, filed, or both."""

    export_filename = _ls_tr.gettext_lazy("risk-lists")
    TABS = {
        "filing": (_LsRiskList.Status.FILING, _ls_tr.gettext_lazy("Awaiting filing")),
        "filed": (_LsRiskList.Status.FILED, _ls_tr.gettext_lazy("Filed")),
        "all": (None, _ls_tr.gettext_lazy("All")),
    }

    @classmethod
    def build_list(cls, actor, params, tab: str = "filing"):
        if actor.body is None:
            raise _ls_exceptions.PermissionDenied(_ls_tr.gettext("This page is for government users."))
        if tab not in cls.TABS:
            raise _LsHttp404
        status, _label = cls.TABS[tab]
        qs = _ls_selectors.risk_lists_for_government(actor).annotate(items_count=_LsCount("items"))
        data = params.copy()
        if status:
            qs = qs.filter(status=status)
            data.pop("status", None)
        filterset = GovRiskListFilter(data, queryset=qs, actor=actor)
        if status:
            del filterset.filters["status"]
        return filterset, GovRiskListTable(filterset.qs)

    def get(self, request, tab: str = "filing"):
        filterset, table = self.build_list(request.actor, request.GET, tab=tab)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ls_list_page(
            request, table, "hazards/lists/gov_list.html", {"filter": filterset, "tab": tab, "tabs": self.TABS}
        )


class _RiskListPrintable(_ls_safety_views.ScopedObjectMixin, _LsView):
    """Either side's reading of a list: the enterprise's own, or one sent to the government."""

    model = _LsRiskList

    def get_queryset(self):
        return _ls_selectors.risk_lists_for_actor(self.request.actor)

    def post(self, request, pk: int):
        self.get_object()
        return self.http_method_not_allowed(request)


@_ls_method_decorator(_ls_login_required, name="dispatch")
class RiskListPreviewView(_RiskListPrintable):
    def get(self, request, pk: int):
        return _ls_render(request, "hazards/lists/preview.html", _ls_items_context(self.get_object()))


@_ls_method_decorator(_ls_login_required, name="dispatch")
class RiskListPdfView(_RiskListPrintable):
    def get(self, request, pk: int):
        risk_list = self.get_object()
        return _ls_pdf.pdf_response(
            "hazards/lists/pdf.html",
            _ls_items_context(risk_list),
            filename=f"{_ls_tr.gettext('Risk list')}-{risk_list.name}.pdf",
            request=request,
        )


# -- Inspections ----------------------------------------------------------------------------------------------


def _ls_hazard_register_url(task: _LsInspectionTask, result) -> str | None:
    """Hazard registration pre-filled from a failed item (the hazards area reads these parameters)."""
    try:
        base = _ls_reverse("hazards:hazard_register")
    except _LsNoReverseMatch:
        return None
    point = task.risk_point
    params = {
        "risk_point": point.pk,
        "inspection_task": task.pk,
        "title": result.measure_text[:200],
        "location": point.place or point.name,
    }
    if result.note:
        params["description"] = result.note
    return f"{base}?{_ls_urlencode(params)}"


@_ls_method_decorator(_ls_login_required, name="dispatch")
class InspectionChecklistView(_LsView):
    """The QR code of a point's notice board opens this on a phone: the point's check due now, one pass / fail
    item per control measure. The form keeps what was entered on any error (and static/js/checklist.js keeps it
    across a dropped connection and a reload); a retried submission is recognised by its submission id."""

    template = "hazards/lists/checklist.html"

    def _point(self, request, qr_token: str):
        point = _ls_selectors.inspection_point_by_token(request.actor, qr_token)
        if point is None:
            raise _LsHttp404
        if not _ls_selectors.inspection_may_perform(request.actor):
            raise _ls_exceptions.PermissionDenied(_ls_tr.gettext("You may not carry out inspections."))
        return point

    @staticmethod
    def _pick(due: list, wanted) -> _LsInspectionTask | None:
        for task in due:
            if str(task.pk) == str(wanted):
                return task
        return due[0] if due else None

    def _page(self, request, point, due, task, form, status: int = 200):
        today = _ls_timezone.localdate()
        last_done = (
            _LsInspectionTask.objects.filter(
                enterprise_id=point.enterprise_id, risk_point_id=point.pk, status=_LsInspectionTask.Status.DONE
            )
            .select_related("done_by")
            .order_by("-done_at", "-pk")
            .first()
        )
        return _ls_render(
            request,
            self.template,
            {
                "point": point,
                "due": due,
                "task": task,
                "form": form,
                # The task the form's state is saved under on the phone (static/js/checklist.js).
                "form_task": task.pk if task is not None else (form["task"].value() if form is not None else ""),
                "next_due": None if due else _ls_selectors.inspection_next_due(point, today),
                "last_done": last_done,
                "today": today,
            },
            status=status,
        )

    def get(self, request, qr_token: str):
        point = self._point(request, qr_token)
        due = _ls_selectors.inspection_due_tasks(point, _ls_timezone.localdate())
        task = self._pick(due, request.GET.get("task"))
        measures = _ls_selectors.inspection_measures(point)
        form = None
        if task is not None and measures:
            form = ChecklistForm(measures=measures, initial={"submission_id": _ls_uuid.uuid4(), "task": task.pk})
        return self._page(request, point, due, task, form)

    def post(self, request, qr_token: str):
        point = self._point(request, qr_token)
        measures = _ls_selectors.inspection_measures(point)
        form = ChecklistForm(request.POST, measures=measures)
        if form.is_valid():
            try:
                outcome = _ls_services.inspection_submit(
                    actor=request.actor,
                    task_id=form.cleaned_data["task"],
                    submission_id=form.cleaned_data["submission_id"],
                    answers=form.answers(),
                    risk_point_id=point.pk,
                )
            except _LsTransitionRefused as exc:
                form.add_error(None, exc.message)
            except _ls_exceptions.ValidationError as exc:
                _ls_errors_to_form(form, exc)
            else:
                if not outcome.replayed:
                    _ls_messages.success(request, _ls_tr.gettext("Check recorded."))
                return _ls_redirect("hazards:inspection_task_detail", pk=outcome.task.pk)
        due = _ls_selectors.inspection_due_tasks(point, _ls_timezone.localdate())
        task = self._pick(due, request.POST.get("task"))
        if task is not None and str(task.pk) != request.POST.get("task"):
            # The check this form was for is gone (someone else recorded it): what was entered goes to the next.
            data = request.POST.copy()
            data["task"] = str(task.pk)
            errors = form.errors
            form.data = data
            form._errors = errors
        return self._page(request, point, due, task, form, status=400)


@_ls_method_decorator(_ls_login_required, name="dispatch")
class InspectionTaskListView(_ls_safety_views.ExportableListMixin, _LsView):
    """The enterprise's inspection tasks: due, done and missed, filtered."""

    export_filename = _ls_tr.gettext_lazy("inspection-tasks")

    @classmethod
    def build_list(cls, actor, params):
        if not _ls_selectors.risk_list_may_view(actor):
            raise _ls_denied()
        filterset = InspectionTaskFilter(
            params, queryset=_ls_selectors.inspection_tasks_for_enterprise(actor), enterprise_id=actor.enterprise.pk
        )
        return filterset, InspectionTaskTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _ls_list_page(request, table, "hazards/lists/tasks.html", {"filter": filterset})


@_ls_method_decorator(_ls_login_required, name="dispatch")
class InspectionTaskDetailView(_ls_safety_views.ScopedObjectMixin, _LsView):
    """One check and its results: the page a checklist submission (or its retry) lands on. Each failed item
    offers hazard registration pre-filled with the point, the measure and the location."""

    model = _LsInspectionTask

    def get_queryset(self):
        return _ls_selectors.inspection_tasks_for_enterprise(self.request.actor)

    def get(self, request, pk: int):
        task = self.get_object()
        results = _ls_selectors.inspection_results(task)
        may_register = _ls_selectors.hazard_may_register(request.actor)
        rows = [(r, _ls_hazard_register_url(task, r) if (may_register and not r.passed) else None) for r in results]
        return _ls_render(
            request,
            "hazards/lists/task_detail.html",
            {
                "task": task,
                "status_badge": inspection_status_badge(task),
                "rows": rows,
                "failed": sum(1 for r in results if not r.passed),
                "hazards": _ls_selectors.inspection_task_hazards(task),
            },
        )

    def post(self, request, pk: int):
        self.get_object()
        return self.http_method_not_allowed(request)


def _ls_period_label(unit: str, period) -> str:
    start, end = period
    if unit == _ls_rules.FigureUnit.DAY:
        return start.isoformat()
    if unit == _ls_rules.FigureUnit.MONTH:
        return start.strftime("%Y-%m")
    return f"{start:%Y-%m-%d}–{end:%m-%d}"


@_ls_method_decorator(_ls_login_required, name="dispatch")
class InspectionFiguresView(_LsView):
    """Points, due and done checks, coverage and investigation rate per department or list, for a day, week or
    month and the periods before it side by side; Excel export; a chart of the totals."""

    def get(self, request):
        actor = request.actor
        if not (_ls_selectors.risk_list_may_manage(actor) or _ls_selectors.risk_list_may_review(actor)):
            raise _ls_denied()
        form = FiguresForm(request.GET)
        unit, day, by, count = form.selection()
        periods = _ls_rules.figure_periods(unit, day, count)
        tasks = _ls_selectors.inspection_tasks_for_enterprise(actor)
        totals = _ls_figures.history(tasks, periods)
        groups = _ls_figures.history_by(tasks, by, periods)
        model = _LsDepartment if by == "department" else _LsRiskList
        names = dict(
            model.objects.filter(enterprise_id=actor.enterprise.pk, pk__in=list(groups)).values_list("pk", "name")
        )
        rows = sorted(((names.get(key, "—"), figures) for key, figures in groups.items()), key=lambda row: str(row[0]))
        labels = [_ls_period_label(unit, p) for p in periods]
        if request.GET.get("export") == "xlsx":
            return self._export(actor, by, labels, totals, rows)
        chart = {
            "labels": labels,
            "rate": [f.rate for f in totals],
            "coverage": [f.coverage for f in totals],
            "due": [f.due for f in totals],
            "done": [f.done for f in totals],
            "names": {
                "rate": _ls_tr.gettext("Investigation rate (%)"),
                "coverage": _ls_tr.gettext("Coverage (%)"),
                "due": _ls_tr.gettext("Due checks"),
                "done": _ls_tr.gettext("Done checks"),
            },
        }
        return _ls_render(
            request,
            "hazards/lists/figures.html",
            {
                "form": form,
                "by": by,
                "columns": list(zip(labels, totals, strict=True)),
                "rows": rows,
                "chart": chart,
                "export_query": _ls_urlencode({**request.GET.dict(), "export": "xlsx"}),
            },
        )

    def _export(self, actor, by, labels, totals, rows):
        _ls_audit.log_operation(actor=actor, action=_LsOperationLog.Action.EXPORT, detail="inspection-figures")
        group = _ls_tr.gettext("Department") if by == "department" else _ls_tr.gettext("Risk list")
        headers = [
            group,
            _ls_tr.gettext("Period"),
            _ls_tr.gettext("Risk points"),
            _ls_tr.gettext("Due checks"),
            _ls_tr.gettext("Done checks"),
            _ls_tr.gettext("Points checked"),
            _ls_tr.gettext("Coverage (%)"),
            _ls_tr.gettext("Investigation rate (%)"),
        ]
        every = [(_ls_tr.gettext("Total"), totals), *rows]
        data = [
            [name, label, f.points, f.due, f.done, f.checked_points, f.coverage, f.rate]
            for name, figures in every
            for label, f in zip(labels, figures, strict=True)
        ]
        return _ls_exports.xlsx_response(
            filename=_ls_tr.gettext("inspection-figures"),
            sheet_title=_ls_tr.gettext("Inspection figures"),
            headers=headers,
            rows=data,
        )


# ==== area: hazards ====
# isort: split
# Hidden hazards: the enterprise's list, registration and detail page with the actions the actor may take now;
# the same detail page for government users of the jurisdiction; government inspection and review queue;
# photos (scoped) and the rectification notice (PDF).
from django.contrib import messages  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.http import FileResponse, Http404, HttpRequest, HttpResponse  # noqa: E402
from django.shortcuts import redirect, render  # noqa: E402
from django.utils.decorators import method_decorator  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import gettext_lazy  # noqa: E402
from django.views import View  # noqa: E402
from django_tables2 import RequestConfig  # noqa: E402
from django_tables2.paginators import LazyPaginator  # noqa: E402

from approvals.engine import TransitionRefused  # noqa: E402
from safety.pdf import pdf_response  # noqa: E402
from safety.views import ExportableListMixin, ScopedObjectMixin  # noqa: E402

from . import deadlines as hazard_deadlines  # noqa: E402
from . import hazard_photos, hazard_records, selectors  # noqa: E402
from . import services as hazard_services  # noqa: E402
from .features import HAZARD_VIEW  # noqa: E402
from .filters import GovHazardFilter, HazardFilter  # noqa: E402
from .forms import (  # noqa: E402
    DelistingDecisionForm,
    DelistingRequestForm,
    ExtensionRequestForm,
    ExtensionReviewForm,
    HazardForm,
    RectificationReportForm,
    RectificationReviewForm,
    SupervisedListingForm,
)
from .models import ExtensionRequest, Hazard, HazardPhoto, RiskPoint  # noqa: E402
from .tables import GovHazardTable, HazardTable, hazard_level_badge, hazard_status_badge  # noqa: E402

HAZARD_PER_PAGE = 25


def _hz_errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _hz_require_enterprise(actor) -> None:
    if actor.enterprise is None or not actor.can(HAZARD_VIEW):
        raise PermissionDenied(_("You do not have permission for this page."))


def _hz_list_page(request: HttpRequest, table, template: str, context: dict) -> HttpResponse:
    RequestConfig(request, paginate={"per_page": HAZARD_PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    return render(request, template, {"table": table, **context})


def _hz_detail_url(hazard: Hazard) -> str:
    return hazard_services.hazard_url(hazard)


def _hz_extension(hazard: Hazard) -> ExtensionRequest | None:
    return ExtensionRequest.objects.filter(hazard_id=hazard.pk).select_related("requested_by").first()


def _hz_context(actor, hazard: Hazard, listing=None) -> dict:
    """What every hazard page shows: facts, photos, extension, listing, the review record."""
    photos = selectors.hazard_photos_of(hazard)
    return {
        "hazard": hazard,
        "listing": listing,
        "status_badge": hazard_status_badge(hazard),
        "level_badge": hazard_level_badge(hazard),
        "before_photos": [p for p in photos if p.stage == HazardPhoto.Stage.BEFORE],
        "after_photos": [p for p in photos if p.stage == HazardPhoto.Stage.AFTER],
        "extension": _hz_extension(hazard),
        "records": hazard_records.records_of(hazard, listing),
        "is_government": actor.body is not None,
    }


@method_decorator(login_required, name="dispatch")
class HazardListView(ExportableListMixin, View):
    """The enterprise's hazards (government-registered ones included: the enterprise rectifies them)."""

    export_filename = gettext_lazy("hazards")

    @classmethod
    def build_list(cls, actor, params):
        _hz_require_enterprise(actor)
        filterset = HazardFilter(params, queryset=selectors.hazards_for_actor(actor), enterprise_id=actor.enterprise.pk)
        return filterset, HazardTable(filterset.qs)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _hz_list_page(
            request,
            table,
            "hazards/hazards/list.html",
            {"filter": filterset, "may_register": selectors.hazard_may_register(request.actor)},
        )


@method_decorator(login_required, name="dispatch")
class GovHazardReviewListView(ExportableListMixin, View):
    """Government: hazards awaiting the government's review (rectification reports and extension requests) that
    this user may decide; read-only roles see the jurisdiction's."""

    export_filename = gettext_lazy("hazards-awaiting-review")

    @classmethod
    def build_list(cls, actor, params):
        if actor.body is None:
            raise PermissionDenied(_("This page is for government users."))
        queryset = selectors.hazards_awaiting_government_review(actor)
        if queryset is None:
            queryset = selectors.hazards_awaiting_government_review_in_jurisdiction(actor)
        filterset = GovHazardFilter(params, queryset=queryset)
        return filterset, GovHazardTable(filterset.qs)

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        return _hz_list_page(
            request,
            table,
            "hazards/hazards/gov_review_list.html",
            {"filter": filterset, "may_register": selectors.hazard_may_register(request.actor)},
        )


class _HazardRegisterBase(View):
    government = False

    def dispatch(self, request, *args, **kwargs):
        actor = request.actor
        on_side = actor.body is not None if self.government else actor.enterprise is not None
        if not (actor.is_authenticated and on_side and selectors.hazard_may_register(actor)):
            raise PermissionDenied(_("You may not register hazards."))
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, *args, **kwargs) -> HazardForm:
        actor = self.request.actor
        return HazardForm(*args, actor=actor, enterprise=None if self.government else actor.enterprise, **kwargs)

    def page(self, form, status: int = 200) -> HttpResponse:
        return render(
            self.request, "hazards/hazards/form.html", {"form": form, "government": self.government}, status=status
        )

    def initial(self) -> dict:
        return {}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(self.make_form(initial=self.initial()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                hazard = hazard_services.hazard_register(
                    actor=request.actor,
                    details=form.details(),
                    enterprise_id=d["enterprise"].pk if "enterprise" in d else None,
                    before_photos=form.photos("before_photos"),
                    after_photos=form.photos("after_photos") if "after_photos" in form.fields else [],
                )
            except ValidationError as exc:
                _hz_errors_to_form(form, exc)
            else:
                form.discard_kept()
                messages.success(request, _("Hazard registered: %(number)s.") % {"number": hazard.number})
                return redirect(_hz_detail_url(hazard))
        form.keep_photos()
        messages.error(request, _("Please correct the errors below."))
        return self.page(form, status=400)


@method_decorator(login_required, name="dispatch")
class HazardRegisterView(_HazardRegisterBase):
    """The enterprise registers a hazard. ``?risk_point=<id>&inspection_task=<id>`` pre-fill it from a failed
    check (the inspection screens link here)."""

    def initial(self) -> dict:
        initial: dict = {}
        point = RiskPoint.objects.filter(
            enterprise_id=self.request.actor.enterprise.pk, pk=_hz_int(self.request.GET.get("risk_point"))
        ).first()
        if point is not None:
            initial.update(risk_point=point.pk, department=point.department_id, location=point.place or point.name)
            task = _hz_int(self.request.GET.get("inspection_task"))
            if task is not None:
                initial["inspection_task"] = task  # the form's queryset keeps only the enterprise's own
        return initial


def _hz_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@method_decorator(login_required, name="dispatch")
class GovHazardRegisterView(_HazardRegisterBase):
    """Government inspection: a hazard found at an enterprise of the jurisdiction, which then rectifies it."""

    government = True


class _HazardObjectView(ScopedObjectMixin, View):
    model = Hazard

    def get_queryset(self):
        return selectors.hazards_for_actor(self.request.actor)


@method_decorator(login_required, name="dispatch")
class HazardDetailView(_HazardObjectView):
    def get_queryset(self):
        return super().get_queryset().select_related("registered_by", "rectified_by", "risk_point")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard = self.get_object()
        listing = selectors.hazard_listing(hazard)
        context = _hz_context(request.actor, hazard, listing)
        context["actions"] = selectors.hazard_actions(request.actor, hazard, listing)
        return render(request, "hazards/hazards/detail.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.get_object()  # an outsider's POST is a 404 like its GET
        return self.http_method_not_allowed(request)


class _HazardActionView(_HazardObjectView):
    """One step on a hazard: a page with the hazard's summary and the step's form.

    GET: 404 for outsiders, 403 for those who may never take this step, back to the hazard page (with a message)
    when the hazard is not in a state for it. POST: the service decides (its refusals come back as messages).
    """

    action = ""  # the HazardActions flag that offers this step
    title = ""
    submit_label = ""
    button_class = "btn-primary"
    form_class = None
    multipart = False
    success_message = ""

    def permitted(self, actor, hazard: Hazard, listing) -> bool:
        raise NotImplementedError

    def make_form(self, hazard: Hazard, *args, **kwargs):
        return self.form_class(*args, **kwargs)

    def perform(self, form, hazard: Hazard) -> None:
        raise NotImplementedError

    def _load(self) -> tuple[Hazard, object]:
        hazard = self.get_object()
        listing = selectors.hazard_listing(hazard)
        if not self.permitted(self.request.actor, hazard, listing):
            raise PermissionDenied(_("You may not take this step on this hazard."))
        return hazard, listing

    def page(self, hazard: Hazard, listing, form, status: int = 200) -> HttpResponse:
        context = _hz_context(self.request.actor, hazard, listing)
        context.update(
            form=form,
            title=self.title,
            submit_label=self.submit_label,
            button_class=self.button_class,
            multipart=self.multipart,
            step=self.action,
        )
        return render(self.request, "hazards/hazards/action.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard, listing = self._load()
        if not getattr(selectors.hazard_actions(request.actor, hazard, listing), self.action):
            messages.info(
                request,
                _("This step is not possible now: the hazard is “%(state)s”.") % {"state": hazard.get_status_display()},
            )
            return redirect(_hz_detail_url(hazard))
        return self.page(hazard, listing, self.make_form(hazard))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard, listing = self._load()
        form = self.make_form(hazard, request.POST, request.FILES)
        if form.is_valid():
            try:
                self.perform(form, hazard)
            except TransitionRefused as exc:
                if hasattr(form, "discard_kept"):
                    form.discard_kept()
                messages.error(request, exc.message)
                return redirect(_hz_detail_url(hazard))
            except ValidationError as exc:
                _hz_errors_to_form(form, exc)
            else:
                if hasattr(form, "discard_kept"):
                    form.discard_kept()
                messages.success(request, self.success_message)
                return redirect(_hz_detail_url(hazard))
        if hasattr(form, "keep_photos"):
            form.keep_photos()
        return self.page(hazard, listing, form, status=400)


@method_decorator(login_required, name="dispatch")
class HazardReportView(_HazardActionView):
    action = "report"
    title = gettext_lazy("Report the rectification")
    submit_label = gettext_lazy("Report the rectification")
    form_class = RectificationReportForm
    multipart = True
    success_message = gettext_lazy("Rectification reported; it now awaits review.")

    def permitted(self, actor, hazard, listing) -> bool:
        return selectors.hazard_may_rectify(actor, hazard)

    def make_form(self, hazard, *args, **kwargs):
        return RectificationReportForm(*args, user=self.request.user, **kwargs)

    def perform(self, form, hazard) -> None:
        d = form.cleaned_data
        hazard_services.rectification_report(
            actor=self.request.actor,
            hazard_id=hazard.pk,
            measures=d["measures"],
            cost=d.get("cost"),
            after_photos=form.photos("after_photos"),
        )


@method_decorator(login_required, name="dispatch")
class HazardReviewView(_HazardActionView):
    action = "review"
    title = gettext_lazy("Review the rectification")
    submit_label = gettext_lazy("Record the decision")
    form_class = RectificationReviewForm
    success_message = gettext_lazy("Decision recorded.")

    def permitted(self, actor, hazard, listing) -> bool:
        return selectors.hazard_may_review(actor, hazard)

    def perform(self, form, hazard) -> None:
        hazard_services.rectification_review(
            actor=self.request.actor, hazard_id=hazard.pk, passed=form.yes, reason=form.cleaned_data.get("reason", "")
        )


@method_decorator(login_required, name="dispatch")
class HazardExtensionRequestView(_HazardActionView):
    action = "request_extension"
    title = gettext_lazy("Request an extension")
    submit_label = gettext_lazy("Request the extension")
    form_class = ExtensionRequestForm
    success_message = gettext_lazy("Extension requested; it now awaits review.")

    def permitted(self, actor, hazard, listing) -> bool:
        return selectors.hazard_may_rectify(actor, hazard)

    def perform(self, form, hazard) -> None:
        d = form.cleaned_data
        hazard_services.extension_request(
            actor=self.request.actor, hazard_id=hazard.pk, reason=d["reason"], requested_deadline=d["deadline"]
        )


@method_decorator(login_required, name="dispatch")
class HazardExtensionReviewView(_HazardActionView):
    action = "review_extension"
    title = gettext_lazy("Review the extension request")
    submit_label = gettext_lazy("Record the decision")
    form_class = ExtensionReviewForm
    success_message = gettext_lazy("Decision recorded.")

    def permitted(self, actor, hazard, listing) -> bool:
        return selectors.hazard_may_review(actor, hazard)

    def make_form(self, hazard, *args, **kwargs):
        extension = _hz_extension(hazard)
        return ExtensionReviewForm(*args, requested=extension.requested_deadline if extension else None, **kwargs)

    def perform(self, form, hazard) -> None:
        d = form.cleaned_data
        hazard_services.extension_review(
            actor=self.request.actor,
            hazard_id=hazard.pk,
            approve=form.yes,
            new_deadline=d.get("deadline"),
            reason=d.get("reason", ""),
        )


@method_decorator(login_required, name="dispatch")
class HazardSuperviseView(_HazardActionView):
    action = "supervise"
    title = gettext_lazy("List for supervision")
    submit_label = gettext_lazy("List for supervision")
    button_class = "btn-danger"
    form_class = SupervisedListingForm
    success_message = gettext_lazy("The hazard is listed for supervision.")

    def permitted(self, actor, hazard, listing) -> bool:
        return selectors.hazard_may_list(actor, hazard)

    def perform(self, form, hazard) -> None:
        d = form.cleaned_data
        hazard_services.hazard_supervise(
            actor=self.request.actor, hazard_id=hazard.pk, notice_number=d["notice_number"], notice=d["notice"]
        )


@method_decorator(login_required, name="dispatch")
class HazardDelistingRequestView(_HazardActionView):
    action = "request_delisting"
    title = gettext_lazy("Apply for delisting")
    submit_label = gettext_lazy("Apply for delisting")
    form_class = DelistingRequestForm
    success_message = gettext_lazy("Delisting applied for; the supervising body decides.")

    def permitted(self, actor, hazard, listing) -> bool:
        return selectors.hazard_may_request_delisting(actor, hazard)

    def perform(self, form, hazard) -> None:
        hazard_services.listing_request_delisting(
            actor=self.request.actor, hazard_id=hazard.pk, reason=form.cleaned_data["reason"]
        )


@method_decorator(login_required, name="dispatch")
class HazardDelistingDecisionView(_HazardActionView):
    action = "decide_delisting"
    title = gettext_lazy("Decide on delisting")
    submit_label = gettext_lazy("Record the decision")
    form_class = DelistingDecisionForm
    success_message = gettext_lazy("Decision recorded.")

    def permitted(self, actor, hazard, listing) -> bool:
        if listing is None:
            return selectors.hazard_may_list(actor, hazard)  # nothing to decide yet: GET explains, POST is refused
        return selectors.hazard_may_decide_delisting(actor, listing)

    def perform(self, form, hazard) -> None:
        hazard_services.listing_decide(
            actor=self.request.actor, hazard_id=hazard.pk, delist=form.yes, reason=form.cleaned_data.get("reason", "")
        )


@method_decorator(login_required, name="dispatch")
class HazardEditView(_HazardObjectView):
    """Correct a hazard while it is registered (its registrant side only)."""

    def _load(self) -> Hazard:
        hazard = self.get_object()
        if not selectors.hazard_may_edit(self.request.actor, hazard):
            raise PermissionDenied(_("You may not change this hazard."))
        return hazard

    def page(self, hazard: Hazard, form, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "hazards/hazards/form.html",
            {"form": form, "hazard": hazard, "government": hazard.registered_by_body_id is not None},
            status=status,
        )

    def _refused(self, hazard: Hazard) -> HttpResponse | None:
        if hazard.status != Hazard.Status.REGISTERED or hazard.is_past_deadline:
            messages.info(request=self.request, message=_("This hazard can no longer be changed."))
            return redirect(_hz_detail_url(hazard))
        return None

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard = self._load()
        return self._refused(hazard) or self.page(hazard, HazardForm(actor=request.actor, hazard=hazard))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard = self._load()
        form = HazardForm(request.POST, request.FILES, actor=request.actor, hazard=hazard)
        if form.is_valid():
            try:
                hazard_services.hazard_update(
                    actor=request.actor,
                    hazard_id=hazard.pk,
                    details=form.details(),
                    before_photos=form.photos("before_photos"),
                )
            except TransitionRefused as exc:
                form.discard_kept()
                messages.error(request, exc.message)
                return redirect(_hz_detail_url(hazard))
            except ValidationError as exc:
                _hz_errors_to_form(form, exc)
            else:
                form.discard_kept()
                messages.success(request, _("Hazard saved."))
                return redirect(_hz_detail_url(hazard))
        form.keep_photos()
        return self.page(hazard, form, status=400)


@method_decorator(login_required, name="dispatch")
class HazardDeleteView(HazardEditView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard = self._load()
        return self._refused(hazard) or render(request, "hazards/hazards/confirm_delete.html", {"hazard": hazard})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard = self._load()
        try:
            hazard_services.hazard_delete(actor=request.actor, hazard_id=hazard.pk)
        except TransitionRefused as exc:
            messages.error(request, exc.message)
            return redirect(_hz_detail_url(hazard))
        messages.success(request, _("Hazard deleted: %(number)s.") % {"number": hazard.number})
        if request.actor.body is not None:
            return redirect("hazards:gov_hazard_reviews")
        return redirect("hazards:hazard_list")


@method_decorator(login_required, name="dispatch")
class HazardPhotoView(ScopedObjectMixin, View):
    """A hazard photo, only through here (never a public media URL): 404 for anyone who may not see the hazard."""

    model = HazardPhoto

    def get_queryset(self):
        return selectors.hazard_photos_for_actor(self.request.actor)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        photo = self.get_object()
        try:
            handle = photo.image.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=hazard_photos.content_type_for(photo.image.name))
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.get_object()
        return self.http_method_not_allowed(request)


@method_decorator(login_required, name="dispatch")
class HazardNoticePdfView(_HazardObjectView):
    """整改通知单: the rectification notice of a hazard, with its record and signature lines."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hazard = self.get_object()
        listing = selectors.hazard_listing(hazard)
        return pdf_response(
            "hazards/hazards/notice_pdf.html",
            hazard_notice_context(request.actor, hazard, listing),
            filename=f"{_('Rectification notice')}-{hazard.number}.pdf",
            request=request,
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.get_object()
        return self.http_method_not_allowed(request)


def hazard_notice_context(actor, hazard: Hazard, listing=None) -> dict:
    context = _hz_context(actor, hazard, listing)
    context["deadline_shown"] = hazard_deadlines.show(hazard.deadline)
    return context


# ==== area: supervision ====
# isort: split
# Government supervision: the jurisdiction's hazard queues (keyset pages: nothing COUNTs a big queue), figures with
# charts, summary tables reported up the body tree, and differentiated supervision (random samples, key
# enterprises, zero-hazard enterprises, enterprises not using the system). Every list exports to Excel.
from django.contrib import messages as _sv_messages  # noqa: E402
from django.contrib.auth.decorators import login_required as _sv_login_required  # noqa: E402
from django.core.exceptions import PermissionDenied as _SvPermissionDenied  # noqa: E402
from django.core.exceptions import ValidationError as _SvValidationError  # noqa: E402
from django.http import Http404 as _SvHttp404  # noqa: E402
from django.shortcuts import redirect as _sv_redirect  # noqa: E402
from django.shortcuts import render as _sv_render  # noqa: E402
from django.urls import reverse as _sv_reverse  # noqa: E402
from django.utils.decorators import method_decorator as _sv_method_decorator  # noqa: E402
from django.utils.translation import gettext as _sv_  # noqa: E402
from django.utils.translation import gettext_lazy as _sv_lazy  # noqa: E402
from django.views import View as _SvView  # noqa: E402
from django_tables2 import RequestConfig as _SvRequestConfig  # noqa: E402
from django_tables2.paginators import LazyPaginator as _SvLazyPaginator  # noqa: E402

from approvals.engine import TransitionRefused as _SvRefused  # noqa: E402
from enterprises.models import Enterprise as _SvEnterprise  # noqa: E402
from safety.views import ExportableListMixin as _SvExportable  # noqa: E402
from safety.views import ScopedObjectMixin as _SvScoped  # noqa: E402

from . import filters as _sv_filters  # noqa: E402
from . import forms as _sv_forms  # noqa: E402
from . import selectors as _sv_selectors  # noqa: E402
from . import services as _sv_services  # noqa: E402
from . import supervision as _sv  # noqa: E402
from . import tables as _sv_tables  # noqa: E402
from .models import EnterpriseSample as _SvSample  # noqa: E402
from .models import Hazard as _SvHazard  # noqa: E402
from .models import SummaryReport as _SvReport  # noqa: E402

_SV_T = "hazards/supervision/"
_SV_PER_PAGE = 25
# Tabs whose size is worth a badge (bounded: "99+" rather than a COUNT of the table).
_SV_COUNTED_TABS = ("overdue", "listed", "review")
_SV_TAB_BADGE_LIMIT = 99


def _sv_queue_tabs():
    return {
        "major": _sv_lazy("Major hazards"),
        "general": _sv_lazy("General hazards"),
        "overdue": _sv_lazy("Overdue"),
        "listed": _sv_lazy("Supervised listing"),
        "review": _sv_lazy("Awaiting government review"),
    }


def _sv_query_without(request, *names: str) -> str:
    """The request's query string without some keys (pagination cursors, export), for links that keep filters."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _sv_queue_rows(hazards) -> list[dict]:
    """What the queue page shows of each hazard (the columns of SupervisionHazardTable, which exports them)."""
    rows = []
    for h in hazards:
        rows.append(
            {
                "hazard": h,
                "url": _sv_reverse("hazards:hazard_detail", args=[h.pk]),
                "region": str(h.enterprise.region),
                "industry": _sv_tables._sv_industry(h.enterprise.industry),
                "level_badge": _sv_tables.hazard_level_badge(h),
                "status_badge": _sv_tables.hazard_status_badge(h),
                "found_at": _sv_tables._sv_local(h.found_at),
                "deadline": _sv_tables._sv_local(h.deadline),
                "late": h.status in _SvHazard.OPEN_STATES and h.is_past_deadline,
            }
        )
    return rows


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SupervisionQueueView(_SvExportable, _SvView):
    """The jurisdiction's hazard queues: major, general, overdue, listed, awaiting government review."""

    export_filename = _sv_lazy("hazard-queue")

    @classmethod
    def build_list(cls, actor, params, tab: str = "major"):
        _sv_selectors.supervision_government_only(actor)
        if tab not in _sv_selectors.SUPERVISION_QUEUE_TABS:
            raise _SvHttp404
        queryset = _sv_selectors.supervision_queue(actor, tab)
        filterset = _sv_filters.SupervisionHazardFilter(params, queryset=queryset, actor=actor)
        return filterset, _sv_tables.SupervisionHazardTable(filterset.qs, listed=tab == "listed")

    def get(self, request, tab: str = "major"):
        actor = request.actor
        filterset, table = self.build_list(actor, request.GET, tab=tab)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        qs = filterset.qs
        page = _sv.keyset_page(
            qs, after=request.GET.get("after"), before=request.GET.get("before"), per_page=_SV_PER_PAGE
        )
        tabs = []
        for key, label in _sv_queue_tabs().items():
            badge = None
            if key in _SV_COUNTED_TABS:
                n, more = _sv.bounded_count(_sv_selectors.supervision_queue(actor, key), _SV_TAB_BADGE_LIMIT)
                badge = f"{n}+" if more else str(n)
            tabs.append((key, label, _sv_reverse("hazards:supervision_queue_tab", args=[key]), badge))
        keep = _sv_query_without(request, "after", "before", "export")
        return _sv_render(
            request,
            _SV_T + "queue.html",
            {
                "tab": tab,
                "tabs": tabs,
                "filter": filterset,
                "rows": _sv_queue_rows(page.rows),
                "listed": tab == "listed",
                "page": page,
                "size": _sv.size_hint(qs) if not page.has_prev else None,
                "keep": keep,
            },
        )


# -- Figures ----------------------------------------------------------------------------------------------------


def _sv_figures(actor, params) -> dict:
    form = _sv_forms.SupervisionFiguresForm(params or None, actor=actor)
    values = form.values()
    qs = _sv_selectors.supervision_hazards(actor)
    if values["industry"]:
        qs = qs.filter(enterprise__industry=values["industry"])
    figures = _sv.figures_all(
        qs,
        values["region"],
        values["date_from"],
        values["date_to"],
        direct_label=_sv_("Directly in %(region)s") % {"region": values["region"]},
        total_label=_sv_("Total"),
    )
    rows = {key: figures[key] for key in ("region", "industry", "month")}
    return {"form": form, "values": values, "total": figures["total"], "rows": rows}


_SV_FIGURE_LABELS = {
    "region": _sv_lazy("Region"),
    "industry": _sv_lazy("Industry"),
    "month": _sv_lazy("Month found"),
}


def _sv_figure_tables(rows: dict) -> dict:
    return {
        key: _sv_tables.SupervisionFiguresTable(rows[key], label=_SV_FIGURE_LABELS[key], testid=f"figures-{key}")
        for key in _SV_FIGURE_LABELS
    }


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SupervisionFiguresView(_SvExportable, _SvView):
    """The figures dashboard: found, rectified and the three rates by region, industry and month, with charts."""

    export_filename = _sv_lazy("hazard-figures")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        _sv_selectors.supervision_government_only(actor)
        figures = _sv_figures(actor, params)
        by = params.get("by") if params.get("by") in _SV_FIGURE_LABELS else "region"
        return figures["form"], _sv_figure_tables(figures["rows"])[by]

    def export_response(self, table):
        # A handful of rows computed in memory: always exported at once (the base class probes a queryset).
        from approvals import audit
        from approvals.models import OperationLog
        from safety.exports import export_table

        audit.log_operation(
            actor=self.request.actor,
            action=OperationLog.Action.EXPORT,
            detail=f"{self.export_filename}: {self.request.GET.urlencode()}"[:2000],
        )
        return export_table(table, filename=str(self.export_filename))

    def get(self, request):
        actor = request.actor
        if request.GET.get("export") == "xlsx":
            _form, table = self.build_list(actor, request.GET)
            return self.export_response(table)
        _sv_selectors.supervision_government_only(actor)
        figures = _sv_figures(actor, request.GET)
        keep = _sv_query_without(request, "export", "by")
        return _sv_render(
            request,
            _SV_T + "figures.html",
            {
                **figures,
                "charts": {
                    "data": {key: _sv.chart_data(rows) for key, rows in figures["rows"].items()},
                    "text": {
                        "found": _sv_("Found"),
                        "closed": _sv_("Rectified (closed)"),
                        "rectification_rate": _sv_("Rectification rate (%)"),
                        "on_time_rate": _sv_("On-time rate (%)"),
                        "major_rate": _sv_("Major rectification rate (%)"),
                    },
                },
                "keep": keep,
            },
        )


# -- Summary reports --------------------------------------------------------------------------------------------


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SummaryReportListView(_SvExportable, _SvView):
    """The body's own summaries (drafts and reported), and the form that builds one for a period."""

    export_filename = _sv_lazy("hazard-summaries")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        filterset = _sv_filters.SummaryReportFilter(params, queryset=_sv_selectors.summary_reports_own(actor))
        return filterset, _sv_tables.SummaryReportTable(filterset.qs)

    def page(self, request, form, status: int = 200):
        actor = request.actor
        filterset, table = self.build_list(actor, request.GET)
        _SvRequestConfig(request, paginate={"per_page": _SV_PER_PAGE, "paginator_class": _SvLazyPaginator}).configure(
            table
        )
        return _sv_render(
            request,
            _SV_T + "reports.html",
            {
                "filter": filterset,
                "table": table,
                "form": form,
                "may_report": _sv_selectors.supervision_may_report(actor),
                "parent": _sv_selectors.supervision_parent_body(actor.body),
                "presets": _sv_forms.SummaryBuildForm.presets(),
                "section": "own",
            },
            status=status,
        )

    def get(self, request):
        _sv_selectors.supervision_government_only(request.actor)
        if request.GET.get("export") == "xlsx":
            _filterset, table = self.build_list(request.actor, request.GET)
            return self.export_response(table)
        initial = {k: request.GET[k] for k in ("period_start", "period_end") if request.GET.get(k)}
        return self.page(request, _sv_forms.SummaryBuildForm(initial=initial))

    def post(self, request):
        actor = request.actor
        _sv_selectors.supervision_government_only(actor)
        form = _sv_forms.SummaryBuildForm(request.POST)
        if form.is_valid():
            try:
                report = _sv_services.summary_build(
                    actor=actor,
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                )
            except _SvValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except _SvRefused as exc:
                form.add_error(None, exc.message)
            else:
                _sv_messages.success(request, _sv_("The summary was built. Check it, then report it."))
                return _sv_redirect("hazards:summary_report_detail", pk=report.pk)
        return self.page(request, form, status=400)


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SummaryReportReceivedView(_SvExportable, _SvView):
    """Summaries the bodies directly below have reported up to this one."""

    export_filename = _sv_lazy("hazard-summaries-received")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        filterset = _sv_filters.SummaryReportFilter(params, queryset=_sv_selectors.summary_reports_received(actor))
        return filterset, _sv_tables.SummaryReportTable(filterset.qs)

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        _SvRequestConfig(request, paginate={"per_page": _SV_PER_PAGE, "paginator_class": _SvLazyPaginator}).configure(
            table
        )
        return _sv_render(request, _SV_T + "reports.html", {"filter": filterset, "table": table, "section": "received"})


def _sv_report_context(report: _SvReport) -> dict:
    figures = report.figures or {}
    rows = {key: _sv.summary_rows(figures, f"by_{key}") for key in _SV_FIGURE_LABELS}
    return {
        "report": report,
        "figures": figures,
        "total": _sv.FigureRow.from_dict(figures.get("total", {})),
        "tables": _sv_figure_tables(rows),
        "rows": rows,
    }


def _sv_report_workbook(report: _SvReport):
    """The frozen summary as a workbook: the totals, then one sheet per dimension."""
    import tempfile

    from django.http import FileResponse
    from openpyxl import Workbook

    from safety.exports import EXCEL_MIME, table_rows

    context = _sv_report_context(report)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sv_("Summary"))
    figures, total = context["figures"], context["total"]
    for label, value in (
        (_sv_("Body"), report.body.name),
        (_sv_("Period"), f"{report.period_start} – {report.period_end}"),
        (_sv_("Enterprises in the jurisdiction"), figures.get("enterprises", 0)),
        (_sv_("Enterprises that reported hazards"), figures.get("enterprises_reporting", 0)),
        (_sv_("Found"), total.found),
        (_sv_("Rectified (closed)"), total.closed),
        (_sv_("Rectification rate"), _sv_tables._sv_percent(total.rectification_rate)),
        (_sv_("On-time rate"), _sv_tables._sv_percent(total.on_time_rate)),
        (_sv_("Major found"), total.found_major),
        (_sv_("Major rectification rate"), _sv_tables._sv_percent(total.major_rate)),
        (_sv_("Major hazards under supervised listing"), figures.get("listed", 0)),
        (_sv_("Rectification cost (yuan)"), figures.get("rectification_cost", "0")),
    ):
        sheet.append([str(label), value])
    for key, table in context["tables"].items():
        sheet = workbook.create_sheet(str(_SV_FIGURE_LABELS[key])[:31])
        headers, rows = table_rows(table)
        sheet.append(headers)
        for row in rows:
            sheet.append([str(v) if not isinstance(v, int) else v for v in row])
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    filename = f"hazard-summary-{report.body.pk}-{report.period_start}-{report.period_end}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=EXCEL_MIME)


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SummaryReportDetailView(_SvScoped, _SvView):
    """One summary: its frozen figures; the owner rebuilds, deletes or reports a draft (POST ``action``)."""

    model = _SvReport

    def get_queryset(self):
        return _sv_selectors.summary_reports_for_actor(self.request.actor)

    def render_page(self, request, report, status: int = 200):
        actor = request.actor
        own = report.body_id == actor.body.pk
        return _sv_render(
            request,
            _SV_T + "report_detail.html",
            {
                **_sv_report_context(report),
                "own": own,
                "may_change": own and report.reported_at is None and _sv_selectors.supervision_may_report(actor),
                "parent": _sv_selectors.supervision_parent_body(actor.body) if own else None,
            },
            status=status,
        )

    def get(self, request, pk: int):
        report = self.get_object()
        if request.GET.get("export") == "xlsx":
            from approvals import audit
            from approvals.models import OperationLog

            audit.log_operation(actor=request.actor, action=OperationLog.Action.EXPORT, obj=report)
            return _sv_report_workbook(report)
        return self.render_page(request, report)

    def post(self, request, pk: int):
        report = self.get_object()
        actor = request.actor
        action = request.POST.get("action")
        try:
            if action == "rebuild":
                _sv_services.summary_rebuild(actor=actor, report_id=report.pk)
                _sv_messages.success(request, _sv_("The figures were rebuilt from today's data."))
            elif action == "report":
                _sv_services.summary_submit(actor=actor, report_id=report.pk)
                _sv_messages.success(request, _sv_("The summary was reported to the parent body."))
            elif action == "delete":
                _sv_services.summary_delete(actor=actor, report_id=report.pk)
                _sv_messages.success(request, _sv_("The draft summary was deleted."))
                return _sv_redirect("hazards:summary_reports")
            else:
                return self.render_page(request, report, status=400)
        except _SvRefused as exc:
            _sv_messages.error(request, exc.message)
            return self.render_page(request, self.get_object(), status=409)
        return _sv_redirect("hazards:summary_report_detail", pk=report.pk)


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SummaryReportPdfView(_SvScoped, _SvView):
    """The summary table as a print-ready PDF (汇总表)."""

    model = _SvReport

    def get_queryset(self):
        return _sv_selectors.summary_reports_for_actor(self.request.actor)

    def post(self, request, pk: int):
        self.get_object()  # an outsider's POST is a 404, an insider's a 405
        return self.http_method_not_allowed(request)

    def get(self, request, pk: int):
        from safety.pdf import pdf_response

        report = self.get_object()
        return pdf_response(
            _SV_T + "report_pdf.html",
            _sv_report_context(report),
            filename=f"hazard-summary-{report.period_start}-{report.period_end}.pdf",
            request=request,
        )


# -- Differentiated supervision ---------------------------------------------------------------------------------


def _sv_supervision_tabs(active: str) -> dict:
    return {
        "active": active,
        "tabs": [
            ("samples", _sv_lazy("Random samples"), _sv_reverse("hazards:samples")),
            ("key", _sv_lazy("Key enterprises"), _sv_reverse("hazards:key_enterprises")),
            ("zero", _sv_lazy("Zero hazards reported"), _sv_reverse("hazards:zero_hazard_enterprises")),
            ("inactive", _sv_lazy("Not using the system"), _sv_reverse("hazards:inactive_enterprises")),
        ],
    }


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SampleListView(_SvExportable, _SvView):
    """Random samples of enterprises drawn by the body (and bodies below it), and the form that draws one."""

    export_filename = _sv_lazy("enterprise-samples")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        _sv_selectors.supervision_government_only(actor)
        filterset = _sv_filters.SampleFilter(params, queryset=_sv_selectors.samples_for_actor(actor))
        return filterset, _sv_tables.SampleTable(filterset.qs)

    def page(self, request, form, status: int = 200):
        actor = request.actor
        filterset, table = self.build_list(actor, request.GET)
        _SvRequestConfig(request, paginate={"per_page": _SV_PER_PAGE, "paginator_class": _SvLazyPaginator}).configure(
            table
        )
        return _sv_render(
            request,
            _SV_T + "samples.html",
            {
                "filter": filterset,
                "table": table,
                "form": form,
                "may_sample": _sv_selectors.supervision_may_sample(actor),
                **_sv_supervision_tabs("samples"),
            },
            status=status,
        )

    def get(self, request):
        if request.GET.get("export") == "xlsx":
            _filterset, table = self.build_list(request.actor, request.GET)
            return self.export_response(table)
        _sv_selectors.supervision_government_only(request.actor)
        return self.page(request, _sv_forms.SampleDrawForm(actor=request.actor))

    def post(self, request):
        actor = request.actor
        _sv_selectors.supervision_government_only(actor)
        if not _sv_selectors.supervision_may_sample(actor):
            raise _SvPermissionDenied(_sv_("Only the body's reviewers, inspectors and administrators draw samples."))
        form = _sv_forms.SampleDrawForm(request.POST, actor=actor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sample = _sv_services.sample_draw(
                    actor=actor,
                    purpose=data["purpose"],
                    size=data["size"],
                    industry=data["industry"],
                    size_class=data["size_class"],
                    region=data["region"],
                )
            except _SvValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                else:
                    for error in exc.messages:
                        form.add_error(None, error)
            else:
                _sv_messages.success(request, _sv_("The sample was drawn and logged with its seed."))
                return _sv_redirect("hazards:sample_detail", pk=sample.pk)
        return self.page(request, form, status=400)


@_sv_method_decorator(_sv_login_required, name="dispatch")
class SampleDetailView(_SvScoped, _SvExportable, _SvView):
    """One sample: its criteria and seed, whether re-drawing gives the same enterprises, and the enterprises."""

    model = _SvSample
    export_filename = _sv_lazy("enterprise-sample")

    def get_queryset(self):
        return _sv_selectors.samples_for_actor(self.request.actor)

    def post(self, request, pk: int):
        self.get_object()  # an outsider's POST is a 404, an insider's a 405
        return self.http_method_not_allowed(request)

    @classmethod
    def build_list(cls, actor, params, pk=None, **url_kwargs):
        sample = _sv_selectors.samples_for_actor(actor).filter(pk=pk).first()
        if sample is None:
            raise _SvHttp404
        queryset = _sv_selectors.supervision_enterprises(actor).filter(pk__in=sample.enterprise_ids)
        filterset = _sv_filters.SupervisionEnterpriseFilter(params, queryset=queryset, actor=actor)
        return filterset, _sv_tables.SupervisionEnterpriseTable(filterset.qs)

    def get(self, request, pk: int):
        sample = self.get_object()
        filterset, table = self.build_list(request.actor, request.GET, pk=sample.pk)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        _SvRequestConfig(request, paginate={"per_page": 50, "paginator_class": _SvLazyPaginator}).configure(table)
        return _sv_render(
            request,
            _SV_T + "sample_detail.html",
            {
                "sample": sample,
                "criteria": _sv_tables.sample_criteria_text(sample.criteria),
                "reproducible": _sv_services.sample_redraw_matches(sample),
                "filter": filterset,
                "table": table,
                **_sv_supervision_tabs("samples"),
            },
        )


class _SvEnterpriseListView(_SvExportable, _SvView):
    template_name = _SV_T + "enterprise_list.html"
    tab = ""
    title = ""
    help_text = ""

    def get(self, request):
        filterset, table = self.build_list(request.actor, request.GET)
        if request.GET.get("export") == "xlsx":
            return self.export_response(table)
        _SvRequestConfig(request, paginate={"per_page": _SV_PER_PAGE, "paginator_class": _SvLazyPaginator}).configure(
            table
        )
        return _sv_render(
            request,
            self.template_name,
            {
                "filter": filterset,
                "table": table,
                "title": self.title,
                "help_text": self.describe(filterset),
                **_sv_supervision_tabs(self.tab),
            },
        )

    def describe(self, filterset) -> str:
        return str(self.help_text)


@_sv_method_decorator(_sv_login_required, name="dispatch")
class KeyEnterpriseListView(_SvEnterpriseListView):
    tab = "key"
    title = _sv_lazy("Key enterprises")
    help_text = _sv_lazy(
        "Enterprises with a major hazard source, of the hazardous chemicals industry, or with major hazards not yet "
        "closed."
    )
    export_filename = _sv_lazy("key-enterprises")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        queryset = _sv_selectors.key_enterprises(actor)
        filterset = _sv_filters.KeyEnterpriseFilter(params, queryset=queryset, actor=actor)
        return filterset, _sv_tables.KeyEnterpriseTable(filterset.qs)


@_sv_method_decorator(_sv_login_required, name="dispatch")
class ZeroHazardListView(_SvEnterpriseListView):
    tab = "zero"
    title = _sv_lazy("Enterprises reporting zero hazards")
    export_filename = _sv_lazy("zero-hazard-enterprises")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        _sv_selectors.supervision_government_only(actor)
        filterset = _sv_filters.ZeroHazardFilter(params, queryset=_SvEnterprise.objects.none(), actor=actor)
        start, end = filterset.period()
        filterset.queryset = _sv_selectors.zero_hazard_enterprises(actor, start, end)
        return filterset, _sv_tables.ZeroHazardTable(filterset.qs)

    def describe(self, filterset) -> str:
        start, end = filterset.period()
        return _sv_(
            "Enterprises that registered no hazard of their own found from %(start)s to %(end)s (a body's inspection "
            "findings do not count)."
        ) % {"start": start, "end": end}


@_sv_method_decorator(_sv_login_required, name="dispatch")
class InactiveEnterpriseListView(_SvEnterpriseListView):
    tab = "inactive"
    title = _sv_lazy("Enterprises not using the system")
    export_filename = _sv_lazy("enterprises-not-using-the-system")

    @classmethod
    def build_list(cls, actor, params, **url_kwargs):
        _sv_selectors.supervision_government_only(actor)
        filterset = _sv_filters.InactiveEnterpriseFilter(params, queryset=_SvEnterprise.objects.none(), actor=actor)
        filterset.queryset = _sv_selectors.inactive_enterprises(actor, filterset.days_value())
        return filterset, _sv_tables.InactiveEnterpriseTable(filterset.qs)

    def describe(self, filterset) -> str:
        return _sv_("Enterprises none of whose accounts has logged in during the last %(days)s days.") % {
            "days": filterset.days_value()
        }
