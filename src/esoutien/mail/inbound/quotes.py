"""The new part of a reply: the text above the quoted history.

Two detectors run and the earlier cut wins: mail-parser-reply (French and English
"Le … a écrit :", "On … wrote:", header blocks) and patterns of our own for what it misses
in the clients our operators use (an attribution folded over two lines, "-----Message
d'origine-----", Outlook's "De : / Envoyé : / À : / Objet :" block with or without bold,
no-break spaces before the colon). Trailing ``>`` lines and "Envoyé de mon iPhone" go too.
A bottom-posted answer (quote first) keeps the lines that are not quoted.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

# Texts longer than this are cut before the detectors run (regexes over megabytes of text
# cost seconds; nobody types an answer that long).
QUOTE_SCAN_LIMIT = 64 * 1024

_SEPARATORS = (
    r"-{2,}\s*(?:Original Message|Message d['’]origine|Mail original|Message original"
    r"|Courriel original|Forwarded message|Message transféré|Message transfere"
    r"|Ursprüngliche Nachricht|Mensaje original)\s*-{2,}"
)
# "Le 12/03/2026 à 09:58, X a écrit :", possibly folded over two lines.
_ATTRIBUTION = (
    r"(?:Le|On|Am|El|Il|Op)\s[^\n]{0,300}?(?:\n[^\n]{0,300}?)?"
    r"(?:a\s+écrit|wrote|schrieb|escribió|ha scritto|schreef)\s*:"
)
_HEADER_KEYS_FROM = r"(?:From|De|Von|Van|Da)"
_HEADER_KEYS_OTHER = (
    r"(?:Sent|Envoyé|Envoye|Date|To|À|A|Subject|Objet|Cc|Gesendet|An|Betreff|Enviado|Para|Asunto)"
)
# A header block: "From:" then, within two lines, another header key.
_HEADER_BLOCK = (
    rf"\*?{_HEADER_KEYS_FROM}\s*\*?\s*:[^\n]*\n(?:[ \t>*]*[^\n]*\n)?[ \t>*]*\*?"
    rf"{_HEADER_KEYS_OTHER}\s*\*?\s*:"
)
_CUT_RE = re.compile(
    rf"^[ \t>]*(?:{_SEPARATORS}[ \t]*$|{_ATTRIBUTION}[ \t]*$|{_HEADER_BLOCK})",
    re.MULTILINE | re.IGNORECASE,
)
_UNDERSCORES_RE = re.compile(r"^[ \t]*_{10,}[ \t]*$")
_SENT_FROM_RE = re.compile(
    r"^(?:Sent from (?:my )?\S.*|Envoyé (?:de|depuis) (?:mon |ma |un |une )?\S.*"
    r"|Get Outlook for \S.*|Obtenir Outlook pour \S.*|Téléchargez Outlook pour \S.*)$",
    re.IGNORECASE,
)
_QUOTED_LINE_RE = re.compile(r"^[ \t]*>")


def _library_cut(text: str) -> int | None:
    """Where mail-parser-reply's first quote header starts in ``text`` (None: none found)."""
    try:
        from mailparser_reply import EmailReplyParser
        from mailparser_reply.parser import EmailMessage

        message = EmailMessage(text=text, languages=list(EmailReplyParser(["fr", "en"]).languages))
        found = message.HEADER_REGEX.search(message.text)
    except Exception:  # a library problem must never cost us the message
        log.debug("mail-parser-reply failed", exc_info=True)
        return None
    if not found:
        return None
    # The library strips every line; map the match back by the quote's first words.
    snippet = next((line for line in found.group(0).split("\n") if line.strip()), "")
    snippet = snippet.strip()[:40]
    if not snippet:
        return None
    for match in re.finditer(re.escape(snippet), text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text[line_start : match.start()].strip(" \t>*"):
            return line_start
    return None


def _trim_tail(lines: list[str]) -> list[str]:
    """Drop trailing blank lines, quoted lines, separators and "Sent from my …"."""
    while lines:
        last = lines[-1].strip()
        if (
            not last
            or _QUOTED_LINE_RE.match(lines[-1])
            or _UNDERSCORES_RE.match(last)
            or _SENT_FROM_RE.match(last)
            or set(last) <= set("-_=*")
        ):
            lines.pop()
            continue
        break
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _unquoted(text: str) -> str:
    """The lines of a bottom-posted answer: everything neither quoted nor an attribution."""
    kept = [
        line
        for line in text.split("\n")
        if not _QUOTED_LINE_RE.match(line) and not _CUT_RE.match(line)
    ]
    return "\n".join(_trim_tail(kept))


def reply_part(text: str) -> str:
    """The new text of a reply, quoted history removed ("" when there is no text)."""
    if not text or not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    scanned = text[:QUOTE_SCAN_LIMIT]
    cuts = [m.start() for m in [_CUT_RE.search(scanned)] if m]
    library = _library_cut(scanned)
    if library is not None:
        cuts.append(library)
    if cuts:
        cut = min(cuts)
        head = text[:cut]
        lines = _trim_tail(head.split("\n"))
        if lines:
            return "\n".join(line.rstrip() for line in lines)
        # Nothing above the quote: the answer is below it (bottom-posting) or absent.
        return _unquoted(text[:QUOTE_SCAN_LIMIT])
    lines = _trim_tail(text.split("\n"))
    if not lines:
        return _unquoted(text[:QUOTE_SCAN_LIMIT])
    return "\n".join(line.rstrip() for line in lines)
