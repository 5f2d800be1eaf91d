"""The MIME tree of a message: body text and attachments, walked without ever raising.

Used by parse.py; every problem met is noted in the ``errors`` list it is given.
"""

from __future__ import annotations

import contextlib
import mimetypes
import re
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser

from esoutien.mail.inbound.headers import (
    clean_text,
    decode_bytes,
    decode_words,
    scan_headers,
    unsurrogate,
)
from esoutien.mail.inbound.message import ParsedAttachment

MAX_DEPTH = 20  # MIME nesting deeper than this is an attack, not a mail client
MAX_PARTS = 2000
MAX_ERRORS = 50
TEXT_LIMIT = 1024 * 1024  # characters of body text kept
_REPORT_PARTS = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/feedback-report",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "text/rfc822-header",
}
_MESSAGE_PARTS = {"message/rfc822", "message/global"}
_BODY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MIME_TYPE_RE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_FILENAME_BAD_RE = re.compile(r"[\x00-\x1f\x7f/\\]+")
_BOUNDARY_PARAM_RE = re.compile(r"boundary\s*=\s*\"?([^\";\s]{1,200})", re.IGNORECASE)
_BOUNDARY_LINE_RE = re.compile(r"^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", re.MULTILINE)


@dataclass
class Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    report_headers: list[Message] = field(default_factory=list)
    has_delivery_status: bool = False
    parts: int = 0


def note(errors: list[str], text: str) -> None:
    text = clean_text(text)[:300]
    if len(errors) < MAX_ERRORS and text not in errors:
        errors.append(text)


def content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:
        return "application/octet-stream"
    # "multipart/mixed boundary=…" (a missing semicolon) reads as one long type.
    return (ctype.split()[0].split(";")[0] if ctype.strip() else "text/plain").lower()


def _repair_multipart(part: Message, errors: list[str]) -> list[Message]:
    """The children of a multipart whose boundary the parser could not use (unquoted
    special characters, a missing semicolon): find the boundary in the body and re-read."""
    try:
        body = part.get_payload()
    except Exception:
        return []
    if not isinstance(body, str) or not body.strip():
        return []
    candidates: list[str] = []
    header = raw_header_value(part, "Content-Type")
    declared = _BOUNDARY_PARAM_RE.search(header)
    if declared:
        candidates.append(declared.group(1))
    counts = Counter(m.group(1) for m in _BOUNDARY_LINE_RE.finditer(body[:1_000_000]))
    candidates.extend(token for token, _ in counts.most_common(3))
    for boundary in dict.fromkeys(candidates):
        if f"--{boundary}" not in body:
            continue
        data = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
            + body.encode("utf-8", errors="surrogateescape")
        )
        children: object = None
        with contextlib.suppress(Exception):
            children = BytesParser(policy=policy.compat32).parsebytes(data).get_payload()
        if isinstance(children, list) and children:
            note(errors, "broken multipart boundary: repaired")
            return [c for c in children if isinstance(c, Message)]
    return []


def raw_header_value(part: Message, name: str) -> str:
    with contextlib.suppress(Exception):
        for key, value in part.raw_items():
            if key.lower() == name.lower():
                return unsurrogate(str(value))
    return ""


def _filename(part: Message) -> str:
    raw_headers_text = (
        raw_header_value(part, "Content-Disposition") + raw_header_value(part, "Content-Type")
    ).lower()
    if "name" not in raw_headers_text:  # no filename= nor name=: spare two header parses
        return ""
    name = ""
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name:
        try:
            name = str(part.get_param("name") or "")
        except Exception:
            name = ""
    if isinstance(name, tuple):  # an undecodable RFC 2231 value
        name = str(name[2])
    name = decode_words(str(name)) if "=?" in str(name) else clean_text(str(name))
    name = _FILENAME_BAD_RE.sub(" ", name).strip(" .")
    return name[:255]


