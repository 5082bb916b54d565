from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OperationLog


class OperationLogFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(label=_("User name"), lookup_expr="iexact")
    action = django_filters.ChoiceFilter(label=_("Action"), choices=OperationLog.Action.choices)
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("To"), field_name="created_at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = OperationLog
        fields = ()
