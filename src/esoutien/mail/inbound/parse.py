"""Parse (pure): raw bytes → ParsedEmail. Never raises; problems are recorded in ``errors``.

Python's ``email``: the MIME tree is read with the ``compat32`` policy, which only splits
lines and parts (``policy.default`` re-parses every structured header each time it is
read, about twenty times per message inside the parser itself: 3-4x slower for the same
result here); address headers go through ``policy.default``'s header parser, text headers
through our own RFC 2047/6532 decoding (headers.decode_words), which copes with unknown
charsets and 200 KB headers. Text comes from text/plain, else from sanitised HTML; charsets
are decoded with aliases and fallbacks (headers.decode_bytes); attachments keep their RFC
2231/2047 names (a TNEF ``winmail.dat`` is kept as it is, not unpacked).
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from esoutien.mail.inbound import html as html_text
from esoutien.mail.inbound import signals
from esoutien.mail.inbound.headers import (
    clean_text,
    decode_words,
    first_address,
    fix_mojibake,
    header_block,
    message_ids,
    normalize_message_id,
    raw_header,
    raw_headers,
    scan_headers,
    unsurrogate,
)
from esoutien.mail.inbound.message import ParsedEmail
from esoutien.mail.inbound.mime import MAX_PARTS, TEXT_LIMIT, Collected, content_type, note, walk
from esoutien.mail.inbound.quotes import reply_part

LONG_HEADER = 16 * 1024  # a header this long is recorded as a problem

_ADDRESS_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_MSGID_LINE_RE = re.compile(r"^[ \t>]*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_BLANK_FOLD_RE = re.compile(rb"\n[ \t]+\r?\n")


class _Headers:
    """Header access that never raises.

    Text headers are decoded from the raw lines (RFC 2047 with charset aliases, raw UTF-8
    per RFC 6532): ``policy.default`` would turn an unknown charset into U+FFFD and take
    seconds over a 200 KB encoded header. Addresses use ``policy.default``'s parser when the
    header has a sane length (and ``getaddresses`` as well when it found defects), else
    ``getaddresses`` alone.
    """

    ADDRESS_HEADER_LIMIT = 8 * 1024

    def __init__(self, message: Message, raw: bytes, errors: list[str]) -> None:
        self.message = message
        self.errors = errors
        self.lines = scan_headers(raw)

    def get(self, name: str) -> str:
        value = raw_header(self.lines, name) or raw_header(self.message, name)
        return decode_words(value)

    def has(self, name: str) -> bool:
        return bool(raw_headers(self.lines, name))

    def addresses(self, *names: str) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        for name in names:
            values = raw_headers(self.lines, name)
            if not values:
                continue
            clean = False
            if sum(len(v) for v in values) <= self.ADDRESS_HEADER_LIMIT:
                try:
                    clean = True
                    for value in values:
                        header = policy.default.header_factory(name, _unfold(value))
                        for address in getattr(header, "addresses", ()):
                            addr = unsurrogate(address.addr_spec or "").strip().lower()
                            if _ADDRESS_RE.match(addr):
                                found.setdefault(addr, clean_text(address.display_name or ""))
                        for defect in getattr(header, "defects", ())[:3]:
                            clean = False
                            note(self.errors, f"header {name}: {defect}")
                except Exception as exc:
                    clean = False
                    note(self.errors, f"header {name}: {type(exc).__name__}: {exc}")
            if clean:
                continue
            # The strict parser gave up part-way (or was not asked): the lenient one too.
            with contextlib.suppress(Exception):
                for display, addr in getaddresses(values):
                    addr = addr.strip().lower()
                    if _ADDRESS_RE.match(addr):
                        found.setdefault(addr, decode_words(display))
        return [(display, addr) for addr, display in found.items()]


def _unfold(value: str) -> str:
    return _FOLD_RE.sub("", value).replace("\r", "").replace("\n", "")


_SINGLE_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "Sender")


def _header_problems(headers: _Headers, raw: bytes, errors: list[str]) -> None:
    """What is wrong with the header section, recorded (RFC 5322 §2.1.1, §3.6)."""
    block = header_block(raw)
    if _BLANK_FOLD_RE.search(block):
        note(errors, "header folded over a blank line")
    if any(len(line) > 998 for line in block.splitlines()):
        note(errors, "header line longer than 998 characters")
    with contextlib.suppress(Exception):
        for name, value in headers.lines.raw_items():
            if len(value) > LONG_HEADER:
                note(errors, f"header {name} is {len(value)} characters long")
    for name in _SINGLE_HEADERS:
        if len(raw_headers(headers.lines, name)) > 1:
            note(errors, f"header {name} appears more than once")
    if not raw_headers(headers.lines, "Date"):
        note(errors, "no Date header")
    for name in ("Content-Type", "Content-Disposition"):  # read strictly once, for the record
        value = raw_header(headers.lines, name)
        if value and len(value) <= headers.ADDRESS_HEADER_LIMIT:
            with contextlib.suppress(Exception):
                for defect in policy.default.header_factory(name, _unfold(value)).defects[:2]:
                    note(errors, f"header {name}: {defect}")


def _date(headers: _Headers, errors: list[str]) -> datetime | None:
    parsed: datetime | None = None
    value = headers.get("Date")
    if value:
        try:
            parsed = parsedate_to_datetime(value)
        except Exception:
            # Some exporters join two dates with a comma: try the first one.
            try:
                parsed = parsedate_to_datetime(value[: value.find(",", 5)])
            except Exception:
                note(errors, "date: unreadable")
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed if isinstance(parsed, datetime) else None


def _bounced_ids(out: Collected, text: str, raw: bytes) -> tuple[str, ...]:
    ids: list[str] = []
    for original in out.report_headers:
        try:
            value = original.get("Message-ID")
        except Exception:
            value = None
        if value is None:
            try:
                value = scan_headers(original.as_bytes()).get("Message-ID")
            except Exception:
                value = None
        found = normalize_message_id(str(value) if value is not None else "")
        if found:
            ids.append(found)
    if not ids:  # plain-text bounces (qmail, Gmail) quote the original's headers inline
        ids.extend(m.group(1) for m in _MSGID_LINE_RE.finditer(text[:200_000]))
    if not ids:  # or anywhere below our own headers, in a part we could not read
        body = raw[len(header_block(raw)) : len(header_block(raw)) + 1_000_000]
        body_text = body.decode("utf-8", errors="replace")
        ids.extend(m.group(1) for m in _MSGID_LINE_RE.finditer(body_text))
    return tuple(dict.fromkeys(ids))


def parse_message(raw: bytes, *, envelope_sender: str | None = None) -> ParsedEmail:
    """Everything the routers need from ``raw``. Never raises.

    ``envelope_sender`` (the SMTP MAIL FROM, when known; "" for a null return path) helps
    recognise bounces.
    """
    try:
        return _parse(bytes(raw), envelope_sender)
    except Exception as exc:  # the last line of defence: a result, never an exception
        return ParsedEmail(
            message_id="",
            sender="",
            sender_name="",
            recipients=(),
            reply_to="",
            subject="",
            date=None,
            in_reply_to=(),
            references=(),
            text="",
            reply_text="",
            errors=(f"fatal: {type(exc).__name__}: {exc}"[:300],),
        )


def _parse(raw: bytes, envelope_sender: str | None) -> ParsedEmail:
    errors: list[str] = []
    try:
        message: Message = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception as exc:
        note(errors, f"MIME structure unreadable: {type(exc).__name__}: {exc}")
        message = Message()
    headers = _Headers(message, raw, errors)
    _header_problems(headers, raw, errors)

    from_addresses = headers.addresses("From")
    sender_name, sender = from_addresses[0] if from_addresses else ("", "")
    if not sender:
        sender_name, sender = first_address(headers.get("From"))
        if not sender:
            note(errors, "no sender address")
    recipients = tuple(dict.fromkeys(addr for _, addr in headers.addresses("To", "Cc")))
    reply_to_addresses = headers.addresses("Reply-To")
    subject = headers.get("Subject")[:998]
    if not raw.strip():
        note(errors, "empty message")

    out = Collected()
    try:
        walk(message, out, errors, 0)
    except RecursionError:
        note(errors, "MIME structure too deep")
    except Exception as exc:
        note(errors, f"body: {type(exc).__name__}: {exc}")
    with contextlib.suppress(Exception):  # after decoding: base64 defects are found then
        for index, part in enumerate(message.walk()):
            if index > MAX_PARTS:
                break
            for defect in part.defects[:3]:
                note(errors, f"defect: {type(defect).__name__}")

    plain = "\n\n".join(t for t in out.plain if t.strip())
    if plain.strip():
        text = fix_mojibake(plain).replace("\r\n", "\n").replace("\r", "\n").strip()
        reply_text = reply_part(text)
    elif out.html:
        joined = "\n".join(out.html)
        text = fix_mojibake(html_text.html_to_text(joined))
        reply_text = reply_part(fix_mojibake(html_text.html_to_text(joined, drop_quotes=True)))
        if not reply_text and text:
            reply_text = reply_part(text)
    else:
        text, reply_text = "", ""

    top_type = content_type(message)
    report_type = ""
    if top_type == "multipart/report":
        with contextlib.suppress(Exception):
            report_type = str(message.get_param("report-type") or "").lower()
    is_bounce = signals.is_bounce(
        headers,
        subject=subject,
        sender=sender,
        report_type=report_type if top_type == "multipart/report" else "",
        has_delivery_status=out.has_delivery_status,
        envelope_sender=envelope_sender,
    )
    return ParsedEmail(
        message_id=normalize_message_id(headers.get("Message-ID")),
        sender=sender,
        sender_name=sender_name[:200],
        recipients=recipients,
        reply_to=reply_to_addresses[0][1] if reply_to_addresses else "",
        subject=subject,
        date=_date(headers, errors),
        in_reply_to=message_ids(headers.get("In-Reply-To")),
        references=message_ids(headers.get("References")),
        text=text[:TEXT_LIMIT],
        reply_text=reply_text[:TEXT_LIMIT],
        attachments=tuple(out.attachments),
        is_auto_reply=is_bounce or signals.is_auto_reply(headers, subject, sender, top_type),
        is_bounce=is_bounce,
        is_list=signals.is_list(headers),
        bounced_message_ids=_bounced_ids(out, text, raw) if is_bounce else (),
        loop=signals.is_loop(headers),
        errors=tuple(errors),
    )
