"""Deduplication, asserted on the simulated web's request log.

* one request per normalised URL across all files and rows (the same link written in
  several files, rows and cells, with a fragment, in another host case, or reached
  both directly and as a redirect hop, goes over the wire once);
* one metadata read per message-id however many URLs lead to it (``/all/``,
  another list, ``/r/``, the legacy patchwork redirector, patchwork): the thread
  page and the raw mail of a message are fetched at most once.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from patchcrawl import pipeline
from patchcrawl.fetch import normalize_url
from patchcrawl.sources import resolver as resolver_mod
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.conftest import web_settings

HEAD = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:-:|:-:|:-:|:-:|:-:|:-:|\n"


def _world() -> tuple[World, dict[str, str]]:
    w = World()
    s = w.add_series(
        title="bpf: add a kfunc for dedup tests",
        author="Alexei Starovoitov",
        version=3,
        total=3,
        prefixes=("bpf-next",),
        list="bpf",
        legacy_patchwork_ids=True,
        patchwork="netdevbpf",
    )
    single = w.add_series(title="mm: one lonely patch", author="Vlastimil Babka", list="linux-mm")
    assert s.cover is not None
    names = {
        "cover": s.cover.msgid,
        "p1": s.patches[0].msgid,
        "p2": s.patches[1].msgid,
        "single": single.patches[0].msgid,
        "legacy_cover": str(s.legacy_ids[s.cover.msgid]),
        "legacy_p1": str(s.legacy_ids[s.patches[0].msgid]),
        "pw_cover": str(s.patchwork[s.cover.msgid]),
    }
    return w, names


def _documents(tmp: Path, n: dict[str, str]) -> list[Path]:
    lore = "https://lore.kernel.org"
    cover, p1, p2, single = n["cover"], n["p1"], n["p2"], n["single"]
    pw = f"https://patchwork.kernel.org/project/netdevbpf/cover/{cover}/"
    a = (
        "# a\n\n" + HEAD + f"| 2024/04/29 | Alexei Starovoitov | [kfunc]({lore}/all/{cover}/) "
        f"| kfunc | v3 ☐ | [LORE v3,0/3]({lore}/all/{cover}/)<br>"
        f"[PatchWork v3,0/3]({lore}/patchwork/cover/{n['legacy_cover']}) |\n"
        f"| 2024/04/29 | Alexei Starovoitov | kfunc part 1 | x | v3 ☐ | "
        f"[LORE]({lore}/r/{p1}), [LORE]({lore}/bpf/{p1}/), "
        f"[PatchWork]({lore}/patchwork/patch/{n['legacy_p1']}) |\n"
        f"| 2024/04/29 | Alexei Starovoitov | kfunc part 2 | x | v3 ☐ | "
        f"[LORE]({lore}/all/{p2}/), [PatchWork]({pw}) |\n"
        f"\nSee also <{lore}/all/{single}/> and [the cover]({lore}/r/{cover}).\n"
    )
    b = (
        "# b\n\n" + HEAD + f"| 2024/04/29 | Alexei Starovoitov | [kfunc](https://LORE.kernel.org"
        f"/all/{cover}/#t) | kfunc | v3 ☐ | [LORE v3,0/3]({lore}/all/{cover}/), "
        f"[LORE]({lore}/all/{p1}/) |\n"
        f"| 2024/04/29 | Vlastimil Babka | [lonely]({lore}/all/{single}/) | x | v1 ☐ | "
        f"[LORE]({lore}/all/{single}/)<br>[LORE]({lore}/r/{single}) |\n"
        f"\n* {lore}/all/{p2}/\n* {pw}\n"
    )
    paths = [tmp / "a.md", tmp / "b.md"]
    paths[0].write_text(a, encoding="utf-8")
    paths[1].write_text(b, encoding="utf-8")
    return paths


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every Resolver the pipeline builds (to read its per-message-id read counts)."""
    made: list[Any] = []
    base = resolver_mod.Resolver

    class Recording(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            made.append(self)

    import patchcrawl.sources as sources

    monkeypatch.setattr(sources, "Resolver", Recording)
    return made


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "no-batch"])
@pytest.mark.parametrize("entry", ["documents", "paths"])
def test_one_request_per_url_and_one_read_per_msgid(
    tmp_path: Path, recorded: list[Any], entry: str, batch: bool
) -> None:
    """Both ways in: documents scanned first (``check_documents``), and files scanned
    while the crawl runs (``check_paths``, what ``verify`` and ``enrich`` use); with
    lore's batch lookups and without."""
    world, n = _world()
    paths = _documents(tmp_path, n)
    with KernelWeb(make_handler(world)) as web:
        settings = web_settings(web, cache_dir=tmp_path / "cache", host_concurrency=4, batch=batch)
        if entry == "documents":
            docs = pipeline.scan_documents([str(p) for p in paths])
            checked = pipeline.check_documents(docs, settings)
        else:
            checked = pipeline.check_paths([str(p) for p in paths], settings)
            docs = checked.documents
        log = list(web.log)

    assert all(r.status not in ("unreachable", "not-checked") for r in checked.resolutions.values())
    # the same link in several files, rows and cells is one URL on the wire
    wire = Counter(normalize_url(r.url) for r in log)
    repeated = {u: c for u, c in wire.items() if c > 1}
    assert not repeated, f"requested more than once: {repeated}"
    assert checked.requests == len(log)

    # every URL of the documents was checked (the dedup did not drop any)
    written = {link.url for d in docs for link in d.links}
    assert set(checked.resolutions) == written

    # one metadata read per message-id, whatever URL led to it
    assert len(recorded) == 1
    reads = recorded[0].reads
    assert reads, "no metadata was read"
    assert max(reads.values()) == 1, f"message-ids read more than once: {reads}"
    # with batch lookups the single patch is settled by lore's search (its page is not
    # read); the patches of the series are read, and the cover letter by its patchwork
    # page (or its lore page, reached through the legacy redirect) unless the search
    # settled it first
    assert {n["p1"], n["p2"]} <= set(reads)
    if batch:
        assert n["single"] not in reads, reads
        searched = [r for r in log if "q=" in r.query]
        # /all/ and /bpf/, and /all/ again for each legacy link's message, which joins
        # a search once its redirect is read (the first may have left by then)
        assert {r.path for r in searched} == {"/all/", "/bpf/"}, searched
        assert len(searched) <= 4, searched
    else:
        assert {n["cover"], n["single"]} <= set(reads)
    for kind in ("T/", "raw"):
        per_msgid = Counter(r.path for r in log if r.path.endswith("/" + kind))
        assert all(c == 1 for c in per_msgid.values()), per_msgid

    # metadata of every link to the same message agrees
    by_msgid: dict[str, set[str | None]] = {}
    for _url, res in checked.resolutions.items():
        if res.metadata is not None and res.metadata.msgid:
            by_msgid.setdefault(res.metadata.msgid, set()).add(res.metadata.title)
    assert by_msgid and all(len(titles) == 1 for titles in by_msgid.values()), by_msgid


