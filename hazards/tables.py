from __future__ import annotations

# ==== area: risk ====
# isort: split
# The risk point library (with a selection column for batch delete), the shared library to copy from, the
# import/export log and the enterprise risk grade history.
import django_tables2 as _rk_tables  # noqa: E402
from django.urls import reverse as _rk_reverse  # noqa: E402
from django.utils import translation as _rk_tr  # noqa: E402
from django.utils.html import format_html as _rk_format_html  # noqa: E402
from django.utils.html import format_html_join as _rk_format_html_join  # noqa: E402

from . import grading as _rk_grading  # noqa: E402
from .models import RISK_LEVEL_COLOUR as _RK_LEVEL_COLOUR  # noqa: E402
from .models import EnterpriseRiskGrade as _RkEnterpriseRiskGrade  # noqa: E402
from .models import RiskLevel as _RkRiskLevel  # noqa: E402
from .models import RiskPoint as _RkRiskPoint  # noqa: E402
from .models import SharedRiskPoint as _RkSharedRiskPoint  # noqa: E402
from .models import TransferLog as _RkTransferLog  # noqa: E402

# The four colours of the risk map, as printed (red, orange, yellow, blue) and the text on them.
RISK_LEVEL_HEX = {"red": "#d7000f", "orange": "#f08300", "yellow": "#ffd800", "blue": "#0068b7"}
RISK_LEVEL_TEXT_HEX = {"red": "#ffffff", "orange": "#ffffff", "yellow": "#111111", "blue": "#ffffff"}

RISK_TRANSFER_SUBJECTS = {
    "risk_points": _rk_tr.gettext_lazy("Risk point library (template format)"),
    "risk_point_list": _rk_tr.gettext_lazy("Risk point list"),
    "shared_library": _rk_tr.gettext_lazy("Copied from the shared library"),
}


def risk_level_badge(level: str, label=None):
    """A level as a badge in its colour (data-level for tests and the map)."""
    if not level:
        return _rk_format_html(
            '<span class="badge text-bg-light border" data-level="">{}</span>', _rk_tr.gettext("Not graded")
        )
    colour = _RK_LEVEL_COLOUR[level]
    return _rk_format_html(
        '<span class="badge" style="background:{};color:{}" data-level="{}" data-testid="risk-level">{}</span>',
        RISK_LEVEL_HEX[colour],
        RISK_LEVEL_TEXT_HEX[colour],
        level,
        label or _RkRiskLevel(level).label,
    )


