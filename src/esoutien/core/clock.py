"""The one clock of the domain, so tests can move time (time-machine) in one place."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
