"""What the parser produces and what a router answers: the contract between the generic
mail layer and the routers registered in settings (tickets, hotline)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # decoded (RFC 2231 / 2047), never empty ("attachment.bin" when unnamed)
    content_type: str
    content: bytes
    inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    """A message as the routers see it. Built by parse.parse_message, which never raises."""

    message_id: str  # with angle brackets, "" when missing
    sender: str  # the From address, lower-cased, "" when missing or unparsable
    sender_name: str
    recipients: tuple[str, ...]  # To + Cc addresses, lower-cased
    reply_to: str
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str  # the whole text body (text/plain, else text from sanitised HTML)
    reply_text: str  # the new part of a reply, quoted history removed
    attachments: tuple[ParsedAttachment, ...] = ()
    is_auto_reply: bool = False  # RFC 3834 and vendor signals: never answer it
    is_bounce: bool = False  # a delivery status notification or a bounce
    is_list: bool = False  # List-* / Precedence: bulk|list
    bounced_message_ids: tuple[str, ...] = ()  # our Message-IDs a bounce reports on
    loop: bool = False  # carries our own loop header: it came from e-soutien
    errors: tuple[str, ...] = field(default_factory=tuple)  # parse problems, recorded


@dataclass(frozen=True)
class RouteResult:
    """A router's verdict on one message."""

    status: str  # "routed" | "quarantined" | "ignored"
    reason: str = ""  # a stable code, e.g. "unverified_sender", "no_ticket", "not_a_reply"
    thread_key: str = ""  # the ticket reference it went to, when any
