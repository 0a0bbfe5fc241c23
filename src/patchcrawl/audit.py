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
  finding with the edit); a wrong author gets an edit only with ``fix_authors``.
* **Malformed rows** (cell count not the header's): only link labels are compared;
  title, author, status and date cells are not, since their roles are guesses.
* **Date**: the row date is fine when it is within ``date_tolerance_days`` of the
  date of the feature link's mail or of any linked version of the series; otherwise
  it is reported against the feature link's date (else the earliest version's).
  A label date is compared with its own link's date.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from patchcrawl._liblore import email_matches, name_matches
from patchcrawl.models import (
    DEFAULT_SEVERITY,
    FIXABLE_NON_ERRORS,
    Cell,
    CellRole,
    Document,
    Edit,
    Finding,
    LabelClaim,
    Link,
    Metadata,
    Person,
    Resolution,
    Row,
    Severity,
)
from patchcrawl.settings import Settings
from patchcrawl.sources._common import subject_info
from patchcrawl.tables import cell_fits
from patchcrawl.titles import (
    has_cjk,
    is_description,
    looks_like_email,
    name_tokens,
    title_similarity,
    titles_match,
)

MAIL_SOURCES = frozenset({"lore", "patchwork", "lwn-ml", "lkml-org"})
SERIES_THRESHOLD = 0.6
READ_STATUSES = frozenset({"ok", "moved"})
# links whose mail a row's claims describe; description and status cells link related
# threads and release notes (pull requests, reviews), which are checked only as links
CLAIM_CELLS = frozenset({"feature", "links"})
# public-inbox's own escaping of message-ids in URLs: pchar without "/"
MSGID_SAFE = "@!$&'()*+,;=:~"

