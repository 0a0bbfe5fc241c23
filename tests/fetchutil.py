"""Helpers for the fetch tests: run a coroutine, fetch many URLs, free ports."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Awaitable, Iterable
from typing import TypeVar

from patchcrawl.fetch import Fetcher, FetchEvent
from patchcrawl.models import Response
from patchcrawl.settings import Settings

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def _main() -> T:
        return await coro

    return asyncio.run(_main())


async def fetch_all(
    settings: Settings, urls: Iterable[str], **kw: object
) -> tuple[list[Response], Fetcher]:
    async with Fetcher(settings, **kw) as f:  # type: ignore[arg-type]
        out = await asyncio.gather(*(f.get(u) for u in urls))
    return list(out), f


def fetch(settings: Settings, *urls: str, **kw: object) -> tuple[list[Response], Fetcher]:
    return run(fetch_all(settings, urls, **kw))


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class StartRecorder:
    """An ``on_event`` hook recording when each request left the client (monotonic clock).

    The server's log sees the same starts a little later and with thread-scheduling
    jitter; the client's own record shows exactly what the scheduler did.
    """

    def __init__(self) -> None:
        self.starts: dict[str, list[float]] = {}

    def __call__(self, event: FetchEvent) -> None:
        if event.kind == "request":
            self.starts.setdefault(event.host, []).append(time.monotonic())

    def min_spacing(self, host: str) -> float:
        s = sorted(self.starts.get(host, []))
        return min((b - a for a, b in itertools.pairwise(s)), default=float("inf"))
