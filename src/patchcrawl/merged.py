"""The merged-release checks (``--kernel-git DIR``, CONTRACT.md): a row's status cell
against mainline: ``release-mismatch``, ``not-in-mainline`` and ``merged-unmarked``.

Run after the audit (:func:`patchcrawl.pipeline.verify` and ``enrich``); no network:
the row's mails are what the crawl read (message-id, title, author, place in the
series), the commits what :mod:`patchcrawl.mainline` indexed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from patchcrawl.audit import (
    CLAIM_CELLS,
    MAIL_KINDS,
    SERIES_THRESHOLD,
    _finding,
    _mail_meta,
    _msgid_of,
    make_edit,
)
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
from patchcrawl.models import Document, Edit, Finding, Resolution, Row
from patchcrawl.titles import is_description, title_similarity


def row_mails(row: Row, resolutions: Mapping[str, Resolution]) -> list[Mail]:
    """The mails of the row's series it links in its feature and links cells: a mail
    whose title is far from the series' (a dependency, another series) is left out."""
    out: list[Mail] = []
    series_title: str | None = None
    for link in row.links:
        if link.cell not in CLAIM_CELLS or link.kind not in MAIL_KINDS:
            continue
        meta = _mail_meta(resolutions.get(link.url))
        from_url = _msgid_of(link.url)
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


def check_row(
    doc: Document, row: Row, resolutions: Mapping[str, Resolution], index: MainlineIndex
) -> list[Finding]:
    status = row.claims.status
    if status is None:
        return []
    claimed = _claimed(row)
    merged = status.merged
    if claimed is None and merged is None:
        return []
    mails = row_mails(row, resolutions)
    if not mails:
        return []
    commits, by_subject = series_commits(index, mails)
    release, first = first_release(commits)
    # by subject, commits in several releases: the author used the subject more than once
    ambiguous = by_subject and len({base_of(c.release) if c.release else () for c in commits}) > 1
    where = row.cell("status") or row
    url = mails[0].url
    newest = index.newest
    if merged is False:
        if first is None:
            return []
        actual = release_name(release) if release else "after the newest tag"
        where_in = f"in {release_name(release)}" if release else "after its newest tag"
        return [
            _finding(
                "merged-unmarked",
                where,
                f"the status says not merged, mainline has the series {where_in}: "
                f"{_describe(first)}",
                file=doc.path,
                url=url,
                expected="not merged",
                actual=actual,
                row_line=row.line,
                extra=(("commit", first.sha),),
            )
        ]
    if first is None:
        if not any(m.title for m in mails):
            return []  # no mail was read (offline, dead): its subject could not be tried
        if claimed is not None and newest is not None and base_of(claimed[1]) > base_of(newest):
            return []  # a release newer than DIR knows of: nothing to say yet
        said = f"names {claimed[0]}" if claimed else "says merged"
        upto = f" up to {release_name(newest)}" if newest else ""
        return [
            _finding(
                "not-in-mainline",
                where,
                f"the status {said}, but no commit of the series is in mainline{upto}",
                file=doc.path,
                url=url,
                expected=claimed[0] if claimed else "merged",
                actual="not in mainline",
                row_line=row.line,
            )
        ]
    if claimed is None or ambiguous:
        return []
    text, key, rc = claimed
    if release is None:
        if newest is not None and base_of(key) <= base_of(newest):
            return [
                _finding(
                    "release-mismatch",
                    where,
                    f"table says {text}, mainline has the series only after "
                    f"{release_name(newest)}: {_describe(first)}",
                    file=doc.path,
                    url=url,
                    expected=text,
                    actual=f"after {release_name(newest)}",
                    row_line=row.line,
                    extra=(("commit", first.sha),),
                )
            ]
        return []
    same = release == key if rc else base_of(release) == base_of(key)
    if same:
        return []
    edit = _release_edit(doc, row, text, release, rc)
    return [
        _finding(
            "release-mismatch",
            where,
            f"table says {text}, mainline first has the series in "
            f"v{release_name(release)}: {_describe(first)}",
            file=doc.path,
            url=url,
            expected=text,
            actual=release_name(release),
            row_line=row.line,
            edits=(edit,) if edit else (),
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