def test_second_run_from_cache_sends_nothing(tmp_path: Path) -> None:
    world, n = _world()
    paths = _documents(tmp_path, n)
    with KernelWeb(make_handler(world)) as web:
        settings = web_settings(web, cache_dir=tmp_path / "cache")
        docs = pipeline.scan_documents([str(p) for p in paths])
        first = pipeline.check_documents(docs, settings)
        web.clear_log()
        second = pipeline.check_documents(docs, settings)
        assert web.count == 0
    assert second.requests == 0
    assert {u: r.status for u, r in first.resolutions.items()} == {
        u: r.status for u, r in second.resolutions.items()
    }


def test_cached_resolutions_are_keyed_by_the_code_that_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded: list[Any]
) -> None:
    """A resolution cached by other parsing code is not used: changed code reads and
    parses the pages again (a released version number alone would not change)."""
    import patchcrawl

    world, n = _world()
    paths = _documents(tmp_path, n)
    with KernelWeb(make_handler(world)) as web:
        settings = web_settings(web, cache_dir=tmp_path / "cache")
        docs = pipeline.scan_documents([str(p) for p in paths])
        first = pipeline.check_documents(docs, settings)
        assert len(recorded) == 1 and recorded[0].reads
        same = pipeline.check_documents(docs, settings)
        assert len(recorded) == 1  # every answer from cached resolutions: nothing parsed
        assert same.requests == 0
        monkeypatch.setattr(patchcrawl, "_FINGERPRINT", "other-code")
        web.clear_log()
        again = pipeline.check_documents(docs, settings)
        assert len(recorded) == 2 and recorded[1].reads  # parsed anew
        # ... from the pages in the response cache; but a search is kept under its URL,
        # the ids it asked for, and a legacy link's message joins a search when its
        # redirect is read (from the cache now, sooner than the first run read it from
        # the web): a search that groups the ids otherwise is asked anew, never a page
        assert all("q=" in r.query for r in web.log), [r.url for r in web.log]
        assert again.requests <= 2
    assert {u: r.status for u, r in again.resolutions.items()} == {
        u: r.status for u, r in first.resolutions.items()
    }
