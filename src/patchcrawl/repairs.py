"""Row repairs: how a feature-table row that GitHub renders wrong is still read.

Each repair is a small named rule (:class:`RowRule`), in the spirit of lychee's quirks
list: a name, what rows it is for (feature tables only, or every GFM table), which rows
it looks at (any, or those with fewer or more cells than the header), and a fix that
edits a :class:`RowDraft`.  Each fix's docstring names the corpus rows that need it
(``/work/shared/corpus``, the snapshot its STATS.md measures; the figures count the
rows of all its markdown files each rule acts on) and ``tests/test_repairs.py``
quotes one of them verbatim.

A fix that changes how a row is read says so in a note; the notes of a feature row
become its ``malformed-row`` finding, since the row is broken for every reader of the
page.  A rule that does nothing leaves the draft alone.

The order (fixed; :func:`read_row` applies it)
----------------------------------------------
1. :data:`MENDS`, on every row, before its cells are counted: pipes in link text or
   code spans re-joined, a row wrapped over lines joined, a link without its ``(``
   noted.  A row with the header's cell count and no note is well formed.
2. :data:`REPAIRS`, only while the cell count still differs from the header's, first
   to last; the first rule that settles the row's roles (or drops the row) ends the
   list, and so does the count coming to match the header (then the header's roles).
   Rules that trim cells come before rules that choose a layout, and those before
   the last resort of reading a short row by the content of its cells.  When no
   rule settles the row, what the repairs did is undone: the row keeps the cells
   the mends left (GitHub's, for a row no mend touched).

A feature row no rule settles is reported as unreadable and carries no claims; a row
of any other table that no rule settles keeps its cells as GitHub reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from patchcrawl.models import CellRole
from patchcrawl.rows import (
    BROKEN_LINK,
    CANONICAL6,
    DATEISH,
    HAS_LINK,
    HEADERLESS,
    MAYBE_PROTECTED,
    assign_roles,
    merge_protected,
    score,
    split_cells,
)

#: how many lines after the first a wrapped row may take (each of the corpus's 9 takes 1)
MAX_WRAP = 4


@dataclass(slots=True)
class RowDraft:
    """A table row being read: its cells as char spans of the document text, and what
    the rules made of it so far."""

    text: str  # the whole document
    lines: Sequence[str]  # its lines, line endings cut off
    cstart: Sequence[int]  # char offset of each line
    k: int  # the row's first line (index)
    end: int  # the line after the table's last
    h: int  # the header's cell count
    header: tuple[CellRole, ...]  # the header's roles
    feature: bool  # a feature table (else any GFM table: roles "other")
    spans: list[tuple[int, int]]  # the cells
    start: int  # char offset of the row
    stop: int  # char offset of the row's end (its last line's)
    last: int  # the row's last line (index)
    notes: list[str] = field(default_factory=list)  # what was repaired, for the finding
    roles: tuple[CellRole, ...] | None = None  # settled: the role of each cell
    dropped: str | None = None  # settled: the row is ignored, with this finding
    well_formed: bool = False  # the header's cell count after the mends, and no note
    fired: list[str] = field(default_factory=list)  # the names of the rules that acted

    def cells(self) -> list[str]:
        """The text of each cell, stripped."""
        return [self.text[a:b].strip() for a, b in self.spans]

    def settled(self) -> bool:
        """Are the roles chosen or the row dropped?  A count that matches the header's
        settles the row with the header's roles."""
        if self.roles is None and self.dropped is None and len(self.spans) == self.h:
            self.roles = self.header
        return self.roles is not None or self.dropped is not None


@dataclass(frozen=True, slots=True)
class RowRule:
    """A named row repair: the rows it looks at, and its fix (whose docstring says
    which corpus rows need it)."""

    name: str
    fix: Callable[[RowDraft], None]
    tables: Literal["feature", "any"] = "feature"
    cells: Literal["any", "fewer", "more"] = "any"  # than the header has

    def applies(self, d: RowDraft) -> bool:
        if self.tables == "feature" and not d.feature:
            return False
        if self.cells == "any":
            return True
        return len(d.spans) < d.h if self.cells == "fewer" else len(d.spans) > d.h

    def apply(self, d: RowDraft) -> None:
        """Run the fix when the rule applies; remember its name when it acted."""
        if not self.applies(d):
            return
        noted = len(d.notes)
        self.fix(d)
        if len(d.notes) > noted or d.dropped is not None:
            d.fired.append(self.name)


