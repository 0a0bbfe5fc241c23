"""lore.kernel.org (public-inbox): message pages, raw mail, thread pages, choices.

public-inbox renders a message's headers (``From:``, ``Subject: <a href="#r"
id=t>..</a>``, ``Date:``, ``Message-ID: &lt;..&gt; (raw)``, ``In-Reply-To:``) at the
top of ``<pre id=b>``, the body following after a blank line; some renderings
keep them in a ``<pre>`` of their own before the body.  When that
block is missing or odd, ``<msgid>/raw`` (mboxrd) is the fallback, read with
liblore.  An unknown message-id is a page titled ``&lt;mid&gt; not found``
(404, and sometimes 200: a soft 404); a message that lives elsewhere answers
"found in another inbox" (200) or "found in other inboxes" (300).
"""

from __future__ import annotations

import datetime as dt
import html as _html
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from patchcrawl.models import Metadata, Ref
from patchcrawl.sources import _site
from patchcrawl.sources._common import (
    HEADER_ERRORS,
    decode,
    html,
    inbody_from,
    join_url,
    mail_date,
    split_person,
    split_url,
    subject_info,
)

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser
    from selectolax.lexbor import LexborNode as Node

LORE_HOST = "lore.kernel.org"
#: the LKML patchwork lore serves, frozen in 2021: every page of it redirects for good
LEGACY_PREFIX = "/patchwork/"
#: views of one message (after its message-id): the thread, the raw mail, the mbox
MESSAGE_VIEWS = frozenset({"T", "t", "raw", "t.mbox.gz", "t.atom"})
# path segments that are not lists: /r/<msgid> is a redirector, the rest are pages
_NOT_LISTS = frozenset({"r", "patchwork", "_", "all.git", "manifest.js.gz"})


@dataclass(frozen=True, slots=True)
class MessageHeaders:
    """What one mail says about itself."""

    subject: str
    from_name: str | None
    from_email: str | None
    date: str | None  # ISO 8601 with offset
    msgid: str | None
    in_reply_to: str | None = None
    # the body's leading ``From:`` line (git's in-body author, a mail sent on someone's
    # behalf): the patch's author, where the header names only who sent it
    inbody_name: str | None = None
    inbody_email: str | None = None


@dataclass(frozen=True, slots=True)
class LoreLocation:
    list_name: str
    msgid: str
    rest: str  # "" for the message page, "raw", "T/", ...


def quote_msgid(msgid: str) -> str:
    """Message-ids never hold a raw ``/``; ``@`` stays readable (a byte that was not
    UTF-8, kept as a surrogate escape, is quoted as that byte)."""
    return quote(msgid, safe="@!$&'()*+,;=:~-._", errors="surrogateescape")


def canonical_url(msgid: str, style: str = "all", list_name: str | None = None) -> str:
    """The lore URL a moved link should become (``Settings.canonical_style``)."""
    q = quote_msgid(msgid)
    if style == "r":
        return f"https://{LORE_HOST}/r/{q}"
    if style == "list" and list_name and list_name not in _NOT_LISTS:
        return f"https://{LORE_HOST}/{list_name}/{q}/"
    return sys.intern(f"https://{LORE_HOST}/all/{q}/")  # the same string as the ref's


def locate(url: str) -> LoreLocation | None:
    """``https://lore.kernel.org/<list>/<msgid>/...`` -> list, msgid, rest (else None)."""
    parts = split_url(url)
    if parts is None or (parts.hostname or "").lower() != LORE_HOST:
        return None
    segs = parts.path.split("/")
    if len(segs) < 3 or not segs[1] or not segs[2]:
        return None
    if segs[1] == "r":
        return LoreLocation("all", unquote(segs[2]), "/".join(segs[3:]))
    if segs[1] in _NOT_LISTS:
        return None
    return LoreLocation(segs[1], unquote(segs[2]), "/".join(segs[3:]))


# ---------------------------------------------------------------- URL shapes

#: lore paths that are not lists (so ``lore.kernel.org/<x>/`` is no message).
_REF_NON_LISTS = frozenset({"patchwork", "_", "pub"})
#: what may follow a message-id when more than two segments do
_REF_VIEWS = frozenset({"T", "t", "raw", "t.mbox.gz", "T.mbox.gz", "#r", "2-a.txt"})


def lore_message_url(msgid: str, list_name: str = "all") -> str:
    """The lore URL a link to a message is fetched at: ``https://lore.kernel.org/all/<msgid>/``
    (the message-id quoted with ``safe='@'``, DESIGN.md)."""
    # interned: the ref, the page's metadata and the resolution name it, 50,000 times
    return sys.intern(f"https://{LORE_HOST}/{list_name}/{_site.quote_msgid(msgid)}/")


