"""rescue: lore Atom search for what a dead link's row says; decoys must lose."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from patchcrawl import enrich
from patchcrawl.fetch.client import Fetcher
from patchcrawl.models import Document, Finding, Response, Row
from patchcrawl.rescue import (
    build_queries,
    merge_rescues,
    pick,
    rescue,
    rescue_dead_links,
    score,
    subject_words,
)
from patchcrawl.settings import RemapRule, Settings
from patchcrawl.sources.lore_search import parse_atom
from patchcrawl.tables import scan_bytes
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import lore as lore_site
from patchcrawl.testweb.world import World

FEED = (Path(__file__).parent / "data" / "rescue" / "lore_search.atom").read_bytes()
HEAD = (
    "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
)
DEAD = "https://lore.kernel.org/patchwork/cover/864391"
GOOD = "20171218092127.3045-1-mgorman+x@techsingularity.net"


def scan_row(
    author: str = "Mel Gorman <mgorman@techsingularity.net>",
    title: str = "Reduce scheduler migrations due to wake_affine",
    status: str = "v1 ☐",
    date: str = "2017/12/18",
) -> tuple[Document, Row]:
    text = (
        "# s\n\n" + HEAD + f"| {date} | {author} | [{title}]({DEAD}) | 优化 wake_affine | {status}"
        f" | [PatchWork 0/4]({DEAD}) |\n"
    )
    doc = scan_bytes("s.md", text.encode("utf-8"))
    return doc, doc.rows[0]


def test_parse_atom_entries_replies_and_msgids() -> None:
    cands = parse_atom(FEED)
    assert [c.msgid for c in cands] == [
        "20171220090000.reply-mgorman@techsingularity.net",
        "20171219100000.1-decoy@example.org",
        GOOD,
        "20171218092127.3045-2-mgorman@techsingularity.net",
    ]
    assert [c.is_reply for c in cands] == [True, False, False, True]
    good = cands[2]
    assert good.title == "Reduce scheduler migrations due to wake_affine"
    assert (good.version, good.counter, good.total) == (1, 0, 4)
    assert good.author_email == "mgorman@techsingularity.net"
    assert good.date == dt.datetime(2017, 12, 18, 9, 21, 27, tzinfo=dt.UTC)
    assert good.list_name == "lkml"
    assert parse_atom(b"<html>not a feed") == []
    assert parse_atom(b'<!DOCTYPE x [<!ENTITY a "b">]><feed/>') == []
    assert parse_atom("") == []


def test_queries_use_subject_author_and_date_window() -> None:
    _, row = scan_row()
    qs = build_queries(row)
    assert qs[0] == (
        "s:reduce s:scheduler s:migrations s:due s:wake_affine"
        " f:mgorman@techsingularity.net d:20171118..20180117"
    )
    assert qs[1].endswith("d:20171118..20180117") and "f:" not in qs[1]
    assert qs[-1] == "s:reduce s:scheduler s:migrations s:due s:wake_affine"
    assert subject_words("sched/fair: The `wake_affine` of a CPU") == ["wake_affine", "cpu"]
    _, cjk = scan_row(title="调度器驱动的调频")
    assert build_queries(cjk) == []
    _, named = scan_row(author="Mel Gorman")
    assert " f:Gorman " in build_queries(named)[0]


def test_scores_decoy_loses() -> None:
    _, row = scan_row()
    link = row.links[0]
    cands = {c.msgid: c for c in parse_atom(FEED)}
    good = score(cands[GOOD], row, link)
    decoy = score(cands["20171219100000.1-decoy@example.org"], row, link)
    assert good >= 0.95
    assert decoy < 0.8
    got = pick(list(cands.values()), row, link)
    assert got is not None and got[0].msgid == GOOD
    # the decoy alone is never proposed
    assert pick([cands["20171219100000.1-decoy@example.org"]], row, link) is None
    # a higher threshold refuses even the good one when the date is off
    _, late = scan_row(date="2018/01/10")
    assert pick([cands[GOOD]], late, late.links[0], threshold=0.99) is None


def test_ambiguous_tie_is_not_a_rescue() -> None:
    _, row = scan_row(author="Mel Gorman")
    cands = [c for c in parse_atom(FEED) if not c.is_reply and "decoy" not in c.msgid]
    twin = cands[0].__class__(
        **{**{f: getattr(cands[0], f) for f in cands[0].__slots__}, "msgid": "twin@x"}
    )
    assert pick([cands[0], twin], row, row.links[0]) is None


class FakeGet:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status, self.urls = body, status, list[str]()

    async def __call__(self, url: str) -> Response:
        self.urls.append(url)
        return Response(url=url, final_url=url, status=self.status, headers=(), body=self.body)


def test_rescue_proposes_with_score_and_edit() -> None:
    doc, row = scan_row()
    link = row.links[1]
    get = FakeGet(FEED)
    f = asyncio.run(rescue(row, link, get, Settings()))
    assert isinstance(f, Finding)
    assert f.code == "dead-link" and f.severity == "error"
    target = f"https://lore.kernel.org/all/{GOOD}/"
    assert dict(f.extra)["rescue_url"] == target
    assert float(dict(f.extra)["score"]) >= 0.9
    assert (f.line, f.column, f.url, f.actual) == (link.line, link.column, DEAD, target)
    new = enrich.apply_edits(doc.raw, f.edits)
    assert f"[PatchWork 0/4]({target})".encode() in new
    assert len(get.urls) == 1
    parts = urlsplit(get.urls[0])
    assert parts.path == "/all/" and parse_qs(parts.query)["x"] == ["A"]
    assert parse_qs(parts.query)["q"][0].startswith("s:reduce")
    rstyle = asyncio.run(rescue(row, link, FakeGet(FEED), Settings(canonical_style="r")))
    assert rstyle is not None and rstyle.actual == f"https://lore.kernel.org/r/{GOOD}"


def test_rescue_returns_none_when_unsure() -> None:
    _, row = scan_row(author="Someone Else <else@example.com>")
    get = FakeGet(FEED)
    assert asyncio.run(rescue(row, row.links[0], get, Settings())) is None
    assert len(get.urls) == 3  # tried every query, found nothing convincing
    _, row2 = scan_row()
    assert asyncio.run(rescue(row2, row2.links[0], FakeGet(b"", status=503), Settings())) is None
    strict = Settings(extra={"rescue_threshold": 1.01})
    assert asyncio.run(rescue(row2, row2.links[0], FakeGet(FEED), strict)) is None


def test_merge_rescues_replaces_plain_dead_link() -> None:
    plain = Finding("dead-link", "error", "s.md", 5, 10, "dead link", url=DEAD)
    other = Finding("moved-link", "warning", "s.md", 6, 1, "moved", url="u")
    better = Finding(
        "dead-link", "error", "s.md", 5, 10, "dead; rescue", url=DEAD, extra=(("score", "0.9"),)
    )
    assert merge_rescues([plain, other], [better]) == [better, other]


# --------------------------------------------------------------------------- end to end


def test_rescue_over_the_simulated_lore(tmp_path: Path) -> None:
    world = World()
    when = dt.datetime(2021, 3, 4, 10, 0, tzinfo=dt.UTC)
    real = world.add_series(
        title="mm/vmscan: add a knob for the proactive reclaim",
        author="Yosry Ahmed",
        email="yosryahmed@google.com",
        version=2,
        total=3,
        date=when,
        list="linux-mm",
    )
    world.add_series(  # decoy: same words, another author, close in time
        title="mm/vmscan: add a knob for the proactive reclaim",
        author="Dan Decoy",
        email="dan@decoy.example",
        version=2,
        total=3,
        date=when + dt.timedelta(days=2),
    )
    world.add_series(  # the author's older version
        title="mm/vmscan: add a knob for the proactive reclaim",
        author="Yosry Ahmed",
        email="yosryahmed@google.com",
        version=1,
        total=3,
        date=when - dt.timedelta(days=20),
        list="linux-mm",
    )
    dead = "https://lore.kernel.org/linux-mm/gone-forever@google.com/"
    text = (
        "# m\n\n" + HEAD + "| 2021/03/04 | Yosry Ahmed <yosryahmed@google.com> "
        f"| [add a knob for the proactive reclaim]({dead}) | 描述 | v2 ☐"
        f" | [LORE v2,0/3]({dead}) |\n"
    )
    doc = scan_bytes("m.md", text.encode())
    row = doc.rows[0]
    with KernelWeb(lambda req: lore_site.handle(world, req)) as web:
        settings = Settings(
            remap=(RemapRule.parse(web.remap_rule()),),
            allow_private=True,
            host_interval=0.0,
            retries=0,
            timeout=5.0,
        )

        async def go() -> tuple[Finding | None, Finding | None]:
            async with Fetcher(settings) as f:
                r1 = await rescue(row, row.links[0], f.get, settings)
                r2 = await rescue(row, row.links[1], f.get, settings)
            return r1, r2

        r1, r2 = asyncio.run(go())
        searches = [r for r in web.log if "x=A" in r.url]
    assert real.cover is not None
    target = f"https://lore.kernel.org/all/{real.cover.msgid}/"
    for found in (r1, r2):
        assert found is not None
        assert dict(found.extra)["rescue_url"] == target
    assert searches, "rescue must use the Atom search"
    new = enrich.apply_edits(doc.raw, [e for f in (r1, r2) if f for e in f.edits])
    assert new.count(target.encode()) == 2 and dead.encode() not in new


def test_rescue_dead_links_replaces_only_row_links() -> None:
    doc, row = scan_row()
    link = row.links[1]
    plain = Finding("dead-link", "error", "s.md", link.line, link.column, "dead link", url=DEAD)
    prose = Finding("dead-link", "error", "s.md", 99, 1, "dead link", url="https://x/")
    get = FakeGet(FEED)
    out = asyncio.run(rescue_dead_links([doc], [plain, prose], get, Settings()))
    assert out[1] is prose and dict(out[0].extra)["rescue_url"].endswith(f"/{GOOD}/")
    assert len(get.urls) == 1