class RiskPointTable(_rk_tables.Table):
    select = _rk_tables.CheckBoxColumn(
        accessor="pk", attrs={"input": {"name": "ids", "form": "risk-batch-form", "data-testid": "risk-select"}}
    )
    name = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Risk point"))
    category = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Category"))
    place = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Place"))
    department = _rk_tables.Column(
        verbose_name=_rk_tr.gettext_lazy("Department"), accessor="department__name", order_by=("department__name",)
    )
    level = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Risk level"), empty_values=(), order_by=("score",))
    method = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Method"))
    score = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Score"))
    factor_count = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Hazard factors"))
    responsible = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Person responsible"))
    needs_regrading = _rk_tables.BooleanColumn(verbose_name=_rk_tr.gettext_lazy("Needs re-grading"))

    exclude_from_export = ("select",)

    class Meta:
        model = _RkRiskPoint
        fields = ()
        sequence = (
            "select",
            "name",
            "category",
            "place",
            "department",
            "level",
            "method",
            "score",
            "factor_count",
            "responsible",
            "needs_regrading",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "risk-point-table"}
        row_attrs = {"data-testid": "risk-point-row", "data-level": lambda record: record.level}
        empty_text = _rk_tr.gettext_lazy("No risk points yet: add one, import a file or copy from the shared library.")
        order_by = ("name",)

    def __init__(self, *args, manage: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not manage:
            self.columns.hide("select")

    def render_name(self, record, value):
        return _rk_format_html(
            '<a href="{}" data-testid="risk-point-link">{}</a>',
            _rk_reverse("hazards:risk_point_detail", args=[record.pk]),
            value,
        )

    def value_name(self, record, value):
        return value

    def render_level(self, record):
        return risk_level_badge(record.level)

    def value_level(self, record):
        return record.get_level_display()

    def render_method(self, record):
        return record.method.upper()

    def value_method(self, record):
        return record.method.upper()

    def render_score(self, value):
        return _rk_grading.format_value(value)

    def value_score(self, value):
        return float(value) if value is not None else None

    def render_needs_regrading(self, value):
        if value:
            return _rk_format_html('<span class="badge text-bg-warning">{}</span>', _rk_tr.gettext("Re-grade"))
        return ""

    def value_needs_regrading(self, value):
        return _rk_tr.gettext("Yes") if value else _rk_tr.gettext("No")


class RiskSharedPointTable(_rk_tables.Table):
    select = _rk_tables.CheckBoxColumn(accessor="pk", attrs={"input": {"name": "ids", "data-testid": "shared-select"}})
    name = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Typical risk point"))
    category = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Category"))
    factors = _rk_tables.Column(
        verbose_name=_rk_tr.gettext_lazy("Hazard factors and control measures"), orderable=False
    )
    level = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Typical level"), empty_values=(), orderable=False)

    exclude_from_export = ("select",)

    class Meta:
        model = _RkSharedRiskPoint
        fields = ()
        sequence = ("select", "name", "category", "factors", "level")
        attrs = {"class": "table table-sm align-middle", "data-testid": "shared-table"}
        row_attrs = {"data-testid": "shared-row"}
        empty_text = _rk_tr.gettext_lazy("The shared library has no typical risk points for your industry yet.")
        order_by = ("name",)

    def __init__(self, *args, bands: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bands = bands or {}

    def _grade(self, record):
        if not record.method:
            return None
        try:
            return _rk_grading.grade(record.method, record.values, self.bands.get(record.method))
        except Exception:  # a bad library row must not break the page
            return None

    def render_factors(self, value):
        rows = ((f["description"], "；".join(m["description"] for m in f.get("measures", []))) for f in value or [])
        items = _rk_format_html_join("", '<li>{} <span class="text-body-secondary">→ {}</span></li>', rows)
        return _rk_format_html('<ul class="small mb-0 ps-3">{}</ul>', items)

    def value_factors(self, value):
        return "\n".join(f["description"] for f in value or [])

    def render_level(self, record):
        g = self._grade(record)
        return risk_level_badge(g.level) if g else "—"

    def value_level(self, record):
        g = self._grade(record)
        return str(_RkRiskLevel(g.level).label) if g else ""


class RiskTransferLogTable(_rk_tables.Table):
    created_at = _rk_tables.DateTimeColumn(verbose_name=_rk_tr.gettext_lazy("Time"), format="Y-m-d H:i")
    kind = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Kind"))
    subject = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("What"))
    file_name = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("File"))
    rows = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Rows"))
    errors = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Errors"))
    succeeded = _rk_tables.BooleanColumn(verbose_name=_rk_tr.gettext_lazy("Succeeded"))
    user = _rk_tables.Column(
        verbose_name=_rk_tr.gettext_lazy("User"), accessor="user__full_name", order_by=("user__username",)
    )

    class Meta:
        model = _RkTransferLog
        fields = ()
        sequence = ("created_at", "kind", "subject", "file_name", "rows", "errors", "succeeded", "user")
        attrs = {"class": "table table-hover align-middle", "data-testid": "transfer-log-table"}
        row_attrs = {"data-testid": "transfer-log-row"}
        empty_text = _rk_tr.gettext_lazy("Nothing imported or exported yet.")
        order_by = ("-created_at",)

    def render_subject(self, value):
        return RISK_TRANSFER_SUBJECTS.get(value, value)

    def value_subject(self, value):
        return str(RISK_TRANSFER_SUBJECTS.get(value, value))

    def value_created_at(self, value):
        return value

    def value_succeeded(self, value):
        return _rk_tr.gettext("Yes") if value else _rk_tr.gettext("No")

    def render_user(self, record, value):
        return value or (record.user.username if record.user else "—")


class EnterpriseRiskGradeTable(_rk_tables.Table):
    set_at = _rk_tables.DateTimeColumn(verbose_name=_rk_tr.gettext_lazy("Set at"), format="Y-m-d H:i")
    grade = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Grade"))
    basis = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Basis"))
    attachment = _rk_tables.Column(verbose_name=_rk_tr.gettext_lazy("Attachment"), orderable=False)
    set_by = _rk_tables.Column(
        verbose_name=_rk_tr.gettext_lazy("Set by"), accessor="set_by__full_name", orderable=False
    )

    exclude_from_export = ("attachment",)

    class Meta:
        model = _RkEnterpriseRiskGrade
        fields = ()
        sequence = ("set_at", "grade", "basis", "attachment", "set_by")
        attrs = {"class": "table table-hover align-middle", "data-testid": "risk-grade-table"}
        row_attrs = {"data-testid": "risk-grade-row"}
        empty_text = _rk_tr.gettext_lazy("No enterprise risk grade has been set yet.")
        order_by = ("-set_at",)

    def render_grade(self, record):
        return _rk_format_html('<span class="badge text-bg-dark fs-6">{}</span>', record.grade)

    def render_attachment(self, record):
        if not record.attachment:
            return "—"
        return _rk_format_html(
            '<a href="{}" target="_blank" rel="noopener" data-testid="risk-grade-attachment">{}</a>',
            _rk_reverse("hazards:risk_grade_attachment", args=[record.pk]),
            _rk_tr.gettext("View"),
        )

    def value_set_at(self, value):
        return value


