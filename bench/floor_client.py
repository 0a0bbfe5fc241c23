"""A floor to read the lychee comparison against: a Python program that only fetches.

Not part of patchcrawl.  It finds every ``http(s)://`` URL in the markdown files given,
applies ``--remap`` rules (lychee's and patchcrawl's form: ``REGEX REPLACEMENT`` with
``$1``), and GETs each unique URL once over plain HTTP/1.1 keep-alive connections,
``--host-concurrency`` per host, on asyncio (uvloop when installed). It reads no page,
keeps no cache, follows no redirect and writes no report: it prints how many URLs
answered 200 and exits 0 when all of them did. ``bench_lychee.py`` times it beside
both tools: whatever separates lychee from this floor, no checker on the same stack
can win back.

``--client httpx`` sends the same requests through ``httpx.AsyncClient`` as it ships
(its transport is httpcore); ``--client httpx-direct`` hands ``httpx.Request``s
straight to patchcrawl's transport (``fetch.engine``), as patchcrawl's fetcher does.
Both give the floor of a checker built on httpx, the design card's client.

With ``--urls FILE`` it sends instead the URLs listed there, one a line, duplicates
included, in that order (``bench_scale.py`` replays the requests patchcrawl made,
redirects and thread pages included, all known from the start), and exits 0 when
every one was answered with a status under 500.

Run: ``python bench/floor_client.py --host-concurrency 4 --remap 'R T' ... docs/*.md``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

CLIENTS = ("raw", "httpx", "httpx-direct")
URL = re.compile(rb"https?://[^\s)\]>|\"'`]+")


def remapper(rules: Sequence[str]) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for rule in rules:
        pat, _, repl = rule.partition(" ")
        out.append((re.compile(pat), re.sub(r"\$(\d)", r"\\\1", repl)))
    return out


def apply(url: str, rules: list[tuple[re.Pattern[str], str]]) -> str:
    for pat, repl in rules:
        if pat.match(url):
            return pat.sub(repl, url, count=1)
    return url


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    return status


async def worker(host: str, port: int, queue: list[str], results: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    while queue:
        target = queue.pop()
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: floor\r\n\r\n".encode()
        )
        results.append(await read_response(reader))
    writer.close()


async def httpx_worker(
    send: Callable[[str], Awaitable[int]], base: str, queue: list[str], results: list[int]
) -> None:
    while queue:
        results.append(await send(base + queue.pop()))


async def crawl(urls: list[str], conc: int, client: str = "raw") -> list[int]:
    by_host: dict[tuple[str, int], list[str]] = defaultdict(list)
    for url in urls:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        by_host[(parts.hostname or "", parts.port or 80)].append(target)
    results: list[int] = []
    for q in by_host.values():
        q.reverse()  # pop() from the end keeps the documents' order
    if client == "raw":
        await asyncio.gather(
            *(
                worker(host, port, queue, results)
                for (host, port), queue in by_host.items()
                for _ in range(min(conc, len(queue)))
            )
        )
        return results
    import httpx

    limit = conc * len(by_host)
    async with contextlib.AsyncExitStack() as stack:
        if client == "httpx-direct":  # as patchcrawl's fetcher: requests handed to it directly
            from patchcrawl.fetch.engine import make_transport

            transport = make_transport(limit)
            stack.push_async_callback(transport.aclose)

            async def send(url: str) -> int:
                resp = await transport.handle_async_request(httpx.Request("GET", url))
                await resp.aread()
                await resp.aclose()
                return resp.status_code

        else:
            limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
            c = await stack.enter_async_context(httpx.AsyncClient(limits=limits))

            async def send(url: str) -> int:
                return (await c.get(url)).status_code

        await asyncio.gather(
            *(
                httpx_worker(send, f"http://{host}:{port}", queue, results)
                for (host, port), queue in by_host.items()
                for _ in range(min(conc, len(queue)))
            )
        )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host-concurrency", type=int, default=4)
    ap.add_argument("--remap", action="append", default=[])
    ap.add_argument("--urls", help="send these URLs (one a line) instead")
    ap.add_argument("--client", choices=CLIENTS, default="raw")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(argv)
    rules = remapper(a.remap)
    seen: dict[str, None] = {}
    for name in a.files:
        with open(name, "rb") as f:
            for m in URL.finditer(f.read()):
                seen.setdefault(m.group().decode().rstrip(".,;:"), None)
    listed = list(seen)
    if a.urls:
        with open(a.urls, encoding="utf-8") as f:
            listed = [line.strip() for line in f if line.strip()]
    urls = [apply(u, rules) for u in listed]
    if any(not u.startswith("http://") for u in urls):
        print("floor_client: only plain http is handled (remap every host)", file=sys.stderr)
        return 2
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = asyncio.run(crawl(urls, a.host_concurrency, a.client))
    if a.urls:
        ok = sum(1 for s in results if s < 500)
        print(f"{ok} of {len(urls)} requests answered under 500")
    else:
        ok = sum(1 for s in results if s == 200)
        print(f"{ok} of {len(urls)} URLs answered 200")
    return 0 if ok == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
