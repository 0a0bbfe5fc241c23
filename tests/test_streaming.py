"""``check_paths``: documents are scanned while their links are being checked.

Asserted on the simulated web's request log: the first request leaves before the
last document is scanned; the outcome is the same as scanning everything first; an
unreadable file stops the run before any request; a failure while scanning stops
the crawl instead of leaving it hanging.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import re
import threading
import time
from collections.abc import Generator
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from patchcrawl import crawl, pipeline, tables
from patchcrawl.fetch.politeness import Politeness
from patchcrawl.models import Document, Report
from patchcrawl.settings import Settings, UsageError
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.conftest import web_settings
from tests.scan_helpers import on_scan

HEAD = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:-:|:-:|:-:|:-:|:-:|:-:|\n"


def _paged(web: KernelWeb, cache_dir: Path | None = None, **kw: object) -> Settings:
    """:func:`web_settings` with every link its own request (``--no-batch``): these
    tests count and time requests as the links of the documents send them, which
    lore's batch lookups (tests/test_lore_batch.py) would fold into a few searches."""
    return web_settings(web, cache_dir, batch=False, **kw)


def _files(
    tmp: Path, files: int = 6, rows: int = 8, *, wrong: bool = False
) -> tuple[World, list[str]]:
    w = World()
    paths: list[str] = []
    first: str | None = None
    for f in range(files):
        out = [f"# part {f}\n\n", HEAD]
        for r in range(rows):
            s = w.add_series(
                title=f"mm: streaming test series {f}-{r}",
                author="Vlastimil Babka",
                version=2,
                total=3,
                list="linux-mm",
            )
            assert s.cover is not None
            url = f"https://lore.kernel.org/all/{s.cover.msgid}/"
            version = 9 if wrong and r % 3 == 1 else 2  # a version-mismatch
            if wrong and r % 4 == 3:
                url = f"https://lore.kernel.org/all/gone-{f}-{r}@example.org/"  # dead
            # the same URL in every file: documents wait for links other files queued
            shared = f"[LORE](https://lore.kernel.org/all/{first}/)" if first else ""
            out.append(
                f"| {s.date:%Y/%m/%d} | Vlastimil Babka | {s.title} | x | v{version} ☐ "
                f"| [LORE v{version},0/3]({url}) {shared} |\n"
            )
            if first is None:
                first = s.cover.msgid
        path = tmp / f"part{f}.md"
        path.write_text("".join(out), encoding="utf-8")
        paths.append(str(path))
    return w, paths


def test_first_request_leaves_before_the_last_file_is_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, paths = _files(tmp_path)
    scans: list[float] = []
    real, real_steps = tables.scan_bytes, tables.scan_steps

    def slow_scan(path: str, raw: bytes) -> Document:
        scans.append(time.monotonic())
        time.sleep(0.1)  # a large document: long enough to see requests leave meanwhile
        return real(path, raw)

    def slow_steps(path: str, raw: bytes) -> Generator[None, None, Document]:
        scans.append(time.monotonic())
        for _ in range(10):  # the same, in the slices a scan beside the crawl runs in
            time.sleep(0.01)
            yield
        return (yield from real_steps(path, raw))

    monkeypatch.setattr(tables, "scan_bytes", slow_scan)
    monkeypatch.setattr(tables, "scan_steps", slow_steps)
    with KernelWeb(make_handler(world), latency=0.01) as web:
        checked = pipeline.check_paths(paths, _paged(web, cache_dir=tmp_path / "c"))
        starts = sorted(r.start for r in web.log)
    assert len(scans) == len(paths)
    assert starts, "nothing was requested"
    # the server's clock is this process's monotonic clock (it runs in a thread here)
    assert starts[0] < scans[-1], (starts[0], scans)
    before_last = sum(1 for t in starts if t < scans[-1])
    assert before_last >= 8, before_last  # the first files' links, not one stray request
    assert {r.status for r in checked.resolutions.values()} == {"ok"}
    assert [d.path for d in checked.documents] == paths


@pytest.mark.parametrize("warm", [False, True])
def test_same_outcome_as_scanning_first(tmp_path: Path, warm: bool) -> None:
    """Documents, resolutions and findings (audited during the crawl) are those of
    scanning everything first and auditing at the end; cold and from the cache."""
    world, paths = _files(tmp_path, files=4, rows=8, wrong=True)
    with KernelWeb(make_handler(world)) as web:
        a, b = (
            _paged(web, cache_dir=tmp_path / "a"),
            _paged(web, cache_dir=tmp_path / "b"),
        )
        if warm:
            pipeline.check_paths(paths, a)
            pipeline.check_documents(pipeline.scan_documents(paths), b)
        streamed = pipeline.check_paths(paths, a)
        first = pipeline.check_documents(pipeline.scan_documents(paths), b)
    assert [d.raw for d in streamed.documents] == [d.raw for d in first.documents]
    assert [d.links for d in streamed.documents] == [d.links for d in first.documents]
    assert streamed.refs == first.refs
    assert streamed.resolutions == first.resolutions
    assert streamed.requests == first.requests
    assert (streamed.requests == 0) == warm
    assert streamed.audited is not None and first.audited is None
    found = pipeline.audit_findings(streamed, a)
    assert found == pipeline.audit_findings(first, b)
    codes = {f.code for f in found}
    assert {"version-mismatch", "dead-link"} <= codes, codes


