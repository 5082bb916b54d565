from __future__ import annotations

from django.core.management.base import BaseCommand

from safety.tenancy import scopes_disabled

from ...reference import load_bodies, load_economic_classes, load_regions


class Command(BaseCommand):
    help = (
        "Load regions, supervisory bodies, economic classes, shared risk points and the chemicals catalogue from "
        "fixtures/ (idempotent)."
    )

    def handle(self, *args, **options) -> None:
        with scopes_disabled():
            regions = load_regions()
            bodies = load_bodies()
            economic_classes = load_economic_classes()
            from hazards.risk_library import load_shared_risk_points

            shared_risk_points = load_shared_risk_points()
            from chemicals.reference import load_chemicals

            chemicals = load_chemicals()
        self.stdout.write(
            self.style.SUCCESS(
                f"Reference data loaded: {regions} new regions, {bodies} new bodies, "
                f"{economic_classes} new economic classes, {shared_risk_points} new shared risk points, "
                f"{chemicals.created} new and {chemicals.updated} updated chemicals."
            )
        )