def _message_ref(link: _site.Link, raw_msgid: str, list_name: str | None) -> Ref | None:
    """A lore message by the message-id in ``raw_msgid``; a redirector (no list named)
    is fetched as written and followed."""
    msgid = _site.clean_msgid(raw_msgid)
    if msgid is None:
        return None
    return Ref(
        url=link.url,
        kind="lore-message",
        fetch_url=lore_message_url(msgid, list_name) if list_name else link.fetch_url,
        host=link.host,
        msgid=msgid,
        list_name=list_name,
        item_type="message",
        canonical=lore_message_url(msgid),
    )


def legacy_patchwork(link: _site.Link) -> Ref | None:
    """``lore.kernel.org/patchwork/{patch,cover}/<n>``: the LKML patchwork, frozen in
    2021 and served by lore (1,144 links of the corpus).  It names no message: lore
    redirects it to one (:func:`patchcrawl.sources.lore_search.legacy_target`).

    https://lore.kernel.org/patchwork/patch/1052413
    """
    s = link.segs
    if len(s) < 3 or s[0] != "patchwork" or s[1] not in ("patch", "cover") or not s[2].isdigit():
        return None
    return Ref(
        url=link.url,
        kind="lore-patchwork-legacy",
        fetch_url=f"https://{LORE_HOST}/patchwork/{s[1]}/{s[2]}/",
        host=link.host,
        item_id=s[2],
        item_type=s[1],
    )


def list_message(link: _site.Link) -> Ref | None:
    """``lore.kernel.org/<list>/<msgid>/`` and its views (``T/``, ``t/``, ``raw``, a
    ``#fragment``): the most common link of the corpus (3,616: ``all`` 2,268, ``r``
    784, ``lkml`` 501, 63 on other lists).  Fetched under the list it names, known by its
    ``/all/`` address.

    https://lore.kernel.org/all/20230511132113.80196-1-ryan.roberts@arm.com
    https://lore.kernel.org/linux-mm/20210408193948.vfktg3azh2wrt56t@gabell/T/#u
    """
    s = link.segs
    if len(s) < 2 or s[0] in _REF_NON_LISTS or "@" not in unquote(s[1]):
        return None
    rest = s[2:]
    if len(rest) > 2 and rest[0] not in _REF_VIEWS:
        return None
    return _message_ref(link, s[1], s[0])


def lkml_redirect(link: _site.Link) -> Ref | None:
    """``lkml.kernel.org/r/<msgid>``: kernel.org's message redirector (9 links of the
    corpus), fetched as written; it leads to lore.

    https://lkml.kernel.org/r/424e2c81-987d-f10e-106d-8b4c611768bc@arm.com
    """
    s = link.segs
    if len(s) < 2 or s[0] != "r":
        return None
    return _message_ref(link, s[1], None)


def msgid_link(link: _site.Link) -> Ref | None:
    """``msgid.link/<msgid>`` (or ``/r/<msgid>``) and ``patch.msgid.link/<msgid>``: the
    redirector ``b4`` writes into ``Link:`` trailers, fetched as written (1 link
    of the corpus).

    https://patch.msgid.link/20250210184334.567383-2-sshegde@linux.ibm.com
    """
    s = link.segs
    if not s:
        return None
    return _message_ref(link, s[1] if s[0] == "r" and len(s) > 1 else s[0], None)


URL_SHAPES = (
    _site.UrlShape("lore-legacy-patchwork", frozenset({LORE_HOST}), legacy_patchwork),
    _site.UrlShape("lore-list-message", frozenset({LORE_HOST}), list_message),
    _site.UrlShape("lkml-kernel-redirect", frozenset({"lkml.kernel.org"}), lkml_redirect),
    _site.UrlShape("msgid-link", frozenset({"msgid.link", "patch.msgid.link"}), msgid_link),
)


