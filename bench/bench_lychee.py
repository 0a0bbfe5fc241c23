"""patchcrawl against lychee on the same links at the same politeness (loopback only).

The simulated web serves lore.kernel.org, patchwork.kernel.org and lwn.net on three
loopback addresses (127.0.0.1/2/3, each its own KernelWeb with a fixed per-request
latency), and both tools get the same three ``--remap`` rules, so lychee's per-host
limits (keyed on the host it connects to) and patchcrawl's (keyed on the original
host) cover the same traffic.  Both run with the same ``--host-concurrency``, an
interval of 0 and the same ``--max-concurrency``; every link answers 200 in one
request.  Runs alternate (patchcrawl, lychee, patchcrawl, ...).  Cold runs also time
``floor_client.py`` on the same links, remap rules and host concurrency: a Python
program that does nothing but fetch (no parsing, cache or report), on asyncio and
uvloop with raw HTTP/1.1 (``--floors raw``, the default), through httpx
(``httpx``) or through httpx's requests handed to patchcrawl's transport
(``httpx-direct``): what a Python checker on that stack cannot go below.

Measured per tool: wall time (cold: empty cache; warm: patchcrawl with a fresh
cache, lychee with ``--cache`` and a warm ``.lycheecache``; edited: the same warm
caches, but every document changed since the last run (one more newline at its end),
so that patchcrawl scans and audits every file again instead of taking the documents
it kept, while every URL is still answered from the cache), CPU seconds
(user+sys of the child, ``os.wait4``) per 1,000 links, peak RSS of the child, the
requests each host saw and the politeness bound.  Then patchcrawl's politeness
conformance from the server's request log: in-flight cap, spacing with an
interval, Retry-After on a 429.

Run: ``.venv/bin/python bench/bench_lychee.py`` (``--sizes 600 5000 --runs 3``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simweb as sw

# bench/floor_client.py --client X: fetch and nothing else, on asyncio with raw HTTP/1.1,
# through httpx (the design card's client, on its own transport), and through httpx's
# requests handed to patchcrawl's transport (as patchcrawl's fetcher does)
FLOORS = {c: "python floor" if c == "raw" else f"{c} floor" for c in sw.FLOOR_CLIENTS}


@dataclass
class Args:
    latency: float
    conc: int
    max_conc: int
    runs: int
    floors: tuple[str, ...] = ("raw",)


@dataclass
class Samples(sw.Samples):
    timelines: list[sw.Timeline] = field(default_factory=list)

    def add(self, r: sw.ChildRun, web: sw.WebSet, conc: int) -> None:
        self.add_run(r, web)
        t = sw.timeline(web.log(), r, conc)
        if t is not None:
            self.timelines.append(t)


def patchcrawl_argv(
    a: Args, rules: Sequence[str], docs: Path, cache: Path, out: Path, interval: float = 0.0
) -> list[str]:
    return sw.patchcrawl_argv(rules, docs, cache, out, a.conc, a.max_conc, interval)


def lychee_argv(
    a: Args,
    rules: Sequence[str],
    docs: Sequence[Path],
    out: Path,
    *,
    cache: bool,
    interval: float = 0.0,
) -> list[str]:
    return sw.lychee_argv(rules, docs, out, a.conc, a.max_conc, cache=cache, interval=interval)


check_patchcrawl = sw.check_patchcrawl
check_lychee = sw.check_lychee


def compare(n: int, a: Args, tmp: Path) -> dict[str, object]:
    links = sw.three_host_set(n)
    work = tmp / f"n{n}"
    docs_dir = work / "docs"
    docs = sw.write_documents(links.rows, docs_dir)
    res: dict[str, dict[str, Samples]] = {
        "cold": {
            "patchcrawl": Samples(),
            "lychee": Samples(),
            **{FLOORS[c]: Samples() for c in a.floors},
        },
        "warm": {"patchcrawl": Samples(), "lychee": Samples()},
        "edited": {"patchcrawl": Samples(), "lychee": Samples()},
    }
    warm_hits: dict[str, int] = {}
    with sw.WebSet(sw.handler_for(links.world), links.hosts, a.latency) as web:
        rules = web.rules()
        # one untimed run each first: page cache, lazy imports, the server's code paths
        _ = sw.run_child(patchcrawl_argv(a, rules, docs_dir, work / "c0", work / "p.json"))
        shutil.rmtree(work / "c0", ignore_errors=True)
        _ = sw.run_child(lychee_argv(a, rules, docs, work / "l.json", cache=False), cwd=work)
        for i in range(a.runs):
            cache = work / f"cold{i}"
            web.clear_log()
            r = sw.run_child(patchcrawl_argv(a, rules, docs_dir, cache, work / "p.json"))
            check_patchcrawl(r, work / "p.json", n)
            res["cold"]["patchcrawl"].add(r, web, a.conc)
            shutil.rmtree(cache, ignore_errors=True)
            web.clear_log()
            r = sw.run_child(lychee_argv(a, rules, docs, work / "l.json", cache=False), cwd=work)
            check_lychee(r, work / "l.json", n)
            res["cold"]["lychee"].add(r, web, a.conc)
            for client in a.floors:
                web.clear_log()
                r = sw.run_child(sw.floor_argv(rules, a.conc, client, *map(str, docs)))
                sw.check_floor(r)
                res["cold"][FLOORS[client]].add(r, web, a.conc)
        # warm: prime each cache once, then alternate
        warm = work / "warm"
        lydir = work / "lywarm"
        lydir.mkdir()
        sw.run_child(patchcrawl_argv(a, rules, docs_dir, warm, work / "p.json"))
        sw.run_child(lychee_argv(a, rules, docs, work / "l.json", cache=True), cwd=lydir)
        for _i in range(a.runs):
            web.clear_log()
            r = sw.run_child(patchcrawl_argv(a, rules, docs_dir, warm, work / "p.json"))
            warm_hits["patchcrawl"] = check_patchcrawl(r, work / "p.json", n)
            res["warm"]["patchcrawl"].add(r, web, a.conc)
            web.clear_log()
            r = sw.run_child(lychee_argv(a, rules, docs, work / "l.json", cache=True), cwd=lydir)
            warm_hits["lychee"] = check_lychee(r, work / "l.json", n)
            res["warm"]["lychee"].add(r, web, a.conc)
        for _i in range(a.runs):
            for doc in docs:  # a change the kept audits do not survive
                doc.write_bytes(doc.read_bytes() + b"\n")
            web.clear_log()
            r = sw.run_child(patchcrawl_argv(a, rules, docs_dir, warm, work / "p.json"))
            if check_patchcrawl(r, work / "p.json", n) != n:
                raise SystemExit("patchcrawl: an edited run was not answered from the cache")
            res["edited"]["patchcrawl"].add(r, web, a.conc)
            web.clear_log()
            r = sw.run_child(lychee_argv(a, rules, docs, work / "l.json", cache=True), cwd=lydir)
            check_lychee(r, work / "l.json", n)
            res["edited"]["lychee"].add(r, web, a.conc)
        cache_mb = sw.dir_size(warm) / 1e6
        lycache_kb = (lydir / ".lycheecache").stat().st_size / 1e3
    return {
        "n": n,
        "res": res,
        "warm_hits": warm_hits,
        "cache_mb": cache_mb,
        "lycache_kb": lycache_kb,
    }


def report(results: list[dict[str, object]], a: Args) -> None:
    print(
        f"\nlatency {a.latency * 1000:.0f} ms per request, host-concurrency {a.conc}, "
        f"interval 0, max-concurrency {a.max_conc}, {a.runs} runs each, medians\n"
    )
    print(
        "| links | run | tool | wall s | bound s | wall/bound | CPU s /1k links | "
        "peak RSS MB | requests (lore/pw/lwn) | max in flight |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---|---|")
    ratios: list[str] = []
    for res in results:
        n = int(res["n"])  # type: ignore[call-overload]
        runs: dict[str, dict[str, Samples]] = res["res"]  # type: ignore[assignment]
        for kind in ("cold", "warm", "edited"):
            walls: dict[str, float] = {}
            for tool in runs[kind]:
                s = runs[kind][tool]
                wall = sw.median(s.wall)
                walls[tool] = wall
                bound = sw.politeness_bound(s.per_host, a.conc, 0.0, a.latency)
                reqs = "/".join(str(s.per_host.get(h, 0)) for h in sw_hosts())
                mif = "/".join(str(s.max_in_flight.get(h, 0)) for h in sw_hosts())
                wb = f"{wall / bound:.2f}" if bound else "-"
                print(
                    f"| {n} | {kind} | {tool} | {wall:.3f} | {bound:.2f} | {wb} | "
                    f"{sw.median(s.cpu) / n * 1000:.3f} | {sw.median(s.rss):.0f} | {reqs} | {mif} |"
                )
            ratios.append(
                f"{n} links {kind}: patchcrawl/lychee = {walls['patchcrawl'] / walls['lychee']:.2f}"
                f"  (patchcrawl {walls['patchcrawl']:.3f} s, lychee {walls['lychee']:.3f} s)"
            )
            for floor in FLOORS.values():
                if floor in walls:
                    ratios.append(
                        f"{n} links {kind}: {floor}/lychee = "
                        f"{walls[floor] / walls['lychee']:.2f}  ({floor} {walls[floor]:.3f} s); "
                        f"patchcrawl/{floor} = {walls['patchcrawl'] / walls[floor]:.2f}"
                    )
        print(
            f"|  |  | caches |  |  |  |  |  | patchcrawl cache {res['cache_mb']:.1f} MB, "
            f".lycheecache {res['lycache_kb']:.0f} kB; warm hits {res['warm_hits']} |  |"
        )
    print()
    for line in ratios:
        print(line)
    print(
        "\nwhere the cold runs' time goes (server's log, medians): first request after the "
        "start, the crawl's span, the share of it the hosts' slots were busy, the idle gap "
        "between an answer and the slot's next request, last answer to exit\n"
    )
    print(
        "| links | tool | first request s | span s | slots busy | gap p50 ms "
        "| gap p99 ms | tail s |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for res in results:
        runs = res["res"]  # type: ignore[assignment]
        for tool in runs["cold"]:
            ts = runs["cold"][tool].timelines
            if not ts:
                continue

            def med(f: Callable[[sw.Timeline], float], ts: list[sw.Timeline] = ts) -> float:
                return sw.median(f(t) for t in ts)

            print(
                f"| {res['n']} | {tool} | {med(lambda t: t.first):.3f} | "
                f"{med(lambda t: t.span):.2f} | {med(lambda t: t.busy) * 100:.0f} % | "
                f"{med(lambda t: t.gap_p50) * 1000:.2f} | {med(lambda t: t.gap_p99) * 1000:.1f} | "
                f"{med(lambda t: t.tail):.3f} |"
            )


def sw_hosts() -> list[str]:
    return ["lore.kernel.org", "patchwork.kernel.org", "lwn.net"]


# --------------------------------------------------------------------------- conformance


def conformance(a: Args, tmp: Path) -> bool:
    """Spacing with an interval, and Retry-After, checked on the server's log."""
    ok = True
    links = sw.three_host_set(90, seed=3)
    work = tmp / "conf"
    docs_dir = work / "docs"
    docs = sw.write_documents(links.rows, docs_dir)
    interval = 0.05
    print(f"\npoliteness conformance (patchcrawl; lychee for comparison), {len(links.rows)} links")
    with sw.WebSet(sw.handler_for(links.world), links.hosts, a.latency) as web:
        rules = web.rules()
        for tool in ("patchcrawl", "lychee"):
            web.clear_log()
            if tool == "patchcrawl":
                argv = patchcrawl_argv(
                    a, rules, docs_dir, work / "c1", work / "p.json", interval=interval
                )
                r = sw.run_child(argv)
            else:
                argv = lychee_argv(a, rules, docs, work / "l.json", cache=False, interval=interval)
                r = sw.run_child(argv, cwd=work)
            spacing = web.min_spacing()
            mif = web.max_in_flight()
            # the server stamps a start when it has read the request head: allow 10%
            close = web.close_pairs(interval * 0.9)
            good = not any(close.values()) and max(mif.values()) <= a.conc
            if tool == "patchcrawl":
                ok &= good and r.rc in (0, 1)
            print(
                f"  {tool:10} interval {interval * 1000:.0f} ms: min spacing "
                + ", ".join(f"{h} {s * 1000:.1f} ms" for h, s in spacing.items())
                + f"; max in flight {mif}; wall {r.wall:.2f} s -> {'OK' if good else 'VIOLATED'}"
                + (f" (starts closer than 90%: {close})" if not good else "")
            )
        # Retry-After: the first request to one LWN article answers 429 + Retry-After: 1
        retry_after = 1.0
        for tool in ("patchcrawl", "lychee"):
            web.clear_log()
            lwn = web.webs["lwn.net"]
            target = next(u for u in links.urls if "lwn.net" in u)
            lwn.rate_limit(target, retry_after, times=1)
            if tool == "patchcrawl":
                argv = patchcrawl_argv(a, rules, docs_dir, work / "c2", work / "p.json")
                r = sw.run_child(argv)
            else:
                argv = lychee_argv(a, rules, docs, work / "l.json", cache=False)
                r = sw.run_child(argv, cwd=work)
            log = sorted(lwn.requests_for_host("lwn.net"), key=lambda x: x.start)
            first = next(x for x in log if x.status == 429)
            assert first.end is not None
            end = first.end
            during = [x for x in log if end + 0.05 < x.start < end + retry_after - 0.05]
            again = [x for x in log if x.url.endswith(target.split("//", 1)[1]) and x is not first]
            retried_after = (again[0].start - end) if again else float("nan")
            good = not during and bool(again) and retried_after >= retry_after - 0.05
            if tool == "patchcrawl":
                ok &= good
            print(
                f"  {tool:10} 429 + Retry-After: {retry_after:g} on one lwn.net URL: "
                f"retried {retried_after:.2f} s after the 429; {len(during)} other lwn.net "
                f"requests started during the pause -> {'OK' if good else 'NOT HONOURED'}"
            )
            lwn.clear()
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[600, 5000])
    ap.add_argument("--latency", type=float, default=0.030)
    ap.add_argument("--host-concurrency", type=int, default=4)
    ap.add_argument("--max-concurrency", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-conformance", action="store_true")
    ap.add_argument(
        "--floors",
        nargs="*",
        choices=list(FLOORS),
        default=["raw"],
        help="floor_client.py clients to time beside the cold runs",
    )
    ns = ap.parse_args(argv)
    sw.compile_patchcrawl()
    a = Args(ns.latency, ns.host_concurrency, ns.max_concurrency, ns.runs, tuple(ns.floors))
    tmp = Path(tempfile.mkdtemp(prefix="bench-lychee-"))
    try:
        results = [compare(n, a, tmp) for n in ns.sizes]
        report(results, a)
        ok = True if ns.no_conformance else conformance(a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
