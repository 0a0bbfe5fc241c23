"""The last layer of the fetcher: one request on the wire, no redirect followed.

Requests are ``httpx.Request`` objects handed to the transport (remap, then the
transport of :mod:`patchcrawl.fetch.engine`), not sent through ``httpx.AsyncClient``:
the fetcher follows redirects, times requests and sets its headers itself, and the
client's cookie jar, header merging and redirect loop cost about a fifth of a
millisecond of CPU per request for nothing it uses (measured with
``bench/bench_http_engines.py``, removed with the aiohttp transport in issue #17).

The body is read and decoded here under ``--max-body``; an exception is turned into an
error kind by :func:`patchcrawl.fetch.errors.failure`. Only the transport
(:mod:`patchcrawl.fetch.remap`) sees remapped URLs: what a failure says is put back in
the original space.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.decode import BodyTooLarge, BoundedDecoder, DecodeError
from patchcrawl.fetch.errors import CAUGHT, RETRIED, failure
from patchcrawl.fetch.politeness import Politeness, parse_retry_after
from patchcrawl.fetch.remap import RemapTransport
from patchcrawl.fetch.safety import AddressGuard
from patchcrawl.fetch.state import FetchState
from patchcrawl.models import FetchErrorKind

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(slots=True)
class Outcome:
    """One request on the wire (no redirects followed)."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    error: FetchErrorKind | None = None
    detail: str | None = None
    retry_after: float | None = None
    host_failed: bool = False  # DNS/connect failure: evidence the network may be down

    @property
    def transient(self) -> bool:
        if self.error == "retry-after":
            return False  # the host asked for more waiting than the run gives it
        return (self.error in RETRIED) or (self.status in RETRY_STATUSES)

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


class Wire:
    """Sends one GET through the transport stack, made on the first request."""

    def __init__(
        self, state: FetchState, user_agent: str, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._state = state
        self._inner = transport
        self._stack: RemapTransport | None = None
        self._pol: Politeness | None = None
        self._base_headers = {
            "user-agent": user_agent,
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",  # what httpx decodes without extras
        }
        self._extensions = {"timeout": httpx.Timeout(state.settings.timeout).as_dict()}

    def open(self, pol: Politeness | None) -> None:
        """Ready to send (``pol`` told when each request leaves); None: closed."""
        self._pol = pol

    def stack(self) -> RemapTransport:
        """The transport stack, made on the first request that goes out: a run answered
        from the cache never pays for the HTTP engine, TLS contexts or connections."""
        if self._stack is None:
            if self._pol is None:
                raise RuntimeError("Fetcher used outside 'async with'")
            from patchcrawl.fetch.engine import make_transport

            s = self._state.settings
            guard = None if s.allow_private else AddressGuard()
            inner = self._inner or make_transport(
                max(1, s.max_concurrency), guard.pinned if guard is not None else None
            )
            self._stack = RemapTransport(inner, s.remap, guard)
        return self._stack

    async def aclose(self) -> None:
        self._pol = None
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def send(self, url: str, headers: dict[str, str], host: str) -> Outcome:
        """GET ``url`` (original space) once; never raises for network trouble."""
        stack = self.stack()
        state = self._state
        state.stats.requests += 1
        state.emit("request", url)
        try:
            async with asyncio.timeout(state.settings.timeout):
                out = await self._exchange(stack, url, headers, host)
        except CAUGHT as exc:
            f = failure(exc, state.settings.timeout)
            if f.kind == "refused-private":
                state.stats.requests -= 1  # the guard said no: nothing went on the wire
            out = Outcome(error=f.kind, detail=f.detail, host_failed=f.host_failed)
        if out.detail and stack.rewrite(url) != url:
            out.detail = _original_space(out.detail, url, stack.rewrite(url))
        state.emit("response", url, out.status, out.error)
        return out

    async def _exchange(
        self, stack: RemapTransport, url: str, headers: dict[str, str], host: str
    ) -> Outcome:
        sent = {**self._base_headers, **{k.lower(): v for k, v in headers.items()}}
        resp = await stack.get(url, sent, self._traced(host))
        try:
            return await self._read(resp)
        finally:
            self._state.stats.bytes += resp.num_bytes_downloaded
            await resp.aclose()

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

    async def _read(self, resp: httpx.Response) -> Outcome:
        cap = self._state.settings.max_body
        headers = tuple((k.lower(), v) for k, v in resp.headers.multi_items())
        status = resp.status_code
        out = Outcome(status=status, headers=headers)
        if status in RETRY_STATUSES:
            out.retry_after = parse_retry_after(resp.headers.get("retry-after"))
        length = resp.headers.get("content-length")
        encoding = resp.headers.get("content-encoding")
        encoded = (encoding or "identity").lower() not in ("", "identity")
        if length and length.isdigit() and int(length) > cap and not encoded:
            return Outcome(error="body-too-large", detail=f"Content-Length {length} > {cap}")
        # decoded here, not by httpx: under the cap at every step of every layer
        try:
            decoder = BoundedDecoder(encoding, cap)
            async for chunk in resp.aiter_raw():
                decoder.feed(chunk)
            out.body = decoder.finish()
        except BodyTooLarge as exc:
            return Outcome(error="body-too-large", detail=str(exc))
        except DecodeError as exc:
            return Outcome(error="decode", detail=f"the body could not be decoded: {exc}")
        return out


def _original_space(detail: str, url: str, sent: str) -> str:
    """``detail`` with the remapped address put back as the original: reports keep
    original URLs (CONTRACT.md), and a test server's address means nothing there."""
    detail = detail.replace(sent, url)
    orig, remapped = urlsplit(url), urlsplit(sent)
    if remapped.netloc and orig.netloc:
        detail = detail.replace(remapped.netloc, orig.netloc)
    return detail
