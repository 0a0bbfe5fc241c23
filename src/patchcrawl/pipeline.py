"""Wiring: documents -> refs -> crawl -> audit -> report.

``verify`` and ``enrich`` read top to bottom: :func:`verify` calls
:func:`check_paths`, whose :class:`_Check` runs three stages joined by queues
(scan -> :class:`patchcrawl.crawl.Crawl` -> audit), then the follow-up searches
(:func:`followed_up`), the mainline checks (:func:`merged_findings`), the policy,
and :func:`build_report`; :func:`exit_code` decides the outcome (CONTRACT.md).
Each stage's work lives in its own module (``tables``, ``refs``, ``crawl``,
``fetch``, ``sources``, ``audit``); this one moves data between them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from patchcrawl import __version__
from patchcrawl.crawl import Crawl, Links
from patchcrawl.models import (
    SEVERITIES,
    Document,
    Finding,
    Link,
    LinkResult,
    Ref,
    Report,
    Resolution,
    Row,
    Summary,
)
from patchcrawl.settings import Settings

if TYPE_CHECKING:
    from patchcrawl.fetch.cache import ResponseCache

T = TypeVar("T")

#: A run where more than this share of the checked unique URLs ended ``unreachable``
#: could not be done (exit 3), even when the network as a whole was not down.
UNREACHABLE_SHARE = 0.5
UNREACHABLE_MIN = 10

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking every link of some documents (before reporting)."""

    documents: tuple[Document, ...]
    refs: dict[str, Ref]  # link.url -> Ref
    resolutions: dict[str, Resolution]  # link.url -> Resolution
    requests: int
    from_cache: int
    network_down: bool
    seconds: float
    # per document, what ``audit`` found, when it ran during the crawl (``check_paths``)
    audited: tuple[tuple[Finding, ...], ...] | None = None


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_documents(paths: Sequence[str]) -> tuple[Document, ...]:
    from patchcrawl.tables import scan_paths

    return tuple(scan_paths(list(paths)))


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop's event loop when uvloop is installed (it is a
    dependency on Linux and macOS; the loop's own overhead is a good part of the
    CPU of a crawl), on asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _all_links(documents: Sequence[Document]) -> list[Link]:
    return [link for doc in documents for link in doc.links]


def _checked(
    documents: Sequence[Document],
    links: Links,
    outcome: tuple[dict[str, Resolution], int, int, bool],
    started: float,
) -> Checked:
    by_fetch, requests, from_cache, network_down = outcome
    return Checked(
        documents=tuple(documents),
        refs=links.refs,
        resolutions=links.resolutions(by_fetch),
        requests=requests,
        from_cache=from_cache,
        network_down=network_down,
        seconds=time.monotonic() - started,
    )


def check_documents(
    documents: Sequence[Document],
    settings: Settings,
    *,
    network: bool = True,
) -> Checked:
    """Classify every link, fetch each unique URL once, and map results back to links."""
    from patchcrawl.progress import make_progress

    started = time.monotonic()
    links = Links(settings, network)
    every = _all_links(documents)
    todo = links.add(every)
    outcome: tuple[dict[str, Resolution], int, int, bool] = ({}, 0, 0, False)
    if network and todo:
        progress = make_progress(len(every), settings.progress)

        async def main() -> tuple[dict[str, Resolution], int, int, bool]:
            crawl = Crawl(settings, progress)
            try:
                progress.advance(links.waits(every, crawl.results, crawl.weight)[1])
                crawl.add(todo)
                return await crawl.finish()
            finally:
                await crawl.aclose()

        try:
            outcome = run_async(main())
        finally:
            progress.close()
    return _checked(documents, links, outcome, started)


#: ``check_paths`` scans the next file when fewer unresolved refs than this wait
#: (or 20 per allowed request in flight, if that is more)
SCAN_AHEAD = 1000
# seconds of scanning or auditing between two turns of the event loop (_sliced)
SLICE = 0.0003


