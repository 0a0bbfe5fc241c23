"""Markdown -> Document (tables, rows, cells, links with exact positions, claims).

No network.  See models.py for the position conventions.

How the file is read
--------------------
* Bytes are decoded as UTF-8; undecodable bytes are kept with ``surrogateescape``
  (one byte, one code point), so re-encoding any prefix of a line gives its exact
  byte length.  A UTF-8 BOM is not part of line 1's columns but is part of the
  byte offsets.  ``\\r\\n``, lone ``\\r`` and ``\\n`` all end lines.
* A line-based block pass skips fenced (```` ``` ````/``~~~``) and indented code
  blocks, finds GFM tables (a header line followed by a delimiter row with the same
  cell count) and their body (up to a blank line, heading, fence or quote), and
  finds ``| YYYY/...`` lines that stand outside any table.
* Rows are split on every unescaped ``|`` as GFM does (:mod:`patchcrawl.rows`).
  Rows that GitHub renders wrong but whose meaning is clear are read (claims and
  all) *and* reported as ``malformed-row``, since they are broken for every reader
  of the page.  Each case is a named rule of :mod:`patchcrawl.repairs`, applied in
  the fixed order written there:

  - a row wrapped over lines (the line does not end with ``|`` and the next
    line(s), with or without a leading pipe, complete the header's cell count);
  - a ``|`` inside ``[link text](`` (always re-joined) or inside a backtick pair
    (re-joined only when the row then has the header's cell count: GFM does not
    protect pipes in code spans, and a stray backtick in two cells would otherwise
    swallow real separators);
  - an extra empty cell, text before the first or after the last pipe, a stray
    ``|`` in the links cell, pipes in the description (``set_memory{ro|rw}``);
  - a 6-cell row under the 5-column header without 作者 (read with the 6 roles);
  - a row with missing cells, when the content says unambiguously which column is
    missing (dates, links and status cells look different; the date comes first).

  A line holding only ``|`` is ignored (reported); a row that still cannot be read is
  reported and carries no claims (its links are kept with cell ``other``).  Tables
  without the feature header (any other GFM table) are read as GitHub reads them,
  cells with role ``other``, no claims and no cell-count findings (a line holding
  only ``|`` is reported in them too).
* ``| YYYY/...`` lines outside any table are links with cell ``none`` and one
  ``malformed-row`` finding per contiguous block.
* Links in a cell or a line of prose are found by :func:`patchcrawl.inline.extract_links`
  (re-exported here); this module turns their char indexes into lines, columns and
  bytes, classifies them and reads the labels of the links cell.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass

from patchcrawl import claims as _claims
from patchcrawl.inline import RawLink, extract_links, wanted
from patchcrawl.models import (
    DEFAULT_SEVERITY,
    Cell,
    CellRole,
    Document,
    Finding,
    Link,
    Person,
    Row,
    RowClaims,
    Table,
)
from patchcrawl.refs import classify
from patchcrawl.repairs import RowDraft, read_row
from patchcrawl.rows import HAS_LINK, HEADERLESS, cell_fits, split_cells
from patchcrawl.settings import UsageError

__all__ = ["RawLink", "cell_fits", "extract_links", "scan_bytes", "scan_file", "scan_paths"]

# --------------------------------------------------------------------------
# header roles
# --------------------------------------------------------------------------

_ROLE_WORDS: dict[str, CellRole] = {
    "时间": "date",
    "日期": "date",
    "date": "date",
    "作者": "author",
    "author": "author",
    "authors": "author",
    "特性": "feature",
    "feature": "feature",
    "描述": "description",
    "description": "description",
    "是否合入主线": "status",
    "merged": "status",
    "status": "status",
    "链接": "links",
    "links": "links",
    "link": "links",
}
NO_CLAIMS = RowClaims(None, None, (), None, None, None, None)
_NO_CLAIMS = NO_CLAIMS

# --------------------------------------------------------------------------
# block-level patterns
# --------------------------------------------------------------------------

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_DELIM_CELL = re.compile(r"^\s*:?-+:?\s*$")
_HEADING_ETC = re.compile(r"^ {0,3}(#{1,6}(\s|$)|>|`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s{0,3}([-*+]|\d{1,9}[.)])(\s|$)")
_QUICK = re.compile(r"[\[<]|[hH][tT][tT][pP][sS]?:")


def _indent(line: str) -> int:
    n = 0
    for ch in line:
        if ch == " ":
            n += 1
        elif ch == "\t":
            n += 4 - n % 4
        else:
            break
    return n


def _fence_end(lines: list[str], i: int) -> int | None:
    """The index after the fenced code block that line ``i`` opens (the document's
    end when it is not closed), or None when line ``i`` opens none."""
    fm = _FENCE_OPEN.match(lines[i])
    if not fm or (fm.group(1)[0] == "`" and "`" in fm.group(2)):
        return None
    fence = fm.group(1)
    close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    j = i + 1
    while j < len(lines) and not close.match(lines[j]):
        j += 1
    return j + 1


def _indented_code_end(lines: list[str], i: int) -> int:
    """The index after the indented code block starting at line ``i`` (it runs over
    indented and blank lines)."""
    j = i
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) >= 4):
        j += 1
    return j


# --------------------------------------------------------------------------
# the scanner
# --------------------------------------------------------------------------


class _Src:
    """Decoded text with the maps from character offsets to line, column and byte."""

    def __init__(self, raw: bytes) -> None:
        self.base = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        body = raw[self.base :]
        try:
            self.text = body.decode("utf-8")
            self.encoding = "utf-8-sig" if self.base else "utf-8"
        except UnicodeDecodeError:
            self.text = body.decode("utf-8", "surrogateescape")
            self.encoding = ("utf-8-sig" if self.base else "utf-8") + " (surrogateescape)"
        self.ascii = self.text.isascii()
        self.lines: list[str] = []
        self.ends: list[str] = []
        self.cstart: list[int] = []  # char offset of each line
        self.bstart: list[int] = []  # byte offset of each line
        pos = 0
        bpos = self.base
        counts = {"\n": 0, "\r\n": 0, "\r": 0}
        text = self.text
        for m in _LINE.finditer(text):
            if m.start() == len(text) and m.start() != 0 and not m.group(0):
                break
            line, end = m.group(1), m.group(2)
            self.lines.append(line)
            self.ends.append(end)
            self.cstart.append(pos)
            self.bstart.append(bpos)
            if end:
                counts[end] += 1
            pos = m.end()
            bpos += (
                len(m.group(0))
                if self.ascii
                else len(m.group(0).encode("utf-8", "surrogateescape"))
            )
            if not end:
                break
        self._li = 0
        self._cs = 0
        self._ce = -1
        self._lo = 0
        self._lb = self.base
        self.newline = max(("\n", "\r\n", "\r"), key=lambda k: (counts[k], k == "\n"))

    def locate(self, off: int) -> tuple[int, int, int]:
        """Character offset -> (line 1-based, column 1-based, byte offset)."""
        cs = self._cs
        if not (cs <= off < self._ce):
            li = bisect.bisect_right(self.cstart, off) - 1
            cs = self.cstart[li]
            self._li, self._cs = li, cs
            self._ce = self.cstart[li + 1] if li + 1 < len(self.cstart) else len(self.text) + 1
            self._lo, self._lb = cs, self.bstart[li]
        li = self._li
        if self.ascii:
            return li + 1, off - cs + 1, self.bstart[li] + off - cs
        # encode only the text between the last position asked on this line and this one
        lo, lb = self._lo, self._lb
        if off >= lo:
            b = lb + len(self.text[lo:off].encode("utf-8", "surrogateescape"))
        else:
            b = self.bstart[li] + len(self.text[cs:off].encode("utf-8", "surrogateescape"))
        self._lo, self._lb = off, b
        return li + 1, off - cs + 1, b

    def blen(self, s: str) -> int:
        """Byte length of a piece of the decoded text."""
        return len(s) if self.ascii else len(s.encode("utf-8", "surrogateescape"))

    def byte(self, off: int) -> int:
        return self.locate(off)[2]


def line_texts(raw: bytes) -> list[str]:
    """The lines of a file as the scanner decodes and counts them (a BOM dropped, line
    endings cut off): what a link's ``line`` and ``column`` refer to."""
    return _Src(raw).lines


