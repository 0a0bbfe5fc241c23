"""ResponseCache and the Fetcher's use of it: freshness, offline, revalidation, corruption."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from patchcrawl.fetch import (
    ResponseCache,
    cache_clear,
    cache_key,
    cache_prune,
    cache_stats,
    normalize_url,
)
from patchcrawl.models import Hop, Metadata, Resolution, Response
from patchcrawl.testweb.http import WebResponse
from patchcrawl.testweb.server import Fault, KernelWeb
from tests.conftest import web_cache, web_settings
from tests.fetchutil import fetch

LORE = "https://lore.kernel.org"
ROOT = Path(__file__).resolve().parent.parent


def test_normalize_url() -> None:
    assert normalize_url("HTTPS://Lore.Kernel.ORG:443/all/X@y/#frag") == (
        "https://lore.kernel.org/all/X@y/"
    )
    assert normalize_url("http://lwn.net") == "http://lwn.net/"
    assert normalize_url("http://lwn.net:8080/a?b=%2F") == "http://lwn.net:8080/a?b=%2F"
    assert cache_key("https://x.org/a", {"Accept": "application/json"}) != cache_key(
        "https://x.org/a"
    )
    assert cache_key("https://x.org/a", {"user-agent": "z"}) == cache_key("https://x.org/a")


def test_second_run_within_max_age_sends_nothing(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.page(f"{LORE}/all/m/", "message")
    kernelweb.redirect(f"{LORE}/r/m", f"{LORE}/all/m/", 302)
    s = web_settings(kernelweb, tmp_path / "c")
    urls = (f"{LORE}/r/m", f"{LORE}/nothing")
    first, f1 = fetch(s, *urls)
    assert f1.stats.requests == 3 and not any(r.from_cache for r in first)
    kernelweb.clear_log()
    second, f2 = fetch(s, *urls)
    assert kernelweb.count == 0 and f2.stats.requests == 0
    assert f2.stats.from_cache == 2
    assert all(r.from_cache for r in second)
    assert second[0].body == b"message" and second[0].final_url == f"{LORE}/all/m/"
    assert second[0].redirects == first[0].redirects
    assert second[1].status == 404  # a 404 is a real answer and is cached
    assert second[0].fetched_at == pytest.approx(first[0].fetched_at)


def test_use_cache_false_bypasses_reading(kernelweb: KernelWeb, tmp_path: Path) -> None:
    s = web_settings(kernelweb, tmp_path)
    fetch(s, f"{LORE}/x")

    async def go() -> Response:
        from patchcrawl.fetch import Fetcher

        async with Fetcher(s) as f:
            return await f.get(f"{LORE}/x", use_cache=False)

    from tests.fetchutil import run

    r = run(go())
    assert not r.from_cache and kernelweb.count == 2


def test_offline_answers_from_cache_only(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.page(f"{LORE}/a", "A")
    fetch(web_settings(kernelweb, tmp_path, max_age=0.0), f"{LORE}/a")
    kernelweb.clear_log()
    s = web_settings(kernelweb, tmp_path, offline=True, max_age=0.0)  # any age is fine offline
    (a, b), f = fetch(s, f"{LORE}/a", f"{LORE}/b")
    assert kernelweb.count == 0 and f.stats.requests == 0
    assert a.status == 200 and a.from_cache and a.body == b"A"
    assert b.error == "offline-miss" and b.status is None


def test_offline_without_cache_dir(kernelweb: KernelWeb) -> None:
    (r,), _ = fetch(web_settings(kernelweb, offline=True), f"{LORE}/a")
    assert r.error == "offline-miss" and kernelweb.count == 0


def test_stale_entry_revalidated_with_etag(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.page(f"{LORE}/all/e/", "etagged")
    kernelweb.redirect(f"{LORE}/r/e", f"{LORE}/all/e/", 302)
    (first,), _ = fetch(web_settings(kernelweb, tmp_path), f"{LORE}/r/e")
    etag = first.header("etag")
    assert etag
    time.sleep(0.01)
    kernelweb.clear_log()
    (r,), f = fetch(web_settings(kernelweb, tmp_path, max_age=0.0), f"{LORE}/r/e")
    assert r.status == 200 and r.body == b"etagged" and r.from_cache
    assert f.stats.revalidated == 1 and f.stats.requests == 2
    final = kernelweb.requests_to(f"{LORE}/all/e/")
    assert final[0].headers["if-none-match"] == etag and final[0].status == 304
    assert "if-none-match" not in kernelweb.requests_to(f"{LORE}/r/e")[0].headers
    assert r.fetched_at > first.fetched_at
    # the 304 refreshed the stored time: within max_age now, no request at all
    kernelweb.clear_log()
    (again,), f3 = fetch(web_settings(kernelweb, tmp_path, max_age=60.0), f"{LORE}/r/e")
    assert f3.stats.requests == 0 and again.from_cache


def test_stale_entry_revalidated_with_last_modified(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.etags = False
    lm = "Wed, 01 Jan 2025 00:00:00 GMT"
    kernelweb.page(f"{LORE}/lm", "dated", last_modified=lm)
    fetch(web_settings(kernelweb, tmp_path), f"{LORE}/lm")
    (r,), f = fetch(web_settings(kernelweb, tmp_path, max_age=0.0), f"{LORE}/lm")
    second = kernelweb.requests_to(f"{LORE}/lm")[1]
    assert second.headers["if-modified-since"] == lm and second.status == 304
    assert r.body == b"dated" and f.stats.revalidated == 1


def test_stale_entry_replaced_when_changed(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.page(f"{LORE}/v", "one")
    fetch(web_settings(kernelweb, tmp_path), f"{LORE}/v")
    kernelweb.page(f"{LORE}/v", "two")
    (r,), f = fetch(web_settings(kernelweb, tmp_path, max_age=0.0), f"{LORE}/v")
    assert r.body == b"two" and not r.from_cache and f.stats.revalidated == 0
    (r2,), _ = fetch(web_settings(kernelweb, tmp_path, offline=True), f"{LORE}/v")
    assert r2.body == b"two"


@pytest.mark.parametrize(
    "fault", [Fault(status=503, times=1), Fault(status=429, times=1), Fault(reset=True, times=1)]
)
def test_transient_failures_not_cached(kernelweb: KernelWeb, tmp_path: Path, fault: Fault) -> None:
    kernelweb.page(f"{LORE}/t", "fine")
    kernelweb.fault(f"{LORE}/t", fault)
    (r,), _ = fetch(web_settings(kernelweb, tmp_path, retries=0), f"{LORE}/t")
    assert r.status != 200
    with web_cache(kernelweb, tmp_path) as c:
        assert len(c) == 0
    (r2,), f = fetch(web_settings(kernelweb, tmp_path, retries=0), f"{LORE}/t")
    assert r2.status == 200 and f.stats.requests == 1


def test_timeout_not_cached(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.fault(f"{LORE}/slow", delay=0.5, times=1)
    (r,), _ = fetch(web_settings(kernelweb, tmp_path, retries=0, timeout=0.1), f"{LORE}/slow")
    assert r.error == "timeout"
    with web_cache(kernelweb, tmp_path) as c:
        assert c.get(f"{LORE}/slow") is None


def test_410_and_redirect_errors(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.fail(f"{LORE}/gone", 410)
    kernelweb.redirect(f"{LORE}/l1", f"{LORE}/l2")
    kernelweb.redirect(f"{LORE}/l2", f"{LORE}/l1")
    fetch(web_settings(kernelweb, tmp_path), f"{LORE}/gone", f"{LORE}/l1")
    with web_cache(kernelweb, tmp_path) as c:
        gone = c.get(f"{LORE}/gone")
        assert gone is not None and gone.status == 410
        assert c.get(f"{LORE}/l1") is None  # a loop is an error, not an answer


def test_stale_if_error(kernelweb: KernelWeb, tmp_path: Path) -> None:
    kernelweb.page(f"{LORE}/s", "old")
    fetch(web_settings(kernelweb, tmp_path), f"{LORE}/s")
    kernelweb.fail(f"{LORE}/s", 503)
    (r,), _ = fetch(web_settings(kernelweb, tmp_path, max_age=0.0, retries=0), f"{LORE}/s")
    assert r.status == 200 and r.body == b"old" and r.from_cache


def test_accept_header_is_part_of_the_key(kernelweb: KernelWeb, tmp_path: Path) -> None:
    s = web_settings(kernelweb, tmp_path)

    async def go() -> None:
        from patchcrawl.fetch import Fetcher

        async with Fetcher(s) as f:
            await f.get(f"{LORE}/api", headers={"Accept": "application/json"})
            await f.get(f"{LORE}/api")
            await f.get(f"{LORE}/api", headers={"Accept": "application/json"})

    from tests.fetchutil import run

    run(go())
    assert kernelweb.count == 2
    assert kernelweb.log[0].headers["accept"] == "application/json"


def test_garbage_cache_db_is_rebuilt(
    kernelweb: KernelWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "c"
    d.mkdir()
    (d / "cache.db").write_bytes(b"this is not a database at all" * 100)
    (d / "junk.txt").write_text("garbage")
    kernelweb.page(f"{LORE}/a", "A")
    (r,), _ = fetch(web_settings(kernelweb, d), f"{LORE}/a")
    assert r.status == 200
    err = capsys.readouterr().err
    assert err.count("corrupt") == 1
    (r2,), f = fetch(web_settings(kernelweb, d), f"{LORE}/a")
    assert r2.from_cache and f.stats.requests == 0
    assert any(p.name.startswith("cache.db.corrupt-") for p in d.iterdir())


def test_truncated_cache_db_is_rebuilt(
    kernelweb: KernelWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "c"
    fetch(web_settings(kernelweb, d), *[f"{LORE}/n{i}" for i in range(50)])
    db = d / "cache.db"
    for extra in ("cache.db-wal", "cache.db-shm"):
        (d / extra).unlink(missing_ok=True)
    raw = db.read_bytes()
    db.write_bytes(raw[: len(raw) // 3])
    kernelweb.clear_log()
    rs, _ = fetch(web_settings(kernelweb, d), *[f"{LORE}/n{i}" for i in range(50)])
    assert all(r.status == 404 for r in rs)
    err = capsys.readouterr().err
    assert err.count("patchcrawl:") == 1 and "rebuilding" in err
    # rebuilt and usable: the second run filled it again
    (r,), f = fetch(web_settings(kernelweb, d), f"{LORE}/n7")
    assert r.from_cache and f.stats.requests == 0
    assert cache_stats(d)["entries"] == 50


def test_corrupt_value_is_a_miss(tmp_path: Path) -> None:
    with ResponseCache(tmp_path) as c:
        c._cache.set(cache_key("https://x.org/"), ("not", "a", "valid", "entry"))  # type: ignore[union-attr]
        assert c.get("https://x.org/") is None
        c._cache.set(cache_key("https://y.org/"), (1, 200, (), "u", (), 0.0, b"not zlib"))  # type: ignore[union-attr]
        assert c.get("https://y.org/") is None


def _resp(url: str, fetched_at: float, status: int = 200) -> Response:
    return Response(
        url=url,
        final_url=url + "final/",
        status=status,
        headers=(("content-type", "text/html"),),
        body=b"<html>" + url.encode() * 50,
        redirects=(Hop(url, 301, url + "final/", True),),
        fetched_at=fetched_at,
    )


def test_cache_roundtrip_stats_prune_clear(tmp_path: Path) -> None:
    now = time.time()
    with ResponseCache(tmp_path / "c") as c:
        for i in range(10):
            assert c.put(_resp(f"https://x.org/{i}/", now - i * 3600))
        assert not c.put(_resp("https://x.org/503/", now, status=503))
        got = c.get("https://x.org/3/")
        assert got is not None and got.from_cache and got.redirects[0].permanent
        assert got.body == _resp("https://x.org/3/", 0).body
    st = cache_stats(tmp_path / "c")
    assert st["entries"] == 10 and st["bytes"] > 0
    assert st["kinds"] == {"pages": 10, "resolutions": 0, "documents": 0}
    assert st["newest"] == pytest.approx(now) and st["oldest"] == pytest.approx(now - 9 * 3600)
    assert cache_prune(tmp_path / "c", 4.5 * 3600) == 5
    assert cache_stats(tmp_path / "c")["entries"] == 5
    assert cache_clear(tmp_path / "c") == 5
    assert cache_stats(tmp_path / "c")["entries"] == 0
    assert cache_stats(tmp_path / "missing") == {
        "directory": str(tmp_path / "missing"),
        "entries": 0,
        "bytes": 0,
        "oldest": None,
        "newest": None,
        "kinds": {"pages": 0, "resolutions": 0, "documents": 0},
    }
    assert cache_prune(tmp_path / "missing", 1) == 0 and cache_clear(tmp_path / "missing") == 0
    assert not (tmp_path / "missing").exists()


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from patchcrawl.fetch import Fetcher
    from patchcrawl.settings import RemapRule, Settings
    rule, cache_dir = sys.argv[1], sys.argv[2]
    s = Settings(remap=(RemapRule.parse(rule),), cache_dir=cache_dir, host_interval=0.0,
                 host_concurrency=8, timeout=5.0)
    async def main():
        async with Fetcher(s) as f:
            rs = await asyncio.gather(*(f.get(f"https://lore.kernel.org/p/{i}") for i in range(60)))
        assert all(r.status == 200 and r.body == f"page {i}".encode() for i, r in enumerate(rs))
        print(f.stats.requests, f.stats.from_cache)
    asyncio.run(main())
    """
)


