"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One rule per finding code (all codes, in the contract's order, so ``ruleIndex``
is stable), one result per finding with its location relative to
``%SRCROOT%``, a ``partialFingerprints`` entry (the baseline fingerprint, which
ignores line numbers) so viewers keep a finding's identity across runs, and
``fixes`` for findings that carry edits (byte ranges, as SARIF's
``deletedRegion.byteOffset``/``byteLength`` expect).  Columns count Unicode code
points (``columnKind: unicodeCodePoints``), as patchcrawl's columns do.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from patchcrawl import PROJECT_URL
from patchcrawl.baseline import fingerprints
from patchcrawl.models import DEFAULT_SEVERITY, FINDING_CODES, Finding, Report
from patchcrawl.reports._common import RULE_TEXT, json_safe, url_end_columns

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "patchcrawlFindingHash/v1"


def artifact_location(path: str) -> dict[str, str]:
    """A relative path as a URI reference under %SRCROOT%; an absolute one as file:// URI."""
    posix = path.replace("\\", "/")
    if os.path.isabs(path):
        return {"uri": PurePosixPath(os.path.abspath(path)).as_uri()}
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix, safe="/-._~!$&'()*+=@"), "uriBaseId": "%SRCROOT%"}


def _rules(codes_used: set[str]) -> list[dict[str, Any]]:
    codes = list(FINDING_CODES) + sorted(c for c in codes_used if c not in FINDING_CODES)
    rules = []
    for code in codes:
        text = RULE_TEXT.get(code, code)
        rules.append(
            {
                "id": code,
                "name": "".join(p.capitalize() for p in code.split("-")),
                "shortDescription": {"text": text.split(":")[0].rstrip(".") + "."},
                "fullDescription": {"text": text},
                "helpUri": f"{PROJECT_URL}#{code}",  # README: a section per code
                "defaultConfiguration": {"level": LEVEL[DEFAULT_SEVERITY.get(code, "warning")]},
            }
        )
    return rules


def _message(f: Finding) -> str:
    text = f.message
    if f.url and f.url not in text:
        text += f" ({f.url})"
    return text


def _fix(f: Finding) -> dict[str, Any]:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(f.edits, key=lambda e: (e.file, e.start)):
        by_file.setdefault(e.file, []).append(
            {
                "deletedRegion": {"byteOffset": e.start, "byteLength": e.end - e.start},
                "insertedContent": {"text": e.new},
            }
        )
    what = "; ".join(f"{e.old!r} -> {e.new!r}" for e in f.edits)
    return {
        "description": {"text": f"replace {what}"},
        "artifactChanges": [
            {"artifactLocation": artifact_location(path), "replacements": reps}
            for path, reps in by_file.items()
        ],
    }


def _invocation(report: Report) -> dict[str, Any]:
    """An incomplete check did not succeed: its results are not all there is."""
    out: dict[str, Any] = {
        "executionSuccessful": report.summary.complete,
        "endTimeUtc": report.generated_at,
    }
    if report.incomplete is not None:
        out["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": report.incomplete}}
        ]
    return out


def to_sarif(report: Report) -> dict[str, Any]:
    index = {code: i for i, code in enumerate(FINDING_CODES)}
    extra_codes = sorted({f.code for f in report.findings} - set(FINDING_CODES))
    for i, code in enumerate(extra_codes, start=len(FINDING_CODES)):
        index[code] = i
    fps = fingerprints(report.findings, report.documents)
    ends = url_end_columns(report)
    results = []
    for f, fp, end in zip(report.findings, fps, ends, strict=True):
        region = {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)}
        if end is not None:  # the URL itself (endColumn: the column after it)
            region.update(endLine=region["startLine"], endColumn=end)
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL.get(f.severity, "warning"),
            "message": {"text": _message(f)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(f.file),
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fp},
        }
        props: dict[str, Any] = {}
        for key, value in (("url", f.url), ("expected", f.expected), ("actual", f.actual)):
            if value is not None:
                props[key] = value
        if f.row_line is not None:
            props["rowLine"] = f.row_line
        props.update(dict(f.extra))
        if props:
            result["properties"] = props
        if f.edits:
            result["fixes"] = [_fix(f)]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "patchcrawl",
                        "version": report.version,
                        "semanticVersion": report.version,
                        "informationUri": PROJECT_URL,
                        "rules": _rules({f.code for f in report.findings}),
                    }
                },
                "invocations": [_invocation(report)],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(report: Report) -> str:
    return json_safe(json.dumps(to_sarif(report), ensure_ascii=False, indent=2)) + "\n"