@dataclass(slots=True)
class _Block:
    kind: str  # "table" | "headerless"
    first: int  # line index
    last: int  # inclusive


class _Scanner:
    def __init__(self, path: str, raw: bytes) -> None:
        self.path = path
        self.raw = raw
        self.src = _Src(raw)
        self.links: list[Link] = []
        self.findings: list[Finding] = []
        self.tables: list[Table] = []

    def byte_from(self, base: int) -> _claims.ByteOf:
        """An index into text starting at char offset ``base`` -> its byte offset."""
        src = self.src

        def byte_of(i: int) -> int:
            return src.byte(base + i)

        return byte_of

    # ---- findings -------------------------------------------------------
    def malformed_row(self, line_idx: int, message: str, row_line: int | None = None) -> None:
        self.findings.append(
            Finding(
                code="malformed-row",
                severity=DEFAULT_SEVERITY["malformed-row"],
                file=self.path,
                line=line_idx + 1,
                column=1,
                message=message,
                row_line=row_line,
            )
        )

    # ---- links ----------------------------------------------------------
    def add_links(
        self, start: int, end: int, role: CellRole, row_line: int | None, in_row: bool
    ) -> list[Link]:
        """The links of ``text[start:end]`` (a cell or a line of prose), kept in the
        document's list too."""
        text = self.src.text
        if _QUICK.search(text, start, end) is None:
            return []
        seg = text[start:end]
        out: list[Link] = []
        for rl in extract_links(seg):
            link = self.link(start, seg, rl, role, row_line, in_row)
            if link is not None:
                out.append(link)
                self.links.append(link)
        return out

    def link(
        self,
        start: int,
        seg: str,
        rl: RawLink,
        role: CellRole,
        row_line: int | None,
        in_row: bool,
    ) -> Link | None:
        """The Link of ``rl`` found in ``seg`` (at char ``start``), its URL classified
        (a ``malformed-url`` finding when it is); None for a relative file or anchor."""
        src = self.src
        us, ue = start + rl.url_start, start + rl.url_end
        url_raw = src.text[us:ue]
        url = url_raw.strip()
        if rl.form in ("inline", "image") and not wanted(url, in_row):
            return None
        us += len(url_raw) - len(url_raw.lstrip())
        ltext: str | None = None
        ts = te = None
        if rl.text_start is not None and rl.text_end is not None:
            # the text comes before the URL: locate it first (positions ascend)
            ltext = seg[rl.text_start : rl.text_end]
            ts = src.byte(start + rl.text_start)
            te = ts + src.blen(ltext)
        line, col, b0 = src.locate(us)
        ref = classify(url)
        label = None
        if role == "links" and ltext is not None:
            label = _claims.parse_label(ltext, self.byte_from(start + (rl.text_start or 0)))
        if ref.kind == "malformed":
            self.malformed_url(line, col, url, ref.problem, row_line)
        return Link(
            url=url,
            file=self.path,
            line=line,
            column=col,
            start=b0,
            end=b0 + src.blen(url),
            cell=role,
            kind=ref.kind,
            text=ltext,
            text_start=ts,
            text_end=te,
            label=label,
            row_line=row_line,
        )

    def malformed_url(
        self, line: int, col: int, url: str, problem: str | None, row_line: int | None
    ) -> None:
        self.findings.append(
            Finding(
                code="malformed-url",
                severity=DEFAULT_SEVERITY["malformed-url"],
                file=self.path,
                line=line,
                column=col,
                message=f"malformed URL: {problem}",  # the URL is beside it
                url=url,
                row_line=row_line,
            )
        )

    def prose(self, li: int) -> None:
        cs = self.src.cstart[li]
        self.add_links(cs, cs + len(self.src.lines[li]), "none", None, False)

    # ---- blocks ---------------------------------------------------------
    def run(self) -> Document:
        for _ in self.steps():
            pass
        return self.document()

    def steps(self) -> Iterator[None]:
        """The scan, a row or a block of lines a step (:func:`scan_steps`)."""
        lines = self.src.lines
        n = len(lines)
        i = 0
        prev_blank = True
        in_list = False
        while i < n:
            line = lines[i]
            fenced = _fence_end(lines, i)
            if fenced is not None:
                i, prev_blank = fenced, True
                continue
            if not line.strip():
                i, prev_blank = i + 1, True
                continue
            indent = _indent(line)
            if indent >= 4 and prev_blank and not in_list:
                i, prev_blank = _indented_code_end(lines, i), True
                continue
            if indent < 4:  # a list item starts a list; a blank line and text end it
                in_list = bool(_LIST_ITEM.match(line)) or (in_list and not prev_blank)
            if "|" in line and i + 1 < n and self.is_delim(i):
                i = yield from self.table(i)
            elif HEADERLESS.match(line):
                i = self.headerless(i)
            else:
                self.prose(i)
                i += 1
                yield
            prev_blank = False

    def document(self) -> Document:
        """The document :meth:`steps` read."""
        self.links.sort(key=lambda lk: lk.start)
        self.findings.sort(key=lambda f: (f.line, f.column, f.code))
        return Document(
            path=self.path,
            raw=self.raw,
            encoding=self.src.encoding,
            newline=self.src.newline,
            tables=tuple(self.tables),
            links=tuple(self.links),
            findings=tuple(self.findings),
        )

    def is_delim(self, i: int) -> bool:
        src = self.src
        delim = src.lines[i + 1]
        if "-" not in delim or not re.fullmatch(r"[\s|:-]+", delim):
            return False
        cs = src.cstart[i + 1]
        cells = split_cells(src.text, cs, cs + len(delim))
        if not all(_DELIM_CELL.match(src.text[a:b]) for a, b in cells):
            return False
        if "|" not in delim and len(cells) == 1:
            return False  # a setext heading underline, not a table
        hs = src.cstart[i]
        return len(split_cells(src.text, hs, hs + len(src.lines[i]))) == len(cells)

    def headerless(self, first: int) -> int:
        """The ``| YYYY/...`` lines from ``first`` on, outside any table: their links,
        and one finding for the block; return the index of the line after it."""
        lines = self.src.lines
        last = first
        while last + 1 < len(lines) and HEADERLESS.match(lines[last + 1]):
            last += 1
        for li in range(first, last + 1):
            self.prose(li)
        count = last - first + 1
        self.malformed_row(
            first,
            f"{count} table row{'s' if count > 1 else ''} without a header row: "
            "they render as plain text",
        )
        return last + 1

    def table(self, hi: int) -> Generator[None, None, int]:
        """Read the table whose header is line ``hi``, a row a step; return the
        index of the line after it."""
        src = self.src
        text = src.text
        lines = src.lines
        n = len(lines)
        hs = src.cstart[hi]
        hspans = split_cells(text, hs, hs + len(lines[hi]))
        header = tuple(text[a:b].strip() for a, b in hspans)
        keyed = [_ROLE_WORDS.get(re.sub(r"\s+", "", h).lower()) for h in header]
        feature = "status" in keyed and ("date" in keyed or "feature" in keyed)
        roles: tuple[CellRole, ...] = tuple(
            (k if (feature and k is not None) else "other") for k in keyed
        )
        self.prose(hi)  # links in the header (rare) are not in a row
        h = len(header)
        j = hi + 2
        end = j
        while end < n and lines[end].strip() and not _HEADING_ETC.match(lines[end]):
            end += 1
        rows: list[Row] = []
        k = j
        while k < end:
            k = self.row(k, end, h, roles, hi, rows)
            yield
        self.tables.append(Table(self.path, hi + 1, header, roles, tuple(rows)))
        return end

    def row(
        self,
        k: int,
        end: int,
        h: int,
        roles: tuple[CellRole, ...],
        hi: int,
        rows: list[Row],
    ) -> int:
        """Read the row starting at line ``k`` (the row rules of
        :mod:`patchcrawl.repairs` applied); return the next line index."""
        src = self.src
        d = read_row(src.text, src.lines, src.cstart, k, end, roles)
        if d.dropped is not None:
            self.malformed_row(k, d.dropped, None)
            return d.last + 1
        row_roles, readable = self.verdict(d)
        cells: list[Cell] = []
        row_links: list[Link] = []
        for (a, b), role in zip(d.spans, row_roles, strict=True):
            line, col, b0 = src.locate(a)
            ctext = src.text[a:b]
            cells.append(Cell(role, ctext, b0, b0 + src.blen(ctext), line, col))
            row_links.extend(self.add_links(a, b, role, k + 1, True))
        claims = self.claims(cells, row_roles, d.spans) if readable else _NO_CLAIMS
        rows.append(
            Row(
                file=self.path,
                line=k + 1,
                end_line=d.last + 1,
                start=src.byte(d.start),
                end=src.byte(d.stop),
                cells=tuple(cells),
                links=tuple(row_links),
                claims=claims,
                table_line=hi + 1,
                well_formed=d.well_formed,
            )
        )
        return d.last + 1

    def verdict(self, d: RowDraft) -> tuple[tuple[CellRole, ...], bool]:
        """The roles of a row's cells and whether its claims are read; its
        ``malformed-row`` finding, if any (a feature row only)."""
        if d.roles is None and not d.feature:
            # any other GFM table: fewer cells are filled, extra ones dropped; no claims
            return tuple(d.header[i] if i < d.h else "other" for i in range(len(d.spans))), False
        if d.roles is None:
            self.malformed_row(
                d.k,
                f"row has {len(d.spans)} cells, the header has {d.h}: cannot tell which "
                "cell is which, so its claims are not checked",
                d.k + 1,
            )
            return tuple("other" for _ in d.spans), False
        if d.notes and d.feature:
            self.malformed_row(d.k, "; ".join(d.notes), d.k + 1)
        return d.roles, d.feature

    def claims(
        self,
        cells: list[Cell],
        roles: tuple[CellRole, ...],
        spans: list[tuple[int, int]],
    ) -> RowClaims:
        by_role: dict[str, int] = {}
        for idx, r in enumerate(roles):
            by_role.setdefault(r, idx)
        date = date_raw = None
        if "date" in by_role:
            date, date_raw = _claims.parse_date(cells[by_role["date"]].text)
        authors: tuple[Person, ...] = ()
        if "author" in by_role:
            authors = _claims.parse_authors(cells[by_role["author"]].text)
        title = None
        ts = te = None
        if "feature" in by_role:
            fi = by_role["feature"]
            title, ts, te = self.title(spans[fi][0], cells[fi].text)
        status = None
        if "status" in by_role:
            si = by_role["status"]
            status = _claims.parse_status(cells[si].text, self.byte_from(spans[si][0]))
        return RowClaims(date, date_raw, authors, title, ts, te, status)

    def title(self, a: int, ctext: str) -> tuple[str | None, int | None, int | None]:
        """The title in a feature cell starting at char ``a``: its text and byte range."""
        s0, s1 = _title_span(ctext)
        inner = ctext[s0:s1]
        lead = len(inner) - len(inner.lstrip())
        title = inner.strip() or None
        if title is None:
            return None, None, None
        ts = self.src.byte(a + s0 + lead)
        return title, ts, ts + self.src.blen(title)