def test_two_processes_share_one_cache_dir(kernelweb: KernelWeb, tmp_path: Path) -> None:
    for i in range(60):
        kernelweb.route(f"{LORE}/p/{i}", WebResponse(200, {}, f"page {i}".encode()))
    kernelweb.latency = 0.005
    d = tmp_path / "shared"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, kernelweb.remap_rule(), str(d)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "corrupt" not in err
    with web_cache(kernelweb, d) as c:
        assert len(c) == 60
        for i in range(60):
            got = c.get(f"{LORE}/p/{i}")
            assert got is not None and got.body == f"page {i}".encode()
    kernelweb.clear_log()
    rs, f = fetch(web_settings(kernelweb, d), *[f"{LORE}/p/{i}" for i in range(60)])
    assert f.stats.requests == 0 and all(r.from_cache for r in rs)


def test_resolutions_round_trip_through_the_cache(tmp_path: Path) -> None:
    meta = Metadata(
        source="lore",
        title="bpf: a title",
        subject="[PATCH v3 bpf-next 0/2] bpf: a title",
        version=3,
        counter=0,
        total=2,
        prefixes=("bpf-next",),
        author_name="Alexei Starovoitov",
        author_email="ast@kernel.org",
        date="2024-04-29T10:00:00+00:00",
        msgid="a@b",
        rfc=True,
        cover_msgid="a@b",
        canonical_url="https://lore.kernel.org/all/a@b/",
    )
    moved = Resolution(
        url="https://lore.kernel.org/patchwork/cover/1/",
        status="moved",
        http_status=200,
        final_url="https://lore.kernel.org/all/a@b/",
        redirects=("https://lore.kernel.org/r/a@b",),
        metadata=meta,
        detail="legacy patchwork",
        canonical_url="https://lore.kernel.org/all/a@b/",
    )
    dead = Resolution(url="https://lwn.net/Articles/1/", status="dead", http_status=404)
    with ResponseCache(tmp_path / "c") as cache:
        cache.queue_resolution("k1", moved, 1234.5)
        cache.queue_resolution("k2", dead, 1234.5)
    with ResponseCache(tmp_path / "c") as cache:
        assert cache.get_resolution("k1") == (1234.5, moved)
        got = cache.get_resolution("k2", from_cache=True)
        assert got is not None and got[1] == Resolution(
            url=dead.url, status="dead", http_status=404, from_cache=True
        )
        assert cache.get_resolution("missing") is None


