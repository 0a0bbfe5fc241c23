"""Resolver status rules and metadata over the simulated sites (in process, no sockets)."""

from __future__ import annotations

import asyncio

import pytest

from patchcrawl.models import FetchErrorKind, Ref, Resolution, Response
from patchcrawl.settings import Settings
from patchcrawl.sources import Resolver
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.sites.direct import direct_getter
from tests.kernelweb.scenarios import Scenario, build, make_ref

LORE = "https://lore.kernel.org"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return build()


def resolve_all(
    sc: Scenario, urls: list[str], settings: Settings | None = None, log: list[str] | None = None
) -> tuple[Resolver, list[Resolution]]:
    r = Resolver(direct_getter(make_handler(sc.world), log), settings)

    async def run() -> list[Resolution]:
        return list(await asyncio.gather(*(r.resolve(make_ref(u)) for u in urls)))

    return r, asyncio.run(run())


def one(sc: Scenario, url: str, settings: Settings | None = None) -> Resolution:
    return resolve_all(sc, [url], settings)[1][0]


def test_cover_letter_ok(sc: Scenario) -> None:
    cover = sc.kprobes.cover
    assert cover is not None
    res = one(sc, f"{LORE}/lkml/{cover.msgid}/")
    assert res.status == "ok" and res.http_status == 200
    m = res.metadata
    assert m is not None
    assert (m.source, m.title, m.version, m.counter, m.total, m.prefixes) == (
        "lore",
        "tracing: attach eBPF programs to kprobes",
        11,
        0,
        9,
        ("tip",),
    )
    assert (m.author_name, m.author_email, m.date, m.msgid) == (
        "Alexei Starovoitov",
        "ast@plumgrid.com",
        "2015-03-25T12:49:17-07:00",
        cover.msgid,
    )


def test_trailing_slash_and_r_redirects_are_ok(sc: Scenario) -> None:
    cover = sc.kprobes.cover
    assert cover is not None
    urls = [
        f"{LORE}/lkml/{cover.msgid}",
        f"{LORE}/r/{cover.msgid}",
        f"https://lkml.kernel.org/r/{cover.msgid}",
        f"https://msgid.link/{cover.msgid}",
        f"https://patch.msgid.link/{cover.msgid}",
        f"http://lore.kernel.org/all/{cover.msgid}/",
    ]
    r, results = resolve_all(sc, urls)
    for res in results:
        assert res.status == "ok", (res.url, res.detail)
        assert res.metadata is not None and res.metadata.version == 11
    assert results[1].final_url == f"{LORE}/all/{cover.msgid}/"
    assert results[2].redirects == (f"{LORE}/r/{cover.msgid}",)
    assert r.reads[cover.msgid] == 1  # one metadata read however many URLs lead to it


def test_legacy_patchwork_is_moved_to_canonical_lore(sc: Scenario) -> None:
    cover = sc.kprobes.cover
    assert cover is not None
    n = sc.kprobes.legacy_ids[cover.msgid]
    p1 = sc.kprobes.patches[0]
    urls = [
        f"{LORE}/patchwork/cover/{n}",
        f"{LORE}/patchwork/patch/{n + 1}",
        f"{LORE}/patchwork/patch/1",
    ]
    r, (res, patch, unknown) = resolve_all(sc, urls)
    assert res.status == "moved"
    assert res.canonical_url == f"{LORE}/all/{cover.msgid}/"
    assert res.final_url == f"{LORE}/all/{cover.msgid}/"
    assert res.redirects == (f"{LORE}/r/{cover.msgid}",)
    assert patch.status == "moved" and patch.canonical_url == f"{LORE}/all/{p1.msgid}/"
    assert patch.metadata is not None
    assert patch.metadata.cover_msgid == cover.msgid
    assert unknown.status == "dead"
    assert r.reads[cover.msgid] == 1


def test_legacy_cover_without_redirector_is_dead() -> None:
    sc = build()
    sc.world.legacy_cover_redirects = False
    cover = sc.kprobes.cover
    assert cover is not None
    res = one(sc, f"{LORE}/patchwork/cover/{sc.kprobes.legacy_ids[cover.msgid]}")
    assert res.status == "dead" and res.http_status == 404


def test_patch_link_reads_its_cover_letter(sc: Scenario) -> None:
    p3 = sc.kprobes.patches[2]
    cover = sc.kprobes.cover
    assert cover is not None
    res = one(sc, f"{LORE}/all/{p3.msgid}/")
    m = res.metadata
    assert res.status == "ok" and m is not None
    assert (m.title, m.version, m.counter, m.total, m.cover_msgid, m.msgid) == (
        "tracing: attach eBPF programs to kprobes",
        11,
        3,
        9,
        cover.msgid,
        p3.msgid,
    )
    assert m.subject == p3.subject


