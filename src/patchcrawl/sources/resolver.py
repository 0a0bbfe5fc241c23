"""``Resolver``: one reference -> ``Resolution`` (status, redirects, metadata).

The status rules (CONTRACT.md) are decided here, in this order:

1. not fetchable -> ``malformed`` / ``skipped`` (also URLs the settings exclude);
2. ``Response.error`` -> ``not-checked`` for ``offline-miss``, else ``unreachable``;
3. a bot wall (Anubis, Cloudflare, 401/403) -> ``blocked``, never read as content;
4. 404/410 -> ``dead``; 429/5xx -> ``unreachable``; another 4xx -> ``dead``;
5. the site adapter reads the page: a soft 404 (public-inbox "not found",
   patchwork "no such patch", cgit "bad object id") -> ``dead``; LWN's
   "Subscription required" -> ``paywalled``; else ``ok``;
6. an ``ok`` reached through a permanent redirect that does more than add or
   drop a trailing slash or switch http to https -> ``moved`` (temporary
   redirects such as lore's ``/r/<msgid>`` stay ``ok``).  The retired LKML
   patchwork always redirects permanently, so it is ``moved`` with the
   canonical lore URL.

Metadata is read once per message-id however many URLs lead to it, and every
extra page (``/raw``, ``/T/``, the cover letter, patchwork's API) is fetched at
most once per resolver.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from patchcrawl.models import LinkStatus, Metadata, Ref, Resolution, Response
from patchcrawl.settings import Settings
from patchcrawl.sources import cgit, challenge, generic, lkmlorg, lore, lwn, patchwork
from patchcrawl.sources._common import subject_info
from patchcrawl.sources._site import Outcome, PageRule

Getter = Callable[[str], Awaitable[Response]]


def _same_place(a: str, b: str) -> bool:
    """Only a trailing slash or http->https apart (host case and default ports ignored)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (
        (pa.hostname or "") == (pb.hostname or "")
        and pa.path.rstrip("/") == pb.path.rstrip("/")
        and pa.query == pb.query
        and {pa.scheme, pb.scheme} <= {"http", "https"}
    )


# CONTRACT.md: nothing is sent for a skipped link, and a refused private address is
# skipped (the guard said no), never unreachable: it never counts toward exit 3
_ERROR_STATUS: dict[str, LinkStatus] = {
    "offline-miss": "not-checked",
    "refused-private": "skipped",
}


def _why(exc: Exception) -> str:
    """One line for a parser's failure: the exception's kind and the start of its text."""
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def moved_by(resp: Response) -> bool:
    """Did a permanent redirect that is more than a slash or a scheme change lead here?"""
    return any(
        hop.permanent and hop.location is not None and not _same_place(hop.url, hop.location)
        for hop in resp.redirects
    )


