"""Every value that reaches the report from a record, a file name, a log or a source's note
passes through here: escaped for HTML (tables, lists) or for Markdown (prose); only http(s) URLs
become links. A title ``<script>…`` is shown as text, never run."""

from __future__ import annotations

import html
import re

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&\"'~^=:$])")
_WEB_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)


def as_html(value: object) -> str:
    """``value`` as text in HTML (``<`` ``&`` and quotes escaped)."""
    return html.escape(str(value), quote=True)


def as_markdown(value: object) -> str:
    """``value`` as literal text in Markdown: its punctuation backslash-escaped, so neither
    Markdown (links, emphasis) nor HTML in it takes effect."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(value))


def as_code(value: object) -> str:
    """``value`` as inline code in Markdown: a code span, whose content Markdown shows as it is
    (HTML in it escaped); fenced with more backticks than it holds in a row."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"`{text}`"


def as_link(url: object, text: object | None = None, *, escaped: bool = False) -> str:
    """A link to ``url`` when it is an http(s) URL (a DOI is one), else its text, escaped
    (``escaped``: the values are escaped already, as a styled table's formatter gets them)."""
    url, text = str(url), str(url if text is None else text)
    if not escaped:
        url, text = as_html(url), as_html(text)
    if not url or not _WEB_URL.fullmatch(url):
        return text
    return f'<a href="{url}">{text}</a>'