def _slim(doc: Document) -> Document:
    """An audited document with only what a report of ``verify`` reads (every format
    but junit): rows keep their place, byte range and claims (the JSON report's
    ``rows``), links their place, kind and label; cells and link texts are dropped.
    At 50,000 rows the cells held most of the 2 kB a row kept for the rest of the run."""
    slim_links = {
        id(link): dataclasses.replace(link, text=None, text_start=None, text_end=None)
        for link in doc.links
    }

    def row(r: Row) -> Row:
        links = tuple(slim_links.get(id(link), link) for link in r.links)
        return dataclasses.replace(r, cells=(), links=links)

    tables = tuple(dataclasses.replace(t, rows=tuple(row(r) for r in t.rows)) for t in doc.tables)
    links = tuple(slim_links[id(link)] for link in doc.links)
    return dataclasses.replace(doc, tables=tables, links=links)


@dataclass(frozen=True, slots=True)
class _Audited:
    """What auditing one document gave: its findings, the slimmed document (when
    slimming), and what to keep for later runs (content hash, digest, payload)."""

    findings: list[Finding]
    slimmed: Document | None = None
    keep: tuple[str, str, bytes] | None = None


def _audit(
    doc: Document | None,
    source: tuple[str, bytes],
    res: Mapping[str, Resolution],
    settings: Settings,
    slim: bool,
    keep: tuple[str, Sequence[Ref]] | None,
) -> Generator[None, None, _Audited]:
    """Audit ``doc`` (scanned from ``source``, path and bytes, when None); with
    ``keep`` (the hash of the bytes, the links' refs), pack the slimmed document, its
    findings and the refs for :mod:`patchcrawl.doccache`. In steps of a table row
    (:func:`_sliced` runs them between the crawl's answers)."""
    from patchcrawl import tables
    from patchcrawl.audit import audit_steps

    if doc is None:  # what the cache held no longer fits: the whole document again
        doc = yield from tables.scan_steps(*source)
    findings: list[Finding] = []
    yield from audit_steps(doc, res, settings, findings)
    if keep is None:
        return _Audited(findings, _slim(doc) if slim else None)
    from patchcrawl.doccache import pack
    from patchcrawl.fetch.cache import resolution_digest

    slimmed = _slim(doc)
    yield
    payload = pack(slimmed, findings, keep[1])
    return _Audited(findings, slimmed, (keep[0], resolution_digest(res.values()), payload))