def test_an_unreadable_file_stops_the_run_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, paths = _files(tmp_path, files=3, rows=2)
    real = tables.read_file

    def read(path: str) -> bytes:
        if path == paths[2]:
            raise UsageError(f"{path}: cannot read (Permission denied)")
        return real(path)

    monkeypatch.setattr(tables, "read_file", read)
    with KernelWeb(make_handler(world)) as web:
        with pytest.raises(UsageError, match=r"part2\.md"):
            pipeline.check_paths(paths, _paged(web, cache_dir=tmp_path / "c"))
        assert not list(web.log)


def test_a_failure_while_scanning_stops_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, paths = _files(tmp_path, files=4, rows=4)

    def scan(path: str) -> None:
        if path == paths[2]:
            raise RuntimeError("scanner bug")

    on_scan(monkeypatch, scan)
    threads = threading.active_count()
    with KernelWeb(make_handler(world), latency=0.02) as web:
        with pytest.raises(RuntimeError, match="scanner bug"):
            pipeline.check_paths(paths, _paged(web, cache_dir=tmp_path / "c"))

        # the crawl stopped there (a hang would meet pytest's timeout): nothing of the
        # file after the failing one was ever asked for
        def msgids(path: str) -> set[str]:
            return set(re.findall(r"lore\.kernel\.org/all/([^/)]+)/", Path(path).read_text()))

        only_last = msgids(paths[3]) - msgids(paths[0]) - msgids(paths[1])
        assert len(only_last) == 4
        assert not [r for r in web.log if any(m in r.path for m in only_last)]
    # no event loop or worker left running
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    assert threading.active_count() <= threads


def test_a_run_stopped_by_an_error_keeps_the_resolutions_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each resolution is queued for the cache as it is made, not at the end of the
    crawl: a run that stops halfway leaves the next one less to do."""
    from patchcrawl.fetch.cache import ResponseCache

    world, paths = _files(tmp_path, files=3, rows=30)

    def scan(path: str) -> None:
        if path == paths[2]:
            raise RuntimeError("scanner bug")

    on_scan(monkeypatch, scan)
    monkeypatch.setattr(pipeline, "SCAN_AHEAD", 10)
    with KernelWeb(make_handler(world)) as web:
        # at most 20 refs unresolved before the next file is scanned: file 2 (the
        # failing one) is reached only once at least 10 of file 0's are resolved
        settings = _paged(web, cache_dir=tmp_path / "c", max_concurrency=1)
        with pytest.raises(RuntimeError, match="scanner bug"):
            pipeline.check_paths(paths, settings)
    prefix = crawl.resolution_prefix(settings)
    first = pipeline.scan_documents(paths[:1])[0]
    keys = [prefix + link.url for link in first.links]
    with ResponseCache(tmp_path / "c") as cache:
        kept = cache.get_resolutions(keys)
    assert len(kept) >= 10, len(kept)
    assert {res.status for _stamp, res in kept.values()} == {"ok"}


def _serve_in_child(world: World, latency: float, conn: Connection) -> None:
    """A KernelWeb in a process of its own: the stamps of its request log do not wait
    for the GIL of the process under test (the busy scanner holds it). The first
    request to lore is held a second: the requests after it must leave meanwhile."""
    with KernelWeb(make_handler(world), latency=latency) as web:
        web.fault(re.compile(r"^https?://lore\.kernel\.org/"), delay=1.0, times=1)
        conn.send(web.remap_rule())
        conn.recv()  # the run is over
        log = web.requests_for_host("lore.kernel.org")
        conn.send([(r.start, r.end, r.in_flight) for r in log])


def test_spacing_holds_while_the_scanner_keeps_the_loop_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that leaves late (the event loop was busy scanning) must not bring the
    next one closer than the interval: spacing is counted from the wire (the trace hook
    of the transport), not from the slot.

    Nothing here depends on how busy the machine is: the spacing is measured where it
    is made, at each request's departure on the client, and the overlap on a request
    the server holds for a second (ten intervals). The same run seen from the server
    (whose stamps trail the departures by a few ms, more on a loaded machine) is a
    figure of ``bench/bench_spacing.py``."""
    world, paths = _files(tmp_path, files=6, rows=6)
    real_steps = tables.scan_steps

    def busy_steps(path: str, raw: bytes) -> Generator[None, None, Document]:
        end = time.perf_counter() + 0.25
        while time.perf_counter() < end:  # steps of up to 30 ms: far longer than a row's
            step = time.perf_counter() + 0.03
            while time.perf_counter() < step:
                pass
            yield
        return (yield from real_steps(path, raw))

    monkeypatch.setattr(tables, "scan_steps", busy_steps)
    # when each request's head was handed to the socket (the transport's trace hook)
    departures: list[float] = []
    real_sent = Politeness.sent

    def sent(self: Politeness, host: str) -> None:
        departures.append(time.monotonic())
        real_sent(self, host)

    monkeypatch.setattr(Politeness, "sent", sent)
    interval = 0.1
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_serve_in_child, args=(world, 0.25, there), daemon=True)
    child.start()
    try:
        assert here.poll(60), "the test web did not start"
        rule: str = here.recv()
        web = SimpleNamespace(remap_rule=lambda: rule)
        settings = _paged(cast(KernelWeb, web), cache_dir=tmp_path / "c", host_interval=interval)
        checked = pipeline.check_paths(paths, settings)
        here.send("done")
        assert here.poll(60)
        log: list[tuple[float, float | None, int]] = here.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    assert {r.status for r in checked.resolutions.values()} == {"ok"}
    assert len(log) >= 36
    # the next request is granted when the previous one is on the wire, not answered:
    # while the server held the first request a second, others went out (the trace
    # hook fired); without the hook the next would wait for that answer
    assert max(n for _s, _e, n in log) >= 2
    # on the client, every request left at least the interval after the one before:
    # the next start is counted from the clock read at the departure, so this holds
    # however late the loop ran (1 ms is for float rounding, not for timing)
    assert len(departures) == len(log)
    left = min(b - a for a, b in itertools.pairwise(departures))
    assert left >= interval - 0.001, f"two requests left {left * 1000:.1f} ms apart"


