"""Find the series a dead lore/patchwork link meant, by searching lore for what the row says.

For a dead link in a table row, lore's Atom search
(``https://lore.kernel.org/all/?q=<query>&x=A``) is asked for the row's subject
words (``s:``), author (``f:``, the email when the cell has one, else the name)
and a date window (``d:YYYYMMDD..YYYYMMDD``, the row date +/- 30 days).  When that
finds nothing good enough the author term, then the date term, is dropped (at most
three searches).  Replies are never candidates.

Each candidate is scored in 0..1 (weights :data:`WEIGHTS`):

* title 0.55 -- :func:`patchcrawl.titles.title_similarity` of the row title and the
  candidate's subject without ``[PATCH ..]``;
* author 0.25 -- 1 when an email matches, 0.8 a name, 0.4 when the row names
  nobody or the names cannot be compared (CJK vs romanised), 0 for someone else;
* date 0.10 -- 1 on the row date, falling linearly to 0 at the window's edge;
* version 0.10 -- 1 when the version the row claims for this link (its label, else
  the status cell) equals the candidate's, 0.5 when nothing is claimed, 0 otherwise.

The best candidate is proposed only when its score reaches the threshold
(``settings.extra["rescue_threshold"]``, default 0.8) and no candidate with another
message-id scores within 0.02 of it (a tie is not a rescue).  A decoy with the same
title by another author tops out at 0.75 and loses.  Nothing is ever guessed
silently: the proposal is a ``dead-link`` finding carrying ``rescue_url`` and
``score`` extras and the edit that swaps the URL.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from urllib.parse import quote, quote_plus

from patchcrawl._liblore import email_matches
from patchcrawl.audit import MSGID_SAFE, compare_names
from patchcrawl.models import DEFAULT_SEVERITY, Document, Edit, Finding, Link, Response, Row
from patchcrawl.settings import Settings
from patchcrawl.sources.lore_search import Candidate, parse_atom
from patchcrawl.titles import is_description, normalise_title, strip_subsystem, title_similarity

WEIGHTS = {"title": 0.55, "author": 0.25, "date": 0.10, "version": 0.10}
DEFAULT_THRESHOLD = 0.8
DEFAULT_WINDOW_DAYS = 30
TIE_MARGIN = 0.02
RESCUABLE_KINDS = frozenset({"lore-message", "lore-patchwork-legacy", "patchwork"})
SEARCH_BASE = "https://lore.kernel.org/all/"

_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*")
_STOP = frozenset(
    {"a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "from", "by", "at"}
    | {"is", "are", "be", "as", "or", "not", "into", "via"}
)


def _threshold(settings: Settings) -> float:
    value = settings.extra.get("rescue_threshold", DEFAULT_THRESHOLD)
    return float(value) if isinstance(value, (int, float, str)) else DEFAULT_THRESHOLD


def _window(settings: Settings) -> int:
    value = settings.extra.get("rescue_window_days", DEFAULT_WINDOW_DAYS)
    return int(value) if isinstance(value, (int, float, str)) else DEFAULT_WINDOW_DAYS


def subject_words(title: str, limit: int = 6) -> list[str]:
    """The most telling words of a title (subsystem prefix and stop words dropped)."""
    words = [
        w
        for w in _WORD.findall(strip_subsystem(normalise_title(title)))
        if len(w) >= 3 and w not in _STOP
    ]
    uniq = list(dict.fromkeys(words))
    keep = set(sorted(uniq, key=len, reverse=True)[:limit])
    return [w for w in uniq if w in keep]


def build_queries(row: Row, window_days: int = DEFAULT_WINDOW_DAYS) -> list[str]:
    """Search queries, most specific first; [] when the row gives no usable subject."""
    title = row.claims.title
    if not title or is_description(title):
        return []
    words = subject_words(title)
    if not words:
        return []
    s = " ".join(f"s:{w}" for w in words)
    author = None
    for p in row.claims.authors:
        if p.email:
            author = f"f:{p.email}"
            break
    if author is None:
        for p in row.claims.authors:
            if p.name and not re.search(r"[^\x00-\x7f]", p.name):
                last = p.name.split()[-1] if p.name.split() else ""
                if len(last) >= 3:
                    author = f"f:{last}"
                    break
    d = None
    if row.claims.date is not None:
        lo = row.claims.date - _dt.timedelta(days=window_days)
        hi = row.claims.date + _dt.timedelta(days=window_days)
        d = f"d:{lo:%Y%m%d}..{hi:%Y%m%d}"
    queries = []
    if author and d:
        queries.append(f"{s} {author} {d}")
    if d:
        queries.append(f"{s} {d}")
    queries.append(s)
    return list(dict.fromkeys(queries))


def search_url(query: str) -> str:
    return f"{SEARCH_BASE}?q={quote_plus(query)}&x=A"


def _claimed_version(row: Row, link: Link) -> int | None:
    if link.label is not None and link.label.version is not None:
        return link.label.version
    if link.cell == "feature" and row.claims.status is not None:
        return row.claims.status.version
    return None


def score(cand: Candidate, row: Row, link: Link, window_days: int = DEFAULT_WINDOW_DAYS) -> float:
    """0..1 confidence that ``cand`` is what ``link`` in ``row`` meant (see module doc)."""
    title = row.claims.title or ""
    t = title_similarity(title, cand.title) if title else 0.0
    a: float = 0.4
    people = row.claims.authors
    if people:
        a = 0.0
        for p in people:
            if p.email and cand.author_email and email_matches(p.email, cand.author_email):
                a = 1.0
                break
            if p.name and cand.author_name:
                v = compare_names(p.name, cand.author_name)
                if v == "match":
                    a = max(a, 0.8)
                elif v == "unknown":
                    a = max(a, 0.4)
    d: float = 0.5
    if row.claims.date is not None and cand.date is not None:
        days = abs((cand.date.date() - row.claims.date).days)
        d = max(0.0, 1.0 - days / max(1, window_days))
    claimed = _claimed_version(row, link)
    ver = 0.5 if claimed is None else (1.0 if claimed == cand.version else 0.0)
    total = (
        WEIGHTS["title"] * t
        + WEIGHTS["author"] * a
        + WEIGHTS["date"] * d
        + WEIGHTS["version"] * ver
    )
    return round(total, 4)


def rescue_target(cand: Candidate, style: str) -> str:
    q = quote(cand.msgid, safe=MSGID_SAFE)
    if style == "r":
        return f"https://lore.kernel.org/r/{q}"
    if style == "list" and cand.list_name and cand.list_name not in {"all", "r"}:
        return f"https://lore.kernel.org/{cand.list_name}/{q}/"
    return f"https://lore.kernel.org/all/{q}/"


def pick(
    cands: list[Candidate],
    row: Row,
    link: Link,
    threshold: float = DEFAULT_THRESHOLD,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> tuple[Candidate, float] | None:
    """The best non-reply candidate when it is confident and unambiguous."""
    scored = sorted(
        ((score(c, row, link, window_days), c) for c in cands if not c.is_reply),
        key=lambda t: (-t[0], t[1].msgid),
    )
    if not scored or scored[0][0] < threshold:
        return None
    best_score, best = scored[0]
    for s, c in scored[1:]:
        if c.msgid != best.msgid and s >= best_score - TIE_MARGIN:
            return None
    return best, best_score


async def rescue(
    row: Row,
    link: Link,
    get: Callable[[str], Awaitable[Response]],
    settings: Settings,
) -> Finding | None:
    """Propose the lore message a dead link in ``row`` meant, or None when unsure."""
    if link.kind not in RESCUABLE_KINDS:
        return None
    threshold, window = _threshold(settings), _window(settings)
    found: tuple[Candidate, float] | None = None
    for query in build_queries(row, window):
        resp = await get(search_url(query))
        if resp.status != 200 or resp.error is not None:
            continue
        found = pick(parse_atom(resp.body), row, link, threshold, window)
        if found is not None:
            break
    if found is None:
        return None
    cand, sc = found
    target = rescue_target(cand, settings.canonical_style)
    who = cand.author_name or cand.author_email or "unknown"
    return Finding(
        code="dead-link",
        severity=DEFAULT_SEVERITY["dead-link"],
        file=link.file,
        line=link.line,
        column=link.column,
        message=(f"dead link; lore has {cand.subject!r} by {who} (score {sc:.2f}): {target}"),
        url=link.url,
        expected=link.url,
        actual=target,
        row_line=row.line,
        edits=(_replace_link(link, target),),
        extra=(("rescue_url", target), ("score", f"{sc:.2f}")),
    )


def merge_rescues(findings: list[Finding], rescued: list[Finding]) -> list[Finding]:
    """Replace the plain ``dead-link`` finding of each rescued link by its rescue."""
    by_pos = {(f.file, f.line, f.column, f.url): f for f in rescued}
    out = [
        by_pos.pop((f.file, f.line, f.column, f.url), f) if f.code == "dead-link" else f
        for f in findings
    ]
    out.extend(by_pos.values())
    return out


async def rescue_dead_links(
    documents: Sequence[Document],
    findings: list[Finding],
    get: Callable[[str], Awaitable[Response]],
    settings: Settings,
) -> list[Finding]:
    """``findings`` with each rescuable ``dead-link`` in a table row replaced by its rescue.

    What the pipeline calls after :func:`patchcrawl.audit.audit`; the searches run
    concurrently (the fetcher's politeness limits still apply).
    """
    where: dict[tuple[str, int, int, str], tuple[Row, Link]] = {}
    for doc in documents:
        for row in doc.rows:
            for link in row.links:
                where[(link.file, link.line, link.column, link.url)] = (row, link)
    todo = [
        where[key]
        for f in findings
        if f.code == "dead-link"
        and f.url is not None
        and (key := (f.file, f.line, f.column, f.url)) in where
    ]
    if not todo:
        return list(findings)
    # one rescue per dead URL, however many rows and cells carry it: a URL names one
    # message, so what the claims of one of its rows find is the answer for them all
    by_url: dict[str, list[tuple[Row, Link]]] = {}
    for row, link in todo:
        by_url.setdefault(link.url, []).append((row, link))

    async def rescue_url(places: list[tuple[Row, Link]]) -> list[Finding]:
        tried: set[tuple[str, int]] = set()
        for row, link in places:
            if (link.file, row.line) in tried:
                continue
            if len(tried) >= ROWS_TRIED_PER_URL:
                break
            tried.add((link.file, row.line))
            found = await rescue(row, link, get, settings)
            if found is not None:
                return [_moved_to(found, other_row, other) for other_row, other in places]
        return []

    results = await asyncio.gather(*(rescue_url(places) for places in by_url.values()))
    return merge_rescues(list(findings), [f for fs in results for f in fs])


# a dead URL carried by many rows is searched for with the claims of its first few
# rows only: each search is a request to lore, and rows that share a URL mostly
# share their claims too
ROWS_TRIED_PER_URL = 3


def _moved_to(found: Finding, row: Row, link: Link) -> Finding:
    """The rescue *found* for one place of a dead URL, told for another place of it."""
    assert found.actual is not None
    if (link.file, link.line, link.column) == (found.file, found.line, found.column):
        return found
    message = found.message
    if (link.file, row.line) != (found.file, found.row_line):
        message += f" (searched with the claims of {found.file}:{found.row_line})"
    return replace(
        found,
        message=message,
        file=link.file,
        line=link.line,
        column=link.column,
        row_line=row.line,
        edits=(_replace_link(link, found.actual),),
    )


def _replace_link(link: Link, target: str) -> Edit:
    """The edit that puts ``target`` where ``link``'s URL is written."""
    return Edit(file=link.file, start=link.start, end=link.end, new=target, old=link.url)