@pytest.mark.parametrize("bulk", [True, False], ids=["one-query-per-500", "per-key-fallback"])
def test_resolutions_read_together_are_those_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    """``get_resolutions`` (the warm path: one query per 500 keys) gives what
    ``get_resolution`` gives key by key; should diskcache keep its table otherwise, it
    falls back to one look-up per key."""
    from patchcrawl.fetch import cache as cache_mod

    stored = {
        f"k{i}": Resolution(
            url=f"https://lore.kernel.org/all/{i}@x/",
            status="ok" if i % 3 else "dead",
            http_status=200 if i % 3 else 404,
            metadata=Metadata(source="lore", title=f"t{i}", version=i % 5 or None),
        )
        for i in range(1203)
    }
    with ResponseCache(tmp_path / "c") as cache:
        for key, res in stored.items():
            cache.queue_resolution(key, res, 99.5)
        cache.put(
            Response(
                url="https://x.org/", final_url="https://x.org/", status=200, headers=(), body=b"p"
            )
        )
    if not bulk:  # as if diskcache's table had no such column
        monkeypatch.setattr(cache_mod, "_BULK_SELECT", _BULK_SELECT_WRONG)
    keys = [*stored, "missing", "also-missing"]
    with ResponseCache(tmp_path / "c") as cache:
        together = cache.get_resolutions(keys, from_cache=True)
    monkeypatch.undo()
    with ResponseCache(tmp_path / "c") as cache:
        one_by_one = {k: cache.get_resolution(k, from_cache=True) for k in keys}
    assert together == {k: v for k, v in one_by_one.items() if v is not None}
    assert len(together) == 1203
    assert together["k4"] == (99.5, dataclasses.replace(stored["k4"], from_cache=True))
    assert not [p for p in (tmp_path / "c").iterdir() if "corrupt" in p.name]  # not "repaired"


