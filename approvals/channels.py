"""Notification channels besides the in-app list.

A channel is enabled in settings.NOTIFICATION_CHANNELS by dotted path. ``send`` raises on failure; the
delivery is then retried by the sweep (approvals.tasks) up to NotificationDelivery.MAX_ATTEMPTS times.
"""

from __future__ import annotations

import json
import urllib.request
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from .models import Notification


def absolute_url(url: str) -> str:
    """Links in e-mails and webhooks leave the site: make them absolute with settings.SITE_URL."""
    if not url or "://" in url:
        return url
    return f"{settings.SITE_URL}{url if url.startswith('/') else '/' + url}"


class Channel:
    """Interface: subclass, set ``name``, implement ``applies_to`` and ``send``."""

    name = "base"

    def applies_to(self, notification: Notification) -> bool:
        return True

    def send(self, notification: Notification) -> None:
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def applies_to(self, notification: Notification) -> bool:
        return bool(notification.recipient.email)

    def send(self, notification: Notification) -> None:
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{absolute_url(notification.url)}".strip()
        send_mail(notification.title, body, None, [notification.recipient.email], fail_silently=False)


class WebhookChannel(Channel):
    """A group-robot webhook. Enterprise WeChat and DingTalk robots both take this text message shape."""

    name = "webhook"
    timeout = 5

    def applies_to(self, notification: Notification) -> bool:
        return bool(settings.NOTIFICATION_WEBHOOK_URL)

    def payload(self, notification: Notification) -> dict:
        who = notification.recipient.display_name
        link = f"\n{absolute_url(notification.url)}" if notification.url else ""
        return {
            "msgtype": "text",
            "text": {"content": f"[{who}] {notification.title}\n{notification.body}{link}".strip()},
        }

    def send(self, notification: Notification) -> None:
        request = urllib.request.Request(
            settings.NOTIFICATION_WEBHOOK_URL,
            data=json.dumps(self.payload(notification), ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
            if response.status >= 300:
                raise RuntimeError(f"webhook answered {response.status}")


@cache
def _channel(path: str) -> Channel:
    return import_string(path)()


def configured_channels() -> list[tuple[str, Channel]]:
    return [(path, _channel(path)) for path in settings.NOTIFICATION_CHANNELS]


def channel_for(path: str) -> Channel:
    return _channel(path)
