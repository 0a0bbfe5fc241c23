"""The plain data that flows between patchcrawl's stages.

Every stage (tables -> refs -> fetch -> sources -> audit -> reports/enrich)
takes and returns these frozen dataclasses and nothing else, so each stage
can be tested on its own and ``scan``, ``verify``, ``enrich`` and
``--offline`` reuse the same pieces.

Positions
---------
* ``start``/``end`` are **byte** offsets into the file's raw bytes (BOM
  included), half-open; they are what edits use.
* ``line`` and ``column`` are 1-based; ``column`` counts Unicode code points
  from the start of the line (after a BOM on line 1 the BOM is not counted),
  which is what editors, GitHub annotations and the JSON report show.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# --------------------------------------------------------------------------
# Vocabularies fixed by CONTRACT.md
# --------------------------------------------------------------------------

CellRole = Literal["date", "author", "feature", "description", "status", "links", "other", "none"]
CELL_ROLES: tuple[str, ...] = (
    "date",
    "author",
    "feature",
    "description",
    "status",
    "links",
    "other",
    "none",
)

LinkKind = Literal[
    "lore-message",
    "lore-patchwork-legacy",
    "patchwork",
    "lwn-article",
    "lwn-ml",
    "git-commit",
    "lkml-org",
    "other",
    "malformed",
]
LINK_KINDS: tuple[str, ...] = (
    "lore-message",
    "lore-patchwork-legacy",
    "patchwork",
    "lwn-article",
    "lwn-ml",
    "git-commit",
    "lkml-org",
    "other",
    "malformed",
)

LinkStatus = Literal[
    "ok",
    "moved",
    "dead",
    "blocked",
    "paywalled",
    "unreachable",
    "skipped",
    "not-checked",
    "malformed",
]
LINK_STATUSES: tuple[str, ...] = (
    "ok",
    "moved",
    "dead",
    "blocked",
    "paywalled",
    "unreachable",
    "skipped",
    "not-checked",
    "malformed",
)

# What went wrong when a GET got no usable answer (``Response.error``): a closed set,
# its hierarchy (retried, network-down evidence, stale-if-error, link status) written
# down in :mod:`patchcrawl.fetch.errors`
FetchErrorKind = Literal[
    "timeout",
    "connect",
    "dns",
    "tls",
    "reset",
    "refused-private",
    "scheme",
    "body-too-large",
    "decode",
    "too-many-redirects",
    "redirect-loop",
    "retry-after",
    "offline-miss",
    "network-down",
    "exception",
]
FETCH_ERROR_KINDS: tuple[str, ...] = get_args(FetchErrorKind)  # the same names, at run time

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")

# --------------------------------------------------------------------------
# Findings: the closed vocabulary of codes, and what kind of fix each may carry
#
# One table, FINDING_VOCABULARY, says of every code its family, its default severity
# and its kind of fix; the names below (FINDING_CODES, DEFAULT_SEVERITY,
# FIXABLE_NON_ERRORS) are read from it.  The families:
#
#   link      what fetching one URL gave, for every link of a document: dead-link,
#             moved-link, blocked, paywalled, unreachable, malformed-url
#   row       a table row not read as its header says (the scanner): malformed-row
#   metadata  a row's claims against the mails it links: title-mismatch,
#             author-mismatch, author-email-missing, version-mismatch,
#             version-unconfirmed, patch-count-mismatch, date-mismatch
#   mainline  a row's status against mainline (--kernel-git): release-mismatch,
#             not-in-mainline, merged-unmarked
#
# Severities (CONTRACT.md): an ``error`` is a disagreement proved from what was read;
# a ``warning`` or ``info`` is a suspicion and carries no fix, but for a moved link and
# the right author written without an address, whose fixes only add what the source
# states.  A finding may be of a lower severity than its code's default (a version
# only inferred, a count the mail does not state): it is then a suspicion too.
# --------------------------------------------------------------------------

FindingCode = Literal[
    "dead-link",
    "moved-link",
    "blocked",
    "paywalled",
    "unreachable",
    "malformed-url",
    "malformed-row",
    "title-mismatch",
    "author-mismatch",
    "author-email-missing",
    "version-mismatch",
    "version-unconfirmed",
    "patch-count-mismatch",
    "date-mismatch",
    "release-mismatch",
    "not-in-mainline",
    "merged-unmarked",
]

FindingFamily = Literal["link", "row", "metadata", "mainline"]

# How safe a fix is to apply (ruff's ``Applicability``):
# * ``safe``: the edit puts in what the source states (a moved link's address, the
#   version or count the mail states, the release mainline has, the mail's address
#   beside the right name): ``enrich`` applies it;
# * ``unsafe``: the edit rewrites what a person wrote in words (an author, a title)
#   with what the mail says; the two may differ for reasons patchcrawl cannot see, so
#   it is applied only with the user's consent (``--fix-authors``, ``--fix-titles``);
# * ``display-only``: the edit of a suspicion (a ``warning`` or ``info`` of a code
#   whose suspicions carry no fix): never applied, and never offered as a ``fix``.
Applicability = Literal["safe", "unsafe", "display-only"]
APPLICABILITIES: tuple[Applicability, ...] = ("safe", "unsafe", "display-only")


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One finding code: its family, its default severity and the kind of fix it may
    carry (a finding of it that is a suspicion carries none: see above)."""

    code: FindingCode
    family: FindingFamily
    severity: Severity  # the default; the settings file may change it (policy.py)
    fix: Applicability | None  # the fix its findings may carry; None: never one


