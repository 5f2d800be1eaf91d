"""The audit log: append-only records of security-relevant actions."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from esoutien.audit.actions import action_label, outcome_label
from esoutien.core.models import AppendOnlyModel


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        # Only the retention purge removes records; nothing rewrites them. (Deleting an
        # account still empties ``actor`` through the base manager: the e-mail stays.)
        raise ValueError("Audit events are append-only.")


class AuditEvent(AppendOnlyModel):
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=50, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, default="success")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the record must stay readable after the account is deleted.
    actor_email = models.CharField(_("account"), max_length=254, blank=True, db_index=True)
    operator_code = models.CharField(_("operator"), max_length=4, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    target = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.actor_email}"

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def outcome_label(self) -> str:
        return outcome_label(self.outcome)

    @property
    def details(self) -> list[tuple[str, str]]:
        """``data`` as (key, text) pairs, for display."""
        if not isinstance(self.data, dict):
            return [("", json.dumps(self.data, ensure_ascii=False))]
        return [
            (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for key, value in sorted(self.data.items())
        ]
