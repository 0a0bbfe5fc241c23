"""Parsing cost per lore message page of typical size.

Renders ~1,000 message pages from ``World.generate`` with the simulated lore
site, then times (CPU, ``time.process_time``) the lore adapter over them:
header block -> ``MessageHeaders`` -> ``Metadata``.  Target: under 0.5 ms/page.

    .venv/bin/python bench/bench_parse.py [--pages 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patchcrawl.sources import lore
from patchcrawl.testweb.sites.lore import message_html
from patchcrawl.testweb.world import World


def pages(n: int, seed: int) -> list[bytes]:
    world = World.generate(max(1, n // 3), seed=seed)
    msgs = list(world.messages.values())[:n]
    return [message_html(world, m, m.list).encode() for m in msgs]


def parse_all(bodies: list[bytes]) -> int:
    ok = 0
    for b in bodies:
        h = lore.parse_message_page(b)
        if h is not None and lore.metadata(h).title:
            ok += 1
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    bodies = pages(args.pages, args.seed)
    size = statistics.mean(len(b) for b in bodies)
    parse_all(bodies[:50])  # warm up imports and caches
    per_page = []
    for _ in range(args.rounds):
        t0 = time.process_time()
        ok = parse_all(bodies)
        per_page.append((time.process_time() - t0) / len(bodies) * 1000)
        assert ok == len(bodies), f"only {ok}/{len(bodies)} pages parsed"
    best = min(per_page)
    print(f"pages: {len(bodies)}  mean size: {size / 1024:.1f} KiB  rounds: {args.rounds}")
    print(f"lore adapter: {best:.3f} ms/page CPU (best), {statistics.median(per_page):.3f} median")
    print("target: < 0.5 ms/page:", "OK" if best < 0.5 else "MISSED")


if __name__ == "__main__":
    main()
