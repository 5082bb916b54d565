from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enterprises"
    verbose_name = _("Enterprises")

    def ready(self) -> None:
        from . import (
            features,  # noqa: F401  registers the registry's features (role permission sets)
            inbox,  # noqa: F401  registers the registration review queue in the to-do inbox
        )
