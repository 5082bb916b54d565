"""Features of the chemicals service (see safety/features.py). Review rights are not features: each step
of the three-tier audit has its reviewer (chemicals.tiers)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from enterprises.models import Membership
from safety.features import register

R = Membership.Role
LAB_PEOPLE = (R.TEACHER, R.STUDENT)
CENTRAL = (R.ENTERPRISE_ADMIN, R.LAB_SAFETY_OFFICER, R.CENTRE_STAFF)
GROUP = _("Lab hazardous chemicals")

register(
    "chemicals.view",
    _("View chemicals, orders and packages"),
    GROUP,
    default_roles=(*CENTRAL, R.COLLEGE_ADMIN, *LAB_PEOPLE),
)
register("chemicals.order", _("Submit purchase requests and requisitions"), GROUP, default_roles=LAB_PEOPLE)
register("chemicals.ledger", _("Record use of packages and register waste"), GROUP, default_roles=LAB_PEOPLE)
register(
    "chemicals.catalogue",
    _("Keep stores, campuses and package locations"),
    GROUP,
    default_roles=(R.LAB_SAFETY_OFFICER, R.CENTRE_STAFF),
)
register(
    "chemicals.rounds",
    _("Open purchase rounds, aggregate and file with the police"),
    GROUP,
    default_roles=(R.LAB_SAFETY_OFFICER,),
)
register(
    "chemicals.centre",
    _("Stock in, confirm payments, issue packages, collect waste"),
    GROUP,
    default_roles=(R.CENTRE_STAFF,),
)
register("chemicals.figures", _("Chemicals figures"), GROUP, default_roles=(*CENTRAL, R.COLLEGE_ADMIN))
# Any enterprise, for its own storage and production units.
register(
    "major_hazards.manage",
    _("Identify and grade major hazard sources (GB 18218)"),
    _("Major hazard sources"),
    default_roles=(R.ENTERPRISE_ADMIN, R.SAFETY_MANAGER, R.LAB_SAFETY_OFFICER, R.CENTRE_STAFF),
)
