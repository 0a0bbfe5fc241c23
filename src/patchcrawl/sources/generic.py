"""Every other host: status, redirects and the page's ``<title>``."""

from __future__ import annotations

import html
import re

from patchcrawl.models import Metadata

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.S | re.I)


def parse_title(body: bytes, charset: str = "utf-8") -> str | None:
    m = _TITLE.search(body[:262144])
    if not m:
        return None
    try:
        raw = m.group(1).decode(charset, "replace")
    except (LookupError, UnicodeError, TypeError):
        # an unknown charset, or one that is no text encoding for a page (idna,
        # punycode, undefined: they refuse "replace" or every byte)
        raw = m.group(1).decode("utf-8", "replace")
    return " ".join(html.unescape(raw).split()) or None


def metadata(body: bytes, url: str, content_type: str | None = None) -> Metadata:
    charset = "utf-8"
    if content_type and "charset=" in content_type:
        charset = content_type.split("charset=", 1)[1].split(";")[0].strip().strip('"') or charset
    title = parse_title(body, charset) if not content_type or "html" in content_type else None
    return Metadata(source="generic", title=title, canonical_url=url)