def _done(steps: Generator[None, None, T]) -> T:
    """All of ``steps`` at once; their result."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


async def _sliced(steps: Generator[None, None, T]) -> T:
    """``steps`` on the event loop, giving way to it after every ``SLICE`` seconds of
    them: an answer that arrives meanwhile waits at most that long to be read and its
    host's next request to leave. (In a thread instead, each answer waited for the
    interpreter to take the GIL back from the scanner, up to its 5 ms switch interval
    per wake-up of the loop, which left the hosts idle for tens of milliseconds at a
    time while a file was scanned.)"""
    clock = time.perf_counter
    until = clock() + SLICE
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if clock() >= until:
            await asyncio.sleep(0)
            until = clock() + SLICE


class _Kept:
    """The documents ``verify --slim`` kept in the cache (:mod:`patchcrawl.doccache`):
    a file whose bytes did not change is taken back instead of scanned, and its
    findings instead of audited when the resolutions of its links did not change."""

    def __init__(self, cache: ResponseCache, settings: Settings) -> None:
        self.cache = cache
        self.settings = settings
        self.keys: list[tuple[str, str]] = []  # per document: its key, content hash
        # documents taken from the cache: the digest they stand on, their findings
        self.found: dict[int, tuple[str, tuple[Finding, ...]]] = {}

    def take(self, i: int, path: str, raw: bytes) -> tuple[Document, tuple[Ref, ...]] | None:
        """Document ``i`` and its links' refs when its bytes are unchanged (its findings
        wait in ``found``); None when the file must be scanned."""
        from patchcrawl.doccache import content_hash, document_key, unpack

        key, content = document_key(path, self.settings), content_hash(raw)
        self.keys.append((key, content))
        entry = self.cache.get_document(key)
        if entry is None or entry[0] != content:
            return None
        unpacked = unpack(entry[2], raw)
        if unpacked is None:
            return None
        self.found[i] = (entry[1], unpacked[1])
        return unpacked[0], unpacked[2]

    def reuse(self, i: int, res: Mapping[str, Resolution]) -> tuple[bool, list[Finding] | None]:
        """(was document ``i`` taken from the cache, its kept findings if the
        resolutions they stand on are this run's: None when a page says something
        else now, and the document must be scanned and audited again)."""
        from patchcrawl.fetch.cache import resolution_digest

        kept = self.found.pop(i, None)
        if kept is None:
            return False, None
        if resolution_digest(res.values()) != kept[0]:
            return True, None
        return True, list(kept[1])

    def put(self, i: int, keep: tuple[str, str, bytes]) -> None:
        self.cache.put_document(self.keys[i][0], *keep)


class _Waiting:
    """Which scanned documents still wait for which fetch URLs."""

    def __init__(self) -> None:
        self.pending: list[set[str]] = []  # per document: fetch URLs not resolved yet
        self.by_url: dict[str, list[int]] = defaultdict(list)  # fetch URL -> documents

    def add(self, todo: set[str]) -> int:
        """A document waiting for ``todo``; its index."""
        self.pending.append(todo)
        for url in todo:
            self.by_url[url].append(len(self.pending) - 1)
        return len(self.pending) - 1

    def resolved(self, fetch_url: str) -> list[int]:
        """The documents ``fetch_url`` was the last wait of."""
        ready = []
        for i in self.by_url.pop(fetch_url, ()):
            self.pending[i].discard(fetch_url)
            if not self.pending[i]:
                ready.append(i)
        return ready


class _Check:
    """One :func:`check_paths`: three stages on one event loop, joined by queues.

    ``scan`` reads the files one at a time into documents (or takes them back from
    the cache) and hands each new unique ref to the ``crawl``
    (:class:`patchcrawl.crawl.Crawl`: per-host queues, lore's batch searches), then
    waits for room there (``ahead`` refs unresolved at most: back-pressure without
    polling). Each resolved ref may complete documents, which go to the ``ready``
    queue; ``audit``, its one consumer, audits them in order of completion and keeps
    their findings. The crawl ends when the scan has and every ref is resolved; the
    audit when the scan and the crawl have and its queue is empty.
    """

    def __init__(
        self, files: list[tuple[str, bytes]], settings: Settings, slim: bool, progress: Any
    ) -> None:
        self.files = files
        self.settings = settings
        self.slim = slim
        self.progress = progress
        self.links = Links(settings, network=True)
        self.docs: list[Document] = []
        self.found: list[list[Finding]] = []
        self.waiting = _Waiting()
        self.ready: asyncio.Queue[int | None] = asyncio.Queue()
        self.crawl = Crawl(settings, progress)
        self.crawl.on_resolved = self._resolved
        cache = self.crawl.cache
        self.kept = _Kept(cache, settings) if slim and cache is not None and cache.enabled else None

    async def run(self) -> tuple[dict[str, Resolution], int, int, bool]:
        audit = asyncio.ensure_future(self._audit_stage())
        try:
            await self._scan_stage()
            outcome = await self.crawl.finish()
            self.ready.put_nowait(None)  # every document is in the queue by now
            await audit
            return outcome
        finally:
            audit.cancel()
            await self.crawl.aclose()

    # ------------------------------------------------------------------ scan

    async def _scan_stage(self) -> None:
        ahead = max(SCAN_AHEAD, 20 * self.settings.max_concurrency)
        for path, raw in self.files:
            doc, known = await self._document(path, raw)
            self.docs.append(doc)
            self.found.append([])
            new = self.links.add(doc.links, known)
            todo, done = self.links.waits(doc.links, self.crawl.results, self.crawl.weight)
            i = self.waiting.add(todo)
            if not todo:
                self.ready.put_nowait(i)
            self.progress.grow(len(doc.links))
            self.progress.advance(done)
            self.crawl.add(new)  # a ref the cache answers may complete documents now
            await self.crawl.room(ahead)

    async def _document(self, path: str, raw: bytes) -> tuple[Document, tuple[Ref, ...] | None]:
        """The document of ``path``: kept in the cache, or scanned (in slices once
        requests are on the wire, in one go while the cache answers everything)."""
        from patchcrawl.tables import scan_bytes, scan_steps

        if self.kept is not None:
            hit = self.kept.take(len(self.docs), path, raw)
            if hit is not None:
                return hit
        if self.crawl.fetcher is None:
            return scan_bytes(path, raw), None
        return await _sliced(scan_steps(path, raw)), None

    def _resolved(self, fetch_url: str) -> None:
        for i in self.waiting.resolved(fetch_url):
            self.ready.put_nowait(i)

    # ------------------------------------------------------------------ audit

    async def _audit_stage(self) -> None:
        while (i := await self.ready.get()) is not None:
            self.found[i] = await self._audit_one(i)

    async def _audit_one(self, i: int) -> list[Finding]:
        """Audit document ``i`` (every ref it links is resolved); with a cache of
        documents, keep it there, and with ``slim`` keep only its slimmed form."""
        doc = self.docs[i]
        links = self.links
        res = {link.url: links.resolution(link.url, self.crawl.results) for link in doc.links}
        scanned: Document | None = doc
        keep = None
        if self.kept is not None:
            was_kept, found = self.kept.reuse(i, res)
            if found is not None:
                return found
            if was_kept:
                scanned = None  # a page says something else now: scan and audit again
            keep = (self.kept.keys[i][1], [links.refs[link.url] for link in doc.links])
        # with nothing on the wire there is nothing to give way to, and no crawl state
        # to make room for: slimming would only cost time (a kept document is slimmed)
        on_wire = self.crawl.fetcher is not None
        steps = _audit(scanned, self.files[i], res, self.settings, self.slim and on_wire, keep)
        done = await _sliced(steps) if on_wire else _done(steps)
        if done.slimmed is not None:
            self.docs[i] = done.slimmed  # the full document is freed now, not at the end
        if done.keep is not None and self.kept is not None:
            self.kept.put(i, done.keep)
        return done.findings


def check_paths(paths: Sequence[str], settings: Settings, *, slim: bool = False) -> Checked:
    """Scan the markdown files of ``paths`` and check their links, crawling while scanning.

    Every file is read first (an unreadable one is a usage error before any request).
    Then each file is scanned in turn and its new links are queued at once: the first
    requests leave after the first file, not after the last; the next file is scanned
    when fewer than ``ahead`` refs wait, so scanned but unaudited documents (the
    largest objects of a run) never pile up far ahead of the crawl. A document is audited as
    soon as every URL it links is resolved, so little but the report is left when the
    last answer arrives. Once requests are on the wire, scanning and auditing run on
    the event loop in slices of ``SLICE`` seconds (:func:`_sliced`), between which it
    reads the answers that arrived and sends the next requests; while the cache
    answers everything, they run in one go.

    ``slim``: each document audited while requests are on the wire is replaced by
    :func:`_slim` of it (for ``verify`` when no report needs the cells), making room for
    the crawl; the findings are those of the whole document. With a cache, ``slim``
    also keeps each audited document there, and takes it back in a later run
    instead of scanning and auditing the file again when neither its bytes nor the
    resolutions of its links changed (:mod:`patchcrawl.doccache`).
    """
    from patchcrawl.discover import find_markdown
    from patchcrawl.progress import make_progress
    from patchcrawl.tables import read_file

    files = [(path, read_file(path)) for path in find_markdown(list(paths))]
    started = time.monotonic()
    progress = make_progress(0, settings.progress)

    async def main() -> tuple[_Check, tuple[dict[str, Resolution], int, int, bool]]:
        check = _Check(files, settings, slim, progress)
        return check, await check.run()

    try:
        check, outcome = run_async(main())
    finally:
        progress.close()
    checked = _checked(check.docs, check.links, outcome, started)
    return dataclasses.replace(checked, audited=tuple(tuple(f) for f in check.found))


def build_report(
    checked: Checked, findings: Sequence[Finding], *, command: str = "verify"
) -> Report:
    """The report of a run; ``command`` "scan" for a run without the network (nothing
    was checked, so nothing is incomplete)."""
    docs = checked.documents
    links = _all_links(docs)
    results = tuple(LinkResult(link, checked.resolutions[link.url]) for link in links)
    by_status = Counter(r.resolution.status for r in results)
    by_sev: Counter[str] = Counter(f.severity for f in findings)
    unique = {(checked.refs[link.url].fetch_url or link.url) for link in links}
    incomplete = None if command == "scan" else incomplete_sentence(checked)
    summary = Summary(
        files=len(docs),
        tables=sum(len(d.tables) for d in docs),
        rows=sum(len(t.rows) for d in docs for t in d.tables),
        links=len(links),
        table_links=sum(1 for link in links if link.cell != "none"),
        unique_urls=len(unique),
        by_status=tuple(sorted(by_status.items())),
        findings=tuple((s, by_sev.get(s, 0)) for s in SEVERITIES),
        requests=checked.requests,
        from_cache=checked.from_cache,
        seconds=round(checked.seconds, 3),
        complete=incomplete is None,
    )
    return Report(
        version=__version__,
        generated_at=now_iso(),
        summary=summary,
        links=results,
        findings=tuple(findings),
        documents=docs,
        network_down=checked.network_down,
        command=command,
        incomplete=incomplete,
    )


def _link_statuses(checked: Checked) -> Counter[str]:
    """How many links (as the summary counts them: every link of every document) ended
    in each status."""
    res = checked.resolutions
    return Counter(res[link.url].status for link in _all_links(checked.documents))


def incomplete_sentence(checked: Checked) -> str | None:
    """Why the check of ``checked`` is incomplete, in one sentence that counts links as
    the summary and the progress bar do; None when it is complete."""
    statuses = _link_statuses(checked)
    total = sum(statuses.values())
    if could_not_check(checked):
        unreachable = statuses["unreachable"]
        if checked.network_down:
            why = "the network is unavailable (no host could be reached)"
        else:
            why = "too many links were unreachable after all retries"
        return (
            f"the check is incomplete: {why}; {unreachable:,} of {plural(total, 'link')} "
            "were left unreachable and none was called dead"
        )
    not_checked = statuses["not-checked"]
    if not_checked:
        return (
            f"the check is incomplete: {not_checked:,} of {plural(total, 'link')} were not "
            "checked (offline, with no answer in the cache)"
        )
    return None


def plural(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


def could_not_check(checked: Checked) -> bool:
    """Exit 3: the network was down, or too many unique URLs were left unreachable."""
    if checked.network_down:
        return True
    fetched = [r for r in checked.resolutions.values() if r.status not in ("malformed", "skipped")]
    unreachable = sum(1 for r in fetched if r.status == "unreachable")
    return unreachable >= UNREACHABLE_MIN and unreachable > UNREACHABLE_SHARE * len(fetched)


def scan_findings(documents: Sequence[Document]) -> list[Finding]:
    return [f for doc in documents for f in doc.findings]


def run_scan(paths: Sequence[str], settings: Settings) -> Report:
    from patchcrawl.policy import apply_policy

    docs = scan_documents(paths)
    checked = check_documents(docs, settings, network=False)
    findings = apply_policy(scan_findings(docs), settings)
    return build_report(checked, findings, command="scan")


def audit_findings(checked: Checked, settings: Settings) -> list[Finding]:
    """Scanner findings and the audit's (run during the crawl by ``check_paths``, here
    otherwise); with the network down only malformed URLs, never a dead link."""
    found = scan_findings(checked.documents)
    if checked.audited is not None:
        audited = [f for doc_findings in checked.audited for f in doc_findings]
    else:
        from patchcrawl.audit import audit

        audited = audit(checked.documents, checked.resolutions, settings)
    if checked.network_down:
        # keep every static finding; no link is called dead because the network is down
        audited = [f for f in audited if f.code == "malformed-url"]
    return found + audited


def verify(
    paths: Sequence[str], settings: Settings, *, slim: bool = False
) -> tuple[Report, Checked]:
    """``slim``: keep of each audited document only what reports other than junit read."""
    from patchcrawl.policy import apply_policy

    checked = check_paths(paths, settings, slim=slim)
    findings = followed_up(checked, audit_findings(checked, settings), settings, rescue=False)
    findings += merged_findings(checked, settings)
    findings = apply_policy(findings, settings)
    return build_report(checked, findings), checked


def exit_code(report: Report, checked: Checked) -> int:
    if could_not_check(checked):
        return EXIT_UNAVAILABLE
    if any(f.severity == "error" for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def recount(report: Report) -> Report:
    """The same report with ``summary.findings`` recounted (after a baseline filter)."""
    import dataclasses

    by_sev: Counter[str] = Counter(f.severity for f in report.findings)
    summary = dataclasses.replace(
        report.summary, findings=tuple((s, by_sev.get(s, 0)) for s in SEVERITIES)
    )
    return dataclasses.replace(report, summary=summary)


def unavailable_sentence(checked: Checked) -> str:
    """The line on stderr of an exit 3."""
    return f"patchcrawl: {incomplete_sentence(checked) or 'the check could not be done'}."


async def _follow_up(
    documents: Sequence[Document], findings: list[Finding], settings: Settings, *, rescue: bool
) -> list[Finding]:
    """The searches of lore that come after the audit, through one fetcher: each
    ``version-unconfirmed`` settled (:mod:`patchcrawl.confirm`) and, with ``rescue``,
    each dead link's series looked for (:mod:`patchcrawl.rescue`)."""
    from patchcrawl.confirm import confirm_versions, pending
    from patchcrawl.fetch import Fetcher, ResponseCache
    from patchcrawl.rescue import rescue_dead_links

    if not pending(findings) and not (rescue and any(f.code == "dead-link" for f in findings)):
        return findings
    cache = ResponseCache(settings.cache_dir) if settings.cache_dir else None
    try:
        async with Fetcher(settings, cache=cache) as fetcher:
            if pending(findings):
                findings = await confirm_versions(findings, fetcher.get)
            if rescue and not settings.offline:
                findings = await rescue_dead_links(documents, findings, fetcher.get, settings)
            return findings
    finally:
        if cache is not None:
            cache.close()