_VERSION_TOKEN = re.compile(r"[vV]?\s*\d+[a-zA-Z]?")
_LORE_MSG = re.compile(r"^https?://lore\.kernel\.org/([^/?#]+)/([^/?#]+)/?")


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
    a table row or 100 links, so that a caller can do other work between steps."""
    seen_malformed = {(f.line, f.column) for f in doc.findings if f.code == "malformed-url"}
    for n, link in enumerate(doc.links, 1):
        res = resolutions.get(link.url)
        if res is None:
            continue
        if res.status == "malformed" and (link.line, link.column) in seen_malformed:
            continue
        f = status_finding(doc, link, res, settings)
        if f is not None:
            out.append(f)
        if n % 100 == 0:
            yield
    for row in doc.rows:
        out.extend(audit_row(doc, row, resolutions, settings))
        yield


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _finding(
    code: str,
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
    column = where.column if isinstance(where, (Link, Cell)) else 1
    severity = severity or DEFAULT_SEVERITY[code]
    if severity != "error" and code not in FIXABLE_NON_ERRORS:
        edits = ()  # CONTRACT.md: never an edit from a suspicion
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
    )


def make_edit(
    doc: Document,
    start: int,
    end: int,
    new: str,
    expect: Callable[[str], bool] | None = None,
) -> Edit | None:
    """An edit of ``doc`` replacing bytes [start, end).

    None when the bytes are not UTF-8, when nothing would change, or when ``expect``
    says the bytes there are not what the claim said they were (a position that is
    off must never turn into a wrong edit).
    """
    if not (0 <= start <= end <= len(doc.raw)):
        return None
    try:
        old = doc.raw[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if old == new or (expect is not None and not expect(old)):
        return None
    return Edit(file=doc.path, start=start, end=end, new=new, old=old)


def _msgid_of(url: str | None) -> tuple[str, str] | None:
    """(list, msgid) of a lore message URL."""
    if not url:
        return None
    m = _LORE_MSG.match(url)
    if not m or m.group(1) == "patchwork":
        return None
    msgid = unquote(m.group(2))
    if "@" not in msgid:
        return None
    return m.group(1), msgid


def canonical_url(res: Resolution, style: str) -> str | None:
    """What a moved link should become, in ``settings.canonical_style``."""
    target = res.canonical_url or res.final_url
    meta = res.metadata
    if meta is not None and meta.canonical_url and not target:
        target = meta.canonical_url
    lore = _msgid_of(target)
    msgid = lore[1] if lore else None
    list_name = lore[0] if lore else None
    if msgid is None and meta is not None and meta.msgid and meta.source == "lore":
        msgid = meta.msgid
    if msgid is None:
        return target
    q = quote(msgid, safe=MSGID_SAFE)
    if style == "r":
        return f"https://lore.kernel.org/r/{q}"
    if style == "list" and list_name and list_name not in {"r", "all"}:
        return f"https://lore.kernel.org/{list_name}/{q}/"
    return f"https://lore.kernel.org/all/{q}/"


def status_finding(
    doc: Document, link: Link, res: Resolution, settings: Settings
) -> Finding | None:
    """dead / moved / blocked / paywalled / unreachable / malformed for one link."""
    row_line = link.row_line
    why = res.detail or (str(res.http_status) if res.http_status else None)
    suffix = f" ({why})" if why else ""
    if res.status == "dead":
        return _finding(
            "dead-link",
            link,
            f"dead link{suffix}",
            file=doc.path,
            url=link.url,
            row_line=row_line,
            actual=why,
        )
    if res.status == "moved":
        new = canonical_url(res, settings.canonical_style)
        edits: tuple[Edit, ...] = ()
        if new and new != link.url:
            e = make_edit(doc, link.start, link.end, new, lambda o: o == link.url)
            edits = (e,) if e else ()
        return _finding(
            "moved-link",
            link,
            f"link moved permanently to {new}" if new else "link moved permanently",
            expected=link.url,
            actual=new,
            edits=edits,
            file=doc.path,
            url=link.url,
            row_line=row_line,
        )
    simple = {
        "blocked": ("blocked", "blocked by a bot wall"),
        "paywalled": ("paywalled", "subscriber-only page"),
        "unreachable": ("unreachable", "unreachable"),
        "malformed": ("malformed-url", "malformed URL"),
    }
    if res.status in simple:
        code, text = simple[res.status]
        return _finding(
            code,
            link,
            f"{text}{suffix}",
            file=doc.path,
            url=link.url,
            row_line=row_line,
            actual=why,
        )
    return None


def _mail_meta(res: Resolution | None) -> Metadata | None:
    if res is None or res.status not in READ_STATUSES or res.metadata is None:
        return None
    if res.metadata.source not in MAIL_SOURCES:
        return None
    return res.metadata


def meta_version(meta: Metadata) -> int | None:
    """The series version the mail states (1 when it states none, ``version_inferred``);
    None when it cannot be read as a number (``v021``)."""
    return meta.version


def _said(meta: Metadata) -> bool:
    """Does the mail state its version (rather than leave it to the v1 convention)?"""
    return meta.version is not None and not meta.version_inferred


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


def _fmt_mail_date(meta: Metadata, day: _dt.date) -> str:
    """A mail's day as a message says it: ``2021/09/28``, or ``2021/09/28 UTC`` when
    the sender's zone is not known."""
    return _fmt_date(day) + (" UTC" if meta.date_zone_unknown else "")


def _what(meta: Metadata) -> str:
    """How a message is named in messages: the cover letter, the patch, the mail."""
    if meta.counter == 0:
        return "the cover letter"
    if meta.counter is not None and meta.total:
        return "the patch"
    return "the mail"


def _fmt_date(d: _dt.date) -> str:
    return d.strftime("%Y/%m/%d")


@dataclass(frozen=True, slots=True)
class _Linked:
    link: Link
    meta: Metadata


# --------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------


