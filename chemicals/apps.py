from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChemicalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chemicals"
    verbose_name = _("Chemicals")
