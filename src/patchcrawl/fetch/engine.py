"""The transports of the fetch layer (the fetcher hands them ``httpx.Request``s).

httpx is the client API everywhere (requests, responses, streaming, content
decoding, errors); a transport only moves bytes. Two are used:

* ``https``: httpcore, httpx's own transport, with HTTP/2 where the server offers it
  (lore, patchwork and git.kernel.org do): several requests share one connection,
  which is kinder to the server.
* ``http``: aiohttp, whose HTTP/1.1 parser is in C. On the local test web httpcore's
  pure-Python HTTP/1.1 path costs about 2.3-2.8 ms of CPU per request (20 kB page),
  httpx over this transport 0.6-0.7 ms (``bench/bench_http_engines.py``); a crawl of
  thousands of links at low latency is CPU-bound on that difference. At kernel.org's
  politeness (4 per host, 0.25 s apart) the client is idle most of the time, so
  HTTP/2's extra CPU costs no wall time there.

``PATCHCRAWL_HTTP_ENGINE=aiohttp`` sends every request through aiohttp (no HTTP/2),
``=httpcore`` every request through httpcore (as before this module existed).
Errors are mapped onto httpx's exception classes, so the fetcher sees one family.
Given a ``pin`` (the address guard's), both connect to a checked host only at the
addresses it was checked at: aiohttp through its resolver, httpcore through its
network backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from patchcrawl.fetch._httpx import httpx

ENGINES = ("auto", "aiohttp", "httpcore")

#: host -> the addresses a connection to it must use (those the address guard checked),
#: or None to resolve the name as usual (``AddressGuard.pinned``)
Pin = Callable[[str], tuple[str, ...] | None]


Maker = Callable[[], httpx.AsyncBaseTransport]


class _ByScheme(httpx.AsyncBaseTransport):
    """``https`` through one transport, everything else through the other, each made
    (and its library imported) on the first request of its scheme.

    A run whose requests all go to ``https`` (kernel.org) never imports aiohttp
    (~0.2 s, most of it two TLS contexts aiohttp makes when imported); one whose
    requests all go to ``http`` (a ``--remap`` to a local mirror, the test web) never
    imports httpcore, h2 and hpack (~0.1 s).
    """

    def __init__(self, secure: Maker, plain: Maker) -> None:
        self._makers = {True: secure, False: plain}
        self._made: dict[bool, httpx.AsyncBaseTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tls = request.url.scheme == "https"
        transport = self._made.get(tls)
        if transport is None:
            transport = self._made[tls] = self._makers[tls]()
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._made.values():
            await transport.aclose()


def engine_name() -> str:
    name = os.environ.get("PATCHCRAWL_HTTP_ENGINE", "auto").strip().lower() or "auto"
    return name if name in ENGINES else "auto"


def make_transport(max_connections: int, pin: Pin | None = None) -> httpx.AsyncBaseTransport:
    """The transport every request goes through (see the module documentation); with
    ``pin``, connections to a pinned host go to its pinned addresses only."""

    def secure() -> httpx.AsyncBaseTransport:
        from patchcrawl.fetch import engine_httpcore

        return engine_httpcore.transport(max_connections, pin)

    def plain() -> httpx.AsyncBaseTransport:
        from patchcrawl.fetch.engine_aiohttp import AiohttpTransport

        return AiohttpTransport(max_connections=max_connections, pin=pin)

    name = engine_name()
    if name == "httpcore":
        return secure()
    if name == "aiohttp":
        return plain()
    return _ByScheme(secure, plain)
