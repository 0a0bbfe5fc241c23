"""``--format junit``: JUnit XML for CI test-report views.

* one ``<testsuite>`` per file (name = the path as given) with its counts;
* one ``<testcase>`` per table row: ``classname`` = the file, ``name`` =
  ``line N: <row title>``; its ``error`` findings become one ``<failure>``
  (type = the first code, every finding listed in the text), warnings and info
  go to ``<system-out>``; a row whose links were not checked (offline, scan)
  and that has no finding is ``<skipped>``;
* one ``<testcase>`` per prose link (outside table rows) that has findings;
* findings that belong to neither (a malformed row outside any table, or a
  report without documents) get a test case of their own per line.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from patchcrawl.models import Finding, Report, Row, RowIndex
from patchcrawl.reports._common import files_in_order, findings_by_file, links_by_file

_MAX_NAME = 120


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (control characters other than tab/newline)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or (" " <= ch <= "\ud7ff")
        or ("\ue000" <= ch <= "\ufffd")
        or ch >= "\U00010000"
    )


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= _MAX_NAME else one[: _MAX_NAME - 1] + "…"


def _describe(f: Finding) -> str:
    parts = [f"{f.file}:{f.line}:{f.column}: {f.severity} {f.code}: {f.message}"]
    if f.url:
        parts.append(f"  url: {f.url}")
    if f.expected is not None or f.actual is not None:
        parts.append(f"  expected: {f.expected!s}  actual: {f.actual!s}")
    return "\n".join(parts)


class _Suite:
    def __init__(self, path: str) -> None:
        self.el = ET.Element("testsuite", name=_clean(path))
        self.path = path
        self.tests = self.failures = self.skipped = 0

    def case(
        self,
        name: str,
        findings: Sequence[Finding],
        *,
        skipped: str | None = None,
    ) -> None:
        tc = ET.SubElement(
            self.el, "testcase", classname=_clean(self.path), name=_clean(name), time="0"
        )
        self.tests += 1
        errors = [f for f in findings if f.severity == "error"]
        others = [f for f in findings if f.severity != "error"]
        if errors:
            self.failures += 1
            msg = (
                errors[0].message
                if len(errors) == 1
                else f"{len(errors)} errors: " + ", ".join(sorted({f.code for f in errors}))
            )
            fail = ET.SubElement(tc, "failure", message=_clean(msg), type=errors[0].code)
            fail.text = _clean("\n".join(_describe(f) for f in errors))
        elif skipped is not None and not others:
            self.skipped += 1
            ET.SubElement(tc, "skipped", message=_clean(skipped))
        if others:
            out = ET.SubElement(tc, "system-out")
            out.text = _clean("\n".join(_describe(f) for f in others))

    def finish(self) -> ET.Element:
        self.el.set("tests", str(self.tests))
        self.el.set("failures", str(self.failures))
        self.el.set("errors", "0")
        self.el.set("skipped", str(self.skipped))
        self.el.set("time", "0")
        return self.el


def _row_name(row: Row) -> str:
    title = row.claims.title or " ".join(c.text.strip() for c in row.cells[:3] if c.text.strip())
    return f"line {row.line}: {_short(title) or 'row'}"


_NOT_CHECKED = "links not checked (offline, scan or network unavailable)"


def _incomplete_suite(sentence: str) -> ET.Element:
    """The check itself as a test case in error: a CI view must not show an incomplete
    check as all green."""
    suite = ET.Element(
        "testsuite", name="patchcrawl", tests="1", failures="0", errors="1", skipped="0"
    )
    suite.set("time", "0")
    tc = ET.SubElement(
        suite, "testcase", classname="patchcrawl", name="every link checked", time="0"
    )
    err = ET.SubElement(tc, "error", message=_clean(sentence), type="incomplete")
    err.text = _clean(sentence)
    return suite


def to_element(report: Report) -> ET.Element:
    root = ET.Element("testsuites", name="patchcrawl")
    grouped = findings_by_file(report)
    links = links_by_file(report)
    docs = {d.path: d for d in report.documents}
    total = failures = skipped = errors = 0
    # a row whose links could not be checked has not passed: skipped (with the network
    # down every link that was tried is unreachable, and no finding was made from it)
    not_checked = {"not-checked", "unreachable"} if report.network_down else {"not-checked"}
    for path in files_in_order(report):
        suite = _Suite(path)
        left = list(grouped.get(path, []))
        file_links = links.get(path, [])
        doc = docs.get(path)
        if doc is not None:
            index = RowIndex(doc)
            in_row: dict[int, list[Finding]] = {}
            outside: list[Finding] = []
            for f in left:
                row_of = index.of(f)
                if row_of is None:
                    outside.append(f)
                else:
                    in_row.setdefault(row_of.line, []).append(f)
            unchecked = {
                lr.link.row_line for lr in file_links if lr.resolution.status in not_checked
            }
            for row in index.rows:
                skip = _NOT_CHECKED if row.line in unchecked else None
                suite.case(_row_name(row), in_row.get(row.line, []), skipped=skip)
            left = outside
        # prose links (not in a table row) that have findings
        at_link: dict[tuple[str | None, int, int], list[Finding]] = {}
        for f in left:
            at_link.setdefault((f.url, f.line, f.column), []).append(f)
        taken: set[int] = set()
        for lr in file_links:
            if lr.link.row_line is not None and doc is not None:
                continue
            mine = at_link.pop((lr.link.url, lr.link.line, lr.link.column), [])
            if mine:
                taken.update(id(f) for f in mine)
                suite.case(f"line {lr.link.line}: {_short(lr.link.url)}", mine)
        left = [f for f in left if id(f) not in taken]
        # whatever is left: one case per (row) line
        by_line: dict[int, list[Finding]] = {}
        for f in left:
            by_line.setdefault(f.row_line or f.line, []).append(f)
        for line, fs in sorted(by_line.items()):
            codes = ", ".join(sorted({f.code for f in fs}))
            suite.case(f"line {line}: {codes}", fs)
        root.append(suite.finish())
        total += suite.tests
        failures += suite.failures
        skipped += suite.skipped
    if report.incomplete is not None:
        root.append(_incomplete_suite(report.incomplete))
        total += 1
        errors += 1
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    root.set("time", f"{report.summary.seconds:.3f}")
    return root


def render_junit(report: Report) -> str:
    root = to_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
