"""The fetcher's layers driven in-process through its ``transport=`` seam (no socket).

An ``httpx.MockTransport`` stands where the HTTP engine goes, under the remap layer
(the address guard is off: ``allow_private``, so no name is ever resolved). Each test
says which requests reach that transport and what the fetcher answers: redirects,
revalidation, stale-if-error, offline, the network-down short-circuit, retries, the
error kinds, :meth:`Fetcher.hop`. Politeness, timing and end-to-end runs keep their
real sockets (``test_fetch.py``, ``test_cache.py``, ``test_scheduling.py``...).
"""

from __future__ import annotations

import asyncio
import gzip
import time
import typing
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from patchcrawl.fetch import Fetcher, FetchEvent, ResponseCache
from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.errors import LINK_STATUS, RETRIED, STALE_IF_ERROR
from patchcrawl.fetch.safety import RefusedPrivate, ResolveError
from patchcrawl.models import FETCH_ERROR_KINDS, FetchErrorKind, Hop, Response
from patchcrawl.settings import RemapRule, Settings

from .fetchutil import run

Answer = Callable[[httpx.Request], httpx.Response]
DAY = 86400.0


def respond(code: int, body: bytes = b"", **headers: str) -> httpx.Response:
    """An answer as a server streams it (``content=`` would be read already), its
    Content-Length set."""
    sized = {"content-length": str(len(body)), **headers}
    return httpx.Response(code, headers=sized, stream=httpx.ByteStream(body))


def ok(body: bytes = b"page", **headers: str) -> Answer:
    return lambda req: respond(200, body, **headers)


def status(code: int, **headers: str) -> Answer:
    return lambda req: respond(code, b"", **headers)


def redirect(code: int, location: str) -> Answer:
    return status(code, location=location)


def fails(exc: Exception) -> Answer:
    def answer(req: httpx.Request) -> httpx.Response:
        raise exc

    return answer


class Web:
    """A web in a dict: URL (as it reaches the transport) -> answer, or answers in turn."""

    def __init__(self, routes: dict[str, Answer | list[Answer]]) -> None:
        self.routes = routes
        self.log: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        route = self.routes.get(str(request.url))
        if route is None:
            return respond(404, b"no such page")
        answer = route.pop(0) if isinstance(route, list) and len(route) > 1 else route
        return (answer[0] if isinstance(answer, list) else answer)(request)

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.log]


def settings(**kw: typing.Any) -> Settings:
    base: dict[str, typing.Any] = {
        "allow_private": True,  # no address guard: nothing resolves a name
        "host_interval": 0.0,
        "retries": 0,
        "timeout": 5.0,
        "progress": False,
    }
    return Settings(**(base | kw))


def fetch(
    web: Web,
    urls: Iterable[str],
    s: Settings | None = None,
    cache: ResponseCache | None = None,
    **kw: typing.Any,
) -> tuple[list[Response], Fetcher]:
    """Get ``urls`` one after the other with one fetcher over ``web``."""

    async def go() -> tuple[list[Response], Fetcher]:
        f = Fetcher(
            s or settings(), cache=cache, transport=httpx.MockTransport(web), backoff=0.0, **kw
        )
        async with f:
            return [await f.get(u) for u in urls], f

    return run(go())


def stored(
    cache: ResponseCache,
    url: str,
    body: bytes = b"old body",
    age: float = 30 * DAY,
    headers: tuple[tuple[str, str], ...] = (),
    final_url: str | None = None,
    redirects: tuple[Hop, ...] = (),
    code: int = 200,
) -> float:
    """Put an answer for ``url`` in ``cache``, ``age`` seconds old; its fetch time."""
    at = time.time() - age
    final = final_url or url
    cache.put(Response(url, final, code, headers, body, redirects, fetched_at=at))
    return at


# ------------------------------------------------------------------ redirects


