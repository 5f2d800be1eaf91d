"""Property tests: whatever is done to a message — bytes flipped, cut short, headers repeated,
garbage — parse_message returns a ParsedEmail and never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esoutien.mail.inbound.message import ParsedEmail
from esoutien.mail.inbound.parse import parse_message
from esoutien.mail.inbound.quotes import reply_part
from tests.inbound.gateway_support import corpus_files

# Small and varied seeds: a plain reply, HTML, a bounce, attachments, broken MIME.
SEEDS = [
    p.read_bytes()
    for p in corpus_files()
    if p.name
    in {
        "fr_thunderbird_plain_reply.eml",
        "fr_gmail_alternative_reply.eml",
        "fr_outlook_de_envoye_reply.eml",
        "webklex_html_only.eml",
        "mimekit_bounce_postfix.eml",
        "mikel_attachment_with_quoted_filename.eml",
        "mikel_raw_email_with_illegal_boundary.eml",
        "stalwart_malformed-017_missing_semicolon.eml",
        "mimekit_tnef_ukr_winmail_koi8r.eml",
        "sisimai_rfc3834-06_mimecast_autorespons.eml",
    }
]
HEADER_NAMES = [
    b"From",
    b"To",
    b"Subject",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    b"Date",
    b"Content-Disposition",
    b"Auto-Submitted",
]
NASTY_VALUES = [
    b"",
    b"=?utf-8?q?",
    b"=?x-unknown?b?////?=",
    b"multipart/mixed; boundary=",
    b'multipart/alternative; boundary="x"',
    b"text/plain; charset=x-nope",
    b"attachment; filename*=utf-8''%ff%fe",
    b"<<<@@@>>>",
    b"base64",
    b"\xff\xfe\x00",
    b"a" * 5000,
    b"Mon, 99 Foo 20x6",
]

checks = settings(
    max_examples=60,
    deadline=None,
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _ok(raw: bytes) -> ParsedEmail:
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedEmail)
    for text in (parsed.text, parsed.reply_text, parsed.subject, parsed.sender):
        text.encode("utf-8")
        assert "\x00" not in text
    return parsed


@checks
@given(
    seed=st.sampled_from(SEEDS),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=30),
)
def test_flipped_bytes(seed: bytes, flips: list[tuple[float, int]]) -> None:
    data = bytearray(seed)
    for where, value in flips:
        data[int(where * len(data))] = value
    _ok(bytes(data))


@checks
@given(seed=st.sampled_from(SEEDS), cut=st.floats(0, 1))
def test_truncated(seed: bytes, cut: float) -> None:
    _ok(seed[: int(cut * len(seed))])


@checks
@given(
    seed=st.sampled_from(SEEDS),
    extra=st.lists(
        st.tuples(st.sampled_from(HEADER_NAMES), st.sampled_from(NASTY_VALUES)), max_size=8
    ),
    times=st.integers(1, 50),
)
def test_headers_duplicated_and_mangled(
    seed: bytes, extra: list[tuple[bytes, bytes]], times: int
) -> None:
    added = b"".join(name + b": " + value + b"\r\n" for name, value in extra) * times
    _ok(added + seed)


@checks
@given(seed=st.sampled_from(SEEDS), junk=st.binary(max_size=2000), where=st.floats(0, 1))
def test_junk_inserted(seed: bytes, junk: bytes, where: float) -> None:
    at = int(where * len(seed))
    _ok(seed[:at] + junk + seed[at:])


@checks
@given(raw=st.binary(max_size=4000))
def test_any_bytes_at_all(raw: bytes) -> None:
    _ok(raw)


@settings(max_examples=15, deadline=None, database=None)
@given(depth=st.integers(1, 120))
def test_deep_nesting(depth: int) -> None:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    parsed = _ok(b"From: a@b.example\r\n" + head + b"Content-Type: text/plain\r\n\r\ndeep\r\n")
    assert parsed.sender == "a@b.example"


@checks
@given(text=st.text(max_size=3000))
def test_reply_part_never_raises(text: str) -> None:
    assert isinstance(reply_part(text), str)
