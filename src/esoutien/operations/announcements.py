"""Who is told about a maintenance window, and the e-mails that tell them.

Every announcement is written to the outbox in the transaction of the change that causes it,
one message per recipient (each in the recipient's language), with the window's .ics.
Two guards make "each recipient gets each announcement once" hold across retries, restarts
and concurrent workers, at the row level:

* a ``MaintenanceAnnouncement`` row, unique per (window, kind, sequence): a second attempt
  at the same announcement finds it and writes nothing;
* each outbox row carries a dedupe key (window, kind, sequence, recipient), unique in the
  outbox: even a path that missed the first guard cannot queue a second copy.

After that the outbox's own delivery (claimed rows, one ``sent`` per row) takes over.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from esoutien.accounts.models import Operator
from esoutien.catalogue.models import Subscription
from esoutien.core.storage import private_storage
from esoutien.mail.outbound import MailAttachment, queue_email
from esoutien.operations import formatting, ics
from esoutien.operations.models import (
    AnnouncementKind,
    MaintenanceAnnouncement,
    MaintenanceSubscription,
    MaintenanceWindow,
)

ICS_CONTENT_TYPE = "text/calendar"


@dataclass(frozen=True, order=True)
class Recipient:
    address: str
    language: str = "fr"


def concerned_operator_ids(
    affects_portal: bool, eservices: list[Any], starts_at: datetime
) -> set[int]:
    """Every active operator when e-soutien itself is down (or nothing narrower is named);
    otherwise the operators subscribed, on the first day of the window, to an e-service it
    affects."""
    operators = Operator.objects.filter(is_active=True)
    eservice_ids = [e.pk for e in eservices]
    if affects_portal or not eservice_ids:
        return set(operators.values_list("pk", flat=True))
    day = formatting.paris(starts_at).date()
    subscribed = (
        Subscription.objects.active_on(day)
        .filter(eservice_id__in=eservice_ids)
        .values("operator_id")
    )
    return set(operators.filter(pk__in=subscribed).values_list("pk", flat=True))


def concerned_operators(window: MaintenanceWindow) -> set[int]:
    return concerned_operator_ids(
        window.affects_portal, list(window.eservices.all()), window.starts_at
    )


def recipients_for_operators(operator_ids: set[int]) -> list[Recipient]:
    """The notification contacts of these operators, plus the users who opted in (provider
    staff always; operator users when their operator is one of these).

    An address is written to in its user's language when it belongs to an account, else in
    French.
    """
    languages: dict[str, str | None] = {}
    for operator in Operator.objects.filter(pk__in=operator_ids):
        for address in operator.notification_addresses:
            languages.setdefault(address.strip().lower(), None)
    users = get_user_model().objects.filter(is_active=True)
    opted_in = users.filter(
        pk__in=MaintenanceSubscription.objects.values("user_id"),
    ).filter(Q(operator__isnull=True) | Q(operator_id__in=operator_ids))
    for email, language in opted_in.values_list("email", "language"):
        languages[email.lower()] = language
    unknown = [a for a, lang in languages.items() if lang is None]
    for email, language in users.filter(email__in=unknown).values_list("email", "language"):
        languages[email.lower()] = language
    return sorted(Recipient(a, languages[a] or "fr") for a in languages)


def recipients(window: MaintenanceWindow, also_operators: Iterable[int] = ()) -> list[Recipient]:
    """Who hears about ``window``; ``also_operators``: operators concerned before a change
    (told that it no longer concerns them)."""
    return recipients_for_operators(concerned_operators(window) | set(also_operators))


def dedupe_key(window: MaintenanceWindow, kind: str, sequence: int, address: str) -> str:
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:24]
    return f"maintenance:{window.pk}:{kind}:{sequence}:{digest}"


def _ics_attachment(
    window: MaintenanceWindow, announcement: MaintenanceAnnouncement, language: str
) -> MailAttachment:
    data = ics.invitation(window, language)
    # The storage picks another name if a rolled-back attempt left a file with this one.
    name = private_storage.save(
        f"maintenance/{window.pk}/{announcement.pk}-{language}.ics", ContentFile(data)
    )
    return MailAttachment(name, "maintenance.ics", ICS_CONTENT_TYPE)


def _context(
    window: MaintenanceWindow,
    kind: str,
    language: str,
    eservice_names: list[str],
    previous: tuple[datetime, datetime] | None,
) -> dict[str, Any]:
    return {
        "window": window,
        "kind": kind,
        "title": formatting.title(window, language),
        "description": formatting.description(window, language),
        "when": formatting.format_range(window.starts_at, window.ends_at, language),
        "starts": formatting.format_when(window.starts_at, language),
        "ends": formatting.format_when(window.ends_at, language),
        "duration": formatting.format_duration(window.ends_at - window.starts_at),
        "affected": formatting.affected(window, eservice_names),
        "hotline": settings.ESOUTIEN_HOTLINE_ADDRESS,
        "previous_when": (
            formatting.format_range(previous[0], previous[1], language) if previous else ""
        ),
    }


def announce(
    window: MaintenanceWindow,
    kind: AnnouncementKind,
    *,
    actor: Any = None,
    also_operators: Iterable[int] = (),
    previous: tuple[datetime, datetime] | None = None,
) -> MaintenanceAnnouncement | None:
    """Write the announcement and one outbox row per recipient; None if already announced.

    Must run inside the transaction of the change it announces.
    """
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin must not abort the caller
            announcement = MaintenanceAnnouncement.objects.create(
                window=window,
                kind=kind,
                sequence=window.sequence,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        return None
    eservice_names = sorted(e.name for e in window.eservices.all())
    with_ics = kind != AnnouncementKind.FINISHED
    attachments: dict[str, list[MailAttachment]] = {}
    contexts: dict[str, dict[str, Any]] = {}
    count = 0
    for recipient in recipients(window, also_operators):
        lang = recipient.language
        if lang not in contexts:
            contexts[lang] = _context(window, kind, lang, eservice_names, previous)
            attachments[lang] = [_ics_attachment(window, announcement, lang)] if with_ics else []
        queued = queue_email(
            kind=f"maintenance_{kind}",
            to=[recipient.address],
            template="operations/maintenance",
            context=contexts[lang],
            language=lang,
            attachments=attachments[lang],
            with_reply_address=False,
            dedupe_key=dedupe_key(window, kind, window.sequence, recipient.address),
        )
        count += queued is not None
    announcement.recipient_count = count
    announcement.save(update_fields=["recipient_count"])
    return announcement
