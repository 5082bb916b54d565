"""The operation log (系统日志): what is written, who may read which rows, filters and the Excel export."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from approvals import audit
from approvals.models import OperationLog
from safety.actors import Actor
from safety.tenancy import scopes_disabled

from .factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory's password


def entries(action: str, **filters) -> list[OperationLog]:
    return list(OperationLog.objects.filter(action=action, **filters).order_by("pk"))


# -------------------------------------------------------------------------------------- auth entries with IP


XFF = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"}


@pytest.mark.parametrize(
    "who, meta, behind_proxy, ip, org",
    [
        ("alice", {"REMOTE_ADDR": "192.0.2.10"}, False, "192.0.2.10", ("acme", None)),
        ("gov_alice", {"REMOTE_ADDR": "2001:db8::5"}, False, "2001:db8::5", (None, "nancheng_office")),
        # Behind the production proxy the first forwarded hop is the client ...
        ("bob", XFF, True, "203.0.113.7", ("acme", None)),
        # ... without one, a client-sent X-Forwarded-For is a spoof and is ignored.
        ("bob", XFF, False, "10.0.0.1", ("acme", None)),
    ],
)
def test_login_and_logout_are_logged_with_ip(world, client, settings, who, meta, behind_proxy, ip, org):
    settings.USE_X_FORWARDED_FOR = behind_proxy
    user = getattr(world, who).user
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, **meta)
    assert response.status_code == 302
    [login] = entries(OperationLog.Action.LOGIN, user=user)
    enterprise = getattr(world, org[0]) if org[0] else None
    body = getattr(world, org[1]) if org[1] else None
    assert (login.username, login.ip, login.enterprise, login.body) == (user.username, ip, enterprise, body)

    response = client.post("/accounts/logout/", **meta)
    assert response.status_code == 302
    [logout] = entries(OperationLog.Action.LOGOUT, user=user)
    assert (logout.ip, logout.enterprise, logout.body) == (ip, enterprise, body)


@pytest.mark.parametrize(
    ("username", "password", "known"),
    [("alice", "wrong-password", True), ("nobody-here", "whatever-123", False)],
)
def test_failed_login_is_logged_with_ip_and_the_accounts_tenant(world, client, username, password, known):
    response = client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200  # the form again, with an error
    [failed] = entries(OperationLog.Action.LOGIN_FAILED)
    assert failed.username == username
    assert failed.ip == "198.51.100.4"
    # An attack on a known account shows in its enterprise's log; an unknown name belongs to no tenant.
    assert failed.user == (world.alice.user if known else None)
    assert failed.enterprise == (world.acme if known else None)
    assert not entries(OperationLog.Action.LOGIN)


def test_password_change_is_logged(world, login):
    client = login(world.alice)
    new = "N3w-Passw0rd-xyz"
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    world.alice.user.refresh_from_db()
    assert world.alice.user.check_password(new)


# ------------------------------------------------------------------------------------------- who reads what


@pytest.fixture
def seeded(world):
    """One entry per organisation, written as each organisation's own people would."""
    with scopes_disabled():
        rows = {
            "acme": audit.log_operation(actor=world.actor("alice"), action=OperationLog.Action.UPDATE, obj=world.acme),
            "acme_by_gov": audit.log_operation(
                actor=world.actor("gov_alice"), action=OperationLog.Action.TRANSITION, obj=world.acme
            ),
            "other": audit.log_operation(actor=Actor.SYSTEM, action=OperationLog.Action.UPDATE, obj=world.other),
            "far": audit.log_operation(actor=world.actor("charlie"), action=OperationLog.Action.UPDATE, obj=world.far),
            # Body-only rows (a government user's own actions, e.g. logging in).
            "nancheng_body": audit.log_operation(actor=world.actor("gov_bob"), action=OperationLog.Action.LOGIN),
            "city_body": audit.log_operation(actor=world.actor("city_reviewer"), action=OperationLog.Action.LOGIN),
            "guiyang_body": audit.log_operation(actor=world.actor("gov_charlie"), action=OperationLog.Action.LOGIN),
            # Nobody's: a failed login by an unknown name.
            "anonymous": audit.log_operation(actor=None, action=OperationLog.Action.LOGIN_FAILED, detail="mallory"),
        }
    return rows


def visible_keys(response, seeded) -> set[str]:
    ids = {row.record.pk for row in response.context["table"].rows}
    return {key for key, entry in seeded.items() if entry.pk in ids}


@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", {"acme", "acme_by_gov"}),
        ("charlie", {"far"}),
        ("gov_alice", {"acme", "acme_by_gov", "nancheng_body"}),
        ("gov_bob", {"acme", "acme_by_gov", "nancheng_body"}),
        ("city_reviewer", {"acme", "acme_by_gov", "other", "nancheng_body", "city_body"}),
        ("gov_charlie", {"far", "guiyang_body"}),
    ],
)
def test_log_shows_only_the_actors_rows(world, login, seeded, who, expected):
    response = login(getattr(world, who)).get("/log/")
    assert response.status_code == 200
    assert visible_keys(response, seeded) == expected


def test_platform_admin_sees_every_row(world, client, seeded):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get("/log/")
    assert response.status_code == 200
    assert visible_keys(response, seeded) == set(seeded)


@pytest.mark.parametrize("who", ["bob", "staff_of_far", "no_membership"])
def test_log_is_forbidden_to_others(world, login, client, seeded, who):
    from enterprises.models import Membership

    from .factories import MembershipFactory

    if who == "bob":
        c = login(world.bob)
    elif who == "staff_of_far":
        c = login(MembershipFactory(enterprise=world.far, role=Membership.Role.SAFETY_MANAGER))
    else:
        client.force_login(UserFactory())
        c = client
    assert c.get("/log/").status_code == 403
    assert c.get("/log/?export=xlsx").status_code == 403


