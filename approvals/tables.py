from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import OperationLog


class OperationLogTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i:s")
    username = tables.Column(verbose_name=_("User name"))
    action = tables.Column(verbose_name=_("Action"))
    object_type = tables.Column(verbose_name=_("Object type"))
    object_repr = tables.Column(verbose_name=_("Object"))
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name")
    detail = tables.Column(verbose_name=_("Detail"))
    ip = tables.Column(verbose_name=_("IP address"))

    class Meta:
        model = OperationLog
        fields = ()
        sequence = ("created_at", "username", "action", "object_type", "object_repr", "enterprise", "detail", "ip")
        attrs = {"class": "table table-sm table-hover"}
        empty_text = _("Nothing here.")
        order_by = ("-created_at",)

    def value_created_at(self, value):
        # The datetime itself: the Excel export writes it as local wall-clock time (DateTimeColumn.value would
        # give an ISO string in UTC).
        return value
