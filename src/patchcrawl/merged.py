"""The merged-release checks (``--kernel-git DIR``, CONTRACT.md): a row's status cell
against mainline: ``release-mismatch``, ``not-in-mainline`` and ``merged-unmarked``.

Run after the audit (:func:`patchcrawl.pipeline.verify` and ``enrich``); no network:
the row's mails are what the crawl read (message-id, title, author, place in the
series), the commits what :mod:`patchcrawl.mainline` indexed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from patchcrawl.audit.common import CLAIM_CELLS, MAIL_KINDS, SERIES_THRESHOLD, finding, mail_meta
from patchcrawl.audit.fixes import edits_of, make_edit
from patchcrawl.audit.links import msgid_of
from patchcrawl.claims import release_spans
from patchcrawl.mainline import (
    Commit,
    Mail,
    MainlineIndex,
    Release,
    base_of,
    claim_key,
    first_release,
    release_name,
    series_commits,
)
from patchcrawl.models import Cell, Document, Edit, Finding, Resolution, Row
from patchcrawl.titles import is_description, title_similarity


def row_mails(row: Row, resolutions: Mapping[str, Resolution]) -> list[Mail]:
    """The mails of the row's series it links in its feature and links cells: a mail
    whose title is far from the series' (a dependency, another series) is left out."""
    out: list[Mail] = []
    series_title: str | None = None
    for link in row.links:
        if link.cell not in CLAIM_CELLS or link.kind not in MAIL_KINDS:
            continue
        meta = mail_meta(resolutions.get(link.url))
        from_url = msgid_of(link.url)
        msgid = (meta.msgid if meta else None) or (from_url[1] if from_url else None)
        if meta is None:
            if msgid:
                out.append(Mail(link.url, msgid))
            continue
        if link.cell == "feature" and meta.title:
            series_title = series_title or meta.title
        out.append(
            Mail(
                link.url,
                msgid,
                title=meta.title,
                author_email=meta.author_email,
                author_name=meta.author_name,
                counter=meta.counter,
                total=meta.total,
            )
        )
    title = row.claims.title
    if series_title is None and title and not is_description(title):
        series_title = title
    if series_title is None:
        return out
    return [
        m
        for m in out
        if m.title is None or title_similarity(m.title, series_title) >= SERIES_THRESHOLD
    ]


def _claimed(row: Row) -> tuple[str, Release, bool] | None:
    """The first mainline release the status cell names: (as normalised, key, rc named)."""
    status = row.claims.status
    if status is None:
        return None
    for rel in status.releases:
        parsed = claim_key(rel)
        if parsed is not None:
            return rel, parsed[0], parsed[1]
    return None


def _describe(c: Commit) -> str:
    return f'{c.short} ("{c.subject}")'


def _release_edit(doc: Document, row: Row, claimed: str, actual: Release, rc: bool) -> Edit | None:
    """Replace the release the status cell names with ``actual``, in the cell's style
    (``v`` kept, ``_rc`` kept, ``X.Y`` stays ``X.Y``)."""
    status = row.claims.status
    if status is None or not doc.raw:
        return None
    row_bytes = doc.raw[row.start : row.end]
    at = row_bytes.rfind(status.raw.encode("utf-8"))
    if at < 0:
        return None
    for a, b, rel in release_spans(status.raw):
        if rel != claimed:
            continue
        token = status.raw[a:b].rstrip(".-_~")
        new = release_name(actual) if rc else release_name((*base_of(actual), 1000))
        if "_rc" in token.lower():
            new = new.replace("-rc", "_rc")
        if token.startswith("v"):
            new = "v" + new
        start = row.start + at + len(status.raw[:a].encode("utf-8"))
        end = start + len(token.encode("utf-8"))
        return make_edit(doc, start, end, new, token.__eq__)
    return None


@dataclass(frozen=True, slots=True)
class _Series:
    """What mainline has of a row's series: its commits, the first release that holds
    them (None: after the newest tag) and the first of them; ``where`` and ``url`` are
    where a finding points (the status cell, the row's first mail)."""

    doc: Document
    row: Row
    where: Row | Cell
    url: str
    release: Release | None
    first: Commit | None
    ambiguous: bool  # matched by subject, in several releases: the subject was reused
    newest: Release | None  # the newest tag of DIR


