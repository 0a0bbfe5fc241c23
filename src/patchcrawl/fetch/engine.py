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
import socket
from collections.abc import AsyncIterator, Callable, Iterable
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpcore
import yarl

from patchcrawl.fetch._httpx import httpx

_CHUNK = 65536
ENGINES = ("auto", "aiohttp", "httpcore")

#: host -> the addresses a connection to it must use (those the address guard checked),
#: or None to resolve the name as usual (``AddressGuard.pinned``)
Pin = Callable[[str], tuple[str, ...] | None]


class _PinnedResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's name resolution, but a pinned host gets its pinned addresses."""

    def __init__(self, pin: Pin) -> None:
        self._pin = pin
        self._default: aiohttp.abc.AbstractResolver | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        pins = self._pin(host)
        if pins is None:
            if self._default is None:
                self._default = aiohttp.DefaultResolver()
            return await self._default.resolve(host, port, family)
        out: list[aiohttp.abc.ResolveResult] = []
        for ip in pins:
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            if family in (socket.AF_UNSPEC, fam):
                out.append(
                    {
                        "hostname": host,
                        "host": ip,
                        "port": port,
                        "family": fam,
                        "proto": 0,
                        "flags": socket.AI_NUMERICHOST,
                    }
                )
        if not out:
            raise OSError(f"{host}: no checked address of the family asked for")
        return out

    async def close(self) -> None:
        if self._default is not None:
            await self._default.close()


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, but a pinned host is connected to by address (TLS
    still names the host: SNI and the certificate check use the original name)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, pin: Pin) -> None:
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
        pins = self._pin(host) or (host,)
        error: Exception | None = None
        for address in pins:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
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


def _map_error(exc: BaseException) -> httpx.TransportError:
    """The httpx exception the fetcher knows for an aiohttp one."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return httpx.ConnectError(f"TLS certificate/handshake: {text}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(text)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(f"truncated or malformed body: {text}")
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return httpx.ReadError(text)
    if isinstance(exc, aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(text)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(f"invalid URL: {text}")
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout(text)
    return httpx.TransportError(text)


class _Body(httpx.AsyncByteStream):
    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.content.iter_chunked(_CHUNK):
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _map_error(exc) from exc

    async def aclose(self) -> None:
        self._resp.release()


async def _headers_sent(
    session: aiohttp.ClientSession, ctx: SimpleNamespace, params: object
) -> None:
    """httpcore's ``trace`` extension, for aiohttp: the request line and headers are
    written (the fetcher's politeness counts the spacing from this moment)."""
    request_ctx = getattr(ctx, "trace_request_ctx", None)
    trace = request_ctx.get("trace") if isinstance(request_ctx, dict) else None
    if trace is not None:
        await trace("http11.send_request_headers.complete", {})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Any method over aiohttp: no redirects followed, no decompression, TLS verified,
    no cookies, no proxy from the environment, at most ``max_connections`` open."""

    def __init__(
        self, *, max_connections: int, keepalive_expiry: float = 30.0, pin: Pin | None = None
    ) -> None:
        self._max = max_connections
        self._keepalive = keepalive_expiry
        self._pin = pin
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max,
                limit_per_host=0,  # the per-host limits are the fetcher's politeness
                keepalive_timeout=self._keepalive,
                # aiohttp's own verified context, made when it is imported (loading
                # the CA bundle takes ~40 ms: not again here, nor after a slot is taken)
                ssl=True,
                resolver=_PinnedResolver(self._pin) if self._pin is not None else None,
            )
            tracing = aiohttp.TraceConfig()
            tracing.on_request_headers_sent.append(_headers_sent)
            self._session = aiohttp.ClientSession(
                trace_configs=[tracing],
                connector=connector,
                auto_decompress=False,  # httpx decodes Content-Encoding itself
                timeout=aiohttp.ClientTimeout(total=None),  # the fetcher times requests
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            # aiohttp silently sends an idempotent request again when the server
            # drops the connection: every retry is the fetcher's (counted, spaced,
            # within --retries), so that one is turned off; tests/test_cache.py's
            # connection-reset case fails should a new aiohttp version ignore this
            self._session._retry_connection = False
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._open()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        body = await request.aread() if request.method not in ("GET", "HEAD") else None
        trace = request.extensions.get("trace")
        try:
            resp = await session.request(
                request.method,
                # exactly as httpx encoded it: yarl would otherwise re-normalise the
                # escapes (``%2F`` in a query, in a message-id...)
                yarl.URL(str(request.url), encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
                trace_request_ctx={"trace": trace} if trace is not None else None,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _map_error(exc) from exc
        version = f"HTTP/{resp.version.major}.{resp.version.minor}" if resp.version else ""
        return httpx.Response(
            status_code=resp.status,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers],
            stream=_Body(resp),
            request=request,
            extensions={"http_version": version.encode("ascii")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


class _ByScheme(httpx.AsyncBaseTransport):
    """``https`` through one transport, everything else through the other.

    The ``https`` one is made on the first ``https`` request: httpcore with HTTP/2
    imports h2 and hpack (~0.15 s), which a run whose requests all go to ``http``
    (a ``--remap`` to a local mirror, the test web) never needs.
    """

    def __init__(
        self, secure: Callable[[], httpx.AsyncBaseTransport], plain: httpx.AsyncBaseTransport
    ) -> None:
        self._make_secure = secure
        self._secure: httpx.AsyncBaseTransport | None = None
        self._plain = plain

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return await self._plain.handle_async_request(request)
        if self._secure is None:
            self._secure = self._make_secure()
        return await self._secure.handle_async_request(request)

    async def aclose(self) -> None:
        await self._plain.aclose()
        if self._secure is not None:
            await self._secure.aclose()


def _httpcore(max_connections: int, pin: Pin | None = None) -> httpx.AsyncBaseTransport:
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
    if pin is not None:
        # httpx takes no network backend: the pool it made gets one before any connection
        pool = transport._pool
        inner = getattr(pool, "_network_backend", None)
        if not isinstance(inner, httpcore.AsyncNetworkBackend):
            raise RuntimeError("this httpcore keeps its network backend elsewhere")
        pool._network_backend = _PinnedBackend(inner, pin)
    return transport


def engine_name() -> str:
    name = os.environ.get("PATCHCRAWL_HTTP_ENGINE", "auto").strip().lower() or "auto"
    return name if name in ENGINES else "auto"


def make_transport(max_connections: int, pin: Pin | None = None) -> httpx.AsyncBaseTransport:
    """The transport every request goes through (see the module documentation); with
    ``pin``, connections to a pinned host go to its pinned addresses only."""
    name = engine_name()
    if name == "httpcore":
        return _httpcore(max_connections, pin)
    fast = AiohttpTransport(max_connections=max_connections, pin=pin)
    if name == "aiohttp":
        return fast
    return _ByScheme(lambda: _httpcore(max_connections, pin), fast)
