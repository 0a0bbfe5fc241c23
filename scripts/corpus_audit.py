"""Audit the real documents against a simulated web built from their own claims.

For ``data/`` and for the shared corpus (``../shared/corpus``, skipped with a
message when absent) this starts a :class:`KernelWeb` whose world is
``world_from_documents(documents)``, runs ``patchcrawl verify`` through the
pipeline with a fresh temporary cache, and prints what it took and found:

* with ``defect_rate 0`` every link exists as its row claims, so what is left are
  disagreements inside the documents themselves (a status version that is not the
  newest linked one, two rows linking one mail with different claims), moves that
  are real (retired LKML patchwork, numeric patchwork ids) and rows or URLs that
  cannot be read; a few examples of each code are printed to judge them;
* with ``defect_rate 0.05`` some targets get a planted defect, and the recall per
  code says how many of them the run found (a planted defect counts as found when a
  finding of its code that the clean run did not have, or had with other
  expected/actual values, points at one of its links, rows or URLs).

Nothing leaves 127.0.0.1.  Usage::

    .venv/bin/python scripts/corpus_audit.py [--corpus DIR] [--rate 0.05] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from patchcrawl import pipeline  # noqa: E402
from patchcrawl.discover import find_markdown  # noqa: E402
from patchcrawl.models import Finding, Report  # noqa: E402
from patchcrawl.settings import RemapRule, Settings  # noqa: E402
from patchcrawl.tables import scan_paths  # noqa: E402
from patchcrawl.testweb.corpus_world import (  # noqa: E402
    DEFECT_CODES,
    corpus_handler,
    world_from_documents,
)
from patchcrawl.testweb.server import KernelWeb  # noqa: E402

EXAMPLES = 3
_Key = tuple[str, str, int, str | None, str | None, str | None]


def corpus_files(corpus: Path) -> list[str]:
    """The corpus documents: every markdown file but the helper's notes and the seed copy."""
    found = find_markdown([str(corpus)])
    skip = {corpus / "SOURCE.md", corpus / "STATS.md"}
    return sorted(p for p in found if Path(p) not in skip and "/seed/" not in p)


def settings_for(web: KernelWeb, cache_dir: str) -> Settings:
    return Settings(
        remap=(RemapRule.parse(web.remap_rule()),),
        cache_dir=cache_dir,
        host_interval=0.0,
        host_concurrency=16,
        max_concurrency=64,
        timeout=10.0,
        retries=2,
        progress=False,
        extra={"retry_backoff": 0.05},
    )


def run(paths: Sequence[str], defect_rate: float, seed: int) -> tuple[Report, dict, float]:  # type: ignore[type-arg]
    docs = scan_paths(list(paths))
    world, planted = world_from_documents(docs, seed=seed, defect_rate=defect_rate)
    with KernelWeb(corpus_handler(world)) as web, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        report, _checked = pipeline.verify(list(paths), settings_for(web, tmp))
        wall = time.monotonic() - started
    return report, planted, wall


def _key(f: Finding) -> _Key:
    return (f.code, f.file, f.line, f.url, f.expected, f.actual)


def print_figures(title: str, report: Report, wall: float) -> None:
    s = report.summary
    print(f"\n== {title}")
    print(
        f"files {s.files}  rows {s.rows}  links {s.links}  unique URLs {s.unique_urls}  "
        f"requests {s.requests}  wall {wall:.1f} s"
    )
    print(
        "by status:  " + "  ".join(f"{k} {v}" for k, v in sorted(s.by_status, key=lambda t: -t[1]))
    )
    codes = Counter(f.code for f in report.findings)
    sev = Counter((f.code, f.severity) for f in report.findings)
    print("findings by code:")
    for code, n in codes.most_common():
        split = ", ".join(
            f"{sv} {sev[(code, sv)]}" for sv in ("error", "warning", "info") if sev[(code, sv)]
        )
        print(f"  {code:22} {n:6}  ({split})")


def print_examples(report: Report) -> None:
    print(f"examples (first {EXAMPLES} of each code):")
    shown: Counter[str] = Counter()
    for f in report.findings:
        if shown[f.code] >= EXAMPLES:
            continue
        shown[f.code] += 1
        where = f"{Path(f.file).name}:{f.line}"
        print(f"  {f.code:22} {where:28} {f.message[:140]}")


def print_recall(clean: Report, dirty: Report, planted: dict) -> None:  # type: ignore[type-arg]
    baseline = {_key(f) for f in clean.findings}
    new = [f for f in dirty.findings if _key(f) not in baseline]
    explained: set[_Key] = set()
    missed: list[str] = []
    print(f"planted defects over {planted['targets']} targets (recall: found / planted):")
    for code in DEFECT_CODES:
        entries = planted.get(code, [])
        found = 0
        for entry in entries:
            urls = set(entry["urls"])
            lines = set(entry["lines"]) | set(entry["rows"])
            hits = [
                f
                for f in new
                if f.code == code
                and (
                    f.url in urls
                    or (f.file, f.line) in lines
                    or (f.row_line is not None and (f.file, f.row_line) in lines)
                )
            ]
            explained.update(_key(f) for f in hits)
            found += bool(hits)
            if not hits:
                f0, l0 = entry["lines"][0]
                missed.append(f"{code} {Path(f0).name}:{l0} {entry['urls'][0]}")
        rate = f"{found / len(entries):.0%}" if entries else "-"
        print(
            f"  {code:22} planted {len(entries):4}  found {found:4}  recall {rate:>5}"
            f"  (targets that could carry it: {planted['applicable'].get(code, 0)})"
        )
    for text in missed[: EXAMPLES * 3]:
        print(f"  missed: {text}")
    others = Counter(f.code for f in new if _key(f) not in explained)
    lost = Counter(
        f.code for f in clean.findings if _key(f) not in {_key(g) for g in dirty.findings}
    )
    print(
        "  new findings no planted defect explains: "
        + (", ".join(f"{c} {n}" for c, n in others.most_common()) or "none")
    )
    print(
        "  clean-run findings gone (a planted defect hid them): "
        + (", ".join(f"{c} {n}" for c, n in lost.most_common()) or "none")
    )


def audit(name: str, paths: Sequence[str], rate: float, seed: int) -> None:
    clean, _, wall = run(paths, 0.0, seed)
    print_figures(f"{name}: defect_rate 0 (an honest web)", clean, wall)
    print_examples(clean)
    dirty, planted, wall = run(paths, rate, seed)
    print_figures(f"{name}: defect_rate {rate} (seed {seed})", dirty, wall)
    print_recall(clean, dirty, planted)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    started = time.monotonic()
    audit("data/", find_markdown([args.data]), args.rate, args.seed)
    corpus = Path(args.corpus)
    if corpus.is_dir():
        files = corpus_files(corpus)
        audit(f"corpus ({len(files)} files in {corpus})", files, args.rate, args.seed)
    else:
        print(f"\n== corpus: {corpus} not found; skipped")
    print(f"\ntotal {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