def is_legacy(url: str) -> bool:
    """A page of the retired LKML patchwork (``lore.kernel.org/patchwork/...``): it is
    ``moved`` whatever it answers, to the lore message it redirects to."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower() == LORE_HOST and parts.path.startswith(LEGACY_PREFIX)


# ---------------------------------------------------------------- page kinds

_TITLE = re.compile(rb"<title>(.*?)</title>", re.S | re.I)


def page_title(body: bytes) -> str | None:
    m = _TITLE.search(body[:16384])
    if not m:
        return None
    return " ".join(_html.unescape(m.group(1).decode("utf-8", "replace")).split()) or None


def page_kind(body: bytes) -> str:
    """``message`` | ``not-found`` | ``choices`` | ``other`` for a public-inbox HTML page."""
    title = page_title(body) or ""
    if title.endswith(" not found") and title.startswith("<"):
        return "not-found"
    if title.startswith("<") and (
        title.endswith("found in another inbox") or title.endswith("found in other inboxes")
    ):
        return "choices"
    if b"id=t>" in body or b'id="t"' in body or b"Message-ID:" in body:
        return "message"
    if b"\nnot found\n" in body and b"Message-ID &lt;" in body:
        return "not-found"
    return "other"


def parse_choices(body: bytes, base_url: str) -> list[str]:
    """The message URLs a "found in other inboxes" page offers, in page order."""
    tree = html(body.decode("utf-8", "replace"))
    out: list[str] = []
    for a in tree.css("pre a[href]"):
        href = a.attributes.get("href") or ""
        url = join_url(base_url, href)
        if url is not None and locate(url) is not None and url not in out:
            out.append(url)
    return out


def pick_choice(urls: list[str], wanted: str | None) -> str:
    """Which of the places a "found in other inboxes" page offers to read: the first
    in the list the link named, else the first."""
    for u in urls:
        loc = locate(u)
        if loc is not None and loc.list_name == wanted:
            return u
    return urls[0]


# ---------------------------------------------------------------- message page


def _header_block(tree: HTMLParser) -> Node | None:
    t = tree.css_first("a#t")
    if t is not None and t.parent is not None and t.parent.tag == "pre":
        return t.parent
    for pre in tree.css("pre"):
        txt = pre.text(deep=True)
        if txt.startswith("From:") and "\nSubject:" in txt:
            return pre
    return None


def _body(text: str) -> str:
    """What follows the header block of a message page's ``<pre>`` (its first blank line)."""
    at = text.find("\n\n", text.find(":"))
    return text[at + 2 :] if at >= 0 else ""


