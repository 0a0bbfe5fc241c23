"""STATS.md's counting method, re-implemented independently of patchcrawl.tables.

Used by tests/test_scan_corpus.py and bench/bench_scan.py to compare the scanner's
counts with the figures STATS.md's method gives on the same files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DELIM = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_HEADERLESS = re.compile(r"^\|\s*\d{4}/")
_URL = re.compile(r"https?://")
_MDLINK = re.compile(r"\[[^\]]*\]\([^)]*\)")


@dataclass
class StatsCounts:
    tables: int = 0
    rows: int = 0
    urls: int = 0
    md_links: int = 0
    headerless: int = 0
    headerless_urls: int = 0


def stats_method(text: str) -> StatsCounts:
    """Count feature tables, body lines, URL occurrences the way STATS.md says it did."""
    out = StatsCounts()
    lines = text.splitlines()
    in_table: set[int] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "是否合入主线" in line and i + 1 < len(lines) and _DELIM.match(lines[i + 1]):
            out.tables += 1
            in_table.update((i, i + 1))
            j = i + 2
            while j < len(lines):
                body = lines[j]
                if not body.strip() or body.lstrip().startswith(("#", "```", "~~~")):
                    break
                in_table.add(j)
                out.rows += 1
                out.urls += len(_URL.findall(body))
                out.md_links += len(_MDLINK.findall(body))
                j += 1
            i = j
            continue
        i += 1
    # lines of any other GFM table (header + delimiter, body up to a blank line)
    k = 0
    while k + 1 < len(lines):
        if k not in in_table and "|" in lines[k] and _DELIM.match(lines[k + 1]):
            j = k
            while j < len(lines) and lines[j].strip():
                in_table.add(j)
                j += 1
            k = j
            continue
        k += 1
    for k, line in enumerate(lines):
        if k not in in_table and _HEADERLESS.match(line.lstrip()):
            out.headerless += 1
            out.headerless_urls += len(_URL.findall(line))
    return out
