"""The e-services catalogue, operators' subscriptions and the provider's teams."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EService(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9-]+$")],
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The "to qualify" e-service of hotline tickets: never offered to operators.
    is_placeholder = models.BooleanField(_("placeholder (to qualify)"), default=False)
    support_calendar = models.ForeignKey(
        "SupportCalendar",
        verbose_name=_("support hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="eservices",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("e-service")
        verbose_name_plural = _("e-services")

    def __str__(self) -> str:
        return self.name


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def active_on(self, day: date) -> SubscriptionQuerySet:
        return self.filter(start_date__lte=day, eservice__is_active=True).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day)
        )


class Subscription(models.Model):
    """An operator's subscription to an e-service; gates who may file for what."""

    operator = models.ForeignKey(
        "accounts.Operator",
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    eservice = models.ForeignKey(
        EService,
        verbose_name=_("e-service"),
        on_delete=models.PROTECT,
        related_name="subscriptions",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["operator", "eservice", "start_date"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [models.Index(fields=["operator", "eservice", "start_date"])]
        constraints = [
            models.CheckConstraint(
                name="subscription_dates_ordered",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator} × {self.eservice}"

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot precede the start date.")})


class Team(models.Model):
    """A group of agents covering some e-services."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    eservices = models.ManyToManyField(
        EService, verbose_name=_("e-services"), related_name="teams", blank=True
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class SupportCalendar(models.Model):
    """Support hours: weekly opening intervals, public holidays, exceptional closures/openings."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    always_open = models.BooleanField(_("24/7"), default=False)
    closed_on_public_holidays = models.BooleanField(
        _("closed on French public holidays"), default=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("support calendar")
        verbose_name_plural = _("support calendars")

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningInterval(models.Model):
    """One opening interval of a weekday; ``end`` 00:00 means midnight (end of the day)."""

    calendar = models.ForeignKey(
        SupportCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("opening interval")
        verbose_name_plural = _("opening intervals")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", _("Exceptional closure")
    OPEN = "open", _("Exceptional opening")


class CalendarException(models.Model):
    """A date range closed (or open, with hours) against the weekly pattern."""

    calendar = models.ForeignKey(
        SupportCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    kind = models.CharField(_("kind"), max_length=6, choices=ExceptionKind.choices)
    label = models.CharField(_("label"), max_length=200)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to (inclusive)"))
    # Exceptional openings only: the hours open on each day of the range.
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)

    class Meta:
        ordering = ["calendar", "start_date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self) -> str:
        return f"{self.label} ({self.start_date}–{self.end_date})"


class SlaPolicy(models.Model):
    """Targets for an e-service, a severity (blank: any) and a kind (blank: any)."""

    eservice = models.ForeignKey(
        EService, verbose_name=_("e-service"), on_delete=models.CASCADE, related_name="sla_policies"
    )
    severity = models.CharField(_("severity"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=10, blank=True)
    calendar = models.ForeignKey(
        SupportCalendar,
        verbose_name=_("support calendar"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    take_charge_target = models.DurationField(_("take-charge target (business time)"))
    resolution_target = models.DurationField(_("resolution target (business time)"))
    pause_statuses = models.JSONField(_("statuses that pause the clock"), default=list, blank=True)

    class Meta:
        ordering = ["eservice", "severity", "kind"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["eservice", "severity", "kind"], name="sla_policy_unique_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.eservice} {self.severity or '*'} {self.kind or '*'}"
