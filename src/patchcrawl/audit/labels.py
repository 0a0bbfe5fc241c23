"""A link's label (``[LORE v2,0/5](...)``) against its own link's mail: the version,
the ``N/M`` count and the date it writes.

An explicit version must match; a label with ``N/M`` and no version claims v1; RFC
with no number claims nothing; ``M`` must equal the series total.
"""

from __future__ import annotations

import re

from patchcrawl.audit.common import (
    Linked,
    days_apart,
    finding,
    fmt_date,
    fmt_mail_date,
    meta_date,
    meta_version,
    said,
    what,
)
from patchcrawl.audit.fixes import edits_of, make_edit
from patchcrawl.models import Document, Edit, Finding, LabelClaim, Metadata, Row, Severity
from patchcrawl.settings import Settings
from patchcrawl.sources._common import subject_info

_VERSION_TOKEN = re.compile(r"[vV]?\s*\d+[a-zA-Z]?")
_COUNT_TEXT = re.compile(r"(\s*)(\d+)(\s*/\s*)(\d+)(\s*)")


def check_label(doc: Document, row: Row, x: Linked, settings: Settings) -> list[Finding]:
    label = x.link.label
    assert label is not None
    out: list[Finding] = []
    out.extend(_label_version(doc, row, x, label, meta_version(x.meta)))
    count = _label_count(doc, row, x, label)
    if count is not None:
        out.append(count)
    if label.date is not None:
        d = meta_date(x.meta)
        apart = days_apart(x.meta, label.date)
        tol = settings.date_tolerance_days
        if d is not None and apart is not None and apart > tol:
            out.append(
                finding(
                    "date-mismatch",
                    x.link,
                    f"link text says {fmt_date(label.date)}, the mail is dated "
                    f"{fmt_mail_date(x.meta, d)}",
                    file=doc.path,
                    url=x.link.url,
                    expected=fmt_date(label.date),
                    actual=fmt_date(d),
                    row_line=row.line,
                )
            )
    return out


def version_token(old_text: str | None, version: int) -> str:
    """``old_text`` (``v3``, ``V3``, ``v14c``) with its number made ``version``."""
    if old_text and re.search(r"\d+", old_text):
        return re.sub(r"\d+", str(version), old_text, count=1)
    return f"v{version}"


def _label_count(doc: Document, row: Row, x: Linked, label: LabelClaim) -> Finding | None:
    """A label's ``N/M`` against the mail it links: ``M`` the series' patch count, ``N``
    the mail's place in it (``0/10`` claims the cover letter; a link to patch 8/10 is not
    that)."""
    if label.total is None:
        return None
    meta = x.meta
    total = meta.total
    # the mail's own counter; a patch read through its cover keeps its own
    counter = meta.counter
    wrong_total = total is not None and label.total != total
    wrong_counter = (
        label.counter is not None
        and counter is not None
        and meta.total is not None
        and label.counter != counter
        and (meta.total > 1 or _counts_stated(meta))
    )
    if not (wrong_total or wrong_counter):
        return None
    said_count = f"{label.counter if label.counter is not None else 0}/{label.total}"
    is_counter = counter if wrong_counter and counter is not None else label.counter
    is_total = total if total is not None else label.total
    shown_counter = counter if counter is not None else label.counter
    which = "" if not wrong_counter else f" ({what(meta)}, not {_place(label.counter)})"
    stated = _counts_stated(meta)
    if not stated:
        # a mail with no N/M is one mail (1/1 by convention only): a suspicion
        which = " (it states no count: a single mail)"
    return finding(
        "patch-count-mismatch",
        x.link,
        f"link text says {said_count}, the mail says {shown_counter}/{is_total}{which}",
        file=doc.path,
        url=x.link.url,
        expected=said_count,
        actual=f"{shown_counter}/{is_total}",
        row_line=row.line,
        edits=_count_edits(doc, label, is_counter, is_total),
        severity=None if stated else "warning",
    )


def _count_edits(
    doc: Document, label: LabelClaim, counter: int | None, total: int
) -> tuple[Edit, ...]:
    """The label's ``N/M`` rewritten as ``counter/total``, its spacing and zero padding
    (``00/27``) kept."""
    if label.count_start is None or label.count_end is None or counter is None:
        return ()
    old = doc.raw[label.count_start : label.count_end].decode("utf-8", "replace")
    m = _COUNT_TEXT.fullmatch(old)
    if m is None:
        return ()
    new = (
        f"{m.group(1)}{counter:0{len(m.group(2))}d}{m.group(3)}"
        f"{total:0{len(m.group(4))}d}{m.group(5)}"
    )
    return edits_of(make_edit(doc, label.count_start, label.count_end, new))


def _counts_stated(meta: Metadata) -> bool:
    """Does the mail's subject write its ``N/M`` (``[PATCH v3 1/1]``), rather than leave
    a lone patch to the 1/1 convention (``[PATCH]``, which a table writes ``0/1``)?"""
    return bool(meta.subject) and not subject_info(meta.subject or "").counters_inferred


def _place(counter: int | None) -> str:
    return "the cover letter" if counter == 0 else f"patch {counter}"


def _label_version(
    doc: Document, row: Row, x: Linked, label: LabelClaim, version: int | None
) -> list[Finding]:
    """A label's version against its own link's mail.

    An explicit ``vN`` that differs from a version the mail states is an error; from a
    version only inferred (a subject with none) a warning.  A label with no version
    (``[LORE 0/5]``) claims none: against a mail that states one it is an ``info``
    that the label leaves the version out.
    """
    if version is None:
        return []
    severity: Severity | None = None if said(x.meta) else "warning"
    edits: tuple[Edit, ...] = ()
    if label.version is not None:
        if label.version == version:
            return []
        claimed = label.version
        edits = _version_edits(doc, label, claimed, version)
        message = f"link text says v{claimed}, {what(x.meta)} says v{version}"
    elif label.rfc or label.counter is None or version == 1:
        return []  # RFC / bare site word: no version claimed; no number means v1
    else:
        claimed = 1
        severity = "info"
        message = f"link text gives no version, {what(x.meta)} says v{version}"
    return [
        finding(
            "version-mismatch",
            x.link,
            message,
            file=doc.path,
            url=x.link.url,
            expected=f"v{claimed}",
            actual=f"v{version}",
            row_line=row.line,
            edits=edits,
            severity=severity,
        )
    ]


def _version_edits(
    doc: Document, label: LabelClaim, claimed: int, version: int
) -> tuple[Edit, ...]:
    """The label's version token (``v2``) rewritten as ``version``, checked to be the
    token that claimed ``claimed``."""
    if label.version_start is None or label.version_end is None:
        return ()
    old = doc.raw[label.version_start : label.version_end].decode("utf-8", "replace")
    return edits_of(
        make_edit(
            doc,
            label.version_start,
            label.version_end,
            version_token(old, version),
            lambda o: _VERSION_TOKEN.fullmatch(o) is not None and str(claimed) in o,
        )
    )
