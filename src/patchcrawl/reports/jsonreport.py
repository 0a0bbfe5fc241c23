"""``--format json``: schema ``patchcrawl.report/1`` exactly as CONTRACT.md shows it.

Key order is fixed (the contract's order, extras after), output is UTF-8 text
(``ensure_ascii=False``) indented by 2, so reports diff well between runs.
``scan`` reports use the same function: their links have status
``not-checked``/``malformed`` and ``metadata`` null.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from typing import Any

from patchcrawl.models import Finding, LinkResult, Metadata, Report, Row
from patchcrawl.reports._common import by_severity, by_status, json_safe

SCHEMA = "patchcrawl.report/1"

# Finding keys the contract fixes; Finding.extra may add others but never replace these.
_FINDING_KEYS = frozenset(
    {"code", "severity", "file", "line", "column", "url", "expected", "actual", "message"}
    | {"row_line", "fix"}
)


def metadata_dict(m: Metadata) -> dict[str, Any]:
    return {
        "source": m.source,
        "title": m.title,
        "subject": m.subject,
        "version": m.version,
        "counter": m.counter,
        "total": m.total,
        "prefixes": list(m.prefixes),
        "author_name": m.author_name,
        "author_email": m.author_email,
        "date": m.date,
        "msgid": m.msgid,
        # extras (allowed by the contract: keys may be added)
        "rfc": m.rfc,
        "version_inferred": m.version_inferred,
        "cover_msgid": m.cover_msgid,
        "thread_author_name": m.thread_author_name,
        "thread_author_email": m.thread_author_email,
        "canonical_url": m.canonical_url,
        "date_zone_unknown": m.date_zone_unknown,
    }


def link_dict(lr: LinkResult) -> dict[str, Any]:
    link, res = lr.link, lr.resolution
    return {
        "url": link.url,
        "file": link.file,
        "line": link.line,
        "column": link.column,
        "cell": link.cell,
        "kind": link.kind,
        "status": res.status,
        "http_status": res.http_status,
        "final_url": res.final_url,
        "redirects": list(res.redirects),
        "from_cache": res.from_cache,
        "metadata": metadata_dict(res.metadata) if res.metadata is not None else None,
        # extras
        "detail": res.detail,
        "canonical_url": res.canonical_url,
        "row_line": link.row_line,
    }


def _text(s: str | None) -> str | None:
    """Cell text as JSON can hold it: a byte that was not UTF-8 (kept as a surrogate
    escape when the file was read) becomes U+FFFD."""
    if s is None:
        return None
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return s


def row_dict(row: Row) -> dict[str, Any]:
    """A table row and what it claims (CONTRACT.md ``rows``); null where it says nothing."""
    c = row.claims
    st = c.status
    return {
        "file": row.file,
        "line": row.line,
        "date": c.date.isoformat() if c.date else None,
        "authors": [{"name": _text(p.name), "email": _text(p.email)} for p in c.authors],
        "title": _text(c.title),
        "version": st.version if st else None,
        "rfc": st.rfc if st else None,
        "merged": st.merged if st else None,
        "release": st.releases[0] if st and st.releases else None,
        "labels": [
            {
                "url": _text(link.url),
                "site": link.label.site,
                "version": link.label.version,
                "counter": link.label.counter,
                "total": link.label.total,
            }
            for link in row.links
            if link.label is not None
        ],
        # extras
        "end_line": row.end_line,
        "well_formed": row.well_formed,
        "status": _text(st.raw) if st else None,
    }


def _rows(report: Report) -> Iterator[Row]:
    for doc in report.documents:
        for table in doc.tables:
            yield from table.rows


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": f.code,
        "severity": f.severity,
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "url": f.url,
        "expected": f.expected,
        "actual": f.actual,
        "message": f.message,
        # extras
        "row_line": f.row_line,
        "fix": [{"start": e.start, "end": e.end, "new": e.new} for e in f.edits] or None,
    }
    for key, value in f.extra:
        if key not in _FINDING_KEYS:
            out[key] = value
    return out


def to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data, keys in the contract's order."""
    s = report.summary
    return {
        "schema": SCHEMA,
        "tool": {"name": "patchcrawl", "version": report.version},
        "generated_at": report.generated_at,
        "summary": {
            "files": s.files,
            "tables": s.tables,
            "rows": s.rows,
            "links": s.links,
            "table_links": s.table_links,
            "unique_urls": s.unique_urls,
            "by_status": by_status(report),
            "findings": by_severity(report),
            "requests": s.requests,
            "from_cache": s.from_cache,
            "seconds": round(float(s.seconds), 3),
            "complete": s.complete,
            # extras: why it is incomplete; what a baseline left out (only with one)
            "incomplete_reason": report.incomplete,
            **({} if report.suppressed is None else {"baseline_suppressed": report.suppressed}),
        },
        "links": [link_dict(lr) for lr in report.links],
        "findings": [finding_dict(f) for f in report.findings],
        "rows": [row_dict(r) for r in _rows(report)],
    }


def render_json(report: Report) -> str:
    """The report, indented, with each link and each finding on a line of its own."""
    return "".join(iter_json(report))


_BATCH = 1000  # items a chunk
# one encoder for every item: ``json.dumps`` with options builds a new one per call
_ITEM = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def iter_json(report: Report) -> Iterator[str]:
    """:func:`render_json` in chunks, so a caller can write a large report as it goes.

    ``json.dumps(indent=...)`` runs Python's pure-Python encoder: on 5,000 links it
    took longer than reading them from the cache. Here the long lists are encoded
    item by item with the C encoder, and neither all the items' dicts nor the whole
    text are ever held at once; the result is the same JSON value.
    """
    head = to_dict(dataclasses.replace(report, links=(), findings=(), documents=()))
    del head["links"], head["findings"], head["rows"]
    text = json_safe(json.dumps(head, ensure_ascii=False, indent=2))
    assert text.endswith("\n}")
    yield text[:-2]
    items: list[tuple[str, Iterable[dict[str, Any]]]] = [
        ("links", (link_dict(lr) for lr in report.links)),
        ("findings", (finding_dict(f) for f in report.findings)),
        ("rows", (row_dict(r) for r in _rows(report))),
    ]
    for key, dicts in items:
        yield f',\n  "{key}": ['
        sep = "\n"
        batch: list[str] = []
        for item in dicts:
            batch.append(sep + "    " + json_safe(_ITEM.encode(item)))
            sep = ",\n"
            if len(batch) >= _BATCH:
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)
        yield "\n  ]" if sep != "\n" else "]"
    yield "\n}\n"