def test_a_chain_is_followed_hop_by_hop_with_relative_locations() -> None:
    web = Web(
        {
            "https://a.example/start": redirect(301, "/moved"),
            "https://a.example/moved": redirect(302, "https://b.example/end"),
            "https://b.example/end": ok(b"the end"),
        }
    )
    (resp,), f = fetch(web, ["https://a.example/start"])
    assert web.urls == [
        "https://a.example/start",
        "https://a.example/moved",
        "https://b.example/end",
    ]
    assert resp.error is None and resp.status == 200 and resp.body == b"the end"
    assert resp.final_url == "https://b.example/end"
    assert resp.redirects == (
        Hop("https://a.example/start", 301, "https://a.example/moved", True),
        Hop("https://a.example/moved", 302, "https://b.example/end", False),
    )
    assert resp.attempts == 3 and f.stats.requests == 3 and not resp.from_cache


@pytest.mark.parametrize(
    ("code", "permanent"), [(301, True), (308, True), (302, False), (303, False), (307, False)]
)
def test_permanent_redirects_are_301_and_308(code: int, permanent: bool) -> None:
    web = Web({"https://a.example/x": redirect(code, "/y"), "https://a.example/y": ok()})
    (resp,), _ = fetch(web, ["https://a.example/x"])
    assert resp.redirects == (Hop("https://a.example/x", code, "https://a.example/y", permanent),)


def test_a_redirect_without_location_is_the_answer() -> None:
    web = Web({"https://a.example/x": status(302)})
    (resp,), _ = fetch(web, ["https://a.example/x"])
    assert resp.error is None and resp.status == 302 and resp.redirects == ()


def test_a_loop_ends_the_chain() -> None:
    web = Web(
        {
            "https://a.example/1": redirect(302, "/2"),
            "https://a.example/2": redirect(302, "https://A.example:443/1#frag"),
        }
    )
    (resp,), f = fetch(web, ["https://a.example/1"])
    assert resp.error == "redirect-loop" and resp.status is None
    assert resp.detail == "redirect loop back to https://A.example:443/1#frag"
    assert resp.final_url == "https://A.example:443/1#frag"
    assert [h.url for h in resp.redirects] == ["https://a.example/1", "https://a.example/2"]
    assert resp.attempts == 2 and len(web.log) == 2 and f.stats.errors == 1


def test_too_many_redirects() -> None:
    web = Web({f"https://a.example/{i}": redirect(302, f"/{i + 1}") for i in range(10)})
    (resp,), _ = fetch(web, ["https://a.example/0"], settings(max_redirects=3))
    assert resp.error == "too-many-redirects" and resp.detail == "more than 3 redirects"
    assert len(resp.redirects) == 4 and resp.final_url == "https://a.example/4"
    assert len(web.log) == 4  # the fourth Location is not asked for


@pytest.mark.parametrize(
    ("location", "final", "hops", "detail"),
    [
        ("ftp://a.example/file", "ftp://a.example/file", 1, "redirect to a non-http URL: "),
        ("mailto:x@a.example", "mailto:x@a.example", 1, "redirect to a non-http URL: "),
        ("http://[::1", "https://a.example/x", 0, "redirect to an unusable URL: "),
    ],
)
def test_a_redirect_to_no_usable_http_url_is_scheme(
    location: str, final: str, hops: int, detail: str
) -> None:
    web = Web({"https://a.example/x": redirect(301, location)})
    (resp,), _ = fetch(web, ["https://a.example/x"])
    assert resp.error == "scheme" and resp.detail is not None and resp.detail.startswith(detail)
    assert resp.final_url == final and len(resp.redirects) == hops and len(web.log) == 1


