"""The row's date against the dates of its mails.

The row date is fine when it is within ``date_tolerance_days`` of the date of the
feature link's mail or of any linked version of the series; otherwise it is reported
against the feature link's date (else the earliest version's).  A label's date is
compared with its own link's date (:mod:`patchcrawl.audit.labels`).
"""

from __future__ import annotations

from patchcrawl.audit.common import Linked, days_apart, finding, fmt_date, fmt_mail_date, meta_date
from patchcrawl.models import Document, Finding, Row
from patchcrawl.settings import Settings


def check_date(
    doc: Document,
    row: Row,
    feature: Linked | None,
    linked: list[Linked],
    settings: Settings,
) -> list[Finding]:
    """The row's date against its mails': fine when within the tolerance of any mail
    the row links (a row dated by its first posting, its last, or the one merged)."""
    claimed = row.claims.date
    cell = row.cell("date")
    if claimed is None or cell is None:
        return []
    dated = [(d, x) for x in linked if (d := meta_date(x.meta)) is not None]
    fdate = meta_date(feature.meta) if feature else None
    if fdate is not None and feature is not None:
        dated.append((fdate, feature))
    if not dated:
        return []
    tol = settings.date_tolerance_days
    if any((days_apart(x.meta, claimed) or 0) <= tol for _, x in dated):
        return []
    if fdate is not None and feature is not None:
        ref, ref_link = fdate, feature
    else:
        ref, ref_link = min(dated, key=lambda t: t[0])
    return [
        finding(
            "date-mismatch",
            ref_link.link,  # CONTRACT: a finding points at its URL
            f"table says {fmt_date(claimed)}, the mail is dated "
            f"{fmt_mail_date(ref_link.meta, ref)} ({abs((ref - claimed).days)} days apart)",
            file=doc.path,
            url=ref_link.link.url,
            expected=fmt_date(claimed),
            actual=fmt_date(ref),
            row_line=row.line,
        )
    ]
