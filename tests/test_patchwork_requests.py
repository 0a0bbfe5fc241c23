"""Patchwork links read from their pages, and a mail linked on lore and patchwork read once.

Over real sockets: KernelWeb serving the simulated sites, the real Fetcher, ``--remap``
rules; the counts are the requests the server logged, per host.  Where two links are
resolved one after the other the order is the test's, so every count is exact.

The patchwork pages are the shape of patchwork's ``submission.html``
(getpatchwork/patchwork, ``patchwork/templates/patchwork/submission.html``): the
hidden ``#patch-headers`` block holds the mail's headers as ``parser.find_headers``
stores them (folded, RFC 2047), the "Series" row lists the cover letter and the patches.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from html import escape
from typing import Any

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from patchcrawl.fetch.client import Fetcher
from patchcrawl.models import Metadata, Resolution
from patchcrawl.settings import RemapRule, remap_url
from patchcrawl.sources import Resolver, patchwork
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.sites.patchwork import item_html
from patchcrawl.testweb.world import PatchworkItem, Series
from tests.conftest import web_settings
from tests.kernelweb import realmail
from tests.kernelweb.scenarios import Scenario, build, make_ref

LORE = "https://lore.kernel.org"
PW = "https://patchwork.kernel.org"
# longer than one header line: patchwork folds it in #patch-headers
LONG_TITLE = "bpf: teach the verifier to track the bounds of every widget through spills and fills"


@dataclasses.dataclass
class World:
    sc: Scenario
    long: Series


@pytest.fixture(scope="module")
def world() -> World:
    sc = build()
    long = sc.world.add_series(
        title=LONG_TITLE,
        author="Kumar Kartikeya Dwivedi",
        version=4,
        total=3,
        patchwork="netdevbpf",
    )
    return World(sc, long)


@pytest.fixture(scope="module")
def web(world: World) -> Iterator[KernelWeb]:
    with KernelWeb(make_handler(world.sc.world)) as kw:
        yield kw


def resolve(
    web: KernelWeb, *batches: list[str], before: Any = None
) -> tuple[Resolver, list[Resolution]]:
    """Resolve the URLs of each batch together, the batches one after the other, with one
    resolver (one run); the server's log starts empty."""
    web.clear_log()

    async def go() -> tuple[Resolver, list[Resolution]]:
        s = web_settings(web, host_concurrency=8)
        async with Fetcher(s) as f:
            r = Resolver(f.get, s)
            out: list[Resolution] = []
            for urls in batches:
                out += await asyncio.gather(*(r.resolve(make_ref(u)) for u in urls))
            return r, out

    return asyncio.run(go())


def paths(web: KernelWeb, host: str) -> list[str]:
    return sorted(q.path + (f"?{q.query}" if q.query else "") for q in web.requests_for_host(host))


def submitter_html(web: KernelWeb, url: str) -> str:
    """The submitter and date a patchwork page shows a reader (``div.meta``)."""
    with httpx.Client() as c:
        html = c.get(remap_url((RemapRule.parse(web.remap_rule()),), url)).text
    node = HTMLParser(html).css_first("div.submission-message div.meta")
    assert node is not None
    return node.html or ""


def pw_cover(s: Series) -> str:
    assert s.cover is not None
    return f"{PW}/project/netdevbpf/cover/{s.cover.msgid}/"


def pw_patch(s: Series, n: int, project: str = "netdevbpf") -> str:
    return f"{PW}/project/{project}/patch/{s.patches[n - 1].msgid}/"


def same(meta: Metadata | None) -> Metadata:
    """Metadata without what says which site it was read on."""
    assert meta is not None
    return dataclasses.replace(meta, source="-", canonical_url=None)


# ------------------------------------------------------------------ patchwork alone


