"""Base models shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyModel(models.Model):
    """A record that is written once and never rewritten (timelines, audit trails)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} records are append-only.")
        super().save(*args, **kwargs)
