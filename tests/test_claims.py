"""claims.py: dates, authors, status cells and link labels (every variant in STATS.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from patchcrawl.claims import (
    deobfuscate_email,
    parse_authors,
    parse_date,
    parse_label,
    parse_status,
)


def _ident(i: int) -> int:
    return i


# All 81 status patterns of corpus/STATS.md (their first examples):
# (text, (version, rfc, merged, releases)) or None for an empty cell.
STATUS_CASES = [
    ("v1 ☐☑✓", (1, False, None, ())),
    ("v2 ☑ 5.10-rc1", (2, False, True, ("5.10-rc1",))),
    ("v5 ☑✓ 5.12-rc1", (5, False, True, ("5.12-rc1",))),
    ("v1 ☐", (1, False, False, ())),
    ("v2 ☐☑", (2, False, None, ())),
    ("v6 ☑ [5.2-rc1](https://kernelnewbies.org/Linux_5.2)", (6, False, True, ("5.2-rc1",))),
    ("v1 ☐☑✓ v6.13-rc1", (1, False, None, ("6.13-rc1",))),
    ("v4 ☐☑✓ 5.17-rc1", (4, False, None, ("5.17-rc1",))),
    ("v8 ☑ 5.9", (8, False, True, ("5.9",))),
    ("RFC ☐", (None, True, False, ())),
    ("v1", (1, False, None, ())),
    ("RFC ☑ 2.6.27-rc1", (None, True, True, ("2.6.27-rc1",))),
    ("v1 ☑✓ 2.5.37", (1, False, True, ("2.5.37",))),
    ("RFC v1 ☐", (1, True, False, ())),
    ("v17 ☐ 5.7-rc1", (17, False, False, ("5.7-rc1",))),
    ("v1 ☑ v2.6.19-rc1", (1, False, True, ("2.6.19-rc1",))),
    ("v17 ☑✓ v5.7-rc1", (17, False, True, ("5.7-rc1",))),
    (
        "v21 ☑ [5.11](https://kernelnewbies.org/Linux_5.11#Memory_management)",
        (21, False, True, ("5.11",)),
    ),
    ("RFC ☐ 5.14-rc1", (None, True, False, ("5.14-rc1",))),
    ("", None),
    ("v3 ☑✓", (3, False, True, ())),
    ("NA", (None, False, None, ())),
    ("☐", (None, False, False, ())),
    ("☑ 3.11-rc1", (None, False, True, ("3.11-rc1",))),
    ("RFC", (None, True, None, ())),
    ("RFC,v1 ☐", (1, True, False, ())),
    ("v1 ☐☑ 5.18-rc1", (1, False, None, ("5.18-rc1",))),
    ("v9 ☐☑ v6.1-rc1", (9, False, None, ("6.1-rc1",))),
    ("v1 4.15-rc2", (1, False, None, ("4.15-rc2",))),
    ("RFC v2 ☑ 5.9-rc1", (2, True, True, ("5.9-rc1",))),
    ("v1 ☐ 4.19", (1, False, False, ("4.19",))),
    (
        "v41 ☑✓ [5.11-rc1](https://lore.kernel.org/lkml/20201214114200.GD26358@zn.tnic/)",
        (41, False, True, ("5.11-rc1",)),
    ),
    ("v1 ☑", (1, False, True, ())),
    ("☑ 0.99.14", (None, False, True, ("0.99.14",))),
    ("RFC v2 ☐ 4.20", (2, True, False, ("4.20",))),
    ("v2 ☐ v5.14-rc4", (2, False, False, ("5.14-rc4",))),
    ("v1 ☑4.4", (1, False, True, ("4.4",))),
    ("v9 ☐☑✓ 6.2", (9, False, None, ("6.2",))),
    ("RFC,v5 ☑ 5.15-rc1", (5, True, True, ("5.15-rc1",))),
    ("v6 ☑ 4.8-rc1 & 4.9-rc1", (6, False, True, ("4.8-rc1", "4.9-rc1"))),
    ("2.4.0-test9pre1", (None, False, None, ("2.4.0-test9pre1",))),
    ("☐ 2.5.66", (None, False, False, ("2.5.66",))),
    ("v1 ☑ NA", (1, False, True, ())),
    ("v1☐☑✓", (1, False, None, ())),
    ("v2  5.13-rc1 ☑", (2, False, True, ("5.13-rc1",))),
    ("v3 ☑ 5.15_rc1", (3, False, True, ("5.15-rc1",))),
    ("v ☐☑✓", (None, False, None, ())),
    ("v2 ☐☑✓5.13-rc1", (2, False, None, ("5.13-rc1",))),
    (
        "v1 ☐ [4.0](http://web.yl.is.s.u-tokyo.ac.jp/~tosh/kml/kml/for4.x)",
        (1, False, False, ("4.0",)),
    ),
    ("v4 ☑ [5.5-rc1]()", (4, False, True, ("5.5-rc1",))),
    ("RRC,v3 ☐", (3, True, False, ())),
    ("v1 ☑ 2.6.25-rc1(部分合入)", (1, False, True, ("2.6.25-rc1",))),
    ("☐☑✓", (None, False, None, ())),
    (
        "v1 ☐☑✓ [6.6-rc1](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=bd30fe6a7d9b72e73c5ac9109cbc3066dde08034)",
        (1, False, None, ("6.6-rc1",)),
    ),
    ("☑ ☒☐ v3/5.4-rc1", (3, False, True, ("5.4-rc1",))),
    ("v14c ☑ 5.16-rc1", (14, False, True, ("5.16-rc1",))),
    ("RFC,0/8 ☐", (None, True, False, ())),
    ("v1 ☑✓ 2.6.34-rc", (1, False, True, ("2.6.34-rc",))),
    (
        "RFC ☐ v5.14-rc4-mmotm-2021-08-02-18-51",
        (None, True, False, ("5.14-rc4-mmotm-2021-08-02-18-51",)),
    ),
    ("☑ 0.99.13k", (None, False, True, ("0.99.13k",))),
    ("☑ 2.5.32~39", (None, False, True, ("2.5.32~39",))),
    (
        "RFC v4 ☑ [5.1-rc1](https://kernelnewbies.org/Linux_5.1#Memory_management)",
        (4, True, True, ("5.1-rc1",)),
    ),
    ("RFC v2 ☑ 4.8-rc1 & 4.9-rc1", (2, True, True, ("4.8-rc1", "4.9-rc1"))),
    ("v1 ☑✓ 3.6-rc1,3.7-rc1", (1, False, True, ("3.6-rc1", "3.7-rc1"))),
    ("v1 ☑✓3.17-rc1", (1, False, True, ("3.17-rc1",))),
    (
        "[2.6.18](https://elixir.bootlin.com/linux/v2.6.18/source/mm/vmscan.c#L1057)",
        (None, False, None, ("2.6.18",)),
    ),
    ("2.5.46", (None, False, None, ("2.5.46",))),
    ("v15 ☑ v6.1", (15, False, True, ("6.1",))),
    ("RFT ☐", (None, False, False, ())),
    ("RFC ☑", (None, True, True, ())),
    ("RFC, v2 ☐", (2, True, False, ())),
    ("v1 ☑ 2.5.60~33", (1, False, True, ("2.5.60~33",))),
    ("☐ 2.5.62 in Andrew Morton's tree", (None, False, False, ("2.5.62",))),
    ("v1 ☑ 2.6.26-rc8-mm1", (1, False, True, ("2.6.26-rc8-mm1",))),
    (
        "[openanolis, devel-5.10, PR #85](https://gitee.com/anolis/cloud-kernel/pulls/85/commits)",
        (None, False, None, ()),
    ),
    ("v1 ☑ v4", (1, False, True, ())),
    # a series version with a sub-revision ("CFS Bandwidth Control v7.2"), then a release
    ("v7.2 ☑ 2.6.23", (7, False, True, ("2.6.23",))),
    # ... but a dotted v-number with no release after the glyph stays a release
    ("v6.13 ☑", (None, False, True, ("6.13",))),
    ("☑ v6.13", (None, False, True, ("6.13",))),
    ("v1 ☑✓ v2.6.12", (1, False, True, ("2.6.12",))),
    ("RFC ☐☑✓", (None, True, None, ())),
    (
        "RFC ☑ [5.16-rc1](https://kernelnewbies.org/Linux_5.16#Add_cluster_scheduler_support_to_the_task_scheduler)",
        (None, True, True, ("5.16-rc1",)),
    ),
    (
        "v7 ☐☑✓ [v5.1-rc1](https://kernelnewbies.org/Linux_5.1#Safe_signal_delivery_in_presence_of_PID_reuse)",
        (7, False, None, ("5.1-rc1",)),
    ),
]


@pytest.mark.parametrize(("text", "expected"), STATUS_CASES)
def test_status_patterns(text: str, expected: tuple[object, ...] | None) -> None:
    st = parse_status(text, _ident)
    if expected is None:
        assert st is None
        return
    assert st is not None
    assert (st.version, st.rfc, st.merged, st.releases) == expected
    assert st.raw == text.strip()
    if st.version is not None:
        assert st.version_start is not None and st.version_end is not None
        assert st.version_text == text[st.version_start : st.version_end]
        assert st.version_text.lower().lstrip("v").startswith(str(st.version))


def test_status_glyphs_and_byte_ranges() -> None:
    st = parse_status("  v14c ☑ 5.16-rc1", lambda i: 100 + i)
    assert st is not None
    assert (st.version_text, st.version_start, st.version_end) == ("v14c", 102, 106)
    assert st.glyphs == "☑"
    st2 = parse_status("☑ ☒☐ v3/5.4-rc1", _ident)
    assert st2 is not None and st2.glyphs == "☑☒☐" and st2.merged is True
    st3 = parse_status("v1 ☐", _ident)
    assert st3 is not None and st3.merged is False


@pytest.mark.parametrize(
    ("text", "site", "version", "rfc", "prefixes", "counter", "total", "date", "vtext", "ctext"),
    [
        (
            "PatchWork v3,bpf-next,0/8",
            "patchwork",
            3,
            False,
            ("bpf-next",),
            0,
            8,
            None,
            "v3",
            "0/8",
        ),
        ("LORE v5,0/4", "lore", 5, False, (), 0, 4, None, "v5", "0/4"),
        ("2024/04/29, LORE v1,0/3", "lore", 1, False, (), 0, 3, dt.date(2024, 4, 29), "v1", "0/3"),
        ("2022/08/25 LORE v1,0/4", "lore", 1, False, (), 0, 4, dt.date(2022, 8, 25), "v1", "0/4"),
        ("2026/01/11, LORE v2, 0/7", "lore", 2, False, (), 0, 7, dt.date(2026, 1, 11), "v2", "0/7"),
        ("LKML V5 00/25", "lkml", 5, False, (), 0, 25, None, "V5", "00/25"),
        ("PatchWork -V10,0/9", "patchwork", 10, False, (), 0, 9, None, "V10", "0/9"),
        ("PatchWork 0/3,v4", "patchwork", 4, False, (), 0, 3, None, "v4", "0/3"),
        ("LORE series 1,v4,0/8", "lore", 4, False, (), 0, 8, None, "v4", "0/8"),
        ("PatchWork RFC,v8,0/4", "patchwork", 8, True, (), 0, 4, None, "v8", "0/4"),
        ("PatchWork RFC,00/43", "patchwork", None, True, (), 0, 43, None, None, "00/43"),
        (
            "PatchWork bpf-next,RFC,v1,0/8",
            "patchwork",
            1,
            True,
            ("bpf-next",),
            0,
            8,
            None,
            "v1",
            "0/8",
        ),
        ("PatchWork mm,v6,0/7", "patchwork", 6, False, ("mm",), 0, 7, None, "v6", "0/7"),
        (
            "2021/04/09 Patchwork RESEND",
            "patchwork",
            None,
            False,
            ("RESEND",),
            None,
            None,
            dt.date(2021, 4, 9),
            None,
            None,
        ),
        ("PatchWorkv2,0/3", "patchwork", 2, False, (), 0, 3, None, "v2", "0/3"),
        (
            "2021/06/10Patchwork v7,0/8",
            "patchwork",
            7,
            False,
            (),
            0,
            8,
            dt.date(2021, 6, 10),
            "v7",
            "0/8",
        ),
        ("v7 PatchWork", "patchwork", 7, False, (), None, None, None, "v7", None),
        ("LORE RFC v1,0/2", "lore", 1, True, (), 0, 2, None, "v1", "0/2"),
        ("LORE 0/5", "lore", None, False, (), 0, 5, None, None, "0/5"),
        ("LORE", "lore", None, False, (), None, None, None, None, None),
        ("COMMIT", "commit", None, False, (), None, None, None, None, None),
        ("关键 COMMIT", "commit", None, False, (), None, None, None, None, None),
        ("关注 commit", "commit", None, False, (), None, None, None, None, None),
        ("HISTORY COMMIT", "commit", None, False, (), None, None, None, None, None),
        ("CGIT", "commit", None, False, (), None, None, None, None, None),
        ("PATCH HISTORY", "history", None, False, (), None, None, None, None, None),
        ("关键 commit 57e734423add", "commit", None, False, (), None, None, None, None, None),
        ("LWN", "lwn", None, False, (), None, None, None, None, None),
        ("GitHub", "github", None, False, (), None, None, None, None, None),
        ("Phoronix 报道 v1", "phoronix", 1, False, (), None, None, None, "v1", None),
        ("2020/06/19 v2", None, 2, False, (), None, None, dt.date(2020, 6, 19), "v2", None),
        ("v3", None, 3, False, (), None, None, None, "v3", None),
        ("", None, None, False, (), None, None, None, None, None),
        (
            "PatchWork v5 52-bit userspace VAs",
            "patchwork",
            5,
            False,
            (),
            None,
            None,
            None,
            "v5",
            None,
        ),
    ],
)
def test_labels(
    text: str,
    site: str | None,
    version: int | None,
    rfc: bool,
    prefixes: tuple[str, ...],
    counter: int | None,
    total: int | None,
    date: dt.date | None,
    vtext: str | None,
    ctext: str | None,
) -> None:
    lab = parse_label(text, _ident)
    assert lab.raw == text
    assert (lab.site, lab.version, lab.rfc, lab.prefixes) == (site, version, rfc, prefixes)
    assert (lab.counter, lab.total, lab.date) == (counter, total, date)
    got_v = None if lab.version_start is None else text[lab.version_start : lab.version_end]
    got_c = None if lab.count_start is None else text[lab.count_start : lab.count_end]
    assert (got_v, got_c) == (vtext, ctext)


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("Alexei Starovoitov <ast@plumgrid.com>", [("Alexei Starovoitov", "ast@plumgrid.com")]),
        ("Mel Gorman", [("Mel Gorman", None)]),
        (
            '"Chang S. Bae" <chang.seok.bae@intel.com>',
            [("Chang S. Bae", "chang.seok.bae@intel.com")],
        ),
        (
            '"Matthew Wilcox (Oracle)" <willy@infradead.org>',
            [("Matthew Wilcox (Oracle)", "willy@infradead.org")],
        ),
        ("lipeifeng@oppo.com <lipeifeng@oppo.com>", [(None, "lipeifeng@oppo.com")]),
        (
            "dormando <dormando@rydia.net><br>Rik van Riel <riel@redhat.com>",
            [("dormando", "dormando@rydia.net"), ("Rik van Riel", "riel@redhat.com")],
        ),
        (
            "Michal Nazarewicz <m.nazarewicz@samsung.com><br>*-*-*-*-*-*-*-* <br>"
            "Marek Szyprowski <m.szyprowski@samsung.com>",
            [
                ("Michal Nazarewicz", "m.nazarewicz@samsung.com"),
                ("Marek Szyprowski", "m.szyprowski@samsung.com"),
            ],
        ),
        (
            "Steven Pratt <slpratt@austin.ibm.com>, Ram Pai <linuxram@us.ibm.com>",
            [("Steven Pratt", "slpratt@austin.ibm.com"), ("Ram Pai", "linuxram@us.ibm.com")],
        ),
        ("张三、李四", [("张三", None), ("李四", None)]),
        (
            "David Daney <ddaney.cavm@gmail.com>/<david.daney@cavium.com>",
            [("David Daney", "ddaney.cavm@gmail.com")],
        ),
        ("Thomas Weißschuh <linux@weissschuh.net>", [("Thomas Weißschuh", "linux@weissschuh.net")]),
        (
            "Ricardo Neri <ricardo.neri-calderon-AT-linux.intel.com>",
            [("Ricardo Neri", "ricardo.neri-calderon@linux.intel.com")],
        ),
        (
            '"Jose E. Marchesi" <jose.marchesi-AT-oracle.com>',
            [("Jose E. Marchesi", "jose.marchesi@oracle.com")],
        ),
        ("Fenghua Yu <fenghua.yuintel.com>", [("Fenghua Yu", None)]),
        ("Alexander Popov <alex.popov@...ux.com>", [("Alexander Popov", None)]),
        ("NA", []),
        ("", []),
        (
            'Kirill A. Shutemov"<kirill.shutemov@linux.intel.com>',
            [("Kirill A. Shutemov", "kirill.shutemov@linux.intel.com")],
        ),
        (
            'Bouska, Zdenek"<zdenek.bouska@siemens.com>',
            [("Bouska, Zdenek", "zdenek.bouska@siemens.com")],
        ),
        (
            "程垲涛 Chengkaitao Cheng <chengkaitao@didiglobal.com>",
            [("程垲涛 Chengkaitao Cheng", "chengkaitao@didiglobal.com")],
        ),
        ("左泽(Ze Zuo) <zuoze1@huawei.com>", [("左泽(Ze Zuo)", "zuoze1@huawei.com")]),
        ("王贇 <yun.wang@linux.alibaba.com>", [("王贇", "yun.wang@linux.alibaba.com")]),
        ("Peter & Kirill Tkhai 等", [("Peter", None), ("Kirill Tkhai", None)]),
        (
            "Frederic Weisbecker & Peter Zijlstra 等",
            [("Frederic Weisbecker", None), ("Peter Zijlstra", None)],
        ),
        ("Joel Fernandes 等", [("Joel Fernandes", None)]),
        (
            "[Microsoft Research](https://www.microsoft.com/en-us/research/project/demikernel)",
            [("Microsoft Research", None)],
        ),
        ("刘顺", [("刘顺", None)]),
        ("andrey.konovalov@linux.dev", [(None, "andrey.konovalov@linux.dev")]),
    ],
)
def test_authors(text: str, people: list[tuple[str | None, str | None]]) -> None:
    got = parse_authors(text)
    assert [(p.name, p.email) for p in got] == people
    for p in got:
        assert (p.raw and p.raw in text.replace("\n", " ")) or "<br>" in text or "、" in text


def test_several_addresses_are_all_kept() -> None:
    (p,) = parse_authors("Andi Kleen <andi@firstfloor.org>/<ak@linux.intel.com>")
    assert p.email == "andi@firstfloor.org"
    assert p.emails == ("andi@firstfloor.org", "ak@linux.intel.com")
    (q,) = parse_authors("Mel Gorman")
    assert q.emails == ()
    (r,) = parse_authors("a@b.com <a@b.com>")
    assert r.emails == ("a@b.com",)


def test_deobfuscate() -> None:
    assert deobfuscate_email("a-AT-b.com") == "a@b.com"
    assert deobfuscate_email("<a [at] b [dot] com>") == "a@b.com"
    assert deobfuscate_email("nope") is None


@pytest.mark.parametrize(
    ("text", "date", "raw"),
    [
        ("2021/04/14", dt.date(2021, 4, 14), "2021/04/14"),
        (" 2022/1/7 ", dt.date(2022, 1, 7), "2022/1/7"),
        ("NA", None, "NA"),
        ("", None, None),
        ("2.4.0-test9pre1", None, "2.4.0-test9pre1"),
        ("201=09/05/08", None, "201=09/05/08"),
        ("2021/02/30", None, "2021/02/30"),
    ],
)
def test_dates(text: str, date: dt.date | None, raw: str | None) -> None:
    assert parse_date(text) == (date, raw)
