"""``--remap`` as a transport wrapper: only the wire sees rewritten URLs.

The client builds every request (redirect hops included) with the URL in the
*original* space; this transport rewrites it with the first matching rule just
before it goes out, so reports, cache keys and politeness stay in original
space.  Requests no rule rewrote pass the safety guard (no loopback/private
targets); a remap target was chosen by the user and is allowed implicitly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from patchcrawl.settings import RemapRule, remap_url

Guard = Callable[[httpx.URL], Awaitable[None]]


class RemapTransport(httpx.AsyncBaseTransport):
    """Rewrite each request's URL with ``rules``; run ``guard`` on the ones left alone."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        rules: tuple[RemapRule, ...],
        guard: Guard | None = None,
    ) -> None:
        self._inner = inner
        self._rules = rules
        self._guard = guard

    def rewrite(self, url: str) -> str:
        return remap_url(self._rules, url) if self._rules else url

    async def get(
        self, url: str, headers: dict[str, str], extensions: dict[str, Any]
    ) -> httpx.Response:
        """GET ``url`` (original space): the request is built once, on the wire URL."""
        wire = self.rewrite(url)
        request = httpx.Request("GET", wire, headers=headers, extensions=extensions)
        if wire == url and self._guard is not None:
            await self._guard(request.url)
        return await self._inner.handle_async_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        original = str(request.url)
        wire = self.rewrite(original)
        if wire == original:
            if self._guard is not None:
                await self._guard(request.url)
            return await self._inner.handle_async_request(request)
        # Rewrite in place: the request object is ours (built per send by the client).
        new_url = httpx.URL(wire)
        request.url = new_url
        request.headers["host"] = new_url.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
