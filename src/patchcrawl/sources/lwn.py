"""LWN.net: articles, subscriber-only notices and the ``/ml/<list>/<msgid>/`` mail mirror.

Title in ``div.PageHeadline h1`` (``<title>`` is "Title [LWN.net]"); byline in
``div.FeatureByline`` ("By <b>Author</b><br>Date"), ``div.GAByline`` (guest
articles: "This article was contributed by Author") or ``div.Byline`` (news
items: "[Posted April 29, 2024 by corbet]").  A subscriber-only article is a
page titled "Subscription required" that links the real title.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from patchcrawl.models import Metadata, Ref, Response
from patchcrawl.sources._common import (
    decode,
    html,
    mail_date,
    split_person,
    split_url,
    subject_info,
)
from patchcrawl.sources._site import Link, Outcome, PageRule, UrlShape, clean_msgid, quote_msgid

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser
    from selectolax.lexbor import LexborNode as Node

_DATE = re.compile(r"([A-Z][a-z]+)\.? (\d{1,2}), (\d{4})")
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        1,
    )
}


@dataclass(frozen=True, slots=True)
class LwnPage:
    paywalled: bool
    metadata: Metadata


def _date(text: str) -> str | None:
    m = _DATE.search(text)
    if not m:
        return None
    month = _MONTHS.get(m.group(1)) or next(
        (v for k, v in _MONTHS.items() if k.startswith(m.group(1))), None
    )
    if month is None:
        return None
    try:
        return dt.date(int(m.group(3)), month, int(m.group(2))).isoformat()
    except ValueError:
        return None


def _title(tree: HTMLParser) -> str | None:
    h1 = tree.css_first("div.PageHeadline h1")
    if h1 is not None:
        return " ".join(h1.text().split()) or None
    t = tree.css_first("title")
    if t is not None:
        return t.text().strip().removesuffix("[LWN.net]").strip() or None
    return None


def _byline(tree: HTMLParser) -> tuple[str | None, str | None]:
    fb = tree.css_first("div.FeatureByline")
    if fb is not None:
        b = fb.css_first("b")
        return (b.text().strip() if b is not None else None), _date(fb.text())
    ga = tree.css_first("div.GAByline")
    if ga is not None:
        text = ga.text(separator="\n")
        m = re.search(r"contributed by\s+(.+)", text)
        return (m.group(1).strip() if m else None), _date(text)
    by = tree.css_first("div.Byline")
    if by is not None:
        text = by.text()
        m = re.search(r"\bby\s+([^\]]+)\]", text)
        return (m.group(1).strip() if m else None), _date(text)
    return None, None


def parse_article(body: bytes | str, url: str) -> LwnPage:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = html(text)
    title = _title(tree)
    if title and title.lower() == "subscription required":
        real: str | None = None
        for a in tree.css("div.ArticleText a[href]"):
            if "/Articles/" in (a.attributes.get("href") or ""):
                real = " ".join(a.text().split()) or None
                break
        return LwnPage(True, Metadata(source="lwn", title=real, canonical_url=url))
    author, date = _byline(tree)
    return LwnPage(
        False,
        Metadata(source="lwn", title=title, author_name=author, date=date, canonical_url=url),
    )


def _field(node: Node | None, text: str, label: str) -> str | None:
    m = re.search(rf"(?:^|\n)\s*{label}\s*:\s*(.+)", text, re.I)
    return m.group(1).strip() if m else None


def parse_ml(body: bytes | str, url: str) -> Metadata:
    """``/ml/<list>/<msgid>/``: the message-id comes from the URL, the rest from the page."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = html(text)
    parts = split_url(url)
    segs = [unquote(s) for s in parts.path.split("/") if s] if parts is not None else []
    msgid = segs[2].strip("<>") if len(segs) >= 3 and segs[0] == "ml" else None
    art = tree.css_first("div.ArticleText") or tree.body
    flat = art.text(separator="\n") if art is not None else ""
    # labels come as "<b>From</b>: value<br>": glue "From\n: value" back together
    flat = re.sub(r"\n\s*:\s*", ": ", flat)
    subject = _field(art, flat, "Subject") or _title(tree)
    raw_from = _field(art, flat, "From")
    date = _field(art, flat, "Date")
    name, addr = split_person(raw_from) if raw_from else (None, None)
    subject = decode(subject) if subject else None
    si = subject_info(subject) if subject else None
    return Metadata(
        source="lwn-ml",
        title=si.title if si else None,
        subject=subject,
        version=si.version if si else None,
        counter=si.counter if si else None,
        total=si.total if si else None,
        prefixes=si.prefixes if si else (),
        author_name=name,
        author_email=addr,
        date=mail_date(date) if date else None,
        msgid=msgid,
        rfc=si.rfc if si else False,
        version_inferred=si.version_inferred if si else False,
        canonical_url=url,
    )


# ---------------------------------------------------------------- URL shapes


def article(link: Link) -> Ref | None:
    """``lwn.net/Articles/<n>/``: an article (581 links of the corpus), known by its
    address with the slash.

    https://lwn.net/Articles/849538
    """
    s = link.segs
    if len(s) < 2 or s[0] != "Articles" or not s[1].isdigit():
        return None
    canon = f"https://lwn.net/Articles/{s[1]}/"
    return Ref(
        url=link.url,
        kind="lwn-article",
        fetch_url=canon,
        host=link.host,
        item_id=s[1],
        item_type="article",
        canonical=canon,
    )


def ml_message(link: Link) -> Ref | None:
    """``lwn.net/ml/<list>/<msgid>/``: LWN's mirror of a list's mail (7 links of the
    corpus); a segment that is no message-id is fetched as written.

    https://lwn.net/ml/linux-kernel/20210122033748.924330-1-pasha.tatashin@soleen.com/
    """
    s = link.segs
    if len(s) < 3 or s[0] != "ml":
        return None
    msgid = clean_msgid(s[2])
    canon = f"https://lwn.net/ml/{s[1]}/{quote_msgid(msgid)}/" if msgid else None
    return Ref(
        url=link.url,
        kind="lwn-ml",
        fetch_url=canon or link.fetch_url,
        host=link.host,
        msgid=msgid,
        list_name=sys.intern(s[1]),
        item_type="message",
        canonical=canon,
    )


URL_SHAPES = (
    UrlShape("lwn-article", frozenset({"lwn.net"}), article),
    UrlShape("lwn-ml", frozenset({"lwn.net"}), ml_message),
)


# ---------------------------------------------------------------- pages

_HOSTS = frozenset({"lwn.net", "www.lwn.net"})


def read_article(resp: Response) -> Outcome:
    """An article, or the notice that it is for subscribers (``paywalled``)."""
    page = parse_article(resp.body, resp.final_url)
    if page.paywalled:
        return Outcome("paywalled", page.metadata, "LWN subscription required")
    return Outcome("ok", page.metadata)


def read_ml(resp: Response) -> Outcome:
    """A mirrored mail: its headers."""
    return Outcome("ok", parse_ml(resp.body, resp.final_url))


PAGES = (
    PageRule("lwn-article", _HOSTS, re.compile(r"^/Articles/"), read_article),
    PageRule("lwn-ml", _HOSTS, re.compile(r"^/ml/"), read_ml),
)
