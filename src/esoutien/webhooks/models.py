"""Webhook endpoints of operators and the delivery outbox.

This layer knows no tickets: an event is a type name and a JSON payload built by whoever
raises it (tickets/notifications.py). A delivery is a row first, written in the transaction
of the change that causes it; the worker sends it (webhooks/outbox.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """The events an endpoint may subscribe to (the public contract: docs/webhooks.md)."""

    TICKET_CREATED = "ticket.created", _("Ticket filed")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    TICKET_COMMENTED = "ticket.commented", _("New message on a ticket")
    TICKET_RESOLVED = "ticket.resolved", _("Ticket resolved")


class PayloadFormat(models.TextChoices):
    """How deliveries to an endpoint are shaped (outbox.FORMATTERS rewrites the native one)."""

    NATIVE = "native", _("e-soutien")
    TMF621 = "tmf621", _("TMF621 (TM Forum hub listener)")


class WebhookEndpoint(models.Model):
    """An operator's HTTPS receiver for the events of its tickets.

    ``secret`` signs every request (HMAC-SHA256). It is stored in clear because signing needs
    it; it is shown to the manager once, at creation, and never again by the portal or the
    API (docs/webhooks.md).
    """

    operator = models.ForeignKey(
        "accounts.Operator",
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100)
    event_types = models.JSONField(
        _("events"), default=list, help_text=_("The event types sent to this endpoint.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    payload_format = models.CharField(
        _("payload format"),
        max_length=10,
        choices=PayloadFormat.choices,
        default=PayloadFormat.NATIVE,
        help_text=_("tmf621: registered through the TMF621 hub, sent TMF621 events."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["operator", "is_active"], name="webhook_operator_active")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to recognise it, not to use it."""
        return f"{self.secret[:10]}…" if self.secret else ""

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.event_types or [])


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until the receiver answers 2xx, or for 24 hours."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    retry_until = models.DateTimeField(
        _("retried until"), help_text=_("After this time a failing delivery is marked failed.")
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_response = models.TextField(
        _("last response"), blank=True, help_text=_("The first 2 kB of the receiver's answer.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
