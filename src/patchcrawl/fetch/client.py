"""``Fetcher``: polite, cached, remapped GETs through one httpx transport stack.

Requests are ``httpx.Request`` objects handed to the transport (remap, then the
transport of :mod:`patchcrawl.fetch.engine`), not sent through ``httpx.AsyncClient``:
the fetcher follows redirects, times requests and sets its headers itself, and the
client's cookie jar, header merging and redirect loop cost about a fifth of a
millisecond of CPU per request for nothing it uses (measured with
``bench/bench_http_engines.py``, removed with the aiohttp transport in issue #17).

One logical ``get`` = cache look-up, then (when needed) a chain of requests
with redirects followed by hand, each request retried on transient trouble and
each taking its host's politeness slot.  ``get`` never raises for network
trouble: it answers a :class:`~patchcrawl.models.Response` whose ``error`` names
what went wrong (``timeout``, ``connect``, ``dns``, ``tls``, ``reset``,
``too-many-redirects``, ``redirect-loop``, ``body-too-large``, ``decode``,
``retry-after``,
``refused-private``, ``scheme``, ``offline-miss``, ``network-down``).

Everything the caller sees is in the *original* URL space; only the transport
(:mod:`patchcrawl.fetch.remap`) sees remapped URLs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, wait_exponential_jitter

from patchcrawl import USER_AGENT
from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.cache import ResponseCache, cache_key, cacheable, normalize_url
from patchcrawl.fetch.decode import BodyTooLarge, BoundedDecoder, DecodeError
from patchcrawl.fetch.politeness import Politeness, parse_retry_after
from patchcrawl.fetch.remap import RemapTransport
from patchcrawl.fetch.safety import AddressGuard, RefusedPrivate, ResolveError
from patchcrawl.models import Hop, Response
from patchcrawl.settings import Settings, remap_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_ERRORS = frozenset({"timeout", "connect", "dns", "reset"})
# Distinct hosts that must fail to connect, with no success at all, before the
# network is declared down (one dead host is just a dead host).
NETWORK_DOWN_HOSTS = 3

_DNS_HINTS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)


@dataclass
class FetchStats:
    """Counters for the summary and the progress bar."""

    requests: int = 0  # requests sent on the wire (every hop and retry)
    from_cache: int = 0  # gets answered from the cache (fresh, offline or revalidated)
    revalidated: int = 0  # stale entries confirmed by a 304
    retries: int = 0
    bytes: int = 0  # bytes received on the wire (bodies, before decoding)
    errors: int = 0  # gets that ended with ``error`` set
    host_wait: dict[str, float] = field(default_factory=dict)  # seconds waited per host
    waiting: dict[str, int] = field(default_factory=dict)  # requests waiting now, per host


@dataclass(frozen=True, slots=True)
class FetchEvent:
    kind: str  # request | response | retry | cache | network-down
    url: str
    host: str
    status: int | None = None
    error: str | None = None


EventHook = Callable[[FetchEvent], None]


@dataclass(slots=True)
class _Outcome:
    """One request on the wire (no redirects followed)."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    error: str | None = None
    detail: str | None = None
    retry_after: float | None = None
    host_failed: bool = False  # DNS/connect failure: evidence the network may be down

    @property
    def transient(self) -> bool:
        if self.error == "retry-after":
            return False  # the host asked for more waiting than the run gives it
        return (self.error in RETRY_ERRORS) or (self.status in RETRY_STATUSES)

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


def _host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _classify_connect(exc: BaseException) -> str:
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, ssl.SSLError | ssl.CertificateError):
            return "tls"
        if isinstance(e, socket.gaierror):
            return "dns"
    if any(isinstance(e, ConnectionError) for e in chain):
        return "connect"  # refused, reset: whatever the messages say ("ssl:default"...)
    text = " ".join(str(e).lower() for e in chain)
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "tls"
    if any(h in text for h in _DNS_HINTS):
        return "dns"
    return "connect"


