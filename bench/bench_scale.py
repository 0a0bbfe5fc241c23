"""patchcrawl at scale: 5,000 / 20,000 / 50,000 unique links in the corpus's shapes.

Shapes (``simweb.SCALE_MIX``): lore ``/all/<msgid>/``, lore ``/r/<msgid>`` (a 302 to
``/all/``), the retired LKML patchwork ``/patchwork/cover/N`` (301 -> ``/r/`` -> ``/all/``),
patchwork.kernel.org cover pages, LWN articles, git.kernel.org commits and lkml.org
posts, each host on its own loopback address with a fixed per-request latency.

Printed per size: wall time against the politeness bound (from the requests each
host actually saw), the same against the floor (``floor_client.py --urls``: the very
requests patchcrawl made, replayed at the same concurrency by a Python client that
does nothing else, every request known from the start), CPU seconds (user+sys of the
child), peak RSS and the size of the cache on disk, and per-link figures to show that
growth is linear.
Targets (issue #7): wall within 10% of the bound, peak RSS under 300 MB.

Run: ``.venv/bin/python bench/bench_scale.py`` (``--sizes 5000 20000 50000``);
``--profile DIR`` also writes a pyinstrument text profile of each run there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simweb as sw


def run(
    n: int,
    latency: float,
    conc: int,
    max_conc: int,
    tmp: Path,
    profile: Path | None,
    floor_client: str = "raw",
) -> dict[str, float | int | dict[str, int]]:
    links = sw.scale_set(n)
    work = tmp / f"n{n}"
    docs = work / "docs"
    sw.write_documents(links.rows, docs)
    cache = work / "cache"
    out = work / "report.json"
    with sw.WebSet(sw.handler_for(links.world), links.hosts, latency) as web:
        argv = sw.patchcrawl_argv(web.rules(), docs, cache, out, conc, max_conc)
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            prof = str(profile / f"scale_{n}.txt")
            argv = [str(sw.VENV_BIN / "pyinstrument"), "-r", "text", "-o", prof, *argv]
        r = sw.run_child(argv)
        if r.rc not in (0, 1):
            raise SystemExit(f"patchcrawl failed (exit {r.rc}):\n{r.stderr[-3000:]}")
        per_host = web.per_host()
        mif = web.max_in_flight()
        # the floor: the very requests patchcrawl made, sent by a client doing nothing else
        requests = work / "requests.txt"
        log = sorted(web.log(), key=lambda q: q.start)
        requests.write_text("".join(f"{q.url}\n" for q in log), encoding="utf-8")
        web.clear_log()
        fl = sw.run_child(sw.floor_argv(web.rules(), conc, floor_client, "--urls", str(requests)))
        sw.check_floor(fl)
        if web.per_host() != per_host:
            raise SystemExit(f"floor_client sent {web.per_host()}, patchcrawl {per_host}")
    summary = json.loads(out.read_text())["summary"]
    bound = sw.politeness_bound(per_host, conc, 0.0, latency)
    return {
        "links": n,
        "wall": r.wall,
        "floor": fl.wall,
        "bound": bound,
        "cpu": r.cpu,
        "rss": r.maxrss_mb,
        "cache_mb": sw.dir_size(cache) / 1e6,
        "requests": sum(per_host.values()),
        "per_host": per_host,
        "max_in_flight": max(mif.values()),
        "ok": summary["by_status"].get("ok", 0) + summary["by_status"].get("moved", 0),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 50000])
    ap.add_argument("--latency", type=float, default=0.030)
    ap.add_argument("--host-concurrency", type=int, default=8)
    ap.add_argument("--max-concurrency", type=int, default=64)
    ap.add_argument("--profile", type=Path, default=None, help="write pyinstrument profiles here")
    ap.add_argument(
        "--floor-client",
        choices=sw.FLOOR_CLIENTS,
        default="raw",
        help="how floor_client.py sends the replayed requests",
    )
    ns = ap.parse_args(argv)
    sw.compile_patchcrawl()
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows = []
    try:
        for n in ns.sizes:
            res = run(
                n,
                ns.latency,
                ns.host_concurrency,
                ns.max_concurrency,
                tmp,
                ns.profile,
                ns.floor_client,
            )
            rows.append(res)
            print(f"  {n} links done: {res}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\nlatency {ns.latency * 1000:.0f} ms, host-concurrency {ns.host_concurrency}, "
        f"interval 0, max-concurrency {ns.max_concurrency}; cold cache, one run each; "
        f"floor: floor_client.py --client {ns.floor_client}\n"
    )
    print(
        "| links | requests | ok+moved | wall s | bound s | wall/bound | floor s | floor/bound "
        "| wall/floor "
        "| CPU s | CPU ms/link | peak RSS MB | RSS kB/link | cache MB | max in flight |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    wall_ok = rss_ok = True
    for r in rows:
        n = int(r["links"])  # type: ignore[arg-type]
        wall, bound = float(r["wall"]), float(r["bound"])  # type: ignore[arg-type]
        floor = float(r["floor"])  # type: ignore[arg-type]
        cpu, rss = float(r["cpu"]), float(r["rss"])  # type: ignore[arg-type]
        wall_ok &= wall <= 1.10 * bound
        rss_ok &= rss < 300
        print(
            f"| {n} | {r['requests']} | {r['ok']} | {wall:.1f} | {bound:.1f} | {wall / bound:.2f} "
            f"| {floor:.1f} | {floor / bound:.2f} | {wall / floor:.2f} "
            f"| {cpu:.1f} | {cpu / n * 1000:.2f} "
            f"| {rss:.0f} | {rss * 1024 / n:.1f} "
            f"| {float(r['cache_mb']):.1f} | {r['max_in_flight']} |"  # type: ignore[arg-type]
        )
    print("\nrequests per host:")
    for r in rows:
        print(f"  {r['links']}: {r['per_host']}")
    print(
        f"\ntargets: wall <= 1.10 x bound {'met' if wall_ok else 'NOT met'}; "
        f"peak RSS < 300 MB {'met' if rss_ok else 'NOT met'}"
    )
    return 0 if wall_ok and rss_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
