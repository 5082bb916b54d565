from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import selectors
from .forms import BodyChoiceField, RegionChoiceField
from .models import Enterprise, IndustryCategory, Region, SupervisoryBody


class RegionFilter(django_filters.ModelChoiceFilter):
    field_class = RegionChoiceField


class BodyFilter(django_filters.ModelChoiceFilter):
    field_class = BodyChoiceField


class RegistrationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or credit code"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Enterprise.Status.choices)
    region = RegionFilter(label=_("Region"), queryset=Region.objects.none(), method="in_region")
    owning_body = BodyFilter(label=_("Owning body"), queryset=SupervisoryBody.objects.none())
    industry = django_filters.ChoiceFilter(label=_("Industry category"), choices=IndustryCategory.choices)
    submitted_from = django_filters.DateFilter(
        label=_("Submitted from"),
        field_name="submitted_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_to = django_filters.DateFilter(
        label=_("Submitted to"),
        field_name="submitted_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Enterprise
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Choices are re-scoped to the actor's jurisdiction: no other body's names leak into the lists.
        body = actor.body
        self.filters["region"].queryset = selectors.regions_under(body.region) if body else Region.objects.none()
        self.filters["owning_body"].queryset = selectors.bodies_under(body) if body else SupervisoryBody.objects.none()

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__iexact=value)) if value else queryset

    def in_region(self, queryset, name, value):
        return queryset.filter(value.subtree_q("region__")) if value else queryset


# ==== area: profile ====
from .models import OperatingStatus, SizeClass  # noqa: E402

YES_NO = [("", "---------"), ("true", _("Yes")), ("false", _("No"))]


class GovEnterpriseFilter(RegistrationFilter):
    """The government's enterprise lists: the registration filters plus size, operating status, major hazard."""

    size_class = django_filters.ChoiceFilter(label=_("Size class"), choices=SizeClass.choices)
    operating_status = django_filters.ChoiceFilter(label=_("Operating status"), choices=OperatingStatus.choices)
    has_major_hazard_source = django_filters.BooleanFilter(
        label=_("Major hazard source"), widget=forms.Select(choices=YES_NO)
    )

    class Meta(RegistrationFilter.Meta):
        pass

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["status"].label = _("Registration status")


# ==== area: organisation ====

# Filters of the organisation lists; every choice list is the actor's own enterprise's.
from . import forms as org_forms  # noqa: E402
from . import models as org_models  # noqa: E402
from . import organisation as org_rules  # noqa: E402


def _org_yes_no(label) -> django_filters.BooleanFilter:
    return django_filters.BooleanFilter(
        label=label,
        widget=forms.Select(choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))]),
    )


class _OrgDepartmentFilter(django_filters.ModelChoiceFilter):
    field_class = org_forms.DepartmentChoiceField


class DepartmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=org_models.Department.Level.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=org_models.Department.Kind.choices)

    class Meta:
        model = org_models.Department
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if actor.enterprise is None or not actor.enterprise.is_university:
            del self.filters["kind"]


class PositionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = org_models.Position
        fields = ()


class RoleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = org_models.Role
        fields = ()


class MembershipFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("User name or name"), method="search")
    role = django_filters.ChoiceFilter(label=_("Platform role"), choices=())
    custom_role = django_filters.ModelChoiceFilter(
        label=_("Role"), field_name="custom_roles", queryset=org_models.Role._base_manager.none()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=org_models.Membership.Status.choices)

    class Meta:
        model = org_models.Membership
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        roles = org_rules.platform_roles(bool(actor.enterprise and actor.enterprise.is_university))
        self.filters["role"].extra["choices"] = [(r, org_models.Membership.Role(r).label) for r in roles]
        self.filters["custom_role"].queryset = selectors.org_roles(actor)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(user__username__icontains=value) | Q(user__full_name__icontains=value) | Q(staff__name__icontains=value)
        )


class StaffFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name, ID card number or phone"), method="search")
    department = _OrgDepartmentFilter(
        label=_("Department"),
        queryset=org_models.Department._base_manager.none(),
        method="in_department",
        help_text=_("Includes its sub-departments."),
    )
    position = django_filters.ModelChoiceFilter(label=_("Position"), queryset=org_models.Position._base_manager.none())
    has_certificates = _org_yes_no(_("Holds certificates"))
    occupational_exposure = _org_yes_no(_("Occupational exposure"))
    is_active = _org_yes_no(_("Employed"))

    class Meta:
        model = org_models.Staff
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.filters["department"].queryset = selectors.org_departments(actor)
        self.filters["position"].queryset = selectors.org_positions(actor)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(id_number__iexact=value.upper()) | Q(phone__icontains=value)
        )

    def in_department(self, queryset, name, value):
        if not value:
            return queryset
        tree = dict(selectors.org_departments(self.actor).values_list("pk", "parent_id"))
        return queryset.filter(department_id__in={value.pk, *org_rules.descendants(tree, value.pk)})


