"""lore's search: its Atom feed, and batch lookups of message links.

public-inbox answers ``/<inbox>/?q=<query>&x=A`` with an Atom feed of the matching
mails, 200 a page (``o=`` pages on), each entry with the subject, the sender's name
and address, the date (UTC), the message's link and the whole body. Its ``m:`` prefix
matches a Message-ID exactly, and ``OR`` joins terms, so one search answers for many
message links at once: ``m:<id1> OR m:<id2> OR ...``.

A link whose message the feed of the inbox it names holds is ``ok`` without fetching
its page, when the entry settles everything the page would: the entry is not a reply
(a reply's row names the thread's author, read from the thread), not a patch of a
series (the cover letter says more), and its subject and sender read cleanly (an
encoded word left in them needs the raw mail). Anything else is fetched as a link
checker would (:meth:`patchcrawl.sources.resolver.Resolver.resolve`).

A legacy patchwork link (``lore.kernel.org/patchwork/cover/N``, the LKML patchwork
frozen in 2021) names no message: it costs one request, whose redirect is not
followed (:meth:`patchcrawl.fetch.Fetcher.hop`), and the message-id in its
``Location`` joins a search of ``all`` like any other; settled, the link is ``moved``
to the message's lore address (:func:`moved`), as following it would say.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote, urljoin

from patchcrawl.models import Ref, Resolution, Response
from patchcrawl.sources import lore
from patchcrawl.sources._common import inbody_from, split_url, subject_info

_ATOM = "{http://www.w3.org/2005/Atom}"
_THR = "{http://purl.org/syndication/thread/1.0}"

#: entries of one page of public-inbox's Atom search (``o=`` gives the next)
PAGE = 200
#: message-ids in one search, by default (``batch-size`` in the settings)
BATCH = 50
#: the longest search URL sent: well under the 8 kB request line common servers take
MAX_URL = 4000
# a message-id the query parser takes as one ``m:`` term: no spaces, quotes or brackets
_UNSAFE = frozenset(' \t"()')
_VIEWS = frozenset({"", "T/", "t/", "raw", "T", "t"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One entry of a lore Atom feed."""

    subject: str
    title: str  # subject without Re: and [PATCH ..]
    author_name: str | None
    author_email: str | None
    date: _dt.datetime | None
    msgid: str
    url: str
    list_name: str | None
    version: int | None  # None: a subject whose version is no number (v021)
    counter: int | None
    total: int | None
    is_reply: bool
    # the body's leading ``From:`` line (a patch sent on someone's behalf), as the
    # message page gives it: public-inbox's Atom entries carry the whole body
    inbody_name: str | None = None
    inbody_email: str | None = None


def parse_atom(data: bytes | str) -> list[Candidate]:
    """Entries of a public-inbox Atom feed; [] for anything that is not one."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!DOCTYPE" in raw[:2048].upper() or b"<!ENTITY" in raw.upper():
        return []  # no DTDs or entities from the network
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return []
    out: list[Candidate] = []
    seen: set[str] = set()
    for entry in root.iter(f"{_ATOM}entry"):
        cand = _candidate(entry)
        if cand is not None and cand.msgid not in seen:
            seen.add(cand.msgid)
            out.append(cand)
    return out


def _candidate(entry: ET.Element) -> Candidate | None:
    """One entry of the feed; None when it names no message (no link, subject or
    message-id in its link)."""
    subject = " ".join("".join(entry.findtext(f"{_ATOM}title") or "").split())
    href = _alternate(entry)
    if not href or not subject:
        return None
    split = split_url(href)
    parts = [p for p in split.path.split("/") if p] if split is not None else []
    if not parts or "@" not in unquote(parts[-1]):
        return None
    name, email = _author(entry)
    ps = subject_info(subject)  # liblore's rules, safe on what a stranger wrote
    content = entry.find(f"{_ATOM}content")
    inbody_name, inbody_email = inbody_from(
        "".join(content.itertext()) if content is not None else ""
    )
    return Candidate(
        subject=subject,
        title=ps.title,
        author_name=name,
        author_email=email,
        date=_updated(entry),
        msgid=unquote(parts[-1]),
        url=href,
        list_name=parts[-2] if len(parts) >= 2 else None,
        version=ps.version,
        counter=ps.counter,
        total=ps.total,
        is_reply=bool(ps.is_reply) or entry.find(f"{_THR}in-reply-to") is not None,
        inbody_name=inbody_name,
        inbody_email=inbody_email,
    )


def _alternate(entry: ET.Element) -> str | None:
    """The entry's link to the message (``rel`` absent or ``alternate``)."""
    for link in entry.findall(f"{_ATOM}link"):
        if link.get("rel") in (None, "alternate") and link.get("href"):
            return link.get("href")
    return None