# ==== area: lists ====
# isort: split
import django_tables2 as _ls_tables  # noqa: E402
from django.utils import translation as _ls_tr  # noqa: E402
from django.utils.html import format_html as _ls_format_html  # noqa: E402

from .models import InspectionTask as _LsInspectionTask  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402

RISK_LIST_STATUS_BADGES = {
    _LsRiskList.Status.DRAFT: "secondary",
    _LsRiskList.Status.SUBMITTED: "info",
    _LsRiskList.Status.APPROVED: "primary",
    _LsRiskList.Status.FILING: "warning",
    _LsRiskList.Status.FILED: "success",
    _LsRiskList.Status.RETURNED: "danger",
}
INSPECTION_STATUS_BADGES = {
    _LsInspectionTask.Status.DUE: "warning",
    _LsInspectionTask.Status.DONE: "success",
    _LsInspectionTask.Status.MISSED: "danger",
}


def risk_list_status_badge(risk_list: _LsRiskList):
    return _ls_format_html(
        '<span class="badge text-bg-{}" data-testid="risk-list-status" data-status="{}">{}</span>',
        RISK_LIST_STATUS_BADGES.get(risk_list.status, "secondary"),
        risk_list.status,
        risk_list.get_status_display(),
    )


def inspection_status_badge(task: _LsInspectionTask):
    return _ls_format_html(
        '<span class="badge text-bg-{}" data-testid="task-status" data-status="{}">{}</span>',
        INSPECTION_STATUS_BADGES.get(task.status, "secondary"),
        task.status,
        task.get_status_display(),
    )


def risk_list_frequency(risk_list: _LsRiskList) -> str:
    """How often the list's points are checked: "Daily (workdays) × 3", "Weekly"…"""
    if risk_list.frequency != "daily":
        return risk_list.get_frequency_display()
    if risk_list.workdays_only:
        text = _ls_tr.gettext("Daily on workdays (Monday to Friday)")
    else:
        text = _ls_tr.gettext("Daily, weekends included")
    if risk_list.checks_per_day > 1:
        text += f" × {risk_list.checks_per_day}"
    return text


class RiskListTable(_ls_tables.Table):
    """The enterprise's own lists (``items_count`` is annotated by the view)."""

    name = _ls_tables.LinkColumn(
        "hazards:risk_list_detail", args=[_ls_tables.A("pk")], verbose_name=_ls_tr.gettext_lazy("Risk list")
    )
    level = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Level"))
    department = _ls_tables.Column(
        verbose_name=_ls_tr.gettext_lazy("Department"), accessor="department__name", order_by=("department__name",)
    )
    frequency = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Check frequency"))
    items_count = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Risk points"))
    status = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Status"))
    filed_at = _ls_tables.DateTimeColumn(verbose_name=_ls_tr.gettext_lazy("Filed at"), format="Y-m-d H:i")
    created_at = _ls_tables.DateTimeColumn(verbose_name=_ls_tr.gettext_lazy("Created at"), format="Y-m-d H:i")

    class Meta:
        model = _LsRiskList
        fields = ()
        sequence = ("name", "level", "department", "frequency", "items_count", "status", "filed_at", "created_at")
        attrs = {"class": "table table-hover align-middle", "data-testid": "risk-list-table"}
        row_attrs = {"data-testid": "risk-list-row"}
        empty_text = _ls_tr.gettext_lazy("No risk lists yet.")
        order_by = ("name",)

    def render_level(self, record):
        return record.get_level_display()

    def value_level(self, record):
        return record.get_level_display()

    def render_frequency(self, record):
        return risk_list_frequency(record)

    def value_frequency(self, record):
        return risk_list_frequency(record)

    def render_status(self, record):
        return risk_list_status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def value_filed_at(self, value):
        return value

    def value_created_at(self, value):
        return value


class GovRiskListTable(RiskListTable):
    """The government's lists: the enterprise first, linked to the filing page."""

    enterprise = _ls_tables.Column(
        verbose_name=_ls_tr.gettext_lazy("Enterprise"), accessor="enterprise__name", order_by=("enterprise__name",)
    )
    region = _ls_tables.Column(
        verbose_name=_ls_tr.gettext_lazy("Region"),
        accessor="enterprise__region__name",
        order_by=("enterprise__region__path",),
    )
    name = _ls_tables.LinkColumn(
        "hazards:gov_risk_list_detail", args=[_ls_tables.A("pk")], verbose_name=_ls_tr.gettext_lazy("Risk list")
    )

    class Meta(RiskListTable.Meta):
        sequence = (
            "enterprise",
            "region",
            "name",
            "level",
            "department",
            "frequency",
            "items_count",
            "status",
            "filed_at",
        )
        exclude = ("created_at",)
        attrs = {"class": "table table-hover align-middle", "data-testid": "gov-risk-list-table"}
        empty_text = _ls_tr.gettext_lazy("Nothing here.")
        order_by = ("enterprise", "name")


