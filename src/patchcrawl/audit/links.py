"""Link findings: what fetching a URL gave (dead, moved, blocked, paywalled,
unreachable, malformed), for every link of a document, prose included."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from patchcrawl.audit.common import finding
from patchcrawl.audit.fixes import edits_of, make_edit
from patchcrawl.models import Document, Edit, Finding, FindingCode, Link, Resolution
from patchcrawl.settings import Settings

# public-inbox's own escaping of message-ids in URLs: pchar without "/"
MSGID_SAFE = "@!$&'()*+,;=:~"

_LORE_MSG = re.compile(r"^https?://lore\.kernel\.org/([^/?#]+)/([^/?#]+)/?")

# statuses whose finding is the status itself: (code, message)
_PLAIN: dict[str, tuple[FindingCode, str]] = {
    "blocked": ("blocked", "blocked by a bot wall"),
    "paywalled": ("paywalled", "subscriber-only page"),
    "unreachable": ("unreachable", "unreachable"),
    "malformed": ("malformed-url", "malformed URL"),
}


def msgid_of(url: str | None) -> tuple[str, str] | None:
    """(list, msgid) of a lore message URL."""
    if not url:
        return None
    m = _LORE_MSG.match(url)
    if not m or m.group(1) == "patchwork":
        return None
    msgid = unquote(m.group(2))
    if "@" not in msgid:
        return None
    return m.group(1), msgid


def canonical_url(res: Resolution, style: str) -> str | None:
    """What a moved link should become, in ``settings.canonical_style``."""
    target = res.canonical_url or res.final_url
    meta = res.metadata
    if meta is not None and meta.canonical_url and not target:
        target = meta.canonical_url
    lore = msgid_of(target)
    msgid = lore[1] if lore else None
    list_name = lore[0] if lore else None
    if msgid is None and meta is not None and meta.msgid and meta.source == "lore":
        msgid = meta.msgid
    if msgid is None:
        return target
    q = quote(msgid, safe=MSGID_SAFE)
    if style == "r":
        return f"https://lore.kernel.org/r/{q}"
    if style == "list" and list_name and list_name not in {"r", "all"}:
        return f"https://lore.kernel.org/{list_name}/{q}/"
    return f"https://lore.kernel.org/all/{q}/"


def status_finding(
    doc: Document, link: Link, res: Resolution, settings: Settings
) -> Finding | None:
    """dead / moved / blocked / paywalled / unreachable / malformed for one link."""
    why = res.detail or (str(res.http_status) if res.http_status else None)
    suffix = f" ({why})" if why else ""
    if res.status == "moved":
        return _moved(doc, link, res, settings)
    code: FindingCode
    if res.status == "dead":
        code, text = "dead-link", "dead link"
    elif res.status in _PLAIN:
        code, text = _PLAIN[res.status]
    else:
        return None
    return finding(
        code,
        link,
        f"{text}{suffix}",
        file=doc.path,
        url=link.url,
        row_line=link.row_line,
        actual=why,
    )


def _moved(doc: Document, link: Link, res: Resolution, settings: Settings) -> Finding:
    """``moved-link``, with the canonical address as its fix."""
    new = canonical_url(res, settings.canonical_style)
    edits: tuple[Edit, ...] = ()
    if new and new != link.url:
        edits = edits_of(make_edit(doc, link.start, link.end, new, lambda o: o == link.url))
    return finding(
        "moved-link",
        link,
        f"link moved permanently to {new}" if new else "link moved permanently",
        expected=link.url,
        actual=new,
        edits=edits,
        file=doc.path,
        url=link.url,
        row_line=link.row_line,
    )
