"""audit: claims vs metadata -> findings with edits, on rows scanned from real markdown."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from patchcrawl import enrich
from patchcrawl.audit import audit, canonical_url, compare_names, format_person
from patchcrawl.models import (
    Cell,
    Document,
    Finding,
    Link,
    Metadata,
    Person,
    Resolution,
    Row,
    RowClaims,
    StatusClaim,
    Table,
)
from patchcrawl.settings import Settings
from patchcrawl.tables import scan_bytes

HEAD = (
    "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
)
PW = "https://lore.kernel.org/patchwork/cover/555274"
MSGID = "1427312966-8434-1-git-send-email-ast@plumgrid.com"


def scan(body: str, *, newline: str = "\n", path: str = "t.md") -> Document:
    text = "# t\n\n" + HEAD + body
    return scan_bytes(path, text.replace("\n", newline).encode("utf-8"))


def meta(
    title: str = "tracing: attach eBPF programs to kprobes",
    *,
    version: int | None = 11,
    counter: int | None = 0,
    total: int | None = 9,
    name: str | None = "Alexei Starovoitov",
    email: str | None = "ast@plumgrid.com",
    date: str | None = "2015-03-25T19:49:17+00:00",
    msgid: str | None = MSGID,
    source: str = "lore",
) -> Metadata:
    ver = f" v{version}" if version else ""
    return Metadata(
        source=source,
        title=title,
        subject=f"[PATCH{ver} {counter}/{total}] {title}",
        version=version,
        counter=counter,
        total=total,
        author_name=name,
        author_email=email,
        date=date,
        msgid=msgid,
    )


def ok(url: str, m: Metadata | None, status: str = "ok", **kw: object) -> Resolution:
    return Resolution(url=url, status=status, http_status=200, metadata=m, **kw)  # type: ignore[arg-type]


def codes(fs: list[Finding]) -> list[str]:
    return sorted(f.code for f in fs)


def only(fs: list[Finding], code: str) -> Finding:
    got = [f for f in fs if f.code == code]
    assert len(got) == 1, fs
    return got[0]


BPF_ROW = (
    "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> "
    f"| [tracing: attach eBPF programs to kprobes]({PW}) | NA | v10 ☑ 4.1-rc1 "
    f"| [PatchWork v10,0/8]({PW})<br>*-*-*-*-*-*-*-* <br>"
    "[2015/03/01, LORE v1,0/5](https://lore.kernel.org/all/v1-ast@plumgrid.com/) |\n"
)


def bpf_resolutions() -> dict[str, Resolution]:
    final = f"https://lore.kernel.org/all/{MSGID}/"
    return {
        PW: ok(PW, meta(), status="moved", final_url=final, canonical_url=final),
        "https://lore.kernel.org/all/v1-ast@plumgrid.com/": ok(
            "https://lore.kernel.org/all/v1-ast@plumgrid.com/",
            meta(version=1, total=5, date="2015-03-01T10:00:00+00:00", msgid="v1-ast@plumgrid.com"),
        ),
    }


def test_contract_example_version_orientation_and_edits() -> None:
    doc = scan(BPF_ROW)
    fs = audit([doc], bpf_resolutions(), Settings())
    assert codes(fs) == [
        "moved-link",
        "moved-link",
        "patch-count-mismatch",
        "version-mismatch",
        "version-mismatch",
    ]
    row = doc.rows[0]
    cell = row.cell("status")
    assert cell is not None
    status = next(
        f for f in fs if f.code == "version-mismatch" and f.message.startswith("table says")
    )
    # CONTRACT.md: a finding's line and column point at its URL's first character
    anchor = next(link for link in row.links if link.url == status.url)
    assert (status.line, status.column) == (anchor.line, anchor.column)
    assert (status.expected, status.actual) == ("v10", "v11")
    assert status.message == "table says v10, the cover letter says v11"
    assert status.severity == "error" and status.row_line == row.line
    label = next(f for f in fs if f.code == "version-mismatch" and f is not status)
    assert label.column == row.links[1].column
    assert label.message == "link text says v10, the cover letter says v11"
    count = only(fs, "patch-count-mismatch")
    assert (count.expected, count.actual) == ("0/8", "0/9")
    moved = [f for f in fs if f.code == "moved-link"]
    assert {f.column for f in moved} == {row.links[0].column, row.links[1].column}
    assert all(f.severity == "warning" for f in moved)
    assert moved[0].actual == f"https://lore.kernel.org/all/{MSGID}/"
    new = enrich.apply_edits(doc.raw, [e for f in fs for e in f.edits])
    line = new.decode().splitlines()[4]
    assert "| v11 ☑ 4.1-rc1 |" in line
    assert f"[PatchWork v11,0/9](https://lore.kernel.org/all/{MSGID}/)" in line
    assert (
        f"[tracing: attach eBPF programs to kprobes](https://lore.kernel.org/all/{MSGID}/)" in line
    )
    assert "[2015/03/01, LORE v1,0/5](https://lore.kernel.org/all/v1-ast@plumgrid.com/)" in line


def test_canonical_styles() -> None:
    res = Resolution(
        url=PW,
        status="moved",
        final_url="https://lore.kernel.org/bpf/a+b@x.org/",
        metadata=meta(msgid="a+b@x.org"),
    )
    assert canonical_url(res, "all") == "https://lore.kernel.org/all/a+b@x.org/"
    assert canonical_url(res, "r") == "https://lore.kernel.org/r/a+b@x.org"
    assert canonical_url(res, "list") == "https://lore.kernel.org/bpf/a+b@x.org/"
    pw = Resolution(
        url="https://patchwork.kernel.org/patch/1/",
        status="moved",
        final_url="https://patchwork.kernel.org/project/linux-mm/patch/x@y/",
    )
    assert canonical_url(pw, "all") == "https://patchwork.kernel.org/project/linux-mm/patch/x@y/"


def row_with(
    title: str,
    *,
    author: str = "Alexei Starovoitov <ast@plumgrid.com>",
    status: str = "v11 ☑ 4.1-rc1",
    links: str = "",
    date: str = "2015/03/25",
    url: str = "https://lore.kernel.org/all/m@x/",
) -> str:
    return f"| {date} | {author} | [{title}]({url}) | NA | {status} | {links} |\n"


def run(
    body: str, m: Metadata | dict[str, Metadata], settings: Settings | None = None
) -> list[Finding]:
    doc = scan(body)
    metas = m if isinstance(m, dict) else {"https://lore.kernel.org/all/m@x/": m}
    res = {u: ok(u, mm) for u, mm in metas.items()}
    return audit([doc], res, settings or Settings())


@pytest.mark.parametrize(
    "title",
    [
        "tracing: attach eBPF programs to kprobes",
        "attach eBPF programs to kprobes",  # prefix on one side only
        "Tracing:  Attach `eBPF` programs to kprobes.",  # case, space, backticks, punctuation
        '"tracing: attach eBPF programs to kprobes"',
        "[PATCH v11 0/9] tracing: attach eBPF programs to kprobes",
        "tracing: attach eBPF program to kprobes",  # a typo is not a different series
        "在 BPF 程序中通过 kprobe 挂载",  # Chinese description: not compared
    ],
)
def test_title_equivalents_are_not_flagged(title: str) -> None:
    assert run(row_with(title), meta()) == []


def test_real_title_difference_flagged_and_fixed_only_with_fix_titles() -> None:
    fs = run(row_with("mm: add extra free kbytes tunable"), meta())
    f = only(fs, "title-mismatch")
    assert f.expected == "mm: add extra free kbytes tunable"
    assert f.actual == "tracing: attach eBPF programs to kprobes"
    assert f.edits == () and f.severity == "error"
    assert dict(f.extra)["similarity"] < "0.8"
    doc = scan(row_with("mm: add extra free kbytes tunable"))
    fs2 = audit(
        [doc],
        {"https://lore.kernel.org/all/m@x/": ok("https://lore.kernel.org/all/m@x/", meta())},
        Settings(fix_titles=True),
    )
    new = enrich.apply_edits(doc.raw, only(fs2, "title-mismatch").edits)
    assert (
        b"| [tracing: attach eBPF programs to kprobes](https://lore.kernel.org/all/m@x/) |" in new
    )


def test_links_cell_titles_only_when_feature_has_no_link() -> None:
    links = "[LORE v11,0/9](https://lore.kernel.org/all/m@x/)"
    body = (
        "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | Something else entirely"
        f" | NA | v11 ☑ | {links} |\n"
    )
    fs = run(body, meta())
    f = only(fs, "title-mismatch")
    assert f.column == scan(body).rows[0].links[0].column
    # with a feature link (no metadata: LWN), links-cell titles are not compared
    body2 = row_with("Something else entirely", url="https://lwn.net/Articles/1/", links=links)
    assert "title-mismatch" not in codes(run(body2, meta()))


@pytest.mark.parametrize(
    "author",
    [
        "Alexei Starovoitov <ast+bpf@plumgrid.com>",  # +tag
        "Alexei Starovoitov <ast@mail.plumgrid.com>",  # one label deeper
        "A. S. <ast@plumgrid.com>",  # email decides
        "Someone Else <x@y.org><br>Alexei Starovoitov <ast@plumgrid.com>",  # any one matches
        '"Starovoitov, Alexei" <old@elsewhere.com>',  # other address, same name
        "Alexei Starovoitov (Facebook) <old@fb.com>",
    ],
)
def test_author_matches(author: str) -> None:
    assert run(row_with("tracing: attach eBPF programs to kprobes", author=author), meta()) == []


def test_wrong_author_error_and_fix_only_with_fix_authors() -> None:
    body = row_with(
        "tracing: attach eBPF programs to kprobes", author="Mel Gorman <mgorman@suse.de>"
    )
    f = only(run(body, meta()), "author-mismatch")
    assert f.severity == "error" and f.edits == ()
    assert f.expected == "Mel Gorman <mgorman@suse.de>"
    assert f.actual == "Alexei Starovoitov <ast@plumgrid.com>"
    doc = scan(body)
    url = "https://lore.kernel.org/all/m@x/"
    fixed = only(
        audit([doc], {url: ok(url, meta())}, Settings(fix_authors=True)), "author-mismatch"
    )
    new = enrich.apply_edits(doc.raw, fixed.edits)
    assert b"| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | [" in new


def test_name_only_author_is_email_missing_with_the_address_as_fix() -> None:
    body = row_with("tracing: attach eBPF programs to kprobes", author="Alexei Starovoitov")
    doc = scan(body)
    url = "https://lore.kernel.org/all/m@x/"
    fs = audit([doc], {url: ok(url, meta())}, Settings())
    assert "author-mismatch" not in codes(fs)  # the right person: not a mismatch
    f = only(fs, "author-email-missing")
    assert f.severity == "info"
    new = enrich.apply_edits(doc.raw, f.edits)
    assert b"| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> |" in new
    # quoting when the name needs it
    assert format_person("Matthew Wilcox (Oracle)", "w@x") == '"Matthew Wilcox (Oracle)" <w@x>'
    assert format_person("Maíra Canal", "m@i") == "Maíra Canal <m@i>"


def test_undecidable_names_make_no_finding() -> None:
    m = meta(name="Yun Wang", email="yun.wang@linux.alibaba.com")
    fs = run(row_with("tracing: attach eBPF programs to kprobes", author="王贇"), m)
    # CONTRACT: author-mismatch is for another person; a CJK name against a romanised
    # one proves nothing either way
    assert not [f for f in fs if f.code.startswith("author")]
    assert compare_names("Kirill A. Shutemov", "Kirill Shutemov") == "match"
    assert compare_names("程垲涛 Chengkaitao Cheng", "Chengkaitao Cheng") == "match"
    assert compare_names("Peter Xu", "Peter Zijlstra") == "unknown"
    assert compare_names("Mel Gorman", "Vlastimil Babka") == "differ"
    assert compare_names("Steve Muckle 等", "Steve Muckle") == "match"


def test_non_mail_sources_never_give_author_version_count() -> None:
    lwn = Metadata(
        source="lwn", title="Something", author_name="Jonathan Corbet", date="2020-01-01"
    )
    body = row_with(
        "tracing: attach eBPF programs to kprobes", status="v3 ☐", url="https://lwn.net/Articles/1/"
    )
    assert run(body, {"https://lwn.net/Articles/1/": lwn}) == []


def test_status_compared_with_newest_version_of_the_series() -> None:
    links = (
        "[LORE v1,0/5](https://lore.kernel.org/all/v1@x/)<br>*-*-*-*-*-*-*-* <br>"
        "[LORE v3,0/5](https://lore.kernel.org/all/v3@x/)<br>"
        "[LORE v9,0/2](https://lore.kernel.org/all/other@x/)"
    )
    metas = {
        "https://lore.kernel.org/all/m@x/": meta(version=1, total=5),
        "https://lore.kernel.org/all/v1@x/": meta(version=1, total=5),
        "https://lore.kernel.org/all/v3@x/": meta(version=3, total=5),
        "https://lore.kernel.org/all/other@x/": meta("mm: a different series", version=2, total=2),
    }
    t = "tracing: attach eBPF programs to kprobes"
    assert codes(run(row_with(t, status="v3 ☐", links=links), metas)) == [
        "version-mismatch"
    ]  # v9 label
    fs = run(row_with(t, status="v2 ☐", links=links), metas)
    st = [f for f in fs if f.code == "version-mismatch" and f.expected == "v2"]
    assert len(st) == 1 and st[0].actual == "v3"
    # RFC with no number claims nothing
    assert [
        f for f in run(row_with(t, status="RFC ☐", links=links), metas) if f.expected != "v9"
    ] == []


def test_label_without_version_claims_none() -> None:
    t = "tracing: attach eBPF programs to kprobes"
    links = "[LORE 0/9](https://lore.kernel.org/all/m@x/)"
    assert run(row_with(t, status="v1 ☐", links=links), meta(version=1)) == []
    doc = scan(row_with(t, status="v3 ☐", links=links))
    url = "https://lore.kernel.org/all/m@x/"
    fs = audit([doc], {url: ok(url, meta(version=3))}, Settings())
    f = only(fs, "version-mismatch")
    # a version left out is inferred, never an error, and never an edit (a suspicion)
    assert (f.expected, f.actual, f.severity, f.edits) == ("v1", "v3", "info", ())
    # a bare site word claims nothing
    assert (
        run(
            row_with(t, status="v3 ☐", links="[PatchWork](https://lore.kernel.org/all/m@x/)"),
            meta(version=3),
        )
        == []
    )


def test_missing_status_version_offered_as_info_insert() -> None:
    t = "tracing: attach eBPF programs to kprobes"
    doc = scan(row_with(t, status="☐"))
    url = "https://lore.kernel.org/all/m@x/"
    f = only(audit([doc], {url: ok(url, meta(version=4))}, Settings()), "version-mismatch")
    assert f.severity == "info" and f.expected is None and f.actual == "v4"
    assert f.edits == ()  # enrich proposes no edit from an info finding


def test_count_keeps_zero_padding() -> None:
    t = "tracing: attach eBPF programs to kprobes"
    doc = scan(row_with(t, links="[Patchwork v11,00/26](https://lore.kernel.org/all/m@x/)"))
    url = "https://lore.kernel.org/all/m@x/"
    f = only(audit([doc], {url: ok(url, meta(total=27))}, Settings()), "patch-count-mismatch")
    assert (f.expected, f.actual) == ("0/26", "0/27")
    assert b"[Patchwork v11,00/27]" in enrich.apply_edits(doc.raw, f.edits)


def test_dates() -> None:
    t = "tracing: attach eBPF programs to kprobes"
    assert run(row_with(t, date="2015/03/30"), meta()) == []  # within 7 days
    f = only(run(row_with(t, date="2015/05/25"), meta()), "date-mismatch")
    assert (f.expected, f.actual, f.severity) == ("2015/05/25", "2015/03/25", "warning")
    assert run(row_with(t, date="2015/05/25"), meta(), Settings(date_tolerance_days=90)) == []
    # the earliest linked version's date also satisfies the row date
    links = "[2015/01/02 LORE v1,0/9](https://lore.kernel.org/all/v1@x/)"
    metas = {
        "https://lore.kernel.org/all/m@x/": meta(),
        "https://lore.kernel.org/all/v1@x/": meta(version=1, date="2015-01-02T08:00:00-08:00"),
    }
    assert codes(run(row_with(t, date="2015/01/01", links=links, status="v11 ☐"), metas)) == []
    # a label date far from its own mail
    links2 = "[2016/01/02 LORE v1,0/9](https://lore.kernel.org/all/v1@x/)"
    f2 = only(run(row_with(t, links=links2), metas), "date-mismatch")
    assert f2.expected == "2016/01/02" and f2.actual == "2015/01/02"


def test_status_findings_for_every_link_including_prose() -> None:
    body = row_with(
        "tracing: attach eBPF programs to kprobes", links="[LWN](https://lwn.net/Articles/9/)"
    )
    text = (
        body
        + "\nProse https://lore.kernel.org/all/dead@x/ and https://x.test/wall and <https://y.test/>\n"
    )
    doc = scan(text)
    res = {
        "https://lore.kernel.org/all/m@x/": Resolution(
            "https://lore.kernel.org/all/m@x/", "unreachable", detail="timeout"
        ),
        "https://lwn.net/Articles/9/": Resolution(
            "https://lwn.net/Articles/9/", "paywalled", metadata=Metadata(source="lwn", title="T")
        ),
        "https://lore.kernel.org/all/dead@x/": Resolution(
            "https://lore.kernel.org/all/dead@x/", "dead", http_status=404
        ),
        "https://x.test/wall": Resolution(
            "https://x.test/wall", "blocked", http_status=403, detail="anubis challenge"
        ),
        "https://y.test/": Resolution("https://y.test/", "not-checked"),
    }
    fs = audit([doc], res, Settings())
    assert codes(fs) == ["blocked", "dead-link", "paywalled", "unreachable"]
    dead = only(fs, "dead-link")
    assert dead.line == 7 and dead.row_line is None and "404" in dead.message
    assert only(fs, "paywalled").severity == "info"
    assert only(fs, "blocked").message == "blocked by a bot wall (anubis challenge)"


def test_malformed_not_repeated_from_scanner() -> None:
    link = Link("htp:/x", "h.md", 3, 5, 10, 16, "none", "malformed", None)
    scanner = Finding("malformed-url", "error", "h.md", 3, 5, "malformed URL", url="htp:/x")
    d = Document("h.md", b"", "utf-8", "\n", (), (link,), (scanner,))
    res = {"htp:/x": Resolution("htp:/x", "malformed")}
    assert audit([d], res, Settings()) == []
    d2 = Document("h.md", b"", "utf-8", "\n", (), (link,), ())
    assert codes(audit([d2], res, Settings())) == ["malformed-url"]


def test_hand_built_row_and_non_utf8_range_gets_no_edit() -> None:
    raw = b"| 2020/01/01 | \xff\xfe | [t](https://lore.kernel.org/all/m@x/) | NA | v1 | |\n"
    link = Link(
        "https://lore.kernel.org/all/m@x/",
        "b.md",
        1,
        22,
        21,
        53,
        "feature",
        "lore-message",
        "t",
        row_line=1,
    )
    cells = (
        Cell("date", " 2020/01/01 ", 1, 13, 1, 2),
        Cell("author", " \xff\xfe ", 14, 18, 1, 15),
        Cell("status", " v1 ", 60, 64, 1, 40),
    )
    claims = RowClaims(
        dt.date(2020, 1, 1),
        "2020/01/01",
        (Person("x", "Totally Other", None),),
        "t",
        16,
        17,
        StatusClaim("v1", 1, "v1", 61, 63, False, None, "", ()),
    )
    row = Row("b.md", 1, 1, 0, len(raw), cells, (link,), claims, 1, True)
    table = Table("b.md", 1, (), ("date", "author", "feature", "status"), (row,))
    d = Document("b.md", raw, "utf-8", "\n", (table,), (link,), ())
    m = meta("t", version=2, name="Alexei Starovoitov", date="2020-01-01T00:00:00Z")
    fs = audit([d], {link.url: ok(link.url, m)}, Settings(fix_authors=True))
    assert codes(fs) == ["author-mismatch", "version-mismatch"]
    assert only(fs, "author-mismatch").edits == ()  # bytes there are not UTF-8: no edit


GIT = shutil.which("git")


@pytest.mark.skipif(GIT is None, reason="git not installed")
def test_audit_edits_as_diff_apply_on_crlf_bom_document(tmp_path: Path) -> None:
    body = (
        BPF_ROW
        + "| 2017/12/18 | Mel Gorman | [Reduce migrations](https://lore.kernel.org/all/mg@x/)"
        + " | 优化 | ☐ | |\n"
    )
    text = "\ufeff# t  \n\n" + HEAD + body
    raw = text.replace("\n", "\r\n").encode("utf-8")
    doc = scan_bytes("crlf.md", raw)
    res = bpf_resolutions()
    res["https://lore.kernel.org/all/mg@x/"] = ok(
        "https://lore.kernel.org/all/mg@x/",
        meta(
            "sched/fair: Reduce migrations",
            name="Mel Gorman",
            email="mgorman@suse.de",
            date="2017-12-18T10:00:00Z",
            version=3,
        ),
    )
    fs = audit([doc], res, Settings())
    diff = enrich.build_diff_bytes([doc], fs)
    (tmp_path / "crlf.md").write_bytes(raw)
    (tmp_path / "d.diff").write_bytes(diff)
    r = subprocess.run(
        [GIT or "git", "apply", "d.diff"], cwd=tmp_path, capture_output=True, check=False
    )
    assert r.returncode == 0, r.stderr
    out = (tmp_path / "crlf.md").read_bytes()
    assert out == enrich.apply_edits(raw, [e for f in fs for e in f.edits])
    assert out.startswith(b"\xef\xbb\xbf# t  \r\n") and out.count(b"\r\n") == raw.count(b"\r\n")
    assert b"| Mel Gorman <mgorman@suse.de> |" in out and "| ☐ |".encode() in out


def test_malformed_row_with_recovered_roles_is_compared() -> None:
    # an extra empty cell: the scanner reports the row and recovers its roles; the
    # status cell is recognisable by its marks and version, so it is still checked
    body = (
        "| 2017/12/18 | Mel Gorman | [Reduce migrations](https://lore.kernel.org/all/m@x/) | 优化"
        " | | v1 ☐ | [LORE v1,0/4](https://lore.kernel.org/all/m@x/) |\n"
    )
    doc = scan(body)
    assert not doc.rows[0].well_formed
    assert [f.code for f in doc.findings] == ["malformed-row"]
    url = "https://lore.kernel.org/all/m@x/"
    m = meta("Something else", version=2, total=4, name="X Y", email="x@y", date="2001-01-01")
    fs = audit([doc], {url: ok(url, m)}, Settings())
    assert codes(fs) == [
        "author-mismatch",
        "date-mismatch",
        "title-mismatch",
        "version-mismatch",
        "version-mismatch",
    ]
    assert {f.expected for f in fs if f.code == "version-mismatch"} == {"v1"}


def test_malformed_row_cells_that_do_not_fit_their_role_are_not_compared() -> None:
    # five cells under six columns, read without the author: the 5th cell holds no
    # status (no mark, no version), so nothing is read from it
    body = (
        "| 2017/12/18 | [Reduce migrations](https://lore.kernel.org/all/m@x/) | 优化"
        " | NA | [LORE v1,0/4](https://lore.kernel.org/all/m@x/) |\n"
    )
    doc = scan(body)
    assert not doc.rows[0].well_formed
    url = "https://lore.kernel.org/all/m@x/"
    m = meta("Reduce migrations", version=2, total=4, date="2017-12-18T00:00:00Z")
    fs = audit([doc], {url: ok(url, m)}, Settings())
    assert [(f.code, f.expected) for f in fs] == [("version-mismatch", "v1")]  # the label


def test_description_and_status_links_are_not_compared_with_the_row() -> None:
    body = (
        "| 2020/12/14 | Borislav Petkov <bp@alien8.de> | 中文标题 | 参见 "
        "[Re: other](https://lore.kernel.org/all/d@x/) | v41 ☑✓ "
        "[5.11-rc1](https://lore.kernel.org/all/pull@x/) | |\n"
    )
    other = meta("Re: something else", name="Linus Torvalds", email="torvalds@linux.org", version=1)
    metas = {
        "https://lore.kernel.org/all/d@x/": other,
        "https://lore.kernel.org/all/pull@x/": other,
    }
    assert run(body, metas) == []


def test_author_with_nothing_comparable_gives_nothing() -> None:
    t = "tracing: attach eBPF programs to kprobes"
    assert run(row_with(t, author="Alexei Starovoitov"), meta(name=None)) == []
    assert "author-mismatch" not in codes(run(row_with(t, author="NA"), meta()))


def test_claim_positions_that_are_off_never_become_edits() -> None:
    import dataclasses

    doc = scan(BPF_ROW)
    row = doc.rows[0]
    st = row.claims.status
    assert st is not None and st.version_start is not None
    lab = row.links[1].label
    assert lab is not None and lab.version_start is not None and lab.count_start is not None
    assert st.version_end is not None and lab.version_end is not None
    bad_status = dataclasses.replace(
        st, version_start=st.version_start + 1, version_end=st.version_end + 1
    )
    bad_label = dataclasses.replace(
        lab, version_start=lab.version_start - 2, version_end=lab.version_end - 2
    )
    links = (row.links[0], dataclasses.replace(row.links[1], label=bad_label), row.links[2])
    bad_row = dataclasses.replace(
        row, claims=dataclasses.replace(row.claims, status=bad_status), links=links
    )
    table = dataclasses.replace(doc.tables[0], rows=(bad_row,))
    bad_doc = dataclasses.replace(doc, tables=(table,))
    fs = audit([bad_doc], bpf_resolutions(), Settings())
    versions = [f for f in fs if f.code == "version-mismatch"]
    assert len(versions) == 2 and all(f.edits == () for f in versions)
    assert only(fs, "patch-count-mismatch").edits  # the count range is still right
