"""What dual prevention puts in the to-do inbox."""

from __future__ import annotations

# ==== area: risk ====
# isort: split
# Risk points flagged for re-grading (a hazard found on them was closed), for those who may grade them.
from django.urls import reverse as _rk_reverse  # noqa: E402
from django.utils import translation as _rk_tr  # noqa: E402

from approvals import inbox as _rk_inbox  # noqa: E402

from . import selectors as _rk_selectors  # noqa: E402

_rk_inbox.register(
    _rk_inbox.InboxProvider(
        key="risk_points_regrade",
        title=_rk_tr.gettext_lazy("Risk points to re-grade"),
        queryset=_rk_selectors.risk_points_to_regrade,
        item=lambda p: _rk_inbox.InboxItem(
            title=p.name,
            subtitle=f"{p.place} · {p.get_level_display()}" if p.place else p.get_level_display(),
            since=p.updated_at,
            url=_rk_reverse("hazards:risk_point_regrade", args=[p.pk]),
        ),
        list_url=lambda actor: _rk_reverse("hazards:risk_point_list") + "?needs_regrading=true",
    )
)


# ==== area: lists ====
# isort: split
# Risk lists awaiting the enterprise's internal review, and those awaiting filing by the owning body.
from django.urls import reverse as _ls_reverse  # noqa: E402
from django.utils import translation as _ls_tr  # noqa: E402

from approvals import inbox as _ls_inbox  # noqa: E402

from . import selectors as _ls_selectors  # noqa: E402

_ls_inbox.register(
    _ls_inbox.InboxProvider(
        key="risk_lists_review",
        title=_ls_tr.gettext_lazy("Risk lists awaiting internal review"),
        queryset=_ls_selectors.risk_lists_awaiting_review,
        item=lambda rl: _ls_inbox.InboxItem(
            title=rl.name,
            subtitle=f"{rl.department.name} · {rl.get_level_display()}",
            since=rl.created_at,
            url=_ls_reverse("hazards:risk_list_detail", args=[rl.pk]),
        ),
        list_url=lambda actor: _ls_reverse("hazards:risk_lists") + "?status=submitted",
    )
)
_ls_inbox.register(
    _ls_inbox.InboxProvider(
        key="risk_lists_filing",
        title=_ls_tr.gettext_lazy("Risk lists awaiting filing"),
        queryset=_ls_selectors.risk_lists_awaiting_filing,
        item=lambda rl: _ls_inbox.InboxItem(
            title=f"{rl.enterprise.name} · {rl.name}",
            subtitle=rl.get_level_display(),
            since=rl.created_at,
            url=_ls_reverse("hazards:gov_risk_list_detail", args=[rl.pk]),
        ),
        list_url=lambda actor: _ls_reverse("hazards:gov_risk_lists"),
    )
)


# ==== area: hazards ====
# isort: split
# Hidden hazards: what awaits my review (enterprise side and government side), my hazards to rectify, overdue
# hazards whose one extension request is unused, delisting applications.
from django.urls import reverse  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from approvals.inbox import InboxItem, InboxProvider, register  # noqa: E402

from . import selectors  # noqa: E402


def _hz_item(hazard) -> InboxItem:
    return InboxItem(
        title=f"{hazard.number} {hazard.title}",
        subtitle=f"{hazard.enterprise.name} · {hazard.get_status_display()}",
        since=hazard.updated_at,
        url=reverse("hazards:hazard_detail", args=[hazard.pk]),
    )


def _hz_listing_item(listing) -> InboxItem:
    hazard = listing.hazard
    return InboxItem(
        title=f"{hazard.number} {hazard.title}",
        subtitle=listing.get_status_display(),
        since=listing.listed_at,
        url=reverse("hazards:hazard_detail", args=[hazard.pk]),
    )


def _hz_oldest_first(queryset):
    return None if queryset is None else queryset.order_by("updated_at", "pk")


register(
    InboxProvider(
        key="hazards_enterprise_review",
        title=_("Hazards awaiting your review"),
        queryset=lambda actor: _hz_oldest_first(selectors.hazards_awaiting_enterprise_review(actor)),
        item=_hz_item,
        list_url=lambda actor: reverse("hazards:hazard_list") + "?status=reported",
    )
)
register(
    InboxProvider(
        key="hazards_government_review",
        title=_("Hazards awaiting the government's review"),
        # The body's own queue; bodies above see these in the review list, not as their to-do.
        queryset=lambda actor: _hz_oldest_first(
            selectors.hazards_awaiting_government_review(actor, own_body_only=True)
        ),
        item=_hz_item,
        list_url=lambda actor: reverse("hazards:gov_hazard_reviews"),
    )
)
register(
    InboxProvider(
        key="hazards_delisting",
        title=_("Applications for delisting supervised hazards"),
        queryset=lambda actor: selectors.delistings_awaiting_decision(actor, own_body_only=True),
        item=_hz_listing_item,
    )
)
register(
    InboxProvider(
        key="hazards_to_rectify",
        title=_("Hazards you are responsible for rectifying"),
        queryset=lambda actor: _hz_oldest_first(selectors.hazards_to_rectify_by(actor)),
        item=_hz_item,
        list_url=lambda actor: reverse("hazards:hazard_list"),
    )
)
register(
    InboxProvider(
        key="hazards_overdue_extendable",
        title=_("Overdue hazards: an extension may still be requested once"),
        queryset=lambda actor: _hz_oldest_first(selectors.hazards_overdue_extendable(actor)),
        item=_hz_item,
        list_url=lambda actor: reverse("hazards:hazard_list") + "?status=overdue",
    )
)


# ==== area: supervision ====
