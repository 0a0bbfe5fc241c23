"""The transport of the fetch layer (the fetcher hands it ``httpx.Request``s).

httpx is the client API (requests, responses, streaming, errors); the transport is
httpcore, httpx's own, with HTTP/2 where the server offers it (lore, patchwork and
git.kernel.org do: several requests share one connection, which is kinder to the
server) and HTTP/1.1 elsewhere.

Until issue #17 plain ``http`` went through aiohttp (a C parser: ~0.7 ms of CPU a
request on the loopback test web against httpcore's ~2.5 ms, in a benchmark that only
fetched; in a crawl 0.2-0.25 ms a request apart). Users never take that
path (kernel.org is https only), and at kernel.org's politeness over TLS the two tie
on wall time (``bench/bench_stack.py``, figures in ``bench/README.md``), so there is
one stack: the path the benchmarks measure is the path users run.

Its network backend does two things httpx has no option for: it connects a pinned
host at the addresses the address guard checked (``pin``), and it acknowledges what
it reads at once (``TCP_QUICKACK``, :class:`_QuickAckStream`).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore

from patchcrawl.fetch._httpx import httpx

#: host -> the addresses a connection to it must use (those the address guard checked),
#: or None to resolve the name as usual (``AddressGuard.pinned``)
Pin = Callable[[str], tuple[str, ...] | None]

#: Linux only; None elsewhere (and in ``bench/bench_stack.py``'s "before" runs)
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class _QuickAckStream(httpcore.AsyncNetworkStream):
    """A connection that sends its ACK as soon as it has read something.

    A server that writes the headers and then the body with Nagle's algorithm on
    (Python's ``http.server`` does) holds the body until the headers are
    acknowledged, and on a keep-alive connection Linux delays that ACK by up to 40 ms,
    hoping to carry it on the next request: every answer then takes 40 ms more
    (``testweb/stdlib_server.py``, ``bench/bench_stack.py``). ``TCP_QUICKACK`` sends
    the pending ACK now; Linux clears it again as it goes on, so it is set after
    every read (set once per connection it changes nothing: measured, 44 ms an
    answer either way). One ``setsockopt`` a read: 0.2 µs here.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket") if QUICKACK is not None else None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        if data and self._socket is not None and QUICKACK is not None:
            with contextlib.suppress(OSError):  # not TCP after all, or already closed
                self._socket.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _QuickAckStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with every connection a :class:`_QuickAckStream`;
    given a ``pin``, a pinned host is connected to by address (TLS still names the
    host: SNI and the certificate check use the original name)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, pin: Pin | None) -> None:
        self._inner = inner
        self._pin = pin

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        pins = (self._pin(host) if self._pin is not None else None) or (host,)
        error: Exception | None = None
        for address in pins:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
            else:
                return _QuickAckStream(stream)
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def make_transport(max_connections: int, pin: Pin | None = None) -> httpx.AsyncBaseTransport:
    """The transport every request goes through; with ``pin``, connections to a pinned
    host go to its pinned addresses only."""
    transport = httpx.AsyncHTTPTransport(
        verify=True,
        http2=True,
        retries=0,
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        ),
    )
    # httpx takes no network backend: the pool it made gets one before any connection
    pool = transport._pool
    inner = getattr(pool, "_network_backend", None)
    if not isinstance(inner, httpcore.AsyncNetworkBackend):
        raise RuntimeError("this httpcore keeps its network backend elsewhere")
    pool._network_backend = _Backend(inner, pin)
    return transport