def check_row(
    doc: Document, row: Row, resolutions: Mapping[str, Resolution], index: MainlineIndex
) -> list[Finding]:
    """The row's status against mainline: ``merged-unmarked`` for a series the status
    says is not merged, ``not-in-mainline`` for one it says is, ``release-mismatch``
    for the release it names."""
    status = row.claims.status
    if status is None:
        return []
    claimed = _claimed(row)
    if claimed is None and status.merged is None:
        return []
    mails = row_mails(row, resolutions)
    if not mails:
        return []
    commits, by_subject = series_commits(index, mails)
    release, first = first_release(commits)
    # by subject, commits in several releases: the author used the subject more than once
    ambiguous = by_subject and len({base_of(c.release) if c.release else () for c in commits}) > 1
    where = row.cell("status") or row
    found = _Series(doc, row, where, mails[0].url, release, first, ambiguous, index.newest)
    if status.merged is False:
        return _merged_unmarked(found)
    if first is None:
        return _not_in_mainline(found, claimed, mails)
    if claimed is None or ambiguous:
        return []
    return _release_mismatch(found, claimed, first)


def _merged_unmarked(s: _Series) -> list[Finding]:
    """The status says not merged (``☐``): mainline having the series is ``merged-unmarked``."""
    if s.first is None:
        return []
    actual = release_name(s.release) if s.release else "after the newest tag"
    where_in = f"in {release_name(s.release)}" if s.release else "after its newest tag"
    return [
        finding(
            "merged-unmarked",
            s.where,
            f"the status says not merged, mainline has the series {where_in}: {_describe(s.first)}",
            file=s.doc.path,
            url=s.url,
            expected="not merged",
            actual=actual,
            row_line=s.row.line,
            extra=(("commit", s.first.sha),),
        )
    ]


def _not_in_mainline(
    s: _Series, claimed: tuple[str, Release, bool] | None, mails: list[Mail]
) -> list[Finding]:
    """The status says merged or names a release, and no commit of the series is in
    mainline: ``not-in-mainline``, unless no mail was read or the release is newer
    than DIR knows of."""
    if not any(m.title for m in mails):
        return []  # no mail was read (offline, dead): its subject could not be tried
    newest = s.newest
    if claimed is not None and newest is not None and base_of(claimed[1]) > base_of(newest):
        return []  # a release newer than DIR knows of: nothing to say yet
    said = f"names {claimed[0]}" if claimed else "says merged"
    upto = f" up to {release_name(newest)}" if newest else ""
    return [
        finding(
            "not-in-mainline",
            s.where,
            f"the status {said}, but no commit of the series is in mainline{upto}",
            file=s.doc.path,
            url=s.url,
            expected=claimed[0] if claimed else "merged",
            actual="not in mainline",
            row_line=s.row.line,
        )
    ]


def _release_mismatch(
    s: _Series, claimed: tuple[str, Release, bool], first: Commit
) -> list[Finding]:
    """The release the status names against the first release mainline has the series
    in (the same ``-rc`` when the status names one, else the same ``X.Y``)."""
    text, key, rc = claimed
    newest = s.newest
    if s.release is None:
        if newest is None or base_of(key) > base_of(newest):
            return []
        return [
            finding(
                "release-mismatch",
                s.where,
                f"table says {text}, mainline has the series only after "
                f"{release_name(newest)}: {_describe(first)}",
                file=s.doc.path,
                url=s.url,
                expected=text,
                actual=f"after {release_name(newest)}",
                row_line=s.row.line,
                extra=(("commit", first.sha),),
            )
        ]
    same = s.release == key if rc else base_of(s.release) == base_of(key)
    if same:
        return []
    return [
        finding(
            "release-mismatch",
            s.where,
            f"table says {text}, mainline first has the series in "
            f"v{release_name(s.release)}: {_describe(first)}",
            file=s.doc.path,
            url=s.url,
            expected=text,
            actual=release_name(s.release),
            row_line=s.row.line,
            edits=edits_of(_release_edit(s.doc, s.row, text, s.release, rc)),
            extra=(("commit", first.sha),),
        )
    ]


def mainline_findings(
    documents: Sequence[Document],
    resolutions: Mapping[str, Resolution],
    index: MainlineIndex,
) -> list[Finding]:
    out: list[Finding] = []
    for doc in documents:
        for row in doc.rows:
            out.extend(check_row(doc, row, resolutions, index))
    return out
