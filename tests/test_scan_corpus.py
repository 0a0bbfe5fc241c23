"""Scan the real corpus (../shared/corpus): no exception, exact positions, measured counts.

The expected figures were measured with this scanner and checked against STATS.md's
counting method (tests/stats_method.py, an independent re-implementation); every
difference is asserted below with its reason.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from patchcrawl.models import Document
from patchcrawl.tables import scan_file
from tests.scan_helpers import check_positions
from tests.stats_method import stats_method

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.environ.get("PATCHCRAWL_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")

# path: (tables, feature tables, rows, feature rows, links, table links, unique URLs,
#        malformed-row findings, malformed-url findings)
EXPECTED: dict[str, tuple[int, ...]] = {
    "distro/OpenAnolis/README.md": (46, 29, 81, 34, 113, 100, 68, 1, 2),
    "seed/BPF-2021-02-15.md": (5, 4, 11, 10, 42, 24, 26, 0, 0),
    "study/ai/AIOS.MD": (4, 1, 20, 2, 46, 35, 36, 1, 0),
    "study/kernel/00-DESCRIPTION/BPF.md": (37, 22, 122, 69, 330, 228, 255, 3, 1),
    "study/kernel/00-DESCRIPTION/CGROUP.md": (6, 5, 8, 7, 30, 21, 21, 0, 0),
    "study/kernel/00-DESCRIPTION/DEBUGGING.md": (76, 73, 241, 237, 909, 694, 709, 8, 4),
    "study/kernel/00-DESCRIPTION/LOCKING.md": (29, 24, 87, 72, 319, 244, 249, 1, 3),
    "study/kernel/00-DESCRIPTION/MEMORY_MANAGER.md": (
        406,
        363,
        1346,
        1157,
        4858,
        3837,
        3723,
        20,  # 18, and 2 links written [text]https://...) (a lost '(')
        15,
    ),
    "study/kernel/00-DESCRIPTION/SCHEDULER.md": (
        321,
        246,
        1056,
        799,
        3696,
        2681,
        2768,
        85,
        11,
    ),  # 4 [text]https:// links,
    "study/kernel/00-DESCRIPTION/TODO.md": (5, 3, 6, 5, 782, 18, 681, 42, 0),
    "study/kernel/01-process/05-schedule/07-cfs/09-pelt/README.md": (
        22,
        16,
        55,
        24,
        116,
        73,
        87,
        4,
        0,
    ),
    "study/kernel/01-process/05-schedule/09-tuning/02-sched_feature/README.md": (
        7,
        2,
        35,
        5,
        51,
        15,
        34,
        1,
        0,
    ),
    "study/problem/issue/3-numa_dismeter/0002-README.md": (11, 4, 58, 12, 50, 36, 25, 1, 1),
}

# rows STATS' method counts as separate body lines that the scanner reads as one row
# (a row wrapped over two lines), or drops (a line holding only '|')
JOINED = {
    "distro/OpenAnolis/README.md": 1,
    "study/kernel/00-DESCRIPTION/BPF.md": 2,
    "study/kernel/00-DESCRIPTION/MEMORY_MANAGER.md": 5,
    "study/kernel/01-process/05-schedule/09-tuning/02-sched_feature/README.md": 1,
}
PIPE_ONLY = {
    "study/kernel/00-DESCRIPTION/DEBUGGING.md": 1,
    "study/kernel/00-DESCRIPTION/LOCKING.md": 1,
}

pytestmark = pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not present")


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {rel: scan_file(os.path.join(CORPUS, rel)) for rel in EXPECTED}


def _feature(doc: Document) -> list[object]:
    return [t for t in doc.tables if "status" in t.roles]


def test_corpus_files_are_the_expected_ones() -> None:
    found = set()
    for dirpath, _dirs, files in os.walk(CORPUS):
        for name in files:
            if name.lower().endswith((".md", ".markdown")) and name not in (
                "STATS.md",
                "SOURCE.md",
            ):
                found.add(os.path.relpath(os.path.join(dirpath, name), CORPUS))
    assert found == set(EXPECTED)


def test_counts(docs: dict[str, Document]) -> None:
    for rel, doc in docs.items():
        feat = [t for t in doc.tables if "status" in t.roles]
        codes = Counter(f.code for f in doc.findings)
        got = (
            len(doc.tables),
            len(feat),
            len(doc.rows),
            sum(len(t.rows) for t in feat),
            len(doc.links),
            sum(1 for lk in doc.links if lk.row_line is not None),
            len({lk.url for lk in doc.links}),
            codes["malformed-row"],
            codes["malformed-url"],
        )
        assert got == EXPECTED[rel], rel


def test_positions_exact(docs: dict[str, Document]) -> None:
    for doc in docs.values():
        check_positions(doc)


def test_against_stats_method(docs: dict[str, Document]) -> None:
    """Compare with STATS.md's method on the same files; every difference explained."""
    for rel, doc in docs.items():
        s = stats_method(doc.raw.decode("utf-8", "replace"))
        feat = [t for t in doc.tables if "status" in t.roles]
        rows = [r for t in feat for r in t.rows]
        assert s.tables == len(feat), rel
        # rows: STATS counts body lines; a wrapped row is one row here, '|'-only lines none
        assert s.rows == len(rows) + JOINED.get(rel, 0) + PIPE_ONLY.get(rel, 0), rel
        assert s.rows == sum(r.end_line - r.line + 1 for r in rows) + PIPE_ONLY.get(rel, 0), rel
        # URLs: STATS counts "http(s)://" occurrences in body lines; the scanner counts links.
        links = [lk for r in rows for lk in r.links]
        occurrences = sum(lk.url.count("http://") + lk.url.count("https://") for lk in links)
        empty = sum(1 for lk in links if lk.url == "")
        no_http = sum(
            1 for lk in links if lk.url and "http://" not in lk.url and "https://" not in lk.url
        )
        doubled = sum(1 for lk in links if lk.url.count("://") > 1)
        outside = 0  # "http(s)://" written outside any link target (in a link's text)
        for r in rows:
            buf = bytearray(doc.raw[r.start : r.end])
            for lk in r.links:
                buf[lk.start - r.start : lk.end - r.start] = b" " * (lk.end - lk.start)
            outside += bytes(buf).count(b"http://") + bytes(buf).count(b"https://")
        assert s.urls == occurrences + outside, rel
        assert len(links) == s.urls - outside - doubled + empty + no_http, rel
        # headerless rows: same lines; the scanner reports one finding per block
        blocks = [f for f in doc.findings if "without a header row" in f.message]
        assert s.headerless == sum(int(f.message.split()[0]) for f in blocks), rel


