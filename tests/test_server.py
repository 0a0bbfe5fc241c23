"""KernelWeb itself: routing, faults, keep-alive, conditional requests, the log."""

from __future__ import annotations

import email.utils
import http.client
import re
import subprocess
import sys
import time
from pathlib import Path

from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.server import CHALLENGE_HTML, KernelWeb

ROOT = Path(__file__).resolve().parent.parent


def _get(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_prefix_routing_and_keep_alive() -> None:
    def handler(req: WebRequest) -> WebResponse:
        return WebResponse(
            200, {"content-type": "text/plain"}, f"{req.host}|{req.path}|{req.query}".encode()
        )

    with KernelWeb(handler) as web:
        conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
        assert _get(conn, "/lore.kernel.org/all/x@y/")[2] == b"lore.kernel.org|/all/x@y/|"
        assert _get(conn, "/lwn.net/Articles/1/?a=b")[2] == b"lwn.net|/Articles/1/|a=b"
        assert _get(conn, "/lwn.net")[2] == b"lwn.net|/|"
        sock = conn.sock
        assert _get(conn, "/lwn.net/x")[0] == 200
        assert conn.sock is sock  # same connection: keep-alive
        conn.close()
        assert [r.url for r in web.log] == [
            "https://lore.kernel.org/all/x@y/",
            "https://lwn.net/Articles/1/?a=b",
            "https://lwn.net/",
            "https://lwn.net/x",
        ]
        assert web.remap_rule() == rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{web.port}/$1$2"
        assert web.base_url == f"http://127.0.0.1:{web.port}"


def test_static_routes_faults_for_first_n_and_regex(kernelweb: KernelWeb) -> None:
    kernelweb.page("https://lwn.net/Articles/5/", "<title>five</title>")
    kernelweb.fail("https://lwn.net/Articles/5/", 503, times=2)
    kernelweb.fault(re.compile(r"/patch/\d+$"), status=410)
    conn = http.client.HTTPConnection("127.0.0.1", kernelweb.port, timeout=5)
    codes = [_get(conn, "/lwn.net/Articles/5/")[0] for _ in range(3)]
    assert codes == [503, 503, 200]
    assert _get(conn, "/lore.kernel.org/patchwork/patch/12")[0] == 410
    assert _get(conn, "/nowhere.org/x")[0] == 404
    assert [r.status for r in kernelweb.requests_to("http://lwn.net/Articles/5/")] == [
        503,
        503,
        200,
    ]


def test_redirect_retry_after_challenge_gzip(kernelweb: KernelWeb) -> None:
    import gzip

    kernelweb.redirect("https://a.org/x", "/y", 308)
    kernelweb.rate_limit("https://a.org/rl", 7)
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    kernelweb.rate_limit("https://a.org/rd", date)
    kernelweb.fault("https://a.org/bot", challenge=True)
    kernelweb.page("https://a.org/gz", "hello")
    kernelweb.fault("https://a.org/gz", gzip=True)
    conn = http.client.HTTPConnection("127.0.0.1", kernelweb.port, timeout=5)
    st, h, _ = _get(conn, "/a.org/x")
    assert st == 308 and h["location"] == "/y"
    st, h, _ = _get(conn, "/a.org/rl")
    assert st == 429 and h["retry-after"] == "7"
    st, h, _ = _get(conn, "/a.org/rd")
    assert st == 429 and h["retry-after"] == date
    st, _, body = _get(conn, "/a.org/bot")
    assert b"<title>Making sure you're not a bot!</title>" in body and body == CHALLENGE_HTML
    st, h, body = _get(conn, "/a.org/gz")
    assert h["content-encoding"] == "gzip" and gzip.decompress(body) == b"hello"


def test_etag_and_304(kernelweb: KernelWeb) -> None:
    kernelweb.page("https://a.org/e", "body")
    conn = http.client.HTTPConnection("127.0.0.1", kernelweb.port, timeout=5)
    st, h, _ = _get(conn, "/a.org/e")
    etag = h["etag"]
    st, _, body = _get(conn, "/a.org/e", {"If-None-Match": etag})
    assert st == 304 and body == b""
    st, _, _ = _get(conn, "/a.org/e", {"If-None-Match": '"other"'})
    assert st == 200


def test_reset_and_truncate(kernelweb: KernelWeb) -> None:
    kernelweb.fault("https://a.org/r", reset=True)
    kernelweb.page("https://a.org/t", "t" * 100)
    kernelweb.fault("https://a.org/t", truncate=True)
    conn = http.client.HTTPConnection("127.0.0.1", kernelweb.port, timeout=5)
    try:
        _get(conn, "/a.org/r")
        raise AssertionError("expected a reset")
    except (ConnectionError, http.client.HTTPException):
        pass
    conn = http.client.HTTPConnection("127.0.0.1", kernelweb.port, timeout=5)
    conn.request("GET", "/a.org/t")
    resp = conn.getresponse()
    assert int(resp.getheader("content-length") or 0) > 100
    try:
        resp.read()
        raise AssertionError("expected an incomplete read")
    except http.client.IncompleteRead as exc:
        assert len(exc.partial) == 100


def test_log_helpers_latency_and_slow(kernelweb: KernelWeb) -> None:
    kernelweb.latency = 0.05
    kernelweb.fault("https://a.org/slow", delay=0.1)
    conn = http.client.HTTPConnection("127.0.0.1", kernelweb.port, timeout=5)
    t0 = time.monotonic()
    _get(conn, "/a.org/slow")
    assert time.monotonic() - t0 >= 0.15
    _get(conn, "/a.org/b")
    (slow,) = kernelweb.requests_to("https://a.org/slow")
    assert slow.end is not None and slow.end - slow.start >= 0.15
    assert kernelweb.max_in_flight("a.org") == 1
    assert kernelweb.min_spacing("a.org") >= 0.15
    assert kernelweb.min_spacing("b.org") == float("inf")


def test_module_entry_point_serves() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "patchcrawl.testweb.server", "--port", str(port), "--static"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in line
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        st, _, body = _get(conn, "/lore.kernel.org/all/x/")
        assert st == 200 and b"https://lore.kernel.org/all/x/" in body
    finally:
        proc.terminate()
        proc.wait(5)
