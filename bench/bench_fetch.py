"""Fetch benchmarks on the local simulated web (nothing leaves 127.0.0.1).

(a) politeness-bound throughput: N unique links over H hosts, fixed server latency;
    prints wall time, the bound the politeness settings allow, and their ratio.
(b) memory: 20,000 links answered from the cache; prints tracemalloc peak and ru_maxrss.

Run: ``.venv/bin/python bench/bench_fetch.py`` (both parts, each in a fresh process),
or ``--part throughput`` / ``--part memory``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from patchcrawl.fetch import Fetcher, ResponseCache  # noqa: E402
from patchcrawl.models import Response  # noqa: E402
from patchcrawl.settings import RemapRule, Settings  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def politeness_bound(
    per_host: list[int], concurrency: int, interval: float, latency: float
) -> float:
    """The fastest a polite crawl can finish: the slowest host decides.

    A host with n requests needs at least ceil(n / concurrency) rounds of one
    latency each (the cap), and its starts are at least ``interval`` apart:
    the last one starts at (n - 1) * interval and takes one latency.
    """
    return max(
        max(math.ceil(n / concurrency) * latency, (n - 1) * interval + latency) for n in per_host
    )


async def _crawl(settings: Settings, urls: list[str]) -> tuple[float, Fetcher]:
    async with Fetcher(settings) as f:
        t0 = time.perf_counter()
        rs = await asyncio.gather(*(f.get(u) for u in urls))
        dt = time.perf_counter() - t0
    bad = [r for r in rs if r.status != 200]
    if bad:
        raise SystemExit(f"{len(bad)} failed, e.g. {bad[0]}")
    return dt, f


def throughput(links: int, hosts: int, latency: float, conc: int, interval: float) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "patchcrawl.testweb.server",
            "--port",
            str(port),
            "--static",
            "--latency",
            str(latency),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        rule = RemapRule.parse(rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{port}/$1$2")
        settings = Settings(
            remap=(rule,),
            host_concurrency=conc,
            host_interval=interval,
            max_concurrency=64,
            timeout=10.0,
            retries=0,
            progress=False,
        )
        names = [f"host{h}.example.org" for h in range(hosts)]
        urls = [f"https://{names[i % hosts]}/all/msg-{i}@example.org/" for i in range(links)]
        per_host = [sum(1 for i in range(links) if i % hosts == h) for h in range(hosts)]
        # warm-up (interpreter, imports, connections) on other URLs
        asyncio.run(_crawl(settings, [u.replace("/all/", "/warm/") for u in urls[: hosts * conc]]))
        trials = []
        for t in range(3):  # fresh URLs each trial (nothing cached, no coalescing across)
            turls = [u.replace("/all/", f"/t{t}/") for u in urls]
            dt, f = asyncio.run(_crawl(settings, turls))
            trials.append(dt)
        dt = sorted(trials)[1]
        bound = politeness_bound(per_host, conc, interval, latency)
        kind = (
            "latency x rounds"
            if math.ceil(max(per_host) / conc) * latency >= (max(per_host) - 1) * interval
            else "interval"
        )
        print("(a) throughput")
        print(
            f"    links {links} over {hosts} hosts ({per_host}),"
            f" server latency {latency * 1000:.0f} ms"
        )
        print(f"    settings: host-concurrency {conc}, host-interval {interval} s")
        print(f"    requests sent {f.stats.requests}")
        print(
            f"    wall time       {dt:.3f} s  (median of {', '.join(f'{t:.3f}' for t in trials)})"
        )
        print(f"    politeness bound {bound:.3f} s  ({kind} dominates)")
        print(f"    ratio            {dt / bound:.3f}  (target <= 1.15)")
    finally:
        server.terminate()
        server.wait(5)


def memory(links: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = os.path.join(tmp, "cache")
        now = time.time()
        filler = (
            "<html><head><title>[PATCH v3 {i}/9] bpf: a plausible subject line {i}</title></head>"
            "<body><pre>From: Some Developer &lt;dev{i}@example.org&gt;\n"
            + "This is a plausible patch body line with a few words in it.\n" * 60
            + "</pre></body></html>"
        )
        t0 = time.perf_counter()
        with ResponseCache(cache_dir) as cache:
            for i in range(links):
                url = f"https://lore.kernel.org/all/msg-{i}@example.org/"
                cache.put(
                    Response(
                        url=url,
                        final_url=url,
                        status=200,
                        headers=(("content-type", "text/html; charset=utf-8"),),
                        body=filler.format(i=i).encode(),
                        fetched_at=now,
                    )
                )
        fill = time.perf_counter() - t0
        settings = Settings(cache_dir=cache_dir, progress=False)
        urls = [f"https://lore.kernel.org/all/msg-{i}@example.org/" for i in range(links)]

        async def run() -> tuple[int, int]:
            hits = total = 0
            async with Fetcher(settings) as f:
                queue: asyncio.Queue[str] = asyncio.Queue()
                for u in urls:
                    queue.put_nowait(u)

                async def worker() -> None:
                    nonlocal hits, total
                    while not queue.empty():
                        r = await f.get(queue.get_nowait())
                        total += len(r.body)
                        hits += r.from_cache

                await asyncio.gather(*(worker() for _ in range(64)))
                assert f.stats.requests == 0
            return hits, total

        tracemalloc.start()
        t0 = time.perf_counter()
        hits, total = asyncio.run(run())
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print("(b) memory")
        print(
            f"    {links} links answered from the cache"
            f" ({hits} hits, {total / 1e6:.1f} MB of bodies)"
        )
        print(f"    cache fill {fill:.1f} s, answering {dt:.1f} s (under tracemalloc)")
        print(f"    tracemalloc peak {peak / 1e6:.1f} MB")
        print(f"    ru_maxrss        {rss:.1f} MB  (target < 200 MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["throughput", "memory", "all"], default="all")
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.030)
    ap.add_argument("--host-concurrency", type=int, default=4)
    ap.add_argument("--host-interval", type=float, default=0.005)
    ap.add_argument("--cached-links", type=int, default=20_000)
    args = ap.parse_args()
    if args.part == "all":
        for part in ("throughput", "memory"):
            subprocess.run([sys.executable, __file__, "--part", part, *sys.argv[1:]], check=True)
        return
    if args.part == "throughput":
        throughput(args.links, args.hosts, args.latency, args.host_concurrency, args.host_interval)
    else:
        memory(args.cached_links)


if __name__ == "__main__":
    main()
