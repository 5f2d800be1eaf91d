"""Every message of the corpus (tests/inbound/corpus, real mail from public test suites and
French replies written for this project; sources and licences in corpus/SOURCES.md) goes
through store and parse without an exception, and what matters for its category holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from esoutien.mail.inbound.message import ParsedEmail
from esoutien.mail.inbound.parse import parse_message
from esoutien.mail.inbound.store import store_raw
from esoutien.mail.models import InboundEmail, InboundStatus
from tests.inbound.gateway_support import CATEGORIES, corpus, corpus_files

ALL = corpus_files()
_TAG_RE = re.compile(r"</?(?:html|body|div|p|br|span|table|td|tr|a|img|font|script|style)\b", re.I)


def test_the_corpus_has_every_category() -> None:
    for category in CATEGORIES:
        assert corpus_files(category), category
    assert len(ALL) >= 90


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_message_parses_to_a_result(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert isinstance(parsed, ParsedEmail)
    assert not any(e.startswith("fatal:") for e in parsed.errors), parsed.errors
    assert all(isinstance(e, str) for e in parsed.errors)
    for text in (parsed.text, parsed.reply_text, parsed.subject, parsed.sender_name):
        text.encode("utf-8")  # no lone surrogates: every string can be stored and shown
        assert "\x00" not in text
    assert all(a.filename and "/" not in a.filename for a in parsed.attachments)
    assert parsed.message_id == "" or re.fullmatch(r"<[^<>\s]+>", parsed.message_id)


@pytest.mark.django_db
def test_every_message_is_stored_first() -> None:
    for path in ALL:
        raw = path.read_bytes()
        row = store_raw(raw, transport="test")
        assert bytes(row.raw) == raw, path.name
    # Two corpus messages share a Message-ID (the same Gmail message in two test suites):
    # the second copy is recorded as a duplicate, nothing is lost.
    assert InboundEmail.objects.count() == len(ALL)
    assert InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE).count() >= len(ALL) - 2


# --- replies: the new text, not the quoted history -----------------------------------------

REPLIES = {
    # file: (text that must be in reply_text, texts that must not)
    "fr_thunderbird_plain_reply.eml": ("FI-1234-5678", ["Pour avancer", "a écrit", "> "]),
    "fr_gmail_alternative_reply.eml": ("FI-1234-5678", ["Pour avancer", "a écrit"]),
    "fr_outlook_de_envoye_reply.eml": ("FI-1234-5678", ["Pour avancer", "Envoyé :", "De :"]),
    "fr_applemail_iphone_reply.eml": (
        "Le site est revenu à 10h40, merci !",
        ["Pour avancer", "a écrit", "Envoyé de mon iPhone"],
    ),
    "fr_spoofed_sender_reply.eml": ("Merci de clôturer ce ticket", []),
    "phpmime_m0013_fr_outlook365_message_d_origine.eml": (
        "Superviseur de voitures",
        ["Message d'origine", "Envoyé", "Retour BL"],
    ),
    "talon_apple_mail.eml": ("Hello", ["wrote:", "> Hi"]),
    "talon_gmail.eml": ("Hello", ["wrote:", "> Hi"]),
    "talon_hotmail.eml": ("Hello", ["Subject: Test", "> Hi"]),
    "talon_iphone.eml": ("Hello", ["Sent from my iPhone", "wrote:"]),
    "talon_outlook.eml": ("Hello", ["From:", "manager"]),
    "talon_thunderbird.eml": ("Hello", ["wrote:"]),
    "talon_yahoo.eml": ("Hello", ["Original Message", "From:"]),
    "chatwoot_mail_with_quote.eml": ("Yes, I am providing you step", ["Any update", "wrote:"]),
    "lasuite_gmail_reply_fr_subject.eml": ("Yes !", ["Lorem ipsum", "wrote:"]),
    "mikel_raw_email_reply.eml": ("Message body", []),
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_reply_text_is_the_answer_without_the_quoted_history(name: str) -> None:
    parsed = parse_message(corpus(name))
    present, absent = REPLIES[name]
    assert present in parsed.reply_text
    for text in absent:
        assert text not in parsed.reply_text, (text, parsed.reply_text)
    assert present in parsed.text  # the whole body keeps everything


def test_french_replies_are_whole_answers_with_their_threading() -> None:
    for path in corpus_files("replies-fr"):
        parsed = parse_message(path.read_bytes())
        assert parsed.in_reply_to == ("<es-2026-000042.3@e-soutien.example>",)
        assert parsed.references[-1] == "<es-2026-000042.3@e-soutien.example>"
        assert parsed.recipients == ("support+tk42x7@e-soutien.example",)
        assert "[ES-2026-000042]" in parsed.subject
    gmail = parse_message(corpus("fr_gmail_alternative_reply.eml"))
    assert gmail.sender == "jerome.dupre@alfa.example"
    assert gmail.sender_name == "Jérôme Dupré"
    assert gmail.reply_text.startswith("Bonjour,\n\nLa référence PTO est FI-1234-5678.")
    assert gmail.reply_text.endswith("NOC ALFA Télécom")
    outlook = parse_message(corpus("fr_outlook_de_envoye_reply.eml"))  # windows-1252 QP
    assert "La référence PTO" in outlook.reply_text
    assert outlook.sender_name == "DUPONT Marc (ALFA)"


def test_html_only_reply_drops_the_quoted_blockquote() -> None:
    raw = (
        b"From: claire.martin@alfa.example\r\nTo: support@e-soutien.localhost\r\n"
        b"Subject: Re: [ES-2026-000042] question\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        b"<div>Voici la r\xc3\xa9ponse&nbsp;: FI-1234-5678.</div>"
        b'<div class="gmail_quote"><div>Le jeu. 12 mars 2026, support a \xc3\xa9crit&nbsp;:</div>'
        b"<blockquote>Pour avancer, pouvez-vous...</blockquote></div></body></html>\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.reply_text == "Voici la réponse : FI-1234-5678."
    assert "Pour avancer" in parsed.text
    assert "alert" not in parsed.text and "color" not in parsed.text


def test_bottom_posted_answer_keeps_the_unquoted_lines() -> None:
    raw = (
        "From: claire.martin@alfa.example\r\nTo: support@e-soutien.localhost\r\n"
        "Subject: Re: question\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Le 12/03/2026 à 09:58, support e-soutien a écrit :\r\n"
        "> Pouvez-vous nous indiquer la référence ?\r\n\r\n"
        "La référence est FI-1234-5678.\r\n"
    ).encode()
    assert parse_message(raw).reply_text == "La référence est FI-1234-5678."


# --- HTML-only messages: text, no markup, no script ----------------------------------------


@pytest.mark.parametrize("path", corpus_files("html"), ids=lambda p: p.name)
def test_html_messages_become_text_without_markup(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert not _TAG_RE.search(parsed.text), parsed.text[:300]
    assert not _TAG_RE.search(parsed.reply_text)
    assert "<script" not in parsed.text.lower()


def test_html_only_messages_have_their_text() -> None:
    assert parse_message(corpus("webklex_html_only.eml")).text == "Hi"
    spam = parse_message(corpus("spamscope_mail_test_8.eml"))
    assert "Imagine" in spam.text and "Flying" in spam.text
    latin1_html = parse_message(corpus("mikel_content_transfer_encoding_with_8bits.eml"))
    assert "Holiday Gift Ideas" in latin1_html.text
    related = parse_message(corpus("stalwart_thirdparty-017_text_html_embedded_image.eml"))
    assert related.text == "Search for hähä"
    assert [a.content_type for a in related.attachments] == ["image/png"]


# --- encodings: readable text, no mojibake ------------------------------------------------

READABLE = {
    "helpdesk_quoted_printable.eml": ("Český test", "českých písmen"),
    "mikel_ks_c_5601-1987.eml": ("test", "스티해"),
    "mikel_raw_email10_x-unknown_charset.eml": ("", "Envoyé par le service de messagerie"),
    "mikel_rfc6532_utf8_headers.eml": ("Säying Hello", "body"),
    "phpmime_issue149_iso-8859-8-i.eml": ("מענה 'אני לא נמצא': Invoice 02722027", ""),
    "spamscope_mail_test_12_gb2312.eml": ("代开各地增值税发票", "我公司可代开各类增值税发票"),
    "spamscope_mail_test_9_gb2312_html.eml": ("我把镜头拉近些", "我把镜头拉近些"),
    "webklex_gbk_charset.eml": ("Nuu", "Hi"),
    "helpdesk_utf-nondecodable.eml": ("Cyklozaměstnavatel - změna vyhodnocení", "Ahoj Johne"),
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_encodings_give_readable_text(name: str) -> None:
    parsed = parse_message(corpus(name))
    subject, text = READABLE[name]
    assert subject in parsed.subject
    assert text in parsed.text
    if name != "helpdesk_utf-nondecodable.eml":  # its undecodable bytes are replaced
        assert "\ufffd" not in parsed.text + parsed.subject
    for mojibake in ("Ã©", "Ã¨", "Ã ", "â€™", "Â "):
        assert mojibake not in parsed.text + parsed.subject


def test_raw_utf8_headers_and_a_mojibake_list_are_repaired() -> None:
    utf8 = parse_message(corpus("mikel_rfc6532_utf8_headers.eml"))
    assert (utf8.sender, utf8.sender_name) == ("jdöe@mächine.example", "Jöhn Doe")
    frnog = parse_message(corpus("james_frnog_fr_mailing_list_mojibake.eml"))
    assert "en métropole, idéalement à" in frnog.text
    assert "La Réunion" in frnog.text
    yahoo = parse_message(corpus("james_yahooInvitation_calendar.eml"))
    assert yahoo.subject == "***SPAM*** Invitation : Test from Yahoo"


# --- attachments: decoded names ------------------------------------------------------------

NAMES = {
    "james_messageWithNonASCIIFilenameAttachment.eml": "ديناصور.odt",  # RFC 2231
    "mikel_attachment_with_quoted_filename.eml": "Eelanalüüsi päring.jpg",
    "mikel_japanese_attachment_long_name.eml": "かきくけこ" * 5 + ".txt",  # RFC 2231 continued
    "flanker_attached-pdf.eml": "test.pdf",
    "lasuite_gmail_inline_jpeg_fr.eml": "sardine.jpg",
    "phpmime_m0013_fr_outlook365_message_d_origine.eml": (
        "50032266 CAR 11_MNPA00A01_9PTX_H00 ATT N° 1467829.pdf"  # RFC 2047
    ),
    "phpmime_m0001_fr_gmail_attachment.eml": "attach01",
    "mimekit_tnef_ukr_winmail_koi8r.eml": "winmail.dat",
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_attachment_names_are_decoded(name: str) -> None:
    parsed = parse_message(corpus(name))
    assert NAMES[name] in [a.filename for a in parsed.attachments]
    assert all(a.content for a in parsed.attachments if a.filename == NAMES[name])


def test_tnef_is_kept_as_it_is_and_the_text_is_read() -> None:
    parsed = parse_message(corpus("mimekit_tnef_ukr_winmail_koi8r.eml"))
    [tnef] = parsed.attachments
    assert tnef.content_type == "application/ms-tnef"
    assert tnef.content.startswith(b"\x78\x9f\x3e\x22")  # TNEF signature: not unpacked
    assert "шостий" in parsed.text  # koi8-r quoted-printable


def test_many_attachments_and_attached_messages() -> None:
    many = parse_message(corpus("phpmime_issue408_300_attachments.eml"))
    assert len(many.attachments) > 300
    forwarded = parse_message(corpus("james_recursiveMail_fr_fwd_as_attachment.eml"))
    [eml] = forwarded.attachments
    assert eml.content_type == "message/rfc822"
    assert eml.filename.endswith(".eml")
    assert b"Courbe Sprint" in eml.content


# --- auto-replies, bounces, lists -----------------------------------------------------------


@pytest.mark.parametrize("path", corpus_files("autoreply"), ids=lambda p: p.name)
def test_auto_replies_are_recognised(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert parsed.is_auto_reply
    assert not parsed.is_bounce


def test_french_exchange_absence_is_an_auto_reply_by_its_subject() -> None:
    parsed = parse_message(corpus("fr_exchange_absence_autoreply.eml"))
    assert parsed.is_auto_reply and not parsed.is_bounce and not parsed.is_list


BOUNCED = {
    "flanker_gmail-invalid-address.eml": (
        "<CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com>"
    ),
    "flanker_office365.eml": "<20171013111011.20866.254C2F3A4D7AA526@ninomail.com>",
    "mimekit_bounce_postfix.eml": (
        "<44565655.JitbitHelpdesk.13439.691a0afc-a0a0-457c-8208-f20b7c4a4cb1@jitbit.com>"
    ),
    "nodemailer_delivery-status.eml": "<xxxxx@email.amazonses.com>",
    "sisimai_lhost-exchange2007-06_fr_non_remis.eml": (
        "<1513177790.ha3dsljxgizc2mjrgq2dkobx@mb.newsletter-autos.fr>"
    ),
    "sisimai_lhost-gmail-01.eml": "<D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com>",
    "sisimai_lhost-office365-01.eml": "<FFFFFFFF.EEEEEEEE@example.ed.jp>",
    "sisimai_lhost-qmail-01.eml": "<000000000.9999999999999.JavaMail.postmaster@mailhub>",
    "sisimai_rhost-franceptt-01_orange.eml": (
        "<20FA40A8-4F88-4453-953D-B7038769D040@example.co.jp>"
    ),
    "sisimai_rhost-franceptt-05_compte_bloque.eml": "<1576566821.xxxx@xxxx.com>",
    "spamscope_mail_malformed_2_dsn.eml": "<004801d1fc84$01c934ac$b247f0b7$@infospacemail.com>",
    "webklex_example_bounce_exim.eml": "<UyVznI5nOyYGnv7Ij0hi6ro4gvxwGT999eQAtc4o@127.0.0.1>",
}


@pytest.mark.parametrize("path", corpus_files("bounce"), ids=lambda p: p.name)
def test_bounces_are_recognised_with_what_they_report_on(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert parsed.is_bounce
    assert parsed.is_auto_reply  # never answered either
    if path.name in BOUNCED:
        assert parsed.bounced_message_ids == (BOUNCED[path.name],)
    assert parsed.message_id not in parsed.bounced_message_ids


def test_a_forward_as_attachment_is_not_a_bounce() -> None:
    parsed = parse_message(corpus("sisimai_is-not-bounce-02_fwd_as_attachment.eml"))
    assert not parsed.is_bounce and not parsed.is_auto_reply
    assert parsed.bounced_message_ids == ()


@pytest.mark.parametrize(
    "name",
    [
        "james_frnog_fr_mailing_list_mojibake.eml",
        "james_mail_arch-general_mailman.eml",
        "james_pgpSignedMail_debian_security.eml",
        "spamscope_mail_test_13_mailchimp.eml",
        "webklex_github_notification.eml",
    ],
)
def test_mailing_lists_are_recognised(name: str) -> None:
    assert parse_message(corpus(name)).is_list


@pytest.mark.parametrize("category", ["replies", "replies-fr", "attachments"])
def test_people_writing_are_not_robots(category: str) -> None:
    for path in corpus_files(category):
        if path.name in (
            "fr_exchange_absence_autoreply.eml",
            "zbateson_m4006_tnef_read_receipt.eml",
        ):
            continue
        parsed = parse_message(path.read_bytes())
        assert not parsed.is_auto_reply, path.name
        assert not parsed.is_bounce and not parsed.is_list and not parsed.loop, path.name


def test_our_own_mail_is_a_loop() -> None:
    from tests.inbound.gateway_support import make_message

    raw = make_message(headers={"X-ESoutien-Loop": "support@e-soutien.localhost"})
    assert parse_message(raw).loop


# --- malformed: a result, with the problems recorded ---------------------------------------


@pytest.mark.parametrize("path", corpus_files("malformed"), ids=lambda p: p.name)
def test_malformed_messages_record_their_problems(path: Path) -> None:
    parsed = parse_message(path.read_bytes())
    assert parsed.errors
    assert not any(e.startswith("fatal:") for e in parsed.errors)


def test_malformed_messages_still_give_what_can_be_read() -> None:
    boundary = parse_message(corpus("mikel_raw_email_with_illegal_boundary.eml"))
    assert any("Content-Type" in e for e in boundary.errors)  # unquoted "=" in the boundary
    assert boundary.text.strip() and "NextPart" not in boundary.text
    semicolon = parse_message(corpus("stalwart_malformed-017_missing_semicolon.eml"))
    assert "broken multipart boundary: repaired" in semicolon.errors
    assert [a.filename for a in semicolon.attachments] == ["image001.png"]
    long_header = parse_message(corpus("flanker_long-header.eml"))
    assert long_header.subject.startswith("Die heiße Zypernsonne quälte Max")
    broken_type = parse_message(corpus("flanker_spam_broken-ctype.eml"))
    assert [(a.filename, a.content_type) for a in broken_type.attachments] == [
        ("facejj.jpg", "image/jpeg")
    ]
    newline_name = parse_message(corpus("james_invalid_apple_mail_newline_in_filename.eml"))
    assert all("\n" not in a.filename and "\r" not in a.filename for a in newline_name.attachments)
    folded_to = parse_message(corpus("mikel_new_line_in_to_header.eml"))
    assert "cc@c-l-example.com" in folded_to.recipients
