"""Wiring: documents -> refs -> fetch -> sources -> audit -> report.

Each stage lives in its own module; this one only moves data between them,
de-duplicates work (one request per normalised URL across all files and rows)
and decides the outcome of a run (exit codes of CONTRACT.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import time
from collections import Counter, defaultdict, deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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
    Summary,
)
from patchcrawl.progress import ProgressLike
from patchcrawl.refs import classify
from patchcrawl.settings import Settings

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


def _interleave_by_host(refs: Sequence[Ref]) -> list[Ref]:
    """Round-robin the work queue across hosts so that one slow or strictly
    rate-limited host never starves the workers that could serve the others."""
    by_host: dict[str, deque[Ref]] = defaultdict(deque)
    for ref in refs:
        by_host[ref.host or ""].append(ref)
    queues = deque(by_host.values())
    out: list[Ref] = []
    while queues:
        q = queues.popleft()
        out.append(q.popleft())
        if q:
            queues.append(q)
    return out


def resolution_key(fetch_url: str, settings: Settings) -> str:
    """Where a resolution is cached: the URL, the fingerprint of patchcrawl's code
    (parsers change, released or not) and the settings that shape a resolution
    (accepted statuses, canonical style)."""
    return _resolution_prefix(settings) + fetch_url


def _resolution_prefix(settings: Settings) -> str:
    accept = ",".join(sorted(str(a) for a in settings.accept))
    return f"{code_fingerprint()}\0{settings.canonical_style}\0{accept}\0"


# statuses worth remembering: what a later run would find again; never the ones a
# retry could change (timeouts and 5xx) or that say nothing (offline misses)
_KEEP = frozenset({"ok", "moved", "dead", "blocked", "paywalled"})


async def _resolve_unique(
    refs: Sequence[Ref],
    settings: Settings,
    progress: ProgressLike,
) -> tuple[dict[str, Resolution], int, int, bool]:
    """Resolve each unique fetchable ref once. Returns (fetch_url -> Resolution,
    requests, from_cache, network_down).

    A resolution cached by an earlier run answers when it is fresh (every page it was
    read from was fetched within ``--max-age``; any age with ``--offline``): a warm run
    neither reads nor parses pages, and opens no connection.
    """
    from patchcrawl.fetch.cache import ResponseCache

    results: dict[str, Resolution] = {}
    cache = ResponseCache(settings.cache_dir) if settings.cache_dir else None
    try:
        todo: list[Ref] = []
        now = time.time()
        prefix = _resolution_prefix(settings)
        for ref in refs:
            assert ref.fetch_url is not None
            got = cache.get_resolution(prefix + ref.fetch_url) if cache else None
            if got is not None and (settings.offline or now - got[0] < settings.max_age):
                results[ref.fetch_url] = dataclasses.replace(got[1], from_cache=True)
                progress.advance()
            else:
                todo.append(ref)
        hits = len(results)
        if not todo:
            return results, 0, hits, False

        from patchcrawl.fetch import Fetcher
        from patchcrawl.sources import Resolver

        async with Fetcher(settings, cache=cache) as fetcher:
            oldest = now

            async def get(url: str) -> Response:
                nonlocal oldest
                resp = await fetcher.get(url)
                if resp.fetched_at:
                    oldest = min(oldest, resp.fetched_at)
                return resp

            resolver = Resolver(get, settings)
            queue: asyncio.Queue[Ref] = asyncio.Queue()
            for ref in _interleave_by_host(todo):
                queue.put_nowait(ref)
            fresh: dict[str, Resolution] = {}

            async def worker() -> None:
                while True:
                    try:
                        ref = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    assert ref.fetch_url is not None
                    res = await resolver.resolve(ref)
                    results[ref.fetch_url] = fresh[ref.fetch_url] = res
                    progress.advance()
                    progress.update(fetcher.stats)

            n_workers = max(1, min(len(todo), settings.max_concurrency * 2))
            await asyncio.gather(*(worker() for _ in range(n_workers)))
            stats = fetcher.stats
            if cache is not None and not fetcher.network_down:
                keep = {prefix + url: res for url, res in fresh.items() if res.status in _KEEP}
                # dated by the oldest page read this run: never fresher than its pages
                cache.put_resolutions(keep, oldest)
            return results, stats.requests, stats.from_cache + hits, fetcher.network_down
    finally:
        if cache is not None:
            cache.close()
        from patchcrawl.fetch.cache import normalize_url

        normalize_url.cache_clear()  # up to 65,536 URLs: not needed after the crawl


def check_documents(
    documents: Sequence[Document],
    settings: Settings,
    *,
    network: bool = True,
) -> Checked:
    """Classify every link, fetch each unique URL once, and map results back to links."""
    from patchcrawl.progress import make_progress

    started = time.monotonic()
    links = _all_links(documents)
    refs: dict[str, Ref] = {}
    for link in links:
        if link.url not in refs:
            refs[link.url] = classify(link.url)

    static: dict[str, Resolution] = {}
    unique: dict[str, Ref] = {}
    for url, ref in refs.items():
        res = _static_resolution(ref, settings, network)
        if res is not None:
            static[url] = res
        elif ref.fetch_url is not None and ref.fetch_url not in unique:
            unique[ref.fetch_url] = ref

    by_fetch: dict[str, Resolution] = {}
    requests = from_cache = 0
    network_down = False
    if network and unique:
        progress = make_progress(len(unique), settings.progress)
        try:
            by_fetch, requests, from_cache, network_down = run_async(
                _resolve_unique(list(unique.values()), settings, progress)
            )
        finally:
            progress.close()

    resolutions: dict[str, Resolution] = {}
    for url, ref in refs.items():
        if url in static:
            resolutions[url] = static[url]
            continue
        assert ref.fetch_url is not None
        res = by_fetch.get(ref.fetch_url)
        if res is None:
            res = Resolution(url=url, status="not-checked")
        elif res.url != url:
            # the same normalised URL written another way: report it as written
            res = Resolution(
                url=url,
                status=res.status,
                http_status=res.http_status,
                final_url=res.final_url,
                redirects=res.redirects,
                from_cache=res.from_cache,
                metadata=res.metadata,
                detail=res.detail,
                canonical_url=res.canonical_url,
            )
        resolutions[url] = res
    return Checked(
        documents=tuple(documents),
        refs=refs,
        resolutions=resolutions,
        requests=requests,
        from_cache=from_cache,
        network_down=network_down,
        seconds=time.monotonic() - started,
    )


def build_report(checked: Checked, findings: Sequence[Finding]) -> Report:
    docs = checked.documents
    links = _all_links(docs)
    results = tuple(LinkResult(link, checked.resolutions[link.url]) for link in links)
    by_status = Counter(r.resolution.status for r in results)
    by_sev: Counter[str] = Counter(f.severity for f in findings)
    unique = {(checked.refs[link.url].fetch_url or link.url) for link in links}
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
    )
    return Report(
        version=__version__,
        generated_at=now_iso(),
        summary=summary,
        links=results,
        findings=tuple(findings),
        documents=docs,
        network_down=checked.network_down,
    )


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
    return build_report(checked, findings)


def audit_findings(checked: Checked, settings: Settings) -> list[Finding]:
    from patchcrawl.audit import audit

    found = scan_findings(checked.documents)
    if not checked.network_down:
        found += audit(checked.documents, checked.resolutions, settings)
    else:
        # keep every static finding; no link is called dead because the network is down
        found += [
            f
            for f in audit(checked.documents, checked.resolutions, settings)
            if f.code in ("malformed-url",)
        ]
    return found


def verify(paths: Sequence[str], settings: Settings) -> tuple[Report, Checked]:
    from patchcrawl.policy import apply_policy

    docs = scan_documents(paths)
    checked = check_documents(docs, settings)
    findings = apply_policy(audit_findings(checked, settings), settings)
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
    unreachable = sum(1 for r in checked.resolutions.values() if r.status == "unreachable")
    if checked.network_down:
        return (
            "patchcrawl: the network is unavailable (no host could be reached); "
            f"{unreachable} references were left unreachable and none was called dead."
        )
    return (
        f"patchcrawl: the check could not be done: {unreachable} of the references were left "
        "unreachable after all retries; none of them was called dead."
    )


async def _rescue(
    documents: Sequence[Document], findings: list[Finding], settings: Settings
) -> list[Finding]:
    from patchcrawl.fetch import Fetcher, ResponseCache
    from patchcrawl.rescue import rescue_dead_links

    cache = ResponseCache(settings.cache_dir) if settings.cache_dir else None
    try:
        async with Fetcher(settings, cache=cache) as fetcher:
            return await rescue_dead_links(documents, findings, fetcher.get, settings)
    finally:
        if cache is not None:
            cache.close()


def enrich(
    paths: Sequence[str],
    settings: Settings,
    *,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    write: bool,
    rescue: bool = True,
) -> tuple[bytes, Checked, list[str]]:
    """Findings with edits -> (unified diff as bytes, checked, written paths)."""
    from patchcrawl import enrich as enrich_mod
    from patchcrawl.policy import apply_policy

    docs = scan_documents(paths)
    checked = check_documents(docs, settings)
    findings = apply_policy(audit_findings(checked, settings), settings)
    rescuable = any(f.code == "dead-link" for f in findings)
    if rescue and rescuable and not checked.network_down and not settings.offline:
        findings = run_async(_rescue(docs, list(findings), settings))
    diff = enrich_mod.build_diff_bytes(docs, findings, select=select, ignore=ignore)
    written: list[str] = []
    if write and diff:
        written = enrich_mod.write(docs, findings, select=select, ignore=ignore)
    return diff, checked, written
