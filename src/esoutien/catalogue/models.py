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