#: The sites whose page, fetched once, says all (lore and patchwork go on to other pages:
#: the raw mail, the thread, the cover letter, the API; their reading is below).
PAGES: tuple[PageRule, ...] = (*lwn.PAGES, *cgit.PAGES, *lkmlorg.PAGES)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Resolver:
    """Resolve references through ``get`` (the Fetcher's bound ``get``).

    One resolver serves one run on one event loop: it remembers every page it
    fetched and every message it read, so concurrent ``resolve`` calls share
    them.
    """

    def __init__(self, get: Getter, settings: Settings | None = None) -> None:
        self._get = get
        self.settings = settings or Settings()
        self._pages: dict[str, asyncio.Future[Response]] = {}
        self._messages: dict[str, asyncio.Future[Metadata | None]] = {}
        self.reads: Counter[str] = Counter()  # metadata reads per message-id (for tests)

    # ------------------------------------------------------------ fetching

    async def fetch(self, url: str) -> Response:
        """GET ``url`` once per resolver; concurrent callers share the one request."""
        fut = self._pages.get(url)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._pages[url] = fut
            try:
                resp = await self._get(url)
            except Exception as exc:  # the getter should never raise; be safe anyway
                resp = Response(url, url, None, (), b"", error="exception", detail=repr(exc))
            finally:
                if not fut.done() and sys.exc_info()[0] is not None:
                    fut.cancel()  # cancelled: the callers sharing this fetch are too
            fut.set_result(resp)
            # only while on the wire: a page kept for the whole run would hold every
            # body in memory (the fetcher's cache answers a later repeat)
            if self._pages.get(url) is fut:
                del self._pages[url]
            return resp
        return await fut

    # ------------------------------------------------------------ entry point

    async def resolve(self, ref: Ref) -> Resolution:
        early = self._unfetched(ref)
        if early is not None or ref.fetch_url is None:
            return early or Resolution(ref.url, "skipped")  # (_unfetched answers the latter)
        resp = await self.fetch(ref.fetch_url)
        hops = tuple(h.url for h in resp.redirects[1:])
        base: dict[str, Any] = {
            "url": ref.url,
            "http_status": resp.status,
            "final_url": resp.final_url,
            "redirects": hops,
            "from_cache": resp.from_cache,
        }
        early = self._unread(ref, resp, base)
        if early is not None:
            return early
        try:
            out = await self._read(ref, resp)
        except Exception as exc:  # what a page says never ends the run
            # CONTRACT.md: a page no parser can read is that link's problem alone; it
            # answered, so it is alive, and nothing is known of what it says
            return Resolution(status="ok", detail=f"page unreadable: {_why(exc)}", **base)
        if out.final_url and out.final_url != resp.final_url:
            base["redirects"] = (*hops, resp.final_url) if resp.redirects else hops
            base["final_url"] = out.final_url
        if out.status != "ok":
            return Resolution(status=out.status, metadata=out.metadata, detail=out.detail, **base)
        if lore.is_legacy(ref.fetch_url) or moved_by(resp):
            canonical = out.canonical or base["final_url"]
            return Resolution(
                status="moved",
                metadata=out.metadata,
                detail=out.detail or "permanent redirect",
                canonical_url=canonical,
                **base,
            )
        return Resolution(status="ok", metadata=out.metadata, detail=out.detail, **base)

    def _unfetched(self, ref: Ref) -> Resolution | None:
        """Rule 1: a link that is not fetched (malformed, not http(s), excluded)."""
        if ref.kind == "malformed":
            return Resolution(ref.url, "malformed", detail=ref.problem or "malformed URL")
        if ref.fetch_url is None:
            return Resolution(ref.url, "skipped", detail=ref.problem or "not an http(s) URL")
        if any(p.search(ref.url) for p in self.settings.exclude):
            return Resolution(ref.url, "skipped", detail="excluded by configuration")
        return None

    def _unread(self, ref: Ref, resp: Response, base: dict[str, Any]) -> Resolution | None:
        """Rules 2-4: an answer whose page is not read (an error, a bot wall, an HTTP
        status that is no page of the link; a status ``settings.accept`` lists is read)."""
        if resp.error is not None:
            status: LinkStatus = _ERROR_STATUS.get(resp.error, "unreachable")
            return Resolution(status=status, detail=resp.detail or resp.error, **base)
        wall = challenge.detect(resp)
        if wall is not None:
            return Resolution(status="blocked", detail=wall, **base)
        code = resp.status or 0
        if code in self.settings.accept:
            return None
        if code in (404, 410):
            return Resolution(status="dead", detail=self._dead_detail(ref, resp), **base)
        if code == 429 or code >= 500:
            return Resolution(status="unreachable", detail=f"HTTP {code}", **base)
        if 400 <= code < 500:
            return Resolution(status="dead", detail=f"HTTP {code}", **base)
        return None

    def _dead_detail(self, ref: Ref, resp: Response) -> str:
        if resp.redirects:
            return f"HTTP {resp.status} after redirect to {resp.final_url}"
        return f"HTTP {resp.status}"

    # ------------------------------------------------------------ dispatch

    async def _read(self, ref: Ref, resp: Response) -> Outcome:
        host = _host(resp.final_url)
        path = urlsplit(resp.final_url).path
        if host == lore.LORE_HOST and not path.startswith(lore.LEGACY_PREFIX):
            return await self._lore(ref, resp)
        if host in patchwork.PATCHWORK_HOSTS:
            return await self._patchwork(resp)
        for page in PAGES:
            if page.matches(host, path):
                return page.read(resp)
        return Outcome(
            "ok", generic.metadata(resp.body, resp.final_url, resp.header("content-type"))
        )

    # ------------------------------------------------------------ lore

    async def _lore(self, ref: Ref, resp: Response) -> Outcome:
        kind = lore.page_kind(resp.body)
        if kind == "not-found":
            if resp.status == 200:
                return Outcome("dead", None, "soft-404: public-inbox says the message is not found")
            return Outcome("dead", None, f"HTTP {resp.status}: message not found")
        target = resp
        loc = lore.locate(resp.final_url)
        detail = None
        if kind == "choices":
            urls = lore.parse_choices(resp.body, resp.final_url)
            if not urls:
                return Outcome("dead", None, "found-elsewhere page without a usable link")
            ref_loc = lore.locate(ref.url) or loc
            pick = lore.pick_choice(urls, ref.list_name or (ref_loc.list_name if ref_loc else None))
            target = await self.fetch(pick)
            loc = lore.locate(target.final_url)
            detail = f"{resp.status}: found in {len(urls)} place(s); read {pick}"
            if target.error or target.status != 200 or lore.page_kind(target.body) != "message":
                return Outcome("dead", None, f"{detail}, which answered {target.status}", pick)
        elif loc is None or (loc.rest and loc.rest.rstrip("/") not in lore.MESSAGE_VIEWS):
            return Outcome("ok", generic.metadata(resp.body, resp.final_url, "text/html"))
        assert loc is not None
        # a link to the thread (/T/, /t/) or the raw mail still names one message
        page = target if not loc.rest else None
        meta = await self.message(loc.msgid, page)
        if meta is None:
            return Outcome(
                "ok",
                generic.metadata(target.body, target.final_url, "text/html"),
                "message page unreadable",
                target.final_url,
            )
        canonical = lore.canonical_url(
            meta.msgid or loc.msgid, self.settings.canonical_style, loc.list_name
        )
        if meta.source != "lore":  # read from the message's patchwork page
            meta = dataclasses.replace(
                meta, source="lore", canonical_url=lore.canonical_url(meta.msgid or loc.msgid)
            )
        return Outcome("ok", meta, detail, target.final_url, canonical)

    def known(self, msgid: str, meta: Metadata) -> None:
        """What lore's search said of the message ``msgid`` (a mail whose own page says
        all there is to say: :func:`patchcrawl.sources.lore_search.settle`): a patch
        whose cover letter it is reads it here instead of fetching it."""
        if msgid not in self._messages:
            fut = asyncio.get_running_loop().create_future()
            fut.set_result(meta)
            self._messages[msgid] = fut

    async def message(self, msgid: str, page: Response | None = None) -> Metadata | None:
        """Series-aware metadata of one lore message, read once per message-id.

        The memo is shared with patchwork: a message whose patchwork page was read
        first (``_pw_shared``) is not read again on lore, and the other way round.
        Every page it fetches besides *page* (the message, its raw mail, its thread,
        the cover letter) is asked for under ``/all/``, whatever list the link named:
        lore serves every list there, and one address per message-id is what lets the
        cache and the in-flight sharing of the fetcher see that two links need the
        same page, in this run and the next.
        """
        while (fut := self._messages.get(msgid)) is not None:
            meta = await fut
            if meta is not None or self._messages.get(msgid) is fut:
                return meta
            # a patchwork page's reading of it failed and withdrew: read it on lore
        return await self._shared(msgid, lambda: self._read_message(msgid, page))

    async def _shared(
        self, msgid: str, read: Callable[[], Awaitable[Metadata | None]], *, withdraw: bool = False
    ) -> Metadata | None:
        """Run ``read`` as the one reading of ``msgid`` that every caller shares.  With
        ``withdraw``, a reading that finds nothing leaves the memo (a patchwork page
        that could not be read must not hide the message from a lore link)."""
        fut: asyncio.Future[Metadata | None] = asyncio.get_running_loop().create_future()
        self._messages[msgid] = fut
        meta: Metadata | None = None
        try:
            meta = await read()
        finally:  # callers sharing a failed read get "unreadable", not a hang
            if meta is None and withdraw and self._messages.get(msgid) is fut:
                del self._messages[msgid]
            fut.set_result(meta)
        return meta

    def _lore_url(self, list_name: str, msgid: str, rest: str = "") -> str:
        return f"https://{lore.LORE_HOST}/{list_name}/{lore.quote_msgid(msgid)}/{rest}"

    async def _read_message(self, msgid: str, page: Response | None) -> Metadata | None:
        self.reads[msgid] += 1
        if page is None:
            page = await self.fetch(self._lore_url("all", msgid))
            if page.error or page.status != 200:
                return None
        h = lore.parse_message_page(page.body)
        if h is None:
            raw = await self.fetch(self._lore_url("all", msgid, "raw"))
            if raw.error is None and raw.status == 200 and challenge.detect(raw) is None:
                h = lore.parse_raw(raw.body)
        if h is None:
            return None
        meta = lore.metadata(h)
        if (meta.subject or "").lower().startswith("re:"):
            return await self._with_thread_author(meta, h.msgid or msgid)
        if not lore.needs_series(meta):
            return meta
        return await self._with_series(meta, h.msgid or msgid, msgid)

    async def _with_series(self, meta: Metadata, thread_id: str, msgid: str) -> Metadata:
        """A patch of a series, seen through its cover letter (found in the thread of
        ``thread_id``), or titled with patch 1's title when the series has none."""
        thread = await self.fetch(self._lore_url("all", thread_id, "T/"))
        if thread.error or thread.status != 200 or challenge.detect(thread) is not None:
            return meta
        entries = lore.parse_thread(thread.body, thread.final_url)
        cover_id, first_title = lore.find_cover(entries, meta.version, meta.total)
        if cover_id and cover_id != msgid:
            cover = await self.message(cover_id)
            if cover is not None:
                return lore.with_cover(meta, cover)
        if first_title and meta.counter != 1:
            return dataclasses.replace(meta, title=first_title)
        return meta

    async def _with_thread_author(self, meta: Metadata, msgid: str) -> Metadata:
        """A reply, with the author of the message its thread starts with (the patch it
        discusses: a row linking a reviewer's reply still names the patch's author). The
        thread page lists the root first; two more pages at most, each read once."""
        thread = await self.fetch(self._lore_url("all", msgid, "T/"))
        if thread.error or thread.status != 200 or challenge.detect(thread) is not None:
            return meta
        entries = lore.parse_thread(thread.body, thread.final_url)
        root_id = entries[0][0] if entries else None
        if root_id is None or root_id == msgid:
            return meta
        root = await self.message(root_id)
        if root is None or (root.subject or "").lower().startswith("re:"):
            return meta
        return dataclasses.replace(
            meta, thread_author_name=root.author_name, thread_author_email=root.author_email
        )

    # ------------------------------------------------------------ patchwork

    async def _api(self, url: str) -> Any:
        r = await self.fetch(url)
        if r.error or r.status != 200:
            return None
        return patchwork.load_json(r.body)

    async def _patchwork(self, resp: Response) -> Outcome:
        if patchwork.is_soft404(resp.body):
            return Outcome("dead", None, "soft-404: patchwork says no such patch")
        loc = patchwork.locate(resp.final_url)
        if loc is None:
            return Outcome("ok", generic.metadata(resp.body, resp.final_url, "text/html"))
        if loc.item_type == "series" and loc.item_id is not None:
            # a series' list page shows no mail headers: the API is the only source
            s = await self._api(f"https://{loc.host}/api/1.2/series/{loc.item_id}/")
            if isinstance(s, dict):
                return Outcome("ok", patchwork.api_series_metadata(s, canonical=resp.final_url))
            return Outcome("ok", generic.metadata(resp.body, resp.final_url, "text/html"))
        page = patchwork.parse_page(resp.body)
        msgid = page.msgid or loc.msgid
        if msgid and page.has_headers and not subject_info(page.subject or "").is_reply:
            url = resp.final_url
            meta = await self._pw_shared(msgid, lambda: self._read_pw(msgid, page, url))
            if meta is not None:
                return Outcome(
                    "ok", dataclasses.replace(meta, source="patchwork", canonical_url=url)
                )
        return await self._patchwork_api(resp, loc, page)

    async def _pw_shared(
        self, msgid: str, read: Callable[[], Awaitable[Metadata | None]]
    ) -> Metadata | None:
        """The series-aware metadata of a mail patchwork shows, through the per-message-id
        memo lore's links use too: whichever of the mail's lore and patchwork pages is
        read first reads it, the other waits for that reading.  A lore reading that
        found nothing does not stop this page from being read."""
        fut = self._messages.get(msgid)
        if fut is not None:
            meta = await fut
            return meta if meta is not None else await read()
        return await self._shared(msgid, read, withdraw=True)

    async def _read_pw(self, msgid: str, page: patchwork.PatchworkPage, url: str) -> Metadata:
        """A patchwork page's mail as lore's ``_read_message`` reads it: the page's own
        headers (``#patch-headers``: From with the address, Subject, Date), and for a
        patch of a series the cover letter its "Series" row links, read from its own
        patchwork page (or taken from the memo when lore read it).  A series with no
        cover letter titles its patches with patch 1's title, as on lore.  The API is
        asked only when the page does not list the series."""
        self.reads[msgid] += 1
        meta = patchwork.page_metadata(page, canonical=url)
        if not lore.needs_series(meta):
            return meta
        if page.cover_href:
            cover_url = urljoin(url, page.cover_href)
            cover_loc = patchwork.locate(cover_url)
            if cover_loc is not None and cover_loc.msgid:
                cid = cover_loc.msgid
                cover = await self._pw_shared(cid, lambda: self._pw_fetch(cid, cover_url))
                if cover is not None:
                    return lore.with_cover(meta, cover)
        elif page.series_listed:
            title = await self._pw_first_title(page, meta, url)
            if title and meta.counter != 1:
                return dataclasses.replace(meta, title=title)
            return meta
        return await self._pw_series_api(meta, page, url)

    async def _pw_fetch(self, msgid: str, url: str) -> Metadata | None:
        """The metadata of the mail on another patchwork page (a cover letter)."""
        r = await self.fetch(url)
        if r.error or r.status != 200 or challenge.detect(r) is not None:
            return None
        if patchwork.is_soft404(r.body):
            return None
        page = patchwork.parse_page(r.body)
        if not page.has_headers or subject_info(page.subject or "").is_reply:
            return None
        return await self._read_pw(page.msgid or msgid, page, r.final_url)

    async def _pw_first_title(
        self, page: patchwork.PatchworkPage, meta: Metadata, url: str
    ) -> str | None:
        """Patch 1's title, from the series list of the page (patchwork cuts names at
        100 characters: a cut one is read from patch 1's own page)."""
        for name, href in page.members:
            si = subject_info(patchwork.name_to_subject(name))
            if si.counter != 1 or si.total != meta.total or si.version != meta.version:
                continue
            if href is None:
                return meta.title
            if not name.endswith("\u2026"):
                return si.title
            r = await self.fetch(urljoin(url, href))
            if r.error or r.status != 200 or challenge.detect(r) is not None:
                return None
            first = patchwork.parse_page(r.body)
            return subject_info(first.subject).title if first.subject else None
        return None

    async def _pw_series_api(
        self, meta: Metadata, page: patchwork.PatchworkPage, url: str
    ) -> Metadata:
        """A patch seen through its series when the page does not list it: ``/series/N/``."""
        loc = patchwork.locate(url)
        if page.series_id is None or loc is None:
            return meta
        s = await self._api(f"https://{loc.host}/api/1.2/series/{page.series_id}/")
        if not isinstance(s, dict):
            return meta
        return patchwork.merge_series(meta, patchwork.api_series_metadata(s, canonical=None))

    async def _patchwork_api(
        self, resp: Response, loc: patchwork.PatchworkLocation, page: patchwork.PatchworkPage
    ) -> Outcome:
        """A page that does not show the mail's headers (or shows a reply): what it has,
        and the REST API for what it lacks (the version, the address, the series)."""
        api = f"https://{loc.host}/api/1.2"
        meta = patchwork.page_metadata(page, canonical=resp.final_url)
        need_version = not patchwork.version_known(page)
        need_series = lore.needs_series(meta)
        if not (need_version or need_series or meta.author_email is None):
            return Outcome("ok", meta)
        plural = "covers" if loc.item_type == "cover" else "patches"
        item: Any = None
        if loc.item_id is not None:
            item = await self._api(f"{api}/{plural}/{loc.item_id}/")
        elif meta.msgid:
            found = await self._api(f"{api}/{plural}/?msgid={quote(meta.msgid, safe='@')}")
            item = found[0] if isinstance(found, list) and found else None
        if not isinstance(item, dict):
            return Outcome("ok", meta)
        from_api = patchwork.api_item_metadata(item, canonical=resp.final_url)
        meta = dataclasses.replace(
            meta,
            version=from_api.version if need_version else meta.version,
            author_email=meta.author_email or from_api.author_email,
            author_name=meta.author_name or from_api.author_name,
            msgid=meta.msgid or from_api.msgid,
        )
        series_id = patchwork.number(patchwork.first(item.get("series")).get("id"))
        if need_series and series_id is not None:
            s = await self._api(f"{api}/series/{series_id}/")
            if isinstance(s, dict):
                meta = patchwork.merge_series(
                    meta, patchwork.api_series_metadata(s, canonical=None)
                )
        return Outcome("ok", meta)