def _title_span(ctext: str) -> tuple[int, int]:
    """Where a feature cell's title is: the text of its first ``[text](url)``, else
    the whole cell, else (a URL but no ``[text](url)``) nothing."""
    if "](" in ctext:
        for rl in extract_links(ctext):
            if rl.form == "inline" and rl.text_start is not None and rl.text_end is not None:
                return rl.text_start, rl.text_end
    if HAS_LINK.search(ctext):
        # a URL but no [text](url): a broken link (``[kGraft]https://...)``) is no
        # title, and --fix-titles must never replace a URL
        return 0, 0
    return 0, len(ctext)


def scan_bytes(path: str, raw: bytes) -> Document:
    """Read one markdown document from its bytes; never raises on bad content."""
    return _Scanner(path, raw).run()


def scan_steps(path: str, raw: bytes) -> Generator[None, None, Document]:
    """:func:`scan_bytes` in steps of a table row or a few lines (about 0.15 ms each):
    ``doc = yield from scan_steps(path, raw)``, so that a caller can do other work
    between steps (the crawl's event loop answers the network between them)."""
    scanner = _Scanner(path, raw)
    yield from scanner.steps()
    return scanner.document()


#: the largest document patchcrawl reads (the largest of the corpus is 1.3 MB): a run
#: keeps every link of its documents, about 1 kB each, so size is memory
MAX_DOCUMENT = 16 * 1024 * 1024
#: the most links one document may hold (``://`` counted before it is scanned)
MAX_LINKS = 100_000


def read_file(path: str) -> bytes:
    """The bytes of ``path``; raises UsageError naming the file when it is unreadable,
    larger than :data:`MAX_DOCUMENT` or holds more than :data:`MAX_LINKS` links."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_DOCUMENT + 1)
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a markdown file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_DOCUMENT:
        raise UsageError(
            f"{path}: larger than {MAX_DOCUMENT // (1024 * 1024)} MiB; patchcrawl reads "
            "documents up to that size (split it)"
        )
    links = raw.count(b"://")
    if links > MAX_LINKS:
        raise UsageError(
            f"{path}: about {links:,} links; patchcrawl checks at most {MAX_LINKS:,} "
            "links a document (split it)"
        )
    return raw


def scan_file(path: str) -> Document:
    """Read ``path`` from disk (raises UsageError naming the file when unreadable)."""
    return scan_bytes(path, read_file(path))


def scan_paths(paths: Iterable[str]) -> list[Document]:
    """Files and directories -> one Document per markdown file (``discover`` rules)."""
    from patchcrawl.discover import find_markdown

    return [scan_file(p) for p in find_markdown(list(paths))]
