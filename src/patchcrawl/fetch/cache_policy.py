"""The first layer of the fetcher: what the cache answers, and what it keeps.

In this order, for one get (the cache itself is :mod:`patchcrawl.fetch.cache`):

1. a URL that is not http(s) with a host: ``scheme``, nothing sent;
2. ``--offline``: the cached answer of any age, else ``offline-miss``;
3. a cached answer younger than ``--max-age``: it, nothing sent;
4. the network declared down (``errors`` [1]): the stale answer, else ``network-down``;
5. else the redirect layer follows the chain, revalidating a stale answer that has an
   ETag or a Last-Modified (``If-None-Match``, ``If-Modified-Since``; a 304 makes it
   fresh again, its body kept);
6. a get that fails transiently (``errors.STALE_IF_ERROR``, a 5xx, a 429) answers with
   the stale answer when there is one (stale-if-error: an old answer beats none);
7. an answer worth keeping (``cache.cacheable``) is stored, and the page at the end of
   a chain also under its own URL.

:meth:`CachePolicy.hop` is the policy of one request whose redirect is not followed:
its answer is kept under an entry of its own (``ResponseCache.put_hop``), which answers
while fresh (at any age offline); offline or with the network down, a miss is
``offline-miss``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from patchcrawl.fetch.cache import ResponseCache, cacheable, normalize_url
from patchcrawl.fetch.errors import stale_if_error
from patchcrawl.fetch.redirects import REDIRECT_STATUSES, Conditional, NotModified, Redirects
from patchcrawl.fetch.state import FetchState
from patchcrawl.models import Response


def conditional_for(cached: Response | None) -> Conditional | None:
    """The revalidation of a stale 1xx/2xx ``cached`` answer, when it has validators."""
    if cached is None or cached.status is None or cached.status >= 300:
        return None
    validators: dict[str, str] = {}
    etag = cached.header("etag")
    lm = cached.header("last-modified")
    if etag:
        validators["if-none-match"] = etag
    if lm:
        validators["if-modified-since"] = lm
    return Conditional(normalize_url(cached.final_url), validators) if validators else None


class CachePolicy:
    """``await policy.get(url, headers, use_cache)``: one logical GET, redirects followed."""

    def __init__(
        self, state: FetchState, redirects: Redirects, cache: ResponseCache | None
    ) -> None:
        self._state = state
        self._redirects = redirects
        self.cache = cache

    def fresh(self, url: str, headers: Mapping[str, str] | None) -> Response | None:
        """The cached answer for ``url`` when it was fetched within ``--max-age``."""
        if self.cache is None:
            return None
        hit = self.cache.get(url, headers)
        return hit if hit is not None and self._is_fresh(hit) else None

    def _is_fresh(self, resp: Response) -> bool:
        """Fetched within ``--max-age``: good to answer without asking the server."""
        return time.time() - resp.fetched_at < self._state.settings.max_age

    async def get(self, url: str, headers: Mapping[str, str] | None, use_cache: bool) -> Response:
        bad = self._unusable(url)
        if bad is not None:
            return bad
        cached: Response | None = None
        if self.cache is not None and (use_cache or self._state.settings.offline):
            cached = self.cache.get(url, headers)
        early = self._without_wire(url, cached)
        if early is not None:
            return early
        got = await self._redirects.follow(url, headers, conditional_for(cached), self.fresh)
        if isinstance(got, NotModified):
            assert cached is not None
            return self._revalidated(url, headers, cached, got)
        if cached is not None and stale_if_error(got):
            self._state.stats.from_cache += 1  # stale-if-error: the old answer beats none
            return dataclasses.replace(cached, url=url)
        self._store(url, headers, got)
        return got

    def _unusable(self, url: str) -> Response | None:
        try:
            parts = urlsplit(url)
            host_ok = bool(parts.hostname)
        except ValueError as exc:
            return self._state.fail(url, "scheme", f"unusable URL: {exc}")
        if parts.scheme.lower() not in ("http", "https") or not host_ok:
            return self._state.fail(url, "scheme", f"not an http(s) URL: {url}")
        return None

    def _without_wire(self, url: str, cached: Response | None) -> Response | None:
        """The answer when none is to be asked of the network: offline, fresh, down."""
        state = self._state
        if state.settings.offline:
            if cached is None:
                return state.fail(url, "offline-miss", "offline and not in the cache")
            return self._hit(url, cached)
        if cached is not None and self._is_fresh(cached):
            return self._hit(url, cached)
        if state.network_down:
            if cached is not None:  # stale beats nothing when the network is gone
                state.stats.from_cache += 1
                return dataclasses.replace(cached, url=url)
            return state.fail(url, "network-down", "the network is unreachable")
        return None

    def _hit(self, url: str, cached: Response) -> Response:
        self._state.stats.from_cache += 1
        self._state.emit("cache", url, cached.status)
        return dataclasses.replace(cached, url=url)

    def _revalidated(
        self, url: str, headers: Mapping[str, str] | None, cached: Response, got: NotModified
    ) -> Response:
        """A 304 confirmed ``cached``: it is fresh again, from now."""
        now = time.time()
        self._state.stats.revalidated += 1
        self._state.stats.from_cache += 1
        if self.cache is not None:
            self.cache.touch(url, headers, now)
        return dataclasses.replace(
            cached,
            url=url,
            redirects=got.redirects if got.redirects else cached.redirects,
            fetched_at=now,
            from_cache=True,
            attempts=got.attempts,
        )

    def _store(self, url: str, headers: Mapping[str, str] | None, resp: Response) -> None:
        if self.cache is not None and cacheable(resp):
            self.cache.put(resp, headers)
            if resp.redirects and normalize_url(resp.final_url) != normalize_url(url):
                # the page at the end of the chain is an answer for its own URL too
                self.cache.put(dataclasses.replace(resp, url=resp.final_url, redirects=()), headers)

    async def hop(self, url: str) -> Response:
        """One request for ``url``, its redirect not followed (``Fetcher.hop``): its
        own cached answer under the policy of :meth:`get` (fresh, any age offline,
        stale when the network is down), else the wire."""
        state = self._state
        cached = self.cache.get_hop(url) if self.cache is not None else None
        early = self._without_wire(url, cached)
        if early is not None:
            return early
        out, attempts = await self._redirects.request(url, {})
        if out.error is not None:
            return state.fail(url, out.error, out.detail, attempts=attempts, status=out.status)
        resp = Response(
            url=url,
            final_url=url,
            status=out.status,
            headers=out.headers,
            body=out.body,
            fetched_at=time.time(),
            attempts=attempts,
        )
        if self.cache is not None:
            self.cache.put_hop(resp)
            if out.status not in REDIRECT_STATUSES:
                self._store(url, None, resp)
        return resp
