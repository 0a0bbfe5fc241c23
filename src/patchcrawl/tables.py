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
* Rows are split on every unescaped ``|`` as GFM does.  Rows that GitHub renders
  wrong but whose meaning is clear are read (claims and all) *and* reported as
  ``malformed-row``, since they are broken for every reader of the page:

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
  cells with role ``other``, no claims and no cell-count findings.
* ``| YYYY/...`` lines outside any table are links with cell ``none`` and one
  ``malformed-row`` finding per contiguous block.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

from patchcrawl import claims as _claims
from patchcrawl.models import (
    DEFAULT_SEVERITY,
    Cell,
    CellRole,
    Document,
    Finding,
    Link,
    LinkKind,
    Person,
    Row,
    RowClaims,
    Table,
)
from patchcrawl.refs import classify
from patchcrawl.settings import UsageError

__all__ = ["extract_links", "scan_bytes", "scan_file", "scan_paths"]

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
_CANONICAL6: tuple[CellRole, ...] = ("date", "author", "feature", "description", "status", "links")
NO_CLAIMS = RowClaims(None, None, (), None, None, None, None)
_NO_CLAIMS = NO_CLAIMS

# --------------------------------------------------------------------------
# block-level patterns
# --------------------------------------------------------------------------

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_DELIM_CELL = re.compile(r"^\s*:?-+:?\s*$")
_HEADING_ETC = re.compile(r"^ {0,3}(#{1,6}(\s|$)|>|`{3,}|~{3,})")
_HEADERLESS = re.compile(r"^\s*\|\s*\d{4}\s*/")
_LIST_ITEM = re.compile(r"^\s{0,3}([-*+]|\d{1,9}[.)])(\s|$)")
_PIPE = re.compile(r"(?<!\\)\|")
_DATEISH = re.compile(r"^\s*(\d{4}(\s*/\s*\d{1,2}){0,2}|NA|\d{4}[/.-]\S*)\s*$")
_STATUSISH = re.compile(r"^\s*(RFC|RFT|RRC|[vV]\d|☑|☐|✓|NA\s*$|\d+\.\d+|\[\d+\.\d+)", re.IGNORECASE)
_QUICK = re.compile(r"[\[<]|[hH][tT][tT][pP][sS]?:")
_MAYBE_PROTECTED = re.compile(r"`[^`\n]*\||\[[^\]\n]*\|")
# ``[kGraft]https://lore.kernel.org/...)``: a link whose ``(`` was lost
_BROKEN_LINK = re.compile(r"\[[^\]\[|]{1,200}\]https?://")
_HAS_LINK = re.compile(r"\]\([^)]*\)|https?://")


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


# --------------------------------------------------------------------------
# inline links
# --------------------------------------------------------------------------

