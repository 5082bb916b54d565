from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hazards"
    verbose_name = _("Dual prevention")

    def ready(self) -> None:
        from . import features, inbox  # noqa: F401  features and to-do inbox providers register on import