def test_cover_alone_is_its_page_only(web: KernelWeb, world: World) -> None:
    cover = world.long.cover
    assert cover is not None
    r, (res,) = resolve(web, [pw_cover(world.long)])
    assert res.status == "ok" and res.metadata is not None
    assert paths(web, "patchwork.kernel.org") == [f"/project/netdevbpf/cover/{cover.msgid}/"]
    assert paths(web, "lore.kernel.org") == []
    m = res.metadata
    # the address is in #patch-headers only (the page's submitter link has none);
    # the Subject header is folded there, and says PATCH where the h1 says [v4,0/3]
    assert (m.author_name, m.author_email) == ("Kumar Kartikeya Dwivedi", cover.from_email)
    assert "@" not in submitter_html(web, pw_cover(world.long))
    assert m.subject == f"[PATCH v4 0/3] {LONG_TITLE}"
    assert (m.title, m.version, m.counter, m.total) == (LONG_TITLE, 4, 0, 3)
    assert (m.msgid, m.date) == (cover.msgid, cover.date.isoformat())
    assert (m.source, m.canonical_url) == ("patchwork", pw_cover(world.long))
    assert r.reads[cover.msgid] == 1


def test_rfc2047_headers_on_the_page(web: KernelWeb, world: World) -> None:
    single = world.sc.single.patches[0]
    _, (res,) = resolve(web, [f"{PW}/project/netdevbpf/patch/{single.msgid}/"])
    assert res.metadata is not None
    m = res.metadata
    assert (m.author_name, m.author_email) == ("Toke Høiland-Jørgensen", "toke@redhat.com")
    assert (m.title, m.version) == ("net: fix the ☃ socket", 2)
    assert paths(web, "patchwork.kernel.org") == [f"/project/netdevbpf/patch/{single.msgid}/"]


def test_patch_of_a_series_reads_its_cover_page_not_the_api(web: KernelWeb, world: World) -> None:
    s = world.sc.kprobes
    assert s.cover is not None
    r, (res,) = resolve(web, [pw_patch(s, 3)])
    assert paths(web, "patchwork.kernel.org") == sorted(
        [
            f"/project/netdevbpf/patch/{s.patches[2].msgid}/",
            f"/project/netdevbpf/cover/{s.cover.msgid}/",
        ]
    )
    assert paths(web, "lore.kernel.org") == []
    m = res.metadata
    assert m is not None
    assert (m.title, m.version, m.counter, m.total, m.cover_msgid) == (
        "tracing: attach eBPF programs to kprobes",
        11,
        3,
        9,
        s.cover.msgid,
    )
    assert m.subject == s.patches[2].subject and m.author_email == "ast@plumgrid.com"
    assert r.reads[s.patches[2].msgid] == r.reads[s.cover.msgid] == 1


def test_patch_of_a_series_without_cover_takes_patch_one_title(
    web: KernelWeb, world: World
) -> None:
    s = world.sc.nocover
    _, (res,) = resolve(web, [pw_patch(s, 2, "linux-mm")])
    assert res.metadata is not None
    assert (res.metadata.title, res.metadata.version, res.metadata.total) == (
        "mm: fix the widget",
        2,
        3,
    )
    assert paths(web, "patchwork.kernel.org") == [f"/project/linux-mm/patch/{s.patches[1].msgid}/"]


def test_series_link_asks_the_api(web: KernelWeb, world: World) -> None:
    s = world.sc.kprobes
    _, (res,) = resolve(web, [f"{PW}/project/netdevbpf/list/?series={s.patchwork_series}"])
    assert res.metadata is not None and (res.metadata.version, res.metadata.total) == (11, 9)
    assert paths(web, "patchwork.kernel.org") == [
        f"/api/1.2/series/{s.patchwork_series}/",
        f"/project/netdevbpf/list/?series={s.patchwork_series}",
    ]


# ------------------------------------------------------------------ lore and patchwork


