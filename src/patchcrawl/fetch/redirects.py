"""The second layer of the fetcher: redirects, followed hop by hop.

Each hop is one request of the layer below (:mod:`patchcrawl.fetch.retry`), shared
while it is on the wire by every chain that needs it (a chain that reaches a page
another link asks for directly shares that request), and a redirect answered is
remembered for the run (``_redirected``: only its Location is kept). A hop whose target
has a fresh answer in the cache ends the chain there, unless that answer's own chain
leads back into this one.

A chain ends with ``too-many-redirects`` after ``--max-redirects`` hops, with
``redirect-loop`` on a Location back to a URL of the chain, with ``scheme`` on a
Location that is not a usable http(s) URL. Locations are resolved against the URL
asked for in the *original* space (the remapped URL is only on the wire), so a remapped
server's relative Location stays on the original host.

The cache policy above may ask for a conditional request: its validators go on the hop
whose URL is the cached answer's final URL, and a 304 there ends the chain with
:class:`NotModified`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from patchcrawl.fetch.cache import normalize_url
from patchcrawl.fetch.retry import Retries
from patchcrawl.fetch.state import FetchState
from patchcrawl.fetch.wire import Outcome
from patchcrawl.models import FetchErrorKind, Hop, Response

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})

_Key = tuple[str, tuple[tuple[str, str], ...]]
#: a fresh cached answer for a URL, or None (the cache policy's ``fresh``)
Lookup = Callable[[str, Mapping[str, str] | None], Response | None]


@dataclass(frozen=True, slots=True)
class Conditional:
    """Revalidate a stale cached answer: ``validators`` go on the hop reaching ``url``."""

    url: str  # the cached answer's final URL, normalised
    validators: dict[str, str]  # if-none-match, if-modified-since


@dataclass(frozen=True, slots=True)
class NotModified:
    """The conditional hop answered 304: the cached answer stands."""

    redirects: tuple[Hop, ...]  # the hops before it
    attempts: int


@dataclass(slots=True)
class _Chain:
    """Where one chain of redirects is."""

    url: str  # the URL asked for
    current: str  # the URL of the next hop
    hops: list[Hop] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    attempts: int = 0

    def answer(self, out: Outcome) -> Response:
        return Response(
            url=self.url,
            final_url=self.current,
            status=out.status,
            headers=out.headers,
            body=out.body,
            redirects=tuple(self.hops),
            fetched_at=time.time(),
            attempts=self.attempts,
        )


class Redirects:
    """``await redirects.follow(url, headers, cond, fresh)``: the end of the chain."""

    def __init__(self, state: FetchState, retries: Retries) -> None:
        self._state = state
        self._retries = retries
        # one HTTP request (no redirect followed) per URL and headers while it is on
        # the wire, and the redirects answered in this run
        self._sending: dict[_Key, asyncio.Future[Any]] = {}
        self._redirected: dict[_Key, Outcome] = {}

    async def follow(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        cond: Conditional | None,
        fresh: Lookup,
    ) -> Response | NotModified:
        chain = _Chain(url, url, seen={normalize_url(url)})
        while True:
            req_headers = dict(headers or {})
            conditional = cond is not None and normalize_url(chain.current) == cond.url
            if cond is not None and conditional:
                req_headers.update(cond.validators)
            elif chain.hops and (hit := self._cached_hop(chain, headers, fresh)) is not None:
                return hit
            out, n = await self.request(chain.current, req_headers)
            chain.attempts += n
            if out.error is not None:
                return self._state.fail(
                    url,
                    out.error,
                    out.detail,
                    final_url=chain.current,
                    redirects=tuple(chain.hops),
                    attempts=chain.attempts,
                    status=out.status,  # a 429 given up keeps its status
                )
            if out.status == 304 and conditional:
                return NotModified(tuple(chain.hops), chain.attempts)
            location = out.header("location")
            if out.status not in REDIRECT_STATUSES or not location:
                return chain.answer(out)
            assert out.status is not None
            stop = self._hop(chain, out.status, location.strip())
            if stop is not None:
                return stop

    def _hop(self, chain: _Chain, status: int, location: str) -> Response | None:
        """Take the redirect to ``location``; the error that ends the chain, if any."""
        try:
            target = urljoin(chain.current, location)
            scheme = urlsplit(target).scheme.lower()
            norm = normalize_url(target)
        except ValueError:  # "http://[::1", a port that is no number...
            detail = f"redirect to an unusable URL: {location[:200]!r}"
            hops = tuple(chain.hops)
            return self._state.fail(
                chain.url, "scheme", detail, redirects=hops, attempts=chain.attempts
            )
        chain.hops.append(Hop(chain.current, status, target, status in PERMANENT_STATUSES))
        stop = self._why_stop(chain, target, scheme, norm)
        if stop is not None:
            kind, detail = stop
            hops = tuple(chain.hops)
            return self._state.fail(
                chain.url, kind, detail, final_url=target, redirects=hops, attempts=chain.attempts
            )
        chain.seen.add(norm)
        chain.current = target
        return None

    def _why_stop(
        self, chain: _Chain, target: str, scheme: str, norm: str
    ) -> tuple[FetchErrorKind, str] | None:
        """Why the chain may not go on to ``target`` (its hop counted already)."""
        most = self._state.settings.max_redirects
        if scheme not in ("http", "https"):
            return "scheme", f"redirect to a non-http URL: {target}"
        if norm in chain.seen:
            return "redirect-loop", f"redirect loop back to {target}"
        if len(chain.hops) > most:
            return "too-many-redirects", f"more than {most} redirects"
        return None

    def _cached_hop(
        self, chain: _Chain, headers: Mapping[str, str] | None, fresh: Lookup
    ) -> Response | None:
        """The chain ended by a fresh cached answer for its next hop, unless that answer's
        own chain loops back into this one."""
        hit = fresh(chain.current, headers)
        if hit is None or any(
            h.location is not None and normalize_url(h.location) in chain.seen
            for h in hit.redirects
        ):
            return None
        self._state.stats.from_cache += 1
        return dataclasses.replace(
            hit,
            url=chain.url,
            redirects=tuple(chain.hops) + hit.redirects,
            attempts=chain.attempts,
            from_cache=False,
        )

    async def request(self, url: str, headers: dict[str, str]) -> tuple[Outcome, int]:
        """One request (redirect not followed), shared by every chain that needs the same
        one at once; a redirect is answered from memory for the rest of the run.
        Returns the outcome and the requests this caller sent (0 when shared)."""
        key = (normalize_url(url), tuple(sorted(headers.items())))
        done = self._redirected.get(key)
        if done is not None:
            return done, 0
        fut = self._sending.get(key)
        if fut is not None:
            out, _ = await asyncio.shield(fut)
            assert isinstance(out, Outcome)
            return out, 0
        fut = asyncio.ensure_future(self._retries.attempts(url, headers))
        self._sending[key] = fut
        try:
            out, n = await asyncio.shield(fut)
        finally:
            if self._sending.get(key) is fut:
                del self._sending[key]
        assert isinstance(out, Outcome)
        if out.status in REDIRECT_STATUSES:
            # kept for the whole run: only what following the chain reads
            location = tuple(h for h in out.headers if h[0] == "location")
            self._redirected[key] = Outcome(status=out.status, headers=location)
        return out, n
