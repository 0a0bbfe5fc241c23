"""Claims + metadata -> findings (with fix edits). Never touches the network.

Every link of every document is checked for its status (dead, moved, blocked,
paywalled, unreachable, malformed).  Links in table rows are also compared with
what the row claims.  Orientation follows CONTRACT.md's example: ``expected`` is
what the *table* says, ``actual`` what the *source* says.

Rules (short form for the README):

* **Mail sources** are ``lore``, ``patchwork``, ``lwn-ml`` and ``lkml-org``
  metadata.  Only they produce title, author, version, count and date findings;
  LWN articles, cgit commits and generic pages never do.
* **Which links**: only feature-cell and links-cell links are compared with the row
  (description and status cells link related threads and release notes).
* **Series of a row**: the feature cell's mail link names the series (its title; the
  row's title when the feature cell has no mail link).  A mail link of the row
  belongs to the series when its title is similar (>= 0.6) to that; when no series
  title is known every mail link does.  The status cell's version is compared with
  the newest version among them, and is not flagged when it equals the newest
  version of *any* mail link of the row (a series renamed between versions).
* **Labels** (``[LORE v2,0/5](...)``) are compared with their own link's metadata:
  an explicit version must match; a label with ``N/M`` and no version claims v1;
  RFC with no number claims nothing; ``M`` must equal the series total.
* **Title**: see :mod:`patchcrawl.titles`; compared with the feature link's title,
  or when the feature cell has no link, with any links-cell mail link (a match with
  one is a match).
* **Author**: any person of the cell matching is a match.  Email first
  (``liblore.series.email_matches``), then name (``name_matches`` or equal word
  sets or one word set inside the other).  A CJK name against a romanised one, or
  names sharing only some words, cannot be decided: an ``info`` finding says so.
  A lone name with no email that matches is offered ``Name <email>`` (an ``info``
  finding with the edit); a wrong author's edit is an unsafe fix.
* **Malformed rows** (cell count not the header's): only link labels are compared;
  title, author, status and date cells are not, since their roles are guesses.
* **Date**: the row date is fine when it is within ``date_tolerance_days`` of the
  date of the feature link's mail or of any linked version of the series; otherwise
  it is reported against the feature link's date (else the earliest version's).
  A label date is compared with its own link's date.
* **Fixes** know their safety (:mod:`patchcrawl.audit.fixes`): a rule makes every edit
  it can justify; an author or title rewrite is ``unsafe`` and is offered only with
  the user's consent (``--fix-authors``, ``--fix-titles``), a suspicion's edit is
  ``display-only`` and never offered.  The codes, their families, default severities
  and fix kinds are one table: :data:`patchcrawl.models.FINDING_VOCABULARY`.

The rules live by concern: :mod:`~patchcrawl.audit.links` (a link's status),
:mod:`~patchcrawl.audit.labels`, :mod:`~patchcrawl.audit.title`,
:mod:`~patchcrawl.audit.versions` (the status cell's version),
:mod:`~patchcrawl.audit.authors`, :mod:`~patchcrawl.audit.dates`; what they share is in
:mod:`~patchcrawl.audit.common`.  The mainline checks are :mod:`patchcrawl.merged`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from patchcrawl.audit.authors import author_anchor, check_author, compare_names, format_person
from patchcrawl.audit.common import (
    CLAIM_CELLS,
    MAIL_KINDS,
    MAIL_SOURCES,
    READ_STATUSES,
    SERIES_THRESHOLD,
    Linked,
    days_apart,
    feature_unread,
    fits,
    mail_meta,
    meta_date,
    meta_version,
)
from patchcrawl.audit.dates import check_date
from patchcrawl.audit.fixes import consent, make_edit, offered
from patchcrawl.audit.labels import check_label
from patchcrawl.audit.links import MSGID_SAFE, canonical_url, msgid_of, status_finding
from patchcrawl.audit.title import check_title
from patchcrawl.audit.versions import (
    CLAIMED_VERSION,
    SERIES_AUTHOR,
    SERIES_TITLE,
    check_status_version,
)
from patchcrawl.models import Document, Finding, Resolution, Row
from patchcrawl.settings import Settings
from patchcrawl.titles import is_description, title_similarity

__all__ = [
    "CLAIMED_VERSION",
    "CLAIM_CELLS",
    "MAIL_KINDS",
    "MAIL_SOURCES",
    "MSGID_SAFE",
    "READ_STATUSES",
    "SERIES_AUTHOR",
    "SERIES_THRESHOLD",
    "SERIES_TITLE",
    "audit",
    "audit_row",
    "audit_steps",
    "canonical_url",
    "compare_names",
    "days_apart",
    "format_person",
    "make_edit",
    "meta_date",
    "meta_version",
    "msgid_of",
    "status_finding",
]


def audit(
    documents: Sequence[Document],
    resolutions: Mapping[str, Resolution],
    settings: Settings,
) -> list[Finding]:
    """Findings for every link and every table row of ``documents`` (scanner findings excluded)."""
    out: list[Finding] = []
    for doc in documents:
        for _ in audit_steps(doc, resolutions, settings, out):
            pass
    return out


def audit_steps(
    doc: Document,
    resolutions: Mapping[str, Resolution],
    settings: Settings,
    out: list[Finding],
) -> Iterator[None]:
    """:func:`audit` of one document, its findings appended to ``out``, in steps of
    a table row or 100 links, so that a caller can do other work between steps.

    Each finding leaves with the fix the run offers (:func:`patchcrawl.audit.fixes.offered`):
    an unsafe one only with the user's consent."""
    agreed = consent(settings)
    seen_malformed = {(f.line, f.column) for f in doc.findings if f.code == "malformed-url"}
    for n, link in enumerate(doc.links, 1):
        res = resolutions.get(link.url)
        if res is None:
            continue
        if res.status == "malformed" and (link.line, link.column) in seen_malformed:
            continue
        f = status_finding(doc, link, res, settings)
        if f is not None:
            out.append(offered(f, agreed))
        if n % 100 == 0:
            yield
    for row in doc.rows:
        out.extend(offered(f, agreed) for f in audit_row(doc, row, resolutions, settings))
        yield