# --------------------------------------------------------------------------
# mends: every row, before its cells are counted
# --------------------------------------------------------------------------


def rejoin_protected_pipes(d: RowDraft) -> None:
    """A ``|`` inside ``[link text](`` (always) or inside a backtick pair (when the
    row then has the header's count) is text, though GitHub splits the cell there.

    Corpus: 4 rows, e.g. MEMORY_MANAGER.md:246 (``[... (52 bits PA support on
    4K|16K pages)](...)``, 7 cells) and SCHEDULER.md:4334 (a code span with a pipe).
    """
    if len(d.spans) <= 1 or not MAYBE_PROTECTED.search(d.text, d.start, d.stop):
        return
    merged = merge_protected(d.text, d.spans, d.start, d.stop, d.h)
    if len(merged) < len(d.spans):
        d.notes.append(
            f"a '|' inside a code span or link text splits a cell on GitHub "
            f"({len(d.spans)} cells there); read as {len(merged)} cells"
        )
        d.spans = merged


def join_wrapped_row(d: RowDraft) -> None:
    """A row broken over lines: the line does not end with ``|`` and the next lines
    (the first without a leading pipe, or a leading pipe after the break) complete
    the header's cell count.  A ``| YYYY/`` line after it in a feature table is the
    next row, not the rest of this one.

    Corpus: 9 rows, e.g. BPF.md:456-457 (continued without a leading pipe) and
    distro/OpenAnolis/README.md:1529-1530 (continued with `` | 自研 NA | ...``).
    """
    lines, h, k = d.lines, d.h, d.k
    if lines[k].rstrip().endswith("|"):
        return
    jl = k
    while jl + 1 < d.end and jl - k < MAX_WRAP:
        jl += 1
        cand_end = d.cstart[jl] + len(lines[jl])
        cand = split_cells(d.text, d.start, cand_end)
        if len(cand) > h:
            cand = merge_protected(d.text, cand, d.start, cand_end, h)
        if len(cand) > h:
            return
        if len(cand) == h:
            if d.feature and lines[jl].lstrip().startswith("|") and HEADERLESS.match(lines[jl]):
                return  # the next line is a new row, not the rest of this one
            d.spans, d.last, d.stop = cand, jl, cand_end
            d.notes.append(
                f"row broken over lines {k + 1}-{jl + 1}: GitHub shows it as "
                f"{jl - k + 1} rows; read as one"
            )
            return
        if lines[jl].rstrip().endswith("|"):
            return


def note_link_without_parenthesis(d: RowDraft) -> None:
    """``[text]https://...)``: a link whose ``(`` was lost shows as text on GitHub.
    Only noted: the cells stand, and the feature cell's text is not read as a title
    (``_Scanner.claims``).

    Corpus: 6 rows, e.g. MEMORY_MANAGER.md:4193 (``[PatchWork v2,0/4]https://...``).
    """
    broken = BROKEN_LINK.search(d.text, d.start, d.stop)
    if broken is not None:
        d.notes.append(
            f"a link written {broken.group(0)!r}... has no '(' after its ']': GitHub "
            "shows text, not a link; its text is not read as a claim"
        )


#: the mends, in the order they run
MENDS: tuple[RowRule, ...] = (
    RowRule("pipe-in-link-text-or-code", rejoin_protected_pipes, "feature"),
    RowRule("row-wrapped-over-lines", join_wrapped_row, "any", "fewer"),
    RowRule("link-without-parenthesis", note_link_without_parenthesis, "feature"),
)


# --------------------------------------------------------------------------
# repairs: rows whose cell count still differs from the header's
# --------------------------------------------------------------------------


def drop_line_of_pipes(d: RowDraft) -> None:
    """A line holding only ``|`` (and blanks) inside a table is no row: ignored, and
    reported (in any table).

    Corpus: 2 lines, DEBUGGING.md:597 (`` |``, after the stray-pipe row 596) and
    LOCKING.md:213.
    """
    if not any(c for c in d.cells()):
        d.dropped = "a line holding only '|' inside a table: ignored"


def rejoin_protected_pipes_counted(d: RowDraft) -> None:
    """The re-join of ``pipe-in-link-text-or-code`` again, on every table, counted
    against the header: it reaches rows the mend's quick test passes over (``[[x]|y](``)
    and the cells of other GFM tables (whose notes are not reported).

    Corpus: 3 rows, all of ``| 论文 | 描述 |`` tables (not feature tables), e.g.
    SCHEDULER.md:7087 and DEBUGGING.md:1422 (``[【欧拉多咖 | OS 每周快讯】...](...)``).
    """
    n0 = len(d.spans)
    merged = merge_protected(d.text, d.spans, d.start, d.stop, d.h)
    if len(merged) < n0:
        d.notes.append(
            f"a '|' inside a code span or link text splits a cell on GitHub "
            f"({n0} cells, header has {d.h}); read as {len(merged)} cells"
        )
        d.spans = merged


