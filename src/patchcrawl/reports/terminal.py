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

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
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


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("where", no_wrap=True, justify="right")
    table.add_column("severity", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("message", overflow="fold", ratio=3)
    table.add_column("url", overflow="fold", ratio=2)
    for f in findings:
        table.add_row(
            Text(location(f)),
            Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")),
            Text(f.code, style="bold"),
            Text(f.message),
            Text(f.url or "", style="dim"),
        )
    return table


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
            console.print(_findings_table(findings))
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
