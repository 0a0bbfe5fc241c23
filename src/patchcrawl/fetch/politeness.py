"""Per-host politeness: parallel cap, spacing of request starts, Retry-After pauses.

Limits apply per *original* host (``lore.kernel.org``), never per remapped host,
so a test web on 127.0.0.1 sees exactly the traffic shape a real site would.

A request takes, in this order: a per-host slot (at most ``concurrency`` in
flight), the global slot (``max_concurrency``), then its start time: no earlier
than ``interval`` after the previous start on that host and no earlier than the
end of a ``Retry-After`` pause.  The global slot is taken before the start time is
fixed so that a wait for a global slot can never squeeze two starts closer than
``interval``; a long Retry-After pause is waited out *before* taking the global
slot so a paused host does not hold slots other hosts could use.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    wall = time.time() if now is None else now
    return max(0.0, when.timestamp() - wall)


@dataclass
class _Host:
    sem: asyncio.Semaphore
    interval: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0  # loop time of the earliest next start
    paused_until: float = 0.0  # loop time a Retry-After pause ends
    # with an interval: resolved when the request granted last is on the wire (or ends)
    departure: asyncio.Future[None] | None = None


class Politeness:
    """``async with pol.slot(host): send()`` keeps every host's limits."""

    def __init__(
        self,
        policy: Callable[[str], tuple[int, float]],
        max_concurrency: int,
        *,
        wait_seconds: dict[str, float] | None = None,
        waiting: dict[str, int] | None = None,
    ) -> None:
        self._policy = policy
        self._global = asyncio.Semaphore(max(1, max_concurrency))
        self._hosts: dict[str, _Host] = {}
        # Shared with FetchStats so a progress bar sees them live.
        self.wait_seconds: dict[str, float] = wait_seconds if wait_seconds is not None else {}
        self._waiting: dict[str, int] = waiting if waiting is not None else {}

    def _host(self, host: str) -> _Host:
        h = self._hosts.get(host)
        if h is None:
            conc, interval = self._policy(host)
            h = _Host(asyncio.Semaphore(max(1, conc)), max(0.0, interval))
            self._hosts[host] = h
        return h

    def waiting(self) -> dict[str, int]:
        """Requests currently waiting for a slot, per host (for the progress bar)."""
        return {k: n for k, n in self._waiting.items() if n}

    def pause(self, host: str, seconds: float) -> None:
        """Hold back every new request to ``host`` for ``seconds`` (Retry-After)."""
        h = self._host(host)
        loop = asyncio.get_running_loop()
        h.paused_until = max(h.paused_until, loop.time() + seconds)

    def sent(self, host: str) -> None:
        """The request granted last for ``host`` is on the wire now (its headers are sent).

        A slot is granted ``interval`` after the previous departure, but the request
        may leave later (a connection was being opened, another thread held the GIL,
        the event loop was busy parsing): the next start is counted from the real
        departure, and with an interval the next request is not granted before this
        one has left, so the spacing on the wire never shrinks below the interval.
        """
        h = self._host(host)
        h.next_start = max(h.next_start, asyncio.get_running_loop().time() + h.interval)
        if h.departure is not None and not h.departure.done():
            h.departure.set_result(None)

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        h = self._host(host)
        loop = asyncio.get_running_loop()
        asked = loop.time()
        self._waiting[host] = self._waiting.get(host, 0) + 1
        try:
            await h.sem.acquire()
            try:
                while True:  # wait out a pause without holding a global slot
                    delay = h.paused_until - loop.time()
                    if delay <= 0:
                        break
                    await asyncio.sleep(delay)
                await self._global.acquire()
            except BaseException:
                h.sem.release()
                raise
            try:
                async with h.lock:
                    if h.departure is not None and not h.departure.done():
                        await h.departure  # the previous request has not left yet
                    while True:  # sent() may move next_start while we sleep
                        now = loop.time()
                        start = max(now, h.next_start, h.paused_until)
                        if start <= now:
                            break
                        await asyncio.sleep(start - now)
                    h.next_start = now + h.interval
                    mine = h.departure = loop.create_future() if h.interval > 0 else None
            except BaseException:
                self._global.release()
                h.sem.release()
                raise
        finally:
            self._waiting[host] -= 1
        self.wait_seconds[host] = self.wait_seconds.get(host, 0.0) + (loop.time() - asked)
        try:
            yield
        finally:
            if mine is not None and not mine.done():
                mine.set_result(None)  # never reached the wire: let the next one go
            self._global.release()
            h.sem.release()
