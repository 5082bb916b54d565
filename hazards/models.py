"""Dual prevention (双重预防): risk grading and control, inspections, hidden hazards and their rectification.

Lifecycle of a hidden hazard (DOMAIN.md "Hidden hazards"; seed 004 §隐患排查):

    registered ──report──▶ reported ──pass──▶ closed
        │                    │ └──fail──▶ rectifying ──report──▶ reported …
        └──────── deadline passes before a passing review (sweep) ──▶ overdue
    overdue ──request extension (once)──▶ extension_requested ──approve (new deadline)──▶ rectifying
                                                      └──refuse──▶ overdue (for good: the one request is used)
    fixed on the spot: created closed, with before and after photos.

Only ``registered`` hazards may be edited or deleted; review decisions are final.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from safety.tenancy import TenantManager


class RiskLevel(models.TextChoices):
    """Risk level and colour; ``RISK_LEVEL_NUMBER`` gives the 1–4 grade (1 highest)."""

    MAJOR = "major", _("Major risk (red)")
    HIGH = "high", _("High risk (orange)")
    GENERAL = "general", _("General risk (yellow)")
    LOW = "low", _("Low risk (blue)")


RISK_LEVEL_NUMBER = {RiskLevel.MAJOR: 1, RiskLevel.HIGH: 2, RiskLevel.GENERAL: 3, RiskLevel.LOW: 4}
RISK_LEVEL_COLOUR = {
    RiskLevel.MAJOR: "red",
    RiskLevel.HIGH: "orange",
    RiskLevel.GENERAL: "yellow",
    RiskLevel.LOW: "blue",
}


class GradingMethod(models.TextChoices):
    LEC = "lec", _("LEC (D = L × E × C)")
    LS = "ls", _("LS matrix (R = L × S)")


class GradingScheme(models.Model):
    """Band thresholds of a grading method, configurable per province (region); the row with no region is
    the platform default. ``bands`` lists {"level": RiskLevel, "min": number} from the highest level down:
    a score belongs to the first band whose ``min`` it exceeds (LEC) or reaches (LS) — see hazards.grading."""

    region = models.ForeignKey(
        "enterprises.Region", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("province")
    )
    method = models.CharField(_("method"), max_length=3, choices=GradingMethod.choices)
    bands = models.JSONField(_("bands"))

    class Meta:
        verbose_name = _("grading scheme")
        verbose_name_plural = _("grading schemes")
        constraints = [models.UniqueConstraint(fields=["region", "method"], name="grading_scheme_unique")]

    def __str__(self) -> str:
        return f"{self.region or _('default')} {self.get_method_display()}"


class RiskPoint(models.Model):
    """风险点: a place, installation or activity with its hazard factors, control measures and grade."""

    class Category(models.TextChoices):
        FACILITY = "facility", _("Facility / equipment")
        PLACE = "place", _("Place / area")
        OPERATION = "operation", _("Operation / activity")
        POST = "post", _("Post")

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.CASCADE, related_name="risk_points", verbose_name=_("enterprise")
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    name = models.CharField(_("name"), max_length=100)
    place = models.CharField(_("place"), max_length=100, blank=True)
    department = models.ForeignKey(
        "enterprises.Department",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    responsible = models.CharField(_("person responsible"), max_length=50, blank=True)
    # Current grade (history in RiskGrading). Values: LEC uses l/e/c, LS uses l/s.
    method = models.CharField(_("grading method"), max_length=3, choices=GradingMethod.choices, blank=True)
    value_l = models.DecimalField(_("L"), max_digits=6, decimal_places=2, null=True, blank=True)
    value_e = models.DecimalField(_("E"), max_digits=6, decimal_places=2, null=True, blank=True)
    value_c = models.DecimalField(_("C"), max_digits=6, decimal_places=2, null=True, blank=True)
    value_s = models.DecimalField(_("S"), max_digits=6, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=10, decimal_places=2, null=True, blank=True)
    level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, blank=True, db_index=True)
    # Set when a hazard found on this point is closed: the grade must be reviewed (DOMAIN, issue 4).
    needs_regrading = models.BooleanField(_("needs re-grading"), default=False)
    # Position on the enterprise's site plan for the four-colour risk map, in % of width / height.
    map_x = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    map_y = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # The QR code on the notice board encodes a URL with this token (not the id: ids are guessable).
    qr_token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("risk point")
        verbose_name_plural = _("risk points")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["enterprise", "level"])]

    def __str__(self) -> str:
        return self.name


class HazardFactor(models.Model):
    """危害因素 of a risk point."""

    class Kind(models.TextChoices):
        UNSAFE_ACT = "unsafe_act", _("Unsafe act")
        UNSAFE_CONDITION = "unsafe_condition", _("Unsafe condition")
        ENVIRONMENT = "environment", _("Environment")
        MANAGEMENT = "management", _("Management defect")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    risk_point = models.ForeignKey(RiskPoint, models.CASCADE, related_name="factors", verbose_name=_("risk point"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"))
    consequence = models.CharField(_("possible consequence"), max_length=200, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("hazard factor")
        verbose_name_plural = _("hazard factors")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:50]


class ControlMeasure(models.Model):
    """管控措施: at least one per hazard factor. Each is a checklist item of the point's inspection."""

    class Kind(models.TextChoices):
        ENGINEERING = "engineering", _("Engineering")
        MANAGEMENT = "management", _("Management")
        TRAINING = "training", _("Training")
        PPE = "ppe", _("Personal protection")
        EMERGENCY = "emergency", _("Emergency")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    factor = models.ForeignKey(HazardFactor, models.CASCADE, related_name="measures", verbose_name=_("hazard factor"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MANAGEMENT)
    description = models.TextField(_("control measure"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("control measure")
        verbose_name_plural = _("control measures")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:50]


class RiskGrading(models.Model):
    """One grading of a risk point: the history is kept, the point holds the latest."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    risk_point = models.ForeignKey(RiskPoint, models.CASCADE, related_name="gradings")
    method = models.CharField(max_length=3, choices=GradingMethod.choices)
    values = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=10, decimal_places=2)
    level = models.CharField(max_length=8, choices=RiskLevel.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    graded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("risk grading")
        verbose_name_plural = _("risk gradings")
        ordering = ["-graded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.risk_point} {self.level} {self.graded_at:%Y-%m-%d}"


class SharedRiskPoint(models.Model):
    """The shared library of typical risk points per industry (platform data, not a tenant's): copied from."""

    industry = models.CharField(_("industry category"), max_length=30, db_index=True)
    category = models.CharField(_("category"), max_length=10, choices=RiskPoint.Category.choices)
    name = models.CharField(_("name"), max_length=100)
    # [{"kind": HazardFactor.Kind, "description": str, "consequence": str, "measures": [{"kind", "description"}]}]
    factors = models.JSONField(_("hazard factors and measures"), default=list)
    method = models.CharField(max_length=3, choices=GradingMethod.choices, blank=True)
    values = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("shared risk point")
        verbose_name_plural = _("shared risk point library")
        ordering = ["industry", "name"]

    def __str__(self) -> str:
        return self.name


class TransferLog(models.Model):
    """导入导出日志: every import and export of risk data."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    subject = models.CharField(_("what"), max_length=50)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    succeeded = models.BooleanField(_("succeeded"), default=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("import / export log entry")
        verbose_name_plural = _("import / export log")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} {self.created_at:%Y-%m-%d %H:%M}"


class EnterpriseRiskGrade(models.Model):
    """企业风险等级 A–D (A lowest), with its basis and attachment; the latest is current."""

    class Grade(models.TextChoices):
        A = "A", _("A (lowest)")
        B = "B", "B"
        C = "C", "C"
        D = "D", _("D (highest)")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="risk_grades")
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    basis = models.TextField(_("basis"))
    attachment = models.FileField(_("attachment"), upload_to="risk-grades/%Y/", blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("enterprise risk grade")
        verbose_name_plural = _("enterprise risk grades")
        ordering = ["-set_at", "-pk"]

    def __str__(self) -> str:
        return self.grade


class Frequency(models.TextChoices):
    YEARLY = "yearly", _("Yearly")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")
    WEEKLY = "weekly", _("Weekly")
    DAILY = "daily", _("Daily")


class RiskList(models.Model):
    """风险清单 at one department level; reviewed inside the enterprise, then filed with the owning body.
    Only filed lists create inspection tasks."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting internal review")
        APPROVED = "approved", _("Approved internally")
        FILING = "filing", _("Awaiting filing with the government")
        FILED = "filed", _("Filed")
        RETURNED = "returned", _("Returned")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="risk_lists")
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(
        _("level"),
        max_length=12,
        choices=[
            ("enterprise", _("Enterprise")),
            ("department", _("Department")),
            ("workshop", _("Workshop")),
            ("team", _("Team")),
            ("post", _("Post")),
        ],
    )
    department = models.ForeignKey(
        "enterprises.Department", models.PROTECT, related_name="+", verbose_name=_("department")
    )
    frequency = models.CharField(_("check frequency"), max_length=10, choices=Frequency.choices)
    workdays_only = models.BooleanField(
        _("workdays only"), default=True, help_text=_("Daily lists: Monday to Friday, or every day.")
    )
    checks_per_day = models.PositiveSmallIntegerField(_("checks a day"), default=1)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, db_index=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("risk list")
        verbose_name_plural = _("risk lists")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checks_per_day__gte=1, checks_per_day__lte=7), name="risk_list_checks_per_day_1_7"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @transition(field=status, source=[Status.DRAFT, Status.RETURNED], target=Status.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=[Status.SUBMITTED, Status.FILING], target=Status.RETURNED)
    def return_(self, reason: str = "") -> None:
        pass

    @transition(field=status, source=Status.APPROVED, target=Status.FILING)
    def send_for_filing(self) -> None:
        pass

    @transition(field=status, source=Status.FILING, target=Status.FILED)
    def file(self) -> None:
        self.filed_at = timezone.now()


