"""Severity overrides and ignores (settings -> findings)."""

from __future__ import annotations

import re

from patchcrawl.models import Finding, FindingCode
from patchcrawl.policy import apply_policy, ignore_matches
from patchcrawl.settings import Ignore, Settings

SPACED = "data/my docs, v2/bpf 特性.md"


def f(
    code: FindingCode = "dead-link",
    *,
    file: str = "data/a.md",
    line: int = 10,
    column: int = 5,
    url: str | None = "https://lore.kernel.org/all/x@y/",
    row_line: int | None = None,
    severity: str = "error",
) -> Finding:
    return Finding(
        code=code,
        severity=severity,  # type: ignore[arg-type]
        file=file,
        line=line,
        column=column,
        message=f"{code} here",
        url=url,
        row_line=row_line,
    )


def test_no_policy_only_sorts() -> None:
    items = [
        f("title-mismatch", file="b.md", line=1),
        f("moved-link", line=3, column=9),
        f("dead-link", line=3, column=9),
        f("dead-link", line=2),
    ]
    out = apply_policy(items, Settings())
    assert [(x.file, x.line, x.column, x.code) for x in out] == [
        ("b.md", 1, 5, "title-mismatch"),
        ("data/a.md", 2, 5, "dead-link"),
        ("data/a.md", 3, 9, "dead-link"),
        ("data/a.md", 3, 9, "moved-link"),
    ]
    assert apply_policy(list(reversed(items)), Settings()) == out


def test_severity_overrides_and_drops() -> None:
    s = Settings(severity=(("date-mismatch", "info"), ("moved-link", None), ("blocked", "error")))
    out = apply_policy(
        [f("date-mismatch", severity="warning"), f("moved-link", severity="warning"),
         f("blocked", severity="warning"), f("dead-link")],
        s,
    )  # fmt: skip
    assert {(x.code, x.severity) for x in out} == {
        ("date-mismatch", "info"),
        ("blocked", "error"),
        ("dead-link", "error"),
    }


def test_ignore_by_code_file_url_and_line() -> None:
    findings = [
        f("dead-link", file="data/old-2019.md"),
        f("title-mismatch", file="data/old-2019.md"),
        f("dead-link", file="./data/new.md", url="https://lwn.net/Articles/1/"),
        f("author-mismatch", file=SPACED, line=12, row_line=11),
        f("author-mismatch", file=SPACED, line=20, row_line=19),
        f("malformed-row", file="data/x.md", line=7, url=None),
    ]
    s = Settings(
        ignores=(
            Ignore(codes=("dead-link",), file="data/old-*.md"),
            Ignore(url=re.compile(r"^https://lwn\.net/")),
            Ignore(codes=("author-mismatch",), file="data/my docs, v2/*.md", line=11),
            Ignore(file="data/x.md", line=7),
        )
    )
    out = apply_policy(findings, s)
    assert [(x.file, x.code, x.line) for x in out] == [
        ("data/my docs, v2/bpf 特性.md", "author-mismatch", 20),
        ("data/old-2019.md", "title-mismatch", 10),
    ]


def test_ignore_matching_details() -> None:
    rule = Ignore(file="./data/*.md")
    assert ignore_matches(rule, f(file="data/a.md"))
    assert ignore_matches(rule, f(file="./data/a.md"))
    assert ignore_matches(rule, f(file="data/sub/a.md"))  # * crosses /
    assert not ignore_matches(rule, f(file="docs/a.md"))
    # a URL rule never matches a finding without a URL
    assert not ignore_matches(Ignore(url=re.compile(".")), f(url=None))
    # the row line is compared, not the link's line, when there is one
    assert ignore_matches(Ignore(file="data/a.md", line=9), f(line=10, row_line=9))
    assert not ignore_matches(Ignore(file="data/a.md", line=10), f(line=10, row_line=9))
    assert ignore_matches(Ignore(file="data/a.md", line=10), f(line=10))
    # codes narrow every other condition
    assert not ignore_matches(Ignore(codes=("moved-link",), file="data/a.md"), f())
