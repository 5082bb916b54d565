from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Enterprise


class StatusColumn(tables.Column):
    COLOURS = {"pending": "warning", "rejected": "danger", "approved": "success"}

    def render(self, record, value):
        return format_html(
            '<span class="badge text-bg-{}">{}</span>',
            self.COLOURS.get(record.status, "secondary"),
            record.get_status_display(),
        )

    def value(self, record, value):
        return record.get_status_display()


class RegistrationTable(tables.Table):
    name = tables.LinkColumn(
        "enterprises:gov_registration_detail", args=[tables.A("pk")], verbose_name=_("Enterprise name")
    )
    credit_code = tables.Column(verbose_name=_("Unified social credit code"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__name", order_by=("region__path",))
    owning_body = tables.Column(verbose_name=_("Owning body"), accessor="owning_body__name")
    industry = tables.Column(verbose_name=_("Industry category"))
    contact_name = tables.Column(verbose_name=_("Contact person"))
    contact_phone = tables.Column(verbose_name=_("Contact phone"))
    status = StatusColumn(verbose_name=_("Status"))
    submitted_at = tables.DateTimeColumn(verbose_name=_("Submitted at"), format="Y-m-d H:i")

    class Meta:
        model = Enterprise
        fields = ()
        sequence = (
            "name",
            "credit_code",
            "region",
            "owning_body",
            "industry",
            "contact_name",
            "contact_phone",
            "status",
            "submitted_at",
        )
        attrs = {"class": "table table-hover align-middle"}
        empty_text = _("Nothing here.")
        order_by = ("-submitted_at",)

    def value_name(self, record):
        return record.name

    def value_submitted_at(self, value):
        # The datetime itself: the Excel export writes it as local wall-clock time (DateTimeColumn.value would
        # give an ISO string in UTC).
        return value


# ==== area: profile ====

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
