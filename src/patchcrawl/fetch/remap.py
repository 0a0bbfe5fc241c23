"""``--remap`` in front of the transport: only the wire sees rewritten URLs.

The fetcher asks for every request (redirect hops included) with the URL in the
*original* space; :meth:`RemapTransport.get` rewrites it with the first matching
rule and builds the ``httpx.Request`` on the rewritten URL just before it goes out,
so reports, cache keys and politeness stay in original space.  Requests no rule
rewrote pass the safety guard (no loopback/private targets); a remap target was
chosen by the user and is allowed implicitly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from patchcrawl.fetch._httpx import httpx
from patchcrawl.settings import RemapRule, remap_url

Guard = Callable[[httpx.URL], Awaitable[None]]


class RemapTransport:
    """Rewrite each request's URL with ``rules``; run ``guard`` on the ones left alone;
    hand the request to the ``inner`` transport (the engine)."""

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

    async def aclose(self) -> None:
        await self._inner.aclose()
