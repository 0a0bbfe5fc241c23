"""CPU per request of the HTTP engines under patchcrawl's httpx client (loopback only).

Starts a KernelWeb on 127.0.0.1 that answers every GET with a 20 kB page (no added
latency) and fetches N URLs, 12 at a time, with:

* ``httpcore``: ``httpx.AsyncClient`` on httpx's own transport (HTTP/1.1 here);
* ``aiohttp-under-httpx``: ``httpx.AsyncClient`` on
  ``patchcrawl.fetch.engine_aiohttp.AiohttpTransport``
  (what patchcrawl used for ``http`` until the fetcher stopped using ``AsyncClient``);
* ``aiohttp-transport-direct``: an ``httpx.Request`` handed straight to that transport,
  as the fetcher does now;
* ``aiohttp``: a bare ``aiohttp.ClientSession``, as the floor.

The figure is the client thread's own CPU time (``time.thread_time``; the server runs
in another thread of the same process) per request; runs alternate, medians printed.

Run: ``.venv/bin/python bench/bench_http_engines.py [--requests 3000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import aiohttp  # noqa: E402
import httpx  # noqa: E402

from patchcrawl.fetch.engine_aiohttp import AiohttpTransport  # noqa: E402
from patchcrawl.testweb.http import WebRequest, WebResponse  # noqa: E402
from patchcrawl.testweb.server import KernelWeb  # noqa: E402

BODY = b"<html><body>" + b"x" * 20_000 + b"</body></html>"
PARALLEL = 12


def handler(req: WebRequest) -> WebResponse:
    return WebResponse(200, {"content-type": "text/html"}, BODY)


async def _many(one: Callable[[int], Awaitable[int]], n: int) -> None:
    sem = asyncio.Semaphore(PARALLEL)

    async def guarded(i: int) -> None:
        async with sem:
            size = await one(i)
            assert size == len(BODY), size

    await asyncio.gather(*(guarded(i) for i in range(n)))


async def via_httpx(transport: httpx.AsyncBaseTransport, port: int, n: int) -> None:
    async with httpx.AsyncClient(transport=transport) as client:

        async def one(i: int) -> int:
            async with client.stream("GET", f"http://127.0.0.1:{port}/x/{i}") as r:
                return len(b"".join([c async for c in r.aiter_bytes()]))

        await _many(one, n)


async def direct_transport(transport: httpx.AsyncBaseTransport, port: int, n: int) -> None:
    """``httpx.Request`` handed straight to the transport, as the fetcher does: no
    ``AsyncClient`` (no cookie jar, no header merging, no redirect loop)."""
    headers = {"user-agent": "bench", "accept": "*/*", "accept-encoding": "gzip, deflate"}
    timeout = {"timeout": {"connect": 30.0, "read": 30.0, "write": 30.0, "pool": 30.0}}

    async def one(i: int) -> int:
        req = httpx.Request(
            "GET", f"http://127.0.0.1:{port}/x/{i}", headers=headers, extensions=timeout
        )
        r = await transport.handle_async_request(req)
        try:
            return len(b"".join([c async for c in r.aiter_bytes()]))
        finally:
            await r.aclose()

    try:
        await _many(one, n)
    finally:
        await transport.aclose()


async def bare_aiohttp(port: int, n: int) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=PARALLEL)) as s:

        async def one(i: int) -> int:
            async with s.get(f"http://127.0.0.1:{port}/x/{i}") as r:
                return len(await r.read())

        await _many(one, n)


def engines(port: int, n: int) -> dict[str, Callable[[], Awaitable[None]]]:
    return {
        "httpcore": lambda: via_httpx(
            httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=PARALLEL)), port, n
        ),
        "aiohttp-under-httpx": lambda: via_httpx(
            AiohttpTransport(max_connections=PARALLEL), port, n
        ),
        "aiohttp-transport-direct": lambda: direct_transport(
            AiohttpTransport(max_connections=PARALLEL), port, n
        ),
        "aiohttp": lambda: bare_aiohttp(port, n),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ns = ap.parse_args(argv)
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    with KernelWeb(handler) as web:
        for _ in range(ns.runs):
            for name, make in engines(web.port, ns.requests).items():
                t0, w0 = time.thread_time(), time.perf_counter()
                asyncio.run(make())  # type: ignore[arg-type]
                cpu.setdefault(name, []).append((time.thread_time() - t0) / ns.requests)
                wall.setdefault(name, []).append(time.perf_counter() - w0)
    print(
        f"\n{ns.requests} GETs of a {len(BODY) // 1000} kB page, {PARALLEL} at a time, "
        f"loopback, {ns.runs} runs, medians\n"
    )
    print("| engine | client CPU ms/request | wall s |")
    print("|---|---:|---:|")
    for name in cpu:
        print(
            f"| {name} | {statistics.median(cpu[name]) * 1000:.3f} "
            f"| {statistics.median(wall[name]):.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