@pytest.mark.parametrize("order", ["lore first", "patchwork first", "together"])
def test_same_cover_on_lore_and_patchwork_is_read_once(
    web: KernelWeb, world: World, order: str
) -> None:
    s = world.long
    assert s.cover is not None
    lore_url, pw_url = f"{LORE}/lkml/{s.cover.msgid}/", pw_cover(s)
    batches = {
        "lore first": ([lore_url], [pw_url]),
        "patchwork first": ([pw_url], [lore_url]),
        "together": ([lore_url, pw_url],),
    }[order]
    r, results = resolve(web, *batches)
    assert paths(web, "lore.kernel.org") == [f"/lkml/{s.cover.msgid}/"]
    assert paths(web, "patchwork.kernel.org") == [f"/project/netdevbpf/cover/{s.cover.msgid}/"]
    assert r.reads[s.cover.msgid] == 1
    by_source = {x.metadata.source: x for x in results if x.metadata is not None}
    assert set(by_source) == {"lore", "patchwork"}
    assert by_source["patchwork"].metadata is not None and by_source["lore"].metadata is not None
    assert by_source["patchwork"].metadata.canonical_url == pw_url
    assert by_source["lore"].metadata.canonical_url == f"{LORE}/all/{s.cover.msgid}/"
    assert same(by_source["lore"].metadata) == same(by_source["patchwork"].metadata)
    assert all(x.status == "ok" for x in results)


def test_same_patch_lore_first(web: KernelWeb, world: World) -> None:
    s = world.sc.kprobes
    assert s.cover is not None
    p = s.patches[1].msgid
    r, (lo, pw) = resolve(web, [f"{LORE}/lkml/{p}/"], [pw_patch(s, 2)])
    # lore finds the cover letter through the thread; the patchwork page adds nothing
    assert paths(web, "lore.kernel.org") == sorted(
        [f"/lkml/{p}/", f"/all/{p}/T/", f"/all/{s.cover.msgid}/"]
    )
    assert paths(web, "patchwork.kernel.org") == [f"/project/netdevbpf/patch/{p}/"]
    assert r.reads[p] == 1 and same(lo.metadata) == same(pw.metadata)


def test_same_patch_patchwork_first(web: KernelWeb, world: World) -> None:
    s = world.sc.kprobes
    assert s.cover is not None
    p = s.patches[1].msgid
    r, (pw, lo) = resolve(web, [pw_patch(s, 2)], [f"{LORE}/lkml/{p}/"])
    # the patch's page links its cover letter: no thread, no lore cover, no API
    assert paths(web, "lore.kernel.org") == [f"/lkml/{p}/"]
    assert paths(web, "patchwork.kernel.org") == sorted(
        [f"/project/netdevbpf/patch/{p}/", f"/project/netdevbpf/cover/{s.cover.msgid}/"]
    )
    assert r.reads[p] == 1 and same(lo.metadata) == same(pw.metadata)
    assert lo.metadata is not None and lo.metadata.cover_msgid == s.cover.msgid


def test_patch_takes_its_cover_from_lore(web: KernelWeb, world: World) -> None:
    s = world.long
    assert s.cover is not None
    r, (_, pw) = resolve(web, [f"{LORE}/lkml/{s.cover.msgid}/"], [pw_patch(s, 2)])
    assert paths(web, "patchwork.kernel.org") == [f"/project/netdevbpf/patch/{s.patches[1].msgid}/"]
    assert pw.metadata is not None
    assert (pw.metadata.title, pw.metadata.cover_msgid) == (LONG_TITLE, s.cover.msgid)
    assert r.reads[s.cover.msgid] == 1


