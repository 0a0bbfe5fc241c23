"""Fetcher against the real KernelWeb server: statuses, faults, retries, redirects, safety."""

from __future__ import annotations

import asyncio
import gzip
import time

import httpx
import pytest

from patchcrawl import USER_AGENT
from patchcrawl.fetch import Fetcher, safety
from patchcrawl.settings import RemapRule, Settings
from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.server import CHALLENGE_HTML, KernelWeb
from tests.conftest import web_settings
from tests.fetchutil import StartRecorder, closed_port, fetch, run

LORE = "https://lore.kernel.org"


def test_plain_get_sends_honest_user_agent(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/all/a/", "<title>A</title>", x_thing="1")
    (r,), f = fetch(web_settings(kernelweb), f"{LORE}/all/a/")
    assert r.status == 200 and r.error is None
    assert r.body == b"<title>A</title>" and r.text == "<title>A</title>"
    assert r.header("x-thing") == "1"
    assert r.url == r.final_url == f"{LORE}/all/a/"
    assert not r.from_cache and r.redirects == ()
    (req,) = kernelweb.requests_to(f"{LORE}/all/a/")
    assert req.headers["user-agent"] == USER_AGENT
    assert "Mozilla" not in req.headers["user-agent"]
    assert req.host == "lore.kernel.org" and req.path == "/all/a/"
    assert f.stats.requests == 1 and f.stats.bytes > 0


def test_user_agent_override(kernelweb: KernelWeb) -> None:
    fetch(web_settings(kernelweb, user_agent="custom/1"), f"{LORE}/x")
    assert kernelweb.log[0].headers["user-agent"] == "custom/1"


def test_statuses_pass_through_and_500_is_not_retried(kernelweb: KernelWeb) -> None:
    kernelweb.fail(f"{LORE}/gone", 410)
    kernelweb.fail(f"{LORE}/boom", 500)
    rs, f = fetch(web_settings(kernelweb), f"{LORE}/missing", f"{LORE}/gone", f"{LORE}/boom")
    assert [r.status for r in rs] == [404, 410, 500]
    assert all(r.error is None for r in rs)
    assert len(kernelweb.requests_to(f"{LORE}/boom")) == 1
    assert f.stats.retries == 0


def test_handler_receives_host_path_query() -> None:
    seen: list[WebRequest] = []

    def handler(req: WebRequest) -> WebResponse:
        seen.append(req)
        return WebResponse(200, {"content-type": "text/plain"}, req.url.encode())

    with KernelWeb(handler) as web:
        (r,), _ = fetch(web_settings(web), "https://lwn.net/Articles/123/?x=1&y=%2F")
    assert r.body == b"https://lwn.net/Articles/123/?x=1&y=%2F"
    assert seen[0].host == "lwn.net" and seen[0].path == "/Articles/123/"
    assert seen[0].query == "x=1&y=%2F"


# ---------------------------------------------------------------- politeness


def test_host_concurrency_cap_and_global_cap() -> None:
    with KernelWeb(latency=0.05) as web:
        urls = [f"https://h{h}.example/{i}" for h in range(3) for i in range(8)]
        s = web_settings(web, host_concurrency=2, max_concurrency=4)
        rs, _ = fetch(s, *urls)
        assert all(r.status == 404 for r in rs)
        for h in range(3):
            assert web.max_in_flight(f"h{h}.example") == 2  # used, never exceeded
        # global: never more than 4 requests in flight across hosts
        events = sorted(
            [(r.start, 1) for r in web.log] + [(r.end or r.start, -1) for r in web.log],
            key=lambda e: (e[0], e[1]),
        )
        peak = cur = 0
        for _, d in events:
            cur += d
            peak = max(peak, cur)
        assert peak <= 4


def _server_span(web: KernelWeb, host: str) -> float:
    """Time between the first and the last request the server saw for ``host``."""
    starts = sorted(r.start for r in web.requests_for_host(host))
    return starts[-1] - starts[0]


def test_spacing_between_starts_is_kept(kernelweb: KernelWeb) -> None:
    s = web_settings(kernelweb, host_interval=0.06, host_concurrency=4)
    rec = StartRecorder()
    t0 = time.monotonic()
    fetch(s, *[f"{LORE}/s/{i}" for i in range(6)], on_event=rec)
    assert time.monotonic() - t0 >= 5 * 0.06 - 0.01
    assert rec.min_spacing("lore.kernel.org") >= 0.06 - 0.002
    # the server's clock shares the GIL with the client: check the overall span, not each gap
    assert _server_span(kernelweb, "lore.kernel.org") >= 5 * 0.06 * 0.75


def test_per_host_policy_override(kernelweb: KernelWeb) -> None:
    from patchcrawl.settings import HostPolicy

    s = web_settings(
        kernelweb,
        host_interval=0.0,
        hosts=(("lwn.net", HostPolicy(concurrency=1, interval=0.05)),),
    )
    kernelweb.latency = 0.02
    rec = StartRecorder()
    urls = [f"https://lwn.net/{i}" for i in range(4)] + [f"{LORE}/{i}" for i in range(4)]
    fetch(s, *urls, on_event=rec)
    assert kernelweb.max_in_flight("lwn.net") == 1
    assert rec.min_spacing("lwn.net") >= 0.05 - 0.002
    assert _server_span(kernelweb, "lwn.net") >= 3 * 0.05 * 0.75
    assert kernelweb.max_in_flight("lore.kernel.org") > 1


def test_politeness_is_per_original_host_not_remapped_host(kernelweb: KernelWeb) -> None:
    # every host is remapped to the same 127.0.0.1:PORT; each original host keeps its own cap
    kernelweb.latency = 0.05
    s = web_settings(kernelweb, host_concurrency=1)
    fetch(s, *[f"https://h{i}.example/x" for i in range(4)])
    starts = sorted(r.start for r in kernelweb.log)
    assert starts[-1] - starts[0] < 0.04  # all four hosts started together


def test_retry_after_seconds_pauses_the_whole_host(kernelweb: KernelWeb) -> None:
    kernelweb.rate_limit(f"{LORE}/a", "0.5", times=1)
    kernelweb.latency = 0.01
    s = web_settings(kernelweb, host_concurrency=1)
    rs, f = fetch(s, f"{LORE}/a", *[f"{LORE}/b{i}" for i in range(3)])
    assert rs[0].status == 404 and rs[0].attempts == 2  # 429, then the real answer
    limited = [r for r in kernelweb.log if r.status == 429]
    assert len(limited) == 1
    end = limited[0].end
    assert end is not None
    later = [r for r in kernelweb.log if r.start > end]
    assert len(later) == 4
    assert all(r.start >= end + 0.5 - 0.03 for r in later)
    assert f.stats.retries == 1


def test_retry_after_http_date(kernelweb: KernelWeb) -> None:
    import email.utils

    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    kernelweb.rate_limit(f"{LORE}/d", when, times=1)
    t0 = time.monotonic()
    # a budget of 10 s: a date read as a longer wait would make the fetcher give up (429)
    (r,), _ = fetch(web_settings(kernelweb, max_retry_wait=10.0), f"{LORE}/d")
    waited = time.monotonic() - t0
    assert r.status == 404  # it waited, within the budget, and asked again
    assert waited >= 0.9  # HTTP-dates have one-second resolution (a busy machine only adds)
    first, second = kernelweb.requests_to(f"{LORE}/d")
    assert first.end is not None and second.start - first.end >= 0.9


def test_retry_after_longer_than_budget_gives_up(kernelweb: KernelWeb) -> None:
    kernelweb.rate_limit(f"{LORE}/long", "3600", times=None)
    (r,), f = fetch(web_settings(kernelweb, max_retry_wait=1.0), f"{LORE}/long")
    assert r.status == 429
    assert len(kernelweb.requests_to(f"{LORE}/long")) == 1
    # it gave up at once: no retry was begun (a retry counts before its wait), so it
    # never slept; counted, not timed, so a busy machine cannot fail it
    assert f.stats.retries == 0


# ---------------------------------------------------------------- retries


def test_503_once_then_ok(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/ok", "fine")
    kernelweb.fail(f"{LORE}/ok", 503, times=1)
    (r,), f = fetch(web_settings(kernelweb), f"{LORE}/ok")
    assert r.status == 200 and r.body == b"fine" and r.attempts == 2
    assert [q.status for q in kernelweb.requests_to(f"{LORE}/ok")] == [503, 200]
    assert f.stats.retries == 1 and f.stats.requests == 2


def test_429_without_retry_after_then_ok(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/r", "fine")
    kernelweb.fail(f"{LORE}/r", 429, times=2)
    (r,), _ = fetch(web_settings(kernelweb, retries=3), f"{LORE}/r")
    assert r.status == 200
    assert [q.status for q in kernelweb.requests_to(f"{LORE}/r")] == [429, 429, 200]


def test_502_504_retried(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/g", "fine")
    kernelweb.fail(f"{LORE}/g", 502, times=1)
    kernelweb.page(f"{LORE}/h", "fine")
    kernelweb.fail(f"{LORE}/h", 504, times=1)
    rs, _ = fetch(web_settings(kernelweb), f"{LORE}/g", f"{LORE}/h")
    assert [r.status for r in rs] == [200, 200]


def test_retries_exhausted_returns_last_status(kernelweb: KernelWeb) -> None:
    kernelweb.fail(f"{LORE}/down", 503)
    (r,), f = fetch(web_settings(kernelweb, retries=2), f"{LORE}/down")
    assert r.status == 503 and r.error is None and r.attempts == 3
    assert len(kernelweb.requests_to(f"{LORE}/down")) == 3
    assert f.stats.retries == 2


def test_retries_exhausted_on_reset_is_an_error(kernelweb: KernelWeb) -> None:
    kernelweb.fault(f"{LORE}/rst", reset=True)
    (r,), _ = fetch(web_settings(kernelweb, retries=1), f"{LORE}/rst")
    assert r.status is None and r.error == "reset" and r.attempts == 2
    assert len(kernelweb.requests_to(f"{LORE}/rst")) == 2


def test_reset_once_then_ok(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/flaky", "fine")
    kernelweb.fault(f"{LORE}/flaky", reset=True, times=1)
    (r,), _ = fetch(web_settings(kernelweb), f"{LORE}/flaky")
    assert r.status == 200 and r.body == b"fine"


def test_retry_total_wait_is_capped(kernelweb: KernelWeb) -> None:
    kernelweb.fail(f"{LORE}/cap", 503)
    s = web_settings(kernelweb, retries=10, max_retry_wait=0.3, extra={"retry_backoff": 0.2})
    (r,), f = fetch(s, f"{LORE}/cap")
    assert r.status == 503
    # the budget, not the 10 retries, ended it: each wait is at least 0.2 s (plus up to
    # 0.2 s of jitter), so 0.3 s allow one retry at most, where 10 were allowed
    sent = len(kernelweb.requests_to(f"{LORE}/cap"))
    assert sent in (1, 2) and f.stats.retries == sent - 1


def test_retry_waits_for_its_host_slot(kernelweb: KernelWeb) -> None:
    kernelweb.fail(f"{LORE}/p0", 503, times=1)
    kernelweb.latency = 0.02
    s = web_settings(kernelweb, host_concurrency=1, host_interval=0.05)
    rec = StartRecorder()
    fetch(s, *[f"{LORE}/p{i}" for i in range(4)], on_event=rec)
    assert kernelweb.max_in_flight("lore.kernel.org") == 1
    assert len(rec.starts["lore.kernel.org"]) == 5  # 4 + one retry
    assert rec.min_spacing("lore.kernel.org") >= 0.05 - 0.002
    assert _server_span(kernelweb, "lore.kernel.org") >= 4 * 0.05 * 0.75


# ---------------------------------------------------------------- timeouts, bodies


def test_slow_headers_time_out(kernelweb: KernelWeb) -> None:
    kernelweb.fault(f"{LORE}/slow", delay=5.0)
    (r,), _ = fetch(web_settings(kernelweb, timeout=0.2, retries=1), f"{LORE}/slow")
    # the server holds each answer 5 s: an error "timeout" (not a late 200) is the
    # client giving up first, on both attempts
    assert r.error == "timeout" and r.status is None
    assert len(kernelweb.requests_to(f"{LORE}/slow")) == 2


def test_slow_body_times_out(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/trickle", "x" * 400)
    kernelweb.fault(f"{LORE}/trickle", body_delay=0.15)
    (r,), _ = fetch(web_settings(kernelweb, timeout=0.3, retries=0), f"{LORE}/trickle")
    assert r.error == "timeout"


def test_slow_body_within_timeout_is_fine(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/trickle", "x" * 400)
    kernelweb.fault(f"{LORE}/trickle", body_delay=0.02)
    (r,), _ = fetch(web_settings(kernelweb, timeout=1.0), f"{LORE}/trickle")
    assert r.status == 200 and r.body == b"x" * 400


def test_truncated_body_is_reset(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/cut", "y" * 1000)
    kernelweb.fault(f"{LORE}/cut", truncate=True)
    (r,), _ = fetch(web_settings(kernelweb, retries=1), f"{LORE}/cut")
    assert r.error == "reset" and r.status is None
    assert len(kernelweb.requests_to(f"{LORE}/cut")) == 2


def test_gzip_body_is_decoded(kernelweb: KernelWeb) -> None:
    text = "<title>gz</title>" + "z" * 5000
    kernelweb.page(f"{LORE}/gz", text)
    kernelweb.fault(f"{LORE}/gz", gzip=True)
    (r,), f = fetch(web_settings(kernelweb), f"{LORE}/gz")
    assert r.status == 200 and r.body == text.encode()
    assert r.header("content-encoding") == "gzip"
    assert f.stats.bytes < 1000  # compressed on the wire
    assert "gzip" in kernelweb.log[0].headers["accept-encoding"]


def test_body_cap(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/big", "b" * 5000)
    (r,), _ = fetch(web_settings(kernelweb, max_body=1000), f"{LORE}/big")
    assert r.error == "body-too-large" and r.status is None and r.body == b""
    assert len(kernelweb.requests_to(f"{LORE}/big")) == 1  # not retried


def test_body_cap_applies_to_decoded_size(kernelweb: KernelWeb) -> None:
    kernelweb.route(
        f"{LORE}/bomb",
        WebResponse(200, {"content-encoding": "gzip"}, gzip.compress(b"\0" * 200_000)),
    )
    (r,), _ = fetch(web_settings(kernelweb, max_body=10_000), f"{LORE}/bomb")
    assert r.error == "body-too-large"


def test_bot_challenge_page_is_returned_as_is(kernelweb: KernelWeb) -> None:
    kernelweb.fault(f"{LORE}/wall", challenge=True)
    (r,), _ = fetch(web_settings(kernelweb), f"{LORE}/wall")
    assert r.status == 200 and r.body == CHALLENGE_HTML
    assert "Making sure you&#39;re not a bot!" in r.text or "not a bot!" in r.text


# ---------------------------------------------------------------- redirects


def test_redirect_chain_recorded_with_permanent_flags(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/all/m@x/", "msg")
    kernelweb.redirect(f"{LORE}/patchwork/patch/1", f"{LORE}/r/m@x", 301)
    kernelweb.redirect(f"{LORE}/r/m@x", "/all/m@x", 302)  # relative
    kernelweb.redirect(f"{LORE}/all/m@x", "m@x/", 308)  # relative to the path
    (r,), _ = fetch(web_settings(kernelweb), f"{LORE}/patchwork/patch/1")
    assert r.status == 200 and r.body == b"msg"
    assert r.final_url == f"{LORE}/all/m@x/"
    assert [(h.url, h.status, h.location, h.permanent) for h in r.redirects] == [
        (f"{LORE}/patchwork/patch/1", 301, f"{LORE}/r/m@x", True),
        (f"{LORE}/r/m@x", 302, f"{LORE}/all/m@x", False),
        (f"{LORE}/all/m@x", 308, f"{LORE}/all/m@x/", True),
    ]
    # every hop went through the remap to the local server, in original space on the log
    assert [q.url for q in kernelweb.log] == [
        f"{LORE}/patchwork/patch/1",
        f"{LORE}/r/m@x",
        f"{LORE}/all/m@x",
        f"{LORE}/all/m@x/",
    ]


def test_redirect_to_another_host_is_remapped(kernelweb: KernelWeb) -> None:
    kernelweb.page("https://lore.kernel.org/all/z/", "z")
    kernelweb.redirect("https://lkml.kernel.org/r/z", "https://lore.kernel.org/all/z/", 307)
    (r,), _ = fetch(web_settings(kernelweb), "https://lkml.kernel.org/r/z")
    assert r.status == 200 and r.redirects[0].permanent is False
    assert [q.host for q in kernelweb.log] == ["lkml.kernel.org", "lore.kernel.org"]
    assert all(q.headers["host"] == f"127.0.0.1:{kernelweb.port}" for q in kernelweb.log)


def test_redirect_loop_detected(kernelweb: KernelWeb) -> None:
    kernelweb.redirect(f"{LORE}/a", f"{LORE}/b", 302)
    kernelweb.redirect(f"{LORE}/b", "/a", 302)
    (r,), _ = fetch(web_settings(kernelweb), f"{LORE}/a")
    assert r.error == "redirect-loop" and r.status is None
    assert len(r.redirects) == 2
    assert len(kernelweb.log) == 2


def test_too_many_redirects(kernelweb: KernelWeb) -> None:
    for i in range(6):
        kernelweb.redirect(f"{LORE}/c{i}", f"{LORE}/c{i + 1}", 301)
    (r,), _ = fetch(web_settings(kernelweb, max_redirects=3), f"{LORE}/c0")
    assert r.error == "too-many-redirects"
    assert len(kernelweb.log) == 4 and len(r.redirects) == 4


def test_redirect_to_non_http_scheme(kernelweb: KernelWeb) -> None:
    kernelweb.redirect(f"{LORE}/ftp", "ftp://example.org/x", 302)
    (r,), _ = fetch(web_settings(kernelweb), f"{LORE}/ftp")
    assert r.error == "scheme"


# ---------------------------------------------------------------- coalescing


def test_concurrent_gets_of_one_url_are_coalesced(kernelweb: KernelWeb) -> None:
    kernelweb.latency = 0.05
    kernelweb.page(f"{LORE}/same", "one")
    urls = [f"{LORE}/same", f"{LORE}/same#frag", "HTTPS://LORE.KERNEL.ORG:443/same"] * 4
    rs, f = fetch(web_settings(kernelweb), *urls)
    assert all(r.status == 200 and r.body == b"one" for r in rs)
    assert [r.url for r in rs] == urls  # each caller sees its own URL
    assert len(kernelweb.log) == 1 and f.stats.requests == 1


# ---------------------------------------------------------------- safety


def test_private_addresses_refused_without_sending(kernelweb: KernelWeb) -> None:
    s = web_settings(kernelweb, remap=())
    urls = [
        f"http://127.0.0.1:{kernelweb.port}/lore.kernel.org/x",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
    ]
    rs, f = fetch(s, *urls)
    assert [r.error for r in rs] == ["refused-private"] * len(urls)
    assert kernelweb.count == 0
    assert f.stats.retries == 0


def test_allow_private(kernelweb: KernelWeb) -> None:
    kernelweb.page(f"{LORE}/p", "ok")
    s = web_settings(kernelweb, remap=(), allow_private=True)
    (r,), _ = fetch(s, f"http://127.0.0.1:{kernelweb.port}/lore.kernel.org/p")
    assert r.status == 200 and r.body == b"ok"


def test_remap_target_is_allowed_but_redirect_to_private_is_not(kernelweb: KernelWeb) -> None:
    rule = rf"^https://lore\.kernel\.org(.*)$ http://127.0.0.1:{kernelweb.port}/lore.kernel.org$1"
    s = web_settings(kernelweb, remap=(RemapRule.parse(rule),))
    kernelweb.page(f"{LORE}/fine", "ok")
    kernelweb.redirect(f"{LORE}/evil", "http://169.254.169.254/latest/meta-data/", 302)
    rs, _ = fetch(s, f"{LORE}/fine", f"{LORE}/evil")
    assert rs[0].status == 200
    assert rs[1].error == "refused-private"
    assert rs[1].redirects[0].location == "http://169.254.169.254/latest/meta-data/"


def test_a_name_connects_to_the_address_that_was_checked(
    kernelweb: KernelWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name is resolved once, for the check, and the connection goes
    to the address checked. Here the first look-up of ``rebind.example`` says
    127.0.0.1 (taken as public for the test) and any later one an internal address;
    the name has no DNS on this machine either, so only a pinned connection arrives."""
    lookups: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.0.0.1"]

    real = safety.is_internal
    monkeypatch.setattr(safety, "lookup", lookup)
    monkeypatch.setattr(safety, "is_internal", lambda a: str(a) != "127.0.0.1" and real(a))
    kernelweb.page(f"{LORE}/pinned", "checked address")
    s = web_settings(kernelweb, remap=())
    url = f"http://rebind.example:{kernelweb.port}/lore.kernel.org/pinned"
    rs, f = fetch(s, url, url + "?again")
    assert [r.status for r in rs] == [200, 404], [r.detail for r in rs]
    assert rs[0].body == b"checked address"
    assert lookups == ["rebind.example"]  # the guard's, and no other
    assert f.stats.requests == 2


def test_a_remap_target_given_by_name_connects_as_usual(kernelweb: KernelWeb) -> None:
    rule = rf"^https://lore\.kernel\.org(.*)$ http://localhost:{kernelweb.port}/lore.kernel.org$1"
    kernelweb.page(f"{LORE}/named", "by name")
    (r,), _ = fetch(web_settings(kernelweb, remap=(RemapRule.parse(rule),)), f"{LORE}/named")
    assert r.status == 200 and r.body == b"by name", r.detail


def test_pinned_addresses_are_only_those_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    async def lookup(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    monkeypatch.setattr(safety, "lookup", lookup)
    guard = safety.AddressGuard()

    async def check() -> None:
        await guard(httpx.URL("http://Pub.Example/x"))
        await guard(httpx.URL("http://93.184.216.34/x"))  # an IP literal: no look-up

    run(check())
    assert guard.pinned("pub.example") == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert guard.pinned("PUB.EXAMPLE") == guard.pinned("pub.example")
    assert guard.pinned("93.184.216.34") is None
    assert guard.pinned("never-checked.example") is None


def test_non_http_schemes(kernelweb: KernelWeb) -> None:
    rs, _ = fetch(web_settings(kernelweb), "ftp://x.org/a", "mailto:a@b.c", "https://")
    assert [r.error for r in rs] == ["scheme", "scheme", "scheme"]
    assert kernelweb.count == 0


# ---------------------------------------------------------------- network down


def _dead_rule(host_re: str, port: int) -> RemapRule:
    return RemapRule.parse(rf"^https?://({host_re})(.*)$ http://127.0.0.1:{port}/$1$2")


def test_single_dead_host_is_not_network_down(kernelweb: KernelWeb) -> None:
    dead = _dead_rule(r"dead\.example", closed_port())
    s = web_settings(kernelweb, remap=(dead, RemapRule.parse(kernelweb.remap_rule())))
    rs, f = fetch(s, "https://dead.example/a", f"{LORE}/1", f"{LORE}/2")
    assert rs[0].error == "connect"
    assert [r.status for r in rs[1:]] == [404, 404]
    assert f.network_down is False


def test_dead_hosts_with_some_success_is_not_network_down(kernelweb: KernelWeb) -> None:
    dead = _dead_rule(r"d\d\.example", closed_port())
    s = web_settings(kernelweb, remap=(dead, RemapRule.parse(kernelweb.remap_rule())))

    async def go() -> Fetcher:
        async with Fetcher(s) as f:
            await f.get(f"{LORE}/first")
            await asyncio.gather(*(f.get(f"https://d{i}.example/") for i in range(4)))
        return f

    assert run(go()).network_down is False


def test_network_down_detected_and_later_gets_fail_fast() -> None:
    port = closed_port()
    s = web_settings_no_web(port)

    async def go() -> tuple[list[str | None], float, Fetcher]:
        async with Fetcher(s) as f:
            first = await asyncio.gather(*(f.get(f"https://h{i}.example/x") for i in range(5)))
            t0 = time.monotonic()
            later = await asyncio.gather(*(f.get(f"https://k{i}.example/x") for i in range(50)))
            dt = time.monotonic() - t0
        return [r.error for r in first + later], dt, f

    errors, dt, f = run(go())
    assert f.network_down is True
    assert set(errors[:5]) <= {"connect", "network-down"}
    assert set(errors[5:]) == {"network-down"}
    assert dt < 0.2
    sent = f.stats.requests
    assert sent <= 5 * (s.retries + 1)


def web_settings_no_web(port: int) -> Settings:
    return Settings(
        remap=(_dead_rule(r"[^/?#]+", port),),
        host_interval=0.0,
        timeout=1.0,
        retries=2,
        extra={"retry_backoff": 0.01},
    )


# ---------------------------------------------------------------- error classification


def test_tls_failure_is_tls(kernelweb: KernelWeb) -> None:
    # https to a plain-http server: the TLS handshake fails (certificates are always verified)
    rule = RemapRule.parse(rf"^https?://([^/?#]+)(.*)$ https://127.0.0.1:{kernelweb.port}/$1$2")
    (r,), _ = fetch(web_settings(kernelweb, remap=(rule,), retries=2), f"{LORE}/x")
    assert r.error == "tls" and r.status is None
    assert r.attempts == 1  # not retried


def test_classify_connect_errors() -> None:
    import socket
    import ssl

    from patchcrawl.fetch.errors import classify_connect as _classify_connect

    def chained(cause: BaseException) -> BaseException:
        try:
            raise OSError("outer") from cause
        except OSError as exc:
            return exc

    assert _classify_connect(chained(socket.gaierror(-2, "Name or service not known"))) == "dns"
    assert _classify_connect(OSError("[Errno -3] Temporary failure in name resolution")) == "dns"
    assert _classify_connect(chained(ssl.SSLError(1, "bad handshake"))) == "tls"
    assert _classify_connect(ConnectionRefusedError(111, "Connection refused")) == "connect"


def test_parse_retry_after() -> None:
    import email.utils

    from patchcrawl.fetch.politeness import parse_retry_after

    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    got = parse_retry_after(date, now=now)
    assert got is not None and 28.5 <= got <= 30.5
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True)) == 0.0


def test_is_internal() -> None:
    import ipaddress

    from patchcrawl.fetch.safety import is_internal

    for a in ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
              "::1", "fe80::1", "fd00:ec2::254", "0.0.0.0", "224.0.0.1", "100.64.0.1",
              "::ffff:10.0.0.1"]:  # fmt: skip
        assert is_internal(ipaddress.ip_address(a)), a
    for a in ["198.145.29.83", "2604:1380:4641:c500::1", "8.8.8.8"]:
        assert not is_internal(ipaddress.ip_address(a)), a


def test_stats_and_events(kernelweb: KernelWeb) -> None:
    from patchcrawl.fetch import FetchEvent

    events: list[FetchEvent] = []
    kernelweb.page(f"{LORE}/ok", "x" * 100)
    kernelweb.fail(f"{LORE}/ok", 503, times=1)
    (r,), f = fetch(web_settings(kernelweb), f"{LORE}/ok", on_event=events.append)
    assert r.status == 200
    assert [e.kind for e in events] == ["request", "response", "retry", "request", "response"]
    assert events[1].status == 503 and events[-1].status == 200
    assert all(e.host == "lore.kernel.org" for e in events)
    assert f.stats.requests == 2 and f.stats.retries == 1 and f.stats.bytes >= 100
    assert "lore.kernel.org" in f.stats.host_wait and f.stats.waiting == {"lore.kernel.org": 0}