def drop_text_before_first_pipe(d: RowDraft) -> None:
    """Text before the row's first ``|`` (``wojiush| 2023/03/27 | ...``) makes a cell
    GitHub shows; dropped when the line does not start with a pipe and the next cell
    is a date.

    Corpus: 1 row, SCHEDULER.md:4018.
    """
    cells = d.cells()
    if not d.lines[d.k].lstrip().startswith("|") and DATEISH.match(cells[1]):
        d.notes.append(f"text {cells[0]!r} before the row's first '|'; ignored")
        d.spans = d.spans[1:]


def drop_text_after_last_pipe(d: RowDraft) -> None:
    """Text after the row's last ``|`` (``... |2021/01/15``) makes a cell GitHub shows;
    dropped when it holds no link (the links cell does) and runs to the end of the
    line, or to a closing ``|`` that ends it: a 7-cell row ending ``| f |`` loses
    ``f`` here, one ending ``| f |`` and a blank does not.

    Corpus: 1 row, study/problem/issue/3-numa_dismeter/0002-README.md:369.
    """
    cells = d.cells()
    while len(d.spans) > d.h and cells[-1] and not HAS_LINK.search(cells[-1]):
        a, b = d.spans[-1]
        if "|" in d.text[a:b] or b < d.stop - 1:
            break
        d.notes.append(f"text {cells[-1]!r} after the row's last '|'; ignored")
        d.spans, cells = d.spans[:-1], cells[:-1]


def drop_extra_empty_cells(d: RowDraft) -> None:
    """An extra empty cell (``| |``) between the first and the last: the last such
    dropped until the count matches.

    Corpus: 2 rows, SCHEDULER.md:4420 and 4481 (``| NA | | v1 ☑ 4.11-rc1 |`` and the
    like). It comes after ``six-cells-under-five-columns``: SCHEDULER.md:3941 has six
    cells under the 5-column header and an empty status, and dropping that empty cell
    first read the author as the feature (until 2026-12-05).
    """
    cells = d.cells()
    while len(d.spans) > d.h and "" in cells[1:-1]:
        idx = len(cells) - 2 - cells[-2:0:-1].index("")
        d.notes.append("an extra empty cell ('| |'); ignored")
        d.spans, cells = d.spans[:idx] + d.spans[idx + 1 :], cells[:idx] + cells[idx + 1 :]


def read_six_under_five(d: RowDraft) -> None:
    """6 cells under the 5-column header without 作者: the row was written with the
    author the header lacks; read with the six roles (GitHub drops the last cell).

    Corpus: 69 rows, all in SCHEDULER.md (3665 onwards), e.g. SCHEDULER.md:3941.
    """
    if len(d.spans) == 6 and d.h == 5 and "author" not in d.header:
        d.notes.append(
            "6 cells under the 5-column header (no 作者 column): read as "
            "date|author|feature|description|status|links; GitHub drops the last cell"
        )
        d.roles = CANONICAL6


def fold_stray_pipe_in_links(d: RowDraft) -> None:
    """A stray ``|`` in the links cell (``[LORE v6,0/6](...)|<br>*-*-* <br>[...](...)``):
    every cell past the header's last holds a link or starts with ``<br>``, so they
    are folded back into the links cell.

    Corpus: 2 rows, DEBUGGING.md:596 and MEMORY_MANAGER.md:5688. Only when the cells
    before the links fit the header's roles: six rows (MEMORY_MANAGER.md:389, 1391,
    1537, 2054, 2326, 5195) have their stray ``|`` in the description or after the
    feature, which shifts the status into the links cell; folding them here read the
    description's tail as the status (until 2026-12-05). ``pipe-in-description``
    reads them.
    """
    h = d.h
    cells = d.cells()
    if (
        d.header[-1] == "links"
        and all(HAS_LINK.search(c) or c.lower().startswith("<br") for c in cells[h:])
        # and the cells before the links fit the header's roles: a '|' in the
        # description shifts the status into the links instead
        and all(score(r, c) >= 0 for r, c in zip(d.header[: h - 1], cells, strict=False))
    ):
        d.notes.append(
            f"a stray '|' in the links cell ({len(d.spans)} cells, header has {h}); "
            "read as one cell"
        )
        d.spans = [*d.spans[: h - 1], (d.spans[h - 1][0], d.spans[-1][1])]
        d.roles = d.header


