"""A table row's cells: where GFM splits them, which pipes an author did not mean as
separators, and what each cell's content looks like.

The vocabulary the row rules (:mod:`patchcrawl.repairs`) are written in; no rule here.
Cells are ``(start, end)`` char spans of the document text, so that a cell read after a
repair still points at its exact place in the file.
"""

from __future__ import annotations

import re
from itertools import combinations

from patchcrawl.models import CellRole

#: the six roles of the full feature header, in its order (a 6-cell row under the
#: 5-column header without 作者 is read with these)
CANONICAL6: tuple[CellRole, ...] = ("date", "author", "feature", "description", "status", "links")

PIPE = re.compile(r"(?<!\\)\|")
#: a ``| YYYY/...`` line: a feature row (in a table or standing outside any)
HEADERLESS = re.compile(r"^\s*\|\s*\d{4}\s*/")
DATEISH = re.compile(r"^\s*(\d{4}(\s*/\s*\d{1,2}){0,2}|NA|\d{4}[/.-]\S*)\s*$")
STATUSISH = re.compile(r"^\s*(RFC|RFT|RRC|[vV]\d|☑|☐|✓|NA\s*$|\d+\.\d+|\[\d+\.\d+)", re.IGNORECASE)
#: a pipe in a code span or in a link's text may be protected (cheap test first)
MAYBE_PROTECTED = re.compile(r"`[^`\n]*\||\[[^\]\n]*\|")
#: ``[kGraft]https://lore.kernel.org/...)``: a link whose ``(`` was lost
BROKEN_LINK = re.compile(r"\[[^\]\[|]{1,200}\]https?://")
HAS_LINK = re.compile(r"\]\([^)]*\)|https?://")


def split_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
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
    for m in PIPE.finditer(text, inner_s, inner_e):
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
            for pm in PIPE.finditer(m.group(0)):
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


def merge_protected(
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


def score(role: CellRole, cell: str) -> int:
    """How well ``cell`` fits ``role``: positive fits, 0 says nothing (an empty
    cell), negative does not fit."""
    t = cell.strip()
    if role == "date":
        return 3 if DATEISH.match(t) else -3
    if role == "author":
        if "](" in t or (STATUSISH.match(t) and not re.search(r"[A-Za-z]{3}", t[:4])):
            return -2
        return 1 if t else 0
    if role == "feature":
        return 2 if "](" in t else -1
    if role == "status":
        if not t:
            return 0
        return 2 if STATUSISH.match(t) else -2
    if role == "links":
        if not t:
            return 0
        return 2 if HAS_LINK.search(t) else -1
    return 0


def cell_fits(role: CellRole, text: str) -> bool:
    """Does ``text`` look like what a cell of ``role`` holds (a date, a status with its
    marks or version, a link in the feature and links cells)?  For the roles of a row
    whose cells had to be re-read: a claim is compared only from a cell that fits."""
    return score(role, text) > 0


def assign_roles(cells: list[str], roles: tuple[CellRole, ...]) -> tuple[CellRole, ...] | None:
    """Choose which header roles ``cells`` (fewer than the header's) fill, by content."""
    best: tuple[int, tuple[CellRole, ...]] | None = None
    tie = False
    for combo in combinations(range(len(roles)), len(cells)):
        if roles[0] == "date" and combo[0] != 0:
            continue  # a row always starts with its date; a fragment is no row
        cand = tuple(roles[i] for i in combo)
        sc = sum(score(r, c) for r, c in zip(cand, cells, strict=True))
        if best is None or sc > best[0]:
            best, tie = (sc, cand), False
        elif sc == best[0]:
            tie = True
    if best is None or tie or best[0] < len(cells):
        return None
    return best[1]
