"""Fetching: polite, cached, remapped GETs (``Fetcher``) and the response cache."""

from __future__ import annotations

from patchcrawl.fetch.cache import (
    ResponseCache,
    cache_clear,
    cache_key,
    cache_prune,
    cache_stats,
    normalize_url,
)
from patchcrawl.fetch.client import Fetcher, FetchEvent, FetchStats

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
