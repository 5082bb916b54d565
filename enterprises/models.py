from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from treebeard.mp_tree import MP_Node

from safety.tenancy import TenantManager

from .validators import validate_credit_code, validate_phone


class User(AbstractUser):
    """One account per person. Organisation and role come from memberships, not from the user."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_username()

    def __str__(self) -> str:
        return self.display_name


class Region(MP_Node):
    """Administrative region, with the official 12-digit statistical code.

    A materialised-path tree: a subtree is ``path LIKE 'prefix%'``, served by the unique index on path
    (on PostgreSQL Django adds the ``varchar_pattern_ops`` index that prefix matching needs).
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county / district")
        TOWNSHIP = "township", _("township / subdistrict")
        VILLAGE = "village", _("village / community")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        # Official names are Chinese; the English UI shows the pinyin name where the fixture has one.
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    @property
    def full_name(self) -> str:
        """Province › city › … › this region."""
        return " › ".join(str(r) for r in [*Region.objects.get_ancestors(self), self])

    def subtree_q(self, prefix: str = "") -> Q:
        """Filter for rows whose region (reached through ``prefix``) lies in this region's subtree."""
        return Q(**{f"{prefix}path__startswith": self.path})


class IndustryCategory(models.TextChoices):
    """Safety-supervision industry categories (行业类别)."""

    HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("Hazardous chemicals")
    NON_COAL_MINES = "non_coal_mines", _("Non-coal mines")
    # Industry and trade (工贸), eight sub-types.
    METALLURGY = "metallurgy", _("Industry and trade: metallurgy")
    NON_FERROUS = "non_ferrous", _("Industry and trade: non-ferrous metals")
    BUILDING_MATERIALS = "building_materials", _("Industry and trade: building materials")
    MACHINERY = "machinery", _("Industry and trade: machinery")
    LIGHT_INDUSTRY = "light_industry", _("Industry and trade: light industry")
    TEXTILES = "textiles", _("Industry and trade: textiles")
    TOBACCO = "tobacco", _("Industry and trade: tobacco")
    COMMERCE = "commerce", _("Industry and trade: commerce and trade")
    # General supervised industries.
    ROAD_TRANSPORT = "road_transport", _("Road transport")
    WATER_TRANSPORT = "water_transport", _("Water transport")
    CONSTRUCTION = "construction", _("Construction")
    GAS = "gas", _("Gas")
    CIVIL_EXPLOSIVES = "civil_explosives", _("Civil explosives")
    POWER = "power", _("Electric power")
    TELECOM = "telecom", _("Telecommunications")
    AMUSEMENT = "amusement", _("Amusement facilities")
    SCENIC_SPOTS = "scenic_spots", _("Scenic spots")
    ENTERTAINMENT = "entertainment", _("Entertainment venues")
    FORESTRY = "forestry", _("Forestry")
    TEMPLES = "temples", _("Religious sites")
    ELDERLY_HOMES = "elderly_homes", _("Elderly care homes")
    EDUCATION = "education", _("Education and research (laboratories)")
    OTHER = "other", _("Other")