class InspectionTaskTable(_ls_tables.Table):
    risk_point = _ls_tables.LinkColumn(
        "hazards:inspection_task_detail",
        args=[_ls_tables.A("pk")],
        accessor="risk_point__name",
        order_by=("risk_point__name",),
        verbose_name=_ls_tr.gettext_lazy("Risk point"),
    )
    place = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Place"), accessor="risk_point__place", orderable=False)
    risk_list = _ls_tables.Column(
        verbose_name=_ls_tr.gettext_lazy("Risk list"), accessor="risk_list__name", order_by=("risk_list__name",)
    )
    department = _ls_tables.Column(
        verbose_name=_ls_tr.gettext_lazy("Department"), accessor="risk_list__department__name", orderable=False
    )
    period_start = _ls_tables.DateColumn(verbose_name=_ls_tr.gettext_lazy("Due from"), format="Y-m-d")
    period_end = _ls_tables.DateColumn(verbose_name=_ls_tr.gettext_lazy("Due by"), format="Y-m-d")
    slot = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Check of the day"))
    status = _ls_tables.Column(verbose_name=_ls_tr.gettext_lazy("Status"))
    done_at = _ls_tables.DateTimeColumn(verbose_name=_ls_tr.gettext_lazy("Done at"), format="Y-m-d H:i")
    done_by = _ls_tables.Column(
        verbose_name=_ls_tr.gettext_lazy("Done by"), accessor="done_by__full_name", orderable=False
    )

    class Meta:
        model = _LsInspectionTask
        fields = ()
        sequence = (
            "risk_point",
            "place",
            "risk_list",
            "department",
            "period_start",
            "period_end",
            "slot",
            "status",
            "done_at",
            "done_by",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "inspection-task-table"}
        row_attrs = {"data-testid": "inspection-task-row", "data-status": lambda record: record.status}
        empty_text = _ls_tr.gettext_lazy("No inspection tasks.")
        order_by = ("-period_start", "risk_point")

    def render_status(self, record):
        return inspection_status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def render_done_by(self, record):
        return record.done_by.display_name if record.done_by else "—"

    def value_done_by(self, record):
        return record.done_by.display_name if record.done_by else ""

    def value_period_start(self, value):
        return value

    def value_period_end(self, value):
        return value

    def value_done_at(self, value):
        return value


# ==== area: hazards ====
# isort: split
import django_tables2 as tables  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import format_html  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from .models import Hazard  # noqa: E402

HAZARD_STATUS_BADGES = {
    Hazard.Status.REGISTERED: "secondary",
    Hazard.Status.REPORTED: "info",
    Hazard.Status.RECTIFYING: "warning",
    Hazard.Status.OVERDUE: "danger",
    Hazard.Status.EXTENSION_REQUESTED: "warning",
    Hazard.Status.CLOSED: "success",
}
HAZARD_LEVEL_BADGES = {Hazard.Level.GENERAL: "warning", Hazard.Level.MAJOR: "danger"}


def hazard_status_badge(hazard: Hazard):
    return format_html(
        '<span class="badge text-bg-{}" data-testid="hazard-status" data-status="{}">{}</span>',
        HAZARD_STATUS_BADGES.get(hazard.status, "secondary"),
        hazard.status,
        hazard.get_status_display(),
    )


def hazard_level_badge(hazard: Hazard):
    return format_html(
        '<span class="badge text-bg-{}">{}</span>',
        HAZARD_LEVEL_BADGES.get(hazard.level, "secondary"),
        hazard.get_level_display(),
    )


