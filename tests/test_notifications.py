"""Notifications: in-app rows, external deliveries (e-mail, group-robot webhook), retries, and the pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from approvals import channels
from approvals.models import Notification, NotificationDelivery
from approvals.notify import notify
from approvals.tasks import SWEEP_GRACE, deliver_notifications, deliver_pending_notifications

from .factories import UserFactory

EMAIL = "approvals.channels.EmailChannel"
WEBHOOK = "approvals.channels.WebhookChannel"
HOOK_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-key"


@pytest.fixture(autouse=True)
def fresh_channels():
    channels._channel.cache_clear()
    yield
    channels._channel.cache_clear()


@pytest.fixture
def both_channels(settings):
    settings.NOTIFICATION_CHANNELS = [EMAIL, WEBHOOK]
    settings.NOTIFICATION_WEBHOOK_URL = HOOK_URL
    return settings


class FakeResponse:
    def __init__(self, status: int = 200) -> None:
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def webhook_calls(monkeypatch):
    """Record what would be POSTed to the robot; answer with ``webhook_calls.status``."""
    calls: list = []

    def fake_urlopen(request, timeout=None):
        calls.append({"request": request, "timeout": timeout})
        return FakeResponse(fake_urlopen.status)

    fake_urlopen.status = 200
    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    return SimpleNamespace(calls=calls, set_status=lambda status: setattr(fake_urlopen, "status", status))


def deliveries_of(notification: Notification) -> dict[str, NotificationDelivery]:
    return {d.channel: d for d in notification.deliveries.all()}


def pending_ids() -> list[int]:
    return list(
        NotificationDelivery.objects.filter(status=NotificationDelivery.Status.PENDING).values_list("pk", flat=True)
    )


# --------------------------------------------------------------------------------------------------- notify()


@pytest.mark.parametrize(
    "configured, webhook_url, email, expected",
    [
        ([EMAIL], "", "a@example.com", {EMAIL}),
        ([EMAIL], "", "", set()),
        ([EMAIL, WEBHOOK], "", "a@example.com", {EMAIL}),
        ([EMAIL, WEBHOOK], HOOK_URL, "a@example.com", {EMAIL, WEBHOOK}),
        ([EMAIL, WEBHOOK], HOOK_URL, "", {WEBHOOK}),
        ([WEBHOOK], HOOK_URL, "a@example.com", {WEBHOOK}),
        ([], HOOK_URL, "a@example.com", set()),
    ],
)
def test_notify_creates_rows_and_one_delivery_per_applicable_channel(
    db, settings, configured, webhook_url, email, expected
):
    settings.NOTIFICATION_CHANNELS = configured
    settings.NOTIFICATION_WEBHOOK_URL = webhook_url
    user = UserFactory(email=email)
    [n] = notify(recipients=[user], title="新的注册申请", body="请审核", url="/gov/registration/1/")
    n = Notification.objects.get(pk=n.pk)
    assert (n.recipient, n.title, n.body, n.url, n.read_at) == (
        user,
        "新的注册申请",
        "请审核",
        "/gov/registration/1/",
        None,
    )
    deliveries = deliveries_of(n)
    assert set(deliveries) == expected
    assert all(d.status == NotificationDelivery.Status.PENDING and d.attempts == 0 for d in deliveries.values())


@pytest.mark.parametrize(
    "recipients, expected",
    [
        (lambda a, b: [a, b], 2),
        (lambda a, b: [a, a, b, a], 2),  # one notification per person
        (lambda a, b: [None, a, None], 1),
        (lambda a, b: [], 0),
        (lambda a, b: [None], 0),
    ],
)
def test_notify_deduplicates_and_skips_nobody(db, recipients, expected):
    a, b = UserFactory(), UserFactory()
    created = notify(recipients=recipients(a, b), title="t")
    assert len(created) == expected
    assert Notification.objects.count() == expected
    assert NotificationDelivery.objects.count() == expected  # e-mail only, everyone has an address


def test_notify_truncates_a_long_title(db):
    user = UserFactory()
    [n] = notify(recipients=[user], title="长" * 300)
    assert len(Notification.objects.get(pk=n.pk).title) == 200


def test_deliveries_are_sent_once_the_transaction_commits(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="reviewer@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [n] = notify(recipients=[user], title="注册待审核", body="阿克米化工", url="/gov/registration/7/")
    assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task is enqueued (eager in tests)
    assert len(mail.outbox) == 1
    assert deliveries_of(n)[EMAIL].status == NotificationDelivery.Status.SENT


def test_a_rolled_back_decision_sends_nothing(db, django_capture_on_commit_callbacks):
    from django.db import transaction

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify(recipients=[user], title="会回滚")
                raise RuntimeError("decision failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.filter(title="会回滚").exists()


# ------------------------------------------------------------------------------------------------- delivery


def test_deliver_notifications_sends_mail_and_marks_sent(db):
    user = UserFactory(email="gov@example.com", full_name="审核员甲")
    [n] = notify(recipients=[user], title="注册待审核", body="请尽快审核", url="/gov/registration/3/")
    sent = deliver_notifications(pending_ids())
    assert sent == 1
    [message] = mail.outbox
    assert message.to == ["gov@example.com"]
    assert message.subject == "注册待审核"
    assert "请尽快审核" in message.body and "/gov/registration/3/" in message.body
    d = deliveries_of(n)[EMAIL]
    assert (d.status, d.attempts, d.last_error) == (NotificationDelivery.Status.SENT, 1, "")
    # Running it again for the same ids sends nothing more.
    assert deliver_notifications([d.pk]) == 0
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("n_users", [1, 3])
def test_sweep_twice_sends_nothing_more(db, n_users):
    users = [UserFactory() for _ in range(n_users)]
    notify(recipients=users, title="清扫测试")
    # Fresh rows are left to the task enqueued on commit.
    assert deliver_pending_notifications() == 0
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + SWEEP_GRACE + timedelta(seconds=5), tick=False):
        assert deliver_pending_notifications() == n_users
        assert len(mail.outbox) == n_users
        assert deliver_pending_notifications() == 0
    with time_machine.travel(timezone.now() + SWEEP_GRACE * 10, tick=False):
        assert deliver_pending_notifications() == 0
    assert len(mail.outbox) == n_users
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {NotificationDelivery.Status.SENT}


def test_failing_channel_is_retried_then_fails(db, monkeypatch):
    def broken_send(self, notification):
        raise ConnectionRefusedError("SMTP server refused the connection")

    monkeypatch.setattr(channels.EmailChannel, "send", broken_send)
    user = UserFactory()
    [n] = notify(recipients=[user], title="重试测试")
    [pk] = pending_ids()
    for attempt in range(1, NotificationDelivery.MAX_ATTEMPTS + 1):
        assert deliver_notifications([pk]) == 0
        d = NotificationDelivery.objects.get(pk=pk)
        assert d.attempts == attempt
        assert "refused" in d.last_error
        expected = (
            NotificationDelivery.Status.FAILED
            if attempt == NotificationDelivery.MAX_ATTEMPTS
            else NotificationDelivery.Status.PENDING
        )
        assert d.status == expected
    # A failed delivery is left alone from then on.
    deliver_notifications([pk])
    assert NotificationDelivery.objects.get(pk=pk).attempts == NotificationDelivery.MAX_ATTEMPTS
    assert mail.outbox == []
    assert Notification.objects.filter(pk=n.pk).exists()  # the in-app notification stays


def test_sweep_retries_a_flaky_channel_spaced_by_the_grace_period(db, monkeypatch):
    failures = {"left": 2}
    real_send = channels.EmailChannel.send

    def flaky_send(self, notification):
        if failures["left"]:
            failures["left"] -= 1
            raise TimeoutError("smtp timeout")
        return real_send(self, notification)

    monkeypatch.setattr(channels.EmailChannel, "send", flaky_send)
    notify(recipients=[UserFactory()], title="间歇故障")
    start = timezone.now()
    results, attempts = [], []
    # A failed row is touched, so the next sweep leaves it alone until the grace period has passed again.
    for offset in (2, 2.5, 4, 4.5, 6, 8):
        with time_machine.travel(start + timedelta(minutes=offset), tick=False):
            results.append(deliver_pending_notifications())
            attempts.append(NotificationDelivery.objects.get().attempts)
    assert results == [0, 0, 0, 0, 1, 0]
    assert attempts == [1, 1, 2, 2, 3, 3]
    d = NotificationDelivery.objects.get()
    assert (d.status, d.last_error) == (NotificationDelivery.Status.SENT, "")
    assert len(mail.outbox) == 1


def test_one_failing_channel_does_not_stop_the_others(db, both_channels, webhook_calls, monkeypatch):
    monkeypatch.setattr(channels.EmailChannel, "send", lambda self, n: (_ for _ in ()).throw(OSError("down")))
    [n] = notify(recipients=[UserFactory()], title="部分故障")
    assert deliver_notifications(pending_ids()) == 1
    deliveries = deliveries_of(n)
    assert deliveries[WEBHOOK].status == NotificationDelivery.Status.SENT
    assert deliveries[EMAIL].status == NotificationDelivery.Status.PENDING
    assert deliveries[EMAIL].attempts == 1
    assert len(webhook_calls.calls) == 1


# -------------------------------------------------------------------------------------------------- webhook


@pytest.mark.parametrize(
    "full_name, title, body, content",
    [
        ("王审核", "新的注册申请：阿克米化工", "请审核", "[王审核] 新的注册申请：阿克米化工\n请审核"),
        ("王审核", "注册已通过", "", "[王审核] 注册已通过"),
        ("", "Notice", "Body text", "[{username}] Notice\nBody text"),
    ],
)
def test_webhook_posts_the_robot_text_shape(db, both_channels, webhook_calls, full_name, title, body, content):
    user = UserFactory(full_name=full_name, email="")
    notify(recipients=[user], title=title, body=body)
    assert deliver_notifications(pending_ids()) == 1
    [call] = webhook_calls.calls
    request = call["request"]
    assert request.full_url == HOOK_URL
    assert request.get_method() == "POST"
    assert request.get_header("Content-type") == "application/json"
    assert call["timeout"] == channels.WebhookChannel.timeout
    payload = json.loads(request.data.decode("utf-8"))
    assert payload == {"msgtype": "text", "text": {"content": content.format(username=user.username)}}
    # Chinese is sent as UTF-8, not \\u escapes (the robots display either, but it keeps payloads small).
    if full_name:
        assert full_name.encode() in request.data
    assert mail.outbox == []  # no address, no e-mail


@pytest.mark.parametrize("status", [300, 404, 500])
def test_webhook_error_status_is_a_failure(db, both_channels, webhook_calls, status):
    webhook_calls.set_status(status)
    [n] = notify(recipients=[UserFactory(email="")], title="机器人故障")
    assert deliver_notifications(pending_ids()) == 0
    d = deliveries_of(n)[WEBHOOK]
    assert d.status == NotificationDelivery.Status.PENDING
    assert d.attempts == 1
    assert str(status) in d.last_error


def test_webhook_not_configured_creates_no_webhook_delivery(db, settings, webhook_calls):
    settings.NOTIFICATION_CHANNELS = [EMAIL, WEBHOOK]
    settings.NOTIFICATION_WEBHOOK_URL = ""
    [n] = notify(recipients=[UserFactory()], title="无机器人")
    deliver_notifications(pending_ids())
    assert set(deliveries_of(n)) == {EMAIL}
    assert webhook_calls.calls == []


# ---------------------------------------------------------------------------------------------------- pages


def unread_badge(html: str) -> int | None:
    m = re.search(r'data-testid="unread-count">(\d+)<', html)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("n_unread", [1, 3])
def test_unread_count_shows_in_the_top_bar(world, login, n_unread):
    for i in range(n_unread):
        notify(recipients=[world.alice.user], title=f"未读{i}")
    read = notify(recipients=[world.alice.user], title="已读")[0]
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notify(recipients=[world.bob.user], title="别人的")
    client = login(world.alice)
    html = client.get("/notifications/").content.decode()
    assert unread_badge(html) == n_unread


def test_no_badge_without_unread_notifications(world, login):
    client = login(world.bob)
    html = client.get("/notifications/").content.decode()
    assert unread_badge(html) is None
    assert 'data-testid="notifications-link"' in html


def test_notifications_page_lists_only_ones_own(world, login):
    notify(recipients=[world.alice.user], title="给alice的通知")
    notify(recipients=[world.charlie.user], title="给charlie的通知")
    html = login(world.alice).get("/notifications/").content.decode()
    assert "给alice的通知" in html
    assert "给charlie的通知" not in html
    assert html.count('data-testid="notification"') == 1


@pytest.mark.parametrize(
    "url, redirect_to",
    [("/gov/registration/5/", "/gov/registration/5/"), ("", "/notifications/")],
)
def test_opening_a_notification_marks_it_read_and_follows_its_link(world, login, url, redirect_to):
    [n] = notify(recipients=[world.gov_alice.user], title="打开我", url=url)
    client = login(world.gov_alice)
    assert unread_badge(client.get("/notifications/").content.decode()) == 1
    response = client.post(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302
    assert response.url == redirect_to
    n.refresh_from_db()
    assert n.read_at is not None
    first_read = n.read_at
    # Opening again keeps the first reading time.
    client.post(f"/notifications/{n.pk}/open/")
    n.refresh_from_db()
    assert n.read_at == first_read
    assert unread_badge(client.get("/notifications/").content.decode()) is None


@pytest.mark.parametrize("owner", ["bob", "charlie", "gov_alice"])
def test_opening_another_users_notification_is_404(world, login, owner):
    [n] = notify(recipients=[getattr(world, owner).user], title="不是你的", url="/secret/")
    response = login(world.alice).post(f"/notifications/{n.pk}/open/")
    assert response.status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_opening_needs_post(world, login):
    [n] = notify(recipients=[world.alice.user], title="GET不行")
    response = login(world.alice).get(f"/notifications/{n.pk}/open/")
    assert response.status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_touches_only_ones_own(world, login):
    mine = notify(recipients=[world.alice.user], title="a1") + notify(recipients=[world.alice.user], title="a2")
    [theirs] = notify(recipients=[world.bob.user], title="b1")
    response = login(world.alice).post("/notifications/read-all/")
    assert response.status_code == 302
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_pages_need_login(db, client):
    for url in ("/notifications/",):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_the_inbox_badge_counts_at_most_the_cap(world, monkeypatch):
    # Every page shows the badge: it counts up to BADGE_CAP rows per provider, never a whole table.
    from approvals import inbox
    from enterprises.models import Enterprise

    def provider(n):
        return inbox.InboxProvider(
            key=f"test_{n}",
            title="t",
            queryset=lambda actor: Enterprise.unscoped.all()[:0] if n == 0 else Enterprise.unscoped.all(),
            item=lambda e: inbox.InboxItem(title=e.name, url=""),
        )

    monkeypatch.setattr(inbox, "_providers", {"a": provider(1)})
    actor = world.actor("alice")
    assert inbox.inbox_count(actor) == 3  # acme, other, far
    monkeypatch.setattr(inbox, "BADGE_CAP", 2)
    assert inbox.inbox_count(actor) == 2
    monkeypatch.setattr(inbox, "_providers", {"a": provider(1), "b": provider(1)})
    monkeypatch.setattr(inbox, "BADGE_CAP", 5)
    assert inbox.inbox_count(actor) == 5  # 3 + 3, capped
