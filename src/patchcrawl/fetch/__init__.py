"""Fetching: polite, cached, remapped GETs (``Fetcher``) and the response cache.

``Fetcher`` (client.py) is a chain of layers, one concern each: cache_policy.py (fresh,
offline, revalidation, stale-if-error) -> redirects.py -> retry.py (retries, pauses,
politeness slots) -> wire.py (one request). What can go wrong is a closed set of error
kinds (``models.FetchErrorKind``), each explained in errors.py.

The client (``Fetcher``, with httpx and its transports) is imported on first use:
a run answered from the cache never pays for importing the HTTP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patchcrawl.fetch.cache import (
    ResponseCache,
    cache_clear,
    cache_key,
    cache_prune,
    cache_stats,
    normalize_url,
)

if TYPE_CHECKING:
    from patchcrawl.fetch.client import Fetcher, FetchEvent, FetchStats

_CLIENT_NAMES = ("FetchEvent", "FetchStats", "Fetcher")


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from patchcrawl.fetch import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FetchEvent",
    "FetchStats",
    "Fetcher",
    "ResponseCache",
    "cache_clear",
    "cache_key",
    "cache_prune",
    "cache_stats",
    "normalize_url",
]