def _headers(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    cur: str | None = None
    for line in text.split("\n"):
        if not line:
            if out:
                break  # the body starts after the first blank line
            continue
        if line[0] in " \t":
            if cur is not None:
                out[cur] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep and key and " " not in key:
            k = key.lower()
            if k in out:
                cur = None
            else:
                out[k] = value.strip()
                cur = k
        else:
            cur = None
    return out


_ANGLE = re.compile(r"<([^<>\s]+)>")
_OVERVIEW = re.compile(r"\s*\[thread overview\]\s*$")


def parse_message_page(body: bytes | str) -> MessageHeaders | None:
    """Headers from a public-inbox message page; None when the block is missing or cut."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = html(text)
    pre = _header_block(tree)
    if pre is None:
        return None
    text = pre.text(deep=True)
    h = _headers(text)
    subject = h.get("subject")
    raw_from = h.get("from")
    mid_line = h.get("message-id")
    if subject is None or raw_from is None or mid_line is None:
        return None
    m = _ANGLE.search(mid_line)
    if m is None:
        return None
    name, addr = split_person(raw_from)
    date_line = _OVERVIEW.sub("", h.get("date", "")).split("\t", 1)[0]
    irt = _ANGLE.search(h.get("in-reply-to", ""))
    body = _body(text)
    if not body.strip():
        # some renderings keep the headers in a <pre> of their own, the body in the next
        nxt = pre.next
        while nxt is not None and nxt.tag != "pre":
            nxt = nxt.next
        body = nxt.text(deep=True) if nxt is not None else ""
    in_name, in_addr = inbody_from(body)
    return MessageHeaders(
        subject=decode(subject),
        from_name=name,
        from_email=addr,
        date=mail_date(date_line) if date_line else None,
        msgid=m.group(1),
        in_reply_to=irt.group(1) if irt else None,
        inbody_name=in_name,
        inbody_email=in_addr,
    )


def parse_raw(body: bytes) -> MessageHeaders | None:
    """Headers from ``<msgid>/raw`` (mboxrd: the first line is ``From mboxrd@z ...``).

    Read with liblore; a mail whose headers liblore cannot take (an encoded word in an
    unusable charset, broken base64, an address the parser rejects) is read again with
    the plain header reader of the message page, so one odd header costs only itself.
    """
    if body.startswith(b"From "):
        body = body.split(b"\n", 1)[1] if b"\n" in body else b""
    try:
        return _raw_with_liblore(body)
    except HEADER_ERRORS:
        return _raw_plain(body.decode("utf-8", "replace"))


def _raw_with_liblore(body: bytes) -> MessageHeaders | None:
    from patchcrawl._liblore import (
        get_clean_msgid,
        msg_get_author,
        msg_get_date,
        msg_get_inbody_author,
        parse_message,
    )

    msg = parse_message(body)
    subject = msg.get("Subject")
    if subject is None and msg.get("Message-ID") is None:
        return None
    name, addr = msg_get_author(msg)
    inbody = msg_get_inbody_author(msg)
    when = msg_get_date(msg)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    date = when.isoformat() if when is not None else None
    return MessageHeaders(
        subject=decode(str(subject or "")),
        from_name=name or None,
        from_email=addr if addr and addr != "missing@address.local" else None,
        date=date,
        msgid=get_clean_msgid(msg),
        in_reply_to=get_clean_msgid(msg, "In-Reply-To"),
        inbody_name=(inbody[0] or None) if inbody else None,
        inbody_email=inbody[1] if inbody else None,
    )


def _raw_plain(text: str) -> MessageHeaders | None:
    h = _headers(text)
    mid = _ANGLE.search(h.get("message-id", ""))
    if "subject" not in h and mid is None:
        return None
    name, addr = split_person(h.get("from", ""))
    irt = _ANGLE.search(h.get("in-reply-to", ""))
    in_name, in_addr = inbody_from(_body(text))
    return MessageHeaders(
        subject=decode(h.get("subject", "")),
        from_name=name,
        from_email=addr,
        date=mail_date(h["date"]) if "date" in h else None,
        msgid=mid.group(1) if mid else None,
        in_reply_to=irt.group(1) if irt else None,
        inbody_name=in_name,
        inbody_email=in_addr,
    )


# ---------------------------------------------------------------- thread page

_THREAD_ITEM = re.compile(r'<b>(?P<subject>[^<]*)</b>|href="(?P<href>[^"]+)/">permalink</a>', re.S)


def parse_thread(body: bytes | str, base_url: str) -> list[tuple[str, str]]:
    """``(msgid, subject)`` for each message of a ``/T/`` (or ``/t/``) page, in page order."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    out: list[tuple[str, str]] = []
    subject: str | None = None
    for m in _THREAD_ITEM.finditer(text):
        if m.group("subject") is not None:
            text_b = m.group("subject")
            # "<b>@ 2015-03-25 19:49 Name</b>" is the thread-position line, not a subject
            if subject is None and not text_b.startswith("@ "):
                subject = _html.unescape(text_b)
            continue
        joined = join_url(base_url, m.group("href") + "/")
        loc = locate(joined) if joined is not None else None
        if loc is not None and subject is not None:
            out.append((loc.msgid, decode(subject)))
            subject = None
    return out


def find_cover(
    entries: list[tuple[str, str]], version: int | None, total: int | None
) -> tuple[str | None, str | None]:
    """(cover msgid, title of patch 1) of the series ``version``/``total`` in a thread."""
    cover: str | None = None
    first_title: str | None = None
    for msgid, subject in entries:
        si = subject_info(subject)
        if si.is_reply or si.total != total or si.version != version:
            continue
        if si.is_cover and cover is None:
            cover = msgid
        elif si.counter == 1 and first_title is None:
            first_title = si.title
    return cover, first_title


# ---------------------------------------------------------------- metadata


def metadata(h: MessageHeaders, *, list_name: str | None = None) -> Metadata:
    """Metadata of one message, read on its own (no series context)."""
    si = subject_info(h.subject)
    return Metadata(
        source="lore",
        title=si.title,
        subject=h.subject,
        version=si.version,
        counter=si.counter,
        total=si.total,
        prefixes=si.prefixes,
        author_name=h.inbody_name if h.inbody_email else h.from_name,
        author_email=h.inbody_email or h.from_email,
        date=h.date,
        msgid=h.msgid,
        rfc=si.rfc,
        version_inferred=si.version_inferred,
        canonical_url=canonical_url(h.msgid) if h.msgid else None,
    )


def with_cover(patch: Metadata, cover: Metadata) -> Metadata:
    """A patch's metadata seen through its series: the cover letter's title, version, count."""
    return Metadata(
        source=patch.source,
        title=cover.title,
        subject=patch.subject,
        version=cover.version,
        counter=patch.counter,
        total=cover.total,
        prefixes=cover.prefixes,
        author_name=cover.author_name or patch.author_name,
        author_email=cover.author_email or patch.author_email,
        date=cover.date or patch.date,
        msgid=patch.msgid,
        rfc=cover.rfc,
        version_inferred=cover.version_inferred,
        cover_msgid=cover.msgid,
        canonical_url=patch.canonical_url,
    )


def needs_series(meta: Metadata) -> bool:
    """A patch (n >= 1) of a multi-patch series: its cover letter says more."""
    return (
        meta.counter is not None
        and meta.counter >= 1
        and meta.total is not None
        and meta.total > 1
        and not (meta.subject or "").lower().startswith("re:")
    )


__all__ = [
    "LEGACY_PREFIX",
    "LORE_HOST",
    "MESSAGE_VIEWS",
    "URL_SHAPES",
    "LoreLocation",
    "MessageHeaders",
    "canonical_url",
    "find_cover",
    "is_legacy",
    "locate",
    "lore_message_url",
    "metadata",
    "needs_series",
    "page_kind",
    "page_title",
    "parse_choices",
    "parse_message_page",
    "parse_raw",
    "parse_thread",
    "pick_choice",
    "quote_msgid",
    "with_cover",
]