#: Every finding code, in the order reports list them (CONTRACT.md's order).
FINDING_VOCABULARY: tuple[CodeInfo, ...] = (
    # the lore series a dead link meant, found by lore's search (rescue.py, enrich)
    CodeInfo("dead-link", "link", "error", "safe"),
    CodeInfo("moved-link", "link", "warning", "safe"),  # the canonical address
    CodeInfo("blocked", "link", "warning", None),
    CodeInfo("paywalled", "link", "info", None),
    CodeInfo("unreachable", "link", "warning", None),
    CodeInfo("malformed-url", "link", "error", None),
    CodeInfo("malformed-row", "row", "warning", None),
    CodeInfo("title-mismatch", "metadata", "error", "unsafe"),  # --fix-titles
    CodeInfo("author-mismatch", "metadata", "error", "unsafe"),  # --fix-authors
    CodeInfo("author-email-missing", "metadata", "info", "safe"),  # the mail's address
    CodeInfo("version-mismatch", "metadata", "error", "safe"),  # the version the mail states
    CodeInfo("version-unconfirmed", "metadata", "info", None),  # settled by confirm.py
    CodeInfo("patch-count-mismatch", "metadata", "error", "safe"),  # the mail's N/M
    CodeInfo("date-mismatch", "metadata", "warning", None),
    CodeInfo("release-mismatch", "mainline", "error", "safe"),  # mainline's first release
    CodeInfo("not-in-mainline", "mainline", "warning", None),
    CodeInfo("merged-unmarked", "mainline", "info", None),
)
CODE_INFO: dict[str, CodeInfo] = {c.code: c for c in FINDING_VOCABULARY}

FINDING_CODES: tuple[FindingCode, ...] = tuple(c.code for c in FINDING_VOCABULARY)
assert get_args(FindingCode) == FINDING_CODES  # the table and the Literal name the same codes

DEFAULT_SEVERITY: dict[str, Severity] = {c.code: c.severity for c in FINDING_VOCABULARY}

# CONTRACT.md: ``enrich`` proposes only the fixes of what was proved (``error`` findings),
# the missing email of the right person, and moved links; never an edit from a suspicion
FIXABLE_NON_ERRORS = frozenset(
    c.code for c in FINDING_VOCABULARY if c.severity != "error" and c.fix is not None
)