class SupervisoryBody(MP_Node):
    """A government supervisory body (city bureau > county bureau > township office).

    Its jurisdiction is the subtree of ``region``, optionally limited to some industries.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", _("provincial department")
        CITY = "city", _("city bureau")
        COUNTY = "county", _("county / district bureau")
        TOWNSHIP = "township", _("township / subdistrict office")
        PARK = "park", _("industrial park committee")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("jurisdiction region"), related_name="+")
    industries = models.JSONField(_("industries"), default=list, blank=True, help_text=_("Empty means every industry."))
    accepts_registrations = models.BooleanField(
        _("accepts enterprise registrations"),
        default=True,
        help_text=_("Offered as an owning body on the self-registration form."),
    )

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("supervisory body")
        verbose_name_plural = _("supervisory bodies")

    def __str__(self) -> str:
        return self.name

    def jurisdiction_q(self, prefix: str = "") -> Q:
        q = self.region.subtree_q(f"{prefix}region__")
        if self.industries:
            q &= Q(**{f"{prefix}industry__in": self.industries})
        return q


class SizeClass(models.TextChoices):
    """企业划型 (统计上大中小微型企业划分办法 2017)."""

    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class OperatingStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")


class EconomicClass(models.Model):
    """国民经济行业分类 GB/T 4754-2017: section (A–T) > division (2 digits) > group (3) > class (4)."""

    class Level(models.TextChoices):
        SECTION = "section", _("section")
        DIVISION = "division", _("division")
        GROUP = "group", _("group")
        CLASS = "class", _("class")

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")

    class Meta:
        verbose_name = _("economic class")
        verbose_name_plural = _("economic classes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def section_code(self) -> str:
        node = self
        while node.parent_id is not None:
            node = node.parent
        return node.code


class EnterpriseQuerySet(models.QuerySet):
    def in_jurisdiction(self, body: SupervisoryBody) -> EnterpriseQuerySet:
        return self.filter(body.jurisdiction_q())


class Enterprise(models.Model):
    """The tenant. A university is an enterprise whose departments are colleges and labs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        REJECTED = "rejected", _("Rejected")
        APPROVED = "approved", _("Approved")

    name = models.CharField(_("enterprise name"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    owning_body = models.ForeignKey(
        SupervisoryBody, models.PROTECT, verbose_name=_("owning body"), related_name="enterprises"
    )
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("region"), related_name="enterprises")
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    industry = models.CharField(_("industry category"), max_length=30, choices=IndustryCategory.choices)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20, validators=[validate_phone])
    is_university = models.BooleanField(_("university"), default=False)

    # Profile (一企一档), edited by the enterprise administrator after approval.
    economic_class = models.ForeignKey(
        "EconomicClass",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("economic class (GB/T 4754-2017)"),
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    revenue = models.DecimalField(
        _("operating revenue (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    assets = models.DecimalField(_("total assets (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    # Derived from economic class, employees, revenue and assets by enterprises.sizing; stored to filter on.
    size_class = models.CharField(_("size class"), max_length=10, choices=SizeClass.choices, blank=True, db_index=True)
    has_major_hazard_source = models.BooleanField(_("has a major hazard source"), default=False)
    production_area = models.DecimalField(
        _("production area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    products = models.TextField(_("main products"), blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    description = models.TextField(_("introduction"), blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    legal_representative_phone = models.CharField(_("legal representative's phone"), max_length=20, blank=True)
    principal = models.CharField(_("principal (person in charge)"), max_length=50, blank=True)
    principal_phone = models.CharField(_("principal's phone"), max_length=20, blank=True)
    operating_status = models.CharField(
        _("operating status"),
        max_length=10,
        choices=OperatingStatus.choices,
        default=OperatingStatus.OPERATING,
        db_index=True,
    )
    # Soft delete by the owning body (restorable). A deleted enterprise's users see nothing.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    deleted_reason = models.TextField(_("reason for deletion"), blank=True)

    status = FSMField(_("registration status"), default=Status.PENDING, choices=Status.choices, db_index=True)
    # Fields the owning body corrected at review, with the applicant's value: shown as such on the profile.
    corrected_fields = models.JSONField(_("corrected by the reviewer"), default=dict, blank=True)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantManager.from_queryset(EnterpriseQuerySet)(tenant_field="pk")
    # For the few places that must look across tenants on purpose: registration's uniqueness checks and
    # building a jurisdiction. Never reachable from a view without a selector that scopes it.
    unscoped = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["status", "owning_body"])]

    def __str__(self) -> str:
        return self.name

    @property
    def enterprise_id(self) -> int:  # the review engine and the operation log read subjects' tenant by this
        return self.pk

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self) -> None:
        self.reject_reason = ""

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str) -> None:
        self.reject_reason = reason

    @transition(field=status, source=Status.REJECTED, target=Status.PENDING)
    def resubmit(self) -> None:
        pass


class AcademicTitle(models.TextChoices):
    """A university teacher's title (职称)."""

    PROFESSOR = "professor", _("Professor")
    ASSOCIATE_PROFESSOR = "associate_professor", _("Associate professor")
    LECTURER = "lecturer", _("Lecturer")
    ASSISTANT = "assistant", _("Teaching assistant")
    RESEARCHER = "researcher", _("Research fellow")
    ASSOCIATE_RESEARCHER = "associate_researcher", _("Associate research fellow")
    SENIOR_EXPERIMENTALIST = "senior_experimentalist", _("Senior laboratory engineer")
    EXPERIMENTALIST = "experimentalist", _("Laboratory engineer")
    SENIOR_ENGINEER = "senior_engineer", _("Senior engineer")
    ENGINEER = "engineer", _("Engineer")
    OTHER = "other", _("Other")


class Membership(models.Model):
    """A user's place in one organisation (an enterprise or a supervisory body) with a role.

    Identity data, read by the middleware for the user itself; selectors always filter by user or
    organisation, so it keeps Django's plain manager.
    """

    class Role(models.TextChoices):
        # Enterprise side
        ENTERPRISE_ADMIN = "enterprise_admin", _("Enterprise administrator")
        SAFETY_MANAGER = "safety_manager", _("Safety manager")
        STAFF = "staff", _("Staff")
        # University side
        LAB_SAFETY_OFFICER = "lab_safety_officer", _("Lab-safety office officer")
        CENTRE_STAFF = "centre_staff", _("Chemicals service centre staff")
        COLLEGE_ADMIN = "college_admin", _("College safety administrator")
        TEACHER = "teacher", _("Teacher")
        STUDENT = "student", _("Student")
        # Government side
        BODY_ADMIN = "body_admin", _("Body administrator")
        REVIEWER = "reviewer", _("Reviewer")
        INSPECTOR = "inspector", _("Inspector")
        LEADER = "leader", _("Leader (read-only)")

    ENTERPRISE_ROLES = (
        Role.ENTERPRISE_ADMIN,
        Role.SAFETY_MANAGER,
        Role.STAFF,
        Role.LAB_SAFETY_OFFICER,
        Role.CENTRE_STAFF,
        Role.COLLEGE_ADMIN,
        Role.TEACHER,
        Role.STUDENT,
    )
    BODY_ROLES = (Role.BODY_ADMIN, Role.REVIEWER, Role.INSPECTOR, Role.LEADER)

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PENDING = "pending", _("Awaiting activation")
        REJECTED = "rejected", _("Activation rejected")
        DISABLED = "disabled", _("Disabled")

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships", verbose_name=_("user"))
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="memberships", verbose_name=_("enterprise")
    )
    body = models.ForeignKey(
        SupervisoryBody,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("supervisory body"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    status = FSMField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Roles the enterprise defined itself (角色), each with a permission set; on top of the platform role.
    custom_roles = models.ManyToManyField("Role", blank=True, related_name="memberships", verbose_name=_("roles"))
    staff = models.OneToOneField(
        "Staff", models.SET_NULL, null=True, blank=True, related_name="membership", verbose_name=_("staff record")
    )
    # University: a teacher's or student's lab, a student's supervising teacher, first-login profile.
    department = models.ForeignKey(
        "Department",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("department / lab"),
    )
    supervisor = models.ForeignKey(
        User,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_memberships",
        verbose_name=_("supervising teacher"),
    )
    profile_completed_at = models.DateTimeField(_("profile completed at"), null=True, blank=True)
    # University: a teacher's academic title (职称), asked on first login.
    title = models.CharField(_("title"), max_length=30, choices=AcademicTitle.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(enterprise__isnull=False, body__isnull=True) | Q(enterprise__isnull=True, body__isnull=False)
                ),
                name="membership_exactly_one_organisation",
            ),
            models.UniqueConstraint(fields=["user", "enterprise"], name="membership_unique_user_enterprise"),
            models.UniqueConstraint(fields=["user", "body"], name="membership_unique_user_body"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    @property
    def organisation(self) -> Enterprise | SupervisoryBody:
        return self.enterprise if self.enterprise_id else self.body

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    # A student's activation, decided by the supervising teacher (review engine).
    @transition(field=status, source=Status.PENDING, target=Status.ACTIVE)
    def approve_activation(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject_activation(self, reason: str = "") -> None:
        pass

    @transition(field=status, source=Status.REJECTED, target=Status.PENDING)
    def request_activation_again(self) -> None:
        pass

    # The enterprise administrator's switch (users are never deleted: their names stay on their records).
    @transition(field=status, source=Status.ACTIVE, target=Status.DISABLED)
    def disable(self) -> None:
        pass

    @transition(field=status, source=Status.DISABLED, target=Status.ACTIVE)
    def enable(self) -> None:
        pass


class Department(models.Model):
    """部门: a tree per enterprise (adjacency list: trees are small, and a shared path index would couple
    tenants). In a university: colleges (学院) > labs (实验室), plus the central units."""

    class Level(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        DEPARTMENT = "department", _("Department")
        WORKSHOP = "workshop", _("Workshop")
        TEAM = "team", _("Team")
        POST = "post", _("Post")

    class Kind(models.TextChoices):
        GENERAL = "general", _("General")
        COLLEGE = "college", _("College")
        LAB = "lab", _("Lab")
        LAB_SAFETY_OFFICE = "lab_safety_office", _("Lab-safety office")
        SERVICE_CENTRE = "service_centre", _("Chemicals service centre")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="departments", verbose_name=_("enterprise"))
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent department")
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, default=Level.DEPARTMENT)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    order = models.PositiveIntegerField(_("order"), default=0)
    # Labs: the head teacher and the stock limit of hazardous chemicals (used by chemicals/).
    head = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="headed_departments", verbose_name=_("head")
    )
    stock_limit = models.DecimalField(
        _("stock limit"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Total quantity of chemicals not yet collected as waste that the lab may hold."),
    )

    objects = TenantManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["order", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "parent", "name"], name="department_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """职务."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="positions", verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=50)
    order = models.PositiveIntegerField(_("order"), default=0)

    objects = TenantManager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["order", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "name"], name="position_unique_name")]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """角色: an enterprise-defined role whose permission set is chosen from the platform's features
    (safety.features). A membership's powers = its platform role's + those of its custom roles."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="roles", verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=50)
    permissions = models.JSONField(_("permissions"), default=list, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "name"], name="role_unique_name")]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """企业人员: everyone who works there, with or without a platform account."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="staff", verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    id_number = models.CharField(_("ID card number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department, models.SET_NULL, null=True, blank=True, related_name="staff", verbose_name=_("department")
    )
    position = models.ForeignKey(
        Position, models.SET_NULL, null=True, blank=True, related_name="staff", verbose_name=_("position")
    )
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    has_certificates = models.BooleanField(
        _("holds qualification certificates"),
        default=False,
        help_text=_("Principal, safety manager or special-operations certificates."),
    )
    occupational_exposure = models.BooleanField(
        _("exposed to occupational hazards"),
        default=False,
        help_text=_("Links the person to occupational-health surveillance."),
    )
    is_active = models.BooleanField(_("employed"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["enterprise", "name"])]

    def __str__(self) -> str:
        return self.name


