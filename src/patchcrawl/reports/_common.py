"""Helpers shared by the report renderers: counts, grouping, wording."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from patchcrawl.models import (
    FINDING_CODES,
    LINK_STATUSES,
    SEVERITIES,
    Finding,
    LinkResult,
    Report,
)

RULE_TEXT: dict[str, str] = {
    "dead-link": "The link answers 404/410 or the site says the item does not exist.",
    "moved-link": "The link permanently redirects to a working page at another address.",
    "blocked": "A bot wall (challenge page or 403) stood between patchcrawl and the page.",
    "paywalled": "The LWN article is for subscribers only; the title was read from the wall.",
    "unreachable": "DNS, TLS, timeouts or 5xx after all retries: the page could not be read.",
    "malformed-url": "The link target is not a usable URL.",
    "malformed-row": "A table row that could not be read (cell count, broken markup).",
    "title-mismatch": "The row's title differs from the subject of the series it links.",
    "author-mismatch": "The row's author is not the author of the series it links.",
    "version-mismatch": "The version in the row differs from the linked series' version.",
    "patch-count-mismatch": "The N/M patch count in a link label differs from the series.",
    "date-mismatch": "The row's date is far from the date of the linked message.",
    "author-email-missing": "The row names the right author without an email; the fix adds it.",
    "version-unconfirmed": "The row's status names a version newer than its links; not confirmed.",
    "release-mismatch": "Mainline first has the series in another release than the row says.",
    "not-in-mainline": "The row says merged, and no commit of the series is in mainline.",
    "merged-unmarked": "The row says not merged, and mainline has the series.",
}


def by_status(report: Report) -> dict[str, int]:
    """``summary.by_status`` in the contract's status order (unknown statuses last, sorted)."""
    counts = dict(report.summary.by_status)
    known = [s for s in LINK_STATUSES if s in counts]
    rest = sorted(s for s in counts if s not in LINK_STATUSES)
    return {s: int(counts[s]) for s in known + rest}


def by_severity(report: Report) -> dict[str, int]:
    """``summary.findings``: always ``error``, ``warning``, ``info`` (0 when absent)."""
    counts = dict(report.summary.findings)
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


def code_counts(findings: Iterable[Finding]) -> list[tuple[str, str, int]]:
    """(code, severity, count) in FINDING_CODES order, then unknown codes sorted."""
    counts = Counter((f.code, f.severity) for f in findings)
    order = {c: i for i, c in enumerate(FINDING_CODES)}
    sev = {s: i for i, s in enumerate(SEVERITIES)}
    keys = sorted(counts, key=lambda k: (order.get(k[0], len(order)), k[0], sev.get(k[1], 9)))
    return [(c, s, counts[(c, s)]) for c, s in keys]


def url_end_columns(report: Report) -> list[int | None]:
    """Per finding, the column just after its URL, when the finding points at the URL
    as written in its document (checked against the text); None otherwise (no URL, a
    report without documents, a position elsewhere)."""
    from patchcrawl.tables import line_texts

    raw = {doc.path: doc.raw for doc in report.documents}
    lines_of: dict[str, list[str]] = {}
    out: list[int | None] = []
    for f in report.findings:
        end = None
        if f.url and f.file in raw:
            lines = lines_of.get(f.file)
            if lines is None:
                lines = lines_of[f.file] = line_texts(raw[f.file])
            if 1 <= f.line <= len(lines) and lines[f.line - 1].startswith(f.url, f.column - 1):
                end = f.column + len(f.url)
        out.append(end)
    return out


def finding_sort_key(f: Finding) -> tuple[str, int, int, str, str]:
    return (f.file, f.line, f.column, f.code, f.message)


def files_in_order(report: Report) -> list[str]:
    """Every file of the report: documents first (as given), then links', then findings'."""
    seen: dict[str, None] = {}
    for d in report.documents:
        seen.setdefault(d.path, None)
    for lr in report.links:
        seen.setdefault(lr.link.file, None)
    for f in report.findings:
        seen.setdefault(f.file, None)
    return list(seen)


def findings_by_file(report: Report) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in sorted(report.findings, key=finding_sort_key):
        out.setdefault(f.file, []).append(f)
    return out


def links_by_file(report: Report) -> dict[str, list[LinkResult]]:
    out: dict[str, list[LinkResult]] = {}
    for lr in report.links:
        out.setdefault(lr.link.file, []).append(lr)
    return out


def is_scan(report: Report) -> bool:
    """A report of ``scan`` (no network: nothing was checked, by design)."""
    return report.command == "scan"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def summary_parts(report: Report) -> list[str]:
    """The pieces of :func:`summary_line`, each short enough for any terminal."""
    s = report.summary
    sev = by_severity(report)
    parts = [plural(s.files, "file"), plural(s.rows, "row"), plural(s.links, "link")]
    found = [plural(sev["error"], "error"), plural(sev["warning"], "warning")]
    if sev["info"]:
        found.append(f"{sev['info']:,} info")
    parts.append(", ".join(found))
    if not is_scan(report) or s.from_cache:
        parts.append(f"{plural(s.requests, 'request')}, {s.from_cache:,} from cache")
    parts.append(f"{s.seconds:.1f} s")
    return parts


def summary_line(report: Report) -> str:
    """``12 files · 2,434 rows · 8,012 links · 3 errors, 5 warnings · 1,204 requests, ...``"""
    return " · ".join(summary_parts(report))


def fit_parts(parts: list[str], width: int, sep: str = " · ") -> list[str]:
    """``parts`` joined by ``sep`` on as few lines of at most ``width`` columns as they
    fit on, broken only between parts (a part longer than the width has a line)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return lines


def no_findings_sentence(report: Report) -> str:
    """What to say when there is no finding: never "no problems" for a check that
    could not be done."""
    if report.incomplete is not None:
        return "no findings in the links that could be checked"
    return "no findings"


def suppressed_sentence(report: Report) -> str | None:
    """``N known findings suppressed by the baseline`` (None without a baseline)."""
    if report.suppressed is None:
        return None
    return f"{plural(report.suppressed, 'known finding')} suppressed by the baseline"


def location(f: Finding) -> str:
    return f"{f.line}:{f.column}"


_LONE_SURROGATE = re.compile("[\udc80-\udcff]")


def json_safe(text: str) -> str:
    """JSON text whose strings may hold bytes that were not UTF-8 (a URL or a path
    read with surrogate escapes): each becomes the escape ``\\udcXX``, which keeps the
    JSON valid UTF-8 and the byte recoverable (Python's json reads it back as the same
    surrogate). JSON's structure is ASCII, so they only ever stand inside strings."""
    if not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