def audit_row(
    doc: Document,
    row: Row,
    resolutions: Mapping[str, Resolution],
    settings: Settings,
) -> list[Finding]:
    """Compare one row's claims with the metadata of its mail links."""
    linked = [
        _Linked(link, meta)
        for link in row.links
        if link.cell in CLAIM_CELLS and (meta := _mail_meta(resolutions.get(link.url))) is not None
    ]
    if not linked:
        return []
    feature = next((x for x in linked if x.link.cell == "feature"), None)
    has_feature_link = any(link.cell == "feature" for link in row.links)
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
    out: list[Finding] = []
    for x in linked:
        if x.link.label is not None:
            out.extend(_check_label(doc, row, x, settings))
    if _fits(row, "feature"):
        out.extend(_check_title(doc, row, feature, linked, has_feature_link, settings))
    if _fits(row, "status"):
        out.extend(_check_status_version(doc, row, members, linked))
    candidates = [*([feature] if feature else []), *members, *linked]
    anchor = next((x for x in candidates if _is_patch(x)), None)
    if anchor is None:
        # a reviewer's reply: its thread's author is the patch's
        anchor = next((_as_thread(x) for x in candidates if x.meta.thread_author_email), None)
    if anchor is not None and _fits(row, "author"):
        out.extend(_check_author(doc, row, anchor, settings))
    if _fits(row, "date") and not _feature_unread(row, resolutions):
        out.extend(_check_date(doc, row, feature, linked, settings))
    return out


MAIL_KINDS = frozenset({"lore-message", "lore-patchwork-legacy", "patchwork", "lwn-ml", "lkml-org"})


def _is_patch(x: _Linked) -> bool:
    """Does the mail carry a patch (or a series' cover letter)?  A commit notice
    (``[tip: sched/core] ...`` from tip-bot2), a pull request, a reply or a plain
    discussion is sent by someone other than the series' author: no author is
    compared with it."""
    meta = x.meta
    if meta.source == "patchwork":
        return True
    if not meta.subject:
        return False
    si = subject_info(meta.subject)
    if si.is_reply:
        return False  # a reply is the reviewer's, not the series author's
    return si.is_patch or si.rfc or (si.version is not None and not si.version_inferred)


def _as_thread(x: _Linked) -> _Linked:
    """A reply seen as the patch it discusses: its thread's author."""
    meta = dataclasses.replace(
        x.meta, author_name=x.meta.thread_author_name, author_email=x.meta.thread_author_email
    )
    return _Linked(x.link, meta)


def _feature_unread(row: Row, resolutions: Mapping[str, Resolution]) -> bool:
    """The feature cell links a mail that could not be read: the row's date is about
    that mail, so it is not compared with the others."""
    return any(
        link.cell == "feature"
        and link.kind in MAIL_KINDS
        and _mail_meta(resolutions.get(link.url)) is None
        for link in row.links
    )


def _fits(row: Row, role: CellRole) -> bool:
    """May ``row``'s ``role`` cell be compared?  Always in a well-formed row; in a row
    whose cells the scanner had to re-read (an extra ``| |``, a stray pipe: it reports
    the row as malformed too) only when the cell looks like one of its role."""
    if row.well_formed:
        return True
    cell = row.cell(role)
    return cell is not None and cell_fits(role, cell.text)


def _escape_md(text: str) -> str:
    return re.sub(r"([\[\]|\\])", r"\\\1", text)


def _check_title(
    doc: Document,
    row: Row,
    feature: _Linked | None,
    linked: list[_Linked],
    has_feature_link: bool,
    settings: Settings,
) -> list[Finding]:
    title = row.claims.title
    if not title or not title.strip() or is_description(title):
        return []
    if feature is not None:
        # the feature link, and the row's other mails of the same series: a series
        # without a cover letter is named by its main patch, which the row may link
        # beside the first
        candidates = [feature] + [
            x for x in linked if x is not feature and x.meta.title == feature.meta.title
        ]
    elif not has_feature_link:
        candidates = [x for x in linked if x.link.cell == "links"]
    else:
        return []
    candidates = [x for x in candidates if x.meta.title]
    if not candidates:
        return []
    names = dict.fromkeys(t for x in candidates for t in _titles(x.meta))
    if any(titles_match(title, t) for t in names):
        return []
    best = (
        candidates[0]
        if feature is not None
        else max(candidates, key=lambda x: meta_version(x.meta) or 0)
    )
    actual = best.meta.title or ""
    edits: tuple[Edit, ...] = ()
    c = row.claims
    if settings.fix_titles and c.title_start is not None and c.title_end is not None:
        e = make_edit(
            doc,
            c.title_start,
            c.title_end,
            _escape_md(actual),
            lambda o: o.strip() == title.strip(),
        )
        edits = (e,) if e else ()
    score = title_similarity(title, actual)
    return [
        _finding(
            "title-mismatch",
            best.link,
            f"table says {title.strip()!r}, the mail says {actual!r}",
            file=doc.path,
            url=best.link.url,
            expected=title.strip(),
            actual=actual,
            row_line=row.line,
            edits=edits,
            extra=(("similarity", f"{score:.2f}"),),
        )
    ]


