"""Patchwork (patchwork.kernel.org, patches.linaro.org, patchwork.ozlabs.org).

The web page gives ``<title>NAME - Patchwork</title>``, ``<h1>NAME</h1>``, the
``table#patch-meta`` "Message ID" row, the original headers (hidden
``#patch-headers``: From with the address, Subject, Date, Message-ID), the "Series"
row (the series' link and a list of its cover letter and patches) and
``div.submission-message div.meta`` (submitter link, ``span.message-date``).  The
page is the source of all it holds; the REST API (``/api/1.2/{patches,covers,series}/``)
is for what it lacks: a ``?series=N`` list page shows no mail, and an old page may
show neither the headers nor the series' members.
Patchwork names drop "PATCH" and join the bracket words with commas:
``[v3,0/2] Title``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from patchcrawl.models import Metadata, Ref
from patchcrawl.sources._common import (
    decode,
    html,
    inbody_from,
    iso_date,
    mail_date,
    split_person,
    split_url,
    subject_info,
)
from patchcrawl.sources._site import Link, UrlShape, clean_msgid, quote_msgid

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

PATCHWORK_HOSTS = frozenset({"patchwork.kernel.org", "patches.linaro.org", "patchwork.ozlabs.org"})
_SOFT404 = re.compile(rb"no such (patch|cover|series)|patch not found|does not exist", re.I)


@dataclass(frozen=True, slots=True)
class PatchworkLocation:
    host: str
    project: str | None
    item_type: str | None  # patch | cover | series
    msgid: str | None
    item_id: int | None


def locate(url: str) -> PatchworkLocation | None:
    parts = split_url(url)
    if parts is None:
        return None
    host = (parts.hostname or "").lower()
    if host not in PATCHWORK_HOSTS:
        return None
    segs = [unquote(s) for s in parts.path.split("/") if s]
    q = parse_qs(parts.query)
    if len(segs) >= 4 and segs[0] == "project" and segs[2] in ("patch", "cover"):
        ident = segs[3]
        if ident.isdigit():
            return PatchworkLocation(host, segs[1], segs[2], None, int(ident))
        return PatchworkLocation(host, segs[1], segs[2], ident.strip("<>"), None)
    if len(segs) >= 2 and segs[0] in ("patch", "cover", "series") and segs[1].isdigit():
        return PatchworkLocation(host, None, segs[0], None, int(segs[1]))
    if len(segs) >= 3 and segs[0] == "project" and "series" in q and q["series"][0].isdigit():
        return PatchworkLocation(host, segs[1], "series", None, int(q["series"][0]))
    return PatchworkLocation(host, segs[1] if len(segs) > 1 else None, None, None, None)


# ---------------------------------------------------------------- URL shapes

_ITEMS = ("patch", "cover", "series")


def project_item(link: Link) -> Ref | None:
    """``/project/<project>/{patch,cover,series}/<msgid or id>/``: one mail or series of
    a project (862 links of the corpus, all by message-id), known by its address with
    the message-id quoted.

    https://patchwork.kernel.org/project/linux-mm/cover/20211116001628.24216-1-vbabka@suse.cz
    """
    s = link.segs
    if len(s) < 4 or s[0] != "project" or s[2] not in _ITEMS:
        return None
    item = unquote(s[3])
    msgid = clean_msgid(s[3]) if "@" in item else None
    canon = f"https://{link.host}/project/{s[1]}/{s[2]}/{quote_msgid(item)}/"
    return Ref(
        url=link.url,
        kind="patchwork",
        fetch_url=canon,
        host=link.host,
        msgid=msgid,
        list_name=sys.intern(s[1]),
        item_id=None if msgid else item,
        item_type=s[2],
        canonical=canon,
    )


def project_page(link: Link) -> Ref | None:
    """``/project/<project>/`` and its other pages (``list/?series=N``, a search): the
    project is known, no one mail (3 links of the corpus, one a typo of ``cover/``).

    https://patchwork.kernel.org/project/linux-mm/list/?archive=both&state=*
    """
    s = link.segs
    if len(s) < 2 or s[0] != "project":
        return None
    return Ref(
        url=link.url,
        kind="patchwork",
        fetch_url=link.fetch_url,
        host=link.host,
        list_name=sys.intern(s[1]),
        item_type=s[2] if len(s) >= 3 else "project",
    )


def numbered_item(link: Link) -> Ref | None:
    """``/{patch,cover,series}/<n>/``: patchwork's old addresses, by number (10 links of
    the corpus, all on patches.linaro.org).

    http://patches.linaro.org/cover/221148
    """
    s = link.segs
    if len(s) < 2 or s[0] not in _ITEMS or not s[1].isdigit():
        return None
    return Ref(
        url=link.url,
        kind="patchwork",
        fetch_url=f"https://{link.host}/{s[0]}/{s[1]}/",
        host=link.host,
        item_id=s[1],
        item_type=s[0],
    )


def any_page(link: Link) -> Ref:
    """Any other page of a patchwork instance: still patchwork's (its soft 404s and
    pages are read as such), nothing more known (1 link of the corpus, a typo of
    ``project/``).

    https://patchwork.kernel.org/proje3t/linux-mm/cover/20210914013701.344956-1-ying.huang@intel.com
    """
    return Ref(url=link.url, kind="patchwork", fetch_url=link.fetch_url, host=link.host)


URL_SHAPES = (
    UrlShape("patchwork-project-item", PATCHWORK_HOSTS, project_item),
    UrlShape("patchwork-project-page", PATCHWORK_HOSTS, project_page),
    UrlShape("patchwork-numbered-item", PATCHWORK_HOSTS, numbered_item),
    UrlShape("patchwork-any-page", PATCHWORK_HOSTS, any_page),
)


def is_soft404(body: bytes) -> bool:
    return bool(_SOFT404.search(body[:65536])) and b'id="patch-meta"' not in body


def name_to_subject(name: str) -> str:
    """``[v3,net-next,0/2] Title`` -> ``[v3 net-next 0/2] Title`` (what liblore reads)."""
    m = re.match(r"^\s*\[([^\]]*)\]\s*", name)
    if not m:
        return name
    return "[" + m.group(1).replace(",", " ") + "] " + name[m.end() :]


@dataclass(frozen=True, slots=True)
class PatchworkPage:
    name: str | None
    subject: str | None  # from the original headers when the page shows them
    msgid: str | None
    author_name: str | None
    author_email: str | None
    date: str | None
    series_name: str | None
    # the "Series" row: the series' id (its ``?series=N`` link) and, when the page
    # lists the series' members (``div#patch-series``), the cover letter's link
    # (None when this page is the cover letter or the series has none) and the
    # patches as (name, link), the link None for this page itself
    series_id: int | None = None
    series_listed: bool = False
    cover_href: str | None = None
    members: tuple[tuple[str, str | None], ...] = ()

    @property
    def has_headers(self) -> bool:
        """Did the page show the mail's own Subject and From (``#patch-headers``)?"""
        return self.subject is not None and self.author_email is not None