class Fetcher:
    """``async with Fetcher(settings) as f: resp = await f.get(url)``."""

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
        self.cache = cache
        self.on_event = on_event
        extra = settings.extra.get("retry_backoff")
        self.backoff = float(
            backoff if backoff is not None else extra if isinstance(extra, int | float) else 0.5
        )
        b = self.backoff
        self._backoff_wait = wait_exponential_jitter(multiplier=b, max=max(b, 60.0), jitter=b)
        self.stats = FetchStats()
        self.network_down = False
        self._inner_transport = transport
        self._wire: RemapTransport | None = None
        self.user_agent = settings.user_agent or USER_AGENT
        self._base_headers = {
            "user-agent": self.user_agent,
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",  # what httpx decodes without extras
        }
        self._extensions = {"timeout": httpx.Timeout(settings.timeout).as_dict()}
        self._entered = False
        self._pol: Politeness | None = None
        self._inflight: dict[tuple[str, bool], asyncio.Future[Response]] = {}
        # one HTTP request (no redirect followed) per URL and headers while it is on
        # the wire, and the redirects answered in this run: a chain that reaches a page
        # another link asks for directly shares that request
        self._sending: dict[tuple[str, tuple[tuple[str, str], ...]], asyncio.Future[Any]] = {}
        self._redirected: dict[tuple[str, tuple[tuple[str, str], ...]], _Outcome] = {}
        self._failed_hosts: set[str] = set()
        # Retry-After: seconds each host made the run wait; hosts given up (why)
        self._waited: dict[str, float] = {}
        self._waited_out: dict[str, str] = {}
        self._successes = 0

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
        self._entered = True
        self._pol = Politeness(
            s.host_policy,
            s.max_concurrency,
            wait_seconds=self.stats.host_wait,
            waiting=self.stats.waiting,
        )
        return self

    def _http(self) -> RemapTransport:
        """The transport stack, made on the first request that goes out: a run answered
        from the cache never pays for the HTTP engine, TLS contexts or connections."""
        if self._wire is None:
            if not self._entered:
                raise RuntimeError("Fetcher used outside 'async with'")
            from patchcrawl.fetch.engine import make_transport

            s = self.settings
            guard = None if s.allow_private else AddressGuard()
            inner = self._inner_transport or make_transport(
                max(1, s.max_concurrency), guard.pinned if guard is not None else None
            )
            self._wire = RemapTransport(inner, s.remap, guard)
        return self._wire

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._entered = False
        if self._wire is not None:
            await self._wire.aclose()
            self._wire = None
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
            fut = asyncio.ensure_future(self._get(url, headers, use_cache))
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
        cached = self.cache.get_hop(url) if self.cache is not None else None
        if cached is not None and (self.settings.offline or self._fresh(cached)):
            self.stats.from_cache += 1
            self._emit("cache", url, cached.status)
            return cached
        if self.settings.offline or self.network_down:
            return self._error(url, "offline-miss", "no redirect looked up offline")
        out, attempts = await self._send_shared(url, {})
        if out.error is not None:
            return self._error(url, out.error, out.detail, attempts=attempts, status=out.status)
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
                self.cache.put(resp, None)
        return resp

    def waiting(self) -> dict[str, int]:
        return self._pol.waiting() if self._pol is not None else {}

    # ------------------------------------------------------------------ one logical get

    def _emit(
        self, kind: str, url: str, status: int | None = None, error: str | None = None
    ) -> None:
        if self.on_event is not None:
            self.on_event(FetchEvent(kind, url, _host_of(url), status, error))

    def _error(self, url: str, error: str, detail: str | None = None, **kw: Any) -> Response:
        self.stats.errors += 1
        kw.setdefault("final_url", url)
        kw.setdefault("status", None)
        return Response(
            url=url,
            headers=(),
            body=b"",
            error=error,
            detail=detail,
            fetched_at=time.time(),
            **kw,
        )

    async def _get(self, url: str, headers: dict[str, str] | None, use_cache: bool) -> Response:
        s = self.settings
        try:
            parts = urlsplit(url)
            host_ok = bool(parts.hostname)
        except ValueError as exc:
            return self._error(url, "scheme", f"unusable URL: {exc}")
        if parts.scheme.lower() not in ("http", "https") or not host_ok:
            return self._error(url, "scheme", f"not an http(s) URL: {url}")

        cached: Response | None = None
        if self.cache is not None and (use_cache or s.offline):
            cached = self.cache.get(url, headers)
        if s.offline:
            if cached is None:
                return self._error(url, "offline-miss", "offline and not in the cache")
            self.stats.from_cache += 1
            self._emit("cache", url, cached.status)
            return dataclasses.replace(cached, url=url)
        if cached is not None and self._fresh(cached):
            self.stats.from_cache += 1
            self._emit("cache", url, cached.status)
            return dataclasses.replace(cached, url=url)
        if self.network_down:
            if cached is not None:  # stale beats nothing when the network is gone
                self.stats.from_cache += 1
                return dataclasses.replace(cached, url=url)
            return self._error(url, "network-down", "the network is unreachable")

        resp = await self._follow(url, headers, cached)
        if resp.from_cache:
            return resp
        transient = (
            resp.error in RETRY_ERRORS
            or resp.error == "network-down"
            or (resp.status is not None and (resp.status >= 500 or resp.status == 429))
        )
        if cached is not None and transient:
            self.stats.from_cache += 1  # stale-if-error: the old answer beats none
            return dataclasses.replace(cached, url=url)
        if self.cache is not None and cacheable(resp):
            self.cache.put(resp, headers)
            if resp.redirects and normalize_url(resp.final_url) != normalize_url(url):
                # the page at the end of the chain is an answer for its own URL too
                self.cache.put(dataclasses.replace(resp, url=resp.final_url, redirects=()), headers)
        return resp

    def _fresh(self, resp: Response) -> bool:
        """Fetched within ``--max-age``: good to answer without asking the server."""
        return time.time() - resp.fetched_at < self.settings.max_age

    def _fresh_hop(
        self, url: str, headers: Mapping[str, str] | None, seen: set[str]
    ) -> Response | None:
        """A fresh cached answer for a redirect target, unless its own chain loops back."""
        if self.cache is None:
            return None
        hit = self.cache.get(url, headers)
        if hit is None or not self._fresh(hit):
            return None
        if any(h.location is not None and normalize_url(h.location) in seen for h in hit.redirects):
            return None
        return hit

    async def _send_shared(self, url: str, headers: dict[str, str]) -> tuple[_Outcome, int]:
        """:meth:`_attempts`, shared by every chain that needs the same request at once."""
        key = (normalize_url(url), tuple(sorted(headers.items())))
        done = self._redirected.get(key)
        if done is not None:
            return done, 0
        fut = self._sending.get(key)
        if fut is not None:
            out, _ = await asyncio.shield(fut)
            assert isinstance(out, _Outcome)
            return out, 0
        fut = asyncio.ensure_future(self._attempts(url, headers))
        self._sending[key] = fut
        try:
            out, n = await asyncio.shield(fut)
        finally:
            if self._sending.get(key) is fut:
                del self._sending[key]
        assert isinstance(out, _Outcome)
        if out.status in REDIRECT_STATUSES:
            # kept for the whole run: only what following the chain reads
            location = tuple(h for h in out.headers if h[0] == "location")
            self._redirected[key] = _Outcome(status=out.status, headers=location)
        return out, n

    async def _follow(
        self, url: str, headers: Mapping[str, str] | None, cached: Response | None
    ) -> Response:
        s = self.settings
        hops: list[Hop] = []
        current = url
        seen = {normalize_url(url)}
        attempts = 0
        cond_url: str | None = None
        validators: dict[str, str] = {}
        if cached is not None and cached.status is not None and cached.status < 300:
            etag = cached.header("etag")
            lm = cached.header("last-modified")
            if etag:
                validators["if-none-match"] = etag
            if lm:
                validators["if-modified-since"] = lm
            if validators:
                cond_url = normalize_url(cached.final_url)
        while True:
            req_headers = dict(headers or {})
            conditional = cond_url is not None and normalize_url(current) == cond_url
            if conditional:
                req_headers.update(validators)
            elif hops:
                hit = self._fresh_hop(current, headers, seen)
                if hit is not None:
                    self.stats.from_cache += 1
                    return dataclasses.replace(
                        hit,
                        url=url,
                        redirects=tuple(hops) + hit.redirects,
                        attempts=attempts,
                        from_cache=False,
                    )
            out, n = await self._send_shared(current, req_headers)
            attempts += n
            if out.error is not None:
                return self._error(
                    url,
                    out.error,
                    out.detail,
                    final_url=current,
                    redirects=tuple(hops),
                    attempts=attempts,
                    status=out.status,  # a 429 given up keeps its status
                )
            assert out.status is not None
            if out.status == 304 and conditional and cached is not None:
                now = time.time()
                self.stats.revalidated += 1
                self.stats.from_cache += 1
                if self.cache is not None:
                    self.cache.touch(url, headers, now)
                return dataclasses.replace(
                    cached,
                    url=url,
                    redirects=tuple(hops) if hops else cached.redirects,
                    fetched_at=now,
                    from_cache=True,
                    attempts=attempts,
                )
            location = out.header("location")
            if out.status in REDIRECT_STATUSES and location:
                try:
                    target = urljoin(current, location.strip())
                    scheme = urlsplit(target).scheme.lower()
                    normalize_url(target)
                except ValueError:  # "http://[::1", a port that is no number...
                    return self._error(
                        url,
                        "scheme",
                        f"redirect to an unusable URL: {location.strip()[:200]!r}",
                        redirects=tuple(hops),
                        attempts=attempts,
                    )
                hops.append(Hop(current, out.status, target, out.status in PERMANENT_STATUSES))
                if scheme not in ("http", "https"):
                    return self._error(
                        url,
                        "scheme",
                        f"redirect to a non-http URL: {target}",
                        final_url=target,
                        redirects=tuple(hops),
                        attempts=attempts,
                    )
                norm = normalize_url(target)
                if norm in seen:
                    return self._error(
                        url,
                        "redirect-loop",
                        f"redirect loop back to {target}",
                        final_url=target,
                        redirects=tuple(hops),
                        attempts=attempts,
                    )
                if len(hops) > s.max_redirects:
                    return self._error(
                        url,
                        "too-many-redirects",
                        f"more than {s.max_redirects} redirects",
                        final_url=target,
                        redirects=tuple(hops),
                        attempts=attempts,
                    )
                seen.add(norm)
                current = target
                continue
            return Response(
                url=url,
                final_url=current,
                status=out.status,
                headers=out.headers,
                body=out.body,
                redirects=tuple(hops),
                fetched_at=time.time(),
                attempts=attempts,
            )

    # ------------------------------------------------------------------ retries

    def _honour_retry_after(self, host: str, out: _Outcome) -> None:
        """Pause ``host`` as long as its Retry-After asks, within what one URL, one host
        and the run may wait (``max_retry_wait``, ``max_host_wait``, ``max_run_wait``).
        A host asking for more is given up for the run: its remaining requests answer at
        once, saying how long it asked to wait (before, every 429 paused it again and a
        day-long Retry-After cost 120 s per link, with no end)."""
        assert out.retry_after is not None and self._pol is not None
        s = self.settings
        asked = out.retry_after
        spent_host = self._waited.get(host, 0.0)
        spent_run = sum(self._waited.values())
        if (
            asked > s.max_retry_wait
            or spent_host + asked > s.max_host_wait
            or spent_run + asked > s.max_run_wait
        ):
            why = (
                f"{host} asked to wait {asked:,.0f} s (Retry-After, HTTP {out.status}); "
                f"patchcrawl waits at most {s.max_retry_wait:g} s for a link, "
                f"{s.max_host_wait:g} s for a host and {s.max_run_wait:g} s a run"
            )
            self._waited_out[host] = why
            out.error, out.detail, out.retry_after = "retry-after", why, None
            return
        self._waited[host] = spent_host + asked
        self._pol.pause(host, asked)

    def _wait(self, rs: RetryCallState) -> float:
        out = rs.outcome.result() if rs.outcome is not None else None
        if isinstance(out, _Outcome) and out.retry_after is not None:
            return out.retry_after
        return float(self._backoff_wait(rs))

    def _stop(self, rs: RetryCallState) -> bool:
        return (
            self.network_down
            or rs.attempt_number > self.settings.retries
            or rs.idle_for + rs.upcoming_sleep > self.settings.max_retry_wait
        )

    async def _attempts(self, url: str, headers: dict[str, str]) -> tuple[_Outcome, int]:
        host = _host_of(url)
        count = 0

        async def attempt() -> _Outcome:
            nonlocal count
            if self.network_down:
                return _Outcome(error="network-down", detail="the network is unreachable")
            if host in self._waited_out:
                return _Outcome(error="retry-after", detail=self._waited_out[host])
            assert self._pol is not None
            self._http()  # made before a slot is taken: making it takes a while
            async with self._pol.slot(host):
                if self.network_down:
                    return _Outcome(error="network-down", detail="the network is unreachable")
                if host in self._waited_out:  # given up while this one waited for a slot
                    return _Outcome(error="retry-after", detail=self._waited_out[host])
                count += 1
                out = await self._send(url, headers, host)
            self._note(host, out)
            if out.retry_after is not None:
                self._honour_retry_after(host, out)
            return out

        def before_sleep(rs: RetryCallState) -> None:
            self.stats.retries += 1
            self._emit("retry", url)

        first = await attempt()
        if not first.transient or self.settings.retries <= 0 or self.network_down:
            return first, count  # the common case: no retry machinery at all

        retrying = AsyncRetrying(
            retry=retry_if_result(lambda o: isinstance(o, _Outcome) and o.transient),
            wait=self._wait,
            stop=self._stop,
            before_sleep=before_sleep,
            retry_error_callback=lambda rs: rs.outcome.result() if rs.outcome else None,
            sleep=asyncio.sleep,
        )
        seeded = False

        async def later_attempt() -> _Outcome:
            nonlocal seeded
            if not seeded:  # tenacity's first call stands for the attempt already made
                seeded = True
                return first
            return await attempt()

        out: object = await retrying(later_attempt)
        assert isinstance(out, _Outcome)
        return out, count

    def _note(self, host: str, out: _Outcome) -> None:
        """Track evidence for network-down: DNS/connect failures on many hosts, no success."""
        if out.status is not None:
            self._successes += 1
            self._failed_hosts.discard(host)
            return
        if out.host_failed:
            self._failed_hosts.add(host)
            if (
                not self.network_down
                and self._successes == 0
                and len(self._failed_hosts) >= NETWORK_DOWN_HOSTS
            ):
                self.network_down = True
                self._emit("network-down", f"https://{host}/", error="network-down")

    # ------------------------------------------------------------------ the wire

    async def _send(self, url: str, headers: dict[str, str], host: str) -> _Outcome:
        wire = self._http()
        s = self.settings
        self.stats.requests += 1
        self._emit("request", url)
        resp: httpx.Response | None = None
        try:
            async with asyncio.timeout(s.timeout):
                sent = {**self._base_headers, **{k.lower(): v for k, v in headers.items()}}
                resp = await wire.get(url, sent, self._traced(host))
                try:
                    out = await self._read(resp)
                finally:
                    self.stats.bytes += resp.num_bytes_downloaded
                    await resp.aclose()
        except TimeoutError:
            out = _Outcome(error="timeout", detail=f"no complete answer within {s.timeout:g}s")
        except httpx.ConnectTimeout as exc:
            out = _Outcome(error="timeout", detail=f"connect timeout: {exc}", host_failed=True)
        except httpx.TimeoutException as exc:
            out = _Outcome(error="timeout", detail=f"{type(exc).__name__}: {exc}")
        except RefusedPrivate as exc:
            self.stats.requests -= 1  # the guard said no: nothing went on the wire
            out = _Outcome(error="refused-private", detail=str(exc))
        except ResolveError as exc:
            out = _Outcome(error="dns", detail=str(exc), host_failed=True)
        except httpx.ConnectError as exc:
            kind = _classify_connect(exc)
            out = _Outcome(
                error=kind,
                detail=str(exc) or type(exc).__name__,
                host_failed=kind in ("dns", "connect"),
            )
        except httpx.UnsupportedProtocol as exc:
            out = _Outcome(error="scheme", detail=str(exc))
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            out = _Outcome(error="reset", detail=str(exc) or type(exc).__name__)
        except httpx.DecodingError as exc:
            out = _Outcome(error="reset", detail=f"undecodable body: {exc}")
        except httpx.InvalidURL as exc:
            out = _Outcome(error="scheme", detail=f"invalid URL: {exc}")
        except (httpx.HTTPError, OSError) as exc:
            kind = _classify_connect(exc)
            out = _Outcome(error=kind, detail=str(exc) or type(exc).__name__)
        if out.detail and wire.rewrite(url) != url:
            out.detail = self._original_space(out.detail, url, wire.rewrite(url))
        self._emit("response", url, out.status, out.error)
        return out

    @staticmethod
    def _original_space(detail: str, url: str, sent: str) -> str:
        """``detail`` with the remapped address put back as the original: reports keep
        original URLs (CONTRACT.md), and a test server's address means nothing there."""
        detail = detail.replace(sent, url)
        orig, remapped = urlsplit(url), urlsplit(sent)
        if remapped.netloc and orig.netloc:
            detail = detail.replace(remapped.netloc, orig.netloc)
        return detail

    def _traced(self, host: str) -> dict[str, Any]:
        """Request extensions: the timeouts, and a trace hook (httpcore's) telling
        politeness when the headers are sent."""
        pol = self._pol
        if pol is None:
            return self._extensions

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith("send_request_headers.complete"):
                pol.sent(host)

        return {**self._extensions, "trace": trace}

    async def _read(self, resp: httpx.Response) -> _Outcome:
        cap = self.settings.max_body
        headers = tuple((k.lower(), v) for k, v in resp.headers.multi_items())
        status = resp.status_code
        out = _Outcome(status=status, headers=headers)
        if status in RETRY_STATUSES:
            out.retry_after = parse_retry_after(resp.headers.get("retry-after"))
        length = resp.headers.get("content-length")
        encoding = resp.headers.get("content-encoding")
        encoded = (encoding or "identity").lower() not in ("", "identity")
        if length and length.isdigit() and int(length) > cap and not encoded:
            return _Outcome(error="body-too-large", detail=f"Content-Length {length} > {cap}")
        # decoded here, not by httpx: under the cap at every step of every layer
        try:
            decoder = BoundedDecoder(encoding, cap)
            async for chunk in resp.aiter_raw():
                decoder.feed(chunk)
            out.body = decoder.finish()
        except BodyTooLarge as exc:
            return _Outcome(error="body-too-large", detail=str(exc))
        except DecodeError as exc:
            return _Outcome(error="decode", detail=f"the body could not be decoded: {exc}")
        return out