def test_log_needs_login(db, client):
    response = client.get("/log/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --------------------------------------------------------------------------------------------------- filters


@pytest.fixture
def history(world):
    """acme's entries on three days, by two people."""
    rows = []
    with scopes_disabled():
        for i, (day, who, action) in enumerate(
            [
                (1, "alice", OperationLog.Action.UPDATE),
                (2, "bob", OperationLog.Action.UPDATE),
                (2, "alice", OperationLog.Action.DELETE),
                (3, "alice", OperationLog.Action.UPDATE),
                (3, "bob", OperationLog.Action.CREATE),
            ]
        ):
            # Early morning local time is the previous day in UTC: the date filters must use the local date.
            at = datetime(2025, 6, day, 7, 30 + i, tzinfo=SHANGHAI)
            with time_machine.travel(at, tick=False):
                rows.append(audit.log_operation(actor=world.actor(who), action=action, obj=world.acme))
    return rows


def local_date(entry: OperationLog) -> date:
    return timezone.localtime(entry.created_at).date()


JUNE = {d: date(2025, 6, d) for d in (1, 2, 3)}
FILTERS = [
    ("", lambda x: True),
    ("username=alice", lambda x: x.username == "alice"),
    ("username=ALICE", lambda x: x.username == "alice"),
    ("action=update", lambda x: x.action == "update"),
    ("action=login", lambda x: x.action == "login"),
    ("username=bob&action=update", lambda x: x.username == "bob" and x.action == "update"),
    ("since=2025-06-02", lambda x: local_date(x) >= JUNE[2]),
    ("until=2025-06-01", lambda x: local_date(x) <= JUNE[1]),
    ("since=2025-06-02&until=2025-06-02", lambda x: local_date(x) == JUNE[2]),
    ("username=nobody", lambda x: False),
]


def acme_rows_now(world) -> list[OperationLog]:
    """Everything alice may see at this moment, newest first (her own log-in included)."""
    return list(OperationLog.objects.filter(enterprise=world.acme).order_by("-created_at", "-pk"))


@pytest.mark.parametrize("query, keep", FILTERS, ids=[q or "none" for q, _ in FILTERS])
def test_filters(world, login, history, query, keep):
    client = login(world.alice)
    wanted = [x.pk for x in acme_rows_now(world) if keep(x)]
    response = client.get(f"/log/?{query}")
    assert response.status_code == 200
    shown = [row.record.pk for row in response.context["table"].rows]
    assert shown == wanted
    if query.startswith("since") or query.startswith("until"):
        # The test discriminates: every entry's UTC date is the day before its local date.
        assert all(x.created_at.astimezone(UTC).date() == local_date(x) - timedelta(days=1) for x in history)


# ---------------------------------------------------------------------------------------------------- export


def read_xlsx(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    width = ws.max_column
    return [tuple(row) for row in ws.iter_rows(values_only=True, max_col=width)]


@pytest.mark.parametrize("query, keep", FILTERS, ids=[q or "none" for q, _ in FILTERS])
def test_export_matches_the_filtered_rows(world, login, history, query, keep):
    client = login(world.alice)
    shown = [x for x in acme_rows_now(world) if keep(x)]

    response = client.get(f"/log/?{query}&export=xlsx" if query else "/log/?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and ".xlsx" in disposition

    header, *rows = read_xlsx(response)
    assert len(header) == 8
    # The export's own log entry is written before the rows are read: an unfiltered export lists it first.
    own = [r for r in rows if r[2] == OperationLog.Action.EXPORT.label]
    data = [r for r in rows if r not in own]
    assert len(own) <= 1
    assert len(data) == len(shown)
    for row, entry in zip(data, shown, strict=True):
        when, username, action, object_type, obj, enterprise, detail, ip = row
        assert isinstance(when, datetime), "times are Excel dates, not text"
        local = timezone.localtime(entry.created_at).replace(tzinfo=None)
        assert abs(when - local) < timedelta(milliseconds=1), "times are the local wall-clock time shown on screen"
        assert username == entry.username
        assert action == entry.get_action_display()
        assert (obj or "") == entry.object_repr
        assert enterprise == world.acme.name
        assert (detail or "") == entry.detail
        assert ip == entry.ip


def test_exports_are_logged_and_visible_to_the_exporters_tenant(world, login, history):
    client = login(world.alice)
    response = client.get("/log/?username=bob&export=xlsx", REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [export] = entries(OperationLog.Action.EXPORT)
    assert export.user == world.alice.user
    assert export.ip == "192.0.2.44"
    assert "username=bob" in export.detail
    assert export.enterprise == world.acme
    # The admin finds it in its own log, and outsiders do not.
    mine = client.get("/log/?action=export")
    assert [row.record.pk for row in mine.context["table"].rows] == [export.pk]
    theirs = login(world.charlie).get("/log/?action=export")
    assert list(theirs.context["table"].rows) == []


def test_government_exports_are_logged_for_the_body(world, login, history):
    client = login(world.gov_alice)
    b"".join(client.get("/log/?export=xlsx").streaming_content)
    [export] = entries(OperationLog.Action.EXPORT)
    assert (export.user, export.body) == (world.gov_alice.user, world.nancheng_office)
    seen_by_city = login(world.city_reviewer).get("/log/?action=export")
    assert [row.record.pk for row in seen_by_city.context["table"].rows] == [export.pk]
    seen_by_guiyang = login(world.gov_charlie).get("/log/?action=export")
    assert list(seen_by_guiyang.context["table"].rows) == []
