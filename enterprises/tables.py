from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Enterprise


class StatusColumn(tables.Column):
    COLOURS = {"pending": "warning", "rejected": "danger", "approved": "success"}

    def render(self, record, value):
        return format_html(
            '<span class="badge text-bg-{}">{}</span>',
            self.COLOURS.get(record.status, "secondary"),
            record.get_status_display(),
        )

    def value(self, record, value):
        return record.get_status_display()


class RegistrationTable(tables.Table):
    name = tables.LinkColumn(
        "enterprises:gov_registration_detail", args=[tables.A("pk")], verbose_name=_("Enterprise name")
    )
    credit_code = tables.Column(verbose_name=_("Unified social credit code"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__name", order_by=("region__path",))
    owning_body = tables.Column(verbose_name=_("Owning body"), accessor="owning_body__name")
    industry = tables.Column(verbose_name=_("Industry category"))
    contact_name = tables.Column(verbose_name=_("Contact person"))
    contact_phone = tables.Column(verbose_name=_("Contact phone"))
    status = StatusColumn(verbose_name=_("Status"))
    submitted_at = tables.DateTimeColumn(verbose_name=_("Submitted at"), format="Y-m-d H:i")

    class Meta:
        model = Enterprise
        fields = ()
        sequence = (
            "name",
            "credit_code",
            "region",
            "owning_body",
            "industry",
            "contact_name",
            "contact_phone",
            "status",
            "submitted_at",
        )
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("Nothing here.")
        order_by = ("-submitted_at",)

    def value_name(self, record):
        return record.name

    def value_submitted_at(self, value):
        # The datetime itself: the Excel export writes it as local wall-clock time (DateTimeColumn.value would
        # give an ISO string in UTC).
        return value


# ==== area: profile ====


class YesNoColumn(tables.Column):
    def render(self, value):
        return _("Yes") if value else _("No")

    def value(self, record, value):
        return str(self.render(value))


class GovEnterpriseTable(tables.Table):
    """The government's enterprise lists (pending, rejected, deleted, all) and their Excel export."""

    name = tables.LinkColumn(
        "enterprises:gov_enterprise_detail", args=[tables.A("pk")], verbose_name=_("Enterprise name")
    )
    credit_code = tables.Column(verbose_name=_("Unified social credit code"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__name", order_by=("region__path",))
    owning_body = tables.Column(verbose_name=_("Owning body"), accessor="owning_body__name")
    industry = tables.Column(verbose_name=_("Industry category"))
    economic_class = tables.Column(
        verbose_name=_("Economic class"), accessor="economic_class__name", order_by=("economic_class__code",)
    )
    size_class = tables.Column(verbose_name=_("Size class"))
    status = StatusColumn(verbose_name=_("Registration status"))
    operating_status = tables.Column(verbose_name=_("Operating status"))
    has_major_hazard_source = YesNoColumn(verbose_name=_("Major hazard source"))
    contact_name = tables.Column(verbose_name=_("Contact person"))
    contact_phone = tables.Column(verbose_name=_("Contact phone"))
    deleted_at = tables.DateTimeColumn(verbose_name=_("Deleted at"), format="Y-m-d H:i")
    deleted_reason = tables.Column(verbose_name=_("Reason for deletion"))

    class Meta:
        model = Enterprise
        fields = ()
        sequence = (
            "name",
            "credit_code",
            "region",
            "owning_body",
            "industry",
            "economic_class",
            "size_class",
            "status",
            "operating_status",
            "has_major_hazard_source",
            "contact_name",
            "contact_phone",
            "deleted_at",
            "deleted_reason",
        )
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("Nothing here.")
        order_by = ("name",)

    def __init__(self, *args, deleted: bool = False, **kwargs) -> None:
        # The deletion columns only mean something on the "deleted" tab.
        kwargs.setdefault("exclude", () if deleted else ("deleted_at", "deleted_reason"))
        super().__init__(*args, **kwargs)

    def value_name(self, record):
        return record.name

    def render_economic_class(self, record):
        return self.value_economic_class(record)

    def value_economic_class(self, record):
        cls = record.economic_class
        return f"{cls.code} {cls.name}" if cls else ""

    def value_deleted_at(self, value):
        return value  # the datetime itself: the export writes local wall-clock time


# ==== area: organisation ====

# Departments (as an indented tree), positions, roles, users and staff. Action columns stay out of the exports;
# the staff list's exported columns carry the import template's headers, so an export can be imported again.
from django.urls import reverse as org_reverse  # noqa: E402
from django.utils.html import format_html_join as org_format_html_join  # noqa: E402
from django.utils.translation import gettext as org_gettext  # noqa: E402

from . import staff_excel as org_staff_excel  # noqa: E402

_ORG_LABELS = {c.key: c.label for c in org_staff_excel.COLUMNS}


class _OrgYesNoColumn(tables.Column):
    """A tick or nothing on screen; Yes / No in the export (what the import reads back)."""

    def render(self, value):
        return format_html('<i class="bi bi-check-lg text-success" aria-label="{}"></i>', _("Yes")) if value else ""

    def value(self, value):
        return org_gettext("Yes") if value else org_gettext("No")


class _OrgActionsColumn(tables.TemplateColumn):
    def __init__(self, template_name: str, **kwargs) -> None:
        super().__init__(template_name=template_name, verbose_name="", orderable=False, **kwargs)


class DepartmentTable(tables.Table):
    """Rows are departments in tree order with ``depth`` and ``path`` set (see the department list view)."""

    name = tables.Column(verbose_name=_("Name"))
    level = tables.Column(verbose_name=_("Level"))
    kind = tables.Column(verbose_name=_("Kind"))
    order = tables.Column(verbose_name=_("Order"))
    staff_count = tables.Column(verbose_name=_("Staff"))
    child_count = tables.Column(verbose_name=_("Sub-departments"))
    actions = _OrgActionsColumn("enterprises/organisation/_department_actions.html")
    exclude_from_export = ("actions",)

    class Meta:
        orderable = False
        attrs = {"class": "table table-hover align-middle", "data-testid": "department-table"}
        empty_text = _("No departments yet.")

    def __init__(self, *args, university: bool = False, **kwargs) -> None:
        super().__init__(*args, exclude=() if university else ("kind",), **kwargs)

    def render_name(self, record):
        return format_html(
            '<span style="padding-left:{}rem" data-depth="{}">{}{}</span>',
            1.5 * record.depth,
            record.depth,
            "└ " if record.depth else "",
            record.name,
        )

    def value_name(self, record):
        return record.path  # "Production / Workshop 1": the tree, readable in a flat sheet

    def render_level(self, record):
        return record.get_level_display()

    def value_level(self, record):
        return record.get_level_display()

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return record.get_kind_display()


class PositionTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    order = tables.Column(verbose_name=_("Order"))
    staff_count = tables.Column(verbose_name=_("Staff"))
    actions = _OrgActionsColumn("enterprises/organisation/_position_actions.html")
    exclude_from_export = ("actions",)

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "position-table"}
        empty_text = _("No positions yet.")
        order_by = ("order", "name")


class RoleTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    permissions = tables.Column(verbose_name=_("Permissions"), orderable=False)
    member_count = tables.Column(verbose_name=_("Users"))
    actions = _OrgActionsColumn("enterprises/organisation/_role_actions.html")
    exclude_from_export = ("actions",)

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "role-table"}
        empty_text = _("No roles yet.")
        order_by = ("name",)

    @staticmethod
    def _labels(codes) -> list[str]:
        from safety.features import FEATURES

        return [str(FEATURES[c].label) for c in codes or () if c in FEATURES]

    def render_permissions(self, value):
        labels = self._labels(value)
        if not labels:
            return "—"
        return org_format_html_join(
            " ", '<span class="badge text-bg-light border">{}</span>', ((label,) for label in labels)
        )

    def value_permissions(self, value):
        return "; ".join(self._labels(value))


class _OrgMembershipStatusColumn(tables.Column):
    COLOURS = {"active": "success", "pending": "warning", "rejected": "danger", "disabled": "secondary"}

    def render(self, record, value):
        return format_html(
            '<span class="badge text-bg-{}">{}</span>',
            self.COLOURS.get(record.status, "secondary"),
            record.get_status_display(),
        )

    def value(self, record, value):
        return record.get_status_display()


class MembershipTable(tables.Table):
    username = tables.Column(verbose_name=_("User name"), accessor="user__username")
    full_name = tables.Column(verbose_name=_("Full name"), accessor="user__full_name")
    staff = tables.Column(verbose_name=_("Staff record"), accessor="staff__name", order_by=("staff__name",))
    role = tables.Column(verbose_name=_("Platform role"))
    custom_roles = tables.Column(verbose_name=_("Roles"), accessor="pk", orderable=False)
    status = _OrgMembershipStatusColumn(verbose_name=_("Status"))
    email = tables.Column(verbose_name=_("E-mail"), accessor="user__email")
    last_login = tables.DateTimeColumn(verbose_name=_("Last login"), accessor="user__last_login", format="Y-m-d H:i")
    actions = _OrgActionsColumn("enterprises/organisation/_user_actions.html")
    exclude_from_export = ("actions",)

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "user-table"}
        empty_text = _("No users yet.")
        order_by = ("username",)

    def render_staff(self, record, value):
        return format_html(
            '<a href="{}">{}</a>', org_reverse("enterprises:staff_detail", args=[record.staff_id]), value
        )

    def value_staff(self, record, value):
        return value

    def render_role(self, record):
        return record.get_role_display()

    def value_role(self, record):
        return record.get_role_display()

    def render_custom_roles(self, record):
        return ", ".join(r.name for r in record.custom_roles.all()) or "—"

    def value_custom_roles(self, record):
        return ", ".join(r.name for r in record.custom_roles.all())

    def value_last_login(self, value):
        return value


class StaffTable(tables.Table):
    name = tables.Column(verbose_name=_ORG_LABELS["name"])
    gender = tables.Column(verbose_name=_ORG_LABELS["gender"])
    id_number = tables.Column(verbose_name=_ORG_LABELS["id_number"])
    phone = tables.Column(verbose_name=_ORG_LABELS["phone"])
    department = tables.Column(
        verbose_name=_ORG_LABELS["department"], accessor="department__name", order_by=("department__name",)
    )
    position = tables.Column(verbose_name=_ORG_LABELS["position"], accessor="position__name")
    hired_on = tables.DateColumn(verbose_name=_ORG_LABELS["hired_on"], format="Y-m-d")
    has_certificates = _OrgYesNoColumn(verbose_name=_ORG_LABELS["has_certificates"])
    occupational_exposure = _OrgYesNoColumn(verbose_name=_ORG_LABELS["occupational_exposure"])
    is_active = _OrgYesNoColumn(verbose_name=_ORG_LABELS["is_active"])
    certificate_count = tables.Column(verbose_name=_("Certificates"))
    account = tables.Column(
        verbose_name=_("Account"), accessor="membership__user__username", default="", orderable=False
    )

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "staff-table"}
        empty_text = _("No staff yet.")
        order_by = ("name",)

    def __init__(self, *args, department_paths: dict[int, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.department_paths = department_paths or {}

    def render_name(self, record, value):
        return format_html('<a href="{}">{}</a>', org_reverse("enterprises:staff_detail", args=[record.pk]), value)

    def value_name(self, value):
        return value

    def render_gender(self, record):
        return record.get_gender_display()

    def value_gender(self, record):
        return record.get_gender_display()

    def render_id_number(self, value):
        # Masked on screen (shoulder-surfing); whole in the export and on the detail page.
        return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}" if len(value) > 8 else value

    def value_id_number(self, value):
        return value

    def value_department(self, record, value):
        return self.department_paths.get(record.department_id, value)

    def value_hired_on(self, value):
        return value


# ==== area: licences ====
from django.urls import NoReverseMatch as _NoReverseMatch  # noqa: E402
from django.urls import reverse as _reverse  # noqa: E402

from . import expiry as _expiry  # noqa: E402
from .models import Certificate, Licence, ReminderStage, SuspensionApplication  # noqa: E402

EXPIRY_BADGES = {ReminderStage.NONE: "success", ReminderStage.EXPIRING: "warning", ReminderStage.EXPIRED: "danger"}


def enterprise_link(enterprise: Enterprise):
    """The enterprise's name, linked to its file for government users where that page exists."""
    try:
        url = _reverse("enterprises:gov_enterprise_detail", args=[enterprise.pk])
    except _NoReverseMatch:
        return enterprise.name
    return format_html('<a href="{}">{}</a>', url, enterprise.name)


class _ExpiryTable(tables.Table):
    """Tables of documents with an end date; the state and days left are computed on ``today``."""

    end_field = "valid_until"

    def __init__(self, *args, today, window: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today, self.window = today, window

    def _end(self, record):
        return getattr(record, self.end_field)

    def stage(self, record) -> str:
        return _expiry.reminder_stage_for(
            self._end(record), getattr(record, "long_term", False), self.today, self.window
        )

    def days(self, record) -> int | None:
        if getattr(record, "long_term", False):
            return None
        return _expiry.days_left(self._end(record), self.today)


class LicenceTable(_ExpiryTable):
    kind = tables.Column(verbose_name=_("Kind"))
    name = tables.Column(verbose_name=_("Name"))
    number = tables.Column(verbose_name=_("Licence number"))
    issued_by = tables.Column(verbose_name=_("Issued by"))
    valid_from = tables.DateColumn(verbose_name=_("Valid from"), format="Y-m-d")
    valid_until = tables.Column(verbose_name=_("Valid until"), empty_values=())
    state = tables.Column(verbose_name=_("State"), empty_values=(), orderable=False)
    days = tables.Column(verbose_name=_("Days left"), empty_values=(), order_by=("valid_until",))
    scan = tables.Column(verbose_name=_("Scan"), empty_values=(), orderable=False)
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False)

    exclude_from_export = ("scan", "actions")

    class Meta:
        model = Licence
        fields = ()
        sequence = (
            "kind",
            "name",
            "number",
            "issued_by",
            "valid_from",
            "valid_until",
            "state",
            "days",
            "scan",
            "actions",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "licence-table"}
        row_attrs = {"data-testid": "licence-row"}
        empty_text = _("No licences recorded yet.")
        order_by = ("valid_until",)

    def render_valid_until(self, record):
        return _("Long-term") if record.long_term else record.valid_until.strftime("%Y-%m-%d")

    def value_valid_until(self, record):
        return str(_("Long-term")) if record.long_term else record.valid_until

    def render_state(self, record):
        stage = self.stage(record)
        label = _("Long-term") if record.long_term else ReminderStage(stage).label
        return format_html(
            '<span class="badge text-bg-{}" data-testid="licence-state">{}</span>', EXPIRY_BADGES[stage], label
        )

    def value_state(self, record):
        return str(_("Long-term")) if record.long_term else str(ReminderStage(self.stage(record)).label)

    def render_days(self, record):
        days = self.days(record)
        return "—" if days is None else days

    def value_days(self, record):
        return self.days(record)

    def render_scan(self, record):
        if not record.scan:
            return "—"
        url = _reverse("enterprises:licence_scan", args=[record.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><i class="bi bi-file-earmark"></i> {}</a>', url, _("View")
        )

    def render_actions(self, record):
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">{}</a> '
            '<a class="btn btn-sm btn-outline-danger" href="{}">{}</a>',
            _reverse("enterprises:licence_edit", args=[record.pk]),
            _("Edit"),
            _reverse("enterprises:licence_delete", args=[record.pk]),
            _("Delete"),
        )


class _GovExpiryTable(_ExpiryTable):
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name")
    region = tables.Column(
        verbose_name=_("Region"), accessor="enterprise__region__name", order_by=("enterprise__region__path",)
    )
    industry = tables.Column(verbose_name=_("Industry category"), accessor="enterprise__industry")
    operating_status = tables.Column(verbose_name=_("Operating status"), accessor="enterprise__operating_status")
    days = tables.Column(verbose_name=_("Days left"), empty_values=())

    def __init__(self, *args, state: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expired = state == "expired"
        self.columns["days"].column.verbose_name = _("Days overdue") if self.expired else _("Days left")

    def render_enterprise(self, record):
        return enterprise_link(record.enterprise)

    def value_enterprise(self, record):
        return record.enterprise.name

    def render_industry(self, record):
        return record.enterprise.get_industry_display()

    def value_industry(self, record):
        return record.enterprise.get_industry_display()

    def render_operating_status(self, record):
        return record.enterprise.get_operating_status_display()

    def value_operating_status(self, record):
        return record.enterprise.get_operating_status_display()

    def render_days(self, record):
        days = self.days(record)
        return -days if self.expired else days

    def value_days(self, record):
        return self.render_days(record)


class GovLicenceExpiryTable(_GovExpiryTable):
    kind = tables.Column(verbose_name=_("Kind"))
    number = tables.Column(verbose_name=_("Licence number"))
    valid_until = tables.DateColumn(verbose_name=_("Valid until"), format="Y-m-d")
    contact = tables.Column(verbose_name=_("Contact"), accessor="enterprise__contact_name", orderable=False)
    contact_phone = tables.Column(
        verbose_name=_("Contact phone"), accessor="enterprise__contact_phone", orderable=False
    )
    scan = tables.Column(verbose_name=_("Scan"), empty_values=(), orderable=False)

    exclude_from_export = ("scan",)

    class Meta:
        model = Licence
        fields = ()
        sequence = (
            "enterprise",
            "region",
            "industry",
            "operating_status",
            "kind",
            "number",
            "valid_until",
            "days",
            "contact",
            "contact_phone",
            "scan",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "gov-licence-table"}
        row_attrs = {"data-testid": "expiry-row"}
        empty_text = _("Nothing here.")
        order_by = ("valid_until",)

    def value_valid_until(self, value):
        return value

    def render_scan(self, record):
        if not record.scan:
            return "—"
        url = _reverse("enterprises:licence_scan", args=[record.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("View"))


class GovCertificateExpiryTable(_GovExpiryTable):
    end_field = "expires_on"

    staff = tables.Column(verbose_name=_("Staff member"), accessor="staff__name")
    kind = tables.Column(verbose_name=_("Kind"))
    operation_type = tables.Column(verbose_name=_("Operation type"))
    number = tables.Column(verbose_name=_("Certificate number"))
    expires_on = tables.DateColumn(verbose_name=_("Expires on"), format="Y-m-d")

    class Meta:
        model = Certificate
        fields = ()
        sequence = (
            "enterprise",
            "region",
            "industry",
            "operating_status",
            "staff",
            "kind",
            "operation_type",
            "number",
            "expires_on",
            "days",
        )
        attrs = {"class": "table table-hover align-middle", "data-testid": "gov-certificate-table"}
        row_attrs = {"data-testid": "expiry-row"}
        empty_text = _("Nothing here.")
        order_by = ("expires_on",)

    def value_expires_on(self, value):
        return value


class SuspensionStatusColumn(tables.Column):
    COLOURS = {"pending": "warning", "rejected": "danger", "approved": "success"}

    def render(self, record, value):
        return format_html(
            '<span class="badge text-bg-{}" data-testid="suspension-status">{}</span>',
            self.COLOURS.get(record.status, "secondary"),
            record.get_status_display(),
        )

    def value(self, record, value):
        return record.get_status_display()


class SuspensionTable(tables.Table):
    """The enterprise's own applications."""

    kind = tables.LinkColumn("enterprises:suspension_detail", args=[tables.A("pk")], verbose_name=_("Application"))
    start_date = tables.DateColumn(verbose_name=_("From"), format="Y-m-d")
    end_date = tables.DateColumn(verbose_name=_("Until"), format="Y-m-d")
    status = SuspensionStatusColumn(verbose_name=_("Status"))
    submitted_by = tables.Column(verbose_name=_("Submitted by"), accessor="submitted_by__full_name")
    submitted_at = tables.DateTimeColumn(verbose_name=_("Submitted at"), format="Y-m-d H:i")
    reviewed_at = tables.DateTimeColumn(verbose_name=_("Reviewed at"), format="Y-m-d H:i")

    class Meta:
        model = SuspensionApplication
        fields = ()
        sequence = ("kind", "start_date", "end_date", "status", "submitted_by", "submitted_at", "reviewed_at")
        attrs = {"class": "table table-hover align-middle", "data-testid": "suspension-table"}
        row_attrs = {"data-testid": "suspension-row"}
        empty_text = _("No applications yet.")
        order_by = ("-submitted_at",)

    def value_kind(self, record):
        return record.get_kind_display()

    def value_start_date(self, value):
        return value

    def value_end_date(self, value):
        return value

    def render_submitted_by(self, record):
        return record.submitted_by.display_name if record.submitted_by else "—"

    def value_submitted_by(self, record):
        return record.submitted_by.display_name if record.submitted_by else ""

    def value_submitted_at(self, value):
        return value

    def value_reviewed_at(self, value):
        return value


class GovSuspensionTable(SuspensionTable):
    """The government queue: the enterprise first, linked to the application."""

    enterprise = tables.LinkColumn(
        "enterprises:gov_suspension_detail",
        args=[tables.A("pk")],
        accessor="enterprise__name",
        verbose_name=_("Enterprise"),
    )
    kind = tables.Column(verbose_name=_("Application"))
    region = tables.Column(
        verbose_name=_("Region"), accessor="enterprise__region__name", order_by=("enterprise__region__path",)
    )
    owning_body = tables.Column(verbose_name=_("Owning body"), accessor="enterprise__owning_body__name")
    reason = tables.Column(verbose_name=_("Reason"), orderable=False)

    class Meta(SuspensionTable.Meta):
        sequence = (
            "enterprise",
            "region",
            "owning_body",
            "kind",
            "start_date",
            "end_date",
            "reason",
            "status",
            "submitted_at",
            "reviewed_at",
        )
        exclude = ("submitted_by",)
        attrs = {"class": "table table-hover align-middle", "data-testid": "gov-suspension-table"}
        empty_text = _("Nothing here.")

    def render_reason(self, value):
        return value if len(value) <= 40 else value[:40] + "…"

    def value_reason(self, value):
        return value

    def value_enterprise(self, record):
        return record.enterprise.name


# ==== area: university ====
from .models import Department, Membership  # noqa: E402


class LabTable(tables.Table):
    """Colleges and labs: one row per lab, grouped by college."""

    college = tables.Column(verbose_name=_("College"), accessor="parent__name", order_by=("parent__name",))
    name = tables.LinkColumn("enterprises:university_lab", args=[tables.A("pk")], verbose_name=_("Lab"))
    head = tables.Column(verbose_name=_("Head teacher"), accessor="head__full_name", default="—")
    stock_limit = tables.Column(verbose_name=_("Stock limit (kg)"), default="—")
    teacher_count = tables.Column(verbose_name=_("Teachers"))
    student_count = tables.Column(verbose_name=_("Students"))

    class Meta:
        model = Department
        fields = ()
        sequence = ("college", "name", "head", "stock_limit", "teacher_count", "student_count")
        attrs = {"class": "table table-hover align-middle", "data-testid": "lab-table"}
        row_attrs = {"data-testid": "lab-row", "data-lab": lambda record: record.pk}
        empty_text = _("No labs yet.")
        order_by = ("college",)

    def render_head(self, record, value):
        return record.head.display_name if record.head else "—"

    def value_head(self, record, value):
        return record.head.display_name if record.head else ""

    def render_stock_limit(self, value):
        return f"{value.normalize():f}"

    def value_stock_limit(self, value):
        return float(value) if value is not None else None  # a number in Excel, not text

    def value_name(self, record):
        return record.name


class ActivationStatusColumn(tables.Column):
    COLOURS = {"pending": "warning", "rejected": "danger", "active": "success", "disabled": "secondary"}

    def render(self, record, value):
        return format_html(
            '<span class="badge text-bg-{}" data-testid="activation-status">{}</span>',
            "secondary" if activation_not_submitted(record) else self.COLOURS.get(record.status, "secondary"),
            activation_status_label(record),
        )

    def value(self, record, value):
        return activation_status_label(record)


def activation_not_submitted(m: Membership) -> bool:
    return m.status == Membership.Status.PENDING and m.supervisor_id is None


def activation_status_label(m: Membership) -> str:
    if activation_not_submitted(m):
        return str(_("Profile not yet submitted"))
    return m.get_status_display()


class ActivationTable(tables.Table):
    student = tables.LinkColumn(
        "enterprises:student_activation",
        args=[tables.A("pk")],
        accessor="user__full_name",
        order_by=("user__full_name", "user__username"),
        verbose_name=_("Student"),
    )
    username = tables.Column(verbose_name=_("User name"), accessor="user__username")
    college = tables.Column(verbose_name=_("College"), accessor="department__parent__name", default="—")
    lab = tables.Column(verbose_name=_("Lab"), accessor="department__name", default="—")
    phone = tables.Column(verbose_name=_("Phone"), accessor="user__phone", default="—")
    supervisor = tables.Column(verbose_name=_("Supervising teacher"), accessor="supervisor__full_name", default="—")
    status = ActivationStatusColumn(verbose_name=_("Status"))
    profile_completed_at = tables.DateTimeColumn(verbose_name=_("Submitted at"), format="Y-m-d H:i", default="—")

    class Meta:
        model = Membership
        fields = ()
        sequence = ("student", "username", "college", "lab", "phone", "supervisor", "status", "profile_completed_at")
        attrs = {"class": "table table-hover align-middle", "data-testid": "activation-table"}
        row_attrs = {"data-testid": "activation-row", "data-membership": lambda record: record.pk}
        empty_text = _("Nothing here.")
        order_by = ("-profile_completed_at",)

    def render_student(self, record, value):
        return record.user.display_name

    def value_student(self, record, value):
        return record.user.display_name

    def render_supervisor(self, record, value):
        return record.supervisor.display_name if record.supervisor else "—"

    def value_supervisor(self, record, value):
        return record.supervisor.display_name if record.supervisor else ""

    def value_profile_completed_at(self, value):
        return value  # the datetime itself: the Excel export writes local wall-clock time
