"""``--remap`` in front of the transport: only the wire sees rewritten URLs.

The fetcher asks for every request (redirect hops included) with the URL in the
*original* space; :meth:`RemapTransport.get` rewrites it with the first matching
rule and builds the ``httpx.Request`` on the rewritten URL just before it goes out,
so reports, cache keys and politeness stay in original space.  Every request
passes the safety guard (no loopback/private targets) unless a rule rewrote it to the
host its replacement names literally: that target the user chose, and only that one
(a rule that keeps the URL's own host, such as one dropping query strings, trusts
nothing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from patchcrawl.fetch._httpx import httpx
from patchcrawl.settings import RemapRule, remap_url

Guard = Callable[[httpx.URL], Awaitable[None]]


class RemapTransport:
    """Rewrite each request's URL with ``rules``; run ``guard`` on the ones left alone;
    hand the request to the ``inner`` transport (:mod:`patchcrawl.fetch.engine`)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        rules: tuple[RemapRule, ...],
        guard: Guard | None = None,
    ) -> None:
        self._inner = inner
        self._rules = rules
        self._guard = guard
        self._trusted = frozenset(t for r in rules if (t := r.target) is not None)

    def rewrite(self, url: str) -> str:
        return remap_url(self._rules, url) if self._rules else url

    async def get(
        self, url: str, headers: dict[str, str], extensions: dict[str, Any]
    ) -> httpx.Response:
        """GET ``url`` (original space): the request is built once, on the wire URL."""
        wire = self.rewrite(url)
        request = httpx.Request("GET", wire, headers=headers, extensions=extensions)
        if self._guard is not None and not (wire != url and self._chosen(request.url)):
            await self._guard(request.url)
        return await self._inner.handle_async_request(request)

    def _chosen(self, url: httpx.URL) -> bool:
        """Is ``url`` on a host a rule's replacement names (the user's own server)?"""
        port = url.port or (443 if url.scheme == "https" else 80)
        for target in self._trusted:
            chosen = httpx.URL(f"{url.scheme}://{target}/")
            if chosen.host == url.host and (chosen.port or port) == port:
                return True
        return False

    async def aclose(self) -> None:
        await self._inner.aclose()