class RiskListItem(models.Model):
    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    risk_list = models.ForeignKey(RiskList, models.CASCADE, related_name="items")
    risk_point = models.ForeignKey(RiskPoint, models.CASCADE, related_name="list_items")
    order = models.PositiveIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        verbose_name = _("risk list item")
        verbose_name_plural = _("risk list items")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["risk_list", "risk_point"], name="risk_list_item_unique")]

    def __str__(self) -> str:
        return str(self.risk_point)


class InspectionTask(models.Model):
    """排查任务: one check of one risk point of a filed list, due in one period (and slot of the day)."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    risk_list = models.ForeignKey(RiskList, models.CASCADE, related_name="tasks")
    risk_point = models.ForeignKey(RiskPoint, models.CASCADE, related_name="tasks")
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    slot = models.PositiveSmallIntegerField(_("check of the day"), default=1)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DUE, db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    # The id the checklist form carried when the check was recorded: a retried or doubled POST on a phone with
    # a bad connection finds it and is answered with the same result instead of recording the check twice.
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = TenantManager()

    class Meta:
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        ordering = ["period_start", "slot", "pk"]
        constraints = [
            # The generating job is idempotent because of this.
            models.UniqueConstraint(
                fields=["risk_list", "risk_point", "period_start", "slot"], name="inspection_task_unique_slot"
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "period_start"])]

    def __str__(self) -> str:
        return f"{self.risk_point} {self.period_start} #{self.slot}"


class InspectionResult(models.Model):
    """One checklist item (a control measure) of a done inspection: pass or fail."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    task = models.ForeignKey(InspectionTask, models.CASCADE, related_name="results")
    measure = models.ForeignKey(ControlMeasure, models.SET_NULL, null=True, related_name="+")
    measure_text = models.TextField()  # as it read when checked
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    hazard = models.ForeignKey("Hazard", models.SET_NULL, null=True, blank=True, related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.measure_text[:40]}: {'✓' if self.passed else '✗'}"


