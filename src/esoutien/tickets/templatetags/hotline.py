"""Choices of the desk's hotline forms: ``{% requalify_choices as eservices %}``,
``{% operator_choices as operators %}``."""

from __future__ import annotations

from django import template
from django.db.models import QuerySet

from esoutien.accounts.models import Operator
from esoutien.catalogue.models import EService

register = template.Library()


@register.simple_tag
def requalify_choices() -> QuerySet[EService]:
    return EService.objects.filter(is_active=True, is_placeholder=False).order_by("name")


@register.simple_tag
def operator_choices() -> QuerySet[Operator]:
    return Operator.objects.filter(is_active=True).order_by("name")
