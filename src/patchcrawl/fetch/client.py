"""``Fetcher``: polite, cached, remapped GETs, as a chain of small layers.

One logical ``get`` goes down the chain the way httpx's ``AsyncClient.send`` does
(``_send_handling_auth`` -> ``_send_handling_redirects`` -> ``_send_single_request``),
each layer owning one concern:

1. :class:`Fetcher` shares one get among the callers that ask for the same URL (and
   the same varying headers) at once;
2. :mod:`~patchcrawl.fetch.cache_policy`: the fresh answer, ``--offline``, the
   network-down short-circuit, revalidation (ETag/Last-Modified, 304), stale-if-error,
   what is stored;
3. :mod:`~patchcrawl.fetch.redirects`: the chain, hop by hop (loops, too many,
   non-http targets, fresh cached hops), each request shared while on the wire and a
   redirect remembered for the run;
4. :mod:`~patchcrawl.fetch.retry`: retries and pauses (backoff, Retry-After and its
   caps), each attempt in its host's politeness slot; evidence the network is down;
5. :mod:`~patchcrawl.fetch.wire`: one request through the transport (remap, the address
   guard, :mod:`~patchcrawl.fetch.engine`), the body read under its cap.

``get`` never raises for network trouble: it answers a
:class:`~patchcrawl.models.Response` whose ``error`` names what went wrong, one of the
closed set :data:`~patchcrawl.models.FetchErrorKind` (each kind, the layer that names it
and what it means: :mod:`patchcrawl.fetch.errors`).

Everything the caller sees is in the *original* URL space; only the transport
(:mod:`patchcrawl.fetch.remap`) sees remapped URLs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from types import TracebackType

from patchcrawl import USER_AGENT
from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.cache import ResponseCache, cache_key
from patchcrawl.fetch.cache_policy import CachePolicy
from patchcrawl.fetch.politeness import Politeness
from patchcrawl.fetch.redirects import Redirects
from patchcrawl.fetch.retry import Retries
from patchcrawl.fetch.state import EventHook, FetchEvent, FetchState, FetchStats
from patchcrawl.fetch.wire import Wire
from patchcrawl.models import Response
from patchcrawl.settings import Settings, remap_url

__all__ = ["EventHook", "FetchEvent", "FetchStats", "Fetcher"]


class Fetcher:
    """``async with Fetcher(settings) as f: resp = await f.get(url)``.

    ``transport`` replaces the HTTP engine under the remap layer and the address guard
    (an ``httpx.MockTransport`` in tests: no socket).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        cache: ResponseCache | None = None,
        on_event: EventHook | None = None,
        backoff: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._own_cache = cache is None and settings.cache_dir is not None
        extra = settings.extra.get("retry_backoff")
        self.backoff = float(
            backoff if backoff is not None else extra if isinstance(extra, int | float) else 0.5
        )
        self.stats = FetchStats()
        self.user_agent = settings.user_agent or USER_AGENT
        self._state = FetchState(settings, self.stats, on_event)
        # the chain, from the wire up
        self._wire = Wire(self._state, self.user_agent, transport)
        self._retries = Retries(self._state, self._wire, self.backoff)
        self._redirects = Redirects(self._state, self._retries)
        self._policy = CachePolicy(self._state, self._redirects, cache)
        self._pol: Politeness | None = None
        self._inflight: dict[tuple[str, bool], asyncio.Future[Response]] = {}

    @property
    def cache(self) -> ResponseCache | None:
        return self._policy.cache

    @cache.setter
    def cache(self, cache: ResponseCache | None) -> None:
        self._policy.cache = cache

    @property
    def on_event(self) -> EventHook | None:
        return self._state.on_event

    @on_event.setter
    def on_event(self, hook: EventHook | None) -> None:
        self._state.on_event = hook

    @property
    def network_down(self) -> bool:
        """Declared on evidence from several hosts (:mod:`patchcrawl.fetch.errors` [1])."""
        return self._state.network_down

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Fetcher:
        return self.enter()

    def enter(self) -> Fetcher:
        """What ``async with`` does on entry (nothing in it waits); :meth:`aclose` ends it."""
        s = self.settings
        if self._own_cache and s.cache_dir is not None:
            self.cache = ResponseCache(s.cache_dir)
        if self.cache is not None and s.remap:
            self.cache.wire = functools.partial(remap_url, s.remap)
        self._pol = Politeness(
            s.host_policy,
            s.max_concurrency,
            wait_seconds=self.stats.host_wait,
            waiting=self.stats.waiting,
        )
        self._retries.pol = self._pol
        self._wire.open(self._pol)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._wire.aclose()
        if self._own_cache and self.cache is not None:
            self.cache.close()
            self.cache = None

    # ------------------------------------------------------------------ public API

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        use_cache: bool = True,
    ) -> Response:
        """GET ``url`` (redirects followed); never raises for network trouble.

        Concurrent gets of the same normalised URL (and the same varying
        headers) share one request.
        """
        key = (cache_key(url, headers), use_cache)
        fut = self._inflight.get(key)
        if fut is None:
            fut = asyncio.ensure_future(self._policy.get(url, headers, use_cache))
            self._inflight[key] = fut

            def _done(f: asyncio.Future[Response], key: tuple[str, bool] = key) -> None:
                if self._inflight.get(key) is f:
                    del self._inflight[key]

            fut.add_done_callback(_done)
        resp = await asyncio.shield(fut)
        if resp.url != url:
            resp = dataclasses.replace(resp, url=url)
        return resp

    async def hop(self, url: str) -> Response:
        """One request for ``url``, its redirect not followed: where a link leads.

        lore's legacy patchwork ids answer with the message-id in their ``Location``,
        which is all a batch lookup needs (:mod:`patchcrawl.sources.lore_search`). The
        answer is kept in the cache apart from what :meth:`get` keeps (a redirect is
        not the page a :meth:`get` of ``url`` wants: ``ResponseCache.put_hop``) and
        answers while fresh (a legacy id's redirect never changes: lore's patchwork
        is frozen). A redirect is also remembered for the run (following the chain
        afterwards sends no second request for this hop), and any other answer is
        cached as :meth:`get` would cache it too (a 404 is not asked again).
        """
        return await self._policy.hop(url)

    def waiting(self) -> dict[str, int]:
        return self._pol.waiting() if self._pol is not None else {}
