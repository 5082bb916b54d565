"""Side menus per side (government, enterprise, university). Later apps add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuEntry:
    label: object
    url_name: str
    icon: str
    roles: tuple[str, ...] = ()  # empty: every role of the side
    args: tuple = ()
    feature: str = ""  # shown only when the actor can use this feature (safety.features)

    @property
    def url(self) -> str:
        return reverse(self.url_name, args=self.args)


COMMON = [
    MenuEntry(_("To-do inbox"), "approvals:inbox", "bi-inbox"),
    MenuEntry(_("Notifications"), "approvals:notifications", "bi-bell"),
]

MENUS: dict[str, list[MenuEntry]] = {
    "government": [
        MenuEntry(_("Home"), "home", "bi-speedometer2"),
        MenuEntry(_("Enterprise registrations"), "enterprises:gov_registrations", "bi-building-check"),
        # ==== area: profile ====
        MenuEntry(_("Enterprises"), "enterprises:gov_enterprises", "bi-buildings"),
        MenuEntry(_("Enterprise map"), "enterprises:gov_enterprise_map", "bi-geo-alt"),
        # ==== area: licences ====
        MenuEntry(_("Expiring licences"), "enterprises:gov_licences_expiry", "bi-hourglass-split", args=("expiring",)),
        MenuEntry(
            _("Expired licences"), "enterprises:gov_licences_expiry", "bi-exclamation-octagon", args=("expired",)
        ),
        MenuEntry(_("Suspension applications"), "enterprises:gov_suspensions", "bi-pause-circle"),
        # ==== hazards area: risk ====
        # ==== hazards area: lists ====
        MenuEntry(_("Risk list filing"), "hazards:gov_risk_lists", "bi-card-checklist"),
        # ==== hazards area: hazards ====
        MenuEntry(_("Hazards awaiting review"), "hazards:gov_hazard_reviews", "bi-clipboard-check"),
        MenuEntry(
            _("Register an inspection finding"),
            "hazards:gov_hazard_register",
            "bi-exclamation-triangle",
            roles=("reviewer", "body_admin", "inspector"),
        ),
        # ==== hazards area: supervision ====
        MenuEntry(_("Hazard queues"), "hazards:supervision_queue", "bi-list-check"),
        MenuEntry(_("Hazard figures"), "hazards:supervision_figures", "bi-bar-chart-line"),
        MenuEntry(_("Summary reports"), "hazards:summary_reports", "bi-file-earmark-bar-graph"),
        MenuEntry(_("Differentiated supervision"), "hazards:key_enterprises", "bi-bullseye"),
        *COMMON,
        MenuEntry(_("Operation log"), "approvals:operation_log", "bi-journal-text"),
    ],
    "enterprise": [
        MenuEntry(_("Home"), "home", "bi-house"),
        # ==== area: profile ====
        MenuEntry(_("Enterprise file"), "enterprises:profile", "bi-building", feature="profile.view"),
        # ==== area: organisation ====
        MenuEntry(_("Departments"), "enterprises:department_list", "bi-diagram-2", feature="organisation.manage"),
        MenuEntry(_("Positions"), "enterprises:position_list", "bi-briefcase", feature="organisation.manage"),
        MenuEntry(_("Roles and permissions"), "enterprises:role_list", "bi-shield-lock", feature="organisation.manage"),
        MenuEntry(_("Users"), "enterprises:user_list", "bi-person-gear", feature="organisation.manage"),
        MenuEntry(_("Staff"), "enterprises:staff_list", "bi-people", feature="staff.manage"),
        # ==== area: licences ====
        MenuEntry(_("Licences"), "enterprises:licences", "bi-patch-check", feature="licences.manage"),
        MenuEntry(
            _("Suspension / resumption"), "enterprises:suspensions", "bi-pause-circle", feature="suspension.apply"
        ),
        # ==== hazards area: risk ====
        MenuEntry(_("Risk points"), "hazards:risk_point_list", "bi-exclamation-diamond", feature="risk.view"),
        MenuEntry(_("Four-colour risk map"), "hazards:risk_map", "bi-map", feature="risk.view"),
        MenuEntry(_("Enterprise risk grade"), "hazards:risk_grade", "bi-award", feature="risk.view"),
        # ==== hazards area: lists ====
        MenuEntry(_("Risk lists"), "hazards:risk_lists", "bi-card-checklist", feature="risk_lists.manage"),
        MenuEntry(_("Inspection tasks"), "hazards:inspection_tasks", "bi-list-check", feature="inspections.perform"),
        MenuEntry(_("Inspection figures"), "hazards:inspection_figures", "bi-bar-chart", feature="risk_lists.review"),
        # ==== hazards area: hazards ====
        MenuEntry(_("Hidden hazards"), "hazards:hazard_list", "bi-exclamation-triangle", feature="hazards.view"),
        # ==== hazards area: supervision ====
        # ==== chemicals area: majorhazards (enterprise menu) ====
        MenuEntry(
            _("Major hazard sources"), "chemicals:major_hazard_list", "bi-radioactive", feature="major_hazards.manage"
        ),
        *COMMON,
        MenuEntry(_("Operation log"), "approvals:operation_log", "bi-journal-text", roles=("enterprise_admin",)),
    ],
    "university": [
        MenuEntry(_("Home"), "home", "bi-mortarboard"),
        # ==== area: profile ====
        MenuEntry(_("Enterprise file"), "enterprises:profile", "bi-building", feature="profile.view"),
        # ==== area: organisation ====
        MenuEntry(_("Departments"), "enterprises:department_list", "bi-diagram-2", feature="organisation.manage"),
        MenuEntry(_("Positions"), "enterprises:position_list", "bi-briefcase", feature="organisation.manage"),
        MenuEntry(_("Roles and permissions"), "enterprises:role_list", "bi-shield-lock", feature="organisation.manage"),
        MenuEntry(_("Users"), "enterprises:user_list", "bi-person-gear", feature="organisation.manage"),
        MenuEntry(_("Staff"), "enterprises:staff_list", "bi-people", feature="staff.manage"),
        # ==== area: licences ====
        MenuEntry(_("Licences"), "enterprises:licences", "bi-patch-check", feature="licences.manage"),
        MenuEntry(
            _("Suspension / resumption"), "enterprises:suspensions", "bi-pause-circle", feature="suspension.apply"
        ),
        # ==== area: university ====
        MenuEntry(_("Colleges and labs"), "enterprises:university_colleges", "bi-diagram-3", feature="labs.manage"),
        MenuEntry(
            _("Student activations"),
            "enterprises:student_activations",
            "bi-person-check",
            roles=("teacher", "enterprise_admin", "lab_safety_officer", "college_admin"),
        ),
        MenuEntry(_("My lab profile"), "enterprises:lab_profile", "bi-person-vcard", roles=("teacher", "student")),
        # ==== hazards area: risk ====
        MenuEntry(_("Risk points"), "hazards:risk_point_list", "bi-exclamation-diamond", feature="risk.view"),
        MenuEntry(_("Four-colour risk map"), "hazards:risk_map", "bi-map", feature="risk.view"),
        MenuEntry(_("Enterprise risk grade"), "hazards:risk_grade", "bi-award", feature="risk.view"),
        # ==== hazards area: lists ====
        MenuEntry(_("Risk lists"), "hazards:risk_lists", "bi-card-checklist", feature="risk_lists.manage"),
        MenuEntry(_("Inspection tasks"), "hazards:inspection_tasks", "bi-list-check", feature="inspections.perform"),
        MenuEntry(_("Inspection figures"), "hazards:inspection_figures", "bi-bar-chart", feature="risk_lists.review"),
        # ==== hazards area: hazards ====
        MenuEntry(_("Hidden hazards"), "hazards:hazard_list", "bi-exclamation-triangle", feature="hazards.view"),
        # ==== hazards area: supervision ====
        # ==== chemicals area: catalogue ====
        MenuEntry(_("Chemical catalogue"), "chemicals:catalogue", "bi-journal-medical", feature="chemicals.view"),
        MenuEntry(_("Chemical packages"), "chemicals:package_list", "bi-box-seam", feature="chemicals.view"),
        MenuEntry(_("Chemical stores"), "chemicals:store_list", "bi-buildings", feature="chemicals.catalogue"),
        MenuEntry(_("Campuses"), "chemicals:campus_list", "bi-signpost-split", feature="chemicals.catalogue"),
        # ==== chemicals area: purchase ====
        MenuEntry(_("Purchase requests"), "chemicals:purchase_requests", "bi-cart3", feature="chemicals.view"),
        MenuEntry(
            _("Purchase reviews"),
            "chemicals:purchase_reviews",
            "bi-clipboard-check",
            roles=("teacher", "college_admin", "lab_safety_officer"),
        ),
        MenuEntry(_("Purchase rounds"), "chemicals:purchase_rounds", "bi-calendar-range", feature="chemicals.rounds"),
        MenuEntry(
            _("Police filings"), "chemicals:purchase_police_filings", "bi-shield-check", feature="chemicals.rounds"
        ),
        MenuEntry(
            _("Purchases to stock in"), "chemicals:purchase_stock_in_queue", "bi-truck", feature="chemicals.centre"
        ),
        MenuEntry(
            _("Purchase payments to confirm"), "chemicals:purchase_payments", "bi-cash-coin", feature="chemicals.centre"
        ),
        # ==== chemicals area: requisition ====
        MenuEntry(_("Requisitions"), "chemicals:requisition_list", "bi-box-arrow-in-down", feature="chemicals.view"),
        MenuEntry(
            _("Requisitions to review"),
            "chemicals:requisition_review_queue",
            "bi-clipboard-check",
            roles=("teacher", "college_admin", "lab_safety_officer"),
        ),
        MenuEntry(
            _("Requisitions: centre's work"),
            "chemicals:requisition_centre",
            "bi-box-arrow-up",
            feature="chemicals.centre",
        ),
        # ==== chemicals area: ledger ====
        MenuEntry(_("My lab's packages"), "chemicals:ledger_home", "bi-eyedropper", feature="chemicals.view"),
        MenuEntry(_("Chemical ledger"), "chemicals:ledger_entries", "bi-journal-check", feature="chemicals.view"),
        MenuEntry(_("Ledgers to review"), "chemicals:ledger_reviews", "bi-clipboard-check", roles=("teacher",)),
        # ==== chemicals area: waste ====
        MenuEntry(_("Register waste"), "chemicals:waste_register", "bi-recycle", feature="chemicals.ledger"),
        MenuEntry(_("Waste registrations"), "chemicals:waste_registrations", "bi-trash3", feature="chemicals.ledger"),
        MenuEntry(
            _("Waste collections"),
            "chemicals:waste_collections",
            "bi-truck",
            roles=("enterprise_admin", "lab_safety_officer", "centre_staff", "college_admin"),
            feature="chemicals.view",
        ),
        MenuEntry(_("Waste routes"), "chemicals:waste_routes", "bi-sign-turn-right", feature="chemicals.catalogue"),
        MenuEntry(_("Waste barrels"), "chemicals:waste_barrels", "bi-bucket", feature="chemicals.view"),
        MenuEntry(_("Waste figures"), "chemicals:waste_figures", "bi-pie-chart", feature="chemicals.figures"),
        # ==== chemicals area: termination ====
        # ==== chemicals area: majorhazards ====
        MenuEntry(
            _("Major hazard sources"), "chemicals:major_hazard_list", "bi-radioactive", feature="major_hazards.manage"
        ),
        # ==== chemicals area: figures ====
        MenuEntry(_("Chemical figures"), "chemicals:figures", "bi-bar-chart-steps", feature="chemicals.figures"),
        *COMMON,
        MenuEntry(_("Operation log"), "approvals:operation_log", "bi-journal-text", roles=("enterprise_admin",)),
    ],
    "admin": [
        MenuEntry(_("Administration"), "admin:index", "bi-gear"),
        MenuEntry(_("Operation log"), "approvals:operation_log", "bi-journal-text"),
    ],
    "none": [],
}


def menu_for(actor) -> list[MenuEntry]:
    entries = MENUS.get(actor.side, [])
    return [e for e in entries if (not e.roles or actor.role in e.roles) and (not e.feature or actor.can(e.feature))]