def audit_row(
    doc: Document,
    row: Row,
    resolutions: Mapping[str, Resolution],
    settings: Settings,
) -> list[Finding]:
    """Compare one row's claims with the metadata of its mail links (every fix made,
    whatever its kind: :func:`audit_steps` offers them)."""
    linked = [
        Linked(link, meta)
        for link in row.links
        if link.cell in CLAIM_CELLS and (meta := mail_meta(resolutions.get(link.url))) is not None
    ]
    if not linked:
        return []
    feature = next((x for x in linked if x.link.cell == "feature"), None)
    members = _series_members(row, feature, linked)
    out: list[Finding] = []
    for x in linked:
        if x.link.label is not None:
            out.extend(check_label(doc, row, x, settings))
    if fits(row, "feature"):
        has_feature_link = any(link.cell == "feature" for link in row.links)
        out.extend(check_title(doc, row, feature, linked, has_feature_link))
    if fits(row, "status"):
        out.extend(check_status_version(doc, row, members, linked))
    anchor = author_anchor([*([feature] if feature else []), *members, *linked])
    if anchor is not None and fits(row, "author"):
        out.extend(check_author(doc, row, anchor))
    if fits(row, "date") and not feature_unread(row, resolutions):
        out.extend(check_date(doc, row, feature, linked, settings))
    return out


def _series_members(row: Row, feature: Linked | None, linked: list[Linked]) -> list[Linked]:
    """The row's mails of its series: the feature cell's mail link names the series (its
    title; the row's title when the feature cell has no mail link), and a mail belongs
    to it when its title is similar (>= ``SERIES_THRESHOLD``); when no series title is
    known every mail does.  The feature link's mail comes first."""
    title = row.claims.title
    series_title = feature.meta.title if feature and feature.meta.title else None
    if series_title is None and title and not is_description(title):
        series_title = title
    members = [
        x
        for x in linked
        if series_title is None
        or (x.meta.title and title_similarity(x.meta.title, series_title) >= SERIES_THRESHOLD)
    ]
    if feature is not None and feature not in members:
        members.insert(0, feature)
    return members