def test_series_without_cover_uses_patch_one(sc: Scenario) -> None:
    p2 = sc.nocover.patches[1]
    res = one(sc, f"{LORE}/linux-mm/{p2.msgid}/")
    m = res.metadata
    assert res.status == "ok" and m is not None
    assert (m.title, m.version, m.counter, m.total, m.cover_msgid) == (
        "mm: fix the widget",
        2,
        2,
        3,
        None,
    )


def test_rfc_resend_and_300_choices(sc: Scenario) -> None:
    cover = sc.token.cover
    assert cover is not None
    all_res, wrong = resolve_all(
        sc, [f"{LORE}/all/{cover.msgid}/", f"{LORE}/linux-mm/{cover.msgid}/"]
    )[1]
    assert all_res.status == "ok" and all_res.http_status == 300
    assert all_res.final_url == f"{LORE}/bpf/{cover.msgid}/"
    m = all_res.metadata
    assert m is not None
    assert (m.version, m.total, m.rfc, m.prefixes) == (3, 7, True, ("RESEND", "bpf-next"))
    assert wrong.status == "ok" and wrong.metadata is not None
    netdev = one(sc, f"{LORE}/netdev/{cover.msgid}/")
    assert netdev.final_url == f"{LORE}/netdev/{cover.msgid}/"


def test_cut_page_falls_back_to_raw_and_decodes_rfc2047(sc: Scenario) -> None:
    msg = sc.single.patches[0]
    log: list[str] = []
    _, (res,) = resolve_all(sc, [f"{LORE}/netdev/{msg.msgid}/"], log=log)
    m = res.metadata
    assert res.status == "ok" and m is not None
    assert (m.title, m.version, m.counter, m.total) == ("net: fix the ☃ socket", 2, 1, 1)
    assert m.author_name == "Toke Høiland-Jørgensen"
    # pages derived from a message are asked for under /all/ (one address per msgid)
    assert f"{LORE}/all/{msg.msgid}/raw" in log


def test_reply_only_thread(sc: Scenario) -> None:
    res = one(sc, f"{LORE}/linux-fsdevel/{sc.reply.msgid}/")
    m = res.metadata
    assert res.status == "ok" and m is not None
    assert (m.title, m.version, m.total) == ("the widget question", None, None)


def test_dead_and_soft404(sc: Scenario) -> None:
    dead, soft = resolve_all(
        sc, [f"{LORE}/all/nothing-here@example.org/", f"{LORE}/all/{sc.soft404}/"]
    )[1]
    assert dead.status == "dead" and dead.http_status == 404
    assert soft.status == "dead" and soft.http_status == 200 and "soft-404" in (soft.detail or "")


def test_patchwork_pages(sc: Scenario) -> None:
    p1 = sc.kprobes.patches[0]
    cover = sc.kprobes.cover
    assert cover is not None
    pid = sc.kprobes.patchwork[p1.msgid]
    cid = sc.kprobes.patchwork[cover.msgid]
    urls = [
        f"https://patchwork.kernel.org/project/netdevbpf/patch/{p1.msgid}/",
        f"https://patchwork.kernel.org/project/netdevbpf/cover/{cover.msgid}/",
        f"https://patchwork.kernel.org/patch/{pid}/",
        f"https://patchwork.kernel.org/cover/{cid}/",
        f"https://patchwork.kernel.org/project/netdevbpf/list/?series={sc.kprobes.patchwork_series}",
        "https://patchwork.kernel.org/patch/1/",
    ]
    _, (patch, cov, numeric, numeric_cover, series, missing) = resolve_all(sc, urls)
    assert patch.status == "ok" and patch.metadata is not None
    assert (
        patch.metadata.title,
        patch.metadata.version,
        patch.metadata.total,
        patch.metadata.cover_msgid,
    ) == ("tracing: attach eBPF programs to kprobes", 11, 9, cover.msgid)
    assert cov.status == "ok" and cov.metadata is not None and cov.metadata.counter == 0
    assert numeric.status == "moved" and numeric.canonical_url == urls[0]
    assert numeric_cover.status == "moved"
    assert series.status == "ok" and series.metadata is not None
    assert (series.metadata.version, series.metadata.total) == (11, 9)
    assert missing.status == "dead"


def test_patchwork_version_comes_from_the_page_headers(sc: Scenario) -> None:
    # the Subject in #patch-headers says v2: the REST API is not asked
    p = sc.nocover.patches[0]
    log: list[str] = []
    _, (res,) = resolve_all(
        sc, [f"https://patchwork.kernel.org/project/linux-mm/patch/{p.msgid}/"], log=log
    )
    assert res.metadata is not None and res.metadata.version == 2
    assert not any("/api/" in u for u in log)