def header_fields(block: str) -> dict[str, str]:
    """The header lines patchwork shows in ``#patch-headers``, unfolded, first of each
    name kept (lower-case names).  Patchwork writes every header of the mail as it
    arrived, RFC 2047 words and folding included: a Subject longer than a line goes
    on in the next line after a tab."""
    fields: dict[str, str] = {}
    name: str | None = None
    for line in block.split("\n"):
        if line[:1] in (" ", "\t"):
            if name is not None:
                fields[name] += " " + line.strip()
            continue
        k, sep, v = line.partition(":")
        name = None
        if sep and k and " " not in k and k.lower() not in fields:
            name = k.lower()
            fields[name] = v.strip()
    return fields


#: (id, name, listed, cover letter's link, members) of the "Series" row
_SeriesRow = tuple[int | None, str | None, bool, str | None, tuple[tuple[str, str | None], ...]]


def _series_row(td: Any) -> _SeriesRow:
    """(id, name, listed, cover link, members) of the "Series" row of ``table#patch-meta``."""
    sid = name = cover = None
    a = td.css_first("a")
    if a is not None:
        name = " ".join(a.text().split()) or None
        ids = parse_qs((a.attributes.get("href") or "").partition("?")[2]).get("series", [""])
        sid = int(ids[0]) if ids[0].isdigit() and len(ids[0]) < 10 else None
    items = td.css("#patch-series li") or td.css("div.submission-list li")
    members: list[tuple[str, str | None]] = []
    for i, li in enumerate(items):
        link = li.css_first("a")
        href = (link.attributes.get("href") or None) if link is not None else None
        text = " ".join(li.text().split())
        if i == 0:  # the cover letter's place: a link, this page's own name, or empty
            cover = href
        elif text:
            members.append((text, href))
    return sid, name, bool(items), cover, tuple(members)


