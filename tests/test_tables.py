"""tables.py: tables, rows, cells, links and their exact positions."""

# ruff: noqa: E501  (table rows are clearer on one line)

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from patchcrawl.models import Document
from patchcrawl.settings import UsageError
from patchcrawl.tables import extract_links, scan_bytes, scan_file, scan_paths
from tests.scan_helpers import check_positions

HEADER = "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
HEADER5 = (
    "| 时间  | 特性 | 描述 | 是否合入主线 | 链接 |\n|:----:|:----:|:---:|:----------:|:---:|\n"
)
ROW = (
    "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | "
    "[tracing: attach eBPF programs to kprobes](https://lore.kernel.org/patchwork/cover/555274) | "
    "NA | v11 ☑ 4.1-rc1 | "
    "[PatchWork v10 0/9](https://lore.kernel.org/lkml/1427312966-8434-1-git-send-email-ast@plumgrid.com)"
    "<br>*-*-*-*-*-*-*-* <br>[LORE v11,0/9](https://lore.kernel.org/all/abc@x.com/) |\n"
)


def scan(text: str | bytes, path: str = "doc.md") -> Document:
    raw = text.encode() if isinstance(text, str) else text
    doc = scan_bytes(path, raw)
    check_positions(doc)
    return doc


def codes(doc: Document) -> list[str]:
    return [f.code for f in doc.findings]


def test_feature_row_claims_and_links() -> None:
    doc = scan("# BPF\n\n" + HEADER + ROW)
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.line == 3
    assert table.roles == ("date", "author", "feature", "description", "status", "links")
    (row,) = table.rows
    assert (row.line, row.end_line, row.table_line, row.well_formed) == (5, 5, 3, True)
    c = row.claims
    assert c.date == dt.date(2015, 3, 25)
    assert [(p.name, p.email) for p in c.authors] == [("Alexei Starovoitov", "ast@plumgrid.com")]
    assert c.title == "tracing: attach eBPF programs to kprobes"
    assert c.status is not None and (c.status.version, c.status.merged) == (11, True)
    assert c.status.releases == ("4.1-rc1",)
    assert [lk.cell for lk in row.links] == ["feature", "links", "links"]
    assert [lk.kind for lk in row.links] == [
        "lore-patchwork-legacy",
        "lore-message",
        "lore-message",
    ]
    lab = row.links[1].label
    assert lab is not None and (lab.site, lab.version, lab.counter, lab.total) == (
        "patchwork",
        10,
        0,
        9,
    )
    assert all(lk.row_line == 5 for lk in row.links)
    assert doc.findings == ()
    assert doc.newline == "\n" and doc.encoding == "utf-8"


def test_english_header() -> None:
    doc = scan(
        "| Date | Author | Feature | Description | Merged | Links |\n|---|---|---|---|---|---|\n"
        "| 2020/01/02 | A B <a@b.org> | [t](https://lwn.net/Articles/1/) | d | v2 ☐ | [LORE v2,0/3](https://lore.kernel.org/all/m@x/) |\n"
    )
    (row,) = doc.rows
    assert row.claims.status is not None and row.claims.status.version == 2
    assert row.links[1].label is not None and row.links[1].label.version == 2


def test_five_column_header_and_six_cell_rows() -> None:
    doc = scan(
        HEADER5
        + "| 2019/01/16 | [sched/fair: PELT](https://lore.kernel.org/patchwork/cover/1034952) | d | v9 ☑  5.1-rc1 | [v9](https://lore.kernel.org/patchwork/cover/1034952) |\n"
        + "| 2017/12/18 | Mel Gorman | [Reduce](https://lore.kernel.org/patchwork/cover/864391) | 优化 | v1 ☐ | [PatchWork](https://lore.kernel.org/patchwork/cover/864391) |\n"
    )
    r1, r2 = doc.rows
    assert r1.claims.authors == () and r1.claims.status is not None and r1.well_formed
    assert [c.role for c in r2.cells] == [
        "date",
        "author",
        "feature",
        "description",
        "status",
        "links",
    ]
    assert r2.claims.authors[0].name == "Mel Gorman" and not r2.well_formed
    assert r2.links[-1].cell == "links"
    assert codes(doc) == ["malformed-row"] and doc.findings[0].line == 4