def _author(entry: ET.Element) -> tuple[str | None, str | None]:
    author = entry.find(f"{_ATOM}author")
    if author is None:
        return None, None
    name = (author.findtext(f"{_ATOM}name") or "").strip() or None
    email = (author.findtext(f"{_ATOM}email") or "").strip() or None
    return name, email


def _updated(entry: ET.Element) -> _dt.datetime | None:
    stamp = entry.findtext(f"{_ATOM}updated") or entry.findtext(f"{_ATOM}published")
    if not stamp:
        return None
    try:
        return _dt.datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def inbox_of(ref: Ref) -> str | None:
    """The inbox whose search can settle ``ref`` (its list, or ``all`` for ``/all/`` and
    ``/r/``), or None when it must be fetched (not a lore message link, a view other
    than the message, its thread or its raw mail, or a message-id no query can hold)."""
    if ref.kind != "lore-message" or ref.fetch_url is None or not ref.msgid:
        return None
    loc = lore.locate(ref.fetch_url)
    if loc is None or loc.rest not in _VIEWS or loc.msgid != ref.msgid:
        return None
    return loc.list_name if searchable(loc.msgid) else None


def search_url(inbox: str, msgids: Sequence[str], offset: int = 0) -> str:
    """The Atom search of ``inbox`` for the mails of ``msgids``."""
    q = quote_plus(" OR ".join(f"m:{m}" for m in msgids))
    page = f"&o={offset}" if offset else ""
    return f"https://{lore.LORE_HOST}/{inbox}/?q={q}&x=A{page}"


def batches(inbox: str, msgids: Sequence[str], size: int = BATCH) -> list[list[str]]:
    """``msgids`` cut into searches of at most ``size`` ids and ``MAX_URL`` characters."""
    out: list[list[str]] = [[]]
    for m in msgids:
        cur = out[-1]
        if cur and (len(cur) >= size or len(search_url(inbox, [*cur, m])) > MAX_URL):
            cur = []
            out.append(cur)
        cur.append(m)
    return [b for b in out if b]


def _clean(text: str | None) -> bool:
    return bool(text) and "=?" not in (text or "")


def settle(ref: Ref, cand: Candidate, *, from_cache: bool = False) -> Resolution | None:
    """``ref``'s resolution from its feed entry, or None when its page must be read."""
    if cand.is_reply and cand.subject.lower().startswith("re:"):
        return None
    if not (_clean(cand.subject) and _clean(cand.author_email)):
        return None
    if cand.author_name is not None and "=?" in cand.author_name:
        return None
    headers = lore.MessageHeaders(
        subject=cand.subject,
        from_name=cand.author_name,
        from_email=cand.author_email,
        date=cand.date.isoformat() if cand.date is not None else None,
        msgid=cand.msgid,
        inbody_name=cand.inbody_name,
        inbody_email=cand.inbody_email,
    )
    meta = dataclasses.replace(lore.metadata(headers), date_zone_unknown=True)
    if meta.subject is None or meta.subject.lower().startswith("re:") or lore.needs_series(meta):
        return None
    return Resolution(
        url=ref.url,
        status="ok",
        final_url=cand.url,
        from_cache=from_cache,
        metadata=meta,
        detail=f"found by lore's search of {cand.list_name or 'all'} (no page fetched)",
    )


def searchable(msgid: str) -> bool:
    """A message-id the query parser takes as one ``m:`` term."""
    return bool(msgid) and not any(c in _UNSAFE or ord(c) < 33 for c in msgid)


def legacy_target(ref: Ref, hop: Response) -> tuple[str, str] | None:
    """Where a legacy patchwork link (``lore.kernel.org/patchwork/cover/N``) redirects,
    read from the ``Location`` of its first answer: (message-id, target URL); None when
    that answer is no redirect to a lore message a search can look up (the link is
    then fetched as any other)."""
    from patchcrawl.fetch.redirects import REDIRECT_STATUSES  # loaded with the fetcher

    location = hop.header("location")
    if ref.kind != "lore-patchwork-legacy" or hop.error or hop.status not in REDIRECT_STATUSES:
        return None
    if not location:
        return None
    target = urljoin(hop.url, location.strip())
    loc = lore.locate(target)
    if loc is None or loc.rest or not searchable(loc.msgid):
        return None
    return loc.msgid, target


def moved(res: Resolution, msgid: str, target: str, style: str) -> Resolution:
    """``res`` (the message a legacy link redirects to, settled by the search) as the
    legacy link's own resolution: moved to the message's lore address, as following
    the link would say."""
    return dataclasses.replace(
        res,
        status="moved",
        redirects=(target,),
        canonical_url=lore.canonical_url(msgid, style, "all"),
        detail=f"permanent redirect to {target}; {res.detail}",
    )