def default_deadline():
    """Rectify-by deadline: one month after registration (DOMAIN.md)."""
    from dateutil.relativedelta import relativedelta

    return timezone.now() + relativedelta(months=1)


class Hazard(models.Model):
    """隐患: a hidden hazard and its rectification."""

    class Source(models.TextChoices):
        SELF_INSPECTION = "self", _("Enterprise self-inspection")
        GOVERNMENT = "government", _("Government inspection")
        COMPLAINT = "complaint", _("Complaint")

    class Level(models.TextChoices):
        GENERAL = "general", _("General hazard")
        MAJOR = "major", _("Major hazard")

    class Kind(models.TextChoices):
        ON_SPOT = "on_spot", _("Fixed on the spot")
        DEADLINE = "deadline", _("Rectify by deadline")
        MAJOR = "major", _("Major hazard rectification")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        REPORTED = "reported", _("Rectification reported")
        RECTIFYING = "rectifying", _("Awaiting rectification")
        OVERDUE = "overdue", _("Overdue")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        CLOSED = "closed", _("Closed")

    OPEN_STATES = (Status.REGISTERED, Status.REPORTED, Status.RECTIFYING)

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.CASCADE, related_name="hazards", verbose_name=_("enterprise")
    )
    number = models.CharField(_("number"), max_length=30, blank=True, db_index=True)
    title = models.CharField(_("hazard"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.SELF_INSPECTION)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.GENERAL, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DEADLINE)
    risk_point = models.ForeignKey(
        RiskPoint, models.SET_NULL, null=True, blank=True, related_name="hazards", verbose_name=_("risk point")
    )
    inspection_task = models.ForeignKey(InspectionTask, models.SET_NULL, null=True, blank=True, related_name="hazards")
    department = models.ForeignKey(
        "enterprises.Department",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department responsible"),
    )
    responsible = models.CharField(_("person responsible"), max_length=50, blank=True)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person responsible (account)"),
    )
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("registered by")
    )
    # Set when a government body registered it (its inspection): then the government reviews every step.
    registered_by_body = models.ForeignKey(
        "enterprises.SupervisoryBody",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by body"),
    )
    deadline = models.DateTimeField(_("rectification deadline"), default=default_deadline, db_index=True)
    status = FSMField(_("status"), default=Status.REGISTERED, choices=Status.choices, db_index=True)

    # Rectification plan (major hazards).
    plan_goal = models.TextField(_("goal and tasks"), blank=True)
    plan_measures = models.TextField(_("methods and measures"), blank=True)
    plan_funds = models.DecimalField(_("funds (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    plan_responsible = models.CharField(_("organisation and person responsible"), max_length=100, blank=True)
    plan_time_limit = models.DateField(_("time limit"), null=True, blank=True)
    plan_interim_measures = models.TextField(_("interim safety and emergency measures"), blank=True)
    reported_to_government_at = models.DateTimeField(_("reported to the government at"), null=True, blank=True)

    # Rectification report (latest).
    rectification_measures = models.TextField(_("rectification carried out"), blank=True)
    rectification_cost = models.DecimalField(_("cost (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    # Closed before the deadline that was in force: for the on-time rate.
    closed_on_time = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-found_at", "-pk"]
        indexes = [
            models.Index(fields=["enterprise", "status"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["level", "status", "-found_at"]),
            models.Index(fields=["-found_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="major") | Q(level="major"), name="hazard_major_kind_is_major"),
        ]

    def __str__(self) -> str:
        return self.number or self.title

    @property
    def government_reviews(self) -> bool:
        """Who reviews: the government for major hazards and for every hazard it registered."""
        return self.level == self.Level.MAJOR or self.registered_by_body_id is not None

    @property
    def is_past_deadline(self) -> bool:
        return timezone.now() > self.deadline

    def _not_past_deadline(self) -> bool:
        return not self.is_past_deadline

    @transition(
        field=status,
        source=[Status.REGISTERED, Status.RECTIFYING],
        target=Status.REPORTED,
        conditions=[_not_past_deadline],
    )
    def report_rectification(self) -> None:
        self.rectified_at = timezone.now()

    @transition(field=status, source=Status.REPORTED, target=Status.CLOSED)
    def pass_review(self) -> None:
        self.closed_at = timezone.now()
        self.closed_on_time = self.closed_at <= self.deadline

    @transition(field=status, source=Status.REPORTED, target=Status.RECTIFYING)
    def fail_review(self, reason: str = "") -> None:
        pass

    @transition(
        field=status,
        source=[Status.REGISTERED, Status.REPORTED, Status.RECTIFYING],
        target=Status.OVERDUE,
        conditions=[lambda self: self.is_past_deadline],
    )
    def mark_overdue(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.OVERDUE,
        target=Status.EXTENSION_REQUESTED,
        conditions=[lambda self: not ExtensionRequest.objects.filter(hazard_id=self.pk).exists()],
    )
    def request_extension(self) -> None:
        pass

    @transition(field=status, source=Status.EXTENSION_REQUESTED, target=Status.RECTIFYING)
    def approve_extension(self, new_deadline=None) -> None:
        if new_deadline is not None:
            self.deadline = new_deadline

    @transition(field=status, source=Status.EXTENSION_REQUESTED, target=Status.OVERDUE)
    def refuse_extension(self, reason: str = "") -> None:
        pass


class HazardPhoto(models.Model):
    class Stage(models.TextChoices):
        BEFORE = "before", _("Before rectification")
        AFTER = "after", _("After rectification")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    hazard = models.ForeignKey(Hazard, models.CASCADE, related_name="photos")
    stage = models.CharField(_("stage"), max_length=6, choices=Stage.choices)
    image = models.ImageField(_("photo"), upload_to="hazards/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("hazard photo")
        verbose_name_plural = _("hazard photos")
        ordering = ["stage", "pk"]

    def __str__(self) -> str:
        return f"{self.hazard} {self.stage}"


class ExtensionRequest(models.Model):
    """延期申请: at most one per hazard (the one-to-one key enforces it in the database)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    hazard = models.OneToOneField(Hazard, models.CASCADE, related_name="extension")
    reason = models.TextField(_("reason"))
    requested_deadline = models.DateTimeField(_("requested new deadline"))
    granted_deadline = models.DateTimeField(_("new deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"{self.hazard} → {self.requested_deadline:%Y-%m-%d}"


class SupervisedListing(models.Model):
    """挂牌督办 of a major hazard by a body, with its notice; delisting (销号) on the enterprise's application."""

    class Status(models.TextChoices):
        LISTED = "listed", _("Listed")
        DELISTING_REQUESTED = "delisting_requested", _("Delisting requested")
        DELISTED = "delisted", _("Delisted")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    hazard = models.OneToOneField(Hazard, models.CASCADE, related_name="listing")
    body = models.ForeignKey(
        "enterprises.SupervisoryBody", models.PROTECT, related_name="+", verbose_name=_("supervising body")
    )
    notice = models.TextField(_("supervision notice"))
    notice_number = models.CharField(_("notice number"), max_length=50, blank=True)
    listed_at = models.DateTimeField(auto_now_add=True)
    status = FSMField(_("status"), default=Status.LISTED, choices=Status.choices, db_index=True)
    delisting_reason = models.TextField(_("delisting application"), blank=True)
    delisted_at = models.DateTimeField(_("delisted at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("supervised listing")
        verbose_name_plural = _("supervised listings")
        ordering = ["-listed_at"]

    def __str__(self) -> str:
        return f"{self.hazard} ({self.get_status_display()})"

    @transition(field=status, source=Status.LISTED, target=Status.DELISTING_REQUESTED)
    def request_delisting(self, reason: str = "") -> None:
        self.delisting_reason = reason

    @transition(field=status, source=Status.DELISTING_REQUESTED, target=Status.DELISTED)
    def delist(self) -> None:
        self.delisted_at = timezone.now()

    @transition(field=status, source=Status.DELISTING_REQUESTED, target=Status.LISTED)
    def refuse_delisting(self, reason: str = "") -> None:
        pass


class EnterpriseSample(models.Model):
    """差异化监管: a random sample of enterprises drawn by a body, reproducible from its recorded seed."""

    body = models.ForeignKey("enterprises.SupervisoryBody", models.CASCADE, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=200)
    criteria = models.JSONField(_("criteria"), default=dict)
    seed = models.CharField(_("seed"), max_length=64)
    size = models.PositiveIntegerField(_("sample size"))
    enterprise_ids = models.JSONField(default=list)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise sample")
        verbose_name_plural = _("enterprise samples")
        ordering = ["-drawn_at"]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.size})"


class SummaryReport(models.Model):
    """The hazard summary table of a period, reported by a body up to its parent body."""

    body = models.ForeignKey("enterprises.SupervisoryBody", models.CASCADE, related_name="+")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    figures = models.JSONField(_("figures"), default=dict)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hazard summary report")
        verbose_name_plural = _("hazard summary reports")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["body", "period_start", "period_end"], name="summary_report_unique_period")
        ]

    def __str__(self) -> str:
        return f"{self.body} {self.period_start}–{self.period_end}"


OVERDUE_SWEEP_BATCH = 500
EXTENSION_MAX = timedelta(days=366)


# ==== area: risk ====
class SitePlan(models.Model):
    """The enterprise's site plan (厂区平面图): the background of its four-colour risk map, on which risk points
    are placed by RiskPoint.map_x / map_y (% of the image). One per enterprise; a new upload replaces it."""

    enterprise = models.OneToOneField("enterprises.Enterprise", models.CASCADE, related_name="site_plan")
    image = models.ImageField(_("site plan"), upload_to="site-plans/%Y/")
    uploaded_at = models.DateTimeField(auto_now=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("site plan")
        verbose_name_plural = _("site plans")

    def __str__(self) -> str:
        return str(_("site plan"))
