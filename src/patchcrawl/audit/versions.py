"""The status cell's version (``v9 ☑ 6.5-rc1``) against the versions of the series the
row links.

The status version is compared with the newest version among the row's mails of the
series, and is not flagged when it equals the newest version of *any* mail link of
the row (a series renamed between versions).
"""

from __future__ import annotations

from patchcrawl.audit.common import Linked, finding, meta_version, said, what
from patchcrawl.audit.fixes import edits_of, make_edit
from patchcrawl.audit.labels import version_token
from patchcrawl.models import Document, Edit, Finding, Row, StatusClaim

# the extras a version-unconfirmed finding carries for patchcrawl.confirm's search
SERIES_TITLE, SERIES_AUTHOR, CLAIMED_VERSION = "series_title", "series_author", "claimed_version"


def check_status_version(
    doc: Document, row: Row, members: list[Linked], linked: list[Linked]
) -> list[Finding]:
    """The status cell's ``vN`` against the versions of the series the row links.

    Lower than a version the mails state: an error (the row lags a version it links).
    Higher than every linked version: the series usually went on past the links
    (CONTRACT.md), so this is only ``version-unconfirmed`` until lore's search has
    been asked (:mod:`patchcrawl.confirm`).  A version only inferred (a subject with
    none) never makes an error.
    """
    status = row.claims.status
    cell = row.cell("status")
    if status is None or cell is None:
        return []
    known = [(v, x) for x in members if (v := meta_version(x.meta)) is not None]
    if not known:
        return []
    newest, newest_link = max(known, key=lambda t: (t[0], said(t[1].meta)))
    any_newest = max((meta_version(x.meta) or 0) for x in linked)
    claimed = status.version
    if claimed is None:
        return _no_version(doc, row, status, newest, newest_link)
    if claimed in (newest, any_newest):
        return []
    if claimed > max(newest, any_newest):
        return [_unconfirmed(doc, row, claimed, newest_link, known)]
    return [_lagging(doc, row, status, claimed, newest, newest_link)]


def _no_version(
    doc: Document, row: Row, status: StatusClaim, newest: int, newest_link: Linked
) -> list[Finding]:
    """A status with no version (``☑ 6.5-rc1``) of a series past v1: an ``info``."""
    if status.rfc or newest <= 1 or status.raw.strip().upper() == "NA":
        return []
    return [
        finding(
            "version-mismatch",
            newest_link.link,  # CONTRACT: a finding points at its URL
            f"table gives no version, the newest linked version is v{newest}",
            file=doc.path,
            url=newest_link.link.url,
            expected=None,
            actual=f"v{newest}",
            row_line=row.line,
            severity="info",
        )
    ]


def _lagging(
    doc: Document, row: Row, status: StatusClaim, claimed: int, newest: int, newest_link: Linked
) -> Finding:
    """``version-mismatch``: the status names a version older than one the row links;
    the fix writes the newest (an error only when that mail states its version)."""
    edits: tuple[Edit, ...] = ()
    if status.version_start is not None and status.version_end is not None:
        edits = edits_of(
            make_edit(
                doc,
                status.version_start,
                status.version_end,
                version_token(status.version_text, newest),
                lambda o: o == status.version_text,
            )
        )
    return finding(
        "version-mismatch",
        newest_link.link,  # CONTRACT: a finding points at its URL
        f"table says v{claimed}, {what(newest_link.meta)} says v{newest}",
        file=doc.path,
        url=newest_link.link.url,
        expected=f"v{claimed}",
        actual=f"v{newest}",
        row_line=row.line,
        edits=edits,
        severity=None if said(newest_link.meta) else "warning",
    )


def _unconfirmed(
    doc: Document, row: Row, claimed: int, newest: Linked, known: list[tuple[int, Linked]]
) -> Finding:
    """``version-unconfirmed``: the status names a version newer than the row's links."""
    linked = ", ".join(f"v{v}" for v in sorted({v for v, _ in known}))
    meta = newest.meta
    extra = [(CLAIMED_VERSION, str(claimed))]
    title = meta.title or row.claims.title
    if title:
        extra.append((SERIES_TITLE, title))
    author = meta.author_email or meta.author_name
    if author:
        extra.append((SERIES_AUTHOR, author))
    return finding(
        "version-unconfirmed",
        newest.link,
        f"table says v{claimed}, the row links {linked}; lore was not asked for v{claimed}",
        file=doc.path,
        url=newest.link.url,
        expected=f"v{claimed}",
        actual=linked,
        row_line=row.line,
        extra=tuple(extra),
    )