# ==== area: licences ====
from . import expiry as _expiry  # noqa: E402
from .models import Certificate, Licence, SuspensionApplication  # noqa: E402
from .models import OperatingStatus as _OperatingStatus  # noqa: E402

LICENCE_STATES = [
    ("valid", _("Valid")),
    ("expiring", _("Expiring soon")),
    ("expired", _("Expired")),
    ("long_term", _("Long-term")),
]


class LicenceFilter(django_filters.FilterSet):
    """The enterprise's own licences. The state is computed from the dates on ``today`` (see expiry.py)."""

    q = django_filters.CharFilter(label=_("Number, name or issuer"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Licence.Kind.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=LICENCE_STATES, method="in_state")

    class Meta:
        model = Licence
        fields = ()

    def __init__(self, *args, today, window: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today, self.window = today, window

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(name__icontains=value) | Q(issued_by__icontains=value))

    def in_state(self, queryset, name, value):
        today, window = self.today, self.window
        return {
            "valid": lambda: queryset.filter(_expiry.dated_valid_q(today, window)),
            "expiring": lambda: queryset.filter(_expiry.expiring_q(today, window)),
            "expired": lambda: queryset.filter(_expiry.expired_q(today)),
            "long_term": lambda: queryset.filter(long_term=True),
        }.get(value, lambda: queryset)()


class _GovDocumentFilter(django_filters.FilterSet):
    """Government lists of documents (licences, certificates) in the jurisdiction, filtered by their enterprise."""

    enterprise = django_filters.CharFilter(label=_("Enterprise name or credit code"), method="search_enterprise")
    region = RegionFilter(label=_("Region"), queryset=Region.objects.none(), method="in_region")
    industry = django_filters.ChoiceFilter(
        label=_("Industry category"), field_name="enterprise__industry", choices=IndustryCategory.choices
    )
    operating_status = django_filters.ChoiceFilter(
        label=_("Operating status"), field_name="enterprise__operating_status", choices=_OperatingStatus.choices
    )

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        body = actor.body
        self.filters["region"].queryset = selectors.regions_under(body.region) if body else Region.objects.none()

    def search_enterprise(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(enterprise__name__icontains=value) | Q(enterprise__credit_code__iexact=value))

    def in_region(self, queryset, name, value):
        return queryset.filter(value.subtree_q("enterprise__region__")) if value else queryset


class GovLicenceExpiryFilter(_GovDocumentFilter):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Licence.Kind.choices)

    class Meta:
        model = Licence
        fields = ()


class GovCertificateExpiryFilter(_GovDocumentFilter):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Certificate.Kind.choices)
    staff = django_filters.CharFilter(label=_("Staff member"), field_name="staff__name", lookup_expr="icontains")

    class Meta:
        model = Certificate
        fields = ()


class SuspensionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Application"), choices=SuspensionApplication.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SuspensionApplication.Status.choices)

    class Meta:
        model = SuspensionApplication
        fields = ()


class GovSuspensionFilter(_GovDocumentFilter):
    kind = django_filters.ChoiceFilter(label=_("Application"), choices=SuspensionApplication.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SuspensionApplication.Status.choices)
    submitted_from = django_filters.DateFilter(
        label=_("Submitted from"),
        field_name="submitted_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_to = django_filters.DateFilter(
        label=_("Submitted to"),
        field_name="submitted_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = SuspensionApplication
        fields = ()


# ==== area: university ====
from .forms import UnitChoiceField  # noqa: E402
from .models import Department, Membership  # noqa: E402


class UnitFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


class LabWithCollegeChoiceField(UnitChoiceField):
    with_college = True


class LabWithCollegeFilter(django_filters.ModelChoiceFilter):
    field_class = LabWithCollegeChoiceField


class LabFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Lab name"), field_name="name", lookup_expr="icontains")
    college = UnitFilter(label=_("College"), field_name="parent", queryset=Department._base_manager.none())
    without_head = django_filters.BooleanFilter(
        label=_("Without a head teacher"), method="filter_without_head", widget=forms.CheckboxInput
    )

    class Meta:
        model = Department
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only the colleges this actor manages: no other college's names in the choices.
        self.filters["college"].queryset = selectors.managed_colleges(actor)

    def filter_without_head(self, queryset, name, value):
        # An unticked checkbox means "every lab", not "labs with a head".
        return queryset.filter(head__isnull=True) if value else queryset


class ActivationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or user name"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Membership.Status.choices)
    lab = LabWithCollegeFilter(label=_("Lab"), field_name="department", queryset=Department._base_manager.none())

    class Meta:
        model = Membership
        fields = ()

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        university = selectors.university_of(actor)
        labs = selectors.labs_of(university) if university else Department._base_manager.none()
        self.filters["lab"].queryset = labs

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(user__full_name__icontains=value) | Q(user__username__icontains=value))