def _hz_local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class HazardTable(tables.Table):
    """The enterprise's hazards (and, with the enterprise column, a government queue of them)."""

    number = tables.Column(verbose_name=_("Number"))
    title = tables.Column(verbose_name=_("Hazard"))
    level = tables.Column(verbose_name=_("Level"))
    kind = tables.Column(verbose_name=_("Kind"))
    status = tables.Column(verbose_name=_("Status"))
    source = tables.Column(verbose_name=_("Source"))
    department = tables.Column(verbose_name=_("Department"), accessor="department__name", default="")
    responsible = tables.Column(verbose_name=_("Person responsible"), empty_values=(), orderable=False)
    found_at = tables.Column(verbose_name=_("Found at"))
    deadline = tables.Column(verbose_name=_("Deadline"))

    class Meta:
        model = Hazard
        fields = ()
        sequence = (
            "number",
            "title",
            "level",
            "kind",
            "status",
            "source",
            "department",
            "responsible",
            "found_at",
            "deadline",
        )
        # No wrapping: on a phone the table scrolls sideways instead of stacking a title one character a line.
        attrs = {"class": "table table-hover align-middle text-nowrap", "data-testid": "hazard-table"}
        row_attrs = {"data-testid": "hazard-row", "data-status": lambda record: record.status}
        empty_text = _("No hazards found.")

    def render_number(self, record):
        return format_html(
            '<a href="{}" data-testid="hazard-link">{}</a>',
            reverse("hazards:hazard_detail", args=[record.pk]),
            record.number or record.pk,
        )

    def value_number(self, record):
        return record.number

    def render_level(self, record):
        return hazard_level_badge(record)

    def value_level(self, record):
        return record.get_level_display()

    def render_status(self, record):
        return hazard_status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return record.get_kind_display()

    def render_source(self, record):
        return record.get_source_display()

    def value_source(self, record):
        return record.get_source_display()

    def render_responsible(self, record):
        user = record.responsible_user
        return (user.full_name or user.get_username()) if user else (record.responsible or "—")

    def value_responsible(self, record):
        user = record.responsible_user
        return (user.full_name or user.get_username()) if user else record.responsible

    def render_found_at(self, record):
        return _hz_local(record.found_at)

    def value_found_at(self, record):
        return record.found_at

    def render_deadline(self, record):
        text = _hz_local(record.deadline)
        if record.status in Hazard.OPEN_STATES and record.is_past_deadline:
            return format_html('<span class="text-danger fw-semibold">{}</span>', text)
        return text

    def value_deadline(self, record):
        return record.deadline


class GovHazardTable(HazardTable):
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name")

    class Meta(HazardTable.Meta):
        sequence = ("enterprise", *HazardTable.Meta.sequence)


# ==== area: supervision ====
# isort: split
# Government supervision tables. The hazard queue's order is fixed (-found_at, -id: keyset pages), so no column
# sorts. Figures tables take FigureRow lists (hazards.supervision); rates print as "66.7%" and "—" for none.
import django_tables2 as _sv_tables  # noqa: E402
from django.urls import reverse as _sv_reverse  # noqa: E402
from django.utils import timezone as _sv_timezone  # noqa: E402
from django.utils.html import format_html as _sv_format_html  # noqa: E402
from django.utils.translation import gettext_lazy as _sv_  # noqa: E402

from enterprises.models import IndustryCategory as _SvIndustry  # noqa: E402
from enterprises.models import SizeClass as _SvSizeClass  # noqa: E402

from .models import Hazard as _SvHazard  # noqa: E402
from .models import SupervisedListing as _SvListing  # noqa: E402

_SV_ATTRS = {"class": "table table-hover align-middle"}


