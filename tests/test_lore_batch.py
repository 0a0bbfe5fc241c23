"""Lore batch lookups (sources/lore_search.py, crawl.Crawl._search).

The test web answers ``/<inbox>/?q=m:a OR m:b&x=A`` as public-inbox does (OR of
``m:`` terms, 200 entries a page, ``o=`` for the next). The property that matters:
a batched run reports what a run fetching every page (``--no-batch``) reports, link
for link and finding for finding, with a fraction of the requests to lore.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from patchcrawl import pipeline
from patchcrawl.models import Ref
from patchcrawl.refs import classify
from patchcrawl.sources import lore_search
from patchcrawl.sources.lore_search import batches, inbox_of, search_url
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.cli_helpers import run_cli, verify_argv
from tests.conftest import web_settings

HEAD = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:-:|:-:|:-:|:-:|:-:|:-:|\n"
LORE = "https://lore.kernel.org"


def _ref(url: str) -> Ref:
    return classify(url)


# ---------------------------------------------------------------- units


def test_inbox_of_message_links() -> None:
    assert inbox_of(_ref(f"{LORE}/all/20240101.1-0-a@x.org/")) == "all"
    assert inbox_of(_ref(f"{LORE}/r/20240101.1-0-a@x.org")) == "all"
    assert inbox_of(_ref(f"{LORE}/bpf/20240101.1-0-a@x.org/")) == "bpf"
    assert inbox_of(_ref(f"{LORE}/lkml/20240101.1-0-a@x.org/T/")) == "lkml"
    assert inbox_of(_ref(f"{LORE}/lkml/20240101.1-0-a@x.org/raw")) == "lkml"
    # a view of the message is checked as the message page (refs.classify)
    assert inbox_of(_ref(f"{LORE}/lkml/20240101.1-0-a@x.org/t.mbox.gz")) == "lkml"


def test_inbox_of_what_must_be_fetched() -> None:
    assert inbox_of(_ref(f"{LORE}/patchwork/cover/555274/")) is None  # a redirect to follow
    assert inbox_of(_ref("https://lwn.net/Articles/1/")) is None
    # a message-id the query parser would cut: a quote or a bracket
    assert inbox_of(_ref(f"{LORE}/all/a%22b@x.org/")) is None
    assert inbox_of(_ref(f"{LORE}/all/a(b)@x.org/")) is None


def test_search_url_ors_the_ids() -> None:
    url = search_url("bpf", ["a@x", "b@y"], offset=200)
    parts = urlsplit(url)
    assert parts.path == "/bpf/"
    q = parse_qs(parts.query)
    assert q == {"q": ["m:a@x OR m:b@y"], "x": ["A"], "o": ["200"]}


def test_batches_keep_size_and_url_length() -> None:
    ids = [f"2024{i:08d}.{i}-1-someone.with.a.long.name@example.org" for i in range(130)]
    out = batches("all", ids, size=50)
    assert [len(b) for b in out] == [50, 50, 30]
    assert list(itertools.chain(*out)) == ids
    long = batches("all", ids, size=1000)
    assert list(itertools.chain(*long)) == ids
    assert all(len(search_url("all", b)) <= lore_search.MAX_URL for b in long)
    assert len(long) > 1


# ---------------------------------------------------------------- end to end


def _world() -> tuple[World, list[str]]:
    """A world and the lore links of a document about it: covers on /all/, /r/ and
    their lists, single patches, patches of series, a reply, a sender on someone's
    behalf, an encoded subject, a message elsewhere than the list named, a dead one."""
    w = World()
    day = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    links: list[str] = []
    for i in range(70):
        s = w.add_series(
            title=f"mm: batch feature {i}",
            author=f"Author Number{i}",
            version=1 + i % 4,
            total=2 + i % 5,
            list="linux-mm" if i % 2 else "bpf",
            date=day + dt.timedelta(days=i, hours=i % 9),
        )
        assert s.cover is not None
        style = i % 3
        if style == 0:
            links.append(f"{LORE}/all/{s.cover.msgid}/")
        elif style == 1:
            links.append(f"{LORE}/r/{s.cover.msgid}")
        else:
            links.append(f"{LORE}/{s.list}/{s.cover.msgid}/")
        if i % 10 == 0:  # a patch of the series: its cover letter says more
            links.append(f"{LORE}/all/{s.patches[1].msgid}/")
    for i in range(6):  # the frozen LKML patchwork's ids: a redirect to the message
        s = w.add_series(
            title=f"sched: legacy {i}",
            author=f"Legacy Author{i}",
            total=1 + i % 3,
            date=day - dt.timedelta(days=400 + i),
            legacy_patchwork_ids=True,
        )
        first = s.cover if s.cover is not None else s.patches[0]
        kind = "cover" if s.cover is not None else "patch"
        links.append(f"{LORE}/patchwork/{kind}/{s.legacy_ids[first.msgid]}/")
        if i == 1:  # a patch of a series: read in full, its hop not asked twice
            links.append(f"{LORE}/patchwork/patch/{s.legacy_ids[s.patches[1].msgid]}/")
    links.append(f"{LORE}/patchwork/cover/999999/")  # an id lore never had
    single = w.add_series(title="net: one patch", author="Solo Sender", version=2, total=1)
    links.append(f"{LORE}/netdev/{single.patches[0].msgid}/")  # not on netdev: elsewhere
    links.append(f"{LORE}/lkml/{single.patches[0].msgid}/")
    enc = w.add_series(title="fs: encoded", author="Jürgen Ökonom", total=1, encode_headers=True)
    links.append(f"{LORE}/all/{enc.patches[0].msgid}/")
    root = w.add_series(title="sched: discussed", author="Root Author", total=1)
    reply = w.add_message(
        subject=f"Re: {root.patches[0].subject}",
        author="Reviewer Person",
        in_reply_to=root.patches[0].msgid,
    )
    links.append(f"{LORE}/all/{reply.msgid}/")
    behalf = w.add_message(
        subject="[PATCH] x86: sent on behalf",
        author="Maintainer Sender",
        body="From: Real Author <real@example.com>\n\nThe change.\n",
    )
    links.append(f"{LORE}/all/{behalf.msgid}/")
    links.append(f"{LORE}/all/20240909.999-0-nobody@example.org/")  # lore has no such mail
    return w, links


def _document(tmp: Path, links: list[str]) -> str:
    rows = [
        f"| 2024/03/01 | Author <a@example.org> | feature {i} | d | v1 ☐ | [LORE]({u}) |\n"
        for i, u in enumerate(links)
    ]
    path = tmp / "doc.md"
    path.write_text(HEAD + "".join(rows), encoding="utf-8")
    return str(path)


def _run(
    tmp: Path, links: list[str], world: World, *, batch: bool
) -> tuple[dict[str, Any], KernelWeb]:
    doc = _document(tmp, links)
    with KernelWeb(make_handler(world)) as web:
        s = web_settings(web, tmp / f"cache-{batch}", batch=batch, host_concurrency=2)
        report, _checked = pipeline.verify([doc], s)
    by_url = {r.link.url: r.resolution for r in report.links}
    findings = sorted((f.code, f.line, f.message) for f in report.findings)
    return {"res": by_url, "findings": findings}, web


def _searches(web: KernelWeb) -> list[str]:
    return [r.url for r in web.requests_for_host("lore.kernel.org") if "q=" in r.query]


def test_batched_run_reports_what_fetching_every_page_reports(tmp_path: Path) -> None:
    world, links = _world()
    batched, bweb = _run(tmp_path, links, world, batch=True)
    paged, pweb = _run(tmp_path, links, world, batch=False)
    # the feed dates a mail in UTC, not in the sender's zone: a row's date is compared
    # with the sender's day closest to it, so batching may only drop a date finding
    # that stands on the zone, never add one; every other finding is the same
    dates = {f[:2] for f in batched["findings"] if f[0] == "date-mismatch"}
    assert dates <= {f[:2] for f in paged["findings"] if f[0] == "date-mismatch"}
    others = [f for f in batched["findings"] if f[0] != "date-mismatch"]
    assert others == [f for f in paged["findings"] if f[0] != "date-mismatch"]
    assert others, "the document gives findings"
    for url in links:
        b, p = batched["res"][url], paged["res"][url]
        assert b.status == p.status, url
        bm, pm = b.metadata, p.metadata
        assert (bm is None) == (pm is None), url
        if bm is not None and pm is not None:
            # the same instant, whatever the zone it is written in
            assert dt.datetime.fromisoformat(bm.date or "") == dt.datetime.fromisoformat(
                pm.date or ""
            ), url
            plain = {"date": None, "date_zone_unknown": False}
            assert dataclasses.replace(bm, **plain) == dataclasses.replace(pm, **plain), url
    assert not _searches(pweb), "--no-batch searched"
    lore_b = len(bweb.requests_for_host("lore.kernel.org"))
    lore_p = len(pweb.requests_for_host("lore.kernel.org"))
    assert lore_b * 3 < lore_p, (lore_b, lore_p)


def test_a_settled_cover_is_not_fetched_and_the_rest_is(tmp_path: Path) -> None:
    world, links = _world()
    _result, web = _run(tmp_path, links, world, batch=True)
    searches = _searches(web)
    assert 2 <= len(searches) <= 10, searches
    pages = {urlsplit(r.url).path for r in web.requests_for_host("lore.kernel.org")}
    cover0 = urlsplit(links[0]).path
    assert cover0 not in pages  # found by the search: no page
    # what the feed cannot settle is fetched: the reply (its thread's author), the
    # message lore has on another list than the one named, the one it does not have;
    # and a patch of a series (links[1]: its cover letter says more)
    fetched = [links[-6], links[-3], links[-1], links[1]]
    for url in fetched:
        path = urlsplit(url).path
        assert any(p.startswith(path.rstrip("/")) for p in pages), url
    # the feed settles a single patch, a subject that was encoded (the feed has it
    # decoded) and a mail sent on someone's behalf (the body's From: is in the feed)
    for url in (links[-4], links[-2]):
        assert urlsplit(url).path not in pages, url


def test_a_legacy_link_costs_its_redirect_and_no_page(tmp_path: Path) -> None:
    """``lore.kernel.org/patchwork/cover/N`` is asked once, its redirect not followed:
    the message-id in its ``Location`` joins a search; the link is ``moved`` to the
    message's lore address as when it is followed. A patch of a series is read in full
    without asking its first hop twice; an id lore never had is dead."""
    world, links = _world()
    result, web = _run(tmp_path, links, world, batch=True)
    legacy = [u for u in links if "/patchwork/" in u]
    assert len(legacy) == 8
    asked = [urlsplit(r.url).path for r in web.requests_for_host("lore.kernel.org")]
    for url in legacy:
        assert asked.count(urlsplit(url).path) == 1, url
    settled = 0
    for url in legacy[:-1]:
        res = result["res"][url]
        assert res.status == "moved", url
        assert res.metadata is not None and res.metadata.msgid
        assert res.canonical_url == f"{LORE}/all/{res.metadata.msgid}/"
        page = f"/all/{res.metadata.msgid}/"
        if "found by lore's search" in (res.detail or ""):
            settled += 1
            assert f"/r/{res.metadata.msgid}" not in asked and page not in asked, url
    assert settled >= 5  # the covers and single patches: no page read
    assert result["res"][legacy[-1]].status == "dead"


def test_search_pages_on_with_o(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More ids than a page holds: the second page is asked for with ``o=200``."""
    monkeypatch.setattr(lore_search, "MAX_URL", 100_000)
    w = World()
    links = []
    for i in range(230):
        s = w.add_series(title=f"bpf: paged {i}", author=f"Pager Person{i}", total=2)
        assert s.cover is not None
        links.append(f"{LORE}/all/{s.cover.msgid}/")
    doc = _document(tmp_path, links)
    with KernelWeb(make_handler(w)) as web:
        settings = web_settings(web, tmp_path / "cache", batch_size=1000)
        checked = pipeline.check_paths([doc], settings)
    searches = _searches(web)
    assert len(searches) == 2
    assert "o=200" in searches[1]
    assert all(r.status == "ok" for r in checked.resolutions.values())
    pages = [r for r in web.requests_for_host("lore.kernel.org") if "q=" not in r.query]
    assert pages == []


