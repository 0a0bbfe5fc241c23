"""The ``http`` transport: aiohttp, whose HTTP/1.1 parser is in C (see
:mod:`patchcrawl.fetch.engine`). Imported only when a request goes to ``http``."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import yarl

from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.engine import Pin

_CHUNK = 65536


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
