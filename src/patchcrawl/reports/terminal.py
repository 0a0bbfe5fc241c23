"""``--format terminal``: findings grouped by file, then a one-line summary.

With ``color=False`` the output is plain text (no ANSI escapes) at a fixed width,
so it is stable for tests and for files; with ``color=True`` it is coloured and
takes the terminal's width.  A ``scan`` report (nothing was fetched) shows, per
file, its tables, rows and links by kind, and the row-level problems.
"""

from __future__ import annotations

import io
import shutil
from collections import Counter

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from patchcrawl.models import LINK_KINDS, Finding, Report
from patchcrawl.reports._common import (
    by_status,
    files_in_order,
    findings_by_file,
    is_scan,
    links_by_file,
    location,
    plural,
    summary_line,
)

PLAIN_WIDTH = 120
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _console(color: bool, width: int | None) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    if color:
        w = width or shutil.get_terminal_size((PLAIN_WIDTH, 24)).columns
        console = Console(file=buf, width=w, force_terminal=True, highlight=False, soft_wrap=False)
    else:
        console = Console(
            file=buf,
            width=width or PLAIN_WIDTH,
            force_terminal=False,
            no_color=True,
            color_system=None,
            highlight=False,
            emoji=False,
        )
    return console, buf


def _findings_lines(findings: list[Finding]) -> list[Text]:
    """One finding per entry, as linters print them: location, severity, code and message
    on the first line, then the URL whole on its own line (never wrapped: terminals make
    it clickable and it must survive copy and paste), then expected/actual when known."""
    width = max((len(location(f)) for f in findings), default=0)
    sev_width = max((len(f.severity) for f in findings), default=0)
    code_width = max((len(f.code) for f in findings), default=0)
    indent = " " * (2 + width + 2)
    out: list[Text] = []
    for f in findings:
        line = Text("  " + location(f).rjust(width) + "  ")
        line.append(f.severity.ljust(sev_width), style=SEVERITY_STYLE.get(f.severity, ""))
        line.append("  ")
        line.append(f.code.ljust(code_width), style="bold")
        line.append("  " + f.message)
        out.append(line)
        if f.url:
            out.append(Text(indent + f.url, style="dim", no_wrap=True, overflow="ignore"))
    return out


def _file_heading(path: str, findings: list[Finding]) -> Text:
    counts = Counter(f.severity for f in findings)
    parts = [plural(counts[s], s) for s in ("error", "warning") if counts[s]]
    if counts["info"]:
        parts.append(f"{counts['info']} info")
    head = Text(path, style="bold underline")
    if parts:
        head.append("  (" + ", ".join(parts) + ")", style="")
    return head


def _scan_file_lines(report: Report, path: str) -> list[Text]:
    doc = next((d for d in report.documents if d.path == path), None)
    links = links_by_file(report).get(path, [])
    out: list[Text] = []
    if doc is not None:
        table_links = sum(1 for lr in links if lr.link.cell != "none")
        out.append(
            Text(
                f"{plural(len(doc.tables), 'table')} · {plural(len(doc.rows), 'row')} · "
                f"{plural(len(links), 'link')} ({table_links:,} in table rows)"
            )
        )
    else:
        out.append(Text(plural(len(links), "link")))
    kinds: Counter[str] = Counter(str(lr.link.kind) for lr in links)
    if kinds:
        order = [k for k in LINK_KINDS if k in kinds] + sorted(
            k for k in kinds if k not in LINK_KINDS
        )
        out.append(Text("links by kind: " + ", ".join(f"{k} {kinds[k]:,}" for k in order)))
    return out


def render_terminal(report: Report, *, color: bool = False, width: int | None = None) -> str:
    console, buf = _console(color, width)
    grouped = findings_by_file(report)
    scan = is_scan(report)
    files = files_in_order(report)
    for path in files:
        findings = grouped.get(path, [])
        if not scan and not findings:
            continue
        console.print(_file_heading(path, findings))
        if scan:
            for line in _scan_file_lines(report, path):
                console.print(Padding(line, (0, 0, 0, 2)))
        if findings:
            for line in _findings_lines(findings):
                console.print(line, soft_wrap=line.no_wrap is True)
        else:
            console.print(Padding(Text("no problems found", style="green"), (0, 0, 0, 2)))
        console.print()
    if not scan and not report.findings:
        console.print(Text("no findings", style="bold green"))
    statuses = by_status(report)
    if statuses and not scan:
        console.print(
            Text("links: " + ", ".join(f"{n:,} {s}" for s, n in statuses.items()), style="dim")
        )
    if report.network_down:
        console.print(Text("the network was unavailable: the check is incomplete", style="red"))
    console.print(Text(summary_line(report), style="bold"))
    text = buf.getvalue()
    if not color:  # plain text: no padding at line ends (stable for diffs and tests)
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text
