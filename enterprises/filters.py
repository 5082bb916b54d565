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

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
