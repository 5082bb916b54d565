from __future__ import annotations

# ==== area: risk ====
# isort: split
# The risk point library and the import/export log; departments re-scoped to the actor's enterprise.
import django_filters as _rk_filters  # noqa: E402
from django import forms as _rk_forms  # noqa: E402
from django.db.models import Q as _RkQ  # noqa: E402
from django.utils import translation as _rk_tr  # noqa: E402

from enterprises.models import Department as _RkDepartment  # noqa: E402

from . import selectors as _rk_selectors  # noqa: E402
from .models import RiskLevel as _RkRiskLevel  # noqa: E402
from .models import RiskPoint as _RkRiskPoint  # noqa: E402
from .models import SharedRiskPoint as _RkSharedRiskPoint  # noqa: E402
from .models import TransferLog as _RkTransferLog  # noqa: E402

RISK_UNGRADED = "ungraded"


class RiskPointFilter(_rk_filters.FilterSet):
    q = _rk_filters.CharFilter(label=_rk_tr.gettext_lazy("Name or place"), method="search")
    category = _rk_filters.ChoiceFilter(label=_rk_tr.gettext_lazy("Category"), choices=_RkRiskPoint.Category.choices)
    level = _rk_filters.ChoiceFilter(
        label=_rk_tr.gettext_lazy("Risk level"),
        choices=[*_RkRiskLevel.choices, (RISK_UNGRADED, _rk_tr.gettext_lazy("Not graded"))],
        method="in_level",
    )
    department = _rk_filters.ModelChoiceFilter(
        label=_rk_tr.gettext_lazy("Department"), queryset=_RkDepartment._base_manager.none()
    )
    needs_regrading = _rk_filters.BooleanFilter(
        label=_rk_tr.gettext_lazy("Needs re-grading"),
        widget=_rk_forms.Select(
            choices=[("", "—"), ("true", _rk_tr.gettext_lazy("Yes")), ("false", _rk_tr.gettext_lazy("No"))]
        ),
    )
    on_map = _rk_filters.BooleanFilter(
        label=_rk_tr.gettext_lazy("Placed on the risk map"),
        field_name="map_x",
        lookup_expr="isnull",
        exclude=True,
        widget=_rk_forms.Select(
            choices=[("", "—"), ("true", _rk_tr.gettext_lazy("Yes")), ("false", _rk_tr.gettext_lazy("No"))]
        ),
    )

    class Meta:
        model = _RkRiskPoint
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["department"].queryset = _rk_selectors.risk_departments(actor).order_by("order", "name", "pk")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(_RkQ(name__icontains=value) | _RkQ(place__icontains=value))

    def in_level(self, queryset, name, value):
        if value == RISK_UNGRADED:
            return queryset.filter(level="")
        return queryset.filter(level=value)


