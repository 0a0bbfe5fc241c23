"""Ask lore whether a series reached the version a row's status names.

A status cell's version (``v9 ☑ 6.5-rc1``) names the version of the series the row
is about, and that is often newer than any version the row links: the series went
on after the links were written.  So :mod:`patchcrawl.audit` does not call that a
mismatch; it leaves a ``version-unconfirmed`` finding with the series' title, its
author and the version claimed, and this module asks lore's search
(``/all/?q=s:... f:<author>&x=A``, Atom) for the series:

* a mail of the series (title similar, same author; replies count, since a reply to
  ``[PATCH v9 3/9]`` shows that v9 was posted) at that version or a later one: the
  claim is confirmed and the finding dropped;
* mails of the series, all at lower versions: ``version-mismatch`` naming the
  versions lore has (an ``error`` when they state their version, a ``warning`` when
  only inferred; never a fix, since a search may miss a renamed version);
* nothing found, or no answer: the finding stays ``version-unconfirmed`` (``info``)
  and says why.

One search per series and version however many rows claim it; the fetcher's
politeness and cache apply, so an ``--offline`` run reads the answers of the last
online one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence

from patchcrawl._liblore import email_matches
from patchcrawl.audit import (
    CLAIMED_VERSION,
    SERIES_AUTHOR,
    SERIES_THRESHOLD,
    SERIES_TITLE,
    compare_names,
)
from patchcrawl.models import DEFAULT_SEVERITY, Finding, Response
from patchcrawl.rescue import search_url, subject_words
from patchcrawl.sources._common import subject_info
from patchcrawl.sources.lore_search import Candidate, parse_atom
from patchcrawl.titles import looks_like_email, title_similarity

Get = Callable[[str], Awaitable[Response]]

# words of the title searched for: few enough that a version whose title gained or
# lost a word is still found, enough that the answer stays within one page
QUERY_WORDS = 4


def queries(title: str, author: str | None) -> list[str]:
    """The searches for a series, most specific first (with the author, then without)."""
    words = subject_words(title, QUERY_WORDS)
    if not words:
        return []
    s = " ".join(f"s:{w}" for w in words)
    if author and looks_like_email(author):
        return [f"{s} f:{author}", s]
    return [s]


def same_author(cand: Candidate, author: str | None) -> bool:
    """Is the candidate's sender the series' author (email first, then name)?"""
    if not author:
        return False
    if looks_like_email(author):
        return bool(cand.author_email) and email_matches(cand.author_email or "", author)
    return bool(cand.author_name) and compare_names(cand.author_name or "", author) == "match"


def series_versions(
    cands: Sequence[Candidate], title: str, author: str | None
) -> list[tuple[int, bool]]:
    """(version, stated) of every candidate of the series (title similar, same author)."""
    out: list[tuple[int, bool]] = []
    for c in cands:
        if not same_author(c, author):
            continue
        if title_similarity(c.title, title) < SERIES_THRESHOLD:
            continue
        si = subject_info(c.subject)
        if si.version is not None:
            out.append((si.version, not si.version_inferred))
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """What lore said about one series: the versions it holds, or why nothing is known."""

    versions: tuple[tuple[int, bool], ...] = ()
    problem: str | None = None  # the search could not be made


async def ask(get: Get, title: str, author: str | None) -> Answer:
    """Search lore for the series; the versions of the first search that finds it."""
    problem: str | None = None
    for query in queries(title, author):
        resp = await get(search_url(query))
        if resp.error is not None or resp.status not in (200, 404):
            problem = resp.error or f"HTTP {resp.status}"
            continue
        found = series_versions(parse_atom(resp.body), title, author)
        if found:
            return Answer(tuple(found))
    return Answer(problem=problem)


def settle(f: Finding, answer: Answer) -> Finding | None:
    """The finding that stands once lore answered (None: the claim is confirmed)."""
    claimed = int(_extra(f, CLAIMED_VERSION) or 0)
    versions = sorted({v for v, _ in answer.versions})
    if versions and versions[-1] >= claimed:
        return None
    if versions:
        stated = any(s for v, s in answer.versions)
        listed = ", ".join(f"v{v}" for v in versions)
        return dataclasses.replace(
            f,
            code="version-mismatch",
            severity=DEFAULT_SEVERITY["version-mismatch"] if stated else "warning",
            message=f"table says v{claimed}; lore has this series only as {listed}",
            actual=listed,
            edits=(),
        )
    why = (
        f"lore could not be searched ({answer.problem})"
        if answer.problem
        else "lore's search found no mail of this series by its author"
    )
    return dataclasses.replace(f, message=f"{f.message.split(';')[0]}; {why}")


def _extra(f: Finding, key: str) -> str | None:
    return next((v for k, v in f.extra if k == key), None)


def pending(findings: Sequence[Finding]) -> bool:
    """Is there a ``version-unconfirmed`` finding lore could be asked about?"""
    return any(f.code == "version-unconfirmed" and _extra(f, SERIES_TITLE) for f in findings)


async def confirm_versions(findings: Sequence[Finding], get: Get) -> list[Finding]:
    """``findings`` with every ``version-unconfirmed`` settled by lore's search."""
    keys: dict[tuple[str, str | None], list[int]] = {}
    for i, f in enumerate(findings):
        title = _extra(f, SERIES_TITLE)
        if f.code == "version-unconfirmed" and title:
            keys.setdefault((title, _extra(f, SERIES_AUTHOR)), []).append(i)
    answers = await asyncio.gather(*(ask(get, title, author) for title, author in keys))
    settled: dict[int, Finding | None] = {}
    for (_key, idxs), answer in zip(keys.items(), answers, strict=True):
        for i in idxs:
            settled[i] = settle(findings[i], answer)
    out: list[Finding] = []
    for i, f in enumerate(findings):
        if i not in settled:
            out.append(f)
        elif (g := settled[i]) is not None:
            out.append(g)
    return out
