"""The delayed-ACK stall: a server that writes the headers and the body separately with
Nagle on (``testweb/stdlib_server.py``, as Python's ``http.server``), and the client
acknowledging what it reads at once (``TCP_QUICKACK``, ``fetch/engine.py``).
How much time it saves is ``bench/bench_stack.py``'s business, not a test's."""

from __future__ import annotations

import socket
import sys

import httpcore
import pytest

from patchcrawl.fetch import engine
from patchcrawl.fetch._httpx import httpx
from patchcrawl.testweb.stdlib_server import HttpServerWeb
from patchcrawl.testweb.world import World
from tests.conftest import web_settings
from tests.fetchutil import fetch, run

LORE = "https://lore.kernel.org"


def test_the_http_server_web_writes_headers_and_body_separately_with_nagle_on() -> None:
    with HttpServerWeb() as web:
        web.page(f"{LORE}/all/a/", "<title>A</title>" * 1000, x_thing="1")
        web.page(f"{LORE}/empty", "")
        rs, f = fetch(web_settings(web), f"{LORE}/all/a/", f"{LORE}/empty", f"{LORE}/missing")
        assert [r.status for r in rs] == [200, 200, 404]
        assert rs[0].body == b"<title>A</title>" * 1000 and rs[0].header("x-thing") == "1"
        assert rs[1].body == b""
        # the three go out together: in any order
        assert sorted((r.host, r.path) for r in web.log) == [
            ("lore.kernel.org", "/all/a/"),
            ("lore.kernel.org", "/empty"),
            ("lore.kernel.org", "/missing"),
        ]
        # the headers in one write, the body in another; no body, one write
        assert sorted(web.writes) == [1, 2, 2]
        assert web.nodelay and set(web.nodelay) == {0}
        assert f.stats.requests == 3


def test_the_http_server_web_serves_the_simulated_sites() -> None:
    world = World()
    s = world.add_series(title="mm: split writes", author="Vlastimil Babka", version=2, total=2)
    assert s.cover is not None
    from patchcrawl.testweb.sites import make_handler

    with HttpServerWeb(make_handler(world)) as web:
        url = f"{LORE}/all/{s.cover.msgid}/"
        (r,), _ = fetch(web_settings(web), url)
    assert r.status == 200 and b"mm: split writes" in r.body


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="TCP_QUICKACK is Linux's")
def test_quickack_is_set_again_after_each_answer_is_read() -> None:
    """Linux reports ``TCP_QUICKACK`` as 0 once a connection is in "ping-pong" mode
    (a request sent soon after an answer was read): set after every read, it reads 1
    after each answer of a keep-alive connection."""
    assert engine.QUICKACK == socket.TCP_QUICKACK

    async def requests(url: str) -> list[int]:
        transport = engine.make_transport(1)
        seen: list[int] = []
        try:
            for _ in range(5):
                resp = await transport.handle_async_request(httpx.Request("GET", url))
                await resp.aread()
                stream = resp.extensions["network_stream"]
                sock = stream.get_extra_info("socket")
                seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK))
                await resp.aclose()
        finally:
            await transport.aclose()
        return seen

    with HttpServerWeb() as web:
        web.page(f"{LORE}/q", "x" * 20000)
        seen = run(requests(f"{web.base_url}/lore.kernel.org/q"))
        assert len(set(web.nodelay)) == 1 and len(web.nodelay) == 1  # one connection
    assert seen == [1] * 5


class _Socket:
    def __init__(self) -> None:
        self.options: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, name: int, value: int) -> None:
        self.options.append((level, name, value))


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, chunks: list[bytes], sock: _Socket) -> None:
        self.chunks = chunks
        self.sock = sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.chunks.pop(0)

    def get_extra_info(self, info: str) -> object:
        return self.sock if info == "socket" else None

    async def start_tls(self, *args: object, **kw: object) -> _Stream:
        return _Stream(self.chunks, self.sock)


def test_every_read_that_brings_data_asks_for_an_ack_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the platform: each read with data sets the option (one setsockopt), an
    end of stream does not, and the TLS stream made over a connection does it too."""
    monkeypatch.setattr(engine, "QUICKACK", 12)
    sock = _Socket()
    plain = _Stream([b"HTTP/1.1 200 OK\r\n\r\n", b"body", b"", b"tls"], sock)

    async def reads() -> list[bytes]:
        stream = engine._QuickAckStream(plain)
        out = [await stream.read(100) for _ in range(3)]
        tls = await stream.start_tls(None)  # type: ignore[arg-type]
        assert isinstance(tls, engine._QuickAckStream)
        return [*out, await tls.read(100)]

    assert run(reads()) == [b"HTTP/1.1 200 OK\r\n\r\n", b"body", b"", b"tls"]
    assert sock.options == [(socket.IPPROTO_TCP, 12, 1)] * 3
