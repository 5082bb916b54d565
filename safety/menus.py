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
        # ==== area: licences ====
        *COMMON,
        MenuEntry(_("Operation log"), "approvals:operation_log", "bi-journal-text"),
    ],
    "enterprise": [
        MenuEntry(_("Home"), "home", "bi-house"),
        # ==== area: profile ====
        # ==== area: organisation ====
        # ==== area: licences ====
        *COMMON,
        MenuEntry(_("Operation log"), "approvals:operation_log", "bi-journal-text", roles=("enterprise_admin",)),
    ],
    "university": [
        MenuEntry(_("Home"), "home", "bi-mortarboard"),
        # ==== area: profile ====
        # ==== area: organisation ====
        # ==== area: licences ====
        # ==== area: university ====
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