class ReminderStage(models.TextChoices):
    """How far an expiry reminder has gone; the daily job notifies once per stage."""

    NONE = "", _("Valid")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")


class Certificate(models.Model):
    """A staff member's qualification certificate (特种作业 / 主要负责人 / 安全管理人员)."""

    class Kind(models.TextChoices):
        SPECIAL_OPERATIONS = "special_operations", _("Special operations")
        PRINCIPAL = "principal", _("Principal")
        SAFETY_MANAGER = "safety_manager", _("Safety manager")
        OTHER = "other", _("Other")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="+", verbose_name=_("enterprise"))
    staff = models.ForeignKey(Staff, models.CASCADE, related_name="certificates", verbose_name=_("staff member"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    operation_type = models.CharField(_("operation type"), max_length=100, blank=True)
    number = models.CharField(_("certificate number"), max_length=50)
    issued_by = models.CharField(_("issued by"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    image = models.ImageField(_("image of the certificate"), upload_to="certificates/%Y/%m/", blank=True)
    reminder_stage = models.CharField(max_length=10, choices=ReminderStage.choices, default="", blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["expires_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Licence(models.Model):
    """资质证照: business, safety-production, operating, mining licences."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business licence")
        SAFETY_PRODUCTION = "safety_production", _("Safety production licence")
        OPERATING = "operating", _("Operating licence")
        MINING = "mining", _("Mining licence")
        OTHER = "other", _("Other")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="licences", verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    number = models.CharField(_("licence number"), max_length=60)
    issued_by = models.CharField(_("issued by"), max_length=100, blank=True)
    scope = models.TextField(_("licensed scope"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, db_index=True)
    long_term = models.BooleanField(_("long-term"), default=False)
    scan = models.FileField(_("scan"), upload_to="licences/%Y/%m/", blank=True)
    reminder_stage = models.CharField(max_length=10, choices=ReminderStage.choices, default="", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["valid_until", "pk"]
        constraints = [
            # Exactly one of an end date and long-term (长期): both would leave the reminders guessing.
            models.CheckConstraint(
                condition=Q(long_term=True, valid_until__isnull=True) | Q(long_term=False, valid_until__isnull=False),
                name="licence_end_xor_long_term",
                violation_error_message=_("Give either a “valid until” date or mark the licence long-term, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class SuspensionApplication(models.Model):
    """停产 / 复工 application, reviewed by the owning body."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", _("Suspension")
        RESUMPTION = "resumption", _("Resumption")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="suspension_applications", verbose_name=_("enterprise")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    status = FSMField(_("status"), default=Status.PENDING, choices=Status.choices, db_index=True)
    submitted_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+", verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("suspension / resumption application")
        verbose_name_plural = _("suspension / resumption applications")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}"

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, reason: str = "") -> None:
        pass