def _titles(meta: Metadata) -> list[str]:
    """The titles a row may name a linked mail by: its series' (the cover letter's) and,
    for a patch, the patch's own subject (a row about one patch of a series)."""
    out = [meta.title] if meta.title else []
    if meta.subject:
        own = subject_info(meta.subject).title
        if own and own not in out:
            out.append(own)
    return out


def _version_token(old_text: str | None, version: int) -> str:
    if old_text and re.search(r"\d+", old_text):
        return re.sub(r"\d+", str(version), old_text, count=1)
    return f"v{version}"


def _check_status_version(
    doc: Document, row: Row, members: list[_Linked], linked: list[_Linked]
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
    newest, newest_link = max(known, key=lambda t: (t[0], _said(t[1].meta)))
    any_newest = max((meta_version(x.meta) or 0) for x in linked)
    claimed = status.version
    if claimed is None:
        if status.rfc or newest <= 1 or status.raw.strip().upper() == "NA":
            return []
        return [
            _finding(
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
    if claimed in (newest, any_newest):
        return []
    if claimed > max(newest, any_newest):
        return [_unconfirmed(doc, row, claimed, newest_link, known)]
    edits: tuple[Edit, ...] = ()
    if status.version_start is not None and status.version_end is not None:
        e = make_edit(
            doc,
            status.version_start,
            status.version_end,
            _version_token(status.version_text, newest),
            lambda o: o == status.version_text,
        )
        edits = (e,) if e else ()
    return [
        _finding(
            "version-mismatch",
            newest_link.link,  # CONTRACT: a finding points at its URL
            f"table says v{claimed}, {_what(newest_link.meta)} says v{newest}",
            file=doc.path,
            url=newest_link.link.url,
            expected=f"v{claimed}",
            actual=f"v{newest}",
            row_line=row.line,
            edits=edits,
            severity=None if _said(newest_link.meta) else "warning",
        )
    ]


# the extras a version-unconfirmed finding carries for patchcrawl.confirm's search
SERIES_TITLE, SERIES_AUTHOR, CLAIMED_VERSION = "series_title", "series_author", "claimed_version"


def _unconfirmed(
    doc: Document, row: Row, claimed: int, newest: _Linked, known: list[tuple[int, _Linked]]
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
    return _finding(
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


def _check_label(doc: Document, row: Row, x: _Linked, settings: Settings) -> list[Finding]:
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
                _finding(
                    "date-mismatch",
                    x.link,
                    f"link text says {_fmt_date(label.date)}, the mail is dated "
                    f"{_fmt_mail_date(x.meta, d)}",
                    file=doc.path,
                    url=x.link.url,
                    expected=_fmt_date(label.date),
                    actual=_fmt_date(d),
                    row_line=row.line,
                )
            )
    return out


_COUNT_TEXT = re.compile(r"(\s*)(\d+)(\s*/\s*)(\d+)(\s*)")


def _label_count(doc: Document, row: Row, x: _Linked, label: LabelClaim) -> Finding | None:
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
    said = f"{label.counter if label.counter is not None else 0}/{label.total}"
    is_counter = counter if wrong_counter and counter is not None else label.counter
    is_total = total if total is not None else label.total
    edits: tuple[Edit, ...] = ()
    if label.count_start is not None and label.count_end is not None:
        old = doc.raw[label.count_start : label.count_end].decode("utf-8", "replace")
        m = _COUNT_TEXT.fullmatch(old)
        if m and is_counter is not None:
            new = (
                f"{m.group(1)}{is_counter:0{len(m.group(2))}d}{m.group(3)}"
                f"{is_total:0{len(m.group(4))}d}{m.group(5)}"
            )
            e = make_edit(doc, label.count_start, label.count_end, new)
            edits = (e,) if e else ()
    shown_counter = counter if counter is not None else label.counter
    what = "" if not wrong_counter else f" ({_what(meta)}, not {_place(label.counter)})"
    stated = _counts_stated(meta)
    if not stated:
        # a mail with no N/M is one mail (1/1 by convention only): a suspicion
        what = " (it states no count: a single mail)"
    return _finding(
        "patch-count-mismatch",
        x.link,
        f"link text says {said}, the mail says {shown_counter}/{is_total}{what}",
        file=doc.path,
        url=x.link.url,
        expected=said,
        actual=f"{shown_counter}/{is_total}",
        row_line=row.line,
        edits=edits,
        severity=None if stated else "warning",
    )


def _counts_stated(meta: Metadata) -> bool:
    """Does the mail's subject write its ``N/M`` (``[PATCH v3 1/1]``), rather than leave
    a lone patch to the 1/1 convention (``[PATCH]``, which a table writes ``0/1``)?"""
    return bool(meta.subject) and not subject_info(meta.subject or "").counters_inferred


def _place(counter: int | None) -> str:
    return "the cover letter" if counter == 0 else f"patch {counter}"


def _label_version(
    doc: Document, row: Row, x: _Linked, label: LabelClaim, version: int | None
) -> list[Finding]:
    """A label's version against its own link's mail.

    An explicit ``vN`` that differs from a version the mail states is an error; from a
    version only inferred (a subject with none) a warning.  A label with no version
    (``[LORE 0/5]``) claims none: against a mail that states one it is an ``info``
    that the label leaves the version out.
    """
    if version is None:
        return []
    severity: Severity | None = None if _said(x.meta) else "warning"
    edits: tuple[Edit, ...] = ()
    if label.version is not None:
        if label.version == version:
            return []
        said = label.version
        if label.version_start is not None and label.version_end is not None:
            old = doc.raw[label.version_start : label.version_end].decode("utf-8", "replace")
            e = make_edit(
                doc,
                label.version_start,
                label.version_end,
                _version_token(old, version),
                lambda o: _VERSION_TOKEN.fullmatch(o) is not None and str(said) in o,
            )
            edits = (e,) if e else ()
        message = f"link text says v{said}, {_what(x.meta)} says v{version}"
    elif label.rfc or label.counter is None or version == 1:
        return []  # RFC / bare site word: no version claimed; no number means v1
    else:
        said = 1
        severity = "info"
        message = f"link text gives no version, {_what(x.meta)} says v{version}"
    return [
        _finding(
            "version-mismatch",
            x.link,
            message,
            file=doc.path,
            url=x.link.url,
            expected=f"v{said}",
            actual=f"v{version}",
            row_line=row.line,
            edits=edits,
            severity=severity,
        )
    ]


# --------------------------------------------------------------------------
# authors
# --------------------------------------------------------------------------

_SPECIALS = re.compile(r'[(),:;<>@\[\]"\\]')


def format_person(name: str | None, email: str | None) -> str:
    """``Name <email>`` as the tables write it (name quoted only when it must be)."""
    if not name:
        return f"<{email}>" if email else ""
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{email}>" if email else name


def _person_name(p: Person) -> str | None:
    if p.name and not looks_like_email(p.name):
        return p.name.strip() or None
    return None


def compare_names(one: str, two: str) -> str:
    """``match``, ``differ`` or ``unknown`` (CJK vs romanised, partial overlap)."""
    if name_matches(one, two):
        return "match"
    a, b = name_tokens(one), name_tokens(two)
    if not a or not b:
        return "unknown"
    if a == b or (len(a) >= 2 and len(b) >= 2 and (a <= b or b <= a)):
        return "match"
    if has_cjk(one) != has_cjk(two):
        return "unknown"
    if a & b:
        return "unknown"
    # a CJK name inside a romanised one, e.g. "程垲涛 Chengkaitao Cheng" vs "Chengkaitao Cheng"
    return "differ"


def _check_author(doc: Document, row: Row, anchor: _Linked, settings: Settings) -> list[Finding]:
    """The author cell against who wrote the mail (its in-body ``From:`` when it has
    one: :mod:`patchcrawl.sources.lore`).

    Any person of the cell matching is a match.  The right person written without an
    email is ``author-email-missing`` (info, with the address as a fix); names that
    cannot be compared (a CJK name against a romanised one, names sharing only some
    words) make no finding; ``author-mismatch`` is for another person only.
    """
    people = row.claims.authors
    cell = row.cell("author")
    meta = anchor.meta
    if not people or cell is None or not (meta.author_email or meta.author_name):
        return []
    verdict = _author_verdict(people, meta)
    if verdict is None or verdict == "unknown":
        return []  # nothing on both sides to compare, or names that cannot be compared
    mail_person = format_person(meta.author_name, meta.author_email)
    said = cell.text.strip()
    url, path = anchor.link.url, doc.path
    start, end = _stripped_range(cell)
    if verdict == "match":
        lone = people[0] if len(people) == 1 else None
        if (
            lone is None
            or lone.email
            or not meta.author_email
            or not (name := _person_name(lone))
            or "等" in name
        ):
            return []
        e = make_edit(doc, start, end, format_person(name, meta.author_email))
        if e is None:
            return []
        return [
            _finding(
                "author-email-missing",
                anchor.link,  # CONTRACT: a finding points at its URL
                f"author cell has no email; the mail is from {mail_person}",
                expected=said,
                actual=mail_person,
                edits=(e,),
                file=path,
                url=url,
                row_line=row.line,
            )
        ]
    edits: tuple[Edit, ...] = ()
    if settings.fix_authors and meta.author_email:
        e = make_edit(doc, start, end, format_person(meta.author_name, meta.author_email))
        edits = (e,) if e else ()
    return [
        _finding(
            "author-mismatch",
            anchor.link,  # CONTRACT: a finding points at its URL
            f"table says {said}, the mail is from {mail_person}",
            expected=said,
            actual=mail_person,
            edits=edits,
            file=path,
            url=url,
            row_line=row.line,
        )
    ]


def _author_verdict(people: Sequence[Person], meta: Metadata) -> str | None:
    """``match``, ``differ``, ``unknown``, or None when nothing could be compared."""
    verdict: str | None = None
    for p in people:
        if p.email and meta.author_email:
            if any(email_matches(e, meta.author_email) for e in p.emails or (p.email,)):
                return "match"
            if (
                not _person_name(p)
                and meta.author_name
                and _address_names(p.email, meta.author_name)
            ):
                return "match"  # guoren@kernel.org is Guo Ren, whatever address he sent from
            verdict = verdict or "differ"
        name = _person_name(p)
        if name and meta.author_name:
            v = compare_names(name, meta.author_name)
            if v == "match":
                return "match"
            if v == "unknown" or verdict is None:
                verdict = v
    return verdict


def _address_names(email: str, name: str) -> bool:
    """Does an address name the person (``guoren@`` or ``guo.ren@`` for Guo Ren)?  For a
    cell that gives only an address, compared with a mail sent from another one."""
    local = re.sub(r"[._+-]", "", email.split("@", 1)[0].lower())
    words = name_tokens(name)
    if not 2 <= len(words) <= 3 or not local:
        return False
    return any(local == "".join(order) for order in itertools.permutations(words))


def _stripped_range(cell: Cell) -> tuple[int, int]:
    """The byte range of a cell's text without its surrounding spaces."""
    text = cell.text
    lead = len(text) - len(text.lstrip())
    trail = len(text) - len(text.rstrip())
    start = cell.start + len(text[:lead].encode("utf-8"))
    end = cell.end - len(text[len(text) - trail :].encode("utf-8")) if trail else cell.end
    return start, end


# --------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------


def _check_date(
    doc: Document,
    row: Row,
    feature: _Linked | None,
    linked: list[_Linked],
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
        _finding(
            "date-mismatch",
            ref_link.link,  # CONTRACT: a finding points at its URL
            f"table says {_fmt_date(claimed)}, the mail is dated "
            f"{_fmt_mail_date(ref_link.meta, ref)} ({abs((ref - claimed).days)} days apart)",
            file=doc.path,
            url=ref_link.link.url,
            expected=_fmt_date(claimed),
            actual=_fmt_date(ref),
            row_line=row.line,
        )
    ]
