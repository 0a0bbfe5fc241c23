"""Report renderers: one ``Report`` in, one string out, in any of six formats.

``render(report, fmt, color=...)`` is the public API (``render_chunks`` gives the
same text in pieces, for writing large reports); each format lives in
its own module (``terminal``, ``jsonreport``, ``markdown``, ``junit``,
``sarif``, ``github``) and is importable on its own for tests.
"""

from __future__ import annotations

from collections.abc import Iterator

from patchcrawl.models import Report
from patchcrawl.settings import UsageError

FORMATS: tuple[str, ...] = ("terminal", "json", "markdown", "junit", "sarif", "github")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """``report`` as text in format ``fmt`` (one of FORMATS); ``color`` only for terminal."""
    if fmt == "terminal":
        from patchcrawl.reports.terminal import render_terminal

        return render_terminal(report, color=color)
    if fmt == "json":
        from patchcrawl.reports.jsonreport import render_json

        return render_json(report)
    if fmt == "markdown":
        from patchcrawl.reports.markdown import render_markdown

        return render_markdown(report)
    if fmt == "junit":
        from patchcrawl.reports.junit import render_junit

        return render_junit(report)
    if fmt == "sarif":
        from patchcrawl.reports.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from patchcrawl.reports.github import render_github

        return render_github(report)
    raise UsageError(f"unknown report format {fmt!r} (use one of: {', '.join(FORMATS)})")


def render_chunks(report: Report, fmt: str, *, color: bool = False) -> Iterator[str]:
    """:func:`render` in pieces: the JSON report is written as it is encoded (a large
    report never stands in memory whole); the other formats come in one piece."""
    if fmt == "json":
        from patchcrawl.reports.jsonreport import iter_json

        return iter_json(report)
    return iter([render(report, fmt, color=color)])


__all__ = ["FORMATS", "render", "render_chunks"]
