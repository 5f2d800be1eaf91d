"""HTML mail bodies made text: sanitised with nh3 first, then a small block-aware converter.

``html_to_text(html, drop_quotes=True)`` also leaves out what mail clients put around the
quoted history (``<blockquote>``, Gmail's ``gmail_quote``, Thunderbird's cite prefix,
Outlook's reply header and everything after it), for the reply part of an HTML-only answer.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# At most this much HTML is converted: a larger body is a newsletter, not an answer.
HTML_LIMIT = 2 * 1024 * 1024

_BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "thead",
    "tr",
    "ul",
}
_VOID = {"area", "br", "col", "hr", "img", "wbr", "input", "meta", "link", "source"}
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
# Outlook (web and desktop) starts the quoted message with one of these: stop there.
_STOP_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


def sanitize(html: str) -> str:
    """Safe HTML: no script, style or event handler; classes and ids kept for the converter."""
    return nh3.clean(
        html[:HTML_LIMIT],
        attributes={"*": {"class", "id", "type"}},
        clean_content_tags={"script", "style", "title", "noscript", "template", "svg", "head"},
        strip_comments=True,
    )


class _TextMaker(HTMLParser):
    def __init__(self, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_quotes = drop_quotes
        self.out: list[str] = []
        self.skip_tag = ""
        self.skip_depth = 0
        self.stopped = False
        self.pre = 0
        self.list_depth = 0

    def _newline(self, count: int = 1) -> None:
        self.out.append("\n" * count)

    def _is_quote(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag == "blockquote":
            return True
        values = dict(attrs)
        classes = (values.get("class") or "").lower()
        return any(name in classes for name in _QUOTE_CLASSES)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self.skip_depth:
            if tag == self.skip_tag and tag not in _VOID:
                self.skip_depth += 1
            return
        if self.drop_quotes:
            element_id = (dict(attrs).get("id") or "").lower()
            if element_id in _STOP_IDS:
                self.stopped = True
                return
            if self._is_quote(tag, attrs) and tag not in _VOID:
                self.skip_tag, self.skip_depth = tag, 1
                return
        if tag == "br":
            self._newline()
        elif tag == "hr":
            self._newline()
            self.out.append("----")
            self._newline()
        elif tag in ("ul", "ol"):
            self.list_depth += 1
            self._newline()
        elif tag == "li":
            self._newline()
            self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "pre":
            self.pre += 1
            self._newline()
        elif tag in _BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth -= 1
            return
        if tag in ("ul", "ol"):
            self.list_depth = max(0, self.list_depth - 1)
            self._newline()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._newline()
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table"):
            self._newline(2)
        elif tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.stopped or self.skip_depth:
            return
        if self.pre:
            self.out.append(data.replace("\u00a0", " "))
        else:
            self.out.append(_SPACES.sub(" ", data.replace("\n", " ")))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.out).split("\n")]
        result: list[str] = []
        for line in lines:
            if not line and (not result or not result[-1]):
                continue
            result.append(line)
        return "\n".join(result).strip()


def html_to_text(html: str, *, drop_quotes: bool = False) -> str:
    """Readable text of an HTML body; never returns markup."""
    maker = _TextMaker(drop_quotes)
    maker.feed(sanitize(html))
    maker.close()
    return maker.text()
