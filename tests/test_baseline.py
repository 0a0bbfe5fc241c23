"""Baselines: fingerprints that survive moving lines, filter, atomic write, errors."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from patchcrawl.baseline import (
    Baseline,
    baseline_data,
    fingerprint,
    fingerprints,
    load_baseline,
    write_baseline,
)
from patchcrawl.models import Document, Finding, FindingCode, Row, RowClaims, Table
from patchcrawl.settings import UsageError
from tests.test_reports_data import make_report

HEADER = "| 时间 | 特性 | 链接 |\n|---|---|---|\n"
ROW_A = "| 2020/01/01 | [Alpha](https://lore.kernel.org/all/a@x/) | v1 |\n"
ROW_B = "| 2020/02/02 | [Beta](https://lore.kernel.org/all/b@x/) | v2 |\n"


def build(prefix: str, rows: list[str], path: str = "data/doc.md") -> Document:
    """A document: ``prefix`` lines, the table header, then ``rows``."""
    text = prefix + HEADER
    parsed = []
    for r in rows:
        start = len(text.encode())
        line = text.count("\n") + 1
        text += r
        claims = RowClaims(None, None, (), None, None, None, None)
        parsed.append(Row(path, line, line, start, len(text.encode()) - 1, (), (), claims, 1, True))
    table = Table(path, prefix.count("\n") + 1, (), (), tuple(parsed))
    return Document(path, text.encode(), "utf-8", "\n", (table,), (), ())


def finding(
    doc: Document, row_index: int, code: FindingCode = "dead-link", url: str = "u"
) -> Finding:
    row = doc.rows[row_index]
    return Finding(
        code=code,
        severity="error",
        file=doc.path,
        line=row.line,
        column=14,
        message="m",
        url=url,
        row_line=row.line,
    )


def test_fingerprint_ignores_line_numbers_but_not_row_text() -> None:
    old = build("# t\n\n", [ROW_A, ROW_B])
    moved = build("# t\n\nintro paragraph\n\nmore\n\n", [ROW_B, ROW_A])
    edited = build("# t\n\n", [ROW_A.replace("Alpha", "Alpha!"), ROW_B])
    fa = fingerprints([finding(old, 0)], [old])[0]
    assert fingerprints([finding(moved, 1)], [moved])[0] == fa  # moved down, other order
    assert finding(moved, 1).line != finding(old, 0).line
    assert fingerprints([finding(edited, 0)], [edited])[0] != fa  # the row changed
    assert fingerprints([finding(old, 1)], [old])[0] != fa  # another row
    assert fingerprints([finding(old, 0, code="moved-link")], [old])[0] != fa
    assert fingerprints([finding(old, 0, url="v")], [old])[0] != fa
    # whitespace inside the row does not matter; ./ in the path neither
    spaced = build("# t\n\n", [ROW_A.replace("| v1 |", "|   v1   |"), ROW_B], path="./data/doc.md")
    assert fingerprints([finding(spaced, 0)], [spaced])[0] == fa
    assert fingerprint(finding(old, 0), " | a |  b | ") == fingerprint(finding(old, 0), "| a | b |")


def test_filter_new_and_known(tmp_path: Path) -> None:
    old = build("", [ROW_A, ROW_B])
    path = tmp_path / "baseline.json"
    write_baseline(str(path), [finding(old, 0)], [old])
    base = load_baseline(str(path))
    assert len(base) == 1
    later = build("# new heading\n\n", [ROW_B, ROW_A])
    known_f = finding(later, 1)
    new_f = finding(later, 0)
    new, known = base.filter([new_f, known_f], [later])
    assert new == [new_f] and known == [known_f]


def test_duplicates_are_counted(tmp_path: Path) -> None:
    doc = build("", [ROW_A, ROW_A, ROW_A])
    path = tmp_path / "b.json"
    write_baseline(str(path), [finding(doc, 0), finding(doc, 1)], [doc])
    data = json.loads(path.read_text())
    assert len(data["findings"]) == 1 and data["findings"][0]["count"] == 2
    new, known = load_baseline(str(path)).filter([finding(doc, i) for i in range(3)], [doc])
    assert len(known) == 2 and len(new) == 1 and new[0].line == doc.rows[2].line


def test_documents_or_disk_give_the_same_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = build("# t\n\n", [ROW_A, ROW_B])
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "doc.md").write_bytes(doc.raw)
    monkeypatch.chdir(tmp_path)
    fs = [finding(doc, 0), finding(doc, 1)]
    assert fingerprints(fs) == fingerprints(fs, [doc])
    prose = Finding("dead-link", "error", "data/doc.md", 1, 3, "m", url="u")
    assert fingerprints([prose]) == fingerprints([prose], [doc])


def test_the_report_round_trips(tmp_path: Path) -> None:
    report = make_report()
    path = tmp_path / "sub dir, x" / "baseline.json"
    path.parent.mkdir()
    write_baseline(str(path), report.findings, report.documents)
    new, known = load_baseline(str(path)).filter(report.findings, report.documents)
    assert new == [] and len(known) == len(report.findings)
    text = path.read_text(encoding="utf-8")
    assert "内存管理" in text  # messages are kept, UTF-8 as is
    data = json.loads(text)
    assert data["schema"] == "patchcrawl.baseline/1"
    assert [e["line"] for e in data["findings"]] == sorted(
        e["line"] for e in data["findings"] if e["file"] == data["findings"][0]["file"]
    ) + [e["line"] for e in data["findings"] if e["file"] != data["findings"][0]["file"]]
    # deterministic: writing again gives the same bytes
    before = path.read_bytes()
    write_baseline(str(path), report.findings, report.documents)
    assert path.read_bytes() == before
    assert baseline_data(report.findings, report.documents) == data


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text("old")
    write_baseline(str(path), [])
    assert json.loads(path.read_text())["findings"] == []
    assert sorted(os.listdir(tmp_path)) == ["b.json"]


def test_write_into_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot write the baseline"):
        write_baseline(str(tmp_path / "nope" / "b.json"), [])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "no such baseline file"),
        ("{", "invalid JSON"),
        ('{"schema": "other"}', "schema is not"),
        ('{"schema": "patchcrawl.baseline/1"}', "no 'findings' list"),
        ('{"schema": "patchcrawl.baseline/1", "findings": [{"count": 1}]}', "entry 0"),
    ],
)
def test_bad_baselines(tmp_path: Path, content: str | None, match: str) -> None:
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=match):
        load_baseline(str(path))


def test_empty_baseline_knows_nothing() -> None:
    doc = build("", [ROW_A])
    new, known = Baseline().filter([finding(doc, 0)], [doc])
    assert len(new) == 1 and known == []


def test_transient_details_do_not_make_a_finding_new() -> None:
    doc = build("", [ROW_A])
    a = finding(doc, 0, code="unreachable")
    b = fingerprints([replace(a, actual="timeout")], [doc])
    assert b == fingerprints([replace(a, actual="503")], [doc])
    d = finding(doc, 0, code="version-mismatch")
    assert fingerprints([replace(d, actual="v2")], [doc]) != fingerprints(
        [replace(d, actual="v3")], [doc]
    )