# --------------------------------------------------------------------------
# Markdown side: documents, tables, rows, cells, links and the claims rows make
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One person named in an author cell (``Name <email>``, a bare name, ...)."""

    raw: str
    name: str | None
    email: str | None  # de-obfuscated (``-AT-`` -> ``@``); None when absent or unusable
    # every usable address written (``Name <e1>/<e2>``), ``email`` first; () when none
    emails: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusClaim:
    """What the status cell (是否合入主线) says: ``v11 ☑ 4.1-rc1``, ``RFC,V2 ☐ 5.14``."""

    raw: str
    version: int | None  # 11 for ``v11``/``V11``/``v14c`` (14); None for a bare ``RFC``
    version_text: str | None  # the version token as written (``v14c``, ``V2``), for edits
    version_start: int | None  # byte range of version_text in the file, for edits
    version_end: int | None
    rfc: bool
    merged: bool | None  # True ☑ (alone or with ✓), False ☐ alone; None: no glyph, or ☐☑✓ / ☐☑
    glyphs: str  # the glyph characters as written, e.g. ``☐☑✓``
    releases: tuple[str, ...]  # ``4.1-rc1``; ``5.15_rc1`` normalised to ``5.15-rc1``; ``v`` dropped


@dataclass(frozen=True, slots=True)
class LabelClaim:
    """What a link's text claims: ``PatchWork v3,bpf-next,0/8``, ``2024/04/29, LORE v1,0/3``."""

    raw: str
    site: str | None  # patchwork, lore, lkml, lwn, commit, github, phoronix, ... (lowercase)
    version: int | None
    rfc: bool
    prefixes: tuple[str, ...]  # ``bpf-next``, ``RESEND``, ``mm``; RFC is in ``rfc`` not here
    counter: int | None
    total: int | None
    date: _dt.date | None
    # byte ranges inside the file for edits (None when the piece is absent)
    version_start: int | None = None
    version_end: int | None = None
    count_start: int | None = None  # range of ``N/M``
    count_end: int | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """One link found in a document, with where it is and what it is."""

    url: str  # the target exactly as written (whitespace trimmed)
    file: str  # path as given on the command line
    line: int
    column: int
    start: int  # byte range of the URL text in the file
    end: int
    cell: CellRole
    kind: LinkKind
    text: str | None  # link text for ``[text](url)`` / ``<a>``; None for bare URLs and autolinks
    text_start: int | None = None
    text_end: int | None = None
    label: LabelClaim | None = None  # parsed from ``text`` for links in the links cell
    row_line: int | None = None  # first line of the row the link sits in, if any


@dataclass(frozen=True, slots=True)
class Cell:
    role: CellRole
    text: str  # raw cell text (decoded), without the surrounding pipes, not stripped
    start: int  # byte range of the cell content between its pipes
    end: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class RowClaims:
    date: _dt.date | None
    date_raw: str | None
    authors: tuple[Person, ...]
    title: str | None  # feature cell's link text (or cell text when it has no link)
    title_start: int | None  # byte range of the title text, for --fix-titles
    title_end: int | None
    status: StatusClaim | None


