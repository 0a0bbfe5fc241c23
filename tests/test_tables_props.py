"""Property tests: generated feature tables read back exactly as written."""

# ruff: noqa: E501  (table rows are clearer on one line)

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcrawl.claims import parse_label
from patchcrawl.refs import classify
from patchcrawl.tables import scan_bytes
from tests.scan_helpers import check_positions

WORD = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ调度器内存管理özé"),
    min_size=1,
    max_size=8,
)
NAME = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=10).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
EMAIL = st.tuples(LOCAL, st.sampled_from(["kernel.org", "arm.com", "linux.alibaba.com"])).map(
    lambda t: f"{t[0]}@{t[1]}"
)


@dataclass(frozen=True)
class GenPerson:
    text: str
    name: str | None
    email: str | None


@st.composite
def person(draw: st.DrawFn) -> GenPerson:
    name = draw(NAME)
    email = draw(EMAIL)
    form = draw(st.integers(0, 5))
    if form == 0:
        return GenPerson(f"{name} <{email}>", name, email)
    if form == 1:
        return GenPerson(f'"{name}" <{email}>', name, email)
    if form == 2:
        return GenPerson(name, name, None)
    if form == 3:
        return GenPerson(f"{email} <{email}>", None, email)
    if form == 4:
        local, domain = email.split("@")
        return GenPerson(f"{name} <{local}-AT-{domain}>", name, email)
    return GenPerson(f"{name} <{email}>/<x{email}>", name, email)


@st.composite
def authors(draw: st.DrawFn) -> tuple[str, list[GenPerson]]:
    people = draw(st.lists(person(), min_size=1, max_size=3))
    sep = draw(st.sampled_from(["<br>", " & ", ", ", "、", "<br>*-*-*-*-*-*-*-* <br>"]))
    text = sep.join(p.text for p in people)
    if draw(st.booleans()) and all(p.email is None for p in people):
        text += " 等"
    return text, people


@dataclass(frozen=True)
class GenStatus:
    text: str
    version: int | None
    rfc: bool
    merged: bool | None
    releases: tuple[str, ...]


@st.composite
def status(draw: st.DrawFn) -> GenStatus:
    version = draw(st.one_of(st.none(), st.integers(1, 60)))
    rfc = draw(st.booleans())
    glyphs = draw(st.sampled_from(["", "☑", "☐", "☐☑✓", "☑✓", "☐☑"]))
    rel = draw(
        st.one_of(st.none(), st.tuples(st.integers(2, 6), st.integers(0, 19), st.booleans()))
    )
    parts = []
    if rfc:
        parts.append("RFC")
    if version is not None:
        vt = draw(st.sampled_from(["v", "V"])) + str(version)
        parts.append(vt)
    head = ",".join(parts) if draw(st.booleans()) else " ".join(parts)
    releases: tuple[str, ...] = ()
    tail = ""
    if rel is not None:
        r = f"{rel[0]}.{rel[1]}" + ("-rc1" if rel[2] else "")
        releases = (r,)
        tail = draw(
            st.sampled_from([r, "v" + r, f"[{r}](https://kernelnewbies.org/Linux_{rel[0]})"])
        )
    text = " ".join(x for x in (head, glyphs, tail) if x)
    merged = None if not glyphs or glyphs in ("☐☑✓", "☐☑") else ("☑" in glyphs)
    return GenStatus(text, version, rfc, merged, releases)


@st.composite
def label(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    site = draw(
        st.sampled_from(["LORE", "PatchWork", "Patchwork", "LKML", "COMMIT", "关键 COMMIT"])
    )
    date = draw(st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))))
    version = draw(st.one_of(st.none(), st.integers(1, 30)))
    total = draw(st.one_of(st.none(), st.integers(1, 99)))
    rfc = draw(st.booleans())
    bits = []
    if rfc:
        bits.append("RFC")
    if version is not None:
        bits.append(f"v{version}")
    if total is not None:
        bits.append(f"{0:0{len(str(total))}d}/{total}")
    text = site
    if bits:
        text += " " + ",".join(bits)
    if date is not None:
        text = date.strftime("%Y/%m/%d") + draw(st.sampled_from([" ", ", "])) + text
    exp: dict[str, object] = {
        "version": version,
        "rfc": rfc,
        "total": total,
        "counter": 0 if total else None,
        "date": date,
    }
    return text, exp


MSGID = st.tuples(st.integers(10**7, 10**9), LOCAL).map(lambda t: f"{t[0]}-1-{t[1]}@kernel.org")
TITLE = st.lists(
    st.sampled_from(["sched:", "mm", "fix", "调度", "内存", "`x_y`", "(v2)", "4K|16K"]),
    min_size=1,
    max_size=5,
).map(" ".join)


@dataclass(frozen=True)
class GenRow:
    text: str
    date: dt.date
    authors: list[GenPerson]
    title: str
    status: GenStatus
    labels: list[dict[str, object]]
    broken: bool


