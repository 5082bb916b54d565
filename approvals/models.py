from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safety.tenancy import TenantManager


class Node(models.TextChoices):
    """Where in a review chain a decision was taken (审核节点)."""

    APPLICANT = "applicant", _("Applicant")
    ENTERPRISE = "enterprise", _("Enterprise")
    OWNING_BODY = "owning_body", _("Owning body")
    TOWNSHIP = "township", _("Township")
    COUNTY = "county", _("County / district")
    CITY = "city", _("City")
    LAB = "lab", _("Lab")
    COLLEGE = "college", _("College")
    LAB_SAFETY_OFFICE = "lab_safety_office", _("Lab-safety office")
    SERVICE_CENTRE = "service_centre", _("Chemicals service centre")
    SUPERVISOR = "supervisor", _("Supervising teacher")


class Decision(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    RESUBMIT = "resubmit", _("Resubmitted")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    RETURN = "return", _("Returned")
    TERMINATE = "terminate", _("Terminated")
    CONFIRM = "confirm", _("Confirmed")
    CANCEL = "cancel", _("Cancelled")
    PAY = "pay", _("Paid")
    STOCK = "stock", _("Stocked")
    ISSUE = "issue", _("Issued")


class ReviewRecord(models.Model):
    """审核记录: one row per decision on any subject, human or system. Never edited."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.CASCADE, related_name="+", verbose_name=_("enterprise")
    )
    subject_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    node = models.CharField(_("node"), max_length=30, choices=Node.choices)
    node_name = models.CharField(_("reviewing unit"), max_length=100, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    # Kept as written at the time: names change, records do not. Empty reviewer = the system.
    reviewer_name = models.CharField(_("reviewer name"), max_length=100, blank=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("reason / opinion"), blank=True)
    from_state = models.CharField(_("from status"), max_length=40, blank=True)
    to_state = models.CharField(_("to status"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("review record")
        verbose_name_plural = _("review records")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_node_display()} {self.get_decision_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_system(self) -> bool:
        return self.reviewer_id is None and not self.reviewer_name


class Notification(models.Model):
    """An in-app notification; other channels (e-mail, webhooks) are deliveries of it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class NotificationDelivery(models.Model):
    """One notification sent through one external channel; the sweep retries failed ones."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    MAX_ATTEMPTS = 5

    notification = models.ForeignKey(Notification, models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        indexes = [
            models.Index(fields=["updated_at"], name="delivery_pending", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class OperationLog(models.Model):
    """系统日志: who did what, when, from where. Written by services and auth signals; never edited."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        TRANSITION = "transition", _("Status changed")
        PASSWORD = "password", _("Password changed")
        EXPORT = "export", _("Exported")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    # The tenant the action concerns (if any), and the body the actor acted for (if a government user).
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    body = models.ForeignKey(
        "enterprises.SupervisoryBody",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supervisory body"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["enterprise", "-created_at"]),
            models.Index(fields=["body", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.object_repr}"