def parse_page(body: bytes | str) -> PatchworkPage:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = html(text)
    msgid, series = _meta_rows(tree)
    subject, author_name, author_email, date, hdr_msgid = _header_block(tree)
    content = tree.css_first("div.submission-message pre.content")
    if content is not None:
        # a patch sent on someone's behalf names its author in the body's first line
        in_name, in_addr = inbody_from(content.text())
        if in_addr is not None:
            author_name, author_email = in_name, in_addr
    meta = tree.css_first("div.submission-message div.meta")
    if meta is not None:
        if author_name is None:
            a = meta.css_first("a")
            if a is not None:
                author_name = a.text().strip() or None
        if date is None:
            d = meta.css_first("span.message-date")
            if d is not None:
                date = django_date(d.text()) or iso_date(d.text())
    series_id, series_name, series_listed, cover_href, members = series
    return PatchworkPage(
        _page_name(tree),
        subject,
        msgid if msgid is not None else hdr_msgid,
        author_name,
        author_email,
        date,
        series_name,
        series_id,
        series_listed,
        cover_href,
        members,
    )


def _page_name(tree: HTMLParser) -> str | None:
    """The item's name: the ``<h1>``, else the ``<title>`` without "- Patchwork"."""
    h1 = tree.css_first("h1")
    if h1 is not None:
        name = " ".join(h1.text().split()) or None
        if name is not None:
            return name
    t = tree.css_first("title")
    if t is not None:
        return t.text().strip().removesuffix("- Patchwork").strip() or None
    return None


_NO_SERIES: _SeriesRow = (None, None, False, None, ())


def _meta_rows(tree: HTMLParser) -> tuple[str | None, _SeriesRow]:
    """The "Message ID" and "Series" rows of ``table#patch-meta``."""
    msgid = None
    series = _NO_SERIES
    for tr in tree.css("table#patch-meta tr"):
        th = tr.css_first("th")
        td = tr.css_first("td")
        if th is None or td is None:
            continue
        label = th.text().strip().lower().rstrip(":")
        if label == "message id":
            # "<msgid> (<a href=...>mailing list archive</a>)": the first word
            words = td.text().split()
            msgid = words[0].strip("<>") if words else None
        elif label == "series":
            series = _series_row(td)
    return msgid, series