def test_a_fresh_cached_hop_ends_the_chain(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        at = stored(cache, "https://b.example/end", b"cached end", age=60)
        web = Web({"https://a.example/x": redirect(302, "https://b.example/end")})
        (resp,), f = fetch(web, ["https://a.example/x"], cache=cache)
    assert web.urls == ["https://a.example/x"]
    assert resp.body == b"cached end" and resp.fetched_at == at and not resp.from_cache
    assert resp.redirects == (Hop("https://a.example/x", 302, "https://b.example/end", False),)
    assert f.stats.from_cache == 1 and f.stats.requests == 1


def test_a_cached_hop_whose_chain_loops_back_is_asked_again(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        back = (Hop("https://b.example/", 301, "https://a.example/x", True),)
        stored(cache, "https://b.example/", age=60, redirects=back)
        web = Web(
            {
                "https://a.example/x": redirect(302, "https://b.example/"),
                "https://b.example/": ok(b"b"),
            }
        )
        (resp,), _ = fetch(web, ["https://a.example/x"], cache=cache)
    assert web.urls == ["https://a.example/x", "https://b.example/"] and resp.body == b"b"


def test_a_stale_cached_hop_is_asked_again(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://b.example/", age=30 * DAY)
        web = Web(
            {
                "https://a.example/x": redirect(302, "https://b.example/"),
                "https://b.example/": ok(b"new"),
            }
        )
        (resp,), _ = fetch(web, ["https://a.example/x"], cache=cache)
    assert len(web.log) == 2 and resp.body == b"new"


def test_a_redirect_is_remembered_for_the_run() -> None:
    web = Web({"https://a.example/x": redirect(301, "/y"), "https://a.example/y": ok()})
    (first, again), _ = fetch(web, ["https://a.example/x", "https://a.example/x"])
    # no cache: the page is asked twice, the redirect once (``_redirected``)
    assert web.urls == ["https://a.example/x", "https://a.example/y", "https://a.example/y"]
    assert again.redirects == first.redirects and (first.attempts, again.attempts) == (2, 1)


def test_remapped_locations_stay_in_the_original_space() -> None:
    rule = RemapRule.parse(r"https://lore\.kernel\.org/(.*) http://127.0.0.1:9/$1")
    web = Web(
        {
            "http://127.0.0.1:9/a": redirect(301, "/b"),
            "http://127.0.0.1:9/b": fails(httpx.ConnectError("cannot reach http://127.0.0.1:9/b")),
        }
    )
    (resp,), _ = fetch(web, ["https://lore.kernel.org/a"], settings(remap=(rule,)))
    assert web.urls == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]
    assert resp.redirects == (
        Hop("https://lore.kernel.org/a", 301, "https://lore.kernel.org/b", True),
    )
    assert resp.final_url == "https://lore.kernel.org/b"
    assert resp.error == "connect" and resp.detail == "cannot reach https://lore.kernel.org/b"


# ------------------------------------------------------------------ the cache policy


def test_a_fresh_answer_sends_nothing(tmp_path: Path) -> None:
    events: list[FetchEvent] = []
    with ResponseCache(tmp_path) as cache:
        at = stored(cache, "https://a.example/x", b"kept", age=60)
        web = Web({})
        (resp,), f = fetch(web, ["https://a.example/x#frag"], cache=cache, on_event=events.append)
    assert web.log == [] and resp.body == b"kept" and resp.from_cache and resp.fetched_at == at
    assert resp.url == "https://a.example/x#frag" and f.stats.from_cache == 1
    assert [(e.kind, e.status) for e in events] == [("cache", 200)]


@pytest.mark.parametrize(
    ("validator", "sent_as"),
    [("etag", "if-none-match"), ("last-modified", "if-modified-since")],
)
def test_a_stale_answer_is_revalidated_and_a_304_keeps_its_body(
    tmp_path: Path, validator: str, sent_as: str
) -> None:
    value = '"v1"' if validator == "etag" else "Mon, 01 Jan 2024 00:00:00 GMT"

    def answer(req: httpx.Request) -> httpx.Response:
        if req.headers.get(sent_as) == value:
            return respond(304)
        return respond(200, b"changed")

    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://a.example/x", headers=((validator, value),))
        web = Web({"https://a.example/x": answer})
        before = time.time()
        (resp,), f = fetch(web, ["https://a.example/x"], cache=cache)
        kept = cache.get("https://a.example/x")
        (again,), _ = fetch(web, ["https://a.example/x"], cache=cache)
    assert web.log[0].headers[sent_as] == value and len(web.log) == 1  # the 2nd get: fresh
    assert resp.status == 200 and resp.body == b"old body" and resp.from_cache
    assert resp.fetched_at >= before and resp.attempts == 1
    assert f.stats.revalidated == 1 and f.stats.from_cache == 1 and f.stats.requests == 1
    assert kept is not None and kept.fetched_at == resp.fetched_at  # fresh again on disk
    assert again.body == b"old body" and again.from_cache


def test_a_changed_page_replaces_the_stale_one(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://a.example/x", headers=(("etag", '"v1"'),))
        web = Web({"https://a.example/x": ok(b"new body", etag='"v2"')})
        (resp,), f = fetch(web, ["https://a.example/x"], cache=cache)
        kept = cache.get("https://a.example/x")
    assert resp.body == b"new body" and not resp.from_cache and f.stats.revalidated == 0
    assert kept is not None and kept.body == b"new body" and kept.header("etag") == '"v2"'


def test_revalidation_asks_only_at_the_cached_final_url(tmp_path: Path) -> None:
    chain = (Hop("https://a.example/x", 301, "https://a.example/y", True),)
    with ResponseCache(tmp_path) as cache:
        stored(
            cache,
            "https://a.example/x",
            headers=(("etag", '"v1"'),),
            final_url="https://a.example/y",
            redirects=chain,
        )
        web = Web(
            {
                "https://a.example/x": redirect(301, "/y"),
                "https://a.example/y": lambda r: respond(
                    304 if r.headers.get("if-none-match") == '"v1"' else 200
                ),
            }
        )
        (resp,), _ = fetch(web, ["https://a.example/x"], cache=cache)
    assert "if-none-match" not in web.log[0].headers
    assert web.log[1].headers["if-none-match"] == '"v1"'
    assert resp.body == b"old body" and resp.from_cache and resp.redirects == chain
    assert resp.attempts == 2


def test_no_validators_no_conditional_request(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://a.example/x")
        web = Web({"https://a.example/x": ok(b"new")})
        (resp,), _ = fetch(web, ["https://a.example/x"], cache=cache)
    assert "if-none-match" not in web.log[0].headers and resp.body == b"new"


@pytest.mark.parametrize(
    "answer",
    [
        status(503),
        status(500),
        status(429),
        fails(httpx.ReadTimeout("slow")),
        fails(httpx.ConnectError("refused")),
    ],
    ids=["503", "500", "429", "timeout", "connect"],
)
def test_stale_if_error(tmp_path: Path, answer: Answer) -> None:
    with ResponseCache(tmp_path) as cache:
        at = stored(cache, "https://a.example/x", b"old but good")
        web = Web({"https://a.example/x": answer})
        (resp,), f = fetch(web, ["https://a.example/x"], cache=cache)
        kept = cache.get("https://a.example/x")
    assert resp.error is None and resp.status == 200 and resp.body == b"old but good"
    assert resp.from_cache and resp.fetched_at == at and f.stats.from_cache == 1
    assert kept is not None and kept.fetched_at == at  # nothing replaced, nothing refreshed


def test_a_lasting_answer_replaces_the_stale_one(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://a.example/x")
        web = Web({"https://a.example/x": status(404)})
        (resp,), _ = fetch(web, ["https://a.example/x"], cache=cache)
        kept = cache.get("https://a.example/x")
    assert resp.status == 404 and not resp.from_cache
    assert kept is not None and kept.status == 404


def test_transient_answers_are_not_stored(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        web = Web(
            {
                "https://a.example/x": status(503),
                "https://a.example/y": fails(httpx.ReadError("cut")),
            }
        )
        fetch(web, ["https://a.example/x", "https://a.example/y"], cache=cache)
        assert cache.get("https://a.example/x") is None and cache.get("https://a.example/y") is None


def test_the_end_of_a_chain_is_stored_under_its_own_url_too(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        web = Web({"https://a.example/x": redirect(301, "/y"), "https://a.example/y": ok(b"y")})
        fetch(web, ["https://a.example/x"], cache=cache)
        end = cache.get("https://a.example/y")
        start = cache.get("https://a.example/x")
    assert end is not None and end.redirects == () and end.body == b"y"
    assert start is not None and len(start.redirects) == 1


def test_offline_answers_from_the_cache_at_any_age(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://a.example/x", b"ancient", age=365 * DAY)
        web = Web({})
        (hit, miss), f = fetch(
            web, ["https://a.example/x", "https://a.example/y"], settings(offline=True), cache
        )
    assert web.log == [] and f.stats.requests == 0
    assert hit.body == b"ancient" and hit.from_cache
    assert miss.error == "offline-miss" and miss.detail == "offline and not in the cache"


def test_offline_without_a_cache_is_a_miss() -> None:
    (resp,), _ = fetch(Web({}), ["https://a.example/x"], settings(offline=True))
    assert resp.error == "offline-miss"


@pytest.mark.parametrize("url", ["ftp://a.example/x", "https:///nohost", "http://[::1/"])
def test_no_http_url_is_scheme_and_sends_nothing(url: str) -> None:
    web = Web({})
    (resp,), _ = fetch(web, [url])
    assert resp.error == "scheme" and web.log == []


def test_network_down_short_circuit(tmp_path: Path) -> None:
    refused = fails(httpx.ConnectError("[Errno 111] Connection refused"))
    events: list[FetchEvent] = []
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://e.example/x", b"stale but here")
        web = Web({f"https://{h}.example/x": refused for h in "abcde"})
        urls = [f"https://{h}.example/x" for h in "abcde"]
        resps, f = fetch(web, urls, cache=cache, on_event=events.append)
    assert [r.error for r in resps[:3]] == ["connect"] * 3
    assert f.network_down and [e.kind for e in events].count("network-down") == 1
    assert len(web.log) == 3  # nothing sent once the network is down
    assert resps[3].error == "network-down" and resps[3].detail == "the network is unreachable"
    assert resps[4].error is None and resps[4].body == b"stale but here"


def test_one_dead_host_is_not_the_network() -> None:
    refused = fails(httpx.ConnectError("[Errno 111] Connection refused"))
    web = Web(
        {
            "https://a.example/1": refused,
            "https://a.example/2": refused,
            "https://a.example/3": refused,
        }
    )
    _, f = fetch(web, ["https://a.example/1", "https://a.example/2", "https://a.example/3"])
    assert not f.network_down and len(web.log) == 3


def test_concurrent_gets_of_one_url_share_one_request() -> None:
    async def slow(req: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return respond(200, b"shared")

    web = Web({"https://a.example/x": slow})  # type: ignore[dict-item]

    async def go() -> list[Response]:
        async with Fetcher(settings(), transport=httpx.MockTransport(web)) as f:
            return list(
                await asyncio.gather(f.get("https://a.example/x"), f.get("https://A.example/x#f"))
            )

    a, b = run(go())
    assert len(web.log) == 1 and a.body == b.body == b"shared"
    assert (a.url, b.url) == ("https://a.example/x", "https://A.example/x#f")


# ------------------------------------------------------------------ retries and pauses


def test_a_transient_answer_is_asked_again() -> None:
    web = Web({"https://a.example/x": [status(503), fails(httpx.ReadError("cut")), ok(b"third")]})
    (resp,), f = fetch(web, ["https://a.example/x"], settings(retries=2))
    assert resp.body == b"third" and resp.attempts == 3 and f.stats.retries == 2


def test_retries_exhausted_keep_the_last_answer() -> None:
    web = Web({"https://a.example/x": status(502)})
    (resp,), _ = fetch(web, ["https://a.example/x"], settings(retries=2))
    assert resp.error is None and resp.status == 502 and resp.attempts == 3


@pytest.mark.parametrize(
    "answer",
    [status(500), status(404), fails(httpx.ConnectError("[SSL] bad"))],
    ids=["500", "404", "tls"],
)
def test_lasting_answers_are_not_retried(answer: Answer) -> None:
    web = Web({"https://a.example/x": answer})
    fetch(web, ["https://a.example/x"], settings(retries=3))
    assert len(web.log) == 1


def test_a_retry_after_beyond_the_caps_gives_the_host_up() -> None:
    web = Web({"https://a.example/x": status(429, **{"retry-after": "1000"})})
    (first, second), _ = fetch(
        web, ["https://a.example/x", "https://a.example/y"], settings(retries=3)
    )
    assert first.error == "retry-after" and first.status == 429 and first.detail is not None
    assert "asked to wait 1,000 s" in first.detail
    assert second.error == "retry-after" and second.detail == first.detail
    assert len(web.log) == 1  # given up for the run: the other URL is not asked


def test_a_short_retry_after_is_waited() -> None:
    web = Web({"https://a.example/x": [status(503, **{"retry-after": "0"}), ok(b"later")]})
    (resp,), f = fetch(web, ["https://a.example/x"], settings(retries=1))
    assert resp.body == b"later" and f.stats.retries == 1


# ------------------------------------------------------------------ the wire, and hop()


def test_the_request_on_the_wire() -> None:
    web = Web({"https://a.example/x": ok()})
    fetch(web, ["https://a.example/x"], settings(user_agent="probe/1"))
    (req,) = web.log
    assert req.method == "GET" and req.headers["user-agent"] == "probe/1"
    assert req.headers["accept-encoding"] == "gzip, deflate" and req.headers["accept"] == "*/*"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connect"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "dns"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ReadError("connection reset"), "reset"),
        (httpx.RemoteProtocolError("peer closed connection"), "reset"),
        (httpx.DecodingError("bad chunk"), "reset"),
        (httpx.UnsupportedProtocol("no such protocol"), "scheme"),
        (ResolveError("a.example: no address"), "dns"),
        (RefusedPrivate("refused: a.example is loopback"), "refused-private"),
        (OSError("something odd"), "connect"),
    ],
)
def test_exceptions_become_error_kinds(exc: Exception, kind: FetchErrorKind) -> None:
    web = Web({"https://a.example/x": fails(exc)})
    (resp,), f = fetch(web, ["https://a.example/x"])
    assert resp.error == kind and resp.status is None and resp.detail
    assert f.stats.requests == (0 if kind == "refused-private" else 1)


def test_bodies_over_the_cap_or_undecodable() -> None:
    web = Web(
        {
            "https://a.example/big": ok(b"x" * 2000),
            "https://a.example/bomb": ok(
                gzip.compress(b"x" * 100_000), **{"content-encoding": "gzip"}
            ),
            "https://a.example/bad": ok(b"not gzip at all", **{"content-encoding": "gzip"}),
        }
    )
    urls = ["https://a.example/big", "https://a.example/bomb", "https://a.example/bad"]
    (big, bomb, bad), _ = fetch(web, urls, settings(max_body=1000))
    assert big.error == "body-too-large" and big.detail == "Content-Length 2000 > 1000"
    assert bomb.error == "body-too-large"
    assert bad.error == "decode"


def test_hop_does_not_follow_and_a_chain_reuses_it(tmp_path: Path) -> None:
    web = Web({"https://a.example/x": redirect(302, "/y"), "https://a.example/y": ok(b"y")})

    async def go() -> tuple[Response, Response]:
        async with Fetcher(settings(), transport=httpx.MockTransport(web)) as f:
            return await f.hop("https://a.example/x"), await f.get("https://a.example/x")

    hop, resp = run(go())
    assert hop.status == 302 and hop.header("location") == "/y" and hop.redirects == ()
    assert hop.final_url == "https://a.example/x" and hop.attempts == 1
    assert web.urls == ["https://a.example/x", "https://a.example/y"]  # the hop once
    assert resp.body == b"y" and resp.attempts == 1


def hops(
    web: Web, cache: ResponseCache | None, s: Settings | None = None, *urls: str
) -> list[Response]:
    async def go() -> list[Response]:
        f = Fetcher(s or settings(), cache=cache, transport=httpx.MockTransport(web))
        async with f:
            return [await f.hop(u) for u in urls]

    return run(go())


def test_a_hop_is_not_answered_by_a_gets_cached_page(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        stored(cache, "https://a.example/gone", b"", age=60, code=200)
        web = Web({"https://a.example/gone": status(404)})
        (hop,) = hops(web, cache, None, "https://a.example/gone")
        (got,), _ = fetch(web, ["https://a.example/gone"], cache=cache)
    assert hop.status == 404 and not hop.from_cache and len(web.log) == 1
    assert got.status == 404 and got.from_cache  # the get reads what the hop stored


def test_a_hop_is_kept_apart_and_answers_while_fresh(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as cache:
        web = Web({"https://a.example/x": redirect(301, "/y"), "https://a.example/y": ok(b"y")})
        (first,) = hops(web, cache, None, "https://a.example/x")
        (again,) = hops(web, cache, None, "https://a.example/x")  # another run
        (offline,) = hops(web, cache, settings(offline=True, max_age=0), "https://a.example/x")
        (stale,) = hops(web, cache, settings(max_age=0), "https://a.example/x")
        page = cache.get("https://a.example/x")
    assert first.status == 301 and not first.from_cache
    assert again.status == offline.status == 301 and again.from_cache and offline.from_cache
    assert again.header("location") == "/y"
    assert stale.status == 301 and not stale.from_cache
    assert web.urls == ["https://a.example/x", "https://a.example/x"]  # the first and the stale
    assert page is None  # a redirect is not the page a get of the URL wants


def test_hop_offline_or_network_down_sends_nothing() -> None:
    web = Web({})

    async def go() -> Response:
        async with Fetcher(settings(offline=True), transport=httpx.MockTransport(web)) as f:
            return await f.hop("https://a.example/x")

    resp = run(go())
    assert resp.error == "offline-miss" and web.log == []


def test_hop_once_the_network_is_down_follows_gets_policy(tmp_path: Path) -> None:
    """A hop answers as a get does once the network is down: its stale entry, or
    ``network-down`` with nothing sent."""
    refused = fails(httpx.ConnectError("[Errno 111] Connection refused"))
    web = Web({f"https://{h}.example/x": refused for h in "abc"})
    with ResponseCache(tmp_path) as cache:
        old = Response(
            url="https://d.example/x",
            final_url="https://d.example/x",
            status=301,
            headers=(("location", "/y"),),
            body=b"",
            fetched_at=time.time() - 30 * DAY,
        )
        cache.put_hop(old)

        async def go() -> tuple[bool, Response, Response]:
            f = Fetcher(settings(), cache=cache, transport=httpx.MockTransport(web))
            async with f:
                for h in "abc":
                    await f.get(f"https://{h}.example/x")
                down = f.network_down
                return down, await f.hop("https://d.example/x"), await f.hop("https://e.example/x")

        down, stale, missing = run(go())
    assert down and len(web.log) == 3  # nothing sent for the hops
    assert stale.status == 301 and stale.from_cache and stale.header("location") == "/y"
    assert missing.error == "network-down"


# ------------------------------------------------------------------ the vocabulary


def test_error_kinds_are_one_closed_set() -> None:
    assert typing.get_args(FetchErrorKind) == FETCH_ERROR_KINDS
    assert set(LINK_STATUS) == set(FETCH_ERROR_KINDS)
    assert RETRIED < STALE_IF_ERROR <= set(FETCH_ERROR_KINDS)
    from patchcrawl.fetch import errors

    for kind in FETCH_ERROR_KINDS:  # each documented in the hierarchy
        assert f"{kind} " in (errors.__doc__ or ""), kind


def test_the_link_status_of_each_kind_is_the_resolvers() -> None:
    from patchcrawl.sources.resolver import _ERROR_STATUS

    for kind in typing.get_args(FetchErrorKind):
        assert _ERROR_STATUS.get(kind, "unreachable") == LINK_STATUS[kind], kind
