"""The outbox: every e-mail is a row first, written with the change that causes it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent")
    BOUNCED = "bounced", _("Bounced")


class OutboundEmail(models.Model):
    thread_key = models.CharField(
        _("thread"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Groups the messages of one conversation, e.g. a ticket reference."),
    )
    kind = models.CharField(_("kind"), max_length=40)
    to = models.TextField(_("recipients"), help_text=_("One address per line."))
    subject = models.CharField(_("subject"), max_length=300)
    text_body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=5, default="fr")
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    reply_to = models.CharField(_("Reply-To"), max_length=255, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipients_display} ({self.status})"

    @property
    def recipients(self) -> list[str]:
        return [a for a in self.to.splitlines() if a.strip()]

    @property
    def recipients_display(self) -> str:
        return ", ".join(self.recipients)


class InboundStatus(models.TextChoices):
    STORED = "stored", _("Received")
    DUPLICATE = "duplicate", _("Duplicate")
    ROUTED = "routed", _("Added to a ticket")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Ignored")
    DISCARDED = "discarded", _("Discarded")
    FAILED = "failed", _("Processing failed")


class InboundEmail(models.Model):
    """A received message, stored raw before anything else happens to it."""

    raw = models.BinaryField(_("raw message"))
    sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    envelope_sender = models.CharField(_("envelope sender"), max_length=320, blank=True)
    envelope_recipients = models.TextField(_("envelope recipients"), blank=True)
    transport = models.CharField(_("transport"), max_length=20)  # smtp, lmtp, pipe, imap
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InboundStatus.choices,
        default=InboundStatus.STORED,
        db_index=True,
    )
    reason = models.CharField(_("reason"), max_length=60, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    thread_key = models.CharField(_("ticket"), max_length=64, blank=True, db_index=True)
    parse_errors = models.JSONField(default=list, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        # One copy of each message is processed: the first; later copies (redelivery, a
        # second transport, two fetches at once) are stored as duplicates. The indexes make
        # that hold under concurrency, not a read-then-write.
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id="") & ~models.Q(status="duplicate"),
                name="inbound_one_per_message_id",
            ),
            models.UniqueConstraint(
                fields=["sha256"],
                condition=models.Q(message_id="") & ~models.Q(status="duplicate"),
                name="inbound_one_per_sha256",
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status_received")]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.sender} {self.subject[:40]}"
