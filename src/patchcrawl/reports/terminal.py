"""``--format terminal``: findings grouped by file, then a one-line summary.

With ``color=False`` the output is plain text (no ANSI escapes) at a fixed width,
so it is stable for tests and for files; with ``color=True`` it is coloured and
takes the terminal's width.  A ``scan`` report (nothing was fetched) shows, per
file, its tables, rows and links by kind, and the row-level problems.
"""

from __future__ import annotations

import io
import shutil
import textwrap
from collections import Counter

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from patchcrawl.models import LINK_KINDS, Finding, Report
from patchcrawl.reports._common import (
    by_status,
    files_in_order,
    findings_by_file,
    fit_parts,
    is_scan,
    links_by_file,
    location,
    no_findings_sentence,
    plural,
    summary_parts,
    suppressed_sentence,
)

PLAIN_WIDTH = 120
# a message that does not fit after its code goes on, wrapped, when at least this
# much room is left there; with less (80 columns) it starts on the next line
MIN_MESSAGE_ROOM = 50
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


def _findings_lines(findings: list[Finding], width: int) -> list[Text]:
    """One finding per entry, as linters print them: location, severity, code and message
    on the first line (a long message goes on, indented, on the next ones), then the URL
    whole on its own line (never wrapped: terminals make it clickable and it must survive
    copy and paste), then expected/actual when known."""
    loc_width = max((len(location(f)) for f in findings), default=0)
    sev_width = max((len(f.severity) for f in findings), default=0)
    code_width = max((len(f.code) for f in findings), default=0)
    indent = " " * (2 + loc_width + 2)
    out: list[Text] = []
    for f in findings:
        pre = f"  {location(f).rjust(loc_width)}  "
        sev = f.severity.ljust(sev_width)
        code = f.code.ljust(code_width)
        body = _wrap(f"{pre}{sev}  {code}  ", f.message, indent, width)
        line = Text(pre)
        line.append(sev, style=SEVERITY_STYLE.get(f.severity, ""))
        line.append("  ")
        line.append(code, style="bold")
        line.append(body[0][len(pre) + len(sev) + 2 + len(code) :])
        for more in body[1:]:
            line.append("\n" + more)
        out.append(line)
        if f.url:
            out.append(Text(indent + f.url, style="dim", no_wrap=True, overflow="ignore"))
    return out


def _wrap(head: str, message: str, indent: str, width: int) -> list[str]:
    """``head`` then ``message`` in lines of at most ``width`` columns where words allow:
    the message starts after ``head`` (its next lines under its first word) when a fair
    part of it fits there, else on the next line, every line starting with ``indent``.
    A word longer than a line (a URL) stands alone on its line, whole, from ``indent``."""
    room = width - len(head)
    if len(message) <= room or room >= MIN_MESSAGE_ROOM:
        # the message's next lines stand under its first word, as linters print them
        lines = textwrap.wrap(
            message,
            width=max(width, len(head) + 1),
            initial_indent=head,
            subsequent_indent=" " * len(head),
            break_long_words=False,
            break_on_hyphens=False,
        )
        return [
            indent + line.strip() if i and len(line) > width and " " not in line.strip() else line
            for i, line in enumerate(lines)
        ] or [head.rstrip()]
    wrapped = textwrap.wrap(
        message,
        width=max(width, len(indent) + 1),
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [head.rstrip(), *wrapped]


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
    """The report for people. ``width``: the columns to fit (default: the terminal's
    width with ``color``, else ``PLAIN_WIDTH``); long messages and the summary are
    broken between words and parts, never mid-URL."""
    console, buf = _console(color, width)
    cols = console.width
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
            for line in _findings_lines(findings, cols):
                console.print(line, soft_wrap=True)
        else:
            console.print(Padding(Text("no problems found", style="green"), (0, 0, 0, 2)))
        console.print()
    if not scan and not report.findings:
        style = "bold green" if report.incomplete is None else "bold"
        console.print(Text(no_findings_sentence(report), style=style))
    statuses = by_status(report)
    if statuses and not scan:
        label = "links: "
        items = [f"{n:,} {s}" for s, n in statuses.items()]
        rows = fit_parts(items, cols - len(label), sep=", ")
        for i, row in enumerate(rows):
            more = "," if i < len(rows) - 1 else ""
            console.print(Text((label if i == 0 else " " * len(label)) + row + more, style="dim"))
    suppressed = suppressed_sentence(report)
    if suppressed is not None:
        console.print(Text(suppressed))
    if report.incomplete is not None:
        for row in textwrap.wrap(report.incomplete, width=cols, break_on_hyphens=False):
            console.print(Text(row, style="bold red"))
    for row in fit_parts(summary_parts(report), cols):
        console.print(Text(row, style="bold"))
    text = buf.getvalue()
    if not color:  # plain text: no padding at line ends (stable for diffs and tests)
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text
