"""Header helpers shared by the store (a cheap scan before anything else) and the parser.

Nothing here raises on malformed input: a header that cannot be read is an empty string.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

# The header section is read at most this far: a message whose headers are longer is
# malformed anyway, and the store must stay cheap for a 25 MB message.
HEADER_SCAN_LIMIT = 256 * 1024
MESSAGE_ID_MAX = 998

_MSGID_RE = re.compile(r"<[^<>\s]{1,996}>")
_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Charsets seen in the wild under names Python does not know (or knows wrongly).
CHARSET_ALIASES = {
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "x-user-defined": "windows-1252",
    "unknown": "utf-8",
    "x-gbk": "gbk",
    "gb2312": "gb18030",  # gb2312 mail is routinely written with GBK/GB18030 characters
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-1": "windows-1252",  # Windows clients label windows-1252 text as latin-1
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "utf-8",  # 8-bit text labelled ASCII is nearly always UTF-8
    "ascii": "utf-8",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "cp-850": "cp850",
    "shift-jis": "shift_jis",
    "x-sjis": "shift_jis",
    "windows-874": "cp874",
}


_SINGLE_BYTE = ("cp125", "iso8859", "latin", "mac-", "koi8", "cp8", "cp437", "tis-620", "cp874")
_GUESSED_LABELS = {"us-ascii", "ascii", "x-unknown", "unknown-8bit", "unknown", "x-user-defined"}


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a MIME charset label, or None when there is none."""
    if not charset:
        return None
    label = str(charset).strip().strip("\"'").lower()
    label = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError, TypeError):
        return None


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Text from ``data`` labelled ``charset``; second item True when a guess was needed.

    The declared charset first, then UTF-8; a real declared charset that does not fit is
    kept with replacement characters (better than mojibake); an absent or meaningless label
    falls back to windows-1252, then latin-1, which always decodes.
    """
    declared = codec_for(charset)
    meaningful = declared is not None and str(charset).strip().strip("\"'").lower() not in (
        _GUESSED_LABELS
    )
    if declared and declared.startswith(_SINGLE_BYTE) and not data.isascii():
        # Valid UTF-8 under a single-byte label is UTF-8: legacy text almost never is.
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    for codec in dict.fromkeys(c for c in (declared, "utf-8") if c):
        try:
            return data.decode(codec), codec != declared
        except (UnicodeDecodeError, LookupError):
            continue
    if meaningful and declared:
        return data.decode(declared, errors="replace"), True
    try:
        return data.decode("windows-1252"), True
    except UnicodeDecodeError:
        return data.decode("latin-1"), True


# UTF-8 read as windows-1252: "Ã©" for "é", "â€™" for "’". A lead byte, then exactly the
# continuation bytes it announces, as windows-1252 shows them.
_CONT = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_MOJIBAKE_RE = re.compile(
    f"[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}|[\u00f0-\u00f4][{_CONT}]{{3}}"
)


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text decoded as windows-1252 or latin-1, sequence by sequence (a mailing
    list that re-encoded a message): only sequences that decode as UTF-8 are changed."""
    if not _MOJIBAKE_RE.search(text):
        return text
    fixed = 0

    def repair(match: re.Match[str]) -> str:
        nonlocal fixed
        sequence = match.group(0)
        for codec in ("windows-1252", "latin-1"):
            try:
                repaired = sequence.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            fixed += 1
            return repaired
        return sequence

    text = _MOJIBAKE_RE.sub(repair, text)
    if fixed >= 2:  # clearly mojibake: "Ã " is "à" whose no-break space was lost
        text = text.replace("Ã ", "à ")
    return text


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in a raw header value, tolerating unknown charsets."""
    if "=?" not in value:
        return clean_text(fix_mojibake(unsurrogate(value)))
    try:
        parts = decode_header(value)
    except Exception:
        return clean_text(fix_mojibake(unsurrogate(value)))
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset)[0])
        else:
            out.append(chunk)
    return clean_text(fix_mojibake("".join(out)))


def clean_text(value: str) -> str:
    """One line: unfolded, control characters removed, stray surrogates replaced."""
    value = unsurrogate(value).encode("utf-8", errors="replace").decode("utf-8")
    return " ".join(_CONTROL_RE.sub(" ", value).split())


def normalize_message_id(value: str | None) -> str:
    """``<id@host>`` from a Message-ID header value; "" when there is none."""
    if not value:
        return ""
    value = str(value)
    match = _MSGID_RE.search(value)
    if match:
        return match.group(0)
    bare = "".join(clean_text(value).split())
    if not bare or len(bare) > MESSAGE_ID_MAX - 2:
        return ""
    return f"<{bare.strip('<>')}>" if bare.strip("<>") else ""


def message_ids(value: str | None, limit: int = 100) -> tuple[str, ...]:
    """Every ``<id>`` of an In-Reply-To or References header, in order, without repeats."""
    if not value:
        return ()
    found = dict.fromkeys(_MSGID_RE.findall(str(value)))
    return tuple(list(found)[:limit])


def header_block(raw: bytes) -> bytes:
    """The header section of a raw message (bounded), without the body."""
    head = raw[:HEADER_SCAN_LIMIT]
    match = _HEADER_END_RE.search(head)
    return head[: match.start()] + b"\n" if match else head


def scan_headers(raw: bytes) -> Message:
    """The headers only, parsed the forgiving way (compat32); never raises."""
    try:
        return BytesHeaderParser(policy=compat32).parsebytes(header_block(raw))
    except Exception:
        return Message()


_SURROGATES_RE = re.compile("[\udc80-\udcff]")


def unsurrogate(value: str) -> str:
    """Undo the surrogate escapes that raw 8-bit header bytes become (RFC 6532 UTF-8, or
    a legacy charset sent unencoded)."""
    if not _SURROGATES_RE.search(value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    return decode_bytes(data, "utf-8")[0]


def raw_headers(headers: Message, name: str) -> list[str]:
    """Every value of header ``name`` as sent (unfolded later), 8-bit bytes decoded."""
    wanted = name.lower()
    try:
        items = headers.raw_items()
        return [unsurrogate(str(v)) for k, v in items if str(k).lower() == wanted]
    except Exception:
        return []


def raw_header(headers: Message, name: str) -> str:
    values = raw_headers(headers, name)
    return values[0] if values else ""


def first_address(value: str) -> tuple[str, str]:
    """(display name, lower-cased address) of the first address in a header value."""
    try:
        pairs = getaddresses([value])
    except Exception:
        return "", ""
    for name, addr in pairs:
        addr = addr.strip().lower()
        if "@" in addr:
            return decode_words(name), addr
    return "", ""


def summary(raw: bytes) -> tuple[str, str, str]:
    """(Message-ID, sender address, subject) from a cheap header scan; never raises."""
    headers = scan_headers(raw)
    message_id = normalize_message_id(raw_header(headers, "Message-ID"))
    sender = first_address(raw_header(headers, "From"))[1]
    subject = decode_words(raw_header(headers, "Subject"))
    return message_id, sender, subject