@pytest.mark.parametrize("which", ["kprobes cover", "kprobes patch", "nocover patch", "single"])
def test_lore_and_patchwork_read_a_mail_alike(web: KernelWeb, world: World, which: str) -> None:
    """What makes the sharing independent of the order: either page gives the same."""
    sc = world.sc
    assert sc.kprobes.cover is not None
    msgid, pw_url = {
        "kprobes cover": (sc.kprobes.cover.msgid, pw_cover(sc.kprobes)),
        "kprobes patch": (sc.kprobes.patches[4].msgid, pw_patch(sc.kprobes, 5)),
        "nocover patch": (sc.nocover.patches[2].msgid, pw_patch(sc.nocover, 3, "linux-mm")),
        "single": (sc.single.patches[0].msgid, pw_patch(sc.single, 1)),
    }[which]
    _, (lo,) = resolve(web, [f"{LORE}/all/{msgid}/"])
    _, (pw,) = resolve(web, [pw_url])
    assert same(lo.metadata) == same(pw.metadata)


def test_unreadable_cover_page_does_not_hide_the_cover_from_lore(world: World) -> None:
    s = world.long
    assert s.cover is not None
    with KernelWeb(make_handler(world.sc.world)) as kw:
        kw.fail(re.compile(r"patchwork\.kernel\.org/project/netdevbpf/cover/"), 500)
        _, (pw, lo) = resolve(kw, [pw_patch(s, 1)], [f"{LORE}/lkml/{s.cover.msgid}/"])
        # the cover's page failed: the patch falls back on the series API ...
        assert f"/api/1.2/series/{s.patchwork_series}/" in paths(kw, "patchwork.kernel.org")
        assert pw.metadata is not None and pw.metadata.version == 4
    # ... and the lore link to the cover still reads it, on lore
    assert lo.status == "ok" and lo.metadata is not None
    assert (lo.metadata.source, lo.metadata.title, lo.metadata.counter) == ("lore", LONG_TITLE, 0)


# ------------------------------------------------------------------ the page's headers


def test_page_headers_of_a_real_mail() -> None:
    """A real mail's header lines (tests/data/realmail/messages, from the public raw-mail
    archives: sources-A.tsv line 8) as patchwork shows them: an RFC 2047 name beside a
    plain address, Message-Id spelled so, an h1 that drops PATCH."""
    msgid = "20221216-objtool-memory-v2-0-17968f85a464@weissschuh.net"
    (mail,) = [m for m in realmail.load() if m.msgid == msgid]
    w = realmail.world("", [mail])
    item = PatchworkItem(1, "patchwork.kernel.org", "linux-kbuild", msgid, "cover")
    page = patchwork.parse_page(item_html(w, item))
    assert page.name == "[v2,0/8] reduce maximum memory usage"
    assert page.subject == "[PATCH v2 0/8] reduce maximum memory usage"
    assert (page.author_name, page.author_email) == ("Thomas Weißschuh", "linux@weissschuh.net")
    assert (page.msgid, page.date) == (msgid, "2022-12-27T16:00:57+00:00")


def test_header_fields_unfold_and_decode() -> None:
    block = (
        "Received: from smtp.example.org (smtp.example.org [192.0.2.1])\n"
        "\tby mx.example.org; Tue, 27 Dec 2022 16:00:57 +0000\n"
        "From: =?utf-8?b?VG9rZSBIw7hpbGFuZC1Kw7hyZ2Vuc2VuIDx0b2tlQHJlZGhhdC5jb20+?=\n"
        "Subject: [PATCH v4 bpf-next 1/3] bpf: teach the verifier to track the bounds of\n"
        "\tevery widget\n"
    )
    fields = patchwork.header_fields(block)
    assert fields["subject"] == (
        "[PATCH v4 bpf-next 1/3] bpf: teach the verifier to track the bounds of every widget"
    )
    assert fields["received"].endswith("by mx.example.org; Tue, 27 Dec 2022 16:00:57 +0000")
    html = f'<div id="patch-headers"><pre>{escape(block)}</pre></div>'
    page = patchwork.parse_page(html)
    # a From patchwork re-encoded whole (an 8-bit name): the address is inside the word
    assert (page.author_name, page.author_email) == ("Toke Høiland-Jørgensen", "toke@redhat.com")
