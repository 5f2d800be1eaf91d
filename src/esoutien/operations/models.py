"""Planned maintenance windows, announced to operators by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class WindowState(models.TextChoices):
    """The Interop'Fibre works vocabulary."""

    PLANNED = "NOUVEAU", _("Planned")
    RESCHEDULED = "REPLANIFICATION", _("Rescheduled")
    UPDATED = "MAJ", pgettext_lazy("maintenance window", "Updated")
    FINISHED = "CLOTURE", _("Finished")
    CANCELLED = "ANNULE", pgettext_lazy("maintenance window", "Cancelled")


LIVE_STATES = (WindowState.PLANNED, WindowState.RESCHEDULED, WindowState.UPDATED)


class MaintenanceWindowQuerySet(models.QuerySet["MaintenanceWindow"]):
    def live(self) -> MaintenanceWindowQuerySet:
        return self.filter(state__in=LIVE_STATES)

    def in_progress(self, at: object) -> MaintenanceWindowQuerySet:
        return self.live().filter(starts_at__lte=at, ends_at__gt=at)


class MaintenanceWindow(models.Model):
    """A planned interruption; ``sequence`` grows with each announcement (iCalendar SEQUENCE)."""

    uid = models.CharField(max_length=100, unique=True, editable=False)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    affects_portal = models.BooleanField(_("e-soutien itself is unavailable"), default=False)
    eservices = models.ManyToManyField(
        "catalogue.EService", verbose_name=_("affected e-services"), blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=WindowState.choices, default=WindowState.PLANNED
    )
    sequence = models.PositiveIntegerField(default=0)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = MaintenanceWindowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        indexes = [models.Index(fields=["state", "starts_at"], name="window_state_start")]
        constraints = [
            models.CheckConstraint(
                name="window_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            )
        ]

    def __str__(self) -> str:
        return self.title_fr

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})

    @property
    def duration(self) -> object:
        return self.ends_at - self.starts_at


class AnnouncementKind(models.TextChoices):
    PUBLISHED = "published", _("Announced")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    UPDATED = "updated", pgettext_lazy("maintenance window", "Updated")
    CANCELLED = "cancelled", pgettext_lazy("maintenance window", "Cancelled")
    REMINDER = "reminder", _("Reminder")
    FINISHED = "finished", _("Finished")


class MaintenanceAnnouncement(models.Model):
    """One announcement of a window (what was e-mailed, to how many, by whom).

    Unique per (window, kind, sequence): a periodic task that runs twice, or two workers at
    once, cannot announce the same thing twice; each recipient's outbox row has its own
    dedupe key on top (see operations/announcements.py).
    """

    window = models.ForeignKey(
        MaintenanceWindow, on_delete=models.CASCADE, related_name="announcements"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AnnouncementKind.choices)
    sequence = models.PositiveIntegerField()
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("maintenance announcement")
        verbose_name_plural = _("maintenance announcements")
        constraints = [
            models.UniqueConstraint(
                fields=["window", "kind", "sequence"], name="one_announcement_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.window_id} {self.kind} #{self.sequence}"


class MaintenanceSubscription(models.Model):
    """A user who asked to receive maintenance announcements (opt-in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("maintenance subscription")
        verbose_name_plural = _("maintenance subscriptions")

    def __str__(self) -> str:
        return str(self.user_id)


class OperatorCalendarFeed(models.Model):
    """The secret address of an operator's calendar (.ics) of maintenance windows.

    The token is the credential of a URL that calendar applications poll without logging
    in; it is kept in clear because managers must be able to copy it again.
    """

    operator = models.OneToOneField("accounts.Operator", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("maintenance calendar feed")
        verbose_name_plural = _("maintenance calendar feeds")

    def __str__(self) -> str:
        return str(self.operator_id)
