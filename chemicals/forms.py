"""Forms of the chemicals service; every ModelChoiceField is re-scoped to the actor's university (and lab)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprises.models import Department

from . import gb18218, selectors, waste_schedule
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
    RequisitionLine,
    Store,
    WasteCollection,
    WasteItem,
    WasteRoute,
)

# ==== area: catalogue ====


class CampusForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    delivers = forms.BooleanField(
        label=_("Delivered by the centre"),
        required=False,
        help_text=_("Ticked: the centre delivers requisitions on this campus; otherwise people pick them up."),
    )
    pickup_point = forms.CharField(label=_("Pick-up point"), max_length=100, required=False)


def _store_label(store: Store) -> str:
    return f"{store.name} · {store.get_kind_display()}"


class StoreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Store) -> str:
        return _store_label(obj)


class StoreForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k.value, k.label) for k in (Store.Kind.CENTRE_PHYSICAL, Store.Kind.CENTRE_VIRTUAL)],
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    campus = forms.ModelChoiceField(label=_("Campus"), queryset=Campus._base_manager.none(), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    people_exposed = forms.IntegerField(
        label=_("People exposed within 500 m"),
        min_value=0,
        initial=0,
        help_text=_("People outside the university within 500 m (GB 18218's α for the major hazard assessment)."),
    )

    def __init__(self, *args, actor, store: Store | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = selectors.campuses_for(actor).order_by("name", "pk")
        if store is not None:
            del self.fields["kind"]  # a store's kind is fixed once made


class ChemicalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Chemical) -> str:
        return f"{obj.name_zh} · {obj.cas_number} ({obj.unit})"


class PoliceFilingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PoliceFiling) -> str:
        return f"{obj.filing_number or obj.pk} · {obj.chemical.name_zh}"


class PlacementMixin(forms.Form):
    """Where a package goes, and the confirmation asked for when incompatible chemicals sit there."""

    room = forms.CharField(label=_("Room"), max_length=50, required=False)
    cabinet = forms.CharField(label=_("Cabinet"), max_length=50, required=False)
    shelf = forms.CharField(label=_("Shelf"), max_length=50, required=False)
    place_anyway = forms.BooleanField(
        label=_("Place it anyway (the decision is recorded)"),
        required=False,
        help_text=_("Only after checking the warning: incompatible chemicals must not share a cabinet."),
    )


class PackageStockInForm(PlacementMixin):
    chemical = ChemicalChoiceField(label=_("Chemical"), queryset=Chemical.objects.none())
    store = StoreChoiceField(label=_("Store"), queryset=Store._base_manager.none())
    size = forms.DecimalField(
        label=_("Size of one package"),
        min_value=Decimal("0.001"),
        max_digits=10,
        decimal_places=3,
        help_text=_("In the chemical's unit (g, kg, mL or L)."),
    )
    count = forms.IntegerField(label=_("Number of packages"), min_value=1, max_value=200, initial=1)
    police_filing = PoliceFilingChoiceField(
        label=_("Police filing"),
        queryset=PoliceFiling._base_manager.none(),
        required=False,
        help_text=_("Controlled chemicals only: an existing filing of this chemical, or enter a new one below."),
    )
    filing_number = forms.CharField(label=_("New filing number"), max_length=50, required=False)
    police_station = forms.CharField(label=_("Police authority"), max_length=100, required=False)

    field_order = [
        "chemical",
        "store",
        "size",
        "count",
        "room",
        "cabinet",
        "shelf",
        "police_filing",
        "filing_number",
        "police_station",
        "place_anyway",
    ]

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chemical"].queryset = Chemical.objects.filter(is_active=True).order_by("name_zh", "pk")
        self.fields["store"].queryset = selectors.stores_for(actor).filter(kind=Store.Kind.CENTRE_PHYSICAL)
        self.fields["police_filing"].queryset = selectors.police_filings_for_stock_in(actor)


class PackageMoveForm(PlacementMixin):
    store = StoreChoiceField(label=_("Store"), queryset=Store._base_manager.none())

    field_order = ["store", "room", "cabinet", "shelf", "place_anyway"]

    def __init__(self, *args, actor, package: Package, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"store": package.store_id, "room": package.room, "cabinet": package.cabinet, "shelf": package.shelf},
        )
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = selectors.move_targets(actor, package)


# ==== area: purchase ====
# Purchase rounds and requests.

_PU_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PurchaseRoundForm(forms.ModelForm):
    class Meta:
        model = PurchaseRound
        fields = ["title", "opens_at", "deadline", "notice"]
        widgets = {
            "opens_at": _PU_DATETIME,
            "deadline": _PU_DATETIME,
            "notice": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "opens_at": _("Labs may submit purchase requests from this time…"),
            "deadline": _("…until this time (requests are refused outside the window)."),
            "notice": _("Sent to the university's teachers with the round (what to buy, how to fill in, etc.)."),
        }

    def clean(self):
        data = super().clean()
        opens_at, deadline = data.get("opens_at"), data.get("deadline")
        if opens_at and deadline and deadline <= opens_at:
            self.add_error("deadline", _("The deadline must come after the opening time."))
        return data


class ChemicalChoiceField(forms.CharField):
    """A chemical typed with search: “name · CAS · unit” from the list, a CAS number or an exact name."""

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return None
        active = Chemical.objects.filter(is_active=True)
        # The list's label is “name · CAS · unit”; a bare CAS number or an exact name works too.
        parts = [p.strip().replace("－", "-") for p in text.split("·")]
        chemical = active.filter(cas_number__in=parts).first()
        if chemical is None:
            named = list(active.filter(name_zh=text)[:2]) or list(active.filter(name_en__iexact=text)[:2])
            chemical = named[0] if len(named) == 1 else None
        if chemical is None:
            raise forms.ValidationError(
                _("“%(text)s” is not in the catalogue: type a name or CAS number and pick the chemical from the list."),
                params={"text": text},
            )
        return chemical

    def prepare_value(self, value):
        if isinstance(value, Chemical):
            return purchase_chemical_label(value)
        return value


def purchase_chemical_label(chemical: Chemical) -> str:
    return f"{chemical.name_zh} · {chemical.cas_number} · {chemical.unit}"


class PurchaseRequestForm(forms.Form):
    round = forms.ModelChoiceField(label=_("Purchase round"), queryset=None)
    lab = forms.ModelChoiceField(label=_("Lab"), queryset=None)
    purpose = forms.CharField(
        label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=20)

    def __init__(self, *args, actor, order: PurchaseRequest | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if order is not None:
            # Round and lab are fixed once the request exists.
            del self.fields["round"]
            del self.fields["lab"]
            return
        self.fields["round"].queryset = selectors.open_purchase_rounds(actor)
        self.fields["round"].empty_label = None
        self.fields["lab"].queryset = selectors.purchase_labs_for(actor)
        self.fields["lab"].empty_label = None


class PurchaseLineForm(forms.Form):
    chemical = ChemicalChoiceField(
        label=_("Chemical"),
        widget=forms.TextInput(
            attrs={"list": "chemical-options", "autocomplete": "off", "placeholder": _("Name or CAS number")}
        ),
    )
    package_size = forms.DecimalField(
        label=_("Package size"),
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        help_text=_("In the chemical's unit (g, kg, mL or L) as the catalogue gives it."),
    )
    package_count = forms.IntegerField(label=_("Number of packages"), min_value=1, max_value=10000)
    specification = forms.CharField(label=_("Grade / specification"), required=False, max_length=100)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


PurchaseLineFormSet = forms.formset_factory(
    PurchaseLineForm, extra=0, min_num=1, validate_min=True, can_delete=True, max_num=200
)


def purchase_line_formset(data=None, *, lines=None, add_row: bool = False) -> forms.BaseFormSet:
    """The request's lines; ``add_row`` re-renders the posted lines plus an empty one (the input is kept)."""
    if data is not None and add_row:
        data = data.copy()
        key = "lines-TOTAL_FORMS"
        data[key] = str(int(data.get(key) or 0) + 1)
    initial = None
    if data is None and lines:
        initial = [
            {
                "chemical": line.chemical,
                "package_size": line.package_size,
                "package_count": line.package_count,
                "specification": line.specification,
                "note": line.note,
            }
            for line in lines
        ]
    return PurchaseLineFormSet(data, initial=initial, prefix="lines")


class PurchaseReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason / opinion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a rejection: the submitter fixes the request from it."),
    )
    seen_status = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for the rejection: the submitter needs it to fix the request."))
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("decision") == "approve"


class PurchaseStockInForm(forms.Form):
    """The campus whose centre store receives the chemicals, then per line: packages received and unit price."""

    campus = forms.ModelChoiceField(label=_("Campus"), queryset=None)

    def __init__(self, *args, actor, lines, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        university = actor.enterprise
        self.fields["campus"].queryset = Campus.objects.filter(enterprise=university).order_by("name", "pk")
        for line in lines:
            self.fields[f"received_{line.pk}"] = forms.IntegerField(
                label=_("Packages received"), min_value=0, max_value=line.package_count, initial=line.package_count
            )
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                label=_("Unit price (yuan)"), required=False, min_value=0, max_digits=10, decimal_places=2
            )

    def line_rows(self):
        return [(line, self[f"received_{line.pk}"], self[f"price_{line.pk}"]) for line in self.lines]

    def received(self) -> list[tuple[int, int, Decimal | None]]:
        """(line id, packages received, unit price) per line."""
        d = self.cleaned_data
        return [(line.pk, d.get(f"received_{line.pk}") or 0, d.get(f"price_{line.pk}")) for line in self.lines]


