"""Tickets, their append-only timeline, attachments and resolution reports."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from esoutien.core.models import AppendOnlyModel
from esoutien.core.storage import get_private_storage
from esoutien.tickets.states import FINAL_STATUSES, OPEN_STATUSES, Status

REFERENCE_RE = r"^ES-\d{4}-\d{6}$"
line_reference_validator = RegexValidator(
    r"^[A-Z]{2}-[A-Z0-9]{4}-[A-Z0-9]{4}$",
    _(
        "A line reference (PTO) looks like OO-XXXX-XXXX: two letters, then two groups of four "
        "letters or digits."
    ),
)


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Malfunction")
    REQUEST = "request", _("Support request")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class Source(models.TextChoices):
    """Where a ticket came from; hotline tickets need qualifying by staff."""

    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    DESK = "desk", _("Filed by the provider")
    HOTLINE = "hotline", _("Fallback hotline")


class ReferenceCounter(models.Model):
    """Last sequence number used per year; incremented under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class Ticket(models.Model):
    reference = models.CharField(
        _("reference"), max_length=16, unique=True, validators=[RegexValidator(REFERENCE_RE)]
    )
    operator = models.ForeignKey(
        "accounts.Operator",
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    eservice = models.ForeignKey(
        "catalogue.EService",
        verbose_name=_("e-service"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    operator_reference = models.CharField(_("your reference"), max_length=64, blank=True)
    line_reference = models.CharField(
        _("line reference (PTO)"),
        max_length=12,
        blank=True,
        validators=[line_reference_validator],
    )
    site_address = models.CharField(_("site address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.PORTAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACKNOWLEDGED
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filed_tickets",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    taken_at = models.DateTimeField(_("taken charge"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # SLA clocks (issue 6): derived from the timeline by tickets/sla.py, stored so that
    # lists sort and filter by due date with an index and reports aggregate in the database.
    sla_policy = models.ForeignKey(
        "catalogue.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_take_charge_target = models.DurationField(null=True, blank=True)
    sla_resolution_target = models.DurationField(null=True, blank=True)
    sla_take_charge_due = models.DateTimeField(_("take-charge due"), null=True, blank=True)
    sla_resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    sla_take_charge_seconds = models.PositiveIntegerField(null=True, blank=True)
    sla_resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    sla_take_charge_breached = models.BooleanField(default=False)
    sla_resolution_breached = models.BooleanField(default=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["operator", "-updated_at"], name="ticket_operator_recent"),
            models.Index(fields=["operator", "status"], name="ticket_operator_status"),
            models.Index(fields=["eservice", "status", "-updated_at"], name="ticket_queue"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            models.Index(fields=["status", "sla_resolution_due"], name="ticket_sla_due"),
            models.Index(
                fields=["eservice", "status", "sla_resolution_due"], name="ticket_queue_sla_due"
            ),
            # Lists and search at scale (issue 9; EXPLAIN in docs/performance.md): the staff
            # queue sorted by update or by deadline across e-services, and the exact-match
            # lookups of search.
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
            models.Index(fields=["sla_resolution_due", "-updated_at"], name="ticket_due"),
            models.Index(fields=["line_reference"], name="ticket_line_reference"),
            models.Index(fields=["operator_reference"], name="ticket_operator_reference"),
            # An operator's tickets newest first: the API list and the search probe.
            models.Index(fields=["operator", "-id"], name="ticket_operator_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class SlaTarget(models.TextChoices):
    TAKE_CHARGE = "take_charge", pgettext_lazy("SLA clock", "Take charge")
    RESOLUTION = "resolution", _("Resolution")


class SlaThreshold(models.TextChoices):
    WARNING = "warning", _("75 % of the target")
    BREACH = "breach", _("Target breached")


class SlaAlert(models.Model):
    """One warning per ticket, target and threshold: the unique row makes the scan idempotent."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(max_length=12, choices=SlaTarget.choices)
    threshold = models.CharField(max_length=8, choices=SlaThreshold.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "threshold"], name="sla_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.threshold}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket filed")
    STATUS = "status", _("Status change")
    COMMENT = "comment", _("Message")
    NOTE = "note", _("Internal note")
    INQUIRY = "inquiry", _("Status inquiry")
    ASSIGNMENT = "assignment", _("Assignment")
    ATTACHMENT = "attachment", _("Attachment")


class TicketEvent(AppendOnlyModel):
    """One line of a ticket's timeline. Never updated or deleted: the audit trail."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    transition = models.CharField(max_length=20, blank=True)
    from_status = models.CharField(max_length=16, blank=True, choices=Status.choices)
    to_status = models.CharField(max_length=16, blank=True, choices=Status.choices)
    public = models.BooleanField(_("visible to the operator"), default=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_timeline")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class AttachmentKind(models.TextChoices):
    FILE = "file", _("File")
    REPORT = "report", _("Resolution report")


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        TicketEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(storage=get_private_storage, upload_to="tickets/%Y/%m/", max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    kind = models.CharField(
        max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.FILE
    )
    public = models.BooleanField(_("visible to the operator"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class ResolutionReport(models.Model):
    """The compte-rendu de résolution; a reopened ticket may get several, the last counts."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="reports")
    cause = models.TextField(_("cause"))
    actions_taken = models.TextField(_("actions taken"))
    summary = models.TextField(_("resolution summary"))
    restored_at = models.DateTimeField(_("service restored at"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    pdf = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("resolution report")
        verbose_name_plural = _("resolution reports")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.created_at:%Y-%m-%d}"