def test_slim_documents_give_the_same_reports(tmp_path: Path) -> None:
    """``verify`` keeps of each audited document only what its reports read: every
    format but junit (which keeps the cells) renders exactly the same."""
    import dataclasses

    from patchcrawl.reports import render

    world, paths = _files(tmp_path, files=3, rows=6, wrong=True)
    with KernelWeb(make_handler(world)) as web:
        full, _ = pipeline.verify(paths, _paged(web, cache_dir=tmp_path / "a"))
        slim, checked = pipeline.verify(paths, _paged(web, cache_dir=tmp_path / "b"), slim=True)

    def same(r: Report) -> Report:
        return dataclasses.replace(
            r, generated_at="T", summary=dataclasses.replace(r.summary, seconds=0.0)
        )

    assert full.findings and full.findings == slim.findings
    for fmt in ("json", "markdown", "sarif", "github", "terminal"):
        assert render(same(slim), fmt) == render(same(full), fmt), fmt
    rows = [r for d in checked.documents for r in d.rows]
    # cells and link texts go; claims and labels stay (the JSON report's rows)
    assert rows and all(r.cells == () and r.claims.title is not None for r in rows)
    assert all(link.text is None for d in checked.documents for link in d.links)
    assert all(r.cells for d in full.documents for r in d.rows)  # not slimmed by default


def test_scanning_stays_a_bounded_distance_ahead_of_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scanned document holds its cells until it is audited: the next file is scanned
    only when few of the refs queued so far are still unresolved."""
    world, paths = _files(tmp_path, files=6, rows=8)
    monkeypatch.setattr(pipeline, "SCAN_AHEAD", 10)
    scans: list[float] = []
    on_scan(monkeypatch, lambda path: scans.append(time.monotonic()))
    with KernelWeb(make_handler(world), latency=0.03) as web:
        settings = _paged(web, cache_dir=tmp_path / "c", max_concurrency=1)
        checked = pipeline.check_paths(paths, settings)
        ends = sorted(r.end for r in web.log if r.end is not None)
    assert {r.status for r in checked.resolutions.values()} == {"ok"}
    # before file k (k >= 2) is scanned, at most 20 of the 8 * k refs before it are
    # unresolved: at least 8 * k - 20 answers have come back
    for k in range(2, len(paths)):
        answered = sum(1 for t in ends if t <= scans[k])
        assert answered >= 8 * k - 20, (k, answered)


def test_sliced_steps_give_way_to_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scanning and auditing beside the crawl run in steps on the event loop: after a
    ``SLICE`` of them, whatever else is ready (an answer, a request to send) runs."""

    def steps(n: int, seconds: float) -> Generator[None, None, int]:
        for _ in range(n):
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                pass
            yield
        return n

    async def run(n: int, seconds: float) -> tuple[int, int]:
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        ticks = 0
        result = await pipeline._sliced(steps(n, seconds))
        stop = True
        await task
        return result, ticks

    # steps longer than a slice: the loop gets a turn after every one of them
    monkeypatch.setattr(pipeline, "SLICE", 0.001)
    result, ticks = pipeline.run_async(run(20, 0.002))
    assert result == 20 and ticks >= 19, ticks
    # short steps: one turn for the lot, not one a step
    monkeypatch.setattr(pipeline, "SLICE", 10.0)
    result, ticks = pipeline.run_async(run(5000, 0.0))
    assert result == 5000 and ticks <= 1, ticks
