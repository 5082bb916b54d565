"""University lab users' first login: a teacher without a completed profile, and a student whose account
awaits activation, are sent to /lab/profile/ from whatever page they ask for.

A middleware rather than a check in the home view: "any page" includes every later app's pages, bookmarks
and notification links, and no view has to remember a decorator. It runs after ``ActorMiddleware`` and reads
only the memberships that middleware already loaded, so it costs no query.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .selectors import lab_membership_needing_profile

# Pages a user who still owes the profile may open: the profile and its htmx helpers, leaving (log out,
# password, language, switching to another organisation) and the user's own notifications.
ALLOWED_VIEWS = frozenset(
    {
        "enterprises:lab_profile",
        "enterprises:lab_profile_labs",
        "enterprises:lab_profile_supervisors",
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "set_language",
        "switch_organisation",
        "healthz",
        "approvals:notifications",
        "approvals:notification_open",
        "approvals:notifications_read_all",
    }
)
ALLOWED_NAMESPACES = frozenset({"admin"})  # Django admin checks its own permissions (staff only)


class LabProfileMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        actor = getattr(request, "actor", None)
        if actor is None or not actor.is_authenticated:
            return None
        match = request.resolver_match
        if match is None or match.view_name in ALLOWED_VIEWS or ALLOWED_NAMESPACES & set(match.namespaces):
            return None
        if lab_membership_needing_profile(actor) is None:
            return None
        url = reverse("enterprises:lab_profile")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url  # htmx follows this with a full page load
            return response
        return redirect(url)
