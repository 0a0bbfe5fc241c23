"""The terminal at 80 and 100 columns: report, summary and progress bar fit, and every
count of a run's progress is in the unit the summary names (links)."""

from __future__ import annotations

import io
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from patchcrawl import pipeline, progress
from patchcrawl.fetch import FetchStats
from patchcrawl.reports._common import fit_parts
from patchcrawl.reports.terminal import render_terminal
from patchcrawl.testweb.planted import PLANTED, install_faults, planted_handler
from patchcrawl.testweb.server import KernelWeb
from tests.conftest import web_settings
from tests.test_reports_data import make_report


def _fits(text: str, width: int) -> None:
    """Every line fits, but for a line that is one word alone (a URL never breaks)."""
    for line in text.splitlines():
        assert len(line) <= width or " " not in line.strip(), (width, line)


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("width")
    doc = base / "history.md"
    shutil.copyfile(PLANTED, doc)
    with KernelWeb(planted_handler()) as web:
        install_faults(web)
        report, _ = pipeline.verify([str(doc)], web_settings(web, cache_dir=base / "c"))
    return report


@pytest.mark.parametrize("width", [80, 100])
def test_report_fits_the_width(planted_report: Any, width: int) -> None:
    for color in (False, True):
        text = render_terminal(planted_report, color=color, width=width)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        _fits(plain, width)
    plain = render_terminal(planted_report, width=width)
    # each message keeps its words whole and in order, whatever the wrapping
    flat = " ".join(plain.split())
    for f in planted_report.findings:
        assert " ".join(f.message.split()) in flat
    # the summary is broken between its parts, never inside one
    lines = plain.rstrip("\n").splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("1 file · 17 rows · 29 links"))
    summary = " · ".join(lines[at:])
    assert summary.startswith("1 file · 17 rows · 29 links · 6 errors, 6 warnings, 2 info · ")
    assert re.fullmatch(r".* · \d+ requests, \d+ from cache · \d+\.\d s", summary)


def test_summary_and_statuses_at_80(planted_report: Any) -> None:
    lines = render_terminal(planted_report, width=80).rstrip("\n").splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("links: "))
    status = lines[at : at + 2]
    assert status[1].startswith(" " * 7) and status[1][7] != " "
    # a continuation of the statuses is indented under the first and the list's commas
    # stay at the line ends
    assert status[0].startswith("links: 22 ok, 2 moved, 1 dead")
    assert status[0].endswith(",") and status[-1].endswith("1 malformed")


def test_fit_parts() -> None:
    parts = ["1 file", "16 rows", "27 links", "6 errors, 6 warnings, 1 info", "3 requests"]
    assert fit_parts(parts, 200) == [" · ".join(parts)]
    lines = fit_parts(parts, 40)
    assert lines == ["1 file · 16 rows · 27 links", "6 errors, 6 warnings, 1 info", "3 requests"]
    assert fit_parts(["x" * 50], 10) == ["x" * 50]


def test_plain_report_of_the_data_module_keeps_120() -> None:
    text = render_terminal(make_report())
    assert max(len(x) for x in text.splitlines()) <= 120


def _bar_text(width: int, total: int, done: int, stats: FetchStats) -> str:
    live = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)
    bar = progress.RichProgress(total, console=live)
    try:
        bar.advance(done)
        bar.update(stats, cached=3)
        out = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
        out.print(*bar._progress.get_renderables())
        file = out.file
        assert isinstance(file, io.StringIO)
        return file.getvalue()
    finally:
        bar.close()


@pytest.mark.parametrize("width", [80, 100])
def test_progress_bar_does_not_collapse(width: int) -> None:
    stats = FetchStats(
        requests=1234,
        from_cache=20,
        waiting={"lore.kernel.org": 4, "lwn.net": 0, "patchwork.kernel.org": 1},
    )
    text = _bar_text(width, 5678, 1234, stats)
    first, second = text.rstrip("\n").splitlines()
    assert len(first) <= width and len(second) <= width
    assert first.startswith("checking links ")
    assert "1,234/5,678 links" in first and "…" not in first
    # the bar (drawn and yet to draw) takes what the label and the counts leave
    bar = first[len("checking links ") : first.index("1,234/5,678")]
    assert "━" in bar and len(bar) >= width - 45
    assert "requests 1,234 · from cache 23" in second
    # the busiest first; what does not fit is cut (with "…"), never wrapped
    assert "waiting: lore.kernel.org 4, patchwork.kernel" in second
    assert "patchwork.kernel.org 1" in second if width == 100 else second.endswith("…")
    assert "lwn.net" not in second  # no request waiting for it: not listed


def test_info_line_cut_not_wrapped() -> None:
    stats = FetchStats(waiting={f"host{i}.example.org": 9 for i in range(8)})
    text = _bar_text(80, 10, 1, stats)
    lines = text.rstrip("\n").splitlines()
    assert len(lines) == 2 and len(lines[1]) <= 80


class Recorder:
    """A progress bar that only counts."""

    def __init__(self, total: int = 0) -> None:
        self.total = total
        self.done = 0

    def grow(self, n: int) -> None:
        self.total += n

    def advance(self, n: int = 1) -> None:
        self.done += n

    def update(self, stats: Any, cached: int = 0) -> None:
        pass

    def close(self) -> None:
        pass


def test_bar_counts_the_links_the_summary_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two documents sharing URLs, a URL written twice in one, a malformed one and a
    mailto: the bar ends at the summary's count of links, not at unique URLs."""
    shutil.copyfile(PLANTED, tmp_path / "a.md")
    shutil.copyfile(PLANTED, tmp_path / "b.md")
    bars: list[Recorder] = []

    def make(total: int, enabled: bool) -> Recorder:
        bars.append(Recorder(total))
        return bars[-1]

    monkeypatch.setattr(progress, "make_progress", make)
    with KernelWeb(planted_handler()) as web:
        install_faults(web)
        report, _ = pipeline.verify(
            [str(tmp_path / "a.md"), str(tmp_path / "b.md")],
            web_settings(web, cache_dir=tmp_path / "c"),
        )
        # a warm run: every answer from the cache
        warm, _ = pipeline.verify([str(tmp_path)], web_settings(web, cache_dir=tmp_path / "c"))
    assert report.summary.links == 58 and report.summary.unique_urls < 29
    cold_bar, warm_bar = bars
    assert cold_bar.total == cold_bar.done == report.summary.links
    assert warm_bar.total == warm_bar.done == warm.summary.links
    statuses = Counter(lr.resolution.status for lr in report.links)
    assert sum(statuses.values()) == report.summary.links


def test_bar_before_the_first_document_is_read() -> None:
    """No "0/0" (which rich draws as a full bar): a pulse, and what is going on."""
    live = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    bar = progress.RichProgress(0, console=live)
    try:
        out = Console(file=io.StringIO(), width=80, color_system=None)
        out.print(*bar._progress.get_renderables())
        file = out.file
        assert isinstance(file, io.StringIO)
        first, second = file.getvalue().rstrip("\n").splitlines()
        assert " 0 links " in first and "0/0" not in first
        assert second == "  reading the documents"
        bar.grow(29)
        bar.advance(3)
        out = Console(file=io.StringIO(), width=80, color_system=None)
        out.print(*bar._progress.get_renderables())
        file = out.file
        assert isinstance(file, io.StringIO)
        assert " 3/29 links " in file.getvalue() and "reading" not in file.getvalue()
    finally:
        bar.close()
