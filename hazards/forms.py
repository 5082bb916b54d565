from __future__ import annotations

# ==== area: risk ====
# isort: split
# Risk points: the point with its grading, the factor formset with a measure formset per factor (nested; rows are
# added by a round trip, so nothing typed is lost without JavaScript), re-grading, the shared library copy, the
# Excel import, the site plan, map positions and the enterprise risk grade. Departments re-scoped to the actor.
from django import forms as _rk_forms  # noqa: E402
from django.utils import translation as _rk_tr  # noqa: E402

from enterprises.models import Department as _RkDepartment  # noqa: E402

from . import grading as _rk_grading  # noqa: E402
from . import selectors as _rk_selectors  # noqa: E402
from . import services as _rk_services  # noqa: E402
from .models import ControlMeasure as _RkControlMeasure  # noqa: E402
from .models import EnterpriseRiskGrade as _RkEnterpriseRiskGrade  # noqa: E402
from .models import GradingMethod as _RkGradingMethod  # noqa: E402
from .models import HazardFactor as _RkHazardFactor  # noqa: E402
from .models import RiskPoint as _RkRiskPoint  # noqa: E402

# Form fields of the grading values, per method: (form field, factor key).
RISK_VALUE_FIELDS = {
    _RkGradingMethod.LEC: (("lec_l", "l"), ("lec_e", "e"), ("lec_c", "c")),
    _RkGradingMethod.LS: (("ls_l", "l"), ("ls_s", "s")),
}


def _rk_value_field(method: str, factor: str, label) -> _rk_forms.ChoiceField:
    return _rk_forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", "—"), *_rk_grading.value_choices(method, factor)],
        widget=_rk_forms.Select(attrs={"data-risk-method": method}),
    )


class RiskDepartmentField(_rk_forms.ModelChoiceField):
    def label_from_instance(self, obj: _RkDepartment) -> str:
        return f"{obj.name} ({obj.get_level_display()})"


class RiskGradingFields(_rk_forms.Form):
    """Method and values; the score and level are computed by the service, never read from the form."""

    method = _rk_forms.ChoiceField(
        label=_rk_tr.gettext_lazy("Grading method"),
        choices=_RkGradingMethod.choices,
        widget=_rk_forms.Select(attrs={"data-risk-method-choice": "1"}),
    )
    lec_l = _rk_value_field(_RkGradingMethod.LEC, "l", _rk_tr.gettext_lazy("L — likelihood"))
    lec_e = _rk_value_field(_RkGradingMethod.LEC, "e", _rk_tr.gettext_lazy("E — exposure"))
    lec_c = _rk_value_field(_RkGradingMethod.LEC, "c", _rk_tr.gettext_lazy("C — consequence"))
    ls_l = _rk_value_field(_RkGradingMethod.LS, "l", _rk_tr.gettext_lazy("L — likelihood (LS)"))
    ls_s = _rk_value_field(_RkGradingMethod.LS, "s", _rk_tr.gettext_lazy("S — severity (LS)"))
    reason = _rk_forms.CharField(
        label=_rk_tr.gettext_lazy("Reason for the grading"),
        required=False,
        max_length=200,
        help_text=_rk_tr.gettext_lazy("E.g. initial assessment, annual review, after a hazard was closed."),
    )

    @staticmethod
    def initial_for(point: _RkRiskPoint) -> dict:
        initial = {"method": point.method or _RkGradingMethod.LEC}
        for field, factor in RISK_VALUE_FIELDS.get(point.method, ()):
            initial[field] = _rk_grading.format_value(getattr(point, f"value_{factor}"))
        return initial

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("method")
        if method in RISK_VALUE_FIELDS:
            fields = dict(RISK_VALUE_FIELDS[method])
            try:
                _rk_grading.check_values(method, {factor: cleaned.get(field) for field, factor in fields.items()})
            except _rk_forms.ValidationError as exc:
                by_factor = {factor: field for field, factor in fields.items()}
                for factor, messages in exc.message_dict.items():
                    self.add_error(by_factor.get(factor), messages)
        return cleaned

    def grading_input(self) -> _rk_services.RiskGradingInput:
        method = self.cleaned_data["method"]
        values = {factor: self.cleaned_data.get(field) for field, factor in RISK_VALUE_FIELDS[method]}
        return _rk_services.RiskGradingInput(method=method, values=values, reason=self.cleaned_data.get("reason", ""))


class RiskPointForm(RiskGradingFields):
    category = _rk_forms.ChoiceField(label=_rk_tr.gettext_lazy("Category"), choices=_RkRiskPoint.Category.choices)
    name = _rk_forms.CharField(label=_rk_tr.gettext_lazy("Name"), max_length=100)
    place = _rk_forms.CharField(label=_rk_tr.gettext_lazy("Place"), max_length=100, required=False)
    department = RiskDepartmentField(
        label=_rk_tr.gettext_lazy("Department"), queryset=_RkDepartment._base_manager.none(), required=False
    )
    responsible = _rk_forms.CharField(label=_rk_tr.gettext_lazy("Person responsible"), max_length=50, required=False)

    field_order = ["category", "name", "place", "department", "responsible"]

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _rk_selectors.risk_departments(actor).order_by("order", "name", "pk")

    @classmethod
    def initial_for(cls, point: _RkRiskPoint) -> dict:
        return {
            **RiskGradingFields.initial_for(point),
            "category": point.category,
            "name": point.name,
            "place": point.place,
            "department": point.department_id,
            "responsible": point.responsible,
        }

    def details(self) -> _rk_services.RiskPointDetails:
        d = self.cleaned_data
        return _rk_services.RiskPointDetails(
            category=d["category"],
            name=d["name"],
            place=d.get("place", ""),
            department=d.get("department"),
            responsible=d.get("responsible", ""),
        )

    def grading_fields(self):
        return [self[name] for name in ("method", "lec_l", "lec_e", "lec_c", "ls_l", "ls_s", "reason")]

    def point_fields(self):
        return [self[name] for name in ("category", "name", "place", "department", "responsible")]