_BULK_SELECT_WRONG = "SELECT key, mode, filename, no_such_column FROM Cache WHERE key IN ({})"


def test_a_queued_resolution_is_read_back_before_and_after_it_is_written(
    tmp_path: Path,
) -> None:
    """A crawl queues each resolution as it is made (written with the next batch of
    pages): look-ups see it while it waits, and closing the cache writes it."""
    ok = Resolution(url="https://lore.kernel.org/all/q@x/", status="ok", http_status=200)
    older = dataclasses.replace(ok, status="dead", http_status=404)
    with ResponseCache(tmp_path / "c") as cache:
        cache.queue_resolution("q", older, 10.0)
        cache.queue_resolution("other", older, 10.0)
        cache.flush()
        cache.queue_resolution("q", ok, 20.0)
        assert cache.get_resolution("q") == (20.0, ok)  # the queued one, not the stored
        assert cache.get_resolutions(["q", "other", "missing"]) == {
            "q": (20.0, ok),
            "other": (10.0, older),
        }
    with ResponseCache(tmp_path / "c") as cache:
        assert cache.get_resolution("q") == (20.0, ok)


def test_a_cache_opened_empty_answers_misses_without_asking_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run looks up every page before fetching it; in a cache that was empty
    when opened, only what this run wrote can be there: the others miss at once.
    A cache that held entries is asked as before."""
    import diskcache

    from patchcrawl.fetch import cache as cache_mod

    asked: list[str] = []
    real_get = diskcache.Cache.get

    def get(self: diskcache.Cache, key: str, *args: object, **kw: object) -> object:
        asked.append(key)
        return real_get(self, key, *args, **kw)

    monkeypatch.setattr(diskcache.Cache, "get", get)
    monkeypatch.setattr(cache_mod, "FLUSH_ENTRIES", 2)

    def page(n: int) -> Response:
        url = f"https://lore.kernel.org/all/{n}@x/"
        return Response(url=url, final_url=url, status=200, headers=(), body=b"p%d" % n)

    with ResponseCache(tmp_path / "c") as cache:
        assert cache.get(page(1).url) is None and asked == []
        for n in range(1, 6):
            cache.put(page(n))
        # written (two batches of two) or still waiting: all found
        assert [cache.get(page(n).url).body for n in range(1, 6)] == [  # type: ignore[union-attr]
            b"p1",
            b"p2",
            b"p3",
            b"p4",
            b"p5",
        ]
        assert len(asked) == 4  # the four written: read back from the database
        asked.clear()
        assert cache.get(page(9).url) is None and asked == []
    with ResponseCache(tmp_path / "c") as cache:  # not empty now: misses are asked
        assert cache.get(page(9).url) is None and len(asked) == 1
        got = cache.get(page(2).url)
        assert got is not None and got.body == b"p2"
