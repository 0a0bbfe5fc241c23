"""Report renderers: json (own schema), sarif (official schema), junit, github, terminal, md."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

from patchcrawl.models import FINDING_CODES, Finding, Summary
from patchcrawl.reports import FORMATS, render
from patchcrawl.reports.github import annotation, escape_data, escape_property
from patchcrawl.reports.markdown import cell, link
from patchcrawl.reports.sarif import artifact_location
from patchcrawl.settings import UsageError
from patchcrawl.tables import line_texts
from tests.test_reports_data import OTHER, PATH, PW, make_report, make_scan_report

DATA = Path(__file__).parent / "data"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report_schema() -> Any:
    schema = _load("patchcrawl-report-1.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.fixture(scope="module")
def sarif_schema() -> Any:
    schema = _load("sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    return schema


# ---------------------------------------------------------------- json


def test_json_validates_and_keeps_the_contract_key_order(report_schema: Any) -> None:
    text = render(make_report(), "json")
    data = json.loads(text)
    jsonschema.Draft202012Validator(report_schema).validate(data)
    assert list(data) == ["schema", "tool", "generated_at", "summary", "links", "findings", "rows"]
    assert data["schema"] == "patchcrawl.report/1"
    assert data["tool"] == {"name": "patchcrawl", "version": "0.1.0"}
    assert list(data["summary"]) == [
        "files", "tables", "rows", "links", "table_links", "unique_urls", "by_status",
        "findings", "requests", "from_cache", "seconds", "complete", "incomplete_reason",
    ]  # fmt: skip
    assert data["summary"]["complete"] is True
    assert data["summary"]["findings"] == {"error": 8, "warning": 6, "info": 4}
    assert list(data["summary"]["by_status"])[:3] == ["ok", "moved", "dead"]
    link0 = data["links"][0]
    assert list(link0)[:12] == [
        "url", "file", "line", "column", "cell", "kind", "status", "http_status",
        "final_url", "redirects", "from_cache", "metadata",
    ]  # fmt: skip
    assert list(link0["metadata"])[:11] == [
        "source", "title", "subject", "version", "counter", "total", "prefixes",
        "author_name", "author_email", "date", "msgid",
    ]  # fmt: skip
    assert link0["metadata"]["version"] == 11 and link0["metadata"]["prefixes"] == ["tip"]
    assert link0["redirects"] == ["https://lore.kernel.org/r/example-0-ast@plumgrid.com"]
    f0 = data["findings"][0]
    assert list(f0)[:9] == [
        "code", "severity", "file", "line", "column", "url", "expected", "actual", "message",
    ]  # fmt: skip
    # indent 2, raw UTF-8 (no \\u escapes), one trailing newline
    assert text.startswith('{\n  "schema": "patchcrawl.report/1",\n  "tool": {\n    "name"')
    assert "内存管理" in text and "\\u5185" not in text
    assert text.endswith("}\n") and not text.endswith("\n\n")


def test_json_metadata_nulls_fixes_and_extras() -> None:
    data = json.loads(render(make_report(), "json"))
    by_status = {lr["status"]: lr for lr in data["links"]}
    # a page was read but only the title found: the other fields are null
    pay = by_status["paywalled"]["metadata"]
    assert pay["title"] == "Subscriber article"
    assert pay["author_name"] is None and pay["version"] is None and pay["msgid"] is None
    # no page read: metadata null
    assert by_status["dead"]["metadata"] is None
    assert by_status["unreachable"]["http_status"] is None
    fixes = {f["code"]: f for f in data["findings"]}
    assert fixes["version-mismatch"]["fix"] == [
        {"start": fixes["version-mismatch"]["fix"][0]["start"],
         "end": fixes["version-mismatch"]["fix"][0]["start"] + 3, "new": "v11"}
    ]  # fmt: skip
    assert fixes["dead-link"]["fix"] is None
    assert fixes["author-mismatch"]["score"] == "0.12"
    assert fixes["malformed-row"]["url"] is None and fixes["malformed-row"]["row_line"] == 3


def test_json_is_deterministic() -> None:
    assert render(make_report(), "json") == render(make_report(), "json")


def test_scan_json_validates(report_schema: Any) -> None:
    data = json.loads(render(make_scan_report(), "json"))
    jsonschema.Draft202012Validator(report_schema).validate(data)
    assert {lr["status"] for lr in data["links"]} == {"not-checked", "malformed"}
    assert all(lr["metadata"] is None for lr in data["links"])
    assert {f["code"] for f in data["findings"]} == {"malformed-url", "malformed-row"}


def test_schema_rejects_a_renamed_key(report_schema: Any) -> None:
    data = json.loads(render(make_report(), "json"))
    data["findings"][0]["severity_level"] = data["findings"][0].pop("severity")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(report_schema).validate(data)


# ---------------------------------------------------------------- sarif


def test_sarif_validates_against_the_official_schema(sarif_schema: Any) -> None:
    for report in (make_report(), make_scan_report(), make_report(with_documents=False)):
        data = json.loads(render(report, "sarif"))
        jsonschema.Draft4Validator(sarif_schema).validate(data)


def test_sarif_content() -> None:
    report = make_report()
    data = json.loads(render(report, "sarif"))
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "patchcrawl" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(FINDING_CODES)
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels["dead-link"] == "error" and levels["date-mismatch"] == "warning"
    assert levels["paywalled"] == "note"
    assert all(r["shortDescription"]["text"] for r in rules)
    results = run["results"]
    assert len(results) == len(report.findings)
    lines = {d.path: line_texts(d.raw) for d in report.documents}
    spans = 0
    for res, f in zip(results, report.findings, strict=True):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == f.code
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[f.severity]
        loc = res["locations"][0]["physicalLocation"]
        region = dict(loc["region"])
        end = region.pop("endColumn", None)
        assert region.pop("endLine", f.line) == f.line
        assert region == {"startLine": f.line, "startColumn": f.column}
        if end is not None:  # the region is the URL as written, columns in code points
            spans += 1
            assert lines[f.file][f.line - 1][f.column - 1 : end - 1] == f.url
        else:
            assert f.url is None or f.url not in lines.get(f.file, [""])[f.line - 1]
        assert len(res["partialFingerprints"]["patchcrawlFindingHash/v1"]) == 32
    assert spans == len([f for f in report.findings if f.url]) == 17
    first = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first == {
        "uri": "data/my%20docs%2C%20v2/bpf%20%E7%89%B9%E6%80%A7.md",
        "uriBaseId": "%SRCROOT%",
    }
    vm = next(r for r in results if r["ruleId"] == "version-mismatch")
    change = vm["fixes"][0]["artifactChanges"][0]
    rep = change["replacements"][0]
    f = next(f for f in report.findings if f.code == "version-mismatch")
    assert rep == {
        "deletedRegion": {"byteOffset": f.edits[0].start, "byteLength": 3},
        "insertedContent": {"text": "v11"},
    }
    raw = report.documents[0].raw
    assert raw[f.edits[0].start : f.edits[0].start + 3] == b"v10"
    assert "fixes" not in next(r for r in results if r["ruleId"] == "dead-link")
    # identical findings give identical fingerprints; different ones differ
    fps = [r["partialFingerprints"]["patchcrawlFindingHash/v1"] for r in results]
    assert len(set(fps)) == len(fps)
    again = json.loads(render(report, "sarif"))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in again] == [r["partialFingerprints"] for r in results]


def test_sarif_absolute_path_is_a_file_uri() -> None:
    loc = artifact_location("/tmp/a b/x.md")
    assert loc == {"uri": "file:///tmp/a%20b/x.md"}
    assert artifact_location("./x,y.md") == {"uri": "x%2Cy.md", "uriBaseId": "%SRCROOT%"}


# ---------------------------------------------------------------- junit


def test_junit_parses_and_has_a_case_per_row() -> None:
    text = render(make_report(), "junit")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [PATH, OTHER]
    main = suites[0]
    cases = main.findall("testcase")
    names = [c.get("name") for c in cases]
    assert names[:4] == [
        "line 5: tracing: attach eBPF programs to kprobes",
        "line 6: 内存管理: 新特性",
        "line 7: gone",
        "line 8: slow",
    ]
    assert names[4] == "line 10: https://example.com/a,b?x=1"  # the prose link with a finding
    assert all(c.get("classname") == PATH for c in cases)
    assert main.get("tests") == "5" and main.get("failures") == "5"
    row5 = cases[0].find("failure")
    assert row5 is not None and row5.get("type") == "patch-count-mismatch"
    assert "version-mismatch" in (row5.text or "")
    out = cases[0].find("system-out")
    assert out is not None and "moved-link" in (out.text or "")
    other = suites[1].findall("testcase")
    assert len(other) == 1 and other[0].find("failure") is None  # a warning is no failure
    assert root.get("tests") == "6" and root.get("failures") == "5"

    xml = JUnitXml.fromstring(text)
    suites_p = list(xml)
    assert suites_p[0].name == PATH
    assert suites_p[0].tests == 5 and suites_p[0].failures == 5
    first = next(iter(suites_p[0]))
    assert first.classname == PATH
    assert any(isinstance(r, Failure) for r in first.result)


def test_junit_scan_report_skips_unchecked_rows() -> None:
    text = render(make_scan_report(), "junit")
    xml = JUnitXml.fromstring(text)
    suite = next(iter(xml))
    cases = list(suite)
    assert len(cases) == 4  # 4 rows; the prose links have no finding
    kinds = [type(c.result[0]).__name__ if c.result else "pass" for c in cases]
    assert kinds == ["Skipped", "Skipped", "Skipped", "Failure"]
    assert isinstance(cases[0].result[0], Skipped)
    assert suite.skipped == 3 and suite.failures == 1


def test_junit_without_documents_groups_by_line() -> None:
    root = ET.fromstring(render(make_report(with_documents=False), "junit"))
    names = [c.get("name") or "" for c in root.iter("testcase")]
    assert names[0].startswith("line 5: ")
    assert root.get("failures") == "5"


# ---------------------------------------------------------------- github


def test_github_escaping() -> None:
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotations() -> None:
    text = render(make_report(), "github")
    lines = text.rstrip("\n").split("\n")
    assert len(lines) == len(make_report().findings) + 1
    assert lines[-1] == (
        "patchcrawl: 2 files · 4 rows · 13 links · 8 errors, 6 warnings, 4 info · "
        "17 requests, 2 from cache · 1.9 s"
    )
    gone = next(line for line in lines if "410 Gone" in line)
    assert gone == (
        "::error file=data/my docs%2C v2/bpf 特性.md,line=10,col=10,endLine=10,endColumn=36,"
        "title=dead-link::"
        "410 Gone%0Asecond line: 100%25 sure (https://example.com/a,b?x=1)"
    )
    assert any(line.startswith("::notice ") and "title=paywalled" in line for line in lines)
    assert any(line.startswith("::warning ") and "title=moved-link" in line for line in lines)
    pattern = re.compile(
        r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+(,endLine=\d+,endColumn=\d+)?"
        r",title=[\w-]+::"
    )
    assert all(pattern.match(line) for line in lines[:-1])


def test_github_property_with_colon() -> None:
    f = Finding(code="dead-link", severity="error", file="C:/x,y.md", line=1, column=2, message="m")
    assert annotation(f) == "::error file=C%3A/x%2Cy.md,line=1,col=2,title=dead-link::m"


# ---------------------------------------------------------------- terminal


def test_terminal_plain_text() -> None:
    text = render(make_report(), "terminal")
    assert "\x1b" not in text
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 120
    assert all(line == line.rstrip() for line in lines)
    assert lines[0].startswith(f"{PATH}  (8 errors, 5 warnings, 4 info)")
    assert lines[-1] == (
        "2 files · 4 rows · 13 links · 8 errors, 6 warnings, 4 info · "
        "17 requests, 2 from cache · 1.9 s"
    )
    assert "version-mismatch" in text and "6:100" in text and "张三" in text
    assert text == render(make_report(), "terminal")


def test_terminal_color_has_ansi() -> None:
    assert "\x1b[" in render(make_report(), "terminal", color=True)


def test_terminal_scan_report() -> None:
    text = render(make_scan_report(), "terminal")
    assert "1 table · 4 rows · 13 links (11 in table rows)" in text
    assert "links by kind: lore-message 2, lore-patchwork-legacy 2" in text
    assert "malformed-row" in text and "malformed-url" in text
    assert "requests" not in text.splitlines()[-1]


def test_terminal_no_findings() -> None:
    r = make_report()
    s = replace(r.summary, findings=(("error", 0), ("warning", 0), ("info", 0)))
    text = render(replace(r, findings=(), summary=s), "terminal")
    assert "no findings" in text and "0 errors, 0 warnings" in text


# ---------------------------------------------------------------- markdown


def test_markdown_report() -> None:
    text = render(make_report(), "markdown")
    assert text.startswith("## patchcrawl verify report\n")
    assert "| 2 | 1 | 4 | 13 | 11 | 11 | 8 | 6 | 4 | 17 | 2 | 1.9 |" in text
    assert "<details><summary>17 findings</summary>" in text  # long file collapsed
    assert "### `data/other.md` (1 warning)" in text
    assert "the series has 0/9 \\| 10" in text  # a pipe never breaks the table
    assert f"[{PW}]({PW})" in text
    assert "| `dead-link` | error | 2 |" in text
    assert "410 Gone second line" in text
    # every table line has the same number of unescaped pipes as its header
    for block in text.split("\n\n"):
        rows = [ln for ln in block.splitlines() if ln.startswith("|")]
        if rows:
            counts = {len(re.findall(r"(?<!\\)\|", ln)) for ln in rows}
            assert len(counts) == 1, block


def test_markdown_helpers() -> None:
    assert cell("a|b<c>\nd") == "a\\|b&lt;c&gt; d"
    assert link("https://x.org/a b(1)") == "[https://x.org/a b(1)](https://x.org/a%20b%281%29)"


def test_markdown_no_findings() -> None:
    r = make_report()
    text = render(replace(r, findings=()), "markdown")
    assert "No findings." in text and "Findings by code" not in text


# ---------------------------------------------------------------- dispatch


def test_every_format_renders_an_empty_report() -> None:
    empty = replace(
        make_report(),
        links=(),
        findings=(),
        documents=(),
        summary=Summary(0, 0, 0, 0, 0, 0, (), (), 0, 0, 0.0),
    )
    for fmt in FORMATS:
        assert render(empty, fmt)


def test_unknown_format() -> None:
    with pytest.raises(UsageError, match="unknown report format 'xml'"):
        render(make_report(), "xml")


def test_markdown_caps_the_number_of_rows() -> None:
    from patchcrawl.reports.markdown import render_markdown

    text = render_markdown(make_report(), max_rows=5)
    assert "_13 more findings not shown here; see the JSON or SARIF report._" in text
    assert (
        text.count("| 🔴 error |") + text.count("| 🟡 warning |") + text.count("| 🔵 info |") == 5
    )
    assert "### `data/other.md`" not in text  # its file section fell beyond the cap
