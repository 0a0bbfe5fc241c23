"""What every rule of the audit shares: which links a row's claims describe, the
mail metadata they are compared with, and how a finding is made."""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass

from patchcrawl.audit.fixes import applicability_of
from patchcrawl.models import (
    DEFAULT_SEVERITY,
    Cell,
    CellRole,
    Edit,
    Finding,
    FindingCode,
    Link,
    Metadata,
    Resolution,
    Row,
    Severity,
)
from patchcrawl.tables import cell_fits

MAIL_SOURCES = frozenset({"lore", "patchwork", "lwn-ml", "lkml-org"})
MAIL_KINDS = frozenset({"lore-message", "lore-patchwork-legacy", "patchwork", "lwn-ml", "lkml-org"})
SERIES_THRESHOLD = 0.6
READ_STATUSES = frozenset({"ok", "moved"})
# links whose mail a row's claims describe; description and status cells link related
# threads and release notes (pull requests, reviews), which are checked only as links
CLAIM_CELLS = frozenset({"feature", "links"})


def finding(
    code: FindingCode,
    where: Link | Cell | Row,
    message: str,
    *,
    file: str,
    url: str | None = None,
    expected: str | None = None,
    actual: str | None = None,
    row_line: int | None = None,
    edits: tuple[Edit, ...] = (),
    severity: Severity | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> Finding:
    """A finding at ``where``, of its code's default severity unless ``severity`` says
    otherwise; its ``edits`` are a fix of the applicability the code's kind and the
    severity give (:func:`patchcrawl.audit.fixes.applicability_of`)."""
    column = where.column if isinstance(where, (Link, Cell)) else 1
    severity = severity or DEFAULT_SEVERITY[code]
    return Finding(
        code=code,
        severity=severity,
        file=file,
        line=where.line,
        column=column,
        message=message,
        url=url,
        expected=expected,
        actual=actual,
        row_line=row_line,
        edits=edits,
        extra=extra,
        applicability=applicability_of(code, severity) if edits else "safe",
    )


@dataclass(frozen=True, slots=True)
class Linked:
    """A link of a row and what its mail says."""

    link: Link
    meta: Metadata


def mail_meta(res: Resolution | None) -> Metadata | None:
    """The metadata of a mail that was read (None for a page that is not a mail)."""
    if res is None or res.status not in READ_STATUSES or res.metadata is None:
        return None
    if res.metadata.source not in MAIL_SOURCES:
        return None
    return res.metadata


def meta_version(meta: Metadata) -> int | None:
    """The series version the mail states (1 when it states none, ``version_inferred``);
    None when it cannot be read as a number (``v021``)."""
    return meta.version


def said(meta: Metadata) -> bool:
    """Does the mail state its version (rather than leave it to the v1 convention)?"""
    return meta.version is not None and not meta.version_inferred


def what(meta: Metadata) -> str:
    """How a message is named in messages: the cover letter, the patch, the mail."""
    if meta.counter == 0:
        return "the cover letter"
    if meta.counter is not None and meta.total:
        return "the patch"
    return "the mail"


def meta_date(meta: Metadata) -> _dt.date | None:
    if not meta.date:
        return None
    try:
        return _dt.datetime.fromisoformat(meta.date.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return _dt.date.fromisoformat(meta.date[:10])
        except ValueError:
            return None


# the zones mail is sent from: UTC-12 to UTC+14
_ZONES = (_dt.timedelta(hours=-12), _dt.timedelta(0), _dt.timedelta(hours=14))


def days_apart(meta: Metadata, claimed: _dt.date) -> int | None:
    """Days between ``claimed`` and the day the sender's Date header says; when the
    zone is not known (a date from lore's search feed is in UTC: the sender's day may
    be the one before or after), the smallest a zone can make it, so that only what no
    zone explains is a disagreement."""
    day = meta_date(meta)
    if day is None:
        return None
    days = {day}
    if meta.date_zone_unknown and meta.date is not None:
        with contextlib.suppress(ValueError):
            instant = _dt.datetime.fromisoformat(meta.date.replace("Z", "+00:00"))
            days = {(instant + z).date() for z in _ZONES}
    return min(abs((d - claimed).days) for d in days)


def fmt_date(d: _dt.date) -> str:
    return d.strftime("%Y/%m/%d")


def fmt_mail_date(meta: Metadata, day: _dt.date) -> str:
    """A mail's day as a message says it: ``2021/09/28``, or ``2021/09/28 UTC`` when
    the sender's zone is not known."""
    return fmt_date(day) + (" UTC" if meta.date_zone_unknown else "")


def fits(row: Row, role: CellRole) -> bool:
    """May ``row``'s ``role`` cell be compared?  Always in a well-formed row; in a row
    whose cells the scanner had to re-read (an extra ``| |``, a stray pipe: it reports
    the row as malformed too) only when the cell looks like one of its role."""
    if row.well_formed:
        return True
    cell = row.cell(role)
    return cell is not None and cell_fits(role, cell.text)


def feature_unread(row: Row, resolutions: Mapping[str, Resolution]) -> bool:
    """The feature cell links a mail that could not be read: the row's date is about
    that mail, so it is not compared with the others."""
    return any(
        link.cell == "feature"
        and link.kind in MAIL_KINDS
        and mail_meta(resolutions.get(link.url)) is None
        for link in row.links
    )
