"""Shared fixtures: the simulated kernel web on 127.0.0.1 and settings pointing at it."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchcrawl.fetch import ResponseCache
from patchcrawl.settings import RemapRule, Settings, remap_url
from patchcrawl.testweb.server import KernelWeb


@pytest.fixture
def kernelweb() -> Iterator[KernelWeb]:
    """A started :class:`KernelWeb` with static routes only (add a handler with ``.handler``)."""
    with KernelWeb() as web:
        yield web


def web_settings(web: KernelWeb, cache_dir: Path | str | None = None, **kw: object) -> Settings:
    """Settings that send everything to ``web``, fast politeness and small timeouts."""
    base: dict[str, object] = {
        "remap": (RemapRule.parse(web.remap_rule()),),
        "host_interval": 0.0,
        "timeout": 2.0,
        "retries": 2,
        "progress": False,
        "extra": {"retry_backoff": 0.01},
        "cache_dir": str(cache_dir) if cache_dir is not None else None,
    }
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
def web_settings_factory() -> object:
    return web_settings


def web_cache(web: KernelWeb, directory: Path | str) -> ResponseCache:
    """The cache a run against ``web`` wrote, looked into as that run does: its answers
    are kept under the URLs as sent (after ``web``'s remap rule)."""
    cache = ResponseCache(directory)
    cache.wire = functools.partial(remap_url, (RemapRule.parse(web.remap_rule()),))
    return cache
