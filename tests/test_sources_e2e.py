"""End to end over real HTTP: KernelWeb serving the simulated sites, the real Fetcher, --remap."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from patchcrawl.fetch.client import Fetcher
from patchcrawl.models import Ref, Resolution
from patchcrawl.settings import RemapRule, Settings
from patchcrawl.sources import Resolver
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from tests.kernelweb.scenarios import Scenario, build, make_ref

LORE = "https://lore.kernel.org"


@pytest.fixture(scope="module")
def web() -> Iterator[tuple[KernelWeb, Scenario]]:
    sc = build()
    with KernelWeb(make_handler(sc.world)) as kw:
        yield kw, sc


def settings(kw: KernelWeb) -> Settings:
    return Settings(
        remap=(RemapRule.parse(kw.remap_rule()),),
        host_interval=0.0,
        host_concurrency=8,
        retries=1,
        timeout=5.0,
        extra={"retry_backoff": 0.01},
    )


def run(kw: KernelWeb, urls: list[str]) -> tuple[Resolver, list[Resolution]]:
    async def go() -> tuple[Resolver, list[Resolution]]:
        async with Fetcher(settings(kw)) as f:
            r = Resolver(f.get, settings(kw))
            refs: list[Ref] = [make_ref(u) for u in urls]
            return r, list(await asyncio.gather(*(r.resolve(x) for x in refs)))

    return asyncio.run(go())


def test_e2e_statuses(web: tuple[KernelWeb, Scenario]) -> None:
    kw, sc = web
    cover = sc.kprobes.cover
    tcover = sc.token.cover
    assert cover is not None and tcover is not None
    legacy = sc.kprobes.legacy_ids[cover.msgid]
    urls = {
        "lore": f"{LORE}/lkml/{cover.msgid}",
        "r": f"https://lkml.kernel.org/r/{cover.msgid}",
        "legacy": f"{LORE}/patchwork/cover/{legacy}",
        "patch": f"{LORE}/all/{sc.kprobes.patches[4].msgid}/",
        "choices": f"{LORE}/all/{tcover.msgid}/",
        "cut": f"{LORE}/netdev/{sc.single.patches[0].msgid}/",
        "dead": f"{LORE}/all/nope@example.org/",
        "soft": f"{LORE}/all/{sc.soft404}/",
        "pw": f"https://patchwork.kernel.org/patch/{sc.kprobes.patchwork[cover.msgid]}/",
        "pwcover": f"https://patchwork.kernel.org/cover/{sc.kprobes.patchwork[cover.msgid]}/",
        "lwn": "https://lwn.net/Articles/615085/",
        "paid": "https://lwn.net/Articles/973456/",
        "wall": "https://walled.example.org/x",
        "gone": "https://example.com/gone",
        "moved": "https://example.com/old",
    }
    r, results = run(kw, list(urls.values()))
    got = dict(zip(urls, results, strict=True))
    assert {k: v.status for k, v in got.items()} == {
        "lore": "ok",
        "r": "ok",
        "legacy": "moved",
        "patch": "ok",
        "choices": "ok",
        "cut": "ok",
        "dead": "dead",
        "soft": "dead",
        "pw": "dead",  # a cover id behind /patch/N/: patchwork says 404
        "pwcover": "moved",
        "lwn": "ok",
        "paid": "paywalled",
        "wall": "blocked",
        "gone": "dead",
        "moved": "moved",
    }
    assert got["legacy"].canonical_url == f"{LORE}/all/{cover.msgid}/"
    assert got["legacy"].redirects == (f"{LORE}/r/{cover.msgid}",)
    assert got["lore"].final_url == f"{LORE}/lkml/{cover.msgid}/"
    meta = got["patch"].metadata
    assert meta is not None and (meta.version, meta.total, meta.cover_msgid) == (11, 9, cover.msgid)
    cut = got["cut"].metadata
    assert cut is not None and cut.author_name == "Toke Høiland-Jørgensen"
    assert r.reads[cover.msgid] == 1
    # the wire saw remapped URLs on 127.0.0.1, reports keep the original ones
    assert all(x.final_url and x.final_url.startswith("https://") for x in results)
    assert kw.requests_for_host("lore.kernel.org")
