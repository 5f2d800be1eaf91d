"""Service state: declared incidents, recorded health checks, supported browsers."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ServiceState(models.TextChoices):
    """The state of e-soutien (or of one e-service), worst last."""

    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")


# How bad a state is, to keep the worst of several causes.
SEVERITY_ORDER = {ServiceState.OPERATIONAL: 0, ServiceState.DEGRADED: 1, ServiceState.DOWN: 2}


class IncidentState(models.TextChoices):
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")


class IncidentSource(models.TextChoices):
    DECLARED = "declared", _("Declared by a supervisor")
    DETECTED = "detected", _("Detected by the health checks")


class ServiceIncidentQuerySet(models.QuerySet["ServiceIncident"]):
    def covering(self, at: object) -> ServiceIncidentQuerySet:
        """Incidents in force at ``at``: started, and not ended yet at that moment."""
        return self.filter(started_at__lte=at).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))

    def open(self) -> ServiceIncidentQuerySet:
        return self.filter(ended_at__isnull=True)

    def portal_wide(self) -> ServiceIncidentQuerySet:
        """Incidents about e-soutien itself (those naming e-services are about them only)."""
        return self.filter(eservices__isnull=True)


class ServiceIncident(models.Model):
    """A period during which e-soutien (no e-service named) or some e-services do not work
    normally. Declared by a supervisor, or opened and closed by the health checks."""

    state = models.CharField(_("state"), max_length=10, choices=IncidentState.choices)
    message_fr = models.TextField(_("message (French)"))
    message_en = models.TextField(_("message (English)"), blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=IncidentSource.choices, default=IncidentSource.DECLARED
    )
    eservices = models.ManyToManyField(
        "catalogue.EService",
        verbose_name=_("affected e-services"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for an incident of e-soutien itself."),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ServiceIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("service incident")
        verbose_name_plural = _("service incidents")
        indexes = [models.Index(fields=["ended_at", "started_at"], name="incident_period")]
        constraints = [
            models.CheckConstraint(
                name="incident_ends_after_start",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} — {self.message_fr[:60]}"

    def clean(self) -> None:
        if self.ended_at and self.started_at and self.ended_at < self.started_at:
            raise ValidationError({"ended_at": _("The end must come after the start.")})


class HealthCheckRecord(models.Model):
    """One run of ``esoutien healthcheck`` (every minute by the worker); kept 7 days."""

    checked_at = models.DateTimeField(_("checked"), default=timezone.now, db_index=True)
    ok = models.BooleanField(_("all checks passed"))
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class SupportedBrowser(models.Model):
    """A browser e-soutien supports from a minimum major version (the public page lists them;
    older versions get a non-blocking banner)."""

    name = models.CharField(_("name"), max_length=100)
    min_version = models.PositiveIntegerField(_("minimum version"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    ua_families = models.CharField(
        _("User-Agent families"),
        max_length=300,
        help_text=_(
            "Browser families as the ua-parser library names them, comma-separated "
            '(for instance "Chrome, Chromium, Chrome Mobile").'
        ),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("supported browser")
        verbose_name_plural = _("supported browsers")

    def __str__(self) -> str:
        return f"{self.name} ≥ {self.min_version}"

    @property
    def family_list(self) -> list[str]:
        return [f.strip() for f in self.ua_families.split(",") if f.strip()]