def _header_block(
    tree: HTMLParser,
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(subject, author name, address, date, message-id) from the mail's own headers
    (``#patch-headers``), all None when the page does not show them."""
    hdr = tree.css_first("#patch-headers pre") or tree.css_first("div.patch-headers pre")
    if hdr is None:
        return None, None, None, None, None
    fields = header_fields(hdr.text())
    subject = decode(fields["subject"]) if fields.get("subject") else None
    author_name = author_email = None
    if "from" in fields:
        author_name, author_email = split_person(fields["from"])
        if author_email is None and "=?" in fields["from"]:
            # patchwork re-encodes a From it cannot keep in ASCII: a name written
            # in 8-bit ends up in one encoded word with the address inside it
            author_name, author_email = split_person(decode(fields["from"]))
    date = mail_date(fields["date"]) if "date" in fields else None
    msgid = fields["message-id"].strip().strip("<>") if "message-id" in fields else None
    return subject, author_name, author_email, date, msgid


_DJANGO = re.compile(
    r"([A-Z][a-z]+)\.? (\d{1,2}), (\d{4}),? (?:(\d{1,2})(?::(\d\d))? ([ap])\.m\.|(midnight)|(noon))"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def django_date(text: str) -> str | None:
    """Django's default ``N j, Y, P`` (``Sept. 5, 2024, 1:25 p.m.``), naive UTC -> ISO 8601."""
    m = _DJANGO.search(text)
    if not m:
        return None
    month = m.group(1)[:3].lower()
    if month not in _MONTHS:
        return None
    hour, minute = int(m.group(4) or 0), int(m.group(5) or 0)
    if m.group(6) == "p" and hour != 12:
        hour += 12
    elif m.group(6) == "a" and hour == 12:
        hour = 0
    if m.group(8):
        hour = 12
    try:
        d = dt.datetime(
            int(m.group(3)), _MONTHS.index(month) + 1, int(m.group(2)), hour, minute, tzinfo=dt.UTC
        )
    except ValueError:
        return None
    return d.isoformat()


def page_metadata(p: PatchworkPage, *, canonical: str | None) -> Metadata:
    subject = p.subject or (name_to_subject(p.name) if p.name else None)
    si = subject_info(subject) if subject else None
    return Metadata(
        source="patchwork",
        title=si.title if si else p.name,
        subject=subject,
        version=si.version if si else None,
        counter=si.counter if si else None,
        total=si.total if si else None,
        prefixes=si.prefixes if si else (),
        author_name=p.author_name,
        author_email=p.author_email,
        date=p.date,
        msgid=p.msgid,
        rfc=si.rfc if si else False,
        version_inferred=si.version_inferred if si else False,
        canonical_url=canonical,
    )


def version_known(p: PatchworkPage) -> bool:
    """Did the page state a version (``v3``), or would it only be liblore's guess of 1?"""
    subject = p.subject or (name_to_subject(p.name) if p.name else "")
    return not subject_info(subject).version_inferred


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _text(value: Any) -> str:
    """A JSON field that should be a string: '' for anything else (the API is a stranger's)."""
    return value.strip() if isinstance(value, str) else ""


def number(value: Any) -> int | None:
    """A JSON field that should be a count or version: None unless it is one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 1_000_000 else None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 7:
        return int(value)
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def first(value: Any) -> dict[str, Any]:
    """The first object of a JSON list (``series``), {} when there is none."""
    return _object(value[0]) if isinstance(value, list) and value else {}


def api_item_metadata(item: dict[str, Any], *, canonical: str | None) -> Metadata:
    """Metadata from ``/api/1.2/patches/<id>/`` or ``/covers/<id>/`` JSON; a field of
    the wrong type is a field the API did not give."""
    name = _text(item.get("name"))
    si = subject_info(name_to_subject(name))
    version = number(first(item.get("series")).get("version")) or si.version
    sub = _object(item.get("submitter"))
    msgid = _text(item.get("msgid")).strip("<>") or None
    date = _text(item.get("date"))
    web_url = _text(item.get("web_url")) or None
    return Metadata(
        source="patchwork",
        title=si.title,
        subject=name,
        version=version,
        counter=si.counter,
        total=si.total,
        prefixes=si.prefixes,
        author_name=_text(sub.get("name")) or None,
        author_email=_text(sub.get("email")) or None,
        date=iso_date(date) if date else None,
        msgid=msgid,
        rfc=si.rfc,
        # patchwork's series version is its own reading of the subject: 1 when it says none
        version_inferred=si.version_inferred and version == 1,
        canonical_url=canonical or web_url,
    )


def api_series_metadata(series: dict[str, Any], *, canonical: str | None) -> Metadata:
    cover = _object(series.get("cover_letter"))
    cover_name = _text(cover.get("name"))
    si = subject_info(name_to_subject(cover_name)) if cover_name else None
    sub = _object(series.get("submitter"))
    cover_msgid = _text(cover.get("msgid")).strip("<>") or None
    version = number(series.get("version"))
    date = _text(series.get("date"))
    return Metadata(
        source="patchwork",
        title=si.title if si else (_text(series.get("name")) or None),
        subject=cover_name or _text(series.get("name")) or None,
        version=version,
        counter=0 if cover_msgid else None,
        total=number(series.get("total")),
        prefixes=si.prefixes if si else (),
        author_name=_text(sub.get("name")) or None,
        author_email=_text(sub.get("email")) or None,
        date=iso_date(date) if date else None,
        msgid=cover_msgid,
        rfc=si.rfc if si else False,
        version_inferred=(si is None or si.version_inferred) and version == 1,
        cover_msgid=cover_msgid,
        canonical_url=canonical,
    )


def merge_series(item: Metadata, series: Metadata) -> Metadata:
    """A patch seen through its series: the series's title, version and count."""
    return Metadata(
        source="patchwork",
        title=series.title or item.title,
        subject=item.subject,
        version=series.version or item.version,
        counter=item.counter,
        total=series.total or item.total,
        prefixes=series.prefixes or item.prefixes,
        author_name=item.author_name or series.author_name,
        author_email=item.author_email or series.author_email,
        date=series.date if series.cover_msgid else item.date,
        msgid=item.msgid,
        rfc=series.rfc or item.rfc,
        version_inferred=series.version_inferred if series.version else item.version_inferred,
        cover_msgid=series.cover_msgid,
        canonical_url=item.canonical_url,
    )
