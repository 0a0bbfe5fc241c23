"""An in-process stand-in for ``Fetcher.get``: calls a handler directly, follows redirects.

For fast resolver tests that need no sockets; the end-to-end tests use the
real ``KernelWeb`` server and ``Fetcher``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

from patchcrawl.models import Hop, Response
from patchcrawl.testweb.http import Handler, WebRequest

PERMANENT = {301, 308}


def direct_getter(
    handler: Handler, log: list[str] | None = None
) -> Callable[[str], Awaitable[Response]]:
    async def get(url: str) -> Response:
        hops: list[Hop] = []
        cur = url
        for _ in range(10):
            parts = urlsplit(cur)
            if log is not None:
                log.append(cur)
            req = WebRequest("GET", parts.hostname or "", parts.path or "/", parts.query, {})
            r = handler(req)
            loc = r.headers.get("location")
            if r.status in (301, 302, 303, 307, 308) and loc:
                nxt = urljoin(cur, loc)
                hops.append(Hop(cur, r.status, nxt, r.status in PERMANENT))
                cur = nxt
                continue
            headers = tuple((k.lower(), v) for k, v in r.headers.items())
            return Response(url, cur, r.status, headers, r.body, tuple(hops))
        return Response(url, cur, None, (), b"", tuple(hops), error="too-many-redirects")

    return get
