"""What the layers of one :class:`~patchcrawl.fetch.Fetcher` share: its settings, its
counters, its event hook and whether the network is down.

Each layer (cache policy, redirects, retries, the wire) owns its own concern's state;
this is the little they all read or add to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from patchcrawl.models import FetchErrorKind, Hop, Response
from patchcrawl.settings import Settings


@dataclass
class FetchStats:
    """Counters for the summary and the progress bar."""

    requests: int = 0  # requests sent on the wire (every hop and retry)
    from_cache: int = 0  # gets answered from the cache (fresh, offline or revalidated)
    revalidated: int = 0  # stale entries confirmed by a 304
    retries: int = 0
    bytes: int = 0  # bytes received on the wire (bodies, before decoding)
    errors: int = 0  # error answers made (a stale page may have stood in for some)
    host_wait: dict[str, float] = field(default_factory=dict)  # seconds waited per host
    waiting: dict[str, int] = field(default_factory=dict)  # requests waiting now, per host


#: a request left (``request``) or was answered (``response``, ``status`` or ``error``
#: set), one is retried, a get was answered from the cache, the network was declared down
FetchEventKind = Literal["request", "response", "retry", "cache", "network-down"]


@dataclass(frozen=True, slots=True)
class FetchEvent:
    kind: FetchEventKind
    url: str
    host: str
    status: int | None = None
    error: FetchErrorKind | None = None


EventHook = Callable[[FetchEvent], None]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@dataclass(slots=True)
class FetchState:
    settings: Settings
    stats: FetchStats
    on_event: EventHook | None = None
    # declared by the retry layer (retry.py) on evidence from many hosts; read by all
    network_down: bool = False

    def emit(
        self,
        kind: FetchEventKind,
        url: str,
        status: int | None = None,
        error: FetchErrorKind | None = None,
    ) -> None:
        if self.on_event is not None:
            self.on_event(FetchEvent(kind, url, host_of(url), status, error))

    def fail(
        self,
        url: str,
        error: FetchErrorKind,
        detail: str | None = None,
        *,
        final_url: str | None = None,
        status: int | None = None,
        redirects: tuple[Hop, ...] = (),
        attempts: int = 1,
    ) -> Response:
        """The answer of a get that went wrong (counted in ``stats.errors``)."""
        self.stats.errors += 1
        return Response(
            url=url,
            final_url=url if final_url is None else final_url,
            status=status,
            headers=(),
            body=b"",
            redirects=redirects,
            error=error,
            detail=detail,
            fetched_at=time.time(),
            attempts=attempts,
        )
