"""The persistent response cache (diskcache, one SQLite file plus value files).

Key: the normalised *original* URL, plus a discriminator when request headers
that change the answer (Accept, Accept-Language) were sent.  Value: a plain
tuple (status, headers, final URL, hop chain, fetch time, zlib-compressed body)
so that renaming a class never invalidates a cache on disk.

Only answers worth keeping are stored: 2xx, 3xx, 4xx except 429, i.e. 200s,
redirects and 404/410.  Timeouts, connection errors, 5xx and 429 are transient
and never cached, so one bad minute never turns into a week of "dead" links.

diskcache is process-safe (SQLite with WAL), so two patchcrawl runs sharing a
cache dir stay correct.  A corrupt cache (not a database, a truncated file) is
reported once on stderr, moved aside and rebuilt; it never crashes a run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import operator
import os
import pickle
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import diskcache

from patchcrawl.models import Hop, Metadata, Resolution, Response

_FORMAT = 1
_DB_NAME = "cache.db"
# Request headers whose value changes the answer (they go into the cache key).
VARY_HEADERS = ("accept", "accept-language")
T = TypeVar("T")


# a crawl asks for the same URL's key 4-5 times, within the few requests of one link:
# a short memory is enough (65,536 entries held 12 MB at 50,000 links for nothing)
@functools.lru_cache(maxsize=4096)
def normalize_url(url: str) -> str:
    """Lowercase scheme and host, drop the default port and the fragment, ``/`` for an empty path.

    Percent-encoding and the query are kept as written: lore message-ids are
    case-sensitive and ``%2F`` is not ``/``.
    """
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += ":" + parts.password
        host = f"{userinfo}@{host}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def cache_key(url: str, headers: Mapping[str, str] | None = None) -> str:
    key = normalize_url(url)
    if headers:
        low = {k.lower(): v for k, v in headers.items()}
        vary = [f"{h}={low[h]}" for h in VARY_HEADERS if h in low]
        if vary:
            key += "\n" + "\n".join(vary)
    return key


# the keys of answers whose redirect was not followed (``Fetcher.hop``)
_HOP = "hop\n"


def _same(url: str) -> str:
    return url


# what unpickling a damaged value raises (diskcache unpickles what it reads)
_DAMAGED_VALUE = (
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
    TypeError,
    ValueError,
    zlib.error,
)


def _corruption(exc: BaseException) -> bool:
    """Is ``exc`` a damaged database (set it aside and rebuild), rather than one this
    run may not write (read-only, full disk, permissions: leave it alone)?"""
    if isinstance(exc, OSError | sqlite3.OperationalError):
        return False  # read-only, full, locked, permissions, an unknown table layout
    return isinstance(exc, sqlite3.DatabaseError)  # malformed, not a database


def _untrusted(directory: Path) -> str | None:
    """Why the cache in ``directory`` must not be read (None when it may): owned by
    another user, or writable by others (what diskcache reads back is unpickled)."""
    for path in (directory, directory / _DB_NAME):
        try:
            st = path.stat()
        except OSError:
            continue
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return "owned by another user"
        if st.st_mode & 0o002:
            return "writable by others"
        # group-writable is fine for the user's own group (a umask of 002 gives that)
        if st.st_mode & 0o020 and hasattr(os, "getgid") and st.st_gid != os.getgid():
            return "writable by others (its group)"
    return None


def cacheable(resp: Response) -> bool:
    """Worth keeping: a real answer that is not transient (no 5xx, no 429, no error)."""
    return (
        resp.error is None and resp.status is not None and resp.status < 500 and resp.status != 429
    )


def _encode(resp: Response) -> tuple[Any, ...]:
    hops = tuple((h.url, h.status, h.location, h.permanent) for h in resp.redirects)
    return (
        _FORMAT,
        resp.status,
        resp.headers,
        resp.final_url,
        hops,
        resp.fetched_at,
        zlib.compress(resp.body, 1),  # fast: pages shrink 4-6x at level 1 already
    )


def _decode(url: str, value: Any) -> Response | None:
    if not isinstance(value, tuple) or len(value) != 7 or value[0] != _FORMAT:
        return None
    _, status, headers, final_url, hops, fetched_at, body = value
    return Response(
        url=url,
        final_url=final_url,
        status=status,
        headers=tuple((str(k), str(v)) for k, v in headers),
        body=zlib.decompress(body),
        redirects=tuple(Hop(*h) for h in hops),
        from_cache=True,
        fetched_at=fetched_at,
        attempts=0,
    )


# what a URL resolved to (status, metadata), keyed by the fingerprint of patchcrawl's
# code and the settings that shape a resolution (``pipeline._resolution_prefix``): a warm
# run reads these instead of re-parsing pages
_RESOLUTION_PREFIX = "resolution\0"
# diskcache's table: string keys are stored as they are (``raw``), values by ``mode``
_BULK_SELECT = "SELECT key, mode, filename, value FROM Cache WHERE raw = 1 AND key IN ({})"
_DOCUMENT_PREFIX = "document\0"
# pages written in one transaction: when this many wait, or when a page arrives this
# many seconds after the last write (and on close, and before any other operation)
FLUSH_ENTRIES = 128
FLUSH_SECONDS = 1.0


# Resolutions are stored as plain tuples: unpickling the dataclasses themselves
# (``__setstate__`` walks ``fields()``) cost ~18 us each, a fifth of a warm run of
# 5,000 links; a tuple and a positional constructor cost a fraction of that. The
# key holds the code fingerprint, so a change of these fields never reads old ones.
_RES_FIELDS = tuple(f.name for f in dataclasses.fields(Resolution))
_META_FIELDS = tuple(f.name for f in dataclasses.fields(Metadata))
_META_AT = _RES_FIELDS.index("metadata")
_FROM_CACHE_AT = _RES_FIELDS.index("from_cache")


_RES_VALUES = operator.attrgetter(*_RES_FIELDS)  # every field at once, in C
_META_VALUES = operator.attrgetter(*_META_FIELDS)


def _encode_resolution(res: Resolution) -> tuple[Any, ...]:
    values = list(_RES_VALUES(res))
    meta = res.metadata
    values[_META_AT] = None if meta is None else _META_VALUES(meta)
    return tuple(values)


def _decode_resolution(value: Any, from_cache: bool) -> Resolution:
    if not isinstance(value, tuple) or len(value) != len(_RES_FIELDS):
        raise ValueError("not a stored resolution")
    values = list(value)
    meta = values[_META_AT]
    if meta is not None:
        if not isinstance(meta, tuple) or len(meta) != len(_META_FIELDS):
            raise ValueError("not stored metadata")
        values[_META_AT] = Metadata(*meta)
    values[_FROM_CACHE_AT] = from_cache or bool(values[_FROM_CACHE_AT])
    return Resolution(*values)


def resolution_digest(resolutions: Iterable[Resolution]) -> str:
    """A hash of everything ``resolutions`` say but where the answers came from
    (``from_cache``): equal digests, equal input to an audit."""
    encoded = []
    for res in resolutions:
        values = _encode_resolution(res)
        encoded.append(values[:_FROM_CACHE_AT] + values[_FROM_CACHE_AT + 1 :])
    # repr, not marshal or pickle: their bytes depend on which equal strings are shared
    return hashlib.blake2b(repr(encoded).encode(), digest_size=16).hexdigest()


def _stored_resolution(value: Any, from_cache: bool) -> tuple[float, Resolution] | None:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], float):
        try:
            return value[0], _decode_resolution(value[1], from_cache)
        except (TypeError, ValueError):
            return None
    return None


def _bulk_read(cache: diskcache.Cache, keys: Sequence[str], found: dict[str, Any]) -> bool:
    """Add the stored resolutions of ``keys`` to ``found`` (those it lacks), one query per
    500 keys; False when diskcache keeps its table otherwise."""
    for i in range(0, len(keys), 500):
        chunk = [_RESOLUTION_PREFIX + k for k in keys[i : i + 500]]
        query = _BULK_SELECT.format(",".join("?" * len(chunk)))
        try:
            rows = cache._sql(query, chunk).fetchall()
        except sqlite3.OperationalError:
            return False  # diskcache keeps its table otherwise: not damage
        for key, mode, filename, value in rows:
            found.setdefault(
                key[len(_RESOLUTION_PREFIX) :],
                cache.disk.fetch(mode, filename, value, False),
            )
    return True


class ResponseCache:
    """Responses by original URL, on disk in ``directory`` (created when missing)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        # CONTRACT.md: answers are kept under the URL as sent on the wire (after
        # --remap), so a run with other rules, or none, never takes another's answers;
        # the fetcher sets this to its remap rules' rewrite
        self.wire: Callable[[str], str] = _same
        self._reported = False
        self._rebuilt = False
        self._cache: diskcache.Cache | None = self._open()
        # writes wait here (read back by ``get``) and go to disk together, in one
        # transaction: a commit per page costs ~0.1 ms of CPU, a third of a write
        self._pending: dict[str, tuple[Any, ...]] = {}
        self._flushed_at = time.monotonic()
        # opened empty (a first run): no page is on disk but those written since, so
        # a look-up of any other key needs no query (a cold crawl makes one per page)
        self._written: set[str] | None = self._fresh_start()

    def _fresh_start(self) -> set[str] | None:
        return set() if self._cache is not None and len(self._cache) == 0 else None

    # -------------------------------------------------------------- opening, repair

    def _open(self) -> diskcache.Cache | None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._report(f"cannot create cache dir {self.directory}: {exc}; caching disabled")
            return None
        distrust = _untrusted(self.directory)
        if distrust:
            # its values are unpickled: a cache others can write is code they can run
            self._report(f"cache {self.directory} is {distrust}: not used")
            return None
        for attempt in range(2):
            try:
                # no eviction bookkeeping and no culling on each write (``cache
                # prune`` removes old entries): fewer SQL statements per get and set;
                # and a small SQLite page cache, no memory map: a crawl reads each
                # entry about once, and diskcache's defaults (32 MB of cached pages,
                # a 64 MB map) grow the memory of a large run for nothing
                cache = diskcache.Cache(
                    str(self.directory),
                    eviction_policy="none",
                    cull_limit=0,
                    sqlite_cache_size=1024,
                    sqlite_mmap_size=0,
                )
                len(cache)  # touches the database: a corrupt file fails here
                return cache
            except (sqlite3.DatabaseError, OSError, ValueError) as exc:
                if attempt or not _corruption(exc):
                    # read-only, full, another user's: used by nobody this run, kept whole
                    self._report(f"cache {self.directory} unusable ({exc}); caching disabled")
                    return None
                self._report(f"cache {self.directory} is corrupt ({exc}); rebuilding it")
                self._move_aside()
        return None

    def _report(self, message: str) -> None:
        if not self._reported:
            self._reported = True
            sys.stderr.write(f"patchcrawl: {message}\n")
            sys.stderr.flush()

    def _move_aside(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for name in (_DB_NAME, _DB_NAME + "-wal", _DB_NAME + "-shm"):
            src = self.directory / name
            if src.exists():
                with contextlib.suppress(OSError):
                    src.replace(self.directory / f"{name}.corrupt-{stamp}-{os.getpid()}")

    def _rebuild(self, exc: BaseException) -> None:
        if self._cache is not None:
            with contextlib.suppress(Exception):
                self._cache.close()
        self._cache = None
        if self._rebuilt:
            self._report(f"cache {self.directory} failed again ({exc}); caching disabled")
            return
        self._rebuilt = True
        self._report(f"cache {self.directory} is corrupt ({exc}); rebuilding it")
        self._move_aside()
        self._cache = self._open()
        self._written = self._fresh_start()

    def _safe(self, op: Callable[[diskcache.Cache], T], default: T) -> T:
        """``op`` on the cache; what goes wrong costs the cache, never the run: a damaged
        database is set aside and rebuilt once, one that cannot be written (read-only,
        full disk) is left as it is and not used again this run, a damaged value is a
        miss."""
        for _ in range(2):
            cache = self._cache
            if cache is None:
                return default
            try:
                return op(cache)
            except (sqlite3.DatabaseError, OSError) as exc:
                if not _corruption(exc):
                    self._bypass(exc)
                    return default
                self._rebuild(exc)
            except _DAMAGED_VALUE:
                return default
        return default

    def _bypass(self, exc: BaseException) -> None:
        if self._cache is not None:
            with contextlib.suppress(Exception):
                self._cache.close()
        self._cache = None
        self._pending.clear()
        self._report(f"cache {self.directory} cannot be used ({exc}); continuing without it")

    # -------------------------------------------------------------- the API

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response | None:
        """The stored answer for ``url`` (any age), ``from_cache=True``; None on a miss."""
        return self._get(cache_key(self.wire(url), headers), url)

    def get_hop(self, url: str) -> Response | None:
        """The first answer of ``url``, redirect not followed (:meth:`put_hop`)."""
        return self._get(_HOP + cache_key(self.wire(url)), url)

    def put_hop(self, resp: Response) -> bool:
        """Keep the first answer of ``resp.url`` with its redirect not followed
        (``Fetcher.hop``), apart from the answer a redirect-following GET keeps."""
        return self._put(_HOP + cache_key(self.wire(resp.url)), resp)

    def _get(self, key: str, url: str) -> Response | None:
        value = self._pending.get(key)
        if value is None:
            if self._written is not None and key not in self._written:
                return None
            value = self._safe(lambda c: c.get(key), None)
        if value is None:
            return None
        try:
            return _decode(url, value)
        except (zlib.error, TypeError, ValueError):
            self._safe(lambda c: c.delete(key), False)
            return None

    def put(self, resp: Response, headers: Mapping[str, str] | None = None) -> bool:
        """Store ``resp`` under the URL it was sent to when it is worth keeping."""
        return self._put(cache_key(self.wire(resp.url), headers), resp)

    def _put(self, key: str, resp: Response) -> bool:
        if not cacheable(resp) or self._cache is None:
            return False
        self._queue(key, _encode(resp))
        return True

    def _queue(self, key: str, value: tuple[Any, ...]) -> None:
        self._pending[key] = value
        if len(self._pending) >= FLUSH_ENTRIES or (
            time.monotonic() - self._flushed_at >= FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        """Write the waiting entries in one transaction (``close`` does this too)."""
        self._flushed_at = time.monotonic()
        if not self._pending:
            return
        pending, self._pending = self._pending, {}

        def write(c: diskcache.Cache) -> bool:
            with c.transact():
                for key, value in pending.items():
                    c.set(key, value)
            return True

        self._safe(write, False)
        if self._written is not None:
            self._written.update(pending)

    # ------------------------------------------------ resolutions (the warm path)

    def get_resolution(
        self, key: str, *, from_cache: bool = False
    ) -> tuple[float, Resolution] | None:
        """A stored resolution and the fetch time of the oldest page it was read from."""
        full = _RESOLUTION_PREFIX + key
        value = self._pending.get(full)
        if value is None:
            value = self._safe(lambda c: c.get(full), None)
        return _stored_resolution(value, from_cache)

    def get_resolutions(
        self, keys: Sequence[str], *, from_cache: bool = False
    ) -> dict[str, tuple[float, Resolution]]:
        """:meth:`get_resolution` of each of ``keys`` (the ones stored), read with one
        query per 500 keys instead of one per key: a warm run reads thousands. Should
        diskcache keep its table otherwise, one look-up per key, as before."""
        if self._cache is None:
            return {}
        found: dict[str, Any] = {}
        if self._pending:  # queued by this run, not written yet
            for k in keys:
                if (value := self._pending.get(_RESOLUTION_PREFIX + k)) is not None:
                    found[k] = value
        if not self._safe(functools.partial(_bulk_read, keys=keys, found=found), False):
            # another table layout, or a damaged value among them: one look-up per key
            return {k: got for k in keys if (got := self.get_resolution(k, from_cache=from_cache))}
        out: dict[str, tuple[float, Resolution]] = {}
        for key, value in found.items():
            got = _stored_resolution(value, from_cache)
            if got is not None:
                out[key] = got
        return out

    def queue_resolution(self, key: str, res: Resolution, stamp: float) -> None:
        """Store ``res`` under ``key``, dated ``stamp``, with the next batch of pages
        (a crawl stores each resolution as it is made: none is left to write at its end)."""
        if self._cache is not None:
            self._queue(_RESOLUTION_PREFIX + key, (stamp, _encode_resolution(res)))

    # ------------------------------------- audited documents (the warm path of verify)

    def get_document(self, key: str) -> tuple[str, str, bytes] | None:
        """(content hash, resolutions digest, payload) stored under ``key`` by
        :meth:`put_document` (any age); None on a miss."""
        full = _DOCUMENT_PREFIX + key
        value = self._pending.get(full)
        if value is None:
            value = self._safe(lambda c: c.get(full), None)
        if (
            isinstance(value, tuple)
            and len(value) == 4
            and isinstance(value[0], float)
            and isinstance(value[1], str)
            and isinstance(value[2], str)
            and isinstance(value[3], bytes)
        ):
            return value[1], value[2], value[3]
        return None

    def put_document(self, key: str, content: str, digest: str, payload: bytes) -> None:
        """Keep ``payload`` (an audited document) for the file whose bytes hash to
        ``content``, audited against resolutions whose digest is ``digest``; it
        replaces what ``key`` held (one entry per file and settings, not per version)."""
        if self._cache is not None:
            self._queue(_DOCUMENT_PREFIX + key, (time.time(), content, digest, payload))

    def touch(self, url: str, headers: Mapping[str, str] | None, fetched_at: float) -> None:
        """A 304 confirmed the entry: make it fresh again."""
        self.flush()
        key = cache_key(self.wire(url), headers)
        value = self._safe(lambda c: c.get(key), None)
        if isinstance(value, tuple) and len(value) == 7:
            fresh = (*value[:5], fetched_at, value[6])
            self._safe(lambda c: c.set(key, fresh), False)

    def delete(self, url: str, headers: Mapping[str, str] | None = None) -> bool:
        self.flush()
        key = cache_key(self.wire(url), headers)
        return bool(self._safe(lambda c: c.delete(key), False))

    def __len__(self) -> int:
        self.flush()
        return self._safe(lambda c: len(c), 0)

    def items(self) -> Iterator[tuple[str, float]]:
        """(key, fetched_at) of every entry."""
        self.flush()
        cache = self._cache
        if cache is None:
            return
        try:
            for key in list(cache.iterkeys()):
                value = cache.get(key)
                if isinstance(value, tuple) and len(value) == 7:
                    yield key, float(value[5])
                elif isinstance(value, tuple) and len(value) in (2, 4):
                    yield key, float(value[0])  # a resolution, an audited document
                elif value is not None:
                    yield key, 0.0
        except (sqlite3.DatabaseError, OSError) as exc:
            self._rebuild(exc)

    def close(self) -> None:
        self.flush()
        if self._cache is not None:
            with contextlib.suppress(Exception):
                self._cache.close()
            self._cache = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ CLI helpers


def _disk_bytes(directory: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


def cache_stats(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """``{"directory", "entries", "bytes", "oldest", "newest", "kinds"}`` (times: epoch
    seconds or None; ``kinds``: entries that are pages, resolutions, audited documents)."""
    path = Path(directory)
    kinds = {"pages": 0, "resolutions": 0, "documents": 0}
    out: dict[str, Any] = {
        "directory": str(path),
        "entries": 0,
        "bytes": 0,
        "oldest": None,
        "newest": None,
        "kinds": kinds,
    }
    if not (path / _DB_NAME).exists():
        out["bytes"] = _disk_bytes(path) if path.exists() else 0
        return out
    with ResponseCache(path) as cache:
        times = []
        for key, t in cache.items():
            times.append(t)
            if key.startswith(_RESOLUTION_PREFIX):
                kinds["resolutions"] += 1
            elif key.startswith(_DOCUMENT_PREFIX):
                kinds["documents"] += 1
            else:
                kinds["pages"] += 1
        out["entries"] = len(times)
        if times:
            out["oldest"] = min(times)
            out["newest"] = max(times)
    out["bytes"] = _disk_bytes(path)
    return out


def remove_set_aside(directory: Path) -> int:
    """Delete the files a damaged cache was set aside as (``*.corrupt-*``): ``prune``
    and ``clear`` free them; return how many."""
    removed = 0
    for leftover in directory.glob(f"{_DB_NAME}*.corrupt-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed += 1
    return removed


def cache_prune(directory: str | os.PathLike[str], max_age: float) -> int:
    """Remove entries fetched more than ``max_age`` seconds ago (and what a damaged
    cache left set aside); return how many entries."""
    path = Path(directory)
    if path.is_dir():
        remove_set_aside(path)
    if not (path / _DB_NAME).exists():
        return 0
    cutoff = time.time() - max_age
    removed = 0
    with ResponseCache(path) as cache:
        old = [key for key, t in cache.items() if t < cutoff]
        c = cache._cache
        if c is None:
            return 0
        for key in old:
            if c.delete(key):
                removed += 1
    return removed


def cache_clear(directory: str | os.PathLike[str]) -> int:
    """Remove every entry (and what a damaged cache left set aside); return how many
    entries there were."""
    path = Path(directory)
    if path.is_dir():
        remove_set_aside(path)
    if not (path / _DB_NAME).exists():
        return 0
    with ResponseCache(path) as cache:
        c = cache._cache
        if c is None:
            return 0
        return int(c.clear())