@st.composite
def row(draw: st.DrawFn, with_author: bool) -> GenRow:
    date = draw(st.dates(dt.date(1995, 1, 1), dt.date(2030, 12, 31)))
    dtext = (
        date.strftime("%Y/%m/%d") if draw(st.booleans()) else f"{date.year}/{date.month}/{date.day}"
    )
    atext, people = draw(authors())
    title = draw(TITLE)
    msgid = draw(MSGID)
    stat = draw(status())
    labs = draw(st.lists(label(), min_size=1, max_size=3))
    sep = draw(st.sampled_from(["<br>*-*-*-*-*-*-*-* <br>", ", ", "<br>"]))
    links = sep.join(
        f"[{t}](https://lore.kernel.org/all/{i}{msgid}/)" for i, (t, _) in enumerate(labs)
    )
    desc = draw(st.sampled_from(["NA", "描述 text", "12345", "a<br>b"]))
    broken = draw(st.booleans())
    cells = (
        [dtext]
        + ([atext] if with_author else [])
        + [
            f"[{title}](https://patchwork.kernel.org/project/linux-mm/cover/{msgid}/)",
            desc + ("\n继续" if broken else ""),
            stat.text,
            links,
        ]
    )
    text = "| " + " | ".join(cells) + " |"
    return GenRow(
        text, date, people if with_author else [], title, stat, [e for _, e in labs], broken
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.data(),
    st.booleans(),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
    st.sampled_from(
        ["", "前言 https://lwn.net/Articles/1/ 结束。\n\n", "x\n\n```\n| 2020/01/01 | a |\n```\n\n"]
    ),
)
def test_generated_tables_read_back(
    data: st.DataObject, with_author: bool, nl: str, bom: bool, prose: str
) -> None:
    rows = data.draw(st.lists(row(with_author), min_size=1, max_size=4))
    header = (
        "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
        if with_author
        else "|  时间  | 特性 | 描述  |  是否合入主线  | 链接 |\n|:----:|:----:|:---:|:----------:|:---:|\n"
    )
    text = prose + header + "\n".join(r.text for r in rows) + "\n\n尾 https://lwn.net/Articles/2/\n"
    raw = (("\ufeff" if bom else "") + text.replace("\n", nl)).encode("utf-8")
    doc = scan_bytes("gen.md", raw)
    check_positions(doc)
    assert doc.newline == nl
    (table,) = doc.tables
    assert len(table.rows) == len(rows)
    for got, want in zip(table.rows, rows, strict=True):
        c = got.claims
        assert c.date == want.date
        assert c.title == want.title
        assert [(p.name, p.email) for p in c.authors] == [(p.name, p.email) for p in want.authors]
        s = c.status
        if not want.status.text:
            assert s is None
            continue
        assert s is not None
        assert (s.version, s.rfc, s.merged, s.releases) == (
            want.status.version,
            want.status.rfc,
            want.status.merged,
            want.status.releases,
        )
        labels = [lk.label for lk in got.links if lk.cell == "links"]
        assert len(labels) == len(want.labels)
        for lab, exp in zip(labels, want.labels, strict=True):
            assert lab is not None
            assert (lab.version, lab.rfc, lab.total, lab.counter, lab.date) == (
                exp["version"],
                exp["rfc"],
                exp["total"],
                exp["counter"],
                exp["date"],
            )
        assert all(lk.kind == classify(lk.url).kind for lk in got.links)
        assert got.end_line - got.line == (1 if want.broken else 0)
    n_broken = sum(r.broken for r in rows)
    assert sum(f.code == "malformed-row" for f in doc.findings) >= n_broken


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(raw: bytes) -> None:
    check_positions(scan_bytes("r.md", raw))


PIECES = st.sampled_from(
    [
        "|",
        " | ",
        "\n",
        "\r\n",
        "\r",
        "[",
        "](",
        ")",
        "<",
        ">",
        "`",
        "```",
        "~~~",
        "    ",
        "https://lore.kernel.org/all/a@b/",
        "<br>",
        "2021/01/02",
        "v3 ☑ 5.1-rc1",
        "时间",
        "是否合入主线",
        "|---|---|",
        "\ufeff",
        "é",
        "\udcff",
        "<a href='https://x.org/'>",
        "(",
        "，",
        "http://",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=40))
def test_markdownish_soup_never_crashes(pieces: list[str]) -> None:
    raw = "".join(pieces).encode("utf-8", "surrogateescape")
    check_positions(scan_bytes("soup.md", raw))


def test_label_positions_offset() -> None:
    lab = parse_label("2024/04/29, LORE v1,0/3", lambda i: 1000 + i)
    assert (lab.version_start, lab.version_end, lab.count_start, lab.count_end) == (
        1017,
        1019,
        1020,
        1023,
    )
