"""The crawl: every unique fetch URL resolved once, each host at its own bound.

:class:`Links` keeps every link seen and the unique fetchable refs among them;
:class:`Crawl` resolves those refs while more are being found: a fresh resolution
from the cache answers at once, the others wait in their host's queue
(:class:`HostQueue`, its own workers) or, for lore message links, in a batch search
(:class:`Search`; a legacy patchwork id first asks where it redirects, :class:`Legacy`).
Whoever waits for a ref hears of it through ``Crawl.on_resolved``; the scan stage
waits for room with :meth:`Crawl.room`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from patchcrawl import code_fingerprint
from patchcrawl.models import Link, LinkStatus, Ref, Resolution, Response
from patchcrawl.progress import ProgressLike
from patchcrawl.refs import classify
from patchcrawl.settings import Settings

if TYPE_CHECKING:
    from patchcrawl.sources.lore_search import Candidate

#: the host of lore's searches (``patchcrawl.sources.lore.LORE_HOST``, not imported:
#: a run the cache answers imports no parser)
LORE_HOST = "lore.kernel.org"


def static_resolution(ref: Ref, settings: Settings, network: bool) -> Resolution | None:
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


def resolution_prefix(settings: Settings) -> str:
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
KEEP = frozenset({"ok", "moved", "dead", "blocked", "paywalled"})


class Links:
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
            res = static_resolution(ref, self.settings, self.network)
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


class Search(NamedTuple):
    """One lore search for the message links of ``refs`` (:mod:`patchcrawl.sources.lore_search`)."""

    inbox: str
    refs: tuple[Ref, ...]


class Legacy(NamedTuple):
    """A legacy patchwork link (``lore.kernel.org/patchwork/cover/N``), to be asked
    where it redirects before its message joins a search."""

    ref: Ref


class HostQueue:
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
        self.jobs: deque[Ref | Search | Legacy] = deque()
        self.limit = limit
        self.workers = 0

    def wants_worker(self) -> bool:
        return self.workers < self.limit and self.workers < len(self.jobs)


class Crawl:
    """Resolves the unique refs handed to :meth:`add` while more are being found.

    A resolution cached by an earlier run answers when it is fresh (every page it
    was read from was fetched within ``--max-age``; any age with ``--offline``): a
    warm run neither reads nor parses pages, and opens no connection (the HTTP
    stack is not even imported until the first ref the cache cannot answer).
    The others wait in their host's queue (:class:`HostQueue`).
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
        self.prefix = resolution_prefix(settings)
        self.hosts: dict[str, HostQueue] = {}
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
        self._fewer = asyncio.Event()  # set whenever a ref is resolved: see room()
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
            self._push(LORE_HOST, Legacy(ref))
        else:
            self._push(ref.host or "", ref)

    def _wait(self, inbox: str, ref: Ref) -> None:
        """``ref`` joins the next search of ``inbox``, which is queued once it is full."""
        waiting = self.batches.setdefault(inbox, [])
        waiting.append(ref)
        if len(waiting) >= self.settings.batch_size:
            self._flush(inbox)

    def _push(self, name: str, job: Ref | Search | Legacy) -> None:
        """Queue ``job`` for host ``name``, with a new worker when the host may have one."""
        host = self.hosts.get(name)
        if host is None:
            conc = self.settings.host_policy(name)[0]
            host = self.hosts[name] = HostQueue(name, 2 * max(1, conc))
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
                self._push(LORE_HOST, Search(name, tuple(r for m in ids for r in by_id[m])))

    async def _work(self, host: HostQueue) -> None:
        """Resolve ``host``'s refs until its queue is empty."""
        try:
            while True:
                if not host.jobs and host.name == LORE_HOST and self.batches:
                    self._flush()  # about to idle: search for what waits
                if not host.jobs:
                    break
                job = host.jobs.popleft()
                if isinstance(job, Search):
                    await self._search(job)
                elif isinstance(job, Legacy):
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
        hop = self._dated(await self.fetcher.hop(ref.fetch_url))
        found = legacy_target(ref, hop)
        if found is None:
            self._queue(ref, batch=False)
            return
        msgid, target = found
        self.unmasked[ref.fetch_url] = (ref, target)
        self._wait("all", dataclasses.replace(ref, msgid=msgid))

    async def _search(self, job: Search) -> None:
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
        if self.cache is not None and res.status in KEEP and not fetcher.network_down:
            # dated by the oldest page read so far, which includes every page it was
            # read from: never fresher than its pages
            self.cache.queue_resolution(self.prefix + ref.fetch_url, res, self.oldest)
        self.pending -= 1
        self._fewer.set()
        self.progress.advance(self.weight.pop(ref.fetch_url, 0))
        self.progress.update(fetcher.stats, self.hits)
        self.on_resolved(ref.fetch_url)

    async def room(self, most: int) -> None:
        """Return once at most ``most`` refs are queued or being resolved: the bound
        that holds the scan stage back (a scanned document holds its cells until it is
        audited, which is when every ref it links is resolved)."""
        while self.pending > most:
            self._fewer.clear()
            await self._fewer.wait()

    def _start(self) -> None:
        from patchcrawl.fetch import Fetcher
        from patchcrawl.sources import Resolver

        fetcher = Fetcher(self.settings, cache=self.cache)
        fetcher.enter()  # nothing to await: the HTTP client is made on the first request
        self.stack.push_async_callback(fetcher.aclose)
        self.fetcher = fetcher

        async def get(url: str) -> Response:
            return self._dated(await fetcher.get(url))

        self.resolver = Resolver(get, self.settings)
        from patchcrawl.sources.lore_search import inbox_of

        self._inbox_of = inbox_of

    def _dated(self, resp: Response) -> Response:
        """``resp``, its fetch time noted in ``oldest``: a resolution is never dated
        fresher than the pages (or the legacy redirect) it was read from."""
        if resp.fetched_at:
            self.oldest = min(self.oldest, resp.fetched_at)
        return resp

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
