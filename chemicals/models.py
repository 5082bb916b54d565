"""Lab hazardous chemicals (实验危化品): catalogue, stores, packages, purchase rounds and requests,
requisitions, ledger, waste collection, police filings, major hazard source assessments.

Every tenant-owned row carries its own ``enterprise`` (the university) and the TenantManager; inside a
university, what a person may see is narrowed further by lab and college (chemicals.selectors).

Quantities: a package's ``size`` and ``remaining`` are in the chemical's unit (g, kg, mL, L); stock limits
are in kilograms, a litre counted as a kilogram (enterprises.Department.stock_limit), see ``Unit.to_kg``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from safety.tenancy import TenantManager

from .validators import validate_cas_number

POSITIVE = [MinValueValidator(Decimal("0.001"))]


class Unit(models.TextChoices):
    GRAM = "g", _("g")
    KILOGRAM = "kg", _("kg")
    MILLILITRE = "mL", _("mL")
    LITRE = "L", _("L")

    @classmethod
    def to_kg(cls, quantity: Decimal, unit: str) -> Decimal:
        """Kilograms for the stock limit (a litre counts as a kilogram, as the labs' limits are set)."""
        if unit in (cls.GRAM, cls.MILLILITRE):
            return Decimal(quantity) / 1000
        return Decimal(quantity)


class HazardClass(models.TextChoices):
    """GHS hazard classes (GB 30000 series), the ones that matter in a lab."""

    EXPLOSIVE = "explosive", _("Explosive")
    FLAMMABLE_GAS = "flammable_gas", _("Flammable gas")
    OXIDISING_GAS = "oxidising_gas", _("Oxidising gas")
    GAS_UNDER_PRESSURE = "gas_under_pressure", _("Gas under pressure")
    FLAMMABLE_LIQUID = "flammable_liquid", _("Flammable liquid")
    FLAMMABLE_SOLID = "flammable_solid", _("Flammable solid")
    SELF_REACTIVE = "self_reactive", _("Self-reactive substance")
    PYROPHORIC = "pyrophoric", _("Pyrophoric substance")
    WATER_REACTIVE = "water_reactive", _("Emits flammable gas in contact with water")
    OXIDISER = "oxidiser", _("Oxidising liquid or solid")
    ORGANIC_PEROXIDE = "organic_peroxide", _("Organic peroxide")
    CORROSIVE_TO_METALS = "corrosive_to_metals", _("Corrosive to metals")
    ACUTE_TOXICITY = "acute_toxicity", _("Acute toxicity")
    SKIN_CORROSION = "skin_corrosion", _("Skin corrosion / irritation")
    EYE_DAMAGE = "eye_damage", _("Serious eye damage / irritation")
    SENSITISER = "sensitiser", _("Respiratory or skin sensitiser")
    CARCINOGEN = "carcinogen", _("Carcinogenicity")
    MUTAGEN = "mutagen", _("Germ cell mutagenicity")
    REPRODUCTIVE = "reproductive", _("Reproductive toxicity")
    TARGET_ORGAN = "target_organ", _("Specific target organ toxicity")
    AQUATIC = "aquatic", _("Hazardous to the aquatic environment")


class StorageGroup(models.TextChoices):
    """Storage segregation group (seed 002: incompatible classes are not stored together).
    The incompatibility table is chemicals.storage_rules.INCOMPATIBLE."""

    ACID = "acid", _("Acids")
    BASE = "base", _("Bases")
    OXIDISER = "oxidiser", _("Oxidisers")
    FLAMMABLE = "flammable", _("Flammables")
    WATER_REACTIVE = "water_reactive", _("Water-reactive")
    TOXIC = "toxic", _("Toxics")
    EXPLOSIVE = "explosive", _("Explosives")
    COMPRESSED_GAS = "compressed_gas", _("Compressed gases")
    GENERAL = "general", _("General")


class ControlledCategory(models.TextChoices):
    NONE = "", _("Not controlled")
    HIGHLY_TOXIC = "highly_toxic", _("Highly toxic (剧毒)")
    PRECURSOR = "precursor", _("Precursor chemical (易制毒)")
    EXPLOSIVE_PRECURSOR = "explosive_precursor", _("Explosive precursor (易制爆)")


class Chemical(models.Model):
    """A catalogue entry: platform reference data (admins keep it), shared by every university."""

    cas_number = models.CharField(_("CAS number"), max_length=12, unique=True, validators=[validate_cas_number])
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    formula = models.CharField(_("formula"), max_length=60, blank=True)
    hazard_classes = models.JSONField(_("GHS hazard classes"), default=list, blank=True)
    storage_group = models.CharField(
        _("storage group"), max_length=20, choices=StorageGroup.choices, default=StorageGroup.GENERAL
    )
    controlled_category = models.CharField(
        _("controlled category"), max_length=20, choices=ControlledCategory.choices, blank=True, default=""
    )
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.GRAM)
    # GB 18218-2018: critical quantity (tonnes) where the chemical is named in table 1 or by its category in
    # table 2, and its correction factor β (tables 3 and 4). Empty: not a major-hazard chemical.
    critical_quantity_t = models.DecimalField(
        _("critical quantity (t, GB 18218)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    beta = models.DecimalField(_("correction factor β"), max_digits=5, decimal_places=2, null=True, blank=True)
    gb18218_category = models.CharField(_("GB 18218 category"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("chemical")
        verbose_name_plural = _("chemicals")
        ordering = ["name_zh", "pk"]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.cas_number})"

    @property
    def is_controlled(self) -> bool:
        return bool(self.controlled_category)

    @property
    def is_highly_toxic(self) -> bool:
        return self.controlled_category == ControlledCategory.HIGHLY_TOXIC


class Campus(models.Model):
    """校区: stores, pick-up points and waste routes are per campus."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    # Pick-up (自取) or delivery (统一送货) for requisitions from the centre's physical store.
    delivers = models.BooleanField(_("delivered by the centre"), default=False)
    pickup_point = models.CharField(_("pick-up point"), max_length=100, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "name"], name="campus_unique_name")]

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """库房: the centre's physical stores (one or more per campus), the centre's virtual store, and each lab's
    virtual store (what the lab has paid for and not yet requisitioned)."""

    class Kind(models.TextChoices):
        CENTRE_PHYSICAL = "centre_physical", _("Centre's physical store")
        CENTRE_VIRTUAL = "centre_virtual", _("Centre's virtual store")
        LAB = "lab", _("Lab's own store")
        LAB_ROOM = "lab_room", _("Lab room")  # where issued packages sit (rooms/cabinets of a lab)

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    campus = models.ForeignKey(
        Campus, models.PROTECT, null=True, blank=True, related_name="stores", verbose_name=_("campus")
    )
    lab = models.ForeignKey(
        "enterprises.Department",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="chemical_stores",
        verbose_name=_("lab"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # GB 18218: people outside the unit within 500 m (gives α), for the live major-hazard calculation.
    people_exposed = models.PositiveIntegerField(_("people exposed within 500 m"), default=0)

    objects = TenantManager()

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="store_unique_name"),
            models.UniqueConstraint(
                fields=["lab", "kind"], condition=Q(kind="lab"), name="store_one_virtual_store_per_lab"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=("lab", "lab_room"), lab__isnull=False)
                | (~Q(kind__in=("lab", "lab_room")) & Q(lab__isnull=True)),
                name="store_lab_iff_lab_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PoliceFiling(models.Model):
    """公安备案: a controlled chemical's filing with the police before transport (by round, by chemical)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To be filed")
        FILED = "filed", _("Filed")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    round = models.ForeignKey(
        "PurchaseRound", models.CASCADE, null=True, blank=True, related_name="police_filings", verbose_name=_("round")
    )
    chemical = models.ForeignKey(Chemical, models.PROTECT, related_name="+", verbose_name=_("chemical"))
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, validators=POSITIVE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    filing_number = models.CharField(_("filing number"), max_length=50, blank=True)
    police_station = models.CharField(_("police authority"), max_length=100, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("police filing")
        verbose_name_plural = _("police filings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "chemical"], condition=Q(round__isnull=False), name="police_filing_one_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chemical} {self.filing_number or self.get_status_display()}"


class OrderStatus(models.TextChoices):
    """Status of a purchase request or a requisition: seed 000's status guide, steps 1–5, then the centre."""

    DRAFT = "draft", _("Not yet submitted")  # step 1
    LAB_REVIEW = "lab_review", _("Awaiting the lab's review")  # step 2 (supervising teacher / lab head)
    COLLEGE_REVIEW = "college_review", _("Awaiting the college's review")  # step 3
    OFFICE_REVIEW = "office_review", _("Awaiting the lab-safety office")  # step 4
    APPROVED = "approved", _("Approved by the lab-safety office")  # step 5
    STOCKED = "stocked", _("Stocked, awaiting payment")  # step 6
    COMPLETED = "completed", _("Completed")  # step 7
    REJECTED = "rejected", _("Rejected: fix and resubmit")
    TERMINATED = "terminated", _("Terminated")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PaymentStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No payment")
    UNPAID = "unpaid", _("No")  # 否: the lab has not paid yet
    AWAITING_CONFIRMATION = "awaiting", _("Awaiting confirmation")  # 待确认: the centre checks the receipt
    PAID = "paid", _("Yes")  # 是: the centre confirmed receipt


S = OrderStatus
NOT_AT_OFFICE = (S.DRAFT, S.LAB_REVIEW, S.COLLEGE_REVIEW, S.REJECTED)


class ThreeTierOrder(models.Model):
    """The three-tier audit (三级审核) shared by purchase requests and requisitions:
    lab (supervising teacher or lab head) → college → lab-safety office.

    Transitions change memory only: chemicals.services lock the row, check who may decide
    (chemicals.tiers), transition, save and record the review.
    """

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    number = models.CharField(_("number"), max_length=30)
    lab = models.ForeignKey("enterprises.Department", models.PROTECT, related_name="+", verbose_name=_("lab"))
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    status = FSMField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT, db_index=True)
    payment_status = FSMField(
        _("paid"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.NOT_REQUIRED
    )
    purpose = models.TextField(_("purpose"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The last review (or submission) time: the 5-day auto-termination clock of requisitions.
    last_reviewed_at = models.DateTimeField(_("last reviewed at"), null=True, blank=True, db_index=True)
    stocked_at = models.DateTimeField(_("stocked at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_confirmed_at = models.DateTimeField(_("payment confirmed at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    @property
    def step(self) -> int:
        """The status guide's step (1–7) for this order; 0 when rejected, terminated or withdrawn."""
        return {
            S.DRAFT: 1,
            S.LAB_REVIEW: 2,
            S.COLLEGE_REVIEW: 3,
            S.OFFICE_REVIEW: 4,
            S.APPROVED: 5,
            S.STOCKED: 6,
            S.COMPLETED: 7,
        }.get(self.status, 0)

    @property
    def is_open(self) -> bool:
        return self.status not in (S.COMPLETED, S.TERMINATED, S.WITHDRAWN)

    def _touch(self) -> None:
        self.last_reviewed_at = timezone.now()

    @transition(field=status, source=[S.DRAFT, S.REJECTED], target=S.LAB_REVIEW)
    def submit(self) -> None:
        self.submitted_at = timezone.now()
        self._touch()

    @transition(field=status, source=S.LAB_REVIEW, target=S.COLLEGE_REVIEW)
    def approve_lab(self) -> None:
        self._touch()

    @transition(field=status, source=S.COLLEGE_REVIEW, target=S.OFFICE_REVIEW)
    def approve_college(self) -> None:
        self._touch()

    @transition(field=status, source=S.OFFICE_REVIEW, target=S.APPROVED)
    def approve_office(self) -> None:
        self._touch()

    @transition(field=status, source=[S.LAB_REVIEW, S.COLLEGE_REVIEW, S.OFFICE_REVIEW], target=S.REJECTED)
    def reject(self) -> None:
        self._touch()

    @transition(field=status, source=[S.DRAFT, S.REJECTED, S.LAB_REVIEW], target=S.WITHDRAWN)
    def withdraw(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=status, source=[*NOT_AT_OFFICE, S.STOCKED], target=S.TERMINATED)
    def terminate(self) -> None:
        """The system's auto-termination (chemicals.deadlines decides when)."""
        self.closed_at = timezone.now()

    @transition(field=status, source=S.APPROVED, target=S.STOCKED)
    def stock(self) -> None:
        self.stocked_at = timezone.now()
        self.payment_status = PaymentStatus.UNPAID

    # Payment: the lab pays once (否 → 待确认), the centre confirms receipt (待确认 → 是).
    @transition(field=payment_status, source=PaymentStatus.UNPAID, target=PaymentStatus.AWAITING_CONFIRMATION)
    def pay(self, reference: str = "") -> None:
        self.paid_at = timezone.now()
        self.payment_reference = reference

    @transition(field=payment_status, source=PaymentStatus.AWAITING_CONFIRMATION, target=PaymentStatus.PAID)
    def confirm_payment(self) -> None:
        self.payment_confirmed_at = timezone.now()

    @transition(field=payment_status, source=PaymentStatus.AWAITING_CONFIRMATION, target=PaymentStatus.UNPAID)
    def reject_payment(self) -> None:
        """The centre found no receipt: back to unpaid (the 5-day clock keeps running from stocking)."""
        self.paid_at = None


class PurchaseRound(models.Model):
    """申购意向征集: opened by the lab-safety office every three months with a window and a deadline."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("deadline"))
    notice = models.TextField(_("notice"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    tendered_at = models.DateTimeField(_("aggregated for tendering at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("purchase round")
        verbose_name_plural = _("purchase rounds")
        ordering = ["-opens_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(deadline__gt=models.F("opens_at")), name="round_window")]

    def __str__(self) -> str:
        return self.title

    def is_open_at(self, when) -> bool:
        return self.opens_at <= when < self.deadline

    @property
    def is_open(self) -> bool:
        return self.is_open_at(timezone.now())


class PurchaseRequest(ThreeTierOrder):
    """申购: a lab's purchase request inside a round. Approved requests are aggregated for tendering; after
    stock-in the lab pays once (payment notice) and the packages join the lab's own store."""

    round = models.ForeignKey(PurchaseRound, models.PROTECT, related_name="requests", verbose_name=_("round"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("purchase request")
        verbose_name_plural = _("purchase requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "number"], name="purchase_request_unique_number"),
        ]
        indexes = [models.Index(fields=["enterprise", "lab", "status"], name="purchase_request_lab_status")]

    @transition(field="status", source=S.STOCKED, target=S.COMPLETED)
    def complete(self) -> None:
        """Payment confirmed: the packages move to the lab's own store."""
        self.closed_at = timezone.now()


class PurchaseLine(models.Model):
    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    request = models.ForeignKey(PurchaseRequest, models.CASCADE, related_name="lines", verbose_name=_("request"))
    chemical = models.ForeignKey(Chemical, models.PROTECT, related_name="+", verbose_name=_("chemical"))
    package_size = models.DecimalField(_("package size"), max_digits=10, decimal_places=3, validators=POSITIVE)
    package_count = models.PositiveIntegerField(_("number of packages"), validators=[MinValueValidator(1)])
    specification = models.CharField(_("grade / specification"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Set by the centre at stock-in: what arrived and its price.
    received_count = models.PositiveIntegerField(_("packages received"), default=0)
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.chemical} {self.package_size}{self.chemical.unit} × {self.package_count}"

    @property
    def amount(self) -> Decimal:
        return (self.unit_price or Decimal(0)) * self.received_count


class Requisition(ThreeTierOrder):
    """申领: take chemicals from the centre's physical store (pick-up or delivery by campus), the centre's
    virtual store (stocked, then paid), or the lab's own store (no payment)."""

    class Source(models.TextChoices):
        CENTRE_PHYSICAL = "centre_physical", _("Centre's physical store")
        CENTRE_VIRTUAL = "centre_virtual", _("Centre's virtual store")
        LAB = "lab", _("Lab's own store")

    class Handover(models.TextChoices):
        PICKUP = "pickup", _("Pick-up")
        DELIVERY = "delivery", _("Delivery")

    source = models.CharField(_("store"), max_length=20, choices=Source.choices)
    campus = models.ForeignKey(
        Campus, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("campus")
    )
    handover = models.CharField(_("pick-up or delivery"), max_length=10, choices=Handover.choices, blank=True)
    # Issue (出库): who handed the packages out; highly toxic chemicals need a second custodian (双人双锁).
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("issued by")
    )
    second_custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("second custodian"),
    )

    objects = TenantManager()

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "number"], name="requisition_unique_number"),
        ]
        indexes = [models.Index(fields=["enterprise", "lab", "status"], name="requisition_lab_status")]

    @property
    def needs_payment(self) -> bool:
        return self.source != self.Source.LAB

    @transition(field="status", source=[S.APPROVED, S.STOCKED], target=S.COMPLETED)
    def issue(self) -> None:
        """Handed out (出库): from the lab's store right after approval, from the centre once paid."""
        self.issued_at = timezone.now()
        self.closed_at = self.issued_at


class RequisitionLine(models.Model):
    """A chemical and how many packages of which size; from the lab's own store, the packages themselves."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    requisition = models.ForeignKey(Requisition, models.CASCADE, related_name="lines", verbose_name=_("requisition"))
    chemical = models.ForeignKey(Chemical, models.PROTECT, related_name="+", verbose_name=_("chemical"))
    package_size = models.DecimalField(_("package size"), max_digits=10, decimal_places=3, validators=POSITIVE)
    package_count = models.PositiveIntegerField(_("number of packages"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("requisition line")
        verbose_name_plural = _("requisition lines")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.chemical} {self.package_size}{self.chemical.unit} × {self.package_count}"

    @property
    def size_kg(self) -> Decimal:
        return Unit.to_kg(self.package_size, self.chemical.unit) * self.package_count


class Package(models.Model):
    """One bottle / bag / cylinder (单独包装): its own record from stock-in to waste collection."""

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")  # in a centre store or a lab's own (virtual) store
        RESERVED = "reserved", _("Reserved for a requisition")
        ISSUED = "issued", _("Issued")  # handed to the lab, no use recorded yet
        IN_USE = "in_use", _("In use")
        USED_UP = "used_up", _("Used up")  # ledger accepted: an empty package awaiting waste collection
        COLLECTED = "collected", _("Collected as waste")

    # Packages the lab physically holds: they count against its stock limit until collected as waste.
    HELD_BY_LAB = (Status.ISSUED, Status.IN_USE, Status.USED_UP)

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    code = models.CharField(_("package code"), max_length=30)
    chemical = models.ForeignKey(Chemical, models.PROTECT, related_name="packages", verbose_name=_("chemical"))
    size = models.DecimalField(_("size"), max_digits=10, decimal_places=3, validators=POSITIVE)
    remaining = models.DecimalField(_("remaining"), max_digits=10, decimal_places=3)
    store = models.ForeignKey(Store, models.PROTECT, related_name="packages", verbose_name=_("store"))
    room = models.CharField(_("room"), max_length=50, blank=True)
    cabinet = models.CharField(_("cabinet"), max_length=50, blank=True)
    shelf = models.CharField(_("shelf"), max_length=50, blank=True)
    owner_lab = models.ForeignKey(
        "enterprises.Department",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="chemical_packages",
        verbose_name=_("owner lab"),
    )
    status = FSMField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_STOCK, db_index=True)
    purchase_line = models.ForeignKey(
        PurchaseLine, models.SET_NULL, null=True, blank=True, related_name="packages", verbose_name=_("purchase")
    )
    requisition_line = models.ForeignKey(
        RequisitionLine,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="packages",
        verbose_name=_("requisition"),
    )
    police_filing = models.ForeignKey(
        PoliceFiling, models.SET_NULL, null=True, blank=True, related_name="packages", verbose_name=_("police filing")
    )
    waste_registration = models.ForeignKey(
        "WasteRegistration",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="packages",
        verbose_name=_("waste registration"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    used_up_at = models.DateTimeField(_("used up at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "code"], name="package_unique_code"),
            models.CheckConstraint(condition=Q(remaining__gte=0), name="package_remaining_not_negative"),
            models.CheckConstraint(condition=Q(remaining__lte=models.F("size")), name="package_remaining_le_size"),
        ]
        indexes = [
            models.Index(fields=["enterprise", "owner_lab", "status"], name="package_lab_status"),
            models.Index(fields=["enterprise", "store", "status"], name="package_store_status"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.chemical.name_zh} {self.size}{self.chemical.unit}"

    @property
    def size_kg(self) -> Decimal:
        return Unit.to_kg(self.size, self.chemical.unit)

    @property
    def location(self) -> str:
        return " / ".join(p for p in (str(self.store), self.room, self.cabinet, self.shelf) if p)

    @transition(field=status, source=Status.IN_STOCK, target=Status.RESERVED)
    def reserve(self) -> None:
        pass

    @transition(field=status, source=Status.RESERVED, target=Status.IN_STOCK)
    def release(self) -> None:
        self.requisition_line = None

    @transition(field=status, source=[Status.IN_STOCK, Status.RESERVED], target=Status.ISSUED)
    def issue(self) -> None:
        self.issued_at = timezone.now()

    @transition(field=status, source=[Status.ISSUED, Status.IN_USE], target=Status.IN_USE)
    def use(self) -> None:
        pass

    @transition(field=status, source=[Status.ISSUED, Status.IN_USE], target=Status.USED_UP)
    def mark_used_up(self) -> None:
        self.used_up_at = timezone.now()

    @transition(field=status, source=Status.USED_UP, target=Status.COLLECTED)
    def collect(self) -> None:
        self.collected_at = timezone.now()

    @transition(field=status, source=Status.COLLECTED, target=Status.USED_UP)
    def uncollect(self) -> None:
        """Its waste registration was cancelled before the deadline: an empty package awaiting collection again."""
        self.collected_at = None
        self.waste_registration = None


class LedgerEntry(models.Model):
    """使用台账: one use of a package. Never edited; a correction is a new entry."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    package = models.ForeignKey(Package, models.PROTECT, related_name="ledger", verbose_name=_("package"))
    used_on = models.DateField(_("date of use"))
    quantity = models.DecimalField(_("quantity used"), max_digits=10, decimal_places=3, validators=POSITIVE)
    purpose = models.CharField(_("purpose"), max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("used by"))
    remaining_after = models.DecimalField(_("remaining after"), max_digits=10, decimal_places=3)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["used_on", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.package.code} {self.used_on} {self.quantity}"


class UsedUpDeclaration(models.Model):
    """台账提交: declaring a package used up. A student's is reviewed by the supervising teacher; a teacher's
    passes at once (recorded as such)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the supervisor's review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    package = models.ForeignKey(Package, models.PROTECT, related_name="declarations", verbose_name=_("package"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("declared by")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reviewer")
    )
    status = FSMField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("declared at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("used-up declaration")
        verbose_name_plural = _("used-up declarations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["package"], condition=Q(status="pending"), name="declaration_one_pending_per_package"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} {self.get_status_display()}"

    @transition(field=status, source=Status.PENDING, target=Status.ACCEPTED)
    def accept(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self) -> None:
        self.decided_at = timezone.now()


class WasteRoute(models.Model):
    """A collection route on a campus: the buildings in order (seed 000: 北校区 理科楼 → … → 旱研院)."""

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    campus = models.ForeignKey(Campus, models.PROTECT, related_name="waste_routes", verbose_name=_("campus"))
    name = models.CharField(_("name"), max_length=100)
    stops = models.JSONField(_("stops (buildings in order)"), default=list)

    objects = TenantManager()

    class Meta:
        verbose_name = _("waste route")
        verbose_name_plural = _("waste routes")
        ordering = ["campus__name", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "name"], name="waste_route_unique_name")]

    def __str__(self) -> str:
        return self.name


class WasteCollection(models.Model):
    """One weekly collection (Thursday); registrations close Wednesday 23:59 (Asia/Shanghai)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open for registration")
        CLOSED = "closed", _("Registration closed")
        COLLECTED = "collected", _("Collected")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    collection_date = models.DateField(_("collection date"))
    registration_deadline = models.DateTimeField(_("registration deadline"))
    status = FSMField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=200, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("waste collection")
        verbose_name_plural = _("waste collections")
        ordering = ["-collection_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "collection_date"], name="waste_collection_one_per_day"),
        ]

    def __str__(self) -> str:
        return str(self.collection_date)

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=status, source=Status.CLOSED, target=Status.OPEN)
    def reopen(self) -> None:
        """The centre moved the deadline later."""

    @transition(field=status, source=[Status.OPEN, Status.CLOSED], target=Status.COLLECTED)
    def mark_collected(self) -> None:
        self.collected_at = timezone.now()


class WasteRegistration(models.Model):
    """登记回收: a lab's waste for one collection, on one route; empty packages chosen from ledger-accepted ones
    are collected (stock-out) when the registration is submitted, which frees the lab's stock-limit quota."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        COLLECTED = "collected", _("Collected")
        CANCELLED = "cancelled", _("Cancelled")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    collection = models.ForeignKey(
        WasteCollection, models.PROTECT, related_name="registrations", verbose_name=_("collection")
    )
    lab = models.ForeignKey("enterprises.Department", models.PROTECT, related_name="+", verbose_name=_("lab"))
    route = models.ForeignKey(WasteRoute, models.PROTECT, related_name="registrations", verbose_name=_("route"))
    building = models.CharField(_("building"), max_length=100)
    room = models.CharField(_("room"), max_length=50, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    phone = models.CharField(_("phone"), max_length=20)
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = FSMField(_("status"), max_length=10, choices=Status.choices, default=Status.REGISTERED)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("waste registration")
        verbose_name_plural = _("waste registrations")
        ordering = ["route", "building", "pk"]

    def __str__(self) -> str:
        return f"{self.lab} {self.collection}"

    @transition(field=status, source=Status.REGISTERED, target=Status.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=status, source=Status.REGISTERED, target=Status.COLLECTED)
    def mark_collected(self) -> None:
        pass


class WasteItem(models.Model):
    class Category(models.TextChoices):
        CHEMICAL_LIQUID = "chemical_liquid", _("Chemical waste liquid (incl. gels)")
        BIOLOGICAL_LIQUID = "biological_liquid", _("Biological waste liquid (incl. gels)")
        CHEMICAL_SOLID = "chemical_solid", _("Chemical waste solid")
        BIOLOGICAL_SOLID = "biological_solid", _("Biological waste solid")
        SHARPS = "sharps", _("Waste with sharps")

    # Liquids come in barrels (桶), the rest in bags (袋).
    CONTAINER = {
        Category.CHEMICAL_LIQUID: "barrel",
        Category.BIOLOGICAL_LIQUID: "barrel",
        Category.CHEMICAL_SOLID: "bag",
        Category.BIOLOGICAL_SOLID: "bag",
        Category.SHARPS: "bag",
    }

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    registration = models.ForeignKey(WasteRegistration, models.CASCADE, related_name="items")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("waste item")
        verbose_name_plural = _("waste items")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "category"], name="waste_item_one_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} × {self.quantity}"


class BarrelRequest(models.Model):
    """废液桶申领: a lab asks the centre for empty waste barrels."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    lab = models.ForeignKey("enterprises.Department", models.PROTECT, related_name="+", verbose_name=_("lab"))
    campus = models.ForeignKey(Campus, models.PROTECT, related_name="+", verbose_name=_("campus"))
    kind = models.CharField(
        _("barrel for"),
        max_length=20,
        choices=[
            (WasteItem.Category.CHEMICAL_LIQUID, WasteItem.Category.CHEMICAL_LIQUID.label),
            (WasteItem.Category.BIOLOGICAL_LIQUID, WasteItem.Category.BIOLOGICAL_LIQUID.label),
        ],
    )
    quantity = models.PositiveIntegerField(_("barrels"), validators=[MinValueValidator(1)])
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    status = FSMField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("waste-barrel request")
        verbose_name_plural = _("waste-barrel requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.lab} {self.quantity}"

    @transition(field=status, source=Status.REQUESTED, target=Status.DELIVERED)
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(field=status, source=Status.REQUESTED, target=Status.CANCELLED)
    def cancel(self) -> None:
        pass


class HazardSourceAssessment(models.Model):
    """重大危险源辨识与分级 (GB 18218-2018) of one unit, saved with its inputs and results. Any enterprise may keep
    them for its own units (quantities entered by hand); a university's stores can be assessed from live
    inventory (the lines are then a snapshot)."""

    class UnitKind(models.TextChoices):
        STORAGE = "storage", _("Storage unit")
        PRODUCTION = "production", _("Production unit")

    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    name = models.CharField(_("unit"), max_length=100)
    unit_kind = models.CharField(_("unit kind"), max_length=12, choices=UnitKind.choices, default=UnitKind.STORAGE)
    store = models.ForeignKey(
        Store, models.SET_NULL, null=True, blank=True, related_name="assessments", verbose_name=_("store")
    )
    people_exposed = models.PositiveIntegerField(_("people exposed within 500 m"), default=0)
    alpha = models.DecimalField(_("α"), max_digits=4, decimal_places=2)
    s_value = models.DecimalField(_("S = Σ q/Q"), max_digits=14, decimal_places=4)
    r_value = models.DecimalField(_("R"), max_digits=14, decimal_places=4)
    is_major = models.BooleanField(_("major hazard source"))
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)

    objects = TenantManager()

    class Meta:
        verbose_name = _("major hazard source assessment")
        verbose_name_plural = _("major hazard source assessments")
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.assessed_at:%Y-%m-%d}"


class HazardSourceLine(models.Model):
    enterprise = models.ForeignKey("enterprises.Enterprise", models.CASCADE, related_name="+")
    assessment = models.ForeignKey(HazardSourceAssessment, models.CASCADE, related_name="lines")
    chemical = models.ForeignKey(Chemical, models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(_("substance"), max_length=150)
    quantity_t = models.DecimalField(_("quantity q (t)"), max_digits=14, decimal_places=4)
    critical_quantity_t = models.DecimalField(_("critical quantity Q (t)"), max_digits=10, decimal_places=3)
    beta = models.DecimalField(_("β"), max_digits=5, decimal_places=2)

    objects = TenantManager()

    class Meta:
        verbose_name = _("assessment line")
        verbose_name_plural = _("assessment lines")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