_CAND = re.compile(r"`+|!?\[|<|https?://", re.IGNORECASE)
_A_HREF = re.compile(r"<a\s[^>]*?\bhref\s*=\s*([\"'])(.*?)\1[^>]*>", re.IGNORECASE | re.DOTALL)
_A_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")
# characters that end a bare URL: whitespace, markup, CJK text and punctuation
_BARE_STOP = re.compile(
    r"[\s<>\"`|\u2018-\u201f\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
_TRAIL = ".,;:!?*_~'"
_OPENER = {")": "(", "]": "["}


_BRACKETS = re.compile(r"\\.|[\[\]]", re.DOTALL)
_DEST_STOP = re.compile(r"\\.|[\s()]", re.DOTALL)


@dataclass(frozen=True, slots=True)
class RawLink:
    """A link found in a string: char indexes of the URL and of its text."""

    url_start: int
    url_end: int
    text_start: int | None
    text_end: int | None
    form: str  # inline, image, html, autolink, bare


def _match_brackets(s: str) -> dict[int, int]:
    """For each ``[`` of *s* that has one, the index of its matching ``]``.

    One pass with a stack, so that a line of thousands of unclosed brackets costs
    linear time rather than a scan to the end of the line for each of them.
    """
    closers: dict[int, int] = {}
    stack: list[int] = []
    for bm in _BRACKETS.finditer(s):
        ch = bm.group(0)
        if ch == "[":
            stack.append(bm.start())
        elif ch == "]" and stack:
            closers[stack.pop()] = bm.start()
    return closers


# CommonMark allows at most 32 levels of nested parentheses in a link destination;
# the bound also keeps nested pathological brackets from costing quadratic time
_MAX_DEST_PARENS = 32


def _parse_inline(
    s: str, lb: int, closers: dict[int, int]
) -> tuple[int, int, int, int, int] | None:
    """``[text](dest "title")`` starting at ``s[lb] == '['``; *closers* is
    :func:`_match_brackets` of *s*.

    Returns (text_start, text_end, url_start, url_end, end) or None.
    """
    n = len(s)
    j_or_none = closers.get(lb)
    if j_or_none is None:
        return None
    j = j_or_none
    if j + 1 >= n or s[j + 1] != "(":
        return None
    k = j + 2
    while k < n and s[k] in " \t":
        k += 1
    if k < n and s[k] == "<":
        close = s.find(">", k + 1)
        if close < 0 or "\n" in s[k:close]:
            return None
        us, ue = k + 1, close
        k = close + 1
    else:
        us = k
        par = 0
        ue = n
        for dm in _DEST_STOP.finditer(s, k):
            ch = dm.group(0)
            if len(ch) == 2:  # backslash escape
                continue
            if ch == "(":
                par += 1
                if par > _MAX_DEST_PARENS:
                    return None
                continue
            if ch == ")" and par:
                par -= 1
                continue
            ue = dm.start()
            break
        k = ue
    while k < n and s[k] in " \t\r\n":
        k += 1
    if k < n and s[k] in "\"'(":
        closer = ")" if s[k] == "(" else s[k]
        close = s.find(closer, k + 1)
        if close < 0:
            return None
        k = close + 1
        while k < n and s[k] in " \t":
            k += 1
    if k >= n or s[k] != ")":
        return None
    return lb + 1, j, us, ue, k + 1


def _bare_end(s: str, start: int) -> int:
    m = _BARE_STOP.search(s, start)
    end = m.start() if m else len(s)
    while end > start:
        ch = s[end - 1]
        if ch in _TRAIL:
            end -= 1
        elif ch in ")]" and s.count(_OPENER[ch], start, end) < s.count(ch, start, end):
            end -= 1  # an unbalanced closer belongs to the text around the URL
        else:
            break
    return end


def extract_links(s: str) -> list[RawLink]:
    """Every link in a piece of inline markdown, code spans skipped, in order."""
    out: list[RawLink] = []
    i = 0
    n = len(s)
    closers: dict[int, int] | None = None  # computed on the first "[" only
    inline_possible = "](" in s  # no "](" anywhere: no "[" can start an inline link
    while True:
        m = _CAND.search(s, i)
        if m is None:
            return out
        tok = m.group(0)
        p = m.start()
        c = tok[0]
        if c == "`":
            run = len(tok)
            q = m.end()
            while True:
                q = s.find(tok, q)
                if q < 0:
                    i = m.end()
                    break
                e = q + run
                while e < n and s[e] == "`":
                    e += 1
                if e - q == run:
                    i = e
                    break
                q = e
            continue
        if c in "![":
            lb = p + len(tok) - 1
            if not inline_possible:
                i = m.end()
                continue
            if closers is None:
                closers = _match_brackets(s)
            parsed = _parse_inline(s, lb, closers)
            if parsed is None:
                i = m.end()
                continue
            ts, te, us, ue, end = parsed
            # links inside the text (an image in a link) come first
            inner = [
                RawLink(x.url_start + ts, x.url_end + ts, x.text_start, x.text_end, x.form)
                for x in extract_links(s[ts:te])
                if x.form in ("inline", "image", "html", "autolink")
            ]
            for x in inner:
                out.append(
                    RawLink(
                        x.url_start,
                        x.url_end,
                        None if x.text_start is None else x.text_start + ts,
                        None if x.text_end is None else x.text_end + ts,
                        x.form,
                    )
                )
            out.append(RawLink(us, ue, ts, te, "image" if tok == "![" else "inline"))
            i = end
            continue
        if c == "<":
            am = _A_HREF.match(s, p)
            if am:
                us, ue = am.start(2), am.end(2)
                cm = _A_CLOSE.search(s, am.end())
                if cm:
                    out.append(RawLink(us, ue, am.end(), cm.start(), "html"))
                    i = cm.end()
                else:
                    out.append(RawLink(us, ue, None, None, "html"))
                    i = am.end()
                continue
            al = _AUTOLINK.match(s, p)
            if al:
                out.append(RawLink(al.start(1), al.end(1), None, None, "autolink"))
                i = al.end()
                continue
            i = p + 1
            continue
        end = _bare_end(s, p)
        if end - p > len(tok):
            out.append(RawLink(p, end, None, None, "bare"))
        i = max(end, m.end())


_SKIP_REL = re.compile(
    r"^(#|/(?!/)|\./|\.\./|mailto:|[^:/?#]+\.(md|markdown|png|jpe?g|gif|svg|webp|pdf|txt|html?)"
    r"([?#].*)?$)",
    re.IGNORECASE,
)
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HOSTISH = re.compile(r"^(www\.|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/)")


def _wanted(url: str, in_row: bool) -> bool:
    """Is a link target a web reference to check (rather than a relative file/anchor)?"""
    if not url:
        return True  # ``[LWN]()``: an empty target is reported as malformed
    if url.startswith("//") or _HAS_SCHEME.match(url):
        return True
    if _SKIP_REL.match(url):
        return False
    if in_row:
        return True
    return "@" in url or bool(_HOSTISH.match(url))


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


def _split_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cell spans of a row text[start:end] (one optional leading and trailing pipe dropped)."""
    s = start
    e = end
    while s < e and text[s] in " \t":
        s += 1
    while e > s and text[e - 1] in " \t\r\n":
        e -= 1
    lead = s < e and text[s] == "|"
    trail = e > s + (1 if lead else 0) and text[e - 1] == "|" and text[e - 2 : e] != "\\|"
    inner_s = s + 1 if lead else start
    inner_e = e - 1 if trail else end
    spans: list[tuple[int, int]] = []
    cur = inner_s
    for m in _PIPE.finditer(text, inner_s, inner_e):
        spans.append((cur, m.start()))
        cur = m.end()
    spans.append((cur, inner_e))
    return spans


def _protected_pipes(text: str, start: int, end: int, code: bool) -> set[int]:
    """Offsets of pipes inside ``[link text](`` (and inside code spans when ``code``)."""
    seg = text[start:end]
    out: set[int] = set()
    if code:
        for m in re.finditer(r"(`+)(.+?)(?<!`)\1(?!`)", seg, re.DOTALL):
            for pm in _PIPE.finditer(m.group(0)):
                out.add(start + m.start() + pm.start())
    depth = 0
    for i, ch in enumerate(seg):
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif ch == "|" and depth > 0:
            # only when the bracket closes later as a link text ``](``
            close = seg.find("](", i)
            nxt = seg.find("[", i)
            if close >= 0 and (nxt < 0 or close < nxt):
                out.add(start + i)
        elif ch == "\n":
            depth = 0
    return out


def _join_at(spans: list[tuple[int, int]], pipes: set[int]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and merged[-1][1] in pipes:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _merge_protected(
    text: str, spans: list[tuple[int, int]], start: int, end: int, h: int
) -> list[tuple[int, int]]:
    """Re-join cells that GitHub splits at a pipe the author did not mean as a separator.

    GFM splits cells at every unescaped ``|``, inside code spans and link text too.
    A pipe inside ``[link text](`` is always re-joined: link text followed by ``](``
    is unambiguous.  A pipe inside a backtick pair is re-joined only when the row then
    has the header's cell count: a lone backtick in one cell and another in a later
    cell would otherwise look like a code span and swallow real separators.
    """
    spans = _join_at(spans, _protected_pipes(text, start, end, code=False))
    if len(spans) > h and "`" in text[start:end]:
        with_code = _join_at(spans, _protected_pipes(text, start, end, code=True))
        if len(with_code) == h:
            return with_code
    return spans


def _score(role: CellRole, cell: str) -> int:
    t = cell.strip()
    if role == "date":
        return 3 if _DATEISH.match(t) else -3
    if role == "author":
        if "](" in t or (_STATUSISH.match(t) and not re.search(r"[A-Za-z]{3}", t[:4])):
            return -2
        return 1 if t else 0
    if role == "feature":
        return 2 if "](" in t else -1
    if role == "status":
        if not t:
            return 0
        return 2 if _STATUSISH.match(t) else -2
    if role == "links":
        if not t:
            return 0
        return 2 if _HAS_LINK.search(t) else -1
    return 0


def cell_fits(role: CellRole, text: str) -> bool:
    """Does ``text`` look like what a cell of ``role`` holds (a date, a status with its
    marks or version, a link in the feature and links cells)?  For the roles of a row
    whose cells had to be re-read: a claim is compared only from a cell that fits."""
    return _score(role, text) > 0


def _assign_roles(cells: list[str], roles: tuple[CellRole, ...]) -> tuple[CellRole, ...] | None:
    """Choose which header roles ``cells`` (fewer than the header's) fill, by content."""
    best: tuple[int, tuple[CellRole, ...]] | None = None
    tie = False
    for combo in combinations(range(len(roles)), len(cells)):
        if roles[0] == "date" and combo[0] != 0:
            continue  # a row always starts with its date; a fragment is no row
        cand = tuple(roles[i] for i in combo)
        sc = sum(_score(r, c) for r, c in zip(cand, cells, strict=True))
        if best is None or sc > best[0]:
            best, tie = (sc, cand), False
        elif sc == best[0]:
            tie = True
    if best is None or tie or best[0] < len(cells):
        return None
    return best[1]


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
        text = self.src.text
        if _QUICK.search(text, start, end) is None:
            return []
        seg = text[start:end]
        out: list[Link] = []
        for rl in extract_links(seg):
            us, ue = start + rl.url_start, start + rl.url_end
            url_raw = text[us:ue]
            url = url_raw.strip()
            if rl.form in ("inline", "image") and not _wanted(url, in_row):
                continue
            lead = len(url_raw) - len(url_raw.lstrip())
            us += lead
            ue = us + len(url)
            ltext: str | None = None
            ts = te = None
            if rl.text_start is not None and rl.text_end is not None:
                # the text comes before the URL: locate it first (positions ascend)
                ltext = seg[rl.text_start : rl.text_end]
                ts = self.src.byte(start + rl.text_start)
                te = ts + self.src.blen(ltext)
            line, col, b0 = self.src.locate(us)
            b1 = b0 + self.src.blen(url)
            ref = classify(url)
            kind: LinkKind = ref.kind
            label = None
            if role == "links" and ltext is not None:
                tbase = start + (rl.text_start or 0)
                label = _claims.parse_label(ltext, self.byte_from(tbase))
            link = Link(
                url=url,
                file=self.path,
                line=line,
                column=col,
                start=b0,
                end=b1,
                cell=role,
                kind=kind,
                text=ltext,
                text_start=ts,
                text_end=te,
                label=label,
                row_line=row_line,
            )
            out.append(link)
            self.links.append(link)
            if kind == "malformed":
                self.findings.append(
                    Finding(
                        code="malformed-url",
                        severity=DEFAULT_SEVERITY["malformed-url"],
                        file=self.path,
                        line=line,
                        column=col,
                        message=f"malformed URL: {ref.problem}",  # the URL is beside it
                        url=url,
                        row_line=row_line,
                    )
                )
        return out

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
            stripped = line.strip()
            fm = _FENCE_OPEN.match(line)
            if fm and not (fm.group(1)[0] == "`" and "`" in fm.group(2)):
                fence = fm.group(1)
                j = i + 1
                close = re.compile(
                    r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$"
                )
                while j < n and not close.match(lines[j]):
                    j += 1
                i = j + 1
                prev_blank = True
                continue
            if not stripped:
                prev_blank = True
                i += 1
                continue
            if _indent(line) >= 4 and prev_blank and not in_list:
                # indented code block: runs over indented and blank lines
                j = i
                while j < n and (not lines[j].strip() or _indent(lines[j]) >= 4):
                    j += 1
                i = j
                prev_blank = True
                continue
            if _indent(line) < 4:
                if _LIST_ITEM.match(line):
                    in_list = True
                elif prev_blank:
                    in_list = False
            if "|" in line and i + 1 < n and self.is_delim(i):
                i = yield from self.table(i)
                prev_blank = False
                continue
            if _HEADERLESS.match(line):
                j = i
                while j + 1 < n and _HEADERLESS.match(lines[j + 1]):
                    j += 1
                self.headerless(i, j)
                i = j + 1
                prev_blank = False
                continue
            self.prose(i)
            prev_blank = False
            i += 1
            yield

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
        cells = _split_cells(src.text, cs, cs + len(delim))
        if not all(_DELIM_CELL.match(src.text[a:b]) for a, b in cells):
            return False
        if "|" not in delim and len(cells) == 1:
            return False  # a setext heading underline, not a table
        hs = src.cstart[i]
        return len(_split_cells(src.text, hs, hs + len(src.lines[i]))) == len(cells)

    def headerless(self, first: int, last: int) -> None:
        for li in range(first, last + 1):
            self.prose(li)
        count = last - first + 1
        self.malformed_row(
            first,
            f"{count} table row{'s' if count > 1 else ''} without a header row: "
            "they render as plain text",
        )

    def table(self, hi: int) -> Generator[None, None, int]:
        """Read the table whose header is line ``hi``, a row a step; return the
        index of the line after it."""
        src = self.src
        text = src.text
        lines = src.lines
        n = len(lines)
        hs = src.cstart[hi]
        hspans = _split_cells(text, hs, hs + len(lines[hi]))
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
        """Read the row starting at line ``k``; return the next line index."""
        src = self.src
        text = src.text
        lines = src.lines
        rs = src.cstart[k]
        re_ = rs + len(lines[k])
        last = k
        spans = _split_cells(text, rs, re_)
        notes: list[str] = []
        feature = any(r != "other" for r in roles)
        if feature and len(spans) > 1 and _MAYBE_PROTECTED.search(text, rs, re_):
            merged = _merge_protected(text, spans, rs, re_, h)
            if len(merged) < len(spans):
                notes.append(
                    f"a '|' inside a code span or link text splits a cell on GitHub "
                    f"({len(spans)} cells there); read as {len(merged)} cells"
                )
                spans = merged
        # a row wrapped over several lines: the line does not end with a pipe and the
        # next lines (the first without a leading pipe, or a leading pipe after the
        # break) complete the cell count
        if len(spans) < h and not lines[k].rstrip().endswith("|"):
            jl = k
            while jl + 1 < end and jl - k < 4:
                jl += 1
                cand_end = src.cstart[jl] + len(lines[jl])
                cand = _split_cells(text, rs, cand_end)
                if len(cand) > h:
                    cand = _merge_protected(text, cand, rs, cand_end, h)
                if len(cand) > h:
                    break
                if len(cand) == h:
                    if (
                        feature
                        and lines[jl].lstrip().startswith("|")
                        and _HEADERLESS.match(lines[jl])
                    ):
                        break  # the next line is a new row, not the rest of this one
                    spans, last = cand, jl
                    re_ = src.cstart[jl] + len(lines[jl])
                    notes.append(
                        f"row broken over lines {k + 1}-{jl + 1}: GitHub shows it as "
                        f"{jl - k + 1} rows; read as one"
                    )
                    break
                if lines[jl].rstrip().endswith("|"):
                    break
        broken = _BROKEN_LINK.search(text, rs, re_) if feature else None
        if broken is not None:
            notes.append(
                f"a link written {broken.group(0)!r}... has no '(' after its ']': GitHub "
                "shows text, not a link; its text is not read as a claim"
            )
        cells_text = [text[a:b] for a, b in spans]
        row_roles: tuple[CellRole, ...] | None = roles if len(spans) == h else None
        well_formed = len(spans) == h and not notes
        if not any(c.strip() for c in cells_text) and len(spans) < h:
            self.malformed_row(k, "a line holding only '|' inside a table: ignored", None)
            return last + 1
        if row_roles is None:
            repaired = self.repair(spans, h, roles, rs, re_, k, notes)
            if repaired is not None:
                spans, row_roles = repaired
                cells_text = [text[a:b] for a, b in spans]
        if row_roles is None and not feature:
            # any other GFM table: fewer cells are filled, extra ones dropped; no claims
            row_roles = tuple(roles[i] if i < h else "other" for i in range(len(spans)))
            readable = False
        elif row_roles is None:
            row_roles = tuple("other" for _ in spans)
            self.malformed_row(
                k,
                f"row has {len(spans)} cells, the header has {h}: cannot tell which "
                "cell is which, so its claims are not checked",
                k + 1,
            )
            readable = False
        else:
            readable = feature
            if notes and feature:
                self.malformed_row(k, "; ".join(notes), k + 1)
        cells: list[Cell] = []
        row_links: list[Link] = []
        for (a, b), role in zip(spans, row_roles, strict=True):
            line, col, b0 = src.locate(a)
            ctext = text[a:b]
            cells.append(Cell(role, ctext, b0, b0 + src.blen(ctext), line, col))
            row_links.extend(self.add_links(a, b, role, k + 1, True))
        claims = self.claims(cells, cells_text, row_roles, spans) if readable else _NO_CLAIMS
        rows.append(
            Row(
                file=self.path,
                line=k + 1,
                end_line=last + 1,
                start=src.byte(rs),
                end=src.byte(re_),
                cells=tuple(cells),
                links=tuple(row_links),
                claims=claims,
                table_line=hi + 1,
                well_formed=well_formed,
            )
        )
        return last + 1

    def repair(
        self,
        spans: list[tuple[int, int]],
        h: int,
        roles: tuple[CellRole, ...],
        rs: int,
        re_: int,
        k: int,
        notes: list[str],
    ) -> tuple[list[tuple[int, int]], tuple[CellRole, ...]] | None:
        """Read a row whose cell count differs from the header's, when its meaning is clear."""
        text = self.src.text
        n0 = len(spans)
        feature = any(r != "other" for r in roles)
        if n0 > h:
            merged = _merge_protected(text, spans, rs, re_, h)
            if len(merged) < n0:
                notes.append(
                    f"a '|' inside a code span or link text splits a cell on GitHub "
                    f"({n0} cells, header has {h}); read as {len(merged)} cells"
                )
                spans = merged
            if len(spans) == h:
                return spans, roles
        if not feature:
            return None
        cells = [text[a:b].strip() for a, b in spans]
        n = len(spans)
        line = self.src.lines[k]
        if n > h:
            # junk before the first pipe (``wojiush| 2023/...``)
            if not line.lstrip().startswith("|") and n - 1 >= h and _DATEISH.match(cells[1]):
                notes.append(f"text {cells[0]!r} before the row's first '|'; ignored")
                spans, cells = spans[1:], cells[1:]
            # text after the last pipe (``... |2021/01/15``)
            while len(spans) > h and cells[-1] and not _HAS_LINK.search(cells[-1]):
                last_text = text[spans[-1][0] : spans[-1][1]]
                if "|" in last_text or spans[-1][1] < re_ - 1:
                    break
                notes.append(f"text {cells[-1]!r} after the row's last '|'; ignored")
                spans, cells = spans[:-1], cells[:-1]
            # extra empty cells
            while len(spans) > h and "" in cells[1:-1]:
                idx = len(cells) - 2 - cells[-2:0:-1].index("")
                notes.append("an extra empty cell ('| |'); ignored")
                spans, cells = spans[:idx] + spans[idx + 1 :], cells[:idx] + cells[idx + 1 :]
            if len(spans) == 6 and h == 5 and "author" not in roles:
                notes.append(
                    "6 cells under the 5-column header (no 作者 column): read as "
                    "date|author|feature|description|status|links; GitHub drops the last cell"
                )
                return spans, _CANONICAL6
            # stray pipes inside the links cell: fold the extra cells back into it
            if (
                len(spans) > h
                and roles[-1] == "links"
                and all(_HAS_LINK.search(c) or c.lower().startswith("<br") for c in cells[h:])
            ):
                notes.append(
                    f"a stray '|' in the links cell ({len(spans)} cells, header has {h}); "
                    "read as one cell"
                )
                spans = [*spans[: h - 1], (spans[h - 1][0], spans[-1][1])]
                return spans, roles
            if len(spans) == h:
                return spans, roles
            # pipes in the description (``set_memory{ro|rw}``): fold the overflow into it
            layouts = [roles] + ([_CANONICAL6] if h == 5 and "author" not in roles else [])
            for lay in layouts:
                if "description" not in lay or len(spans) <= len(lay):
                    continue
                di = lay.index("description")
                tail = len(lay) - di - 1
                folded = [*spans[:di], (spans[di][0], spans[len(spans) - tail - 1][1])]
                folded += spans[len(spans) - tail :]
                ftext = [text[a:b] for a, b in folded]
                if all(_score(r, c) >= 0 for r, c in zip(lay, ftext, strict=True)):
                    notes.append(
                        f"a '|' in the description splits it on GitHub ({len(spans)} cells, "
                        f"header has {h}); read as {len(lay)} cells"
                    )
                    return folded, lay
            return None
        assigned = _assign_roles(cells, roles)
        if assigned is None:
            return None
        missing = [r for r in roles if r not in assigned]
        notes.append(
            f"row has {n} cells, the header has {h}: read without "
            f"{', '.join(missing)} (GitHub shifts the cells)"
        )
        return spans, assigned

    def claims(
        self,
        cells: list[Cell],
        cells_text: list[str],
        roles: tuple[CellRole, ...],
        spans: list[tuple[int, int]],
    ) -> RowClaims:
        src = self.src
        by_role: dict[str, int] = {}
        for idx, r in enumerate(roles):
            by_role.setdefault(r, idx)
        date = date_raw = None
        if "date" in by_role:
            date, date_raw = _claims.parse_date(cells_text[by_role["date"]])
        authors: tuple[Person, ...] = ()
        if "author" in by_role:
            authors = _claims.parse_authors(cells_text[by_role["author"]])
        title = None
        ts = te = None
        if "feature" in by_role:
            fi = by_role["feature"]
            a, _b = spans[fi]
            ctext = cells_text[fi]
            parsed = None
            if "](" in ctext:
                for rl in extract_links(ctext):
                    if rl.form == "inline" and rl.text_start is not None:
                        parsed = rl
                        break
            if parsed is not None and parsed.text_start is not None and parsed.text_end is not None:
                s0, s1 = parsed.text_start, parsed.text_end
            elif _HAS_LINK.search(ctext):
                # a URL but no [text](url): a broken link (``[kGraft]https://...)``) is no
                # title, and --fix-titles must never replace a URL
                s0 = s1 = 0
            else:
                s0, s1 = 0, len(ctext)
            inner = ctext[s0:s1]
            lead = len(inner) - len(inner.lstrip())
            title = inner.strip() or None
            if title is not None:
                ts = src.byte(a + s0 + lead)
                te = ts + src.blen(title)
        status = None
        if "status" in by_role:
            si = by_role["status"]
            a = spans[si][0]
            status = _claims.parse_status(cells_text[si], self.byte_from(a))
        return RowClaims(date, date_raw, authors, title, ts, te, status)


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
