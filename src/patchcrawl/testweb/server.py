"""A real HTTP/1.1 server on 127.0.0.1 that serves the simulated kernel web.

Every simulated host lives under a path prefix: ``https://lore.kernel.org/all/x/``
is served at ``http://127.0.0.1:PORT/lore.kernel.org/all/x/`` and reached with one
``--remap`` rule (:meth:`KernelWeb.remap_rule`).  The server runs an asyncio loop
on its own thread (keep-alive, cheap latency, raw control over the socket for
faults) and logs every request so tests can assert on what went over the wire:
how many were in flight per host, how far apart they started, what headers they
carried.

Faults are scripted per original-space URL (exact, scheme ignored) or regex,
optionally for the first N matching requests only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import gzip
import hashlib
import itertools
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from patchcrawl.testweb.http import Handler, WebRequest, WebResponse

CHALLENGE_HTML = (
    b"<!doctype html><html><head><title>Making sure you're not a bot!</title></head>"
    b"<body><h1>Making sure you're not a bot!</h1><p>Anubis proof-of-work challenge.</p>"
    b'<script id="anubis_challenge" type="application/json">{"difficulty":4}</script>'
    b"</body></html>"
)

_REASONS = {
    200: "OK",
    204: "No Content",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """What to do instead of (or on top of) the normal answer for a matching request.

    ``status``/``headers``/``body`` replace the answer; ``redirect`` answers
    ``redirect_status`` with that Location (absolute or relative, sent as is);
    ``retry_after`` adds a Retry-After header (seconds or an HTTP-date string);
    ``delay`` sleeps before the headers, ``body_delay`` between body chunks;
    ``reset`` closes the connection without answering; ``truncate`` announces a
    Content-Length larger than what is sent; ``gzip`` compresses the body;
    ``challenge`` answers an Anubis bot-challenge page.  ``times`` limits the
    fault to the first N matching requests (None = always).  ``until`` holds the
    answer until it returns true (checked every 5 ms, for ``until_limit`` seconds at
    most); ``opened`` then says whether it did (False: the limit ran out first).
    """

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    redirect: str | None = None
    redirect_status: int = 302
    retry_after: float | str | None = None
    delay: float = 0.0
    body_delay: float = 0.0
    reset: bool = False
    truncate: bool = False
    gzip: bool = False
    challenge: bool = False
    times: int | None = None
    used: int = 0
    until: Callable[[], bool] | None = None
    until_limit: float = 30.0
    opened: bool | None = None


@dataclass
class LoggedRequest:
    host: str
    path: str
    query: str
    method: str
    headers: dict[str, str]
    start: float  # time.monotonic() when the request head was read
    in_flight: int  # requests in flight for this host at its start, itself included
    end: float | None = None
    status: int | None = None  # None when the connection was reset

    @property
    def url(self) -> str:
        q = f"?{self.query}" if self.query else ""
        return f"https://{self.host}{self.path}{q}"


async def _hold(fault: Fault) -> None:
    """Wait until ``fault.until()`` holds (or its limit runs out); note which came first."""
    assert fault.until is not None
    deadline = time.monotonic() + fault.until_limit
    while not (opened := fault.until()) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    fault.opened = opened


def _strip_scheme(url: str) -> str:
    return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url)


class KernelWeb:
    """The simulated web: ``with KernelWeb(handler) as web: web.base_url``."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        latency: float = 0.0,
        address: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.latency = latency
        self.address = address  # any 127.0.0.0/8 address: one simulated host per address
        self.tls = tls  # a server context: the web answers https (HTTP/1.1) instead of http
        self.etags = True  # add an ETag to 200 answers and honour If-None-Match
        self.port = 0
        self.log: list[LoggedRequest] = []
        self._routes: dict[str, WebResponse] = {}
        self._faults: list[tuple[str | re.Pattern[str], Fault]] = []
        self._latencies: list[tuple[str | re.Pattern[str], float]] = []
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> KernelWeb:
        if self._thread is not None:
            return self
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._run, args=(port,), name="kernelweb", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("kernelweb server did not start")
        return self

    def _run(self, port: int) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            asyncio.start_server(self._serve, self.address, port, backlog=4096, ssl=self.tls)
        )
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for w in list(self._writers):
                w.transport.abort()
            with contextlib.suppress(Exception):
                loop.run_until_complete(server.wait_closed())
            pending = asyncio.all_tasks(loop)
            for t in pending:
                t.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> KernelWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.address}:{self.port}"

    def remap_rule(self) -> str:
        """The ``--remap`` rule that points every original URL at this server."""
        return rf"^https?://([^/?#]+)(.*)$ {self.base_url}/$1$2"

    # ------------------------------------------------------------------ scripting

    def route(self, url: str, response: WebResponse) -> None:
        """Answer ``url`` (original space, scheme ignored) with a fixed response."""
        self._routes[_strip_scheme(url)] = response

    def page(self, url: str, body: bytes | str = b"", status: int = 200, **headers: str) -> None:
        data = body.encode() if isinstance(body, str) else body
        hdrs = {"content-type": "text/html; charset=utf-8"}
        hdrs.update({k.replace("_", "-").lower(): v for k, v in headers.items()})
        self.route(url, WebResponse(status, hdrs, data))

    def fault(self, match: str | re.Pattern[str], fault: Fault | None = None, **kw: Any) -> Fault:
        """Script a fault for a URL (exact, scheme ignored) or a regex (searched)."""
        f = fault if fault is not None else Fault(**kw)
        key: str | re.Pattern[str] = (
            match if isinstance(match, re.Pattern) else _strip_scheme(match)
        )
        with self._lock:
            self._faults.append((key, f))
        return f

    def fail(self, match: str | re.Pattern[str], status: int, *, times: int | None = None) -> Fault:
        return self.fault(match, status=status, times=times)

    def redirect(
        self, match: str | re.Pattern[str], to: str, status: int = 301, *, times: int | None = None
    ) -> Fault:
        return self.fault(match, redirect=to, redirect_status=status, times=times)

    def rate_limit(
        self, match: str | re.Pattern[str], retry_after: float | str, *, times: int | None = 1
    ) -> Fault:
        return self.fault(match, status=429, retry_after=retry_after, times=times)

    def set_latency(self, match: str | re.Pattern[str], seconds: float) -> None:
        """Extra latency for matching requests (on top of the global ``latency``)."""
        key = match if isinstance(match, re.Pattern) else _strip_scheme(match)
        self._latencies.append((key, seconds))

    def clear_log(self) -> None:
        """Forget the request log (faults and routes stay)."""
        with self._lock:
            self.log.clear()

    def clear(self) -> None:
        """Forget faults, latencies and the log (routes stay)."""
        with self._lock:
            self._faults.clear()
            self._latencies.clear()
            self.log.clear()

    # ------------------------------------------------------------------ log helpers

    def requests_to(self, url: str | re.Pattern[str]) -> list[LoggedRequest]:
        with self._lock:
            log = list(self.log)
        return [r for r in log if _matches(url, r.url)]

    def requests_for_host(self, host: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.host == host]

    def max_in_flight(self, host: str) -> int:
        return max((r.in_flight for r in self.requests_for_host(host)), default=0)

    def min_spacing(self, host: str) -> float:
        """Smallest gap between two consecutive request starts for ``host`` (inf if < 2)."""
        starts = sorted(r.start for r in self.requests_for_host(host))
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        return min(gaps, default=float("inf"))

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.log)

    # ------------------------------------------------------------------ serving

    def _take_fault(self, url: str) -> Fault | None:
        with self._lock:
            for key, f in self._faults:
                if not _matches(key, url):
                    continue
                if f.times is not None and f.used >= f.times:
                    continue
                f.used += 1
                return f
        return None

    def _extra_latency(self, url: str) -> float:
        return sum(s for key, s in self._latencies if _matches(key, url))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                keep = await self._one(reader, writer)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            first = await reader.readexactly(1)
            if first == b"\x16":  # a TLS ClientHello: this server speaks plain HTTP only
                writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
                return False
            head = first + await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            return False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0") or 0)
        if n:
            await reader.readexactly(n)
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"

        path_q = target
        if "://" in path_q:  # absolute-form
            path_q = "/" + path_q.split("://", 1)[1].split("/", 1)[-1]
        path, _, query = path_q.partition("?")
        parts = path.split("/", 2)  # "", host, rest
        host = parts[1] if len(parts) > 1 else ""
        sub = "/" + parts[2] if len(parts) > 2 else "/"
        req = WebRequest(method=method, host=host, path=sub, query=query, headers=headers)
        url = req.url

        with self._lock:
            inflight = self._in_flight.get(host, 0) + 1
            self._in_flight[host] = inflight
            entry = LoggedRequest(host, sub, query, method, headers, time.monotonic(), inflight)
            self.log.append(entry)
        try:
            return await self._answer(req, url, entry, writer) and keep_alive
        finally:
            entry.end = time.monotonic()
            with self._lock:
                self._in_flight[host] -= 1

    async def _answer(
        self, req: WebRequest, url: str, entry: LoggedRequest, writer: asyncio.StreamWriter
    ) -> bool:
        fault = self._take_fault(url)
        wait = self.latency + self._extra_latency(url) + (fault.delay if fault else 0.0)
        if wait > 0:
            await asyncio.sleep(wait)
        if fault is not None and fault.until is not None:
            await _hold(fault)
        if fault is not None and fault.reset:
            writer.transport.abort()
            return False

        resp = self._respond(req, url, fault)
        body = resp.body
        hdrs = {k.lower(): v for k, v in resp.headers.items()}
        if fault is not None and fault.gzip:
            body = gzip.compress(body)
            hdrs["content-encoding"] = "gzip"
        status = resp.status
        if status == 200 and fault is None:
            if self.etags:
                hdrs.setdefault("etag", '"' + hashlib.sha1(body).hexdigest()[:16] + '"')
            etag = hdrs.get("etag")
            inm = req.headers.get("if-none-match")
            ims = req.headers.get("if-modified-since")
            lm = hdrs.get("last-modified")
            if (inm is not None and etag is not None and etag in _tags(inm)) or (
                inm is None and ims is not None and lm is not None and _not_after(lm, ims)
            ):
                status, body = 304, b""
        entry.status = status
        length = len(body)
        if fault is not None and fault.truncate:
            length += max(100, length)
        hdrs["content-length"] = str(length)
        hdrs.setdefault("date", email.utils.formatdate(usegmt=True))
        reason = _REASONS.get(status, "Status")
        out = [f"HTTP/1.1 {status} {reason}"]
        out += [f"{k}: {v}" for k, v in hdrs.items()]
        head = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
        if req.method == "HEAD" or status == 304:
            writer.write(head)
            await writer.drain()
            return True
        slow = fault is not None and fault.body_delay > 0 and body
        writer.write(head if slow else head + body)
        if slow:
            assert fault is not None
            step = max(1, len(body) // 4)
            for i in range(0, len(body), step):
                writer.write(body[i : i + step])
                await writer.drain()
                await asyncio.sleep(fault.body_delay)
        else:
            await writer.drain()
        if fault is not None and fault.truncate:
            writer.transport.abort()
            return False
        return True

    def _respond(self, req: WebRequest, url: str, fault: Fault | None) -> WebResponse:
        if fault is not None and fault.challenge:
            return WebResponse(
                fault.status or 200, {"content-type": "text/html; charset=utf-8"}, CHALLENGE_HTML
            )
        if fault is not None and fault.redirect is not None:
            hdrs = {"location": fault.redirect, "content-type": "text/html"}
            hdrs.update(fault.headers)
            return WebResponse(fault.redirect_status, hdrs, b"<html>moved</html>")
        if fault is not None and fault.status is not None:
            hdrs = {"content-type": "text/html; charset=utf-8"}
            if fault.retry_after is not None:
                ra = fault.retry_after
                hdrs["retry-after"] = ra if isinstance(ra, str) else str(ra)
            hdrs.update(fault.headers)
            body = fault.body if fault.body is not None else f"<h1>{fault.status}</h1>".encode()
            return WebResponse(fault.status, hdrs, body)
        base = self._base_response(req, url)
        if fault is not None and (fault.headers or fault.body is not None):
            base = WebResponse(
                base.status,
                {**base.headers, **fault.headers},
                fault.body if fault.body is not None else base.body,
            )
        return base

    def _base_response(self, req: WebRequest, url: str) -> WebResponse:
        key = _strip_scheme(url)
        if key in self._routes:
            return self._routes[key]
        if self.handler is not None:
            try:
                return self.handler(req)
            except Exception as exc:  # a bug in a simulated site: answer 500, keep serving
                return WebResponse(500, {"content-type": "text/plain"}, repr(exc).encode())
        return WebResponse(404, {"content-type": "text/html"}, b"<h1>404 Not Found</h1>")


def _matches(key: str | re.Pattern[str], url: str) -> bool:
    if isinstance(key, re.Pattern):
        return key.search(url) is not None
    return _strip_scheme(key) == _strip_scheme(url)


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",")]


def _not_after(last_modified: str, since: str) -> bool:
    try:
        lm = email.utils.parsedate_to_datetime(last_modified)
        ims = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return lm <= ims


def _default_handler(series: int = 50) -> Handler:
    """The simulated sites over a generated world of ``series`` series."""
    from patchcrawl.testweb.sites import make_handler
    from patchcrawl.testweb.world import World

    return make_handler(World.generate(series))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Serve the simulated kernel web on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--static", action="store_true", help="static routes only (no sites)")
    ap.add_argument("--series", type=int, default=50, help="series in the generated world")
    args = ap.parse_args(argv)
    handler: Handler
    if args.static:

        def echo(req: WebRequest) -> WebResponse:
            body = f"<html><head><title>{req.url}</title></head><body>{req.url}</body></html>"
            return WebResponse(200, {"content-type": "text/html; charset=utf-8"}, body.encode())

        handler = echo
    else:
        handler = _default_handler(args.series)
    web = KernelWeb(handler, latency=args.latency).start(args.port)
    print(f"serving on {web.base_url}  remap: {web.remap_rule()}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()


if __name__ == "__main__":
    main()