@dataclass(frozen=True, slots=True)
class Row:
    file: str
    line: int  # first line of the row
    end_line: int  # last line (rows broken across lines span several)
    start: int  # byte range of the whole row
    end: int
    cells: tuple[Cell, ...]
    links: tuple[Link, ...]
    claims: RowClaims
    table_line: int  # line of the table's header row
    well_formed: bool  # cell count equals the header's

    def cell(self, role: str) -> Cell | None:
        for c in self.cells:
            if c.role == role:
                return c
        return None


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    line: int  # header row line
    header: tuple[str, ...]
    roles: tuple[CellRole, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes ``[start, end)`` of ``file`` with ``new`` (UTF-8 text)."""

    file: str
    start: int
    end: int
    new: str
    old: str  # the text being replaced, as read (a check before applying)


@dataclass(frozen=True, slots=True)
class Fix:
    """A finding's edits and how safe they are to apply (ruff's ``Fix``).

    The edits apply whole or not at all: ``enrich`` skips the whole fix when one of
    its edits overlaps an edit already applied or its ``old`` text is not what the
    file holds (:func:`patchcrawl.enrich.plan_edits`).
    """

    edits: tuple[Edit, ...]  # sorted by position, not overlapping
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class Finding:
    code: FindingCode
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    url: str | None = None
    expected: str | None = None
    actual: str | None = None
    row_line: int | None = None
    # the edits of the fix offered: what reports show as the ``fix`` and ``enrich``
    # applies (an unsafe fix only with the user's consent, a display-only one never)
    edits: tuple[Edit, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # e.g. (("score", "0.93"),) for rescues
    applicability: Applicability = "safe"  # of ``edits`` (CodeInfo.fix of the code)

    @property
    def fix(self) -> Fix | None:
        """The fix offered, or None when the finding offers none."""
        return Fix(self.edits, self.applicability) if self.edits else None


@dataclass(frozen=True, slots=True)
class Document:
    path: str  # as given on the command line (relative stays relative)
    raw: bytes  # the file's bytes exactly as read (hash/compare before --write)
    encoding: str  # "utf-8", "utf-8-sig", or the fallback used for undecodable bytes
    newline: str  # "\n", "\r\n" or "\r": the dominant line ending
    tables: tuple[Table, ...]
    links: tuple[Link, ...]  # every link of the document, table rows and prose, in order
    findings: tuple[Finding, ...]  # malformed-row / malformed-url found while scanning

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(r for t in self.tables for r in t.rows)


class RowIndex:
    """Finds the row a finding belongs to in constant or logarithmic time.

    Reports and the baseline look a row up for each finding; a scan of every row
    per finding costs quadratic time on a document of thousands of rows.
    """

    def __init__(self, doc: Document) -> None:
        self.rows = doc.rows
        self._by_line = {r.line: r for r in self.rows}
        self._starts = [r.line for r in self.rows]

    def of(self, f: Finding) -> Row | None:
        """The row ``f.row_line`` names, or, without one, the row whose lines hold ``f.line``."""
        if f.row_line is not None:
            return self._by_line.get(f.row_line)
        i = bisect.bisect_right(self._starts, f.line) - 1
        if i >= 0 and self.rows[i].line <= f.line <= self.rows[i].end_line:
            return self.rows[i]
        return None


# --------------------------------------------------------------------------
# Reference side: what a URL points at, what fetching it gave, what it says
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """What a URL points at, decided from the URL alone (no network)."""

    url: str  # as written
    kind: LinkKind
    fetch_url: str | None  # normalised URL to request; None when not fetchable (malformed, mailto:)
    host: str | None
    msgid: str | None = None  # lore / patchwork-msgid / lwn-ml / msgid.link
    list_name: str | None = None  # lore list (``all``, ``lkml``, ``bpf``...), patchwork project
    # patchwork numeric id, LWN article number, commit sha, lkml.org path
    item_id: str | None = None
    item_type: str | None = None  # ``patch`` / ``cover`` / ``series`` / ``article`` / ``commit``...
    canonical: str | None = None  # canonical URL when it can be derived without fetching
    problem: str | None = None  # why it is malformed, for the malformed-url message


@dataclass(frozen=True, slots=True)
class Hop:
    url: str  # the URL requested at this hop (original, not remapped)
    status: int
    location: str | None  # absolute Location it redirected to (original space)
    permanent: bool  # 301/308 (and 302/303/307 are temporary)


@dataclass(frozen=True, slots=True)
class Response:
    """The outcome of one logical GET, redirects followed.

    URLs are always in the *original* space: ``--remap`` rewrites only what
    goes on the wire, never what is reported.
    """

    url: str
    final_url: str
    status: int | None  # final HTTP status; None when no response (see ``error``)
    headers: tuple[tuple[str, str], ...]  # final response headers, names lowercase
    body: bytes  # decoded content (gzip/br undone), capped at the body limit
    redirects: tuple[Hop, ...] = ()
    error: FetchErrorKind | None = None  # what went wrong (patchcrawl.fetch.errors)
    detail: str | None = None  # human text for the error
    from_cache: bool = False
    fetched_at: float = 0.0  # epoch seconds when the response was received
    attempts: int = 1

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers:
            if k == low:
                return v
        return None

    @property
    def text(self) -> str:
        ctype = self.header("content-type") or ""
        charset = "utf-8"
        if "charset=" in ctype:
            charset = ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"') or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except (LookupError, UnicodeError):  # unknown, or no text charset (idna)
            return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a page says about the thing a reference points at (CONTRACT.md ``metadata``)."""

    source: str  # lore, patchwork, lwn, lwn-ml, cgit, lkml-org, generic
    title: str | None = None  # subject with [PATCH ...] and Re: removed; article/page title
    subject: str | None = None  # the raw subject line (decoded)
    version: int | None = None
    counter: int | None = None
    total: int | None = None
    prefixes: tuple[str, ...] = ()
    author_name: str | None = None
    author_email: str | None = None
    date: str | None = None  # ISO 8601 with offset
    msgid: str | None = None  # without angle brackets
    # Extras (reported as extra keys in JSON; never rename the ones above)
    rfc: bool = False
    # the subject states no version: ``version`` 1 is the convention, not what the mail says
    # (CONTRACT.md: an inferred version never makes an ``error``)
    version_inferred: bool = False
    cover_msgid: str | None = None  # when the link was a patch and its cover letter was found
    # a reply: who wrote the message that starts its thread (the patch it discusses)
    thread_author_name: str | None = None
    thread_author_email: str | None = None
    canonical_url: str | None = None  # the canonical lore/patchwork URL for this item
    # ``date`` is the instant in UTC and the sender's zone is unknown (lore's search
    # feed): the day the sender wrote may be the one before or after
    date_zone_unknown: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one unique URL turned out to be: status, redirects and metadata."""

    url: str  # original URL as written
    status: LinkStatus
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[str, ...] = ()  # intermediate URLs (not the first, not the final)
    from_cache: bool = False
    metadata: Metadata | None = None
    detail: str | None = None  # why: "404", "soft-404: no such message", "anubis challenge"...
    canonical_url: str | None = None  # what a moved link should become


@dataclass(frozen=True, slots=True)
class LinkResult:
    link: Link
    resolution: Resolution


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    tables: int
    rows: int
    links: int
    table_links: int
    unique_urls: int
    by_status: tuple[tuple[str, int], ...]
    findings: tuple[tuple[str, int], ...]  # by severity
    requests: int
    from_cache: int
    seconds: float
    # False when the check could not be done (exit 3) or ``--offline`` left links
    # ``not-checked``: the report cannot say the documents have no problem
    complete: bool = True


@dataclass(frozen=True, slots=True)
class Report:
    version: str
    generated_at: str  # ISO 8601 UTC "...Z"
    summary: Summary
    links: tuple[LinkResult, ...]
    findings: tuple[Finding, ...]
    documents: tuple[Document, ...] = field(default=(), repr=False)
    network_down: bool = False
    command: str = "verify"  # "verify", "enrich" or "scan" (no network: nothing checked)
    # why the check is incomplete, in one sentence every format shows (None: complete)
    incomplete: str | None = None
    suppressed: int | None = None  # findings a baseline left out (None: no baseline)


def _pickle_positionally() -> None:
    """Pickle each dataclass here as its class and its field values, so that loading
    one calls the constructor: the default of slotted dataclasses (``__setstate__``
    walking ``fields()``) took three times as long, which showed in loading the
    audited documents a warm ``verify`` keeps (:mod:`patchcrawl.doccache`)."""
    for cls in list(globals().values()):
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            continue
        names = tuple(f.name for f in dataclasses.fields(cls))
        assert names == getattr(cls, "__match_args__", None), cls  # every field is positional

        def reduce(self: Any, names: tuple[str, ...] = names) -> tuple[Any, ...]:
            return type(self), tuple([getattr(self, n) for n in names])

        cls.__reduce__ = reduce  # type: ignore[method-assign]


_pickle_positionally()