def test_a_search_that_fails_falls_back_to_the_pages(tmp_path: Path) -> None:
    world, links = _world()
    doc = _document(tmp_path, links[:10])
    with KernelWeb(make_handler(world)) as web:
        web.fault(re.compile(r"[?&]q="), status=500)
        s = web_settings(web, tmp_path / "cache", retries=0)
        checked = pipeline.check_paths([doc], s)
    assert all(r.status == "ok" for r in checked.resolutions.values())
    assert len(_searches(web)) >= 1


def test_a_warm_run_asks_nothing(tmp_path: Path) -> None:
    world, links = _world()
    doc = _document(tmp_path, links)
    with KernelWeb(make_handler(world)) as web:
        s = web_settings(web, tmp_path / "cache")
        pipeline.check_paths([doc], s)
        web.clear_log()
        pipeline.check_paths([doc], s)
        assert web.count == 0


@pytest.mark.parametrize(
    "how", ["default", "--no-batch", "config batch = false", "config batch-size = 1"]
)
def test_the_command_line_and_the_settings_file(tmp_path: Path, how: str) -> None:
    """``verify`` searches by default; ``--no-batch`` or ``batch = false`` in the
    settings file fetch every page; ``batch-size`` caps the ids of one search."""
    world, links = _world()
    doc = _document(tmp_path, links[:12])
    extra: list[str] = []
    if how == "--no-batch":
        extra = ["--no-batch"]
    elif how.startswith("config"):
        conf = tmp_path / "patchcrawl.toml"
        conf.write_text(how.removeprefix("config ") + "\n", encoding="utf-8")
        extra = ["--config", str(conf)]
    with KernelWeb(make_handler(world)) as web:
        run = run_cli(verify_argv(doc, web.remap_rule(), tmp_path / "cache", *extra))
        searches = _searches(web)
    assert run.code in (0, 1), run.err
    if how == "default":
        assert 1 <= len(searches) <= 3  # /all/, /bpf/, /linux-mm/
    elif how.endswith("size = 1"):
        assert len(searches) >= 10  # one id a search
        assert all(parse_qs(urlsplit(u).query)["q"][0].count("m:") == 1 for u in searches)
    else:
        assert searches == []