def fold_pipes_in_description(d: RowDraft) -> None:
    """Pipes in the description (``set_memory{ro|rw}``): the overflow folded into the
    description, under the header's layout or (5-column header without 作者) the six
    roles, when every cell then fits its role.

    Corpus: 9 rows, DEBUGGING.md:127, MEMORY_MANAGER.md:420, SCHEDULER.md:5589, and the six
    ``stray-pipe-in-links-cell`` leaves (MEMORY_MANAGER.md:389, 1391, 1537, 2054, 2326, 5195).
    """
    spans, text = d.spans, d.text
    layouts = [d.header] + ([CANONICAL6] if d.h == 5 and "author" not in d.header else [])
    for lay in layouts:
        if "description" not in lay or len(spans) <= len(lay):
            continue
        di = lay.index("description")
        tail = len(lay) - di - 1
        folded = [*spans[:di], (spans[di][0], spans[len(spans) - tail - 1][1])]
        folded += spans[len(spans) - tail :]
        if all(score(r, text[a:b]) >= 0 for r, (a, b) in zip(lay, folded, strict=True)):
            d.notes.append(
                f"a '|' in the description splits it on GitHub ({len(spans)} cells, "
                f"header has {d.h}); read as {len(lay)} cells"
            )
            d.spans, d.roles = folded, lay
            return


def read_missing_cells_by_content(d: RowDraft) -> None:
    """A row with missing cells, when the content says unambiguously which columns it
    fills (dates, links and status cells look different; the date comes first).

    Corpus: 11 rows read (e.g. DEBUGGING.md:113 without status, DEBUGGING.md:130
    without author, 09-pelt/README.md:901 without description); DEBUGGING.md:1340
    stays unreadable.
    """
    assigned = assign_roles(d.cells(), d.header)
    if assigned is None:
        return
    missing = [r for r in d.header if r not in assigned]
    d.notes.append(
        f"row has {len(d.spans)} cells, the header has {d.h}: read without "
        f"{', '.join(missing)} (GitHub shifts the cells)"
    )
    d.roles = assigned


#: the repairs, in the order they are tried (the first that settles the row ends it)
REPAIRS: tuple[RowRule, ...] = (
    RowRule("line-of-only-pipes", drop_line_of_pipes, "any", "fewer"),
    RowRule("pipe-in-link-text-or-code-counted", rejoin_protected_pipes_counted, "any", "more"),
    RowRule("text-before-first-pipe", drop_text_before_first_pipe, "feature", "more"),
    RowRule("text-after-last-pipe", drop_text_after_last_pipe, "feature", "more"),
    RowRule("six-cells-under-five-columns", read_six_under_five, "feature", "more"),
    RowRule("extra-empty-cell", drop_extra_empty_cells, "feature", "more"),
    RowRule("stray-pipe-in-links-cell", fold_stray_pipe_in_links, "feature", "more"),
    RowRule("pipe-in-description", fold_pipes_in_description, "feature", "more"),
    RowRule("missing-cells-by-content", read_missing_cells_by_content, "feature", "fewer"),
)


def read_row(
    text: str,
    lines: Sequence[str],
    cstart: Sequence[int],
    k: int,
    end: int,
    header: tuple[CellRole, ...],
) -> RowDraft:
    """Split the row starting at line ``k`` of a table ending before line ``end`` and
    apply the mends, then the repairs, in their order."""
    start = cstart[k]
    stop = start + len(lines[k])
    d = RowDraft(
        text=text,
        lines=lines,
        cstart=cstart,
        k=k,
        end=end,
        h=len(header),
        header=header,
        feature=any(r != "other" for r in header),
        spans=split_cells(text, start, stop),
        start=start,
        stop=stop,
        last=k,
    )
    for rule in MENDS:
        rule.apply(d)
    d.well_formed = len(d.spans) == d.h and not d.notes
    mended = (d.spans, len(d.notes), len(d.fired))
    for rule in REPAIRS:
        if d.settled():
            break
        rule.apply(d)
    if not d.settled():
        # no rule could read it: the cells as they were after the mends
        d.spans = mended[0]
        del d.notes[mended[1] :], d.fired[mended[2] :]
    return d