class RiskTransferLogFilter(_rk_filters.FilterSet):
    kind = _rk_filters.ChoiceFilter(label=_rk_tr.gettext_lazy("Kind"), choices=_RkTransferLog.Kind.choices)
    succeeded = _rk_filters.BooleanFilter(
        label=_rk_tr.gettext_lazy("Succeeded"),
        widget=_rk_forms.Select(
            choices=[("", "—"), ("true", _rk_tr.gettext_lazy("Yes")), ("false", _rk_tr.gettext_lazy("No"))]
        ),
    )
    date_from = _rk_filters.DateFilter(
        label=_rk_tr.gettext_lazy("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=_rk_forms.DateInput(attrs={"type": "date"}),
    )
    date_to = _rk_filters.DateFilter(
        label=_rk_tr.gettext_lazy("To"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=_rk_forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = _RkTransferLog
        fields = ()


class RiskSharedPointFilter(_rk_filters.FilterSet):
    q = _rk_filters.CharFilter(label=_rk_tr.gettext_lazy("Name"), field_name="name", lookup_expr="icontains")
    category = _rk_filters.ChoiceFilter(label=_rk_tr.gettext_lazy("Category"), choices=_RkRiskPoint.Category.choices)

    class Meta:
        model = _RkSharedRiskPoint
        fields = ()


# ==== area: lists ====
# isort: split
import django_filters as _ls_filters  # noqa: E402
from django import forms as _ls_forms  # noqa: E402
from django.db.models import Q as _LsQ  # noqa: E402
from django.utils import translation as _ls_tr  # noqa: E402

from enterprises import selectors as _ls_enterprise_selectors  # noqa: E402
from enterprises.models import Department as _LsDepartment  # noqa: E402
from enterprises.models import Region as _LsRegion  # noqa: E402

from .models import Frequency as _LsFrequency  # noqa: E402
from .models import InspectionTask as _LsInspectionTask  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402

_LS_LEVELS = _LsRiskList._meta.get_field("level").choices


def _ls_date_filter(label, field: str, lookup: str) -> _ls_filters.DateFilter:
    return _ls_filters.DateFilter(
        label=label, field_name=field, lookup_expr=lookup, widget=_ls_forms.DateInput(attrs={"type": "date"})
    )


class RiskListFilter(_ls_filters.FilterSet):
    """The enterprise's own lists."""

    q = _ls_filters.CharFilter(label=_ls_tr.gettext_lazy("Name"), field_name="name", lookup_expr="icontains")
    status = _ls_filters.ChoiceFilter(label=_ls_tr.gettext_lazy("Status"), choices=_LsRiskList.Status.choices)
    level = _ls_filters.ChoiceFilter(label=_ls_tr.gettext_lazy("Level"), choices=_LS_LEVELS)
    frequency = _ls_filters.ChoiceFilter(label=_ls_tr.gettext_lazy("Check frequency"), choices=_LsFrequency.choices)
    department = _ls_filters.ModelChoiceFilter(
        label=_ls_tr.gettext_lazy("Department"), queryset=_LsDepartment._base_manager.none()
    )

    class Meta:
        model = _LsRiskList
        fields = ()

    def __init__(self, *args, enterprise_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["department"].queryset = _LsDepartment.objects.filter(enterprise_id=enterprise_id)


class GovRiskListFilter(_ls_filters.FilterSet):
    """Lists of the jurisdiction sent for filing or filed."""

    enterprise = _ls_filters.CharFilter(
        label=_ls_tr.gettext_lazy("Enterprise name or credit code"), method="search_enterprise"
    )
    region = _ls_filters.ModelChoiceFilter(
        label=_ls_tr.gettext_lazy("Region"), queryset=_LsRegion.objects.none(), method="in_region"
    )
    status = _ls_filters.ChoiceFilter(
        label=_ls_tr.gettext_lazy("Status"),
        choices=[
            (s, _LsRiskList.Status(s).label)
            for s in (_LsRiskList.Status.FILING, _LsRiskList.Status.FILED, _LsRiskList.Status.RETURNED)
        ],
    )
    level = _ls_filters.ChoiceFilter(label=_ls_tr.gettext_lazy("Level"), choices=_LS_LEVELS)
    frequency = _ls_filters.ChoiceFilter(label=_ls_tr.gettext_lazy("Check frequency"), choices=_LsFrequency.choices)
    filed_from = _ls_date_filter(_ls_tr.gettext_lazy("Filed from"), "filed_at", "date__gte")
    filed_to = _ls_date_filter(_ls_tr.gettext_lazy("Filed to"), "filed_at", "date__lte")

    class Meta:
        model = _LsRiskList
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        body = actor.body
        self.filters["region"].queryset = (
            _ls_enterprise_selectors.regions_under(body.region) if body else _LsRegion.objects.none()
        )

    def search_enterprise(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(_LsQ(enterprise__name__icontains=value) | _LsQ(enterprise__credit_code__iexact=value))

    def in_region(self, queryset, name, value):
        return queryset.filter(value.subtree_q("enterprise__region__")) if value else queryset


class InspectionTaskFilter(_ls_filters.FilterSet):
    q = _ls_filters.CharFilter(
        label=_ls_tr.gettext_lazy("Risk point"), field_name="risk_point__name", lookup_expr="icontains"
    )
    status = _ls_filters.ChoiceFilter(label=_ls_tr.gettext_lazy("Status"), choices=_LsInspectionTask.Status.choices)
    risk_list = _ls_filters.ModelChoiceFilter(
        label=_ls_tr.gettext_lazy("Risk list"), queryset=_LsRiskList._base_manager.none()
    )
    department = _ls_filters.ModelChoiceFilter(
        label=_ls_tr.gettext_lazy("Department"),
        field_name="risk_list__department",
        queryset=_LsDepartment._base_manager.none(),
    )
    due_from = _ls_date_filter(_ls_tr.gettext_lazy("Due from"), "period_start", "gte")
    due_to = _ls_date_filter(_ls_tr.gettext_lazy("Due to"), "period_start", "lte")

    class Meta:
        model = _LsInspectionTask
        fields = ()

    def __init__(self, *args, enterprise_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["risk_list"].queryset = _LsRiskList.objects.filter(
            enterprise_id=enterprise_id, status=_LsRiskList.Status.FILED
        )
        self.filters["department"].queryset = _LsDepartment.objects.filter(enterprise_id=enterprise_id)


# ==== area: hazards ====
# isort: split
import django_filters  # noqa: E402
from django import forms  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from enterprises.models import Department as _HzDepartment  # noqa: E402
from enterprises.models import IndustryCategory as _HzIndustry  # noqa: E402

from .models import Hazard  # noqa: E402


def _hz_date_filter(label, field: str, lookup: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label, field_name=field, lookup_expr=lookup, widget=forms.DateInput(attrs={"type": "date"})
    )


class HazardFilter(django_filters.FilterSet):
    """Filters of a hazard list: status, level, kind, source, department, dates, overdue."""

    OVERDUE_CHOICES = [("yes", _("Overdue or past the deadline")), ("no", _("Not overdue"))]

    q = django_filters.CharFilter(label=_("Number, hazard or location"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Hazard.Status.choices)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Hazard.Level.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Hazard.Kind.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Hazard.Source.choices)
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=_HzDepartment._base_manager.none())
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), choices=OVERDUE_CHOICES, method="by_overdue")
    found_from = _hz_date_filter(_("Found from"), "found_at", "date__gte")
    found_to = _hz_date_filter(_("Found to"), "found_at", "date__lte")
    deadline_from = _hz_date_filter(_("Deadline from"), "deadline", "date__gte")
    deadline_to = _hz_date_filter(_("Deadline to"), "deadline", "date__lte")

    class Meta:
        model = Hazard
        fields = ()

    def __init__(self, *args, enterprise_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if enterprise_id is None:
            del self.filters["department"]
        else:
            self.filters["department"].queryset = _HzDepartment.objects.filter(enterprise_id=enterprise_id)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value) | Q(location__icontains=value))

    def by_overdue(self, queryset, name, value):
        # Marked overdue, or open and past the deadline (the sweep runs every few minutes).
        late = Q(status__in=(Hazard.Status.OVERDUE, Hazard.Status.EXTENSION_REQUESTED)) | Q(
            status__in=Hazard.OPEN_STATES, deadline__lt=timezone.now()
        )
        if value == "yes":
            return queryset.filter(late)
        if value == "no":
            return queryset.exclude(late)
        return queryset


class GovHazardFilter(HazardFilter):
    enterprise = django_filters.CharFilter(label=_("Enterprise name or credit code"), method="search_enterprise")
    industry = django_filters.ChoiceFilter(
        label=_("Industry category"), field_name="enterprise__industry", choices=_HzIndustry.choices
    )

    class Meta(HazardFilter.Meta):
        pass

    def search_enterprise(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(enterprise__name__icontains=value) | Q(enterprise__credit_code__iexact=value))


# ==== area: supervision ====
# isort: split
# Filters of the government's queues and enterprise lists. Region choices are the actor's body's region subtree
# and nothing else; found dates are local days turned into a found_at range (the keyset index serves it).
from dateutil.relativedelta import relativedelta as _sv_relativedelta  # noqa: E402

from enterprises.filters import RegionFilter as _SvRegionFilter  # noqa: E402
from enterprises.models import Enterprise as _SvEnterprise  # noqa: E402
from enterprises.models import IndustryCategory as _SvIndustry  # noqa: E402
from enterprises.models import Region as _SvRegion  # noqa: E402
from enterprises.models import SizeClass as _SvSizeClass  # noqa: E402
from enterprises.selectors import regions_under as _sv_regions_under  # noqa: E402

from . import selectors as _sv_selectors  # noqa: E402
from . import supervision as _sv  # noqa: E402
from .models import EnterpriseSample as _SvSample  # noqa: E402
from .models import Hazard as _SvHazard  # noqa: E402
from .models import SummaryReport as _SvSummaryReport  # noqa: E402


def _sv_date(label) -> django_filters.DateFilter:
    return django_filters.DateFilter(label=label, method="by_found", widget=forms.DateInput(attrs={"type": "date"}))


def _sv_scope_regions(filterset: django_filters.FilterSet, actor) -> None:
    body = actor.body
    filterset.filters["region"].queryset = _sv_regions_under(body.region) if body else _SvRegion.objects.none()


class SupervisionHazardFilter(django_filters.FilterSet):
    """The government queues: region (subtree), industry, enterprise name, level, status, source, found dates."""

    region = _SvRegionFilter(label=_("Region"), queryset=_SvRegion.objects.none(), method="in_region")
    industry = django_filters.ChoiceFilter(
        label=_("Industry category"), field_name="enterprise__industry", choices=_SvIndustry.choices
    )
    enterprise = django_filters.CharFilter(label=_("Enterprise"), method="by_enterprise")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=_SvHazard.Level.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=_SvHazard.Status.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=_SvHazard.Source.choices)
    found_from = _sv_date(_("Found from"))
    found_to = _sv_date(_("Found to"))

    class Meta:
        model = _SvHazard
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _sv_scope_regions(self, actor)

    def in_region(self, queryset, name, value):
        return queryset.filter(value.subtree_q("enterprise__region__")) if value else queryset

    def by_enterprise(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(enterprise__name__icontains=value) if value else queryset

    def by_found(self, queryset, name, value):
        if not value:
            return queryset
        if name == "found_from":
            return _sv.found_between(queryset, value, None)
        return _sv.found_between(queryset, None, value)


class SupervisionEnterpriseFilter(django_filters.FilterSet):
    """The differentiated-supervision lists of enterprises: name or credit code, region, industry, size class."""

    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    region = _SvRegionFilter(label=_("Region"), queryset=_SvRegion.objects.none(), method="in_region")
    industry = django_filters.ChoiceFilter(label=_("Industry category"), choices=_SvIndustry.choices)
    size_class = django_filters.ChoiceFilter(label=_("Size class"), choices=_SvSizeClass.choices)

    class Meta:
        model = _SvEnterprise
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _sv_scope_regions(self, actor)

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__iexact=value)) if value else queryset

    def in_region(self, queryset, name, value):
        return queryset.filter(value.subtree_q("region__")) if value else queryset


