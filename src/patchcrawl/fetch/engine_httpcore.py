"""The ``https`` transport: httpcore, httpx's own, with HTTP/2 (see
:mod:`patchcrawl.fetch.engine`). Imported only when a request goes to ``https``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore

from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.engine import Pin


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


def transport(max_connections: int, pin: Pin | None = None) -> httpx.AsyncBaseTransport:
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