class RiskRegradeForm(RiskGradingFields):
    reason = _rk_forms.CharField(
        label=_rk_tr.gettext_lazy("Reason for the re-grading"),
        max_length=200,
        help_text=_rk_tr.gettext_lazy("E.g. annual review, after a hazard was closed, process changed."),
    )


class RiskFactorForm(_rk_forms.Form):
    id = _rk_forms.IntegerField(required=False, widget=_rk_forms.HiddenInput)
    kind = _rk_forms.ChoiceField(
        label=_rk_tr.gettext_lazy("Kind"),
        choices=_RkHazardFactor.Kind.choices,
        initial=_RkHazardFactor.Kind.UNSAFE_ACT,
    )
    # Not required here: a blank row is ignored (RiskFactorEditor decides what a blank row means).
    description = _rk_forms.CharField(
        label=_rk_tr.gettext_lazy("Hazard factor"), required=False, widget=_rk_forms.Textarea(attrs={"rows": 2})
    )
    consequence = _rk_forms.CharField(label=_rk_tr.gettext_lazy("Possible consequence"), max_length=200, required=False)


class RiskMeasureForm(_rk_forms.Form):
    id = _rk_forms.IntegerField(required=False, widget=_rk_forms.HiddenInput)
    kind = _rk_forms.ChoiceField(
        label=_rk_tr.gettext_lazy("Measure kind"),
        choices=_RkControlMeasure.Kind.choices,
        initial=_RkControlMeasure.Kind.MANAGEMENT,
    )
    description = _rk_forms.CharField(
        label=_rk_tr.gettext_lazy("Control measure"), required=False, widget=_rk_forms.Textarea(attrs={"rows": 1})
    )


RiskFactorFormSet = _rk_forms.formset_factory(RiskFactorForm, extra=0, can_delete=True)
RiskMeasureFormSet = _rk_forms.formset_factory(RiskMeasureForm, extra=0, can_delete=True)


class RiskFactorEditor:
    """The factors of a point, each with its measures: a factor formset and a measure formset per factor form
    (prefix ``factors-<i>-measures``). ``add_factor`` / ``add_measure`` POST buttons add a blank row and show the
    page again with everything typed so far."""

    PREFIX = "factors"

    def __init__(self, data=None, *, initial: list[dict] | None = None, blank_measures: int = 1) -> None:
        self.is_bound = data is not None
        if data is not None:
            data = self._grown(data)
            self.factors = RiskFactorFormSet(data, prefix=self.PREFIX)
            count = self.factors.total_form_count()
            self.measures = [RiskMeasureFormSet(data, prefix=self.measure_prefix(i)) for i in range(count)]
        else:
            initial = initial or []
            factor_initial = [{k: v for k, v in f.items() if k != "measures"} for f in initial]
            self.factors = RiskFactorFormSet(prefix=self.PREFIX, initial=factor_initial)
            self.factors.extra = 0 if initial else 1
            self.measures = []
            for i in range(self.factors.total_form_count()):
                measures = initial[i]["measures"] if i < len(initial) else []
                formset = RiskMeasureFormSet(prefix=self.measure_prefix(i), initial=measures)
                formset.extra = blank_measures if measures else 2
                self.measures.append(formset)
        self.errors: list[str] = []

    @classmethod
    def measure_prefix(cls, i: int) -> str:
        return f"{cls.PREFIX}-{i}-measures"

    @classmethod
    def initial_for(cls, point: _RkRiskPoint) -> list[dict]:
        return [
            {
                "id": f.pk,
                "kind": f.kind,
                "description": f.description,
                "consequence": f.consequence,
                "measures": [{"id": m.pk, "kind": m.kind, "description": m.description} for m in f.measures.all()],
            }
            for f in point.factors.all()
        ]

    def _grown(self, data):
        """A blank factor (with two blank measures) or a blank measure of factor i, as the buttons asked."""
        add_factor, add_measure = "add_factor" in data, data.get("add_measure")
        if not add_factor and add_measure is None:
            return data
        data = data.copy()
        self.grown = True
        # New rows come with their kinds' defaults, so they count as untouched (no "required" errors on them).
        measure_kind = RiskMeasureForm.base_fields["kind"].initial
        if add_factor:
            total = self._int(data.get(f"{self.PREFIX}-TOTAL_FORMS"))
            data[f"{self.PREFIX}-TOTAL_FORMS"] = str(total + 1)
            data[f"{self.PREFIX}-{total}-kind"] = RiskFactorForm.base_fields["kind"].initial
            prefix = self.measure_prefix(total)
            data[f"{prefix}-TOTAL_FORMS"], data[f"{prefix}-INITIAL_FORMS"] = "2", "0"
            data[f"{prefix}-0-kind"] = data[f"{prefix}-1-kind"] = measure_kind
        if add_measure is not None and add_measure.isdigit():
            prefix = self.measure_prefix(int(add_measure))
            count = self._int(data.get(f"{prefix}-TOTAL_FORMS"))
            data[f"{prefix}-TOTAL_FORMS"] = str(count + 1)
            data.setdefault(f"{prefix}-INITIAL_FORMS", "0")
            data[f"{prefix}-{count}-kind"] = measure_kind
        return data

    grown = False

    @staticmethod
    def _int(value) -> int:
        try:
            return max(0, min(int(value), 200))
        except (TypeError, ValueError):
            return 0

    def rows(self):
        """(factor form, its measure formset) pairs for the template."""
        return list(zip(self.factors.forms, self.measures, strict=False))

    @staticmethod
    def _filled(measures) -> list:
        """The measure forms with a description and not ticked for deletion (blank rows are ignored)."""
        return [m for m in measures.forms if m.cleaned_data.get("description") and not m.cleaned_data.get("DELETE")]

    @staticmethod
    def _kept(form) -> bool:
        """A factor row that is saved: described or existing, and not ticked for deletion."""
        d = form.cleaned_data
        return not d.get("DELETE") and bool(d.get("description") or d.get("id"))

    def is_valid(self) -> bool:
        ok = self.factors.is_valid()
        for form, measures in self.rows():
            if not form.cleaned_data.get("DELETE"):  # a deleted factor's measures go with it, unchecked
                ok = measures.is_valid() and ok
        if not ok:
            return False
        kept = 0
        for form, measures in self.rows():
            d = form.cleaned_data
            if d.get("DELETE"):
                continue
            filled = self._filled(measures)
            if not d.get("description"):
                if d.get("id"):
                    form.add_error(
                        "description", _rk_tr.gettext("Describe the hazard factor, or tick it for deletion.")
                    )
                    ok = False
                elif filled:
                    form.add_error(
                        "description", _rk_tr.gettext("Describe the hazard factor these measures belong to.")
                    )
                    ok = False
                continue
            kept += 1
            if not filled:
                form.add_error(
                    None,
                    _rk_tr.gettext("The hazard factor “%(factor)s” has no control measure: add at least one.")
                    % {"factor": d["description"][:50]},
                )
                ok = False
        if not kept:
            self.errors.append(_rk_tr.gettext("A risk point needs at least one hazard factor."))
            ok = False
        return ok

    def factor_inputs(self) -> list[_rk_services.RiskFactorInput]:
        return [
            _rk_services.RiskFactorInput(
                pk=form.cleaned_data.get("id"),
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                consequence=form.cleaned_data.get("consequence", ""),
                measures=[
                    _rk_services.RiskMeasureInput(
                        pk=m.cleaned_data.get("id"),
                        kind=m.cleaned_data["kind"],
                        description=m.cleaned_data["description"],
                    )
                    for m in self._filled(measures)
                ],
            )
            for form, measures in self.rows()
            if self._kept(form)
        ]


