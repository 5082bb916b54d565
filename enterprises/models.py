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
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
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
