"""Features of dual prevention (see safety/features.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _  # noqa: F401

from safety.features import register  # noqa: F401

# ==== area: risk ====
# isort: split
from enterprises.models import Membership as _RiskMembership  # noqa: E402

RISK_POINTS_MANAGE = "risk.manage"
RISK_POINTS_VIEW = "risk.view"
_RISK_GROUP = _("Risk grading and control")
register(
    RISK_POINTS_MANAGE,
    _("Manage risk points, their grading, imports and printables, and the enterprise risk grade"),
    _RISK_GROUP,
    default_roles=(_RiskMembership.Role.ENTERPRISE_ADMIN, _RiskMembership.Role.SAFETY_MANAGER),
)
register(
    RISK_POINTS_VIEW,
    _("View risk points, the risk map and the enterprise risk grade"),
    _RISK_GROUP,
    default_roles=tuple(_RiskMembership.ENTERPRISE_ROLES),
)

# ==== area: lists ====
# Risk lists and inspections. Filing is decided by the owning body's reviewers (body roles, not features).
from enterprises.models import Membership as _ListsMembership  # noqa: E402

RISK_LISTS_MANAGE = "risk_lists.manage"
RISK_LISTS_REVIEW = "risk_lists.review"
INSPECTIONS_PERFORM = "inspections.perform"
_LISTS_GROUP = _("Risk lists and inspections")
_LISTS_MANAGERS = (_ListsMembership.Role.ENTERPRISE_ADMIN, _ListsMembership.Role.SAFETY_MANAGER)

register(
    RISK_LISTS_MANAGE,
    _("Draw up risk lists, submit them and send them for filing"),
    _LISTS_GROUP,
    default_roles=_LISTS_MANAGERS,
)
register(RISK_LISTS_REVIEW, _("Review risk lists inside the enterprise"), _LISTS_GROUP, default_roles=_LISTS_MANAGERS)
# Whoever walks past a point's notice board checks it (QR code on a phone).
register(
    INSPECTIONS_PERFORM,
    _("Carry out inspections (QR checklists)"),
    _LISTS_GROUP,
    default_roles=tuple(_ListsMembership.ENTERPRISE_ROLES),
)


# ==== area: hazards ====
# Hidden hazards. Government users are not enterprise roles: what they may do is decided by their body role
# and jurisdiction (hazards.selectors), not by these features.
from enterprises.models import Membership as _HazardMembership  # noqa: E402

HAZARD_VIEW = "hazards.view"
HAZARD_REGISTER = "hazards.register"
HAZARD_RECTIFY = "hazards.rectify"
HAZARD_REVIEW = "hazards.review"
_HAZARD_ROLES = _HazardMembership.Role
_HAZARD_GROUP = _("Hidden hazards")
_HAZARD_EVERYONE = tuple(_HazardMembership.ENTERPRISE_ROLES)
_HAZARD_MANAGERS = (_HAZARD_ROLES.ENTERPRISE_ADMIN, _HAZARD_ROLES.SAFETY_MANAGER, _HAZARD_ROLES.LAB_SAFETY_OFFICER)

register(HAZARD_VIEW, _("View hidden hazards"), _HAZARD_GROUP, default_roles=_HAZARD_EVERYONE)
# Whoever finds a hazard registers it (an inspection on a phone included).
register(HAZARD_REGISTER, _("Register hidden hazards"), _HAZARD_GROUP, default_roles=_HAZARD_EVERYONE)
# The person responsible for a hazard may always report its rectification; this feature covers every hazard.
register(
    HAZARD_RECTIFY,
    _("Rectify any hazard (report rectification, request an extension, edit, apply for delisting)"),
    _HAZARD_GROUP,
    default_roles=_HAZARD_MANAGERS,
)
register(
    HAZARD_REVIEW,
    _("Review rectification and extension requests of general hazards"),
    _HAZARD_GROUP,
    default_roles=(_HAZARD_ROLES.ENTERPRISE_ADMIN, _HAZARD_ROLES.SAFETY_MANAGER),
)


# ==== area: supervision ====
