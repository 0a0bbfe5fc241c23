"""Position checks shared by the scanner tests (independent of tables.py's maps), and
a hook on every scan a run makes."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Generator

import pytest

from patchcrawl import tables
from patchcrawl.models import Document

_EOL = re.compile(rb"\r\n|\r|\n")


def line_starts(raw: bytes) -> list[int]:
    """Byte offsets where each line starts (CRLF, CR and LF all end a line)."""
    return [0] + [m.end() for m in _EOL.finditer(raw)]


def line_col_of(raw: bytes, start: int, starts: list[int] | None = None) -> tuple[int, int]:
    """1-based line and code-point column of byte offset ``start`` (BOM not counted)."""
    starts = starts if starts is not None else line_starts(raw)
    li = bisect.bisect_right(starts, start) - 1
    line_start = starts[li]
    if line_start == 0 and raw.startswith(b"\xef\xbb\xbf"):
        line_start = 3
    col = len(raw[line_start:start].decode("utf-8", "surrogateescape")) + 1
    return li + 1, col


def check_positions(doc: Document) -> None:
    """Every link's byte range is its URL, and line/column point at its first character."""
    raw = doc.raw
    starts = line_starts(raw)
    for link in doc.links:
        assert raw[link.start : link.end].decode("utf-8", "surrogateescape") == link.url, link
        assert (link.line, link.column) == line_col_of(raw, link.start, starts), link
        if link.text is not None and link.text_start is not None and link.text_end is not None:
            assert (
                raw[link.text_start : link.text_end].decode("utf-8", "surrogateescape") == link.text
            )
    for row in doc.rows:
        for cell in row.cells:
            assert raw[cell.start : cell.end].decode("utf-8", "surrogateescape") == cell.text
            assert (cell.line, cell.column) == line_col_of(raw, cell.start, starts)
        c = row.claims
        if c.title is not None and c.title_start is not None and c.title_end is not None:
            assert raw[c.title_start : c.title_end].decode("utf-8", "surrogateescape") == c.title
        st = c.status
        if st is not None and st.version_text is not None:
            assert st.version_start is not None and st.version_end is not None
            assert raw[st.version_start : st.version_end].decode() == st.version_text
        for link in row.links:
            lab = link.label
            if lab is None:
                continue
            if lab.version_start is not None and lab.version_end is not None:
                vt = raw[lab.version_start : lab.version_end].decode()
                assert vt.lower().lstrip("v") == str(lab.version) or int(vt[1:]) == lab.version
            if lab.count_start is not None and lab.count_end is not None:
                n, m = raw[lab.count_start : lab.count_end].decode().split("/")
                assert (int(n), int(m)) == (lab.counter, lab.total)


def on_scan(monkeypatch: pytest.MonkeyPatch, hook: Callable[[str], None]) -> None:
    """Call ``hook(path)`` as each document's scan starts, whether it is scanned in one
    go (``tables.scan_bytes``) or in steps beside the crawl (``tables.scan_steps``)."""
    real, real_steps = tables.scan_bytes, tables.scan_steps

    def scan(path: str, raw: bytes) -> Document:
        hook(path)
        return real(path, raw)

    def steps(path: str, raw: bytes) -> Generator[None, None, Document]:
        hook(path)
        return (yield from real_steps(path, raw))

    monkeypatch.setattr(tables, "scan_bytes", scan)
    monkeypatch.setattr(tables, "scan_steps", steps)