def followed_up(
    checked: Checked, findings: list[Finding], settings: Settings, *, rescue: bool
) -> list[Finding]:
    """:func:`_follow_up` unless the network is down (a run that could not check asks
    nothing more)."""
    if checked.network_down:
        return findings
    return run_async(_follow_up(checked.documents, findings, settings, rescue=rescue))


def merged_findings(checked: Checked, settings: Settings) -> list[Finding]:
    """With ``settings.kernel_git``: each row's merged-release claims against mainline
    (:mod:`patchcrawl.merged`; the index built once per mainline HEAD, kept in the
    cache). No network: what the crawl read, and the local clone."""
    if not settings.kernel_git:
        return []
    from patchcrawl.mainline import open_index
    from patchcrawl.merged import mainline_findings

    def say(line: str) -> None:
        import sys

        print(line, file=sys.stderr, flush=True)

    index = open_index(settings.kernel_git, settings.cache_dir, say)
    try:
        return mainline_findings(checked.documents, checked.resolutions, index)
    finally:
        index.close()


class Enriched(NamedTuple):
    """What ``enrich`` made: the diff, the check it stands on, the files written, and
    the fixes the diff is made of (:func:`patchcrawl.enrich.fix_list`)."""

    diff: bytes
    checked: Checked
    written: list[str]
    fixes: list[dict[str, Any]]


def enrich(
    paths: Sequence[str],
    settings: Settings,
    *,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    write: bool,
    rescue: bool = True,
    force: bool = False,
) -> Enriched:
    """Findings with edits -> the unified diff (bytes), and the files written with ``write``
    (``force``: read-only files too)."""
    from patchcrawl import enrich as enrich_mod
    from patchcrawl.policy import apply_policy

    checked = check_paths(paths, settings)
    docs = checked.documents
    findings = followed_up(checked, audit_findings(checked, settings), settings, rescue=rescue)
    findings += merged_findings(checked, settings)
    findings = apply_policy(findings, settings)
    diff = enrich_mod.build_diff_bytes(docs, findings, select=select, ignore=ignore)
    fixes = enrich_mod.fix_list(docs, findings, select=select, ignore=ignore)
    written: list[str] = []
    if write and diff:
        written = enrich_mod.write(docs, findings, select=select, ignore=ignore, force=force)
    return Enriched(diff, checked, written, fixes)