def test_patchwork_soft404() -> None:
    sc = build()
    p = sc.kprobes.patches[0]
    sc.world.soft404_patchwork.add(("patchwork.kernel.org", sc.kprobes.patchwork[p.msgid]))
    res = one(sc, f"https://patchwork.kernel.org/project/netdevbpf/patch/{p.msgid}/")
    assert res.status == "dead" and "no such patch" in (res.detail or "")


def test_lwn_cgit_lkmlorg(sc: Scenario) -> None:
    cover = sc.kprobes.cover
    assert cover is not None
    urls = [
        "https://lwn.net/Articles/615085/",
        "https://lwn.net/Articles/973456",
        f"https://lwn.net/ml/linux-kernel/{cover.msgid}/",
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/"
        "?id=d9847d310ab4003725e6ed1822682e24bd406908",
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=abc123",
        "https://lkml.org/lkml/2015/3/25/789",
        "https://lwn.net/Articles/1/",
    ]
    _, (art, paid, ml, commit, badsha, lkml, missing) = resolve_all(sc, urls)
    assert art.status == "ok" and art.metadata is not None
    assert (art.metadata.title, art.metadata.author_name) == ("Ftrace and eBPF", "Jonathan Corbet")
    assert paid.status == "paywalled" and paid.metadata is not None
    assert paid.metadata.title == "The 6.10 merge window"
    assert ml.status == "ok" and ml.metadata is not None and ml.metadata.msgid == cover.msgid
    assert commit.status == "ok" and commit.metadata is not None
    assert commit.metadata.source == "cgit"
    assert badsha.status == "dead"
    assert lkml.status == "ok" and lkml.metadata is not None and lkml.metadata.version == 11
    assert missing.status == "dead"


def test_generic_walls_and_errors(sc: Scenario) -> None:
    urls = [
        "https://example.com/old",
        "https://example.com/gone",
        "https://example.com/broken",
        "https://walled.example.org/x",
        "https://cf.example.org/x",
        "https://lore.kernel.org/x",
    ]
    sc.world.challenge_hosts["lore.kernel.org"] = "anubis"
    try:
        _, (old, gone, broken, walled, cf, lore_wall) = resolve_all(sc, urls)
    finally:
        del sc.world.challenge_hosts["lore.kernel.org"]
    assert old.status == "moved" and old.canonical_url == "https://example.com/new"
    assert old.metadata is not None and old.metadata.title == "The new page"
    assert gone.status == "dead"
    assert broken.status == "unreachable"
    assert walled.status == "blocked" and walled.metadata is None
    assert cf.status == "blocked" and cf.detail == "cloudflare challenge"
    assert lore_wall.status == "blocked" and lore_wall.detail == "anubis challenge"


def test_fetch_errors_skips_and_exclusions() -> None:
    async def get(url: str) -> Response:
        err: FetchErrorKind = "offline-miss" if "offline" in url else "timeout"
        return Response(url, url, None, (), b"", error=err, detail=err)

    import re

    r = Resolver(get, Settings(exclude=(re.compile(r"excluded"),)))

    async def run() -> list[Resolution]:
        return [
            await r.resolve(Ref("https://a/offline", "other", "https://a/offline", "a")),
            await r.resolve(Ref("https://a/slow", "other", "https://a/slow", "a")),
            await r.resolve(Ref("mailto:x@y", "other", None, None)),
            await r.resolve(Ref("https://a/excluded", "other", "https://a/excluded", "a")),
            await r.resolve(Ref("htp:/bad", "malformed", None, None, problem="bad scheme")),
        ]

    statuses = [x.status for x in asyncio.run(run())]
    assert statuses == ["not-checked", "unreachable", "skipped", "skipped", "malformed"]


def test_concurrent_resolves_share_fetches(sc: Scenario) -> None:
    p = sc.kprobes.patches
    log: list[str] = []
    urls = [f"{LORE}/all/{m.msgid}/" for m in p] + [f"{LORE}/lkml/{m.msgid}/" for m in p]
    r, results = resolve_all(sc, urls, log=log)
    assert all(x.status == "ok" for x in results)
    assert all(x.metadata is not None and x.metadata.version == 11 for x in results)
    assert len(log) == len(set(log))  # every page fetched once
    assert max(r.reads.values()) == 1


def test_thread_and_raw_links_name_their_message(sc: Scenario) -> None:
    cover = sc.kprobes.cover
    assert cover is not None
    r, results = resolve_all(
        sc, [f"{LORE}/lkml/{cover.msgid}/T/", f"{LORE}/lkml/{cover.msgid}/raw"]
    )
    for res in results:
        assert res.status == "ok" and res.metadata is not None
        assert (res.metadata.msgid, res.metadata.version) == (cover.msgid, 11)
    assert r.reads[cover.msgid] == 1
