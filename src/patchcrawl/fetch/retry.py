"""The third layer of the fetcher: retries and pauses around one request.

Each attempt takes its host's politeness slot (:mod:`patchcrawl.fetch.politeness`:
the per-host cap, the spacing of starts, Retry-After pauses) and hands the request to
the wire. A transient answer (``errors.RETRIED``, or a 429, 502, 503 or 504) is asked
again (tenacity), at most ``--retries`` times and for at most ``max_retry_wait``
seconds of waiting, after exponential backoff with jitter, or after what the host's
``Retry-After`` says: that pauses the whole host, within what one URL, one host and
the run may wait; a host asking for more is given up for the run.

The evidence that the network is down (not one host) is gathered here too, from what
each attempt met (``errors`` [1]).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, wait_exponential_jitter

from patchcrawl.fetch.errors import NETWORK_DOWN_HOSTS
from patchcrawl.fetch.politeness import Politeness
from patchcrawl.fetch.state import FetchState, host_of
from patchcrawl.fetch.wire import Outcome, Wire


@dataclass(slots=True)
class _Sent:
    """How many of one request's attempts went on the wire."""

    n: int = 0


class Retries:
    """``await retries.attempts(url, headers)``: the last outcome and the requests sent."""

    def __init__(self, state: FetchState, wire: Wire, backoff: float) -> None:
        self._state = state
        self._wire = wire
        self._backoff = wait_exponential_jitter(
            multiplier=backoff, max=max(backoff, 60.0), jitter=backoff
        )
        self.pol: Politeness | None = None  # set when the fetcher is entered
        # Retry-After: seconds each host made the run wait; hosts given up (why)
        self._waited: dict[str, float] = {}
        self._waited_out: dict[str, str] = {}
        # network-down evidence: hosts that failed to connect; answers received
        self._failed_hosts: set[str] = set()
        self._successes = 0

    async def attempts(self, url: str, headers: dict[str, str]) -> tuple[Outcome, int]:
        host = host_of(url)
        sent = _Sent()
        first = await self._attempt(url, headers, host, sent)
        if not first.transient or self._state.settings.retries <= 0 or self._state.network_down:
            return first, sent.n  # the common case: no retry machinery at all
        out = await self._again(url, first, lambda: self._attempt(url, headers, host, sent))
        return out, sent.n

    async def _again(
        self, url: str, first: Outcome, attempt: Callable[[], Awaitable[Outcome]]
    ) -> Outcome:
        """Tenacity's loop after a transient ``first`` outcome."""
        seeded = False

        async def later_attempt() -> Outcome:
            nonlocal seeded
            if not seeded:  # tenacity's first call stands for the attempt already made
                seeded = True
                return first
            return await attempt()

        def before_sleep(rs: RetryCallState) -> None:
            self._state.stats.retries += 1
            self._state.emit("retry", url)

        retrying = AsyncRetrying(
            retry=retry_if_result(lambda o: isinstance(o, Outcome) and o.transient),
            wait=self._wait,
            stop=self._stop,
            before_sleep=before_sleep,
            retry_error_callback=lambda rs: rs.outcome.result() if rs.outcome else None,
            sleep=asyncio.sleep,
        )
        out: object = await retrying(later_attempt)
        assert isinstance(out, Outcome)
        return out

    async def _attempt(self, url: str, headers: dict[str, str], host: str, sent: _Sent) -> Outcome:
        held = self._held(host)
        if held is not None:
            return held
        assert self.pol is not None
        self._wire.stack()  # made before a slot is taken: making it takes a while
        async with self.pol.slot(host):
            held = self._held(host)  # the network went down, or the host was given up,
            if held is not None:  # while this one waited for a slot
                return held
            sent.n += 1
            out = await self._wire.send(url, headers, host)
        self._note(host, out)
        if out.retry_after is not None:
            self._honour_retry_after(host, out)
        return out

    def _held(self, host: str) -> Outcome | None:
        """Why no request may go to ``host`` now; None when one may."""
        if self._state.network_down:
            return Outcome(error="network-down", detail="the network is unreachable")
        if host in self._waited_out:
            return Outcome(error="retry-after", detail=self._waited_out[host])
        return None

    def _wait(self, rs: RetryCallState) -> float:
        out = rs.outcome.result() if rs.outcome is not None else None
        if isinstance(out, Outcome) and out.retry_after is not None:
            return out.retry_after
        return float(self._backoff(rs))

    def _stop(self, rs: RetryCallState) -> bool:
        s = self._state.settings
        return (
            self._state.network_down
            or rs.attempt_number > s.retries
            or rs.idle_for + rs.upcoming_sleep > s.max_retry_wait
        )

    def _honour_retry_after(self, host: str, out: Outcome) -> None:
        """Pause ``host`` as long as its Retry-After asks, within what one URL, one host
        and the run may wait (``max_retry_wait``, ``max_host_wait``, ``max_run_wait``).
        A host asking for more is given up for the run: its remaining requests answer at
        once, saying how long it asked to wait (before, every 429 paused it again and a
        day-long Retry-After cost 120 s per link, with no end)."""
        assert out.retry_after is not None and self.pol is not None
        s = self._state.settings
        asked = out.retry_after
        spent_host = self._waited.get(host, 0.0)
        spent_run = sum(self._waited.values())
        if (
            asked > s.max_retry_wait
            or spent_host + asked > s.max_host_wait
            or spent_run + asked > s.max_run_wait
        ):
            why = (
                f"{host} asked to wait {asked:,.0f} s (Retry-After, HTTP {out.status}); "
                f"patchcrawl waits at most {s.max_retry_wait:g} s for a link, "
                f"{s.max_host_wait:g} s for a host and {s.max_run_wait:g} s a run"
            )
            self._waited_out[host] = why
            out.error, out.detail, out.retry_after = "retry-after", why, None
            return
        self._waited[host] = spent_host + asked
        self.pol.pause(host, asked)

    def _note(self, host: str, out: Outcome) -> None:
        """Track evidence for network-down: DNS/connect failures on many hosts, no success."""
        if out.status is not None:
            self._successes += 1
            self._failed_hosts.discard(host)
            return
        if out.host_failed:
            self._failed_hosts.add(host)
            if (
                not self._state.network_down
                and self._successes == 0
                and len(self._failed_hosts) >= NETWORK_DOWN_HOSTS
            ):
                self._state.network_down = True
                self._state.emit("network-down", f"https://{host}/", error="network-down")