def test_other_tables_have_role_other_and_no_claims() -> None:
    doc = scan(
        "| 编号 | 时间 | 作者 | 补丁 |\n|---|---|---|---|\n| 1 | 2020/01/01 | X <x@y.z> | [p](https://lwn.net/Articles/5/) |\n| 2 |\n"
    )
    (table,) = doc.tables
    assert set(table.roles) == {"other"}
    assert all(r.claims.date is None and r.claims.authors == () for r in table.rows)
    assert doc.links[0].cell == "other" and doc.links[0].row_line == 3
    assert doc.findings == ()  # fewer cells are fine in a plain GFM table


def test_broken_row_without_leading_pipe_is_joined() -> None:
    doc = scan(
        HEADER
        + "| 2021/08/30 | K D <m@g.com> | [Support calls](https://patchwork.kernel.org/project/netdevbpf/cover/1-m@g.com) | 这组补丁\n"
        + "它还将 TCP. | v1 ☐ | [PatchWork bpf-next,RFC,v1,0/8](https://patchwork.kernel.org/project/netdevbpf/cover/1-m@g.com) |\n"
    )
    (row,) = doc.rows
    assert (row.line, row.end_line) == (3, 4)
    assert row.claims.status is not None and row.claims.status.version == 1
    assert row.links[-1].line == 4 and row.links[-1].label is not None
    assert row.links[-1].label.prefixes == ("bpf-next",) and row.links[-1].label.rfc
    assert codes(doc) == ["malformed-row"]


def test_broken_row_with_leading_pipe_on_second_line() -> None:
    doc = scan(
        HEADER
        + "| 2021/01/15 | Yi Tao <e@l.com> | [add CONFIG_CGROUP_CACHE](https://github.com/x/linux/commit/021d) | 自研特性.\n"
        + " | 自研 NA | [COMMIT](https://github.com/x/linux/commit/021d) |\n"
    )
    (row,) = doc.rows
    assert row.end_line == 4
    assert row.cell("links") is not None and row.links[-1].cell == "links"


def test_pipe_in_backticks_and_link_text() -> None:
    doc = scan(
        HEADER
        + "| 2019/08/07 | S C <s@a.com> | [Enable FEAT_LPA2 (4K|16K pages)](https://lwn.net/Articles/849538) | `a|b` x | RFC,V2 ☐ 5.14 | [PatchWork RFC,V2,00/10](https://patchwork.kernel.org/project/linux-mm/cover/1-a@arm.com) |\n"
    )
    (row,) = doc.rows
    assert row.claims.title == "Enable FEAT_LPA2 (4K|16K pages)"
    assert row.cell("description") is not None
    assert (
        row.claims.status is not None and row.claims.status.rfc and row.claims.status.version == 2
    )
    assert not row.well_formed and codes(doc) == ["malformed-row"]


def test_stray_pipe_in_links_cell_and_lone_pipe_line() -> None:
    doc = scan(
        HEADER
        + "| 2021/07/20 | k@l.com <k@l.com> | [perf: Save](https://lore.kernel.org/all/1-k@l.com) | d | v6 ☐☑✓ | [LORE v6,0/6](https://lore.kernel.org/all/1-k@l.com)|<br>*-*-*-*-*-*-*-* <br>[2025/03/14, LORE v10,0/7](https://lore.kernel.org/all/2-k@l.com) |\n"
        + " |\n"
    )
    (row,) = doc.rows
    assert [lk.cell for lk in row.links] == ["feature", "links", "links"]
    assert row.links[2].label is not None and row.links[2].label.date == dt.date(2025, 3, 14)
    assert row.claims.authors[0].email == "k@l.com" and row.claims.authors[0].name is None
    assert codes(doc) == ["malformed-row", "malformed-row"]


def test_extra_empty_cell_junk_before_and_after() -> None:
    doc = scan(
        HEADER
        + "| 2017/01/19 | Peter Zijlstra | [sched/core](https://lkml.org/lkml/2017/1/19/687) | NA | | v1 ☑ 4.11-rc1 | [PatchWork](https://lore.kernel.org/patchwork/patch/755854), [LKML](https://lkml.org/lkml/2017/1/19/687) |\n"
        + "wojiush| 2023/03/27 | Aaron Lu <a@i.com> | [sched/fair](https://lore.kernel.org/all/2@z) | d | v1 ☐☑✓ | [LORE](https://lore.kernel.org/all/2@z) |\n"
        + "| 2021/01/22 | V S | [numa](https://lore.kernel.org/patchwork/cover/1369363) | 修复 | v1 | [PatchWork](https://lore.kernel.org/patchwork/cover/1369363) |2021/01/15 \n"
    )
    r1, r2, r3 = doc.rows
    assert r1.claims.status is not None and r1.claims.status.releases == ("4.11-rc1",)
    assert [lk.kind for lk in r1.links] == ["lkml-org", "lore-patchwork-legacy", "lkml-org"]
    assert r2.claims.date == dt.date(2023, 3, 27) and r2.claims.authors[0].name == "Aaron Lu"
    assert r3.claims.status is not None and r3.claims.status.version == 1
    assert r3.links[-1].cell == "links"
    assert codes(doc) == ["malformed-row"] * 3