def _sv_local(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return _sv_timezone.localtime(moment).strftime(fmt) if moment else ""


def _sv_percent(value) -> str:
    return "—" if value is None else f"{value}%"


def _sv_industry(value: str) -> str:
    return str(dict(_SvIndustry.choices).get(value, value or ""))


class SupervisionHazardTable(_sv_tables.Table):
    """A government queue of hazards (the whole jurisdiction's). ``listed=True`` adds the listing's columns."""

    number = _sv_tables.Column(verbose_name=_sv_("Number"), empty_values=())
    enterprise = _sv_tables.Column(verbose_name=_sv_("Enterprise"), accessor="enterprise__name")
    region = _sv_tables.Column(verbose_name=_sv_("Region"), accessor="enterprise__region", empty_values=())
    industry = _sv_tables.Column(verbose_name=_sv_("Industry"), accessor="enterprise__industry")
    title = _sv_tables.Column(verbose_name=_sv_("Hazard"))
    level = _sv_tables.Column(verbose_name=_sv_("Level"))
    status = _sv_tables.Column(verbose_name=_sv_("Status"))
    source = _sv_tables.Column(verbose_name=_sv_("Source"))
    found_at = _sv_tables.Column(verbose_name=_sv_("Found at"))
    deadline = _sv_tables.Column(verbose_name=_sv_("Deadline"))
    listing_status = _sv_tables.Column(
        verbose_name=_sv_("Supervised listing"), accessor="listing__status", empty_values=()
    )
    listing_body = _sv_tables.Column(verbose_name=_sv_("Listed by"), accessor="listing__body__name", default="")

    class Meta:
        model = _SvHazard
        fields = ()
        orderable = False
        attrs = {**_SV_ATTRS, "data-testid": "queue-table"}
        row_attrs = {"data-testid": "queue-row", "data-status": lambda record: record.status}
        empty_text = _sv_("No hazards found.")

    def __init__(self, *args, listed: bool = False, **kwargs) -> None:
        if not listed:
            kwargs["exclude"] = ("listing_status", "listing_body")
        super().__init__(*args, **kwargs)

    def render_number(self, record):
        return _sv_format_html(
            '<a href="{}" data-testid="hazard-link">{}</a>',
            _sv_reverse("hazards:hazard_detail", args=[record.pk]),
            record.number or record.pk,
        )

    def value_number(self, record):
        return record.number

    def render_region(self, record):
        return str(record.enterprise.region)

    def value_region(self, record):
        return str(record.enterprise.region)

    def render_industry(self, value):
        return _sv_industry(value)

    def value_industry(self, value):
        return _sv_industry(value)

    def render_level(self, record):
        return hazard_level_badge(record)

    def value_level(self, record):
        return record.get_level_display()

    def render_status(self, record):
        return hazard_status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def render_source(self, record):
        return record.get_source_display()

    def value_source(self, record):
        return record.get_source_display()

    def render_found_at(self, value):
        return _sv_local(value)

    def value_found_at(self, value):
        return value

    def render_deadline(self, record):
        text = _sv_local(record.deadline)
        if record.status in _SvHazard.OPEN_STATES and record.is_past_deadline:
            return _sv_format_html('<span class="text-danger fw-semibold">{}</span>', text)
        return text

    def value_deadline(self, record):
        return record.deadline

    def render_listing_status(self, record):
        listing = getattr(record, "listing", None)
        return listing.get_status_display() if listing else ""

    def value_listing_status(self, record):
        return self.render_listing_status(record)

    # The fields one exported row needs, read as plain values (no model instances: building three per row was
    # a third of an export's time).
    _SV_EXPORT_FIELDS = (
        "number",
        "title",
        "level",
        "status",
        "source",
        "found_at",
        "deadline",
        "enterprise__name",
        "enterprise__industry",
        "enterprise__region__name",
        "enterprise__region__name_en",
    )
    _SV_LISTING_FIELDS = ("listing__status", "listing__body__name")

    def export_values(self, v: dict) -> dict:
        """One hazard's cells, from its plain values, as the value_* methods above give them (a test keeps the two
        in step). Labels are translated once per export, not once per cell."""
        labels = getattr(self, "_sv_labels", None)
        if labels is None:
            from django.utils.translation import get_language

            labels = self._sv_labels = {
                "level": {k: str(x) for k, x in _SvHazard.Level.choices},
                "status": {k: str(x) for k, x in _SvHazard.Status.choices},
                "source": {k: str(x) for k, x in _SvHazard.Source.choices},
                "industry": {k: str(x) for k, x in _SvIndustry.choices},
                "listing": {k: str(x) for k, x in _SvListing.Status.choices},
                # enterprises.models.Region.__str__: the pinyin name in English where there is one.
                "english": (get_language() or "").startswith("en"),
            }
        region = v["enterprise__region__name_en"] if labels["english"] else ""
        listing = v.get("listing__status")
        return {
            "number": v["number"],
            "enterprise": v["enterprise__name"],
            "region": region or v["enterprise__region__name"],
            "industry": labels["industry"].get(v["enterprise__industry"], v["enterprise__industry"]),
            "title": v["title"],
            "level": labels["level"].get(v["level"], v["level"]),
            "status": labels["status"].get(v["status"], v["status"]),
            "source": labels["source"].get(v["source"], v["source"]),
            "found_at": v["found_at"],
            "deadline": v["deadline"],
            "listing_status": labels["listing"].get(listing, "") if listing else "",
            "listing_body": v.get("listing__body__name") or "" if listing else "",
        }

    def as_values(self, exclude_columns=None):
        """The export's rows without django-tables2's per-cell machinery (about 1 ms a cell: 100 000 hazards took a
        quarter of an hour), read as plain values in chunks so memory stays flat; the same columns and values."""
        from django.utils.encoding import force_str

        exclude = set(exclude_columns or ())
        names = [c.name for c in self.columns.iterall() if not (c.column.exclude_from_export or c.name in exclude)]
        yield [force_str(self.columns[name].header) for name in names]
        fields = self._SV_EXPORT_FIELDS + (self._SV_LISTING_FIELDS if "listing_status" in self.columns else ())
        data = self.data.data
        if hasattr(data, "values"):
            rows = data.values(*fields).iterator(chunk_size=2000)
        else:  # a list of hazards (a page)
            rows = ({f: _sv_attr(h, f) for f in fields} for h in data)
        for v in rows:
            values = self.export_values(v)
            yield [values[name] for name in names]  # str or datetime already: nothing lazy to force


def _sv_attr(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class SupervisionFiguresTable(_sv_tables.Table):
    """Figures by one dimension (region, industry or month); data: a list of FigureRow."""

    label = _sv_tables.Column(verbose_name=_sv_("Region"))
    found = _sv_tables.Column(verbose_name=_sv_("Found"))
    closed = _sv_tables.Column(verbose_name=_sv_("Rectified (closed)"))
    open = _sv_tables.Column(verbose_name=_sv_("Not yet closed"))
    rectification_rate = _sv_tables.Column(verbose_name=_sv_("Rectification rate"))
    closed_on_time = _sv_tables.Column(verbose_name=_sv_("Closed on time"))
    on_time_rate = _sv_tables.Column(verbose_name=_sv_("On-time rate"))
    found_major = _sv_tables.Column(verbose_name=_sv_("Major found"))
    closed_major = _sv_tables.Column(verbose_name=_sv_("Major closed"))
    major_rate = _sv_tables.Column(verbose_name=_sv_("Major rectification rate"))

    class Meta:
        orderable = False
        attrs = {**_SV_ATTRS, "class": "table table-sm table-hover align-middle"}
        empty_text = _sv_("No hazards found.")

    def __init__(self, rows, *, label=None, testid: str = "", **kwargs) -> None:
        super().__init__(rows, **kwargs)
        if label is not None:
            self.columns["label"].column.verbose_name = label
        if testid:
            self.attrs = {**self.attrs, "data-testid": testid}

    def render_rectification_rate(self, value):
        return _sv_percent(value)

    def render_on_time_rate(self, value):
        return _sv_percent(value)

    def render_major_rate(self, value):
        return _sv_percent(value)

    def value_rectification_rate(self, value):
        return _sv_percent(value)

    def value_on_time_rate(self, value):
        return _sv_percent(value)

    def value_major_rate(self, value):
        return _sv_percent(value)


class SummaryReportTable(_sv_tables.Table):
    body = _sv_tables.Column(verbose_name=_sv_("Body"), accessor="body__name")
    period = _sv_tables.Column(verbose_name=_sv_("Period"), empty_values=(), order_by=("period_start",))
    found = _sv_tables.Column(verbose_name=_sv_("Found"), empty_values=(), orderable=False)
    closed = _sv_tables.Column(verbose_name=_sv_("Rectified (closed)"), empty_values=(), orderable=False)
    rectification_rate = _sv_tables.Column(verbose_name=_sv_("Rectification rate"), empty_values=(), orderable=False)
    major_rate = _sv_tables.Column(verbose_name=_sv_("Major rectification rate"), empty_values=(), orderable=False)
    reported_at = _sv_tables.Column(verbose_name=_sv_("Reported at"), empty_values=())
    reported_by = _sv_tables.Column(verbose_name=_sv_("Reported by"), accessor="reported_by", default="")

    class Meta:
        attrs = {**_SV_ATTRS, "data-testid": "report-table"}
        empty_text = _sv_("No summaries yet.")

    def _total(self, record):
        from .supervision import FigureRow

        return FigureRow.from_dict(record.figures.get("total", {}))

    def render_period(self, record):
        return _sv_format_html(
            '<a href="{}" data-testid="report-link">{} – {}</a>',
            _sv_reverse("hazards:summary_report_detail", args=[record.pk]),
            record.period_start,
            record.period_end,
        )

    def value_period(self, record):
        return f"{record.period_start} – {record.period_end}"

    def render_found(self, record):
        return self._total(record).found

    def render_closed(self, record):
        return self._total(record).closed

    def render_rectification_rate(self, record):
        return _sv_percent(self._total(record).rectification_rate)

    def render_major_rate(self, record):
        return _sv_percent(self._total(record).major_rate)

    def value_found(self, record):
        return self._total(record).found

    def value_closed(self, record):
        return self._total(record).closed

    def value_rectification_rate(self, record):
        return self.render_rectification_rate(record)

    def value_major_rate(self, record):
        return self.render_major_rate(record)

    def render_reported_at(self, value):
        if not value:
            return _sv_format_html('<span class="badge text-bg-secondary">{}</span>', _sv_("Draft"))
        return _sv_local(value)

    def value_reported_at(self, value):
        return value or ""

    def render_reported_by(self, value):
        return value.display_name if value else ""

    def value_reported_by(self, value):
        return value.display_name if value else ""


class SampleTable(_sv_tables.Table):
    purpose = _sv_tables.Column(verbose_name=_sv_("Purpose"))
    body = _sv_tables.Column(verbose_name=_sv_("Body"), accessor="body__name")
    criteria = _sv_tables.Column(verbose_name=_sv_("Criteria"), orderable=False)
    size = _sv_tables.Column(verbose_name=_sv_("Sample size"))
    drawn = _sv_tables.Column(verbose_name=_sv_("Drawn"), accessor="enterprise_ids", orderable=False)
    drawn_by = _sv_tables.Column(verbose_name=_sv_("Drawn by"), accessor="drawn_by", default="")
    drawn_at = _sv_tables.Column(verbose_name=_sv_("Drawn at"))
    seed = _sv_tables.Column(verbose_name=_sv_("Seed"), orderable=False)

    class Meta:
        attrs = {**_SV_ATTRS, "data-testid": "sample-table"}
        empty_text = _sv_("No samples drawn yet.")

    def render_purpose(self, record):
        return _sv_format_html(
            '<a href="{}" data-testid="sample-link">{}</a>',
            _sv_reverse("hazards:sample_detail", args=[record.pk]),
            record.purpose,
        )

    def value_purpose(self, record):
        return record.purpose

    def render_criteria(self, value):
        return sample_criteria_text(value)

    def value_criteria(self, value):
        return sample_criteria_text(value)

    def render_drawn(self, value):
        return len(value or [])

    def value_drawn(self, value):
        return len(value or [])

    def render_drawn_by(self, value):
        return value.display_name if value else ""

    def value_drawn_by(self, value):
        return value.display_name if value else ""

    def render_drawn_at(self, value):
        return _sv_local(value)

    def value_drawn_at(self, value):
        return value


def sample_criteria_text(criteria: dict) -> str:
    parts = []
    if criteria.get("industry"):
        parts.append(_sv_industry(criteria["industry"]))
    if criteria.get("size_class"):
        parts.append(str(dict(_SvSizeClass.choices).get(criteria["size_class"], criteria["size_class"])))
    if criteria.get("region_name"):
        parts.append(criteria["region_name"])
    return " · ".join(parts) or str(_sv_("Every enterprise of the jurisdiction"))


class SupervisionEnterpriseTable(_sv_tables.Table):
    """Enterprises of the jurisdiction (differentiated supervision lists), linking to the enterprise file."""

    name = _sv_tables.Column(verbose_name=_sv_("Enterprise"))
    credit_code = _sv_tables.Column(verbose_name=_sv_("Credit code"))
    region = _sv_tables.Column(verbose_name=_sv_("Region"), order_by=("region__path",))
    industry = _sv_tables.Column(verbose_name=_sv_("Industry"))
    size_class = _sv_tables.Column(verbose_name=_sv_("Size class"), default="")
    owning_body = _sv_tables.Column(verbose_name=_sv_("Owning body"), accessor="owning_body__name")
    contact = _sv_tables.Column(verbose_name=_sv_("Contact"), accessor="contact_name", orderable=False)
    phone = _sv_tables.Column(verbose_name=_sv_("Phone"), accessor="contact_phone", orderable=False)

    class Meta:
        attrs = {**_SV_ATTRS, "data-testid": "enterprise-table"}
        row_attrs = {"data-testid": "enterprise-row"}
        empty_text = _sv_("No enterprises found.")

    def render_name(self, record):
        return _sv_format_html(
            '<a href="{}">{}</a>', _sv_reverse("enterprises:gov_enterprise_detail", args=[record.pk]), record.name
        )

    def value_name(self, record):
        return record.name

    def render_region(self, value):
        return str(value)

    def value_region(self, value):
        return str(value)

    def render_industry(self, record):
        return record.get_industry_display()

    def value_industry(self, record):
        return record.get_industry_display()

    def render_size_class(self, record):
        return record.get_size_class_display()

    def value_size_class(self, record):
        return record.get_size_class_display()


class KeyEnterpriseTable(SupervisionEnterpriseTable):
    has_major_hazard_source = _sv_tables.BooleanColumn(verbose_name=_sv_("Major hazard source"))
    open_major = _sv_tables.Column(verbose_name=_sv_("Open major hazards"))

    class Meta(SupervisionEnterpriseTable.Meta):
        sequence = ("name", "credit_code", "region", "industry", "has_major_hazard_source", "open_major", "...")

    def value_has_major_hazard_source(self, value):
        return str(_sv_("Yes") if value else _sv_("No"))


class ZeroHazardTable(SupervisionEnterpriseTable):
    last_reported_at = _sv_tables.Column(verbose_name=_sv_("Last hazard reported"), default="")

    class Meta(SupervisionEnterpriseTable.Meta):
        pass

    def render_last_reported_at(self, value):
        return _sv_local(value, "%Y-%m-%d")

    def value_last_reported_at(self, value):
        return value


class InactiveEnterpriseTable(SupervisionEnterpriseTable):
    last_login = _sv_tables.Column(verbose_name=_sv_("Last login of any account"), default="")

    class Meta(SupervisionEnterpriseTable.Meta):
        pass

    def render_last_login(self, value):
        return _sv_local(value)

    def value_last_login(self, value):
        return value
