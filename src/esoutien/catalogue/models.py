"""The e-services catalogue, operators' subscriptions and the provider's teams."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from esoutien.catalogue.business_hours import BusinessCalendar

# Ticket severities and kinds an SLA policy may target. The catalogue sits below the tickets
# app, so the values are repeated here (they must match tickets.models.Severity and Kind).
SLA_SEVERITIES = {"critical": _("Critical"), "major": _("Major"), "minor": _("Minor")}
SLA_KINDS = {"incident": _("Malfunction"), "request": _("Support request")}
# The status that pauses the clock when a policy names none: waiting for the operator.
DEFAULT_PAUSE_STATUSES = ("pending",)


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

    def clean(self) -> None:
        if not _is_time_zone(self.timezone):
            raise ValidationError(
                {
                    "timezone": _(
                        "“%(value)s” is not a known time zone: use an IANA name such as "
                        "Europe/Paris."
                    )
                    % {"value": self.timezone}
                }
            )

    def validate_openings(self, intervals: Iterable[OpeningInterval] | None = None) -> None:
        """Refuse a calendar that is never open, or whose intervals overlap.

        ``intervals`` are the weekly intervals about to be saved (the admin passes its inline
        forms); by default the stored ones. Exceptional openings alone do not count: a
        deadline must always be reachable.
        """
        items = list(self.intervals.all() if intervals is None else intervals)
        errors: list[ValidationError] = []
        if not self.always_open and not any(i.minutes[1] > i.minutes[0] for i in items):
            errors.append(
                ValidationError(
                    _(
                        "A support calendar needs at least one weekly opening interval, "
                        "or the 24/7 box ticked."
                    ),
                    code="no_opening",
                )
            )
        errors.extend(_overlaps(items))
        if errors:
            raise ValidationError(errors)

    def to_business_calendar(self) -> BusinessCalendar:
        """The pure description used by business-time arithmetic (uses prefetched rows)."""
        from esoutien.catalogue.business_hours import BusinessCalendar

        openings = []
        closures = []
        for exception in self.exceptions.all():
            if exception.kind == ExceptionKind.OPEN:
                if exception.opens is not None and exception.closes is not None:
                    openings.append(
                        (
                            exception.start_date,
                            exception.end_date,
                            exception.opens,
                            exception.closes,
                        )
                    )
            else:
                closures.append((exception.start_date, exception.end_date))
        return BusinessCalendar(
            tz=self.timezone,
            weekly=tuple(sorted((i.weekday, i.start, i.end) for i in self.intervals.all())),
            always_open=self.always_open,
            public_holidays=self.closed_on_public_holidays,
            closures=tuple(sorted(closures)),
            openings=tuple(sorted(openings)),
        )


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _minute(at: time) -> int:
    return at.hour * 60 + at.minute


def _overlaps(intervals: Iterable[OpeningInterval]) -> list[ValidationError]:
    by_day: dict[int, list[OpeningInterval]] = {}
    for interval in intervals:
        if interval.start is not None and interval.end is not None:
            by_day.setdefault(interval.weekday, []).append(interval)
    errors = []
    for day in sorted(by_day):
        ordered = sorted(by_day[day], key=lambda i: i.minutes)
        for before, after in pairwise(ordered):
            if after.minutes[0] < before.minutes[1]:
                errors.append(
                    ValidationError(
                        _("%(day)s: the intervals %(first)s and %(second)s overlap."),
                        code="overlap",
                        params={
                            "day": Weekday(day).label,
                            "first": before.hours_label,
                            "second": after.hours_label,
                        },
                    )
                )
    return errors


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

    # The admin's inline formset checks overlaps across all its forms at once (some rows may
    # be changing together), so it turns the per-row check against stored rows off.
    check_stored_siblings = True

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.hours_label}"

    @property
    def minutes(self) -> tuple[int, int]:
        """(start, end) in minutes since midnight; an end at 00:00 is midnight (1440)."""
        end = _minute(self.end)
        return _minute(self.start), end or 24 * 60

    @property
    def hours_label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is None or self.end is None:
            return
        start, end = self.minutes
        if end <= start:
            raise ValidationError(
                {
                    "end": _(
                        "The closing time must be after the opening time (00:00 means midnight)."
                    )
                }
            )
        if self.check_stored_siblings and self.calendar_id is not None:
            siblings = OpeningInterval.objects.filter(
                calendar_id=self.calendar_id, weekday=self.weekday
            ).exclude(pk=self.pk)
            errors = _overlaps([self, *siblings])
            if errors:
                raise ValidationError(errors)


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

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = ValidationError(_("The end date cannot precede the start date."))
        has_hours = self.opens is not None or self.closes is not None
        if self.kind == ExceptionKind.OPEN:
            if self.opens is None or self.closes is None:
                errors["opens"] = ValidationError(
                    _("An exceptional opening needs its opening and closing times.")
                )
            elif (_minute(self.closes) or 24 * 60) <= _minute(self.opens):
                errors["closes"] = ValidationError(
                    _("The closing time must be after the opening time (00:00 means midnight).")
                )
        elif self.kind == ExceptionKind.CLOSED and has_hours:
            errors["opens"] = ValidationError(
                _("Hours apply to exceptional openings only: leave them empty for a closure.")
            )
        if errors:
            raise ValidationError(errors)


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

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if self.severity and self.severity not in SLA_SEVERITIES:
            errors["severity"] = ValidationError(
                _("Unknown severity “%(value)s”: choose critical, major, minor or leave it blank."),
                params={"value": self.severity},
            )
        if self.kind and self.kind not in SLA_KINDS:
            errors["kind"] = ValidationError(
                _("Unknown kind “%(value)s”: choose incident, request or leave it blank."),
                params={"value": self.kind},
            )
        for field in ("take_charge_target", "resolution_target"):
            value = getattr(self, field)
            if value is not None and value <= timedelta(0):
                errors[field] = ValidationError(_("A target must be a positive duration."))
        if self.calendar_id is None:
            errors["calendar"] = ValidationError(
                _("Choose the support calendar in whose hours the targets are counted.")
            )
        if self.pause_statuses is None:  # an emptied admin field: the default applies
            self.pause_statuses = []
        statuses = self.pause_statuses
        if not isinstance(statuses, list) or not all(isinstance(x, str) for x in statuses):
            errors["pause_statuses"] = ValidationError(
                _('Give a list of status codes, for example ["pending"].')
            )
        if errors:
            raise ValidationError(errors)

    @property
    def effective_pause_statuses(self) -> frozenset[str]:
        return frozenset(self.pause_statuses or DEFAULT_PAUSE_STATUSES)