def test_missing_cells_are_read_by_content() -> None:
    doc = scan(
        HEADER
        + "| 2020/02/07 | 王贇 | [sched/numa](https://lore.kernel.org/patchwork/cover/1190383) | per-cgroup | [PatchWork v8](https://lore.kernel.org/patchwork/cover/1190383) |\n"
        + "| 2016/01/26 | [ARM: flip](https://git.kernel.org/x/commit/?id=abcdef1) | d | v1 ☑ 4.6-rc1 | [LKML](https://lkml.org/lkml/2016/1/26/1) |\n"
    )
    r1, r2 = doc.rows
    assert r1.claims.authors[0].name == "王贇" and r1.claims.status is None
    assert r1.links[-1].label is not None and r1.links[-1].label.version == 8
    assert r2.claims.authors == () and r2.claims.status is not None
    assert codes(doc) == ["malformed-row", "malformed-row"]


def test_unreadable_row_is_reported_not_claimed() -> None:
    doc = scan(HEADER + "| a | b | c | d | e | f | g | h | i |\n")
    (row,) = doc.rows
    assert row.claims.status is None and not row.well_formed
    assert codes(doc) == ["malformed-row"] and "cannot tell" in doc.findings[0].message


def test_headerless_rows_one_finding_per_block() -> None:
    body = "".join(
        f"| 2022/11/{d:02d} | X <x@y.com> | [t](https://lore.kernel.org/all/{d}@y/) | 1 | v4 ☐☑ | |\n"
        for d in range(1, 5)
    )
    doc = scan("## TODO\n\n" + body + "\ntext\n\n" + body[: body.index("\n") + 1])
    assert doc.tables == ()
    assert codes(doc) == ["malformed-row", "malformed-row"]
    assert doc.findings[0].line == 3 and doc.findings[0].message.startswith("4 table rows")
    assert doc.findings[1].message.startswith("1 table row ")
    assert all(lk.cell == "none" and lk.row_line is None for lk in doc.links)
    assert len(doc.links) == 5


def test_code_blocks_and_spans_are_skipped() -> None:
    doc = scan(
        "```\nhttps://fenced.example.com/a\n```\n"
        "~~~md\n[x](https://tilde.example.com/)\n~~~\n"
        "\n    https://indented.example.com/\n\n"
        "text `https://span.example.com/` and https://real.example.com/x.\n"
        "- item\n\n    https://list-continuation.example.com/\n"
    )
    assert [lk.url for lk in doc.links] == [
        "https://real.example.com/x",
        "https://list-continuation.example.com/",
    ]


@pytest.mark.parametrize(
    ("md", "urls", "texts"),
    [
        ("[t](<https://a.com/x y>)", ["https://a.com/x y"], ["t"]),
        ('[t](https://a.com/x "title")', ["https://a.com/x"], ["t"]),
        ("[t](https://a.com/x_(y))", ["https://a.com/x_(y)"], ["t"]),
        ("[LWN]()", [""], ["LWN"]),
        ('<a href="https://a.com/h">home</a>', ["https://a.com/h"], ["home"]),
        ("<https://a.com/auto>", ["https://a.com/auto"], [None]),
        ("<x@y.com> <jose-AT-oracle.com>", [], []),
        ("see https://a.com/b). more", ["https://a.com/b"], [None]),
        ("(see https://a.com/b_(c))", ["https://a.com/b_(c)"], [None]),
        ("参见https://a.com/中文，后面。", ["https://a.com/"], [None]),
        ("链接：https://a.com/x）。", ["https://a.com/x"], [None]),
        ("end https://a.com/x;", ["https://a.com/x"], [None]),
        ("![img](https://a.com/i.png)", ["https://a.com/i.png"], ["img"]),
        (
            "[![b](https://a.com/b.svg)](https://a.com/)",
            ["https://a.com/b.svg", "https://a.com/"],
            ["b", "![b](https://a.com/b.svg)"],
        ),
        ("[toc](#anchor) [rel](./x.md)", [], []),
        ("[[PATCH] x](https://a.com/p)", ["https://a.com/p"], ["[PATCH] x"]),
    ],
)
def test_inline_forms(md: str, urls: list[str], texts: list[str | None]) -> None:
    doc = scan(md + "\n")
    assert [lk.url for lk in doc.links] == urls
    assert [lk.text for lk in doc.links] == texts
    assert all(lk.cell == "none" for lk in doc.links)


