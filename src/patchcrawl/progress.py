"""A progress bar on stderr for long runs, and a silent stand-in for everything else.

Shown only when stderr is a terminal and progress is enabled: CI logs and
pipes never see control characters.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol


class ProgressLike(Protocol):
    def grow(self, n: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def update(self, stats: Any) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Does nothing, quickly."""

    def grow(self, n: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def update(self, stats: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RichProgress:
    """links done/total, requests sent, cache hits and hosts being waited for."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]links"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._total = total
        self._task = self._progress.add_task("links", total=total, info="")
        self._progress.start()
        self._closed = False

    def grow(self, n: int) -> None:
        """``n`` more links to do (documents are read while the first ones are checked)."""
        if n:
            self._total += n
            self._progress.update(self._task, total=self._total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)

    def update(self, stats: Any) -> None:
        """``stats``: a FetchStats (requests, from_cache, waiting per host)."""
        parts = [
            f"requests {getattr(stats, 'requests', 0)}",
            f"cache {getattr(stats, 'from_cache', 0)}",
        ]
        waiting: dict[str, int] = getattr(stats, "waiting", None) or {}
        if waiting:
            top = sorted(waiting.items(), key=lambda kv: -kv[1])[:2]
            parts.append("waiting " + ", ".join(f"{h} {n}" for h, n in top))
        self._progress.update(self._task, info="  ".join(parts))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._progress.stop()

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_progress(total: int, enabled: bool) -> ProgressLike:
    """A rich bar when ``enabled`` and stderr is a TTY, else a no-op."""
    if enabled and sys.stderr.isatty():
        try:
            return RichProgress(total)
        except Exception:  # a broken terminal must never break a run
            return NullProgress()
    return NullProgress()
