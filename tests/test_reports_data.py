"""Hand-built Reports for the report, policy and baseline tests (no tests here)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from patchcrawl.models import (
    DEFAULT_SEVERITY,
    FINDING_CODES,
    Document,
    Edit,
    Finding,
    FindingCode,
    Link,
    LinkResult,
    Metadata,
    Resolution,
    Row,
    RowClaims,
    Summary,
    Table,
)
from patchcrawl.models import Report as Report

PATH = "data/my docs, v2/bpf 特性.md"
OTHER = "data/other.md"

TEXT = (
    "# BPF 特性\n"
    "\n"
    "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:---:|:----:|:---:|:----:|:---------:|:----:|\n"
    "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | "
    "[tracing: attach eBPF programs to kprobes](https://lore.kernel.org/patchwork/cover/555274) "
    "| kprobe | v10 ☑ 4.1-rc1 "
    "| [PatchWork v10,0/9](https://lore.kernel.org/patchwork/cover/555274) |\n"
    "| 2020/01/01 | 张三 | [内存管理: 新特性](https://lore.kernel.org/all/abc@x.cn/) | 描述 "
    "| v2 ☐ | [LORE v2,0/3](https://lore.kernel.org/all/abc@x.cn/) |\n"
    "| 2021/02/02 | Bob | [gone](https://patchwork.kernel.org/project/x/cover/1/) | d "
    "| v1 ☐ | [LWN](https://lwn.net/Articles/1/) <br> [x](https://blocked.example/) |\n"
    "| 2021/03/03 | Eve | [slow](https://slow.example/x) | d | v1 ☐ "
    "| [a](https://skip.example/) [b](ftp://x) [c](http://[bad) |\n"
    "\n"
    "See also https://example.com/a,b?x=1 and <https://lwn.net/Articles/2/>.\n"
)
RAW = TEXT.encode("utf-8")


def pos(needle: str, nth: int = 0) -> tuple[int, int, int, int]:
    """(byte start, byte end, line, column) of the nth occurrence of needle in TEXT."""
    idx = -1
    for _ in range(nth + 1):
        idx = TEXT.index(needle, idx + 1)
    line = TEXT.count("\n", 0, idx) + 1
    col = idx - (TEXT.rfind("\n", 0, idx) + 1) + 1
    start = len(TEXT[:idx].encode())
    return start, start + len(needle.encode()), line, col


def line_range(line: int) -> tuple[int, int]:
    lines = TEXT.split("\n")
    start = len("\n".join(lines[: line - 1]).encode()) + (1 if line > 1 else 0)
    return start, start + len(lines[line - 1].encode())


def make_link(
    url: str, cell: str, kind: str, *, nth: int = 0, row_line: int | None = None, file: str = PATH
) -> Link:
    s, e, line, col = pos(url, nth)
    return Link(
        url=url,
        file=file,
        line=line,
        column=col,
        start=s,
        end=e,
        cell=cell,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        text=None,
        row_line=row_line,
    )


def make_row(line: int, title: str | None, links: tuple[Link, ...]) -> Row:
    s, e = line_range(line)
    claims = RowClaims(
        date=None,
        date_raw=None,
        authors=(),
        title=title,
        title_start=None,
        title_end=None,
        status=None,
    )
    return Row(
        file=PATH,
        line=line,
        end_line=line,
        start=s,
        end=e,
        cells=(),
        links=links,
        claims=claims,
        table_line=3,
        well_formed=True,
    )


LORE_META = Metadata(
    source="lore",
    title="tracing: attach eBPF programs to kprobes",
    subject="[PATCH v11 tip 0/9] tracing: attach eBPF programs to kprobes",
    version=11,
    counter=0,
    total=9,
    prefixes=("tip",),
    author_name="Alexei Starovoitov",
    author_email="ast@plumgrid.com",
    date="2015-03-25T19:49:17+00:00",
    msgid="example-0-ast@plumgrid.com",
    canonical_url="https://lore.kernel.org/all/example-0-ast@plumgrid.com/",
)
CJK_META = Metadata(
    source="lore",
    title="内存管理：全新特性",
    subject="[PATCH v2 0/4] 内存管理：全新特性",
    version=2,
    counter=0,
    total=4,
    author_name="李四",
    author_email=None,
    date="2020-01-01T00:00:00+08:00",
    msgid="abc@x.cn",
)

PW = "https://lore.kernel.org/patchwork/cover/555274"
LORE = "https://lore.kernel.org/all/abc@x.cn/"


def build_links() -> tuple[list[LinkResult], list[Row]]:
    l_feat = make_link(PW, "feature", "lore-patchwork-legacy", row_line=5)
    l_lbl = make_link(PW, "links", "lore-patchwork-legacy", nth=1, row_line=5)
    l_cjk = make_link(LORE, "feature", "lore-message", row_line=6)
    l_cjk2 = make_link(LORE, "links", "lore-message", nth=1, row_line=6)
    l_dead = make_link(
        "https://patchwork.kernel.org/project/x/cover/1/", "feature", "patchwork", row_line=7
    )
    l_pay = make_link("https://lwn.net/Articles/1/", "links", "lwn-article", row_line=7)
    l_blk = make_link("https://blocked.example/", "links", "other", row_line=7)
    l_slow = make_link("https://slow.example/x", "feature", "other", row_line=8)
    l_skip = make_link("https://skip.example/", "links", "other", row_line=8)
    l_ftp = make_link("ftp://x", "links", "other", row_line=8)
    l_bad = make_link("http://[bad", "links", "malformed", row_line=8)
    l_prose = make_link("https://example.com/a,b?x=1", "none", "other")
    l_prose2 = make_link("https://lwn.net/Articles/2/", "none", "lwn-article")
    moved = Resolution(
        url=PW,
        status="moved",
        http_status=200,
        final_url="https://lore.kernel.org/all/example-0-ast@plumgrid.com/",
        redirects=("https://lore.kernel.org/r/example-0-ast@plumgrid.com",),
        metadata=LORE_META,
        canonical_url=LORE_META.canonical_url,
    )
    results = [
        LinkResult(l_feat, moved),
        LinkResult(l_lbl, replace(moved, from_cache=True)),
        LinkResult(
            l_cjk,
            Resolution(url=LORE, status="ok", http_status=200, final_url=LORE, metadata=CJK_META),
        ),
        LinkResult(
            l_cjk2,
            Resolution(
                url=LORE,
                status="ok",
                http_status=200,
                final_url=LORE,
                metadata=CJK_META,
                from_cache=True,
            ),
        ),
        LinkResult(
            l_dead, Resolution(url=l_dead.url, status="dead", http_status=404, detail="404")
        ),
        LinkResult(
            l_pay,
            Resolution(
                url=l_pay.url,
                status="paywalled",
                http_status=200,
                metadata=Metadata(source="lwn", title="Subscriber article"),
            ),
        ),
        LinkResult(
            l_blk,
            Resolution(url=l_blk.url, status="blocked", http_status=403, detail="anubis challenge"),
        ),
        LinkResult(l_slow, Resolution(url=l_slow.url, status="unreachable", detail="timeout")),
        LinkResult(l_skip, Resolution(url=l_skip.url, status="skipped", detail="excluded")),
        LinkResult(l_ftp, Resolution(url=l_ftp.url, status="skipped", detail="not http")),
        LinkResult(l_bad, Resolution(url=l_bad.url, status="malformed", detail="bad host")),
        LinkResult(l_prose, Resolution(url=l_prose.url, status="dead", http_status=410)),
        LinkResult(l_prose2, Resolution(url=l_prose2.url, status="not-checked")),
    ]
    rows = [
        make_row(5, "tracing: attach eBPF programs to kprobes", (l_feat, l_lbl)),
        make_row(6, "内存管理: 新特性", (l_cjk, l_cjk2)),
        make_row(7, "gone", (l_dead, l_pay, l_blk)),
        make_row(8, "slow", (l_slow, l_skip, l_ftp, l_bad)),
    ]
    return results, rows


def build_findings(links: list[LinkResult]) -> list[Finding]:
    by_url = {lr.link.url: lr.link for lr in links}

    def at(code: FindingCode, url: str, message: str, **kw: Any) -> Finding:
        link = by_url[url]
        return Finding(
            code=code,
            severity=DEFAULT_SEVERITY[code],
            file=link.file,
            line=link.line,
            column=link.column,
            message=message,
            url=url,
            row_line=link.row_line,
            **kw,
        )

    vs, _ve, _, _ = pos("v10 ☑")
    fixed_url_s, fixed_url_e, _, _ = pos(PW, 0)
    out = [
        at(
            "moved-link",
            PW,
            "moved permanently to the lore message page",
            expected=PW,
            actual=LORE_META.canonical_url,
            edits=(Edit(PATH, fixed_url_s, fixed_url_e, str(LORE_META.canonical_url), PW),),
        ),
        at(
            "version-mismatch",
            PW,
            "table says v10, the cover letter says v11",
            expected="v10",
            actual="v11",
            edits=(Edit(PATH, vs, vs + 3, "v11", "v10"),),
        ),
        at(
            "patch-count-mismatch",
            PW,
            "label says 0/9, the series has 0/9 | 10",
            expected="0/9",
            actual="0/10",
        ),
        at(
            "title-mismatch",
            LORE,
            "title differs: 「内存管理: 新特性」 vs 「内存管理：全新特性」",
            expected="内存管理: 新特性",
            actual="内存管理：全新特性",
        ),
        at(
            "author-mismatch",
            LORE,
            "table says 张三, the message is from 李四",
            expected="张三",
            actual="李四",
            extra=(("score", "0.12"),),
        ),
        at(
            "date-mismatch",
            LORE,
            "dates differ by 400 days",
            expected="2020-01-01",
            actual="2021-02-05",
        ),
        at("dead-link", "https://patchwork.kernel.org/project/x/cover/1/", "404 Not Found"),
        at("paywalled", "https://lwn.net/Articles/1/", "LWN subscriber-only article"),
        at("blocked", "https://blocked.example/", "bot wall: anubis challenge"),
        at("unreachable", "https://slow.example/x", "timeout after 3 retries"),
        at("malformed-url", "http://[bad", "not a usable URL: bad host"),
        at("dead-link", "https://example.com/a,b?x=1", "410 Gone\nsecond line: 100% sure"),
        at(
            "author-email-missing",
            LORE,
            "author cell has no email; the mail is from 李四 <li@example.com>",
            expected="李四",
            actual="李四 <li@example.com>",
        ),
        at(
            "version-unconfirmed",
            PW,
            "table says v12, the row links v11; lore's search found no mail of this series",
            expected="v12",
            actual="v11",
        ),
        at(
            "release-mismatch",
            PW,
            "table says 4.0-rc1, mainline first has it in v4.1-rc1 (d3a2b1c tracing: ...)",
            expected="4.0-rc1",
            actual="4.1-rc1",
        ),
        at("not-in-mainline", LORE, "no commit of the series is in mainline up to v6.12"),
        at("merged-unmarked", LORE, "status says not merged; mainline has it since v6.1-rc1"),
        Finding(
            code="malformed-row",
            severity="warning",
            file=OTHER,
            line=3,
            column=1,
            message="row has 5 cells, the header 6",
            row_line=3,
        ),
    ]
    assert {f.code for f in out} == set(FINDING_CODES)
    return out


def make_report(*, with_documents: bool = True) -> Report:
    links, rows = build_links()
    findings = build_findings(links)
    doc = Document(
        path=PATH,
        raw=RAW,
        encoding="utf-8",
        newline="\n",
        tables=(Table(file=PATH, line=3, header=("时间",), roles=("date",), rows=tuple(rows)),),
        links=tuple(lr.link for lr in links),
        findings=(),
    )
    other = Document(
        path=OTHER,
        raw=b"# x\n\n| a | b |\n",
        encoding="utf-8",
        newline="\n",
        tables=(),
        links=(),
        findings=(),
    )
    by_status: dict[str, int] = {}
    for lr in links:
        by_status[lr.resolution.status] = by_status.get(lr.resolution.status, 0) + 1
    sev = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        sev[f.severity] += 1
    summary = Summary(
        files=2,
        tables=1,
        rows=4,
        links=len(links),
        table_links=sum(1 for lr in links if lr.link.cell != "none"),
        unique_urls=len({lr.link.url for lr in links}),
        by_status=tuple(by_status.items()),
        findings=tuple(sev.items()),
        requests=17,
        from_cache=2,
        seconds=1.94,
    )
    return Report(
        version="0.1.0",
        generated_at="2026-11-25T12:00:00Z",
        summary=summary,
        links=tuple(links),
        findings=tuple(findings),
        documents=(doc, other) if with_documents else (),
    )


def make_scan_report() -> Report:
    full = make_report()
    links = tuple(
        LinkResult(
            lr.link,
            Resolution(
                url=lr.link.url,
                status="malformed" if lr.link.kind == "malformed" else "not-checked",
            ),
        )
        for lr in full.links
    )
    findings = tuple(f for f in full.findings if f.code in ("malformed-row", "malformed-url"))
    counts: dict[str, int] = {}
    for lr in links:
        counts[lr.resolution.status] = counts.get(lr.resolution.status, 0) + 1
    summary = replace(
        full.summary,
        by_status=tuple(counts.items()),
        findings=(("error", 1), ("warning", 1), ("info", 0)),
        requests=0,
        from_cache=0,
        seconds=0.05,
    )
    return replace(full, links=links, findings=findings, summary=summary, command="scan")
