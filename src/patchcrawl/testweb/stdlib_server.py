"""The simulated web served the way Python's ``http.server`` serves: the headers in
one write, the body in a second, with Nagle's algorithm on (no ``TCP_NODELAY``).

``send_response``/``end_headers`` flush the status line and headers, then
``wfile.write(body)`` sends the body. On a keep-alive connection the client's kernel
delays its ACK of the headers (up to 40 ms on Linux, in "ping-pong" mode), and Nagle
holds the body back until that ACK comes: every request waits for the delayed-ACK
timer unless the client acknowledges at once (``TCP_QUICKACK``, see
:mod:`patchcrawl.fetch.engine`). ``KernelWeb`` writes head and body at once
with ``TCP_NODELAY`` (asyncio's default), so it never shows the stall; this server
does, on purpose.

Same routes, handler, static pages, status/body faults and request log as
:class:`~patchcrawl.testweb.server.KernelWeb` (no delays, resets or truncation).
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from patchcrawl.testweb.http import WebRequest
from patchcrawl.testweb.server import KernelWeb, LoggedRequest


class HttpServerWeb(KernelWeb):
    """``with HttpServerWeb(handler) as web:`` a ``ThreadingHTTPServer`` on ``address``
    (HTTP/1.1, keep-alive). ``web.writes`` lists the ``send`` calls of each answer, and
    ``web.nodelay`` the ``TCP_NODELAY`` of each connection it accepted (all 0)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if self.tls is not None:
            raise ValueError("HttpServerWeb serves plain http only")
        self.writes: list[int] = []
        self.nodelay: list[int] = []
        self._httpd: ThreadingHTTPServer | None = None

    def start(self, port: int = 0) -> HttpServerWeb:
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer((self.address, port), _handler_class(self))
            self._httpd.daemon_threads = True
            self.port = self._httpd.server_address[1]
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="httpserverweb", daemon=True
            )
            self._thread.start()
        return self

    def __enter__(self) -> HttpServerWeb:
        return self.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _logged(self, req: WebRequest) -> LoggedRequest:
        with self._lock:
            inflight = self._in_flight.get(req.host, 0) + 1
            self._in_flight[req.host] = inflight
            entry = LoggedRequest(
                req.host, req.path, req.query, req.method, req.headers, time.monotonic(), inflight
            )
            self.log.append(entry)
        return entry

    def _done(self, entry: LoggedRequest, writes: int) -> None:
        entry.end = time.monotonic()
        with self._lock:
            self._in_flight[entry.host] -= 1
            self.writes.append(writes)


def _handler_class(web: HttpServerWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the delayed ACK needs

        sends = 0  # writes to the socket (``wfile`` is unbuffered: one ``sendall`` each)

        def setup(self) -> None:
            super().setup()
            nodelay = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            with web._lock:
                web.nodelay.append(nodelay)
            write = self.wfile.write

            def counted(data: Any) -> int:
                self.sends += 1
                return write(data)

            self.wfile.write = counted  # type: ignore[method-assign]

        def do_GET(self) -> None:
            self._answer(body=True)

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def _answer(self, *, body: bool) -> None:
            path, _, query = self.path.partition("?")
            _, host, sub = [*path.split("/", 2), "", ""][:3]
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = WebRequest(self.command, host, "/" + sub, query, headers)
            entry = web._logged(req)
            if web.latency > 0:
                time.sleep(web.latency)
            resp = web._respond(req, req.url, web._take_fault(req.url))
            entry.status = resp.status
            before = self.sends
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()  # the first write: status line and headers
            if body and resp.body:
                self.wfile.write(resp.body)  # the second: the body
            web._done(entry, self.sends - before)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
