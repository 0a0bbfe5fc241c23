"""Wiring: documents -> refs -> fetch -> sources -> audit -> report.

Each stage lives in its own module; this one only moves data between them,
de-duplicates work (one request per normalised URL across all files and rows)
and decides the outcome of a run (exit codes of CONTRACT.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as _dt
import functools
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from patchcrawl import __version__, code_fingerprint
from patchcrawl.models import (
    SEVERITIES,
    Document,
    Finding,
    Link,
    LinkResult,
    LinkStatus,
    Ref,
    Report,
    Resolution,
    Response,
    Row,
    Summary,
)
from patchcrawl.progress import ProgressLike
from patchcrawl.refs import classify
from patchcrawl.settings import Settings

if TYPE_CHECKING:
    from patchcrawl.sources.lore_search import Candidate

T = TypeVar("T")
#: the host of lore's searches (``patchcrawl.sources.lore.LORE_HOST``, not imported:
#: a run the cache answers imports no parser)
LORE_HOST = "lore.kernel.org"

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


def _static_resolution(ref: Ref, settings: Settings, network: bool) -> Resolution | None:
    """A resolution decided without the network: malformed, excluded, not http(s).

    With no network at all (``scan``) a usable link is ``not-checked``, never
    ``skipped`` (CONTRACT.md's scan section)."""
    if ref.kind == "malformed":
        return Resolution(url=ref.url, status="malformed", detail=ref.problem)
    unchecked: LinkStatus = "skipped" if network else "not-checked"
    if ref.fetch_url is None:
        return Resolution(url=ref.url, status=unchecked, detail="not an http(s) URL")
    for pattern in settings.exclude:
        if pattern.search(ref.url):
            return Resolution(url=ref.url, status=unchecked, detail="excluded by configuration")
    return None


def _resolution_prefix(settings: Settings) -> str:
    """What a resolution's cache key starts with, the fetch URL following: the
    fingerprint of patchcrawl's code (parsers change, released or not) and the
    settings that shape a resolution (accepted statuses, canonical style, remap rules)."""
    accept = ",".join(sorted(str(a) for a in settings.accept))
    # answers read through --remap are another web's: their resolutions too
    remap = "\1".join(f"{r.pattern.pattern} {r.replacement}" for r in settings.remap)
    # and --no-batch: a run that asks for every page fetched never takes a search's answers
    batch = "batch" if settings.batch else "pages"
    return f"{code_fingerprint()}\0{settings.canonical_style}\0{accept}\0{remap}\0{batch}\0"


# statuses worth remembering: what a later run would find again; never the ones a
# retry could change (timeouts and 5xx) or that say nothing (offline misses)
_KEEP = frozenset({"ok", "moved", "dead", "blocked", "paywalled"})


class _Links:
    """Every link seen so far: its ref, its static resolution, the unique fetchable refs."""

    def __init__(self, settings: Settings, network: bool) -> None:
        self.settings = settings
        self.network = network
        self.refs: dict[str, Ref] = {}  # link.url -> Ref
        self.static: dict[str, Resolution] = {}  # link.url -> resolution without network
        self.unique: dict[str, Ref] = {}  # fetch_url -> the first ref that needs it

    def add(self, links: Sequence[Link], known: Sequence[Ref] | None = None) -> list[Ref]:
        """Take in ``links`` (classified already when ``known``, a ref per link); return
        the refs of fetch URLs not seen before."""
        new: list[Ref] = []
        refs, unique = self.refs, self.unique
        for j, link in enumerate(links):
            url = link.url
            if url in refs:
                continue
            ref = refs[url] = classify(url) if known is None else known[j]
            res = _static_resolution(ref, self.settings, self.network)
            if res is not None:
                self.static[url] = res
            elif ref.fetch_url is not None and ref.fetch_url not in unique:
                unique[ref.fetch_url] = ref
                new.append(ref)
        return new

    def waits(
        self, links: Sequence[Link], resolved: Mapping[str, object], weight: Counter[str]
    ) -> tuple[set[str], int]:
        """(the fetch URLs ``links`` (already added) wait for that are not ``resolved``
        yet, how many of ``links`` are done already); each waiting link adds 1 to the
        ``weight`` of its fetch URL (the progress bar counts links)."""
        out: set[str] = set()
        done = 0
        static, refs = self.static, self.refs
        for link in links:
            if link.url in static:
                done += 1
                continue
            fetch_url = refs[link.url].fetch_url
            if fetch_url is None or fetch_url in resolved:
                done += 1
            else:
                out.add(fetch_url)
                weight[fetch_url] += 1
        return out, done

    def resolution(self, url: str, by_fetch: Mapping[str, Resolution]) -> Resolution:
        """The resolution of the link ``url``, as written in the document."""
        static = self.static.get(url)
        if static is not None:
            return static
        fetch_url = self.refs[url].fetch_url
        assert fetch_url is not None
        res = by_fetch.get(fetch_url)
        if res is None:
            return Resolution(url=url, status="not-checked")
        if res.url != url:
            # the same normalised URL written another way: report it as written
            return dataclasses.replace(res, url=url)
        return res

    def resolutions(self, by_fetch: Mapping[str, Resolution]) -> dict[str, Resolution]:
        """link.url -> its resolution, for every link seen."""
        return {url: self.resolution(url, by_fetch) for url in self.refs}


class _Search(NamedTuple):
    """One lore search for the message links of ``refs`` (:mod:`patchcrawl.sources.lore_search`)."""

    inbox: str
    refs: tuple[Ref, ...]


class _Legacy(NamedTuple):
    """A legacy patchwork link (``lore.kernel.org/patchwork/cover/N``), to be asked
    where it redirects before its message joins a search."""

    ref: Ref


class _Host:
    """One host's share of the crawl: the refs waiting for it, and its workers.

    Each host has its own queue and its own workers (at most ``limit``, made when its
    queue grows, gone when it is empty), so a ref waiting for a busy or paused host
    never holds a worker another host could use: every host runs at its own bound
    (:mod:`patchcrawl.fetch.politeness`), independently of the others. ``limit`` is
    twice the host's parallel requests: a worker parsing a page or waiting for a
    second page of its ref (the raw mail, the thread) leaves a slot another fills.
    """

    __slots__ = ("jobs", "limit", "name", "workers")

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.jobs: deque[Ref | _Search | _Legacy] = deque()
        self.limit = limit
        self.workers = 0

    def wants_worker(self) -> bool:
        return self.workers < self.limit and self.workers < len(self.jobs)


class _Crawl:
    """Resolves the unique refs handed to :meth:`add` while more are being found.

    A resolution cached by an earlier run answers when it is fresh (every page it
    was read from was fetched within ``--max-age``; any age with ``--offline``): a
    warm run neither reads nor parses pages, and opens no connection (the HTTP
    stack is not even imported until the first ref the cache cannot answer).
    The others wait in their host's queue (:class:`_Host`).
    """

    def __init__(self, settings: Settings, progress: ProgressLike) -> None:
        from patchcrawl.fetch.cache import ResponseCache

        self.settings = settings
        self.progress = progress
        self.cache = ResponseCache(settings.cache_dir) if settings.cache_dir else None
        self.results: dict[str, Resolution] = {}  # fetch_url -> Resolution
        self.hits = 0
        self.now = time.time()
        self.oldest = self.now  # fetch time of the oldest page read this run
        self.prefix = _resolution_prefix(settings)
        self.hosts: dict[str, _Host] = {}
        # lore message links waiting to be looked up together, per inbox searched
        self.batching = settings.batch and not settings.offline
        self.batches: dict[str, list[Ref]] = {}
        # legacy links whose redirect named their message: fetch URL -> (link, target)
        self.unmasked: dict[str, tuple[Ref, str]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.stack = contextlib.AsyncExitStack()
        self.fetcher: Any = None
        self.resolver: Any = None
        self._inbox_of: Callable[[Ref], str | None] = lambda ref: None
        self.on_resolved: Callable[[str], None] = lambda fetch_url: None
        self.pending = 0  # refs queued or being resolved
        # fetch URL -> the links waiting for it: what the progress bar advances by
        self.weight: Counter[str] = Counter()

    def add(self, refs: Sequence[Ref]) -> None:
        """Answer ``refs`` from the cache, or queue them for their hosts' workers."""
        s, cache, progress = self.settings, self.cache, self.progress
        misses: list[Ref] = []
        keys: list[str] = []  # each ref's resolution key, made once
        for ref in refs:
            assert ref.fetch_url is not None
            keys.append(self.prefix + ref.fetch_url)
        stored = cache.get_resolutions(keys, from_cache=True) if cache is not None and refs else {}
        for ref, key in zip(refs, keys, strict=True):
            assert ref.fetch_url is not None
            got = stored.get(key)
            if got is not None and (s.offline or self.now - got[0] < s.max_age):
                self.results[ref.fetch_url] = got[1]
                self.hits += 1
                progress.advance(self.weight.pop(ref.fetch_url, 0))
                self.on_resolved(ref.fetch_url)
            else:
                misses.append(ref)
        if not misses:
            return
        if self.fetcher is None:
            self._start()
        self.pending += len(misses)
        for ref in misses:
            self._queue(ref)
        lore_host = self.hosts.get(LORE_HOST)
        if self.batches and (lore_host is None or not lore_host.jobs):
            self._flush()  # lore has nothing else to do: search for what is there

    def _queue(self, ref: Ref, *, batch: bool = True) -> None:
        """Put ``ref`` in its host's queue, or with ``batch`` a lore message link in its
        inbox's next search (queued once it is full, or when lore has nothing else)."""
        if batch and self.batching and (inbox := self._inbox_of(ref)) is not None:
            self._wait(inbox, ref)
        elif batch and self.batching and ref.kind == "lore-patchwork-legacy":
            self._push(LORE_HOST, _Legacy(ref))
        else:
            self._push(ref.host or "", ref)

    def _wait(self, inbox: str, ref: Ref) -> None:
        """``ref`` joins the next search of ``inbox``, which is queued once it is full."""
        waiting = self.batches.setdefault(inbox, [])
        waiting.append(ref)
        if len(waiting) >= self.settings.batch_size:
            self._flush(inbox)

    def _push(self, name: str, job: Ref | _Search | _Legacy) -> None:
        """Queue ``job`` for host ``name``, with a new worker when the host may have one."""
        host = self.hosts.get(name)
        if host is None:
            conc = self.settings.host_policy(name)[0]
            host = self.hosts[name] = _Host(name, 2 * max(1, conc))
        host.jobs.append(job)
        if host.wants_worker():
            host.workers += 1
            task = asyncio.ensure_future(self._work(host))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _flush(self, inbox: str | None = None) -> None:
        """Queue the searches for the links waiting in ``inbox`` (every inbox: None)."""
        from patchcrawl.sources.lore_search import batches

        for name in [inbox] if inbox is not None else list(self.batches):
            by_id: dict[str, list[Ref]] = {}  # /all/<id>/ and /r/<id> search as one
            for ref in self.batches.pop(name, ()):
                by_id.setdefault(ref.msgid or "", []).append(ref)
            for ids in batches(name, list(by_id), self.settings.batch_size):
                self._push(LORE_HOST, _Search(name, tuple(r for m in ids for r in by_id[m])))

    async def _work(self, host: _Host) -> None:
        """Resolve ``host``'s refs until its queue is empty."""
        try:
            while True:
                if not host.jobs and host.name == LORE_HOST and self.batches:
                    self._flush()  # about to idle: search for what waits
                if not host.jobs:
                    break
                job = host.jobs.popleft()
                if isinstance(job, _Search):
                    await self._search(job)
                elif isinstance(job, _Legacy):
                    await self._legacy(job.ref)
                else:
                    self._record(job, await self.resolver.resolve(job))
        finally:
            host.workers -= 1

    async def _legacy(self, ref: Ref) -> None:
        """Ask where legacy link ``ref`` redirects (one request, the hop not followed):
        its message joins a search of ``all``; when the answer names none, the link is
        fetched as any other (the hop is not asked again)."""
        from patchcrawl.sources.lore_search import legacy_target

        assert ref.fetch_url is not None
        hop = await self.fetcher.hop(ref.fetch_url)
        found = legacy_target(ref, hop)
        if found is None:
            self._queue(ref, batch=False)
            return
        msgid, target = found
        self.unmasked[ref.fetch_url] = (ref, target)
        self._wait("all", dataclasses.replace(ref, msgid=msgid))

    async def _search(self, job: _Search) -> None:
        """One lore search for ``job``'s links: the ones its feed settles are resolved,
        the others go to lore's queue to be fetched one by one."""
        from patchcrawl.sources.lore_search import PAGE, moved, parse_atom, search_url, settle

        ids = list(dict.fromkeys(ref.msgid or "" for ref in job.refs))
        found: dict[str, Candidate] = {}
        cached = True
        offset = 0
        while True:  # page on while a page comes back full
            resp = await self.resolver.fetch(search_url(job.inbox, ids, offset))
            if resp.error is not None or resp.status not in (200, 404):
                break
            entries = parse_atom(resp.body)
            cached = cached and resp.from_cache
            for cand in entries:
                found.setdefault(cand.msgid, cand)
            if len(entries) < PAGE:
                break
            offset += PAGE
        for ref in job.refs:
            entry = found.get(ref.msgid or "")
            res = settle(ref, entry, from_cache=cached) if entry is not None else None
            legacy = self.unmasked.pop(ref.fetch_url or "", None)
            if res is None:
                self._queue(legacy[0] if legacy else ref, batch=False)
                continue
            if res.metadata is not None and ref.msgid:
                self.resolver.known(ref.msgid, res.metadata)
            if legacy is not None and ref.msgid:
                res = moved(res, ref.msgid, legacy[1], self.settings.canonical_style)
            self._record(ref, res)

    def _record(self, ref: Ref, res: Resolution) -> None:
        """``ref`` is resolved: keep it (in the cache too) and tell who waits for it."""
        assert ref.fetch_url is not None
        self.results[ref.fetch_url] = res
        fetcher = self.fetcher
        if self.cache is not None and res.status in _KEEP and not fetcher.network_down:
            # dated by the oldest page read so far, which includes every page it was
            # read from: never fresher than its pages
            self.cache.queue_resolution(self.prefix + ref.fetch_url, res, self.oldest)
        self.pending -= 1
        self.progress.advance(self.weight.pop(ref.fetch_url, 0))
        self.progress.update(fetcher.stats, self.hits)
        self.on_resolved(ref.fetch_url)

    def _start(self) -> None:
        from patchcrawl.fetch import Fetcher
        from patchcrawl.sources import Resolver

        fetcher = Fetcher(self.settings, cache=self.cache)
        fetcher.enter()  # nothing to await: the HTTP client is made on the first request
        self.stack.push_async_callback(fetcher.aclose)
        self.fetcher = fetcher

        async def get(url: str) -> Response:
            resp = await fetcher.get(url)
            if resp.fetched_at:
                self.oldest = min(self.oldest, resp.fetched_at)
            return resp

        self.resolver = Resolver(get, self.settings)
        from patchcrawl.sources.lore_search import inbox_of

        self._inbox_of = inbox_of

    async def finish(self) -> tuple[dict[str, Resolution], int, int, bool]:
        """Wait for the workers; (fetch_url -> Resolution, requests, from_cache, network_down)."""
        if self.fetcher is None:
            return self.results, 0, self.hits, False
        self._flush()
        while self.tasks:  # a worker may queue more work (and make workers) as it ends
            await asyncio.gather(*self.tasks)
        stats = self.fetcher.stats
        down = bool(self.fetcher.network_down)
        return self.results, stats.requests, stats.from_cache + self.hits, down

    async def aclose(self) -> None:
        """Stop the workers (after an error) and close the fetcher and the cache."""
        try:
            tasks = list(self.tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.stack.aclose()
        finally:
            if self.cache is not None:
                self.cache.close()
            from patchcrawl.fetch.cache import normalize_url

            normalize_url.cache_clear()  # not needed after the crawl
            # the workers, the fetcher and the resolver refer to each other and to
            # this object: let go of them now, not at the next full collection
            self.tasks = set()
            self.hosts = {}
            self.fetcher = None
            self.resolver = None
            self.on_resolved = lambda fetch_url: None


def _checked(
    documents: Sequence[Document],
    links: _Links,
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
    links = _Links(settings, network)
    every = _all_links(documents)
    todo = links.add(every)
    outcome: tuple[dict[str, Resolution], int, int, bool] = ({}, 0, 0, False)
    if network and todo:
        progress = make_progress(len(every), settings.progress)

        async def main() -> tuple[dict[str, Resolution], int, int, bool]:
            crawl = _Crawl(settings, progress)
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
    from patchcrawl.doccache import content_hash, document_key, unpack
    from patchcrawl.progress import make_progress
    from patchcrawl.tables import read_file, scan_bytes, scan_steps

    files = [(path, read_file(path)) for path in find_markdown(list(paths))]
    started = time.monotonic()
    links = _Links(settings, network=True)
    progress = make_progress(0, settings.progress)

    async def main() -> tuple[
        list[Document],
        tuple[dict[str, Resolution], int, int, bool],
        list[list[Finding]],
    ]:
        loop = asyncio.get_running_loop()
        crawl = _Crawl(settings, progress)
        cache = crawl.cache if slim and crawl.cache is not None and crawl.cache.enabled else None
        docs: list[Document] = []
        pending: list[set[str]] = []  # per document: fetch URLs not resolved yet
        waiting: dict[str, list[int]] = defaultdict(list)  # fetch URL -> documents
        audits: dict[int, asyncio.Future[_Audited]] = {}
        keys: list[tuple[str, str]] = []  # per document, with a cache: its key, content hash
        # documents taken from the cache: the digest they stand on, their findings
        kept: dict[int, tuple[str, tuple[Finding, ...]]] = {}

        def audited(i: int, fut: asyncio.Future[_Audited]) -> None:
            if not fut.cancelled() and fut.exception() is None:
                done = fut.result()
                if done.slimmed is not None:
                    docs[i] = done.slimmed  # the full document is freed now, not at the end
                if done.keep is not None and cache is not None:
                    cache.put_document(keys[i][0], *done.keep)

        def audit_later(i: int) -> None:
            doc = docs[i]
            res = {link.url: links.resolution(link.url, crawl.results) for link in doc.links}
            scanned: Document | None = doc
            fut: asyncio.Future[_Audited]
            if i in kept:
                from patchcrawl.fetch.cache import resolution_digest

                digest, found = kept.pop(i)
                if resolution_digest(res.values()) == digest:
                    fut = loop.create_future()
                    fut.set_result(_Audited(list(found)))
                    audits[i] = fut
                    return
                scanned = None  # a page says something else now: scan and audit again
            keep = None
            if cache is not None:
                keep = (keys[i][1], [links.refs[link.url] for link in doc.links])
            if crawl.fetcher is None:  # nothing on the wire to overlap with: no thread
                fut = loop.create_future()
                # and no crawl state to make room for: slimming would only cost time
                # (a document kept in the cache is slimmed all the same)
                fut.set_result(_done(_audit(scanned, files[i], res, settings, False, keep)))
            else:
                fut = asyncio.ensure_future(
                    _sliced(_audit(scanned, files[i], res, settings, slim, keep))
                )
            audits[i] = fut
            fut.add_done_callback(functools.partial(audited, i))

        def from_cache(i: int, raw: bytes) -> tuple[Document, tuple[Ref, ...]] | None:
            """The kept document ``i`` and its links' refs when its bytes are unchanged
            (its findings go to ``kept``); None when the file must be scanned."""
            assert cache is not None
            key, content = keys[i]
            entry = cache.get_document(key)
            if entry is None or entry[0] != content:
                return None
            unpacked = unpack(entry[2], raw)
            if unpacked is None:
                return None
            kept[i] = (entry[1], unpacked[1])
            return unpacked[0], unpacked[2]

        def resolved(fetch_url: str) -> None:
            for i in waiting.pop(fetch_url, ()):
                pending[i].discard(fetch_url)
                if not pending[i]:
                    audit_later(i)

        crawl.on_resolved = resolved
        ahead = max(SCAN_AHEAD, 20 * settings.max_concurrency)  # unresolved refs at most
        try:
            for path, raw in files:
                i = len(docs)
                hit = None
                if cache is not None:
                    keys.append((document_key(path, settings), content_hash(raw)))
                    hit = from_cache(i, raw)
                known: tuple[Ref, ...] | None = None
                if hit is not None:
                    doc, known = hit
                elif crawl.fetcher is None:
                    # all answered from the cache so far: nothing to give way to
                    doc = scan_bytes(path, raw)
                else:
                    doc = await _sliced(scan_steps(path, raw))
                docs.append(doc)
                new = links.add(doc.links, known)
                todo, done = links.waits(doc.links, crawl.results, crawl.weight)
                pending.append(todo)
                for u in todo:
                    waiting[u].append(i)
                if not todo:
                    audit_later(i)
                progress.grow(len(doc.links))
                progress.advance(done)
                crawl.add(new)
                # scan no further ahead than the crawl needs to keep every host busy:
                # a scanned document holds its cells until it is audited
                while crawl.pending > ahead:
                    await asyncio.sleep(0.02)
            outcome = await crawl.finish()
            # every document has its audit by now: each URL it waited for was resolved
            found = [(await audits[i]).findings for i in range(len(docs))]
            await asyncio.sleep(0)  # the done-callbacks of the last audits
            return docs, outcome, found
        finally:
            await crawl.aclose()
            for fut in audits.values():
                fut.cancel()

    try:
        docs, outcome, found = run_async(main())
    finally:
        progress.close()
    checked = _checked(docs, links, outcome, started)
    return dataclasses.replace(checked, audited=tuple(tuple(f) for f in found))


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