def _disposition(part: Message) -> str:
    if not raw_header_value(part, "Content-Disposition"):
        return ""
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _payload_bytes(part: Message, errors: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        note(errors, f"payload: {type(exc).__name__}: {exc}")
        data = None
    if isinstance(data, bytes):
        return data
    with contextlib.suppress(Exception):
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw.encode("utf-8", errors="surrogateescape")
    return b""


def _part_text(part: Message, errors: list[str]) -> str:
    data = _payload_bytes(part, errors)
    try:
        charset = part.get_param("charset")
    except Exception:
        charset = None
    if isinstance(charset, tuple):
        charset = charset[2]
    text, guessed = decode_bytes(data, str(charset) if charset else None)
    # NUL and other controls: PostgreSQL refuses NUL in text, and nobody typed them.
    text = _BODY_CONTROL_RE.sub("", text)
    if guessed and charset:
        note(errors, f"charset {charset!s}: decoded by guess")
    return text[:TEXT_LIMIT]


def _attachment(part: Message, ctype: str, errors: list[str], *, inline: bool) -> ParsedAttachment:
    name = _filename(part)
    if ctype in _MESSAGE_PARTS:
        try:
            inner = part.get_payload(0) if part.is_multipart() else None
            content = (
                inner.as_bytes() if isinstance(inner, Message) else _payload_bytes(part, errors)
            )
        except Exception as exc:
            note(errors, f"attached message: {type(exc).__name__}: {exc}")
            content = _payload_bytes(part, errors)
        name = name or "message.eml"
    else:
        content = _payload_bytes(part, errors)
    if not name:
        extension = {"text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics"}.get(
            ctype, ".bin"
        )
        name = f"attachment{extension}"
    return ParsedAttachment(filename=name, content_type=ctype, content=content, inline=inline)


_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}


def _guess_type(filename: str) -> str:
    guessed, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def walk(part: Message, out: Collected, errors: list[str], depth: int) -> None:
    out.parts += 1
    if depth > MAX_DEPTH or out.parts > MAX_PARTS:
        if out.parts == MAX_PARTS + 1 or depth == MAX_DEPTH + 1:
            note(errors, "MIME structure too deep or too large: rest ignored")
        return
    ctype = content_type(part)
    if ctype in _MESSAGE_PARTS:
        # An attached message (a forward, a bounce's original): kept whole, its text is not ours.
        with contextlib.suppress(Exception):
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message):
                out.report_headers.append(inner)
        out.attachments.append(_attachment(part, ctype, errors, inline=False))
        return
    if ctype in _REPORT_PARTS:
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            out.has_delivery_status = True
        if "header" in ctype:
            if part.is_multipart():  # message/* types are parsed as a message already
                with contextlib.suppress(Exception):
                    out.report_headers.extend(
                        p for p in part.get_payload() if isinstance(p, Message)
                    )
            else:
                out.report_headers.append(scan_headers(_payload_bytes(part, errors)))
        return
    if ctype.startswith("multipart/") or part.is_multipart():
        if part.is_multipart():
            try:
                children = [c for c in part.get_payload() if isinstance(c, Message)]
            except Exception as exc:
                note(errors, f"multipart: {type(exc).__name__}: {exc}")
                return
        else:
            children = _repair_multipart(part, errors)
            if not children:  # no structure to be found: whatever text it has is the body
                note(errors, f"{ctype} part without parts")
                text = _part_text(part, errors)
                if text.strip():
                    out.plain.append(text)
                return
        if ctype == "multipart/alternative":
            _walk_alternative(children, out, errors, depth)
        else:
            for child in children:
                walk(child, out, errors, depth + 1)
        return
    disposition = _disposition(part)
    filename = _filename(part)
    declared = raw_header_value(part, "Content-Type")
    if declared.strip() and not _MIME_TYPE_RE.match(declared.split(";")[0].strip()):
        note(errors, f"invalid Content-Type {declared.split(';')[0].strip()[:60]!r}")
        if filename:  # "application-x-gzip", "; name=x.jpg": the name says better
            ctype = _guess_type(filename)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _part_text(part, errors)
        (out.plain if ctype == "text/plain" else out.html).append(text)
        return
    inline = disposition == "inline" or (disposition == "" and ctype.startswith("image/"))
    out.attachments.append(_attachment(part, ctype, errors, inline=inline))


def _walk_alternative(
    children: list[Message], out: Collected, errors: list[str], depth: int
) -> None:
    """Text from the plain alternative when it says something, else from the richest one."""
    results = []
    for child in children:
        sub = Collected(parts=out.parts)
        walk(child, sub, errors, depth + 1)
        out.parts = sub.parts
        results.append(sub)
    chosen = next((r for r in results if any(t.strip() for t in r.plain)), None)
    if chosen is None:
        chosen = next((r for r in reversed(results) if any(t.strip() for t in r.html)), None)
    for result in results:
        if result is chosen:
            out.plain.extend(result.plain)
            out.html.extend(result.html)
        out.attachments.extend(result.attachments)
        out.report_headers.extend(result.report_headers)
        out.has_delivery_status |= result.has_delivery_status
