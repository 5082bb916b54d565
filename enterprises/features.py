"""Features of the enterprise registry (see safety/features.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from safety.features import register

from .models import Membership

R = Membership.Role
ADMIN = (R.ENTERPRISE_ADMIN,)
MANAGERS = (R.ENTERPRISE_ADMIN, R.SAFETY_MANAGER, R.LAB_SAFETY_OFFICER)
EVERYONE = tuple(r for r in Membership.ENTERPRISE_ROLES)
GROUP = _("Enterprise file")

register("profile.view", _("View the enterprise file"), GROUP, default_roles=EVERYONE)
register("profile.edit", _("Edit the enterprise profile"), GROUP, default_roles=ADMIN)
register("organisation.manage", _("Manage departments, positions, roles and users"), GROUP, default_roles=ADMIN)
register("staff.manage", _("Manage staff and certificates"), GROUP, default_roles=MANAGERS)
register("licences.manage", _("Manage licences"), GROUP, default_roles=MANAGERS)
register("suspension.apply", _("Apply for suspension or resumption"), GROUP, default_roles=ADMIN)

# ---- area: university ----
UNIVERSITY_GROUP = _("Colleges and labs")
register(
    "labs.manage",
    _("Manage colleges and labs (lab heads, stock limits)"),
    UNIVERSITY_GROUP,
    # A college administrator's power stops at its own college (enterprises.selectors.labs_for_actor).
    default_roles=(R.ENTERPRISE_ADMIN, R.LAB_SAFETY_OFFICER, R.COLLEGE_ADMIN),
)