class RiskCopyForm(_rk_forms.Form):
    department = RiskDepartmentField(
        label=_rk_tr.gettext_lazy("Department of the copied points"),
        queryset=_RkDepartment._base_manager.none(),
        required=False,
    )

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _rk_selectors.risk_departments(actor).order_by("order", "name", "pk")


class RiskImportForm(_rk_forms.Form):
    file = _rk_forms.FileField(
        label=_rk_tr.gettext_lazy("Excel file (.xlsx)"),
        widget=_rk_forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


class RiskSitePlanForm(_rk_forms.Form):
    image = _rk_forms.FileField(
        label=_rk_tr.gettext_lazy("Site plan image"),
        help_text=_rk_tr.gettext_lazy(
            "A JPEG, PNG or WebP image of the site plan (a scan or an export of the drawing)."
        ),
        widget=_rk_forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class RiskPositionForm(_rk_forms.Form):
    x = _rk_forms.DecimalField(min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False)
    y = _rk_forms.DecimalField(min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False)

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("x") is None) != (cleaned.get("y") is None):
            raise _rk_forms.ValidationError(_rk_tr.gettext("Give both coordinates, or neither to take the point off."))
        return cleaned


class EnterpriseRiskGradeForm(_rk_forms.Form):
    grade = _rk_forms.ChoiceField(
        label=_rk_tr.gettext_lazy("Enterprise risk grade"),
        choices=[("", "—"), *_RkEnterpriseRiskGrade.Grade.choices],
        help_text=_rk_tr.gettext_lazy("A is the lowest risk, D the highest."),
    )
    basis = _rk_forms.CharField(
        label=_rk_tr.gettext_lazy("Basis"),
        widget=_rk_forms.Textarea(attrs={"rows": 4}),
        help_text=_rk_tr.gettext_lazy(
            "The assessment report or the supervising body's decision the grade rests on, and its date."
        ),
    )
    attachment = _rk_forms.FileField(
        label=_rk_tr.gettext_lazy("Attachment"),
        required=False,
        help_text=_rk_tr.gettext_lazy("The report or decision: a PDF, or a JPEG or PNG scan."),
        widget=_rk_forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


# ==== area: lists ====
# isort: split
# Risk lists (the list and its items, the review decisions), the QR checklist and the figures' period selector.
# Every choice of rows is re-scoped to the actor's enterprise (hazards.selectors).
from django import forms as _ls_forms  # noqa: E402
from django.utils import timezone as _ls_timezone  # noqa: E402
from django.utils import translation as _ls_tr  # noqa: E402

from enterprises.models import Department as _LsDepartment  # noqa: E402

from . import list_rules as _ls_rules  # noqa: E402
from . import selectors as _ls_selectors  # noqa: E402
from .models import Frequency as _LsFrequency  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402
from .models import RiskPoint as _LsRiskPoint  # noqa: E402


class RiskListDepartmentField(_ls_forms.ModelChoiceField):
    """Departments with their level, so the level to match is in sight."""

    def label_from_instance(self, obj: _LsDepartment) -> str:
        return f"{obj.name} ({obj.get_level_display()})"


class RiskListPointsField(_ls_forms.ModelMultipleChoiceField):
    widget = _ls_forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: _LsRiskPoint) -> str:
        parts = [obj.name, obj.place, obj.get_level_display() if obj.level else ""]
        return " · ".join(p for p in parts if p)


class RiskListForm(_ls_forms.Form):
    name = _ls_forms.CharField(label=_ls_tr.gettext_lazy("Name"), max_length=100)
    level = _ls_forms.ChoiceField(
        label=_ls_tr.gettext_lazy("Level"),
        choices=_LsRiskList._meta.get_field("level").choices,
        help_text=_ls_tr.gettext_lazy("The list's level must be the department's level."),
    )
    department = RiskListDepartmentField(
        label=_ls_tr.gettext_lazy("Department"), queryset=_LsDepartment._base_manager.none()
    )
    frequency = _ls_forms.ChoiceField(label=_ls_tr.gettext_lazy("Check frequency"), choices=_LsFrequency.choices)
    workdays_only = _ls_forms.TypedChoiceField(
        label=_ls_tr.gettext_lazy("Daily checks on"),
        choices=[("1", _ls_tr.gettext_lazy("Workdays (Monday to Friday)")), ("0", _ls_tr.gettext_lazy("Every day"))],
        coerce=lambda v: v == "1",
        initial="1",
        help_text=_ls_tr.gettext_lazy("Daily lists only."),
    )
    checks_per_day = _ls_forms.IntegerField(
        label=_ls_tr.gettext_lazy("Checks a day"),
        min_value=_ls_rules.CHECKS_PER_DAY_MIN,
        max_value=_ls_rules.CHECKS_PER_DAY_MAX,
        initial=1,
        help_text=_ls_tr.gettext_lazy("1 to 7; more than one only for daily lists."),
    )
    risk_points = RiskListPointsField(
        label=_ls_tr.gettext_lazy("Risk points"),
        queryset=_LsRiskPoint._base_manager.none(),
        required=False,
        help_text=_ls_tr.gettext_lazy("Chosen from your enterprise's risk point library."),
    )

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _ls_selectors.risk_list_department_choices(actor).order_by(
            "order", "name", "pk"
        )
        self.fields["risk_points"].queryset = _ls_selectors.risk_list_point_choices(actor).order_by(
            "category", "name", "pk"
        )

    def clean(self):
        data = super().clean()
        department, level = data.get("department"), data.get("level")
        if department is not None and level:
            try:
                _ls_rules.check_level(
                    list_level=level,
                    department_level=department.level,
                    department_name=department.name,
                    level_label=dict(self.fields["level"].choices).get(level, level),
                )
            except _ls_forms.ValidationError as exc:
                self.add_error("department", exc.message_dict["department"])
        if data.get("frequency") and "checks_per_day" in data:
            message = _ls_rules.checks_per_day_error(data["frequency"], data["checks_per_day"])
            if message:
                self.add_error("checks_per_day", message)
        return data

    @staticmethod
    def initial_from(risk_list: _LsRiskList, points: list) -> dict:
        return {
            "name": risk_list.name,
            "level": risk_list.level,
            "department": risk_list.department_id,
            "frequency": risk_list.frequency,
            "workdays_only": "1" if risk_list.workdays_only else "0",
            "checks_per_day": risk_list.checks_per_day,
            "risk_points": [p.pk for p in points],
        }

    def details(self):
        from .services import RiskListDetails

        d = self.cleaned_data
        # Items in library order (category, name), the order the form shows them in.
        points = sorted(d["risk_points"], key=lambda p: (p.category, p.name, p.pk))
        return RiskListDetails(
            name=d["name"],
            level=d["level"],
            department=d["department"],
            frequency=d["frequency"],
            workdays_only=d["workdays_only"],
            checks_per_day=d["checks_per_day"],
            risk_points=points,
        )


class RiskListDecisionForm(_ls_forms.Form):
    reason = _ls_forms.CharField(
        label=_ls_tr.gettext_lazy("Opinion"), required=False, widget=_ls_forms.Textarea(attrs={"rows": 2})
    )


class RiskListReturnForm(_ls_forms.Form):
    reason = _ls_forms.CharField(
        label=_ls_tr.gettext_lazy("Reason for returning"), widget=_ls_forms.Textarea(attrs={"rows": 3})
    )


class ChecklistForm(_ls_forms.Form):
    """One pass / fail item (and a note) per control measure of the point. ``submission_id`` comes with the page
    and goes back with every retry of the same form, which makes the submission idempotent."""

    PASS, FAIL = "pass", "fail"

    submission_id = _ls_forms.UUIDField(widget=_ls_forms.HiddenInput)
    task = _ls_forms.IntegerField(widget=_ls_forms.HiddenInput)

    def __init__(self, *args, measures: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.measures = measures
        choices = [(self.PASS, _ls_tr.gettext_lazy("Pass")), (self.FAIL, _ls_tr.gettext_lazy("Fail"))]
        for m in measures:
            self.fields[f"m{m.pk}"] = _ls_forms.ChoiceField(
                label=m.description,
                choices=choices,
                widget=_ls_forms.RadioSelect(attrs={"data-testid": f"measure-{m.pk}"}),
                error_messages={"required": _ls_tr.gettext_lazy("Choose pass or fail.")},
            )
            self.fields[f"n{m.pk}"] = _ls_forms.CharField(
                label=_ls_tr.gettext_lazy("Note"),
                required=False,
                max_length=200,
                widget=_ls_forms.TextInput(attrs={"placeholder": _ls_tr.gettext_lazy("What you saw (optional)")}),
            )

    def items(self) -> list[tuple]:
        """(measure, result field, note field) for the template."""
        return [(m, self[f"m{m.pk}"], self[f"n{m.pk}"]) for m in self.measures]

    def answers(self) -> list:
        from .services import ChecklistAnswer

        d = self.cleaned_data
        return [
            ChecklistAnswer(measure_id=m.pk, passed=d[f"m{m.pk}"] == self.PASS, note=d.get(f"n{m.pk}", ""))
            for m in self.measures
        ]


class FiguresForm(_ls_forms.Form):
    """The figures' period selector: a day, a week or a month (the one containing ``on``) and how many before it."""

    unit = _ls_forms.ChoiceField(
        label=_ls_tr.gettext_lazy("Period"),
        choices=[
            (_ls_rules.FigureUnit.DAY, _ls_tr.gettext_lazy("Day")),
            (_ls_rules.FigureUnit.WEEK, _ls_tr.gettext_lazy("Week")),
            (_ls_rules.FigureUnit.MONTH, _ls_tr.gettext_lazy("Month")),
        ],
        initial=_ls_rules.FigureUnit.WEEK,
        required=False,
    )
    on = _ls_forms.DateField(
        label=_ls_tr.gettext_lazy("Containing the day"),
        required=False,
        widget=_ls_forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    by = _ls_forms.ChoiceField(
        label=_ls_tr.gettext_lazy("Per"),
        choices=[("department", _ls_tr.gettext_lazy("Department")), ("list", _ls_tr.gettext_lazy("Risk list"))],
        initial="department",
        required=False,
    )
    history = _ls_forms.IntegerField(
        label=_ls_tr.gettext_lazy("Periods to compare"), min_value=1, max_value=12, initial=4, required=False
    )

    def selection(self) -> tuple[str, object, str, int]:
        """(unit, day, per, periods), defaults for anything missing or wrong: the page always shows figures."""
        d = self.cleaned_data if self.is_valid() else {}
        return (
            d.get("unit") or _ls_rules.FigureUnit.WEEK,
            d.get("on") or _ls_timezone.localdate(),
            d.get("by") or "department",
            d.get("history") or 4,
        )


# ==== area: hazards ====
# isort: split
# Hidden hazards: registration (enterprise and government inspection), rectification, review, extension,
# supervised listing. Every choice of rows is re-scoped to the hazard's enterprise.
from datetime import datetime as _hz_datetime  # noqa: E402

from django import forms  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import format_lazy  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from enterprises.models import Department as _HzDepartment  # noqa: E402

from . import deadlines as hazard_deadlines  # noqa: E402
from . import hazard_photos, selectors  # noqa: E402
from . import services as hazard_services  # noqa: E402
from .models import Hazard, InspectionTask, RiskPoint  # noqa: E402


class HazardPhotoInput(forms.FileInput):
    """``<input type=file accept="image/*" capture="environment" multiple>``: the phone opens its camera."""

    allow_multiple_selected = True

    def __init__(self, attrs=None) -> None:
        super().__init__({"accept": hazard_photos.ACCEPT, "capture": "environment", "multiple": True, **(attrs or {})})


class HazardPhotoField(forms.FileField):
    """Several photos in one field; their content is checked by the service (hazards.hazard_photos)."""

    widget = HazardPhotoInput

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            files = [super(HazardPhotoField, self).clean(d, initial) for d in data if d]
        else:
            files = [super().clean(data, initial)] if data else []
        files = [f for f in files if f]
        if len(files) > hazard_photos.MAX_PHOTOS:
            raise ValidationError(_("At most %(n)d photos at a time.") % {"n": hazard_photos.MAX_PHOTOS})
        return files


class _KeepsPhotos:
    """Valid photos of a submission that failed on other fields are kept (hazards.hazard_photos.stash) and named
    by signed tokens in hidden ``<field>_kept`` inputs, so nobody has to take them again."""

    PHOTO_FIELDS = ("before_photos", "after_photos")

    def _keep_setup(self, user) -> None:
        self._photo_user = user
        self._opened: list = []
        self._photo_help: dict = {}
        self.kept: dict[str, list[tuple[str, str]]] = {}
        for name in self._photo_fields():
            tokens = self.data.getlist(f"{name}_kept") if self.is_bound and hasattr(self.data, "getlist") else []
            self.kept[name] = hazard_photos.kept(tokens, user=user)
            self._note_kept(name)

    def _photo_fields(self) -> list[str]:
        return [n for n in self.PHOTO_FIELDS if n in self.fields]

    def _note_kept(self, name: str) -> None:
        from django.utils.translation import ngettext

        field = self.fields[name]
        base = self._photo_help.setdefault(name, field.help_text)
        n = len(self.kept.get(name, ()))
        if n:
            note = ngettext(
                "%(n)d photo from your last attempt is kept; add more if needed.",
                "%(n)d photos from your last attempt are kept; add more if needed.",
                n,
            ) % {"n": n}
            field.help_text = format_lazy("{} {}", note, base)

    def kept_inputs(self) -> list[dict[str, str]]:
        return [{"name": f"{name}_kept", "token": token} for name, pairs in self.kept.items() for token, _n in pairs]

    def photos(self, name: str) -> list:
        """The photos of a field: those kept from the last attempt, then the new ones."""
        opened = hazard_photos.open_kept([stored for _t, stored in self.kept.get(name, ())])
        self._opened.extend(opened)
        return opened + list(self.cleaned_data.get(name) or [])

    def _close(self) -> None:
        for f in self._opened:
            f.close()
        self._opened = []

    def keep_photos(self) -> None:
        """After a failed submission: keep the valid new photos for the next one."""
        self._close()
        for name in self._photo_fields():
            uploads = [f for f in self.files.getlist(name) if f] if self.files else []
            if not uploads:
                continue
            try:
                checked = hazard_photos.validate_photos(uploads, field=name)
            except ValidationError as exc:
                if name not in self.errors:
                    self.add_error(name, exc.message_dict.get(name, exc.messages))
                continue
            self.kept[name] = self.kept.get(name, []) + hazard_photos.stash(checked, user=self._photo_user)
            self._note_kept(name)

    def discard_kept(self) -> None:
        """After a successful submission: the photos now belong to the hazard; the kept copies go."""
        self._close()
        hazard_photos.forget(stored for pairs in self.kept.values() for _t, stored in pairs)
        self.kept = {}


class _HazardUserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.get_username()


def _hz_photo_help() -> str:
    from django.template.defaultfilters import filesizeformat

    return _("Take photos with the phone camera or choose them: JPEG, PNG or WebP, at most %(limit)s each.") % {
        "limit": filesizeformat(hazard_photos.max_bytes())
    }


def _hz_date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _hz_time_input():
    return forms.TimeInput(attrs={"type": "time", "step": 60}, format="%H:%M")


class _HazardDeadlineMixin:
    """A deadline as a date and a time of day: a deadline today needs its time (the seed's warning)."""

    def _deadline(self, *, required: bool = True, extension: bool = False) -> _hz_datetime | None:
        day = self.cleaned_data.get("deadline_date")
        at = self.cleaned_data.get("deadline_time")
        if day is None:
            if required and "deadline_date" not in self.errors:
                self.add_error("deadline_date", _("Give the deadline."))
            return None
        try:
            moment = hazard_deadlines.combine(day, at)
            if extension:
                hazard_deadlines.check_extension(moment)
            else:
                hazard_deadlines.check_future(moment)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field, messages)
            return None
        return moment


def _hz_deadline_fields(form: forms.Form, initial: _hz_datetime | None) -> None:
    form.fields["deadline_date"] = forms.DateField(
        label=_("Rectification deadline (date)"), required=False, widget=_hz_date_input()
    )
    form.fields["deadline_time"] = forms.TimeField(
        label=_("Time of day (24-hour clock)"),
        required=False,
        widget=_hz_time_input(),
        help_text=_(
            "Required when the deadline is today. Everything — the rectification report and its review — must be "
            "done by then, or the hazard becomes overdue. Left empty on a later day: the end of that day."
        ),
    )
    if initial is not None:
        local = timezone.localtime(initial)
        form.initial.setdefault("deadline_date", local.date())
        form.initial.setdefault("deadline_time", local.time().replace(second=0, microsecond=0))


class HazardForm(_KeepsPhotos, _HazardDeadlineMixin, forms.Form):
    """Register or edit a hazard. ``enterprise`` is None for a government inspection (the enterprise is chosen on
    the form, from the jurisdiction); ``hazard`` is the hazard being edited."""

    title = forms.CharField(label=_("Hazard"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (Hazard.Source.SELF_INSPECTION, Hazard.Source.SELF_INSPECTION.label),
            (Hazard.Source.COMPLAINT, Hazard.Source.COMPLAINT.label),
        ],
    )
    level = forms.ChoiceField(label=_("Level"), choices=Hazard.Level.choices)
    kind = forms.ChoiceField(
        label=_("How it is rectified"),
        choices=Hazard.Kind.choices,
        initial=Hazard.Kind.DEADLINE,
        help_text=_(
            "Fixed on the spot: recorded closed at once, with photos before and after. A major hazard is rectified "
            "under a rectification plan, reviewed by the government."
        ),
    )
    risk_point = forms.ModelChoiceField(label=_("Risk point"), queryset=RiskPoint._base_manager.none(), required=False)
    inspection_task = forms.ModelChoiceField(
        queryset=InspectionTask._base_manager.none(), required=False, widget=forms.HiddenInput
    )
    department = forms.ModelChoiceField(
        label=_("Department responsible"), queryset=_HzDepartment._base_manager.none(), required=False
    )
    responsible_user = _HazardUserChoice(
        label=_("Person responsible (account)"),
        queryset=selectors.hazard_responsible_choices(0).none(),
        required=False,
        help_text=_("Told about the hazard, and may report its rectification."),
    )
    responsible = forms.CharField(label=_("Person responsible (name)"), max_length=50, required=False)
    plan_goal = forms.CharField(label=_("Goal and tasks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    plan_measures = forms.CharField(
        label=_("Methods and measures"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    plan_funds = forms.DecimalField(label=_("Funds (yuan)"), required=False, min_value=0, decimal_places=2)
    plan_responsible = forms.CharField(label=_("Organisation and person responsible"), max_length=100, required=False)
    plan_time_limit = forms.DateField(label=_("Time limit"), required=False, widget=_hz_date_input())
    plan_interim_measures = forms.CharField(
        label=_("Interim safety and emergency measures"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rectification_measures = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rectification_cost = forms.DecimalField(label=_("Cost (yuan)"), required=False, min_value=0, decimal_places=2)
    before_photos = HazardPhotoField(label=_("Photos of the hazard"))
    after_photos = HazardPhotoField(label=_("Photos after it was fixed"))

    PLAN_FIELDS = hazard_services.HAZARD_PLAN_FIELDS
    ON_SPOT_FIELDS = ("rectification_measures", "rectification_cost", "after_photos")

    def __init__(self, *args, actor, enterprise=None, hazard: Hazard | None = None, **kwargs) -> None:
        self.hazard = hazard
        self.government = actor.body is not None if hazard is None else hazard.registered_by_body_id is not None
        if hazard is not None:
            initial = {
                name: getattr(hazard, name)
                for name in (
                    "title",
                    "description",
                    "location",
                    "source",
                    "level",
                    "kind",
                    "risk_point",
                    "inspection_task",
                    "department",
                    "responsible_user",
                    "responsible",
                    *self.PLAN_FIELDS,
                )
            }
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        _hz_deadline_fields(self, hazard.deadline if hazard else hazard_deadlines.default_deadline())
        enterprise = hazard.enterprise if hazard is not None else enterprise
        if enterprise is None:
            # Government inspection: the enterprise is chosen here, from the jurisdiction. Its departments and
            # accounts are not known yet, so the person responsible is named in words.
            self.fields["enterprise"] = forms.ModelChoiceField(
                label=_("Enterprise"), queryset=selectors.hazard_enterprises_for_inspection(actor)
            )
            self.order_fields(["enterprise"])
        if enterprise is None or self.government:
            for name in ("source", "risk_point", "inspection_task", "department", "responsible_user"):
                self.fields.pop(name, None)
        else:
            self.fields["risk_point"].queryset = RiskPoint.objects.filter(enterprise_id=enterprise.pk)
            self.fields["inspection_task"].queryset = InspectionTask.objects.filter(enterprise_id=enterprise.pk)
            self.fields["department"].queryset = _HzDepartment.objects.filter(enterprise_id=enterprise.pk)
            self.fields["responsible_user"].queryset = selectors.hazard_responsible_choices(enterprise.pk)
        if hazard is not None:
            # Fixed on the spot is a way of registering; an edited hazard is being rectified some other way.
            self.fields["kind"].choices = [c for c in Hazard.Kind.choices if c[0] != Hazard.Kind.ON_SPOT]
            for name in self.ON_SPOT_FIELDS:
                del self.fields[name]
            self.fields["before_photos"].label = _("Add photos of the hazard")
        self.fields["before_photos"].help_text = _hz_photo_help()
        if "after_photos" in self.fields:
            self.fields["after_photos"].help_text = _hz_photo_help()
        for name in self.PLAN_FIELDS:
            self.fields[name].widget.attrs["data-hazard-plan"] = "1"
        for name in self.ON_SPOT_FIELDS:
            if name in self.fields:
                self.fields[name].widget.attrs["data-hazard-on-spot"] = "1"
        for name in ("deadline_date", "deadline_time"):
            self.fields[name].widget.attrs["data-hazard-deadline"] = "1"
        self._keep_setup(actor.user)

    SECTIONS = (
        (
            "basics",
            _("The hazard"),
            (
                "enterprise",
                "title",
                "description",
                "location",
                "source",
                "level",
                "kind",
                "risk_point",
                "inspection_task",
                "department",
                "responsible_user",
                "responsible",
            ),
        ),
        ("deadline", _("Rectification deadline"), ("deadline_date", "deadline_time")),
        ("plan", _("Rectification plan (major hazard)"), PLAN_FIELDS),
        ("photos", _("Photos"), ("before_photos",)),
        ("on-spot", _("Fixed on the spot"), ON_SPOT_FIELDS),
    )

    def sections(self) -> list[dict]:
        """Field groups of the page; those that do not apply to the chosen kind start hidden (hazards.js shows
        them when the kind changes)."""
        kind = self["kind"].value()
        hidden = {
            "deadline": kind == Hazard.Kind.ON_SPOT,
            "plan": kind != Hazard.Kind.MAJOR,
            "on-spot": kind != Hazard.Kind.ON_SPOT,
        }
        return [
            {
                "key": key,
                "title": title,
                "fields": [self[n] for n in names if n in self.fields],
                "hidden": hidden.get(key),
            }
            for key, title, names in self.SECTIONS
            if any(n in self.fields for n in names)
        ]

    def clean(self):
        data = super().clean()
        on_spot = data.get("kind") == Hazard.Kind.ON_SPOT
        data["deadline"] = None if on_spot else self._deadline(required=True)
        return data

    def details(self) -> hazard_services.HazardDetails:
        d = self.cleaned_data
        return hazard_services.HazardDetails(
            title=d["title"],
            level=d["level"],
            kind=d["kind"],
            source=d.get("source") or Hazard.Source.GOVERNMENT,
            description=d.get("description") or "",
            location=d.get("location") or "",
            deadline=d.get("deadline"),
            department=d.get("department"),
            responsible=d.get("responsible") or "",
            responsible_user=d.get("responsible_user"),
            risk_point=d.get("risk_point"),
            inspection_task=d.get("inspection_task"),
            plan_goal=d.get("plan_goal") or "",
            plan_measures=d.get("plan_measures") or "",
            plan_funds=d.get("plan_funds"),
            plan_responsible=d.get("plan_responsible") or "",
            plan_time_limit=d.get("plan_time_limit"),
            plan_interim_measures=d.get("plan_interim_measures") or "",
            rectification_measures=d.get("rectification_measures") or "",
            rectification_cost=d.get("rectification_cost"),
        )


class RectificationReportForm(_KeepsPhotos, forms.Form):
    measures = forms.CharField(label=_("Rectification carried out"), widget=forms.Textarea(attrs={"rows": 4}))
    cost = forms.DecimalField(label=_("Cost (yuan)"), required=False, min_value=0, decimal_places=2)
    after_photos = HazardPhotoField(label=_("Photos after rectification"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["after_photos"].help_text = _hz_photo_help()
        self._keep_setup(user)

    def clean_after_photos(self):
        photos = self.cleaned_data.get("after_photos") or []
        if not photos and not self.kept.get("after_photos"):
            raise ValidationError(_("Add at least one photo taken after the rectification."))
        return photos


class HazardDecisionForm(forms.Form):
    """A reviewer's decision: yes or no, with the opinion (required for a no)."""

    YES, NO = "yes", "no"
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    no_reason_message = _("Give the reason.")

    def __init__(self, *args, yes_label, no_label, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(self.YES, yes_label), (self.NO, no_label)]

    @property
    def yes(self) -> bool:
        return self.cleaned_data.get("decision") == self.YES

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.NO and not (data.get("reason") or "").strip():
            self.add_error("reason", self.no_reason_message)
        return data


class RectificationReviewForm(HazardDecisionForm):
    no_reason_message = _("Say what is still wrong: the enterprise needs it to rectify again.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, yes_label=_("Pass: the hazard is closed"), no_label=_("Fail: rectify again"), **kwargs)


class ExtensionRequestForm(_HazardDeadlineMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _hz_deadline_fields(self, None)
        self.fields["deadline_date"].label = _("Requested new deadline (date)")
        self.fields["deadline_date"].required = True

    def clean(self):
        data = super().clean()
        data["deadline"] = self._deadline(required=True, extension=True)
        return data


class ExtensionReviewForm(_HazardDeadlineMixin, HazardDecisionForm):
    no_reason_message = _("Give the reason for refusing: the enterprise cannot ask again.")

    def __init__(self, *args, requested=None, **kwargs) -> None:
        super().__init__(
            *args,
            yes_label=_("Approve, with the new deadline below"),
            no_label=_("Refuse: the hazard stays overdue for good"),
            **kwargs,
        )
        _hz_deadline_fields(self, requested)
        self.fields["deadline_date"].label = _("New deadline (date)")

    def clean(self):
        data = super().clean()
        data["deadline"] = self._deadline(required=True, extension=True) if data.get("decision") == self.YES else None
        return data


class SupervisedListingForm(forms.Form):
    notice_number = forms.CharField(label=_("Notice number"), max_length=50, required=False)
    notice = forms.CharField(
        label=_("Supervision notice"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the enterprise must do and by when; it is shown to the enterprise with the hazard."),
    )


class DelistingRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Application for delisting"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How the hazard was rectified and checked."),
    )


class DelistingDecisionForm(HazardDecisionForm):
    no_reason_message = _("Give the reason for refusing: the enterprise needs it.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, yes_label=_("Delist"), no_label=_("Refuse: it stays listed"), **kwargs)


# ==== area: supervision ====
# isort: split
# Government supervision: the figures' filters, building a period's summary table, drawing a random sample. Region
# choices are always the actor's body's region subtree.
from django import forms as _sv_forms  # noqa: E402
from django.utils import timezone as _sv_timezone  # noqa: E402
from django.utils.translation import gettext_lazy as _sv_lazy  # noqa: E402

from enterprises.forms import RegionChoiceField as _SvRegionChoiceField  # noqa: E402
from enterprises.models import IndustryCategory as _SvIndustry  # noqa: E402
from enterprises.models import Region as _SvRegion  # noqa: E402
from enterprises.models import SizeClass as _SvSizeClass  # noqa: E402
from enterprises.selectors import regions_under as _sv_regions_under  # noqa: E402

from . import supervision as _sv  # noqa: E402

_SV_DATE = {"type": "date"}


def _sv_regions(actor):
    return _sv_regions_under(actor.body.region) if actor.body else _SvRegion.objects.none()


class SupervisionFiguresForm(_sv_forms.Form):
    """The dashboard's filters. Rows by region are the chosen region's children (default: the body's region)."""

    region = _SvRegionChoiceField(label=_sv_lazy("Region"), queryset=_SvRegion.objects.none(), required=False)
    industry = _sv_forms.ChoiceField(
        label=_sv_lazy("Industry category"), choices=[("", "---------"), *_SvIndustry.choices], required=False
    )
    date_from = _sv_forms.DateField(label=_sv_lazy("Found from"), required=False, widget=_sv_forms.DateInput(_SV_DATE))
    date_to = _sv_forms.DateField(label=_sv_lazy("Found to"), required=False, widget=_sv_forms.DateInput(_SV_DATE))

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["region"].queryset = _sv_regions(actor)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _sv_lazy("The period must end on or after its first day."))
        elif start and end and (end - start).days >= 5 * 366:
            self.add_error("date_to", _sv_lazy("Show at most five years at a time."))
        return data

    def values(self) -> dict:
        """The figures' parameters: the valid input, defaults (this year so far, the body's region) elsewhere."""
        today = _sv_timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "region": data.get("region") or self.actor.body.region,
            "industry": data.get("industry") or "",
            "date_from": data.get("date_from") or today.replace(month=1, day=1),
            "date_to": data.get("date_to") or today,
        }


class SummaryBuildForm(_sv_forms.Form):
    period_start = _sv_forms.DateField(label=_sv_lazy("From"), widget=_sv_forms.DateInput(_SV_DATE))
    period_end = _sv_forms.DateField(label=_sv_lazy("To"), widget=_sv_forms.DateInput(_SV_DATE))

    @staticmethod
    def presets(today=None) -> list[tuple[str, str, str]]:
        """(label, start, end) of the usual periods: last month, last quarter, last year, this year so far."""
        from dateutil.relativedelta import relativedelta

        today = today or _sv_timezone.localdate()
        month_start, month_end = _sv.previous_month(today)
        quarter_first = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
        last_quarter = quarter_first - relativedelta(months=3)
        year_start = today.replace(month=1, day=1)
        return [
            (_sv_lazy("Last month"), month_start.isoformat(), month_end.isoformat()),
            (
                _sv_lazy("Last quarter"),
                last_quarter.isoformat(),
                (quarter_first - relativedelta(days=1)).isoformat(),
            ),
            (
                _sv_lazy("Last year"),
                year_start.replace(year=today.year - 1).isoformat(),
                (year_start - relativedelta(days=1)).isoformat(),
            ),
            (_sv_lazy("This year so far"), year_start.isoformat(), today.isoformat()),
        ]


class SampleDrawForm(_sv_forms.Form):
    purpose = _sv_forms.CharField(
        label=_sv_lazy("Purpose"),
        max_length=200,
        help_text=_sv_lazy("For example: spot checks of the second quarter."),
    )
    size = _sv_forms.IntegerField(label=_sv_lazy("Sample size"), min_value=1, max_value=500, initial=10)
    industry = _sv_forms.ChoiceField(
        label=_sv_lazy("Industry category"),
        choices=[("", _sv_lazy("Any industry")), *_SvIndustry.choices],
        required=False,
    )
    size_class = _sv_forms.ChoiceField(
        label=_sv_lazy("Size class"), choices=[("", _sv_lazy("Any size")), *_SvSizeClass.choices], required=False
    )
    region = _SvRegionChoiceField(
        label=_sv_lazy("Region"),
        queryset=_SvRegion.objects.none(),
        required=False,
        empty_label=_sv_lazy("The whole jurisdiction"),
    )

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _sv_regions(actor)