def test_corpus_totals(docs: dict[str, Document]) -> None:
    real = {k: v for k, v in docs.items() if not k.startswith("seed/")}
    assert len(real) == 12
    feat_tables = sum(len(_feature(d)) for d in real.values())
    assert feat_tables == 788  # STATS.md: "Corpus (12 files): 788 tables"
    lines = sum(
        r.end_line - r.line + 1
        for d in real.values()
        for t in d.tables
        if "status" in t.roles
        for r in t.rows
    )
    assert lines + sum(PIPE_ONLY.values()) == 2434  # STATS.md: 2434 rows
    headerless = sum(
        int(f.message.split()[0])
        for d in real.values()
        for f in d.findings
        if "without a header row" in f.message
    )
    assert headerless == 250  # STATS.md: 250 headerless rows
    urls = {lk.url for d in docs.values() for lk in d.links}
    assert len(urls) == 8504


def test_known_rows(docs: dict[str, Document]) -> None:
    bpf = docs["study/kernel/00-DESCRIPTION/BPF.md"]
    row = next(r for r in bpf.rows if r.line == 456)
    assert row.end_line == 457 and row.claims.status is not None and row.claims.status.version == 1
    marchesi = next(r for r in bpf.rows if r.line == 132)
    assert marchesi.claims.authors[0].email == "jose.marchesi@oracle.com"
    sched = docs["study/kernel/00-DESCRIPTION/SCHEDULER.md"]
    r = next(r for r in sched.rows if r.line == 4018)
    assert r.claims.authors[0].name == "Aaron Lu"
    r = next(r for r in sched.rows if r.line == 5551)
    assert [p.name for p in r.claims.authors] == ["Steve Muckle"]
    dbg = docs["study/kernel/00-DESCRIPTION/DEBUGGING.md"]
    r = next(r for r in dbg.rows if r.line == 596)
    assert len([lk for lk in r.links if lk.cell == "links"]) == 3
    kinds = Counter(lk.kind for d in docs.values() for lk in d.links)
    assert kinds["lore-patchwork-legacy"] > 1000 and kinds["malformed"] == 37