def test_empty_target_is_malformed_url() -> None:
    doc = scan(
        HEADER5
        + "| 1991/01/01 | [示例 sched]() | 描述 | ☑ ☒☐ v3/5.4-rc1 | [LWN](), [PatchWork]() |\n"
    )
    assert [lk.kind for lk in doc.links] == ["malformed"] * 3
    assert codes(doc) == ["malformed-url"] * 3
    assert doc.findings[0].severity == "error"
    assert doc.rows[0].claims.title == "示例 sched"


def test_crlf_bom_cr_and_bad_bytes() -> None:
    text = "\ufeff# 标题\r\n\r\n" + (HEADER + ROW).replace("\n", "\r\n")
    doc = scan(text.encode("utf-8"))
    assert doc.encoding == "utf-8-sig" and doc.newline == "\r\n"
    assert doc.rows[0].line == 5 and doc.links[0].line == 5
    cr = scan((HEADER + ROW).replace("\n", "\r").encode())
    assert cr.newline == "\r" and cr.rows[0].claims.status is not None
    bad = b"\xff\xfe caf\xe9 https://a.com/x\n" + (HEADER + ROW).encode()
    bdoc = scan(bad)
    assert bdoc.encoding.startswith("utf-8") and bdoc.encoding != "utf-8"
    assert bdoc.links[0].url == "https://a.com/x" and bdoc.links[0].column == 9
    assert bdoc.rows[0].claims.title is not None


def test_title_without_link_and_range() -> None:
    doc = scan(
        HEADER
        + "| 2020/1/2 | A | 纯文本标题  | d | v1 ☐ | [LORE](https://lore.kernel.org/all/a@b/) |\n"
    )
    c = doc.rows[0].claims
    assert c.title == "纯文本标题" and c.date == dt.date(2020, 1, 2)


def test_extract_links_returns_char_indexes() -> None:
    (lk,) = extract_links("ab [x](https://q.com) cd")
    assert (lk.url_start, lk.url_end, lk.text_start, lk.text_end) == (7, 20, 4, 5)


def test_never_crashes_on_odd_input() -> None:
    for text in [
        "",
        "|",
        "|\n|-|",
        "| a |\n|---|\n|",
        "[",
        "[x](",
        "<a href='",
        "`",
        "\r",
        "\n\n|---|",
    ]:
        scan(text)


def test_scan_file_and_paths(tmp_path: Path) -> None:
    p = tmp_path / "a.md"
    p.write_text(HEADER + ROW, encoding="utf-8")
    assert scan_file(str(p)).rows[0].claims.title is not None
    with pytest.raises(UsageError, match=r"nope\.md"):
        scan_file(str(tmp_path / "nope.md"))
    with pytest.raises(UsageError):
        scan_file(str(tmp_path))
    (tmp_path / "b.markdown").write_text("x https://a.com/\n", encoding="utf-8")
    docs = scan_paths([str(tmp_path)])
    assert [os.path.basename(d.path) for d in docs] == ["a.md", "b.markdown"]


def test_backtick_pipes_rejoined_only_when_count_then_matches() -> None:
    doc = scan(
        HEADER
        + "| 2020/01/01 | A | [t](https://lwn.net/Articles/9/) | `foo | bar` baz | v1 ☐ | [LORE](https://lore.kernel.org/all/a@b/) |\n"
        + "| 2020/01/02 | A `x | [t](https://lwn.net/Articles/9/) | d `y | v2 ☐ | [LORE](https://lore.kernel.org/all/a@b/) |\n"
    )
    r1, r2 = doc.rows
    desc = r1.cell("description")
    assert desc is not None and desc.text.strip() == "`foo | bar` baz"
    assert r1.claims.status is not None and r1.claims.status.version == 1 and not r1.well_formed
    assert r2.well_formed and r2.claims.status is not None and r2.claims.status.version == 2
    assert [f.line for f in doc.findings] == [3]
