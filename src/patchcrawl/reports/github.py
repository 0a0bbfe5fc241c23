"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=F,line=L,col=C,endLine=L,endColumn=E,title=CODE::message`` (the end
when the finding points at a URL as written; ``warning`` and ``notice``
for the other severities), escaped as the Actions toolkit does: in the message
``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in property values ``:`` and
``,`` also become ``%3A`` and ``%2C``.  A plain summary line closes the output.
"""

from __future__ import annotations

from patchcrawl.models import Finding, Report
from patchcrawl.reports._common import summary_line, suppressed_sentence, url_end_columns

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, end: int | None = None) -> str:
    """``end``: the column after the URL the finding points at (the annotation then
    spans it; GitHub's ``endColumn`` is the URL's last column)."""
    props = [f"file={escape_property(f.file)}", f"line={f.line}", f"col={f.column}"]
    if end is not None:
        props += [f"endLine={f.line}", f"endColumn={end - 1}"]
    props.append(f"title={escape_property(f.code)}")
    message = f.message
    if f.url and f.url not in message:
        message += f" ({f.url})"
    return f"::{COMMAND.get(f.severity, 'warning')} {','.join(props)}::{escape_data(message)}"


def render_github(report: Report) -> str:
    ends = url_end_columns(report)
    lines = [annotation(f, end) for f, end in zip(report.findings, ends, strict=True)]
    if report.incomplete is not None:
        lines.append(f"::error title=patchcrawl::{escape_data(report.incomplete)}")
    suppressed = suppressed_sentence(report)
    if suppressed is not None:
        lines.append(f"patchcrawl: {suppressed}")
    lines.append(f"patchcrawl: {summary_line(report)}")
    return "\n".join(lines) + "\n"