class PurchasePayForm(forms.Form):
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=60,
        help_text=_("The transaction number of your payment, so the centre can find it."),
    )


class PurchaseRejectPaymentForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the payment is not confirmed"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )


class PoliceFilingRecordForm(forms.ModelForm):
    class Meta:
        model = PoliceFiling
        fields = ["filing_number", "police_station", "filed_on"]
        widgets = {"filed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True


# ==== area: requisition ====
# Requisitions: the order (store, lab, campus, pick-up or delivery, lines), and the centre's stock / issue /
# payment forms. The lines offer what the chosen store holds (chemical + size with the count available); the
# centre's virtual store offers the catalogue. "Add a row" and "Show what this store has" re-show the page with
# everything typed so far.


class RequisitionForm(forms.Form):
    source = forms.ChoiceField(label=_("Store"), choices=Requisition.Source.choices, initial=Requisition.Source.LAB)
    lab = forms.ModelChoiceField(label=_("Lab"), queryset=Requisition._base_manager.none())
    campus = forms.ModelChoiceField(
        label=_("Campus"),
        queryset=Campus._base_manager.none(),
        required=False,
        help_text=_("The centre's store on this campus hands the chemicals out (its stock or what it buys in)."),
    )
    handover = forms.ChoiceField(
        label=_("Pick-up or delivery"),
        choices=[("", "—"), *Requisition.Handover.choices],
        required=False,
        help_text=_("Delivery only where the centre delivers; otherwise pick up at the campus's pick-up point."),
    )
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lab"].queryset = selectors.requisition_lab_choices(actor)
        self.fields["campus"].queryset = selectors.requisition_campuses(actor)
        self.campuses = list(self.fields["campus"].queryset)
        if len(self.fields["lab"].queryset) == 1:
            self.fields["lab"].initial = self.fields["lab"].queryset[0].pk
            self.fields["lab"].widget = forms.HiddenInput()

    def current(self, name: str) -> str:
        """The value typed (bound) or set up (initial), for building the lines' choices before validation."""
        if self.is_bound:
            return self.data.get(self.add_prefix(name)) or ""
        value = self.initial.get(name, self.fields[name].initial)
        return str(getattr(value, "pk", value) or "")


class RequisitionLineForm(forms.Form):
    item = forms.ChoiceField(label=_("Chemical and package size"), required=False)
    chemical = forms.ModelChoiceField(label=_("Chemical"), queryset=Chemical.objects.none(), required=False)
    package_size = forms.DecimalField(
        label=_("Package size"), max_digits=10, decimal_places=3, min_value=Decimal("0.001"), required=False
    )
    package_count = forms.IntegerField(label=_("Number of packages"), min_value=1, max_value=999)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, source: str, offers: list, extra_keys: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        if source == Requisition.Source.CENTRE_VIRTUAL:
            del self.fields["item"]
            self.fields["chemical"].queryset = selectors.requisition_catalogue()
            self.fields["chemical"].required = True
            self.fields["package_size"].required = True
        else:
            del self.fields["chemical"], self.fields["package_size"]
            choices = [("", "—")] + [
                (
                    o.key,
                    _("%(chemical)s · %(size)s %(unit)s (%(available)s available)")
                    % {
                        "chemical": o.chemical,
                        "size": selectors.rq_size_key(o.size),
                        "unit": o.chemical.unit,
                        "available": o.available,
                    },
                )
                for o in offers
            ]
            known = {key for key, _label in choices}
            choices += [(key, label) for key, label in (extra_keys or {}).items() if key not in known]
            self.fields["item"].choices = choices
            self.fields["item"].required = True

    def line(self) -> dict:
        d = self.cleaned_data
        if self.source == Requisition.Source.CENTRE_VIRTUAL:
            chemical_id, size = d["chemical"].pk, d["package_size"]
        else:
            chemical_id, size = d["item"].split(":", 1)
        return {
            "chemical_id": int(chemical_id),
            "package_size": size,
            "package_count": d["package_count"],
            "note": d["note"],
        }


class _RequisitionLineFormSetBase(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Every row may be left empty (that removes it): only rows with something typed are validated.
        form = super()._construct_form(i, **kwargs)
        form.empty_permitted = True
        form.use_required_attribute = False
        return form


RequisitionLineFormSet = forms.formset_factory(
    RequisitionLineForm, formset=_RequisitionLineFormSetBase, extra=0, max_num=50, absolute_max=50
)


class RequisitionEditor:
    """The requisition form and its lines. ``add_row`` adds a blank line, ``refresh`` re-shows the lines' choices
    for the store and campus chosen; both keep everything typed and save nothing."""

    PREFIX = "lines"

    def __init__(self, data=None, *, actor, initial: dict | None = None, lines: list[dict] | None = None, pk=None):
        self.actor = actor
        self.grown = data is not None and ("add_row" in data or "refresh" in data)
        if data is not None and "add_row" in data:
            data = data.copy()
            total = self._int(data.get(f"{self.PREFIX}-TOTAL_FORMS"))
            data[f"{self.PREFIX}-TOTAL_FORMS"] = str(min(total + 1, 50))
        self.form = RequisitionForm(data, actor=actor, initial=initial or {})
        source = self.form.current("source") or Requisition.Source.LAB
        if source not in Requisition.Source.values:
            source = Requisition.Source.LAB
        self.source = source
        lab_id = self._int(self.form.current("lab")) or None
        campus_id = self._int(self.form.current("campus")) or None
        self.offers = (
            selectors.requisition_offers(
                enterprise_id=actor.enterprise.pk, source=source, lab_id=lab_id, campus_id=campus_id, exclude_pk=pk
            )
            if actor.enterprise is not None
            else []
        )
        extra_keys = {line["item"]: line["item_label"] for line in lines or [] if line.get("item")}
        kwargs = {"source": source, "offers": self.offers, "extra_keys": extra_keys}
        if data is not None:
            self.lines = RequisitionLineFormSet(data, prefix=self.PREFIX, form_kwargs=kwargs)
        else:
            self.lines = RequisitionLineFormSet(prefix=self.PREFIX, initial=lines or [{}], form_kwargs=kwargs)
        self.errors: list[str] = []

    @staticmethod
    def _int(value) -> int:
        try:
            return max(0, min(int(value), 10**9))
        except (TypeError, ValueError):
            return 0

    @classmethod
    def initial_for(cls, requisition: Requisition, lines: list[RequisitionLine]) -> tuple[dict, list[dict]]:
        header = {
            "source": requisition.source,
            "lab": requisition.lab_id,
            "campus": requisition.campus_id,
            "handover": requisition.handover,
            "purpose": requisition.purpose,
            "contact_phone": requisition.contact_phone,
        }
        rows = []
        for line in lines:
            size = selectors.rq_size_key(line.package_size)
            rows.append(
                {
                    "item": f"{line.chemical_id}:{size}",
                    "item_label": f"{line.chemical} · {size} {line.chemical.unit}",
                    "chemical": line.chemical_id,
                    "package_size": line.package_size,
                    "package_count": line.package_count,
                    "note": line.note,
                }
            )
        return header, rows

    def is_valid(self) -> bool:
        form_ok = self.form.is_valid()
        lines_ok = self.lines.is_valid()
        return form_ok and lines_ok

    def save_kwargs(self) -> dict:
        d = self.form.cleaned_data
        return {
            "source": d["source"],
            "lab_id": d["lab"].pk if d.get("lab") else None,
            "campus_id": d["campus"].pk if d.get("campus") else None,
            "handover": d.get("handover") or "",
            "purpose": d.get("purpose") or "",
            "contact_phone": d.get("contact_phone") or "",
            "lines": [f.line() for f in self.lines.forms if f.has_changed() and f.cleaned_data],
        }

    def add_error(self, exc) -> None:
        """A service's ValidationError: header fields on the form, the lines' problems above the lines."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        self.errors.extend(errors.pop("lines", []))
        for field, messages_ in errors.items():
            self.form.add_error(field if field in self.form.fields else None, messages_)


class RequisitionReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason / opinion"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required for a rejection: the submitter fixes the requisition from it."),
    )


class RequisitionStockForm(forms.Form):
    """The centre stocks an approved requisition: each line's unit price, and for the physical store the
    packages to reserve (the oldest free ones are ticked)."""

    def __init__(self, *args, requisition: Requisition, lines: list, reservable: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.rows = []
        for line in lines:
            price = forms.DecimalField(
                label=_("Unit price (yuan)"),
                max_digits=10,
                decimal_places=2,
                min_value=Decimal("0"),
                initial=line.unit_price,
            )
            self.fields[f"price_{line.pk}"] = price
            choose = None
            if requisition.source == Requisition.Source.CENTRE_PHYSICAL:
                packages = reservable.get(line.pk, [])
                choose = forms.TypedMultipleChoiceField(
                    label=_("Packages to reserve"),
                    coerce=int,
                    choices=[(p.pk, f"{p.code} · {p.location}") for p in packages],
                    initial=[p.pk for p in packages[: line.package_count]],
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
                self.fields[f"packages_{line.pk}"] = choose
            self.rows.append((line, f"price_{line.pk}", f"packages_{line.pk}" if choose else None))

    def bound_rows(self):
        return [(line, self[price], self[packages] if packages else None) for line, price, packages in self.rows]

    def unit_prices(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data[f"price_{line.pk}"] for line in self.lines}

    def packages(self) -> dict[int, list[int]]:
        return {
            line.pk: list(self.cleaned_data.get(f"packages_{line.pk}") or [])
            for line in self.lines
            if f"packages_{line.pk}" in self.fields
        }


class RequisitionIssueForm(forms.Form):
    second_custodian = forms.ModelChoiceField(
        label=_("Second custodian"),
        queryset=Requisition._base_manager.none(),
        required=False,
        help_text=_("Another centre staff member or lab-safety officer: highly toxic chemicals need two (双人双锁)."),
    )

    def __init__(self, *args, actor, toxic: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["second_custodian"]
        field.queryset = selectors.second_custodian_choices(actor)
        field.required = toxic
        field.label_from_instance = lambda u: u.display_name


class RequisitionPayForm(forms.Form):
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=60,
        required=False,
        help_text=_("The transaction number of your payment, so the centre finds it."),
    )


class RequisitionPaymentDecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("confirm", _("Confirm receipt")), ("reject", _("Not received"))])
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


# ==== area: ledger ====


class LedgerEntryForm(forms.Form):
    """Record one use of a package (the quick form of the lab's packages page, and the package page)."""

    # An HTML date input only takes ISO dates, whatever the language's display format.
    used_on = forms.DateField(label=_("Date of use"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    quantity = forms.DecimalField(
        label=_("Quantity used"),
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200)

    def __init__(self, *args, package: Package | None = None, **kwargs) -> None:
        from django.utils import timezone

        kwargs.setdefault("initial", {"used_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        if package is not None:
            unit = package.chemical.get_unit_display()
            self.fields["quantity"].label = _("Quantity used (%(unit)s)") % {"unit": unit}
            self.fields["quantity"].help_text = _("Remaining: %(remaining)s %(unit)s") % {
                "remaining": f"{package.remaining.normalize():f}",
                "unit": unit,
            }
            self.fields["quantity"].widget.attrs["max"] = str(package.remaining)


class LedgerDeclareForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class LedgerReviewForm(forms.Form):
    # Sent by the page's two buttons (accept / reject), each naming its decision.
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept: the package is used up")), ("reject", _("Reject"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason / opinion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting: the student needs it to fix the ledger."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for the rejection."))
        return data


# ==== area: waste ====
# Waste collection: routes (one building per line), collections (date, deadline, note), the registration form
# (seed 000's 登记回收: lab, contact, the five categories with their containers, empty packages all ticked by
# default), barrel requests and the figures' date range.

WASTE_CONTAINER_LABEL = {"barrel": _("barrels"), "bag": _("bags")}


class WasteRouteForm(forms.Form):
    campus = forms.ModelChoiceField(label=_("Campus"), queryset=Campus._base_manager.none())
    name = forms.CharField(label=_("Route name"), max_length=100)
    stops = forms.CharField(
        label=_("Buildings in order"),
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "理科楼\n动科学院\n老昆虫馆"}),
        help_text=_("One building per line, in the order the collectors come to them."),
    )

    def __init__(self, *args, actor, route: WasteRoute | None = None, **kwargs) -> None:
        if route is not None:
            kwargs.setdefault(
                "initial", {"campus": route.campus_id, "name": route.name, "stops": "\n".join(route.stops)}
            )
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = selectors.waste_campuses(actor)

    def stop_list(self) -> list[str]:
        return self.cleaned_data["stops"].splitlines()


class WasteCollectionForm(forms.Form):
    collection_date = forms.DateField(label=_("Collection date"), widget=forms.DateInput(attrs={"type": "date"}))
    registration_deadline = forms.DateTimeField(
        label=_("Registration deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "Empty: the day before the collection at 23:59. Registrations are accepted to the end of that minute."
        ),
    )
    note = forms.CharField(
        label=_("Note to the labs"),
        max_length=200,
        required=False,
        help_text=_("Shown on the registration page, e.g. why the date moved."),
    )

    def __init__(self, *args, collection: WasteCollection | None = None, **kwargs) -> None:
        if collection is not None:
            kwargs.setdefault(
                "initial",
                {
                    "collection_date": collection.collection_date,
                    "registration_deadline": waste_schedule.local(collection.registration_deadline).replace(
                        tzinfo=None
                    ),
                    "note": collection.note,
                },
            )
        super().__init__(*args, **kwargs)


class WastePackageField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, package: Package) -> str:
        size = format(package.size, "f")
        if "." in size:  # 1000.000 → 1000, 2.500 → 2.5
            size = size.rstrip("0").rstrip(".")
        return f"{package.code} {package.chemical.name_zh} {size} {package.chemical.unit}"


class WasteRegistrationForm(forms.Form):
    """For one lab (chosen above the form when the actor has several): its used-up packages are offered."""

    collection = forms.ModelChoiceField(label=_("Collection"), queryset=WasteCollection._base_manager.none())
    lab = forms.ModelChoiceField(label=_("Lab"), queryset=Department._base_manager.none(), widget=forms.HiddenInput)
    route = forms.ModelChoiceField(label=_("Route"), queryset=WasteRoute._base_manager.none())
    building = forms.CharField(
        label=_("Building"),
        max_length=100,
        widget=forms.TextInput(attrs={"list": "waste-stops", "autocomplete": "off"}),
        help_text=_("A stop of the route, or type another building: the centre adjusts the route."),
    )
    room = forms.CharField(label=_("Room"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    packages = WastePackageField(
        label=_("Empty packages"),
        queryset=Package._base_manager.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, actor, lab, now=None, **kwargs) -> None:
        packages = selectors.waste_empty_packages(actor, lab)
        self.open_collections = list(selectors.waste_open_collections(actor, now))
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("lab", lab.pk)
        initial.setdefault("phone", getattr(actor.user, "phone", ""))
        initial.setdefault("packages", [p.pk for p in packages])  # seed 000: 默认全选
        if self.open_collections:
            initial.setdefault("collection", self.open_collections[0].pk)
        super().__init__(*args, **kwargs)
        # Offered: the open collections. Accepted: any of the university's, so that a form sent after the
        # deadline reaches the service, which refuses it naming the deadline.
        self.fields["collection"].queryset = selectors.waste_collections(actor)
        self.fields["collection"].widget.choices = [
            (
                c.pk,
                _("%(date)s (register by %(deadline)s)")
                % {
                    "date": c.collection_date.isoformat(),
                    "deadline": waste_schedule.local(c.registration_deadline).strftime("%Y-%m-%d %H:%M"),
                },
            )
            for c in self.open_collections
        ]
        self.fields["lab"].queryset = selectors.waste_lab_choices(actor)
        self.fields["route"].queryset = selectors.waste_routes(actor)
        self.fields["packages"].queryset = packages
        for category in WasteItem.Category:
            self.fields[category.value] = forms.IntegerField(
                label=category.label, min_value=0, max_value=999, required=False
            )
            self.fields[category.value].widget.attrs.update(
                {"inputmode": "numeric", "class": "form-control text-end", "placeholder": "0"}
            )

    def quantity_rows(self) -> list[tuple]:
        """(field, unit) per category, in seed 000's order."""
        return [(self[c.value], WASTE_CONTAINER_LABEL[WasteItem.CONTAINER[c]]) for c in WasteItem.Category]

    def quantities(self) -> dict[str, int]:
        return {c: self.cleaned_data.get(c) or 0 for c in WasteItem.Category.values}


class BarrelRequestForm(forms.Form):
    lab = forms.ModelChoiceField(label=_("Lab"), queryset=Department._base_manager.none())
    campus = forms.ModelChoiceField(label=_("Campus"), queryset=Campus._base_manager.none())
    kind = forms.ChoiceField(label=_("Barrels for"), choices=BarrelRequest._meta.get_field("kind").choices)
    quantity = forms.IntegerField(label=_("Barrels"), min_value=1, max_value=50, initial=1)

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labs = selectors.waste_lab_choices(actor)
        self.fields["lab"].queryset = labs
        self.fields["campus"].queryset = selectors.waste_campuses(actor)
        if len(labs) == 1:
            self.fields["lab"].initial = labs[0].pk


class WasteFiguresForm(forms.Form):
    """The figures' date range (collection dates); empty ends are open."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


# ==== area: termination ====


# ==== area: majorhazards ====
# The GB 18218 assessment form: the unit, then its lines (a substance from the catalogue or typed, q in tonnes,
# Q and β prefilled from the catalogue and editable). Rows are added by a submit button that re-renders the
# page with what was typed plus a blank row (no JavaScript needed; static/js/major_hazards.js only prefills).

MAJOR_HAZARD_MAX_LINES = 50
MAJOR_HAZARD_LINE_FIELDS = ("chemical", "name", "q", "critical", "beta")


def _mh_plain(value: Decimal) -> str:
    """500 rather than 500.000 in an input."""
    return f"{Decimal(value).normalize():f}"


class MajorHazardUnitForm(forms.Form):
    name = forms.CharField(
        label=_("Unit"),
        max_length=100,
        help_text=_("The storage unit or production unit assessed, e.g. a warehouse or a workshop."),
    )
    unit_kind = forms.ChoiceField(
        label=_("Unit kind"),
        choices=HazardSourceAssessment.UnitKind.choices,
        initial=HazardSourceAssessment.UnitKind.STORAGE,
    )
    people_exposed = forms.IntegerField(
        label=_("People outside the unit within 500 m"),
        min_value=0,
        max_value=10_000_000,
        help_text=_("Gives the correction factor α (GB 18218 table 5)."),
    )


class MajorHazardPeopleForm(forms.Form):
    people_exposed = forms.IntegerField(
        label=_("People outside the unit within 500 m"),
        min_value=0,
        max_value=10_000_000,
        help_text=_("Gives the correction factor α (GB 18218 table 5)."),
    )


class MajorHazardCatalogueSelect(forms.Select):
    """A select whose options carry the catalogue's name, Q and β (data-name, data-q, data-beta) for the
    prefill script."""

    def __init__(self, *args, option_data: dict[str, dict[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.option_data = option_data or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


def major_hazard_catalogue_choices(catalogue: list[Chemical]) -> dict[int, Chemical]:
    return {c.pk: c for c in catalogue}


class MajorHazardLineForm(forms.Form):
    chemical = forms.TypedChoiceField(label=_("From the catalogue"), required=False, coerce=int, empty_value=None)
    name = forms.CharField(label=_("Substance"), required=False, max_length=150)
    q = forms.DecimalField(
        label=_("q: quantity present (t)"), required=False, min_value=Decimal("0"), max_digits=14, decimal_places=4
    )
    critical = forms.DecimalField(
        label=_("Q: critical quantity (t)"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=10,
        decimal_places=3,
    )
    beta = forms.DecimalField(label=_("β"), required=False, min_value=Decimal("0.01"), max_digits=5, decimal_places=2)

    is_blank = False

    def __init__(self, *args, catalogue: dict[int, Chemical], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        option_data = {}
        for pk, chemical in catalogue.items():
            beta = gb18218.beta_for(chemical)
            option_data[str(pk)] = {
                "data-name": chemical.name_zh,
                "data-q": _mh_plain(gb18218.critical_quantity_for(chemical)),
                "data-beta": "" if beta is None else _mh_plain(beta),
            }
        field = self.fields["chemical"]
        field.widget = MajorHazardCatalogueSelect(option_data=option_data, attrs={"data-mh": "chemical"})
        field.choices = [
            ("", _("— not in the catalogue: type the name —")),
            *((pk, f"{c.name_zh} ({c.cas_number})") for pk, c in catalogue.items()),
        ]
        for name in ("name", "q", "critical", "beta"):
            self.fields[name].widget.attrs["data-mh"] = name
        self.fields["q"].widget.attrs["step"] = "0.0001"
        self.fields["critical"].widget.attrs["step"] = "0.001"
        self.fields["beta"].widget.attrs["step"] = "0.01"

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        chemical = self.catalogue.get(data.get("chemical")) if data.get("chemical") else None
        name = (data.get("name") or "").strip()
        q, critical, beta = data.get("q"), data.get("critical"), data.get("beta")
        if chemical is None and not name and q is None and critical is None and beta is None:
            self.is_blank = True  # an untouched row: ignored
            return data
        if chemical is not None:
            name = name or chemical.name_zh
            critical = critical if critical is not None else gb18218.critical_quantity_for(chemical)
            beta = beta if beta is not None else gb18218.beta_for(chemical)
        elif not name:
            self.add_error("name", _("Enter the substance's name or choose it from the catalogue."))
        if q is None:
            self.add_error("q", _("Enter the quantity present, in tonnes."))
        if critical is None:
            self.add_error("critical", _("Enter the critical quantity Q (GB 18218 table 1, or table 2 by category)."))
        if beta is None:
            self.add_error("beta", _("Enter the correction factor β (GB 18218 table 3, or table 4 by category)."))
        data.update(name=name, critical=critical, beta=beta, chemical_obj=chemical)
        return data

    def line(self) -> gb18218.Line | None:
        """The row as a line of the calculation; None for a blank (or invalid) row."""
        data = getattr(self, "cleaned_data", None)
        if not data or self.is_blank or self.errors:
            return None
        chemical = data.get("chemical_obj")
        return gb18218.Line(
            name=data["name"],
            q=data["q"],
            Q=data["critical"],
            beta=data["beta"],
            chemical_id=chemical.pk if chemical is not None else None,
        )


class BaseMajorHazardLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("Enter at least one hazardous chemical with its quantity."))

    def lines(self) -> list[gb18218.Line]:
        return [line for line in (form.line() for form in self.forms) if line is not None]

    def filled_data(self):
        """The submitted data with the catalogue's name, Q and β written into the rows that left them blank, so
        the page shows the values the calculation used."""
        data = self.data.copy()
        for form in self.forms:
            line = form.line()
            if line is not None:
                data[f"{form.prefix}-name"] = line.name
                data[f"{form.prefix}-critical"] = _mh_plain(line.Q)
                data[f"{form.prefix}-beta"] = _mh_plain(line.beta)
        return data


MajorHazardLineFormSet = forms.formset_factory(
    MajorHazardLineForm,
    formset=BaseMajorHazardLineFormSet,
    extra=0,
    max_num=MAJOR_HAZARD_MAX_LINES,
    absolute_max=MAJOR_HAZARD_MAX_LINES,
    validate_max=True,
)


def major_hazard_line_formset(
    data=None, *, catalogue: dict[int, Chemical], add_line: bool = False, blank_rows: int = 2
) -> BaseMajorHazardLineFormSet:
    """The lines of the form: blank rows (GET), the submitted rows (POST), or, when "add a line" was pressed,
    an unbound copy of what was typed plus one blank row (no errors shown on a half-filled page)."""
    kwargs = {"prefix": "lines", "form_kwargs": {"catalogue": catalogue}}
    if data is None:
        return MajorHazardLineFormSet(initial=[{} for _row in range(blank_rows)], **kwargs)
    if not add_line:
        return MajorHazardLineFormSet(data, **kwargs)
    try:
        total = int(data.get("lines-TOTAL_FORMS") or 0)
    except (TypeError, ValueError):
        total = 0
    total = max(0, min(total, MAJOR_HAZARD_MAX_LINES - 1))
    rows = [{f: data.get(f"lines-{i}-{f}", "") for f in MAJOR_HAZARD_LINE_FIELDS} for i in range(total)]
    return MajorHazardLineFormSet(initial=[*rows, {}], **kwargs)


# ==== area: figures ====


class FiguresForm(forms.Form):
    """The figures' date range (default: this year) and, for those who see several, one college."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    college = forms.ModelChoiceField(label=_("College"), queryset=None, required=False, empty_label=_("All"))

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["college"].queryset = selectors.figure_colleges(actor)
        # The period shown when nothing is chosen: this year up to today.
        self.fields["date_from"].initial, self.fields["date_to"].initial = selectors.figures_period()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned

    def selection(self) -> dict:
        """date_from, date_to and college_id for chemicals.selectors.chemical_figures (defaults when invalid)."""
        data = self.cleaned_data if self.is_valid() else {}
        college = data.get("college")
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "college_id": college.pk if college else None,
        }
