from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChemicalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chemicals"
    verbose_name = _("Chemicals")

    def ready(self) -> None:
        # features, to-do inbox providers and the services' review hooks (tiers.SUBMIT_CHECKS…) register on import,
        # in every process: web, Celery worker, shell.
        from . import features, inbox, services  # noqa: F401
