"""``--format markdown``: for a CI job summary ($GITHUB_STEP_SUMMARY) or an issue body.

A summary table, finding counts by code and severity, then the findings grouped
by file (inside a collapsible ``<details>`` when a file has many), each link
written as a markdown link.  Cell text is escaped so a ``|`` or ``<`` in a
message or title never breaks the table.
"""

from __future__ import annotations

from urllib.parse import quote

from patchcrawl.models import Finding, Report
from patchcrawl.reports._common import (
    by_severity,
    by_status,
    code_counts,
    findings_by_file,
    is_scan,
    location,
    no_findings_sentence,
    plural,
    summary_line,
    suppressed_sentence,
)

COLLAPSE_OVER = 10  # findings per file shown open; more go into <details>
MAX_ROWS = 1000  # finding rows in all (GitHub caps a job summary at 1 MiB)
SEVERITY_MARK = {"error": "🔴 error", "warning": "🟡 warning", "info": "🔵 info"}


def cell(text: str) -> str:
    """Text safe inside a GFM table cell (and outside one): no raw |, <, >, newlines."""
    out = (
        text.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("]", "\\]")
    )
    return " ".join(out.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()


def link(url: str, text: str | None = None) -> str:
    """``[text](url)`` with the URL made safe for markdown (spaces, parentheses, pipes)."""
    safe = quote(url, safe=":/?#[]@!$&'*+,;=%~-._", errors="surrogateescape")
    safe = safe.replace("(", "%28").replace(")", "%29").replace("[", "%5B").replace("]", "%5D")
    shown = text if text is not None else (url if len(url) <= 80 else url[:77] + "...")
    return f"[{cell(shown)}]({safe})"


def _sentence(text: str) -> str:
    """``text`` as a sentence: capital first letter, full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _finding_row(f: Finding) -> str:
    detail = cell(f.message)
    if f.expected is not None or f.actual is not None:
        detail += f"<br>expected: {cell(f.expected or '—')}; actual: {cell(f.actual or '—')}"
    if f.edits:
        detail += "<br>fix: " + "; ".join(_code(e.new) for e in f.edits)
    return (
        f"| {location(f)} | {SEVERITY_MARK.get(f.severity, f.severity)} | {_code(f.code)} "
        f"| {detail} | {link(f.url) if f.url else ''} |"
    )


def _file_section(path: str, findings: list[Finding]) -> list[str]:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    label = ", ".join(plural(n, s) if s != "info" else f"{n} info" for s, n in counts.items() if n)
    lines = [f"### {_code(path)} ({label})", ""]
    table = ["| line:col | severity | code | finding | link |", "|---:|---|---|---|---|"]
    table += [_finding_row(f) for f in findings]
    if len(findings) > COLLAPSE_OVER:
        lines += [f"<details><summary>{plural(len(findings), 'finding')}</summary>", ""]
        lines += [*table, "", "</details>"]
    else:
        lines += table
    lines.append("")
    return lines


def render_markdown(report: Report, *, max_rows: int = MAX_ROWS) -> str:
    s = report.summary
    sev = by_severity(report)
    title = "patchcrawl scan" if is_scan(report) else f"patchcrawl {report.command} report"
    out = [f"## {title}", ""]
    out += [
        "| files | tables | rows | links | table links | unique URLs "
        "| errors | warnings | info | requests | from cache | seconds |",
        "|" + "---:|" * 12,
        f"| {s.files:,} | {s.tables:,} | {s.rows:,} | {s.links:,} | {s.table_links:,} "
        f"| {s.unique_urls:,} | {sev['error']:,} | {sev['warning']:,} | {sev['info']:,} "
        f"| {s.requests:,} | {s.from_cache:,} | {s.seconds:.1f} |",
        "",
    ]
    statuses = by_status(report)
    if statuses:
        out += ["**Links by status:** " + " · ".join(f"{k} {v:,}" for k, v in statuses.items()), ""]
    if report.incomplete is not None:
        out += ["> [!WARNING]", f"> {cell(_sentence(report.incomplete))}", ""]
    suppressed = suppressed_sentence(report)
    if suppressed is not None:
        out += [f"{_sentence(suppressed)}", ""]
    if not report.findings:
        done = no_findings_sentence(report)
        out += [_sentence(done) + (" ✅" if report.incomplete is None else ""), ""]
    else:
        out += ["### Findings by code", "", "| code | severity | count |", "|---|---|---:|"]
        out += [f"| {_code(c)} | {sv} | {n:,} |" for c, sv, n in code_counts(report.findings)]
        out.append("")
        budget = max_rows
        left_out = 0
        for path, findings in findings_by_file(report).items():
            shown = findings[: max(budget, 0)]
            left_out += len(findings) - len(shown)
            budget -= len(shown)
            if shown:
                out += _file_section(path, shown)
        if left_out:
            out += [
                f"_{plural(left_out, 'more finding')} not shown here; "
                "see the JSON or SARIF report._",
                "",
            ]
    out += [f"<sub>{cell(summary_line(report))} · patchcrawl {cell(report.version)}</sub>", ""]
    return "\n".join(out)