class KeyEnterpriseFilter(SupervisionEnterpriseFilter):
    REASONS = [
        ("major_source", _("Has a major hazard source")),
        ("hazardous_chemicals", _("Hazardous chemicals industry")),
        ("open_major", _("Major hazards not yet closed")),
    ]
    reason = django_filters.ChoiceFilter(label=_("Why it is a key enterprise"), choices=REASONS, method="by_reason")

    class Meta(SupervisionEnterpriseFilter.Meta):
        pass

    def by_reason(self, queryset, name, value):
        # The queryset is hazards.selectors.key_enterprises(actor): any reason, with the open-major alias.
        return queryset.filter(_sv_selectors.key_enterprise_reason_q(value)) if value else queryset


class ZeroHazardFilter(SupervisionEnterpriseFilter):
    """The period is part of the list's definition: it defaults to the previous calendar month."""

    period_from = django_filters.DateFilter(
        label=_("Period from"), method="by_period", widget=forms.DateInput(attrs={"type": "date"})
    )
    period_to = django_filters.DateFilter(
        label=_("Period to"), method="by_period", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta(SupervisionEnterpriseFilter.Meta):
        pass

    def by_period(self, queryset, name, value):
        return queryset  # the selector applies it: see period()

    def period(self) -> tuple:
        """(from, to) of the valid form, the previous month's days filling what is left empty."""
        default_from, default_to = _sv.previous_month(timezone.localdate())
        data = self.form.cleaned_data if self.is_valid() else {}
        start = data.get("period_from") or default_from
        end = data.get("period_to") or default_to
        if start > end:
            start = end - _sv_relativedelta(months=1)
        return start, end


class InactiveEnterpriseFilter(SupervisionEnterpriseFilter):
    DEFAULT_DAYS = 30
    days = django_filters.NumberFilter(
        label=_("No login for (days)"),
        method="by_days",
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650, "placeholder": DEFAULT_DAYS}),
    )

    class Meta(SupervisionEnterpriseFilter.Meta):
        pass

    def by_days(self, queryset, name, value):
        return queryset  # the selector applies it: see days_value()

    def days_value(self) -> int:
        data = self.form.cleaned_data if self.is_valid() else {}
        value = data.get("days")
        return int(value) if value and 1 <= value <= 3650 else self.DEFAULT_DAYS


class SampleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Purpose"), field_name="purpose", lookup_expr="icontains")

    class Meta:
        model = _SvSample
        fields = ()


class SummaryReportFilter(django_filters.FilterSet):
    period_from = django_filters.DateFilter(
        label=_("Period ends on or after"),
        field_name="period_end",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period_to = django_filters.DateFilter(
        label=_("Period starts on or before"),
        field_name="period_start",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = _SvSummaryReport
        fields = ()
