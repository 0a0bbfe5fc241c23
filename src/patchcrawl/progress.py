"""A progress bar on stderr for long runs, and a silent stand-in for everything else.

Shown only when stderr is a terminal and progress is enabled: CI logs and
pipes never see control characters.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Protocol


class ProgressLike(Protocol):
    def grow(self, n: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def update(self, stats: Any, cached: int = 0) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Does nothing, quickly."""

    def grow(self, n: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def update(self, stats: Any, cached: int = 0) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: the unit the bar counts: every link of every document, as the summary line and
#: the sentence of an incomplete check count them
UNIT = "links"


class RichProgress:
    """Two lines on stderr, made for 80 columns and wider:

    ``checking links ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  1,234/5,678 links  0:00:12``
    ``  requests 312 · from cache 20 · waiting: lore.kernel.org 4, lwn.net 1``

    The bar takes what the counts leave of the width, so it never collapses into a
    few cells; the second line is cut with an ellipsis, never wrapped. A link is done
    when the URL it names is answered (many links can share one URL)."""

    def __init__(self, total: int, console: Any = None) -> None:
        from rich.console import Console, Group, RenderableType
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        info = self  # the second line reads the latest counts from here

        class _Count(ProgressColumn):
            """``1,234/5,678 links``; ``0 links`` while no document is read yet."""

            def render(self, task: Task) -> Text:
                if task.total is None:
                    return Text(f"{int(task.completed):,} {UNIT}")
                return Text(f"{int(task.completed):,}/{int(task.total):,} {UNIT}")

        class _TwoLines(Progress):
            def get_renderables(self) -> Iterable[RenderableType]:
                yield Group(
                    self.make_tasks_table(self.tasks),
                    Text(info._info, no_wrap=True, overflow="ellipsis", style="dim"),
                )

        # until the first document is read there is nothing to count: the bar pulses
        self._info = "" if total else "  reading the documents"
        self._progress = _TwoLines(
            TextColumn(f"[bold]checking {UNIT}"),
            BarColumn(bar_width=None),
            _Count(),
            TimeElapsedColumn(),
            console=console if console is not None else Console(stderr=True),
            transient=True,
            expand=True,
        )
        self._total = total
        self._task = self._progress.add_task(UNIT, total=total or None)
        self._progress.start()
        self._closed = False

    def grow(self, n: int) -> None:
        """``n`` more links to do (documents are read while the first ones are checked)."""
        if n:
            self._total += n
            if self._info == "  reading the documents":
                self._info = ""
            self._progress.update(self._task, total=self._total)

    def advance(self, n: int = 1) -> None:
        if n:
            self._progress.advance(self._task, n)

    def update(self, stats: Any, cached: int = 0) -> None:
        """``stats``: a FetchStats (requests, from_cache, waiting per host); ``cached``:
        more URLs answered from the cache than ``stats`` knows of. Hosts with no
        request waiting are not named."""
        self._info = info_line(stats, cached)
        self._progress.refresh()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._progress.stop()

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def info_line(stats: Any, cached: int = 0) -> str:
    """``  requests 312 · from cache 20 · waiting: lore.kernel.org 4, lwn.net 1``"""
    parts = [
        f"requests {getattr(stats, 'requests', 0):,}",
        f"from cache {getattr(stats, 'from_cache', 0) + cached:,}",
    ]
    waiting: dict[str, int] = getattr(stats, "waiting", None) or {}
    busy = sorted(((h, n) for h, n in waiting.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
    if busy:
        parts.append("waiting: " + ", ".join(f"{h} {n:,}" for h, n in busy[:3]))
    return "  " + " · ".join(parts)


def make_progress(total: int, enabled: bool) -> ProgressLike:
    """A rich bar when ``enabled`` and stderr is a TTY, else a no-op."""
    if enabled and sys.stderr.isatty():
        try:
            return RichProgress(total)
        except Exception:  # a broken terminal must never break a run
            return NullProgress()
    return NullProgress()
