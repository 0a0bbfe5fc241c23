"""Benchmark: scan the whole corpus and print CPU seconds and MB/s.

Corpus: $PATCHCRAWL_CORPUS, else ../shared/corpus relative to the repository root.
Target: under 1 s of CPU for the 3.3 MB corpus.  ``--profile`` prints the top
functions (cProfile) as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def corpus_files(root: str) -> list[str]:
    out = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames.sort()
        for name in sorted(files):
            if name.lower().endswith((".md", ".markdown")) and name not in (
                "STATS.md",
                "SOURCE.md",
            ):
                out.append(os.path.join(dirpath, name))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=1, help="scan the corpus this many times")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    root = os.environ.get("PATCHCRAWL_CORPUS") or os.path.join(repo, "..", "shared", "corpus")
    if not os.path.isdir(root):
        print(f"corpus not found: {root} (set PATCHCRAWL_CORPUS)", file=sys.stderr)
        return 2
    sys.path.insert(0, os.path.join(repo, "src"))
    from patchcrawl.refs import classify
    from patchcrawl.tables import scan_bytes

    raws = []
    for p in corpus_files(root):  # I/O outside the timing
        with open(p, "rb") as fh:
            raws.append((p, fh.read()))
    size = sum(len(r) for _, r in raws)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for p, r in raws:
            scan_bytes(p, r)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    best = float("inf")
    docs = []
    for _ in range(args.repeat):
        classify.cache_clear()  # every run starts cold: no URL classified yet
        t0 = time.process_time()
        docs = [scan_bytes(p, r) for p, r in raws]
        best = min(best, time.process_time() - t0)
    links = sum(len(d.links) for d in docs)
    rows = sum(len(d.rows) for d in docs)
    tables = sum(len(d.tables) for d in docs)
    mb = size / 1e6
    print(
        f"scanned {len(docs)} files, {mb:.2f} MB: {tables} tables, {rows} rows, {links} links\n"
        f"cpu {best:.3f} s  ({mb / best:.2f} MB/s)  target < 1 s: {'ok' if best < 1 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
