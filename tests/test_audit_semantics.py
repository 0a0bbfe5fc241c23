"""CONTRACT.md's rules for what is proved (an error) and what is only suspected, one
test per class of false finding seen on real rows (issue: trustworthy findings)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from patchcrawl import enrich
from patchcrawl.audit import audit
from patchcrawl.claims import parse_authors, parse_status
from patchcrawl.models import Metadata
from patchcrawl.settings import Settings
from tests.cli_helpers import run_cli
from tests.test_audit import codes, meta, ok, only, row_with, run, scan

T = "tracing: attach eBPF programs to kprobes"
URL = "https://lore.kernel.org/all/m@x/"


def inferred(**kw: object) -> Metadata:
    """A mail whose subject states no version: v1 by convention only."""
    m = meta(version=1, **kw)  # type: ignore[arg-type]
    return dataclasses.replace(m, subject=f"[PATCH 0/{m.total}] {m.title}", version_inferred=True)


# ------------------------------------------------ 1. versions read outside the bracket


def test_title_end_version_is_the_mails_version() -> None:
    # the real row of LOCKING.md: the title and the subject both end in v6
    m = dataclasses.replace(
        meta("kthread: Introduce preferred affinity v6", version=6, total=19),
        subject="[PATCH 00/19] kthread: Introduce preferred affinity v6",
    )
    body = row_with(
        "kthread: Introduce preferred affinity v6",
        status="v6 ☐☑✓",
        links=f"[LORE v6,0/19]({URL})",
        date="2024/12/11",
    )
    assert [f for f in run(body, m) if f.code != "date-mismatch"] == []


# ---------------------------------------------------------------- 2. a status newer than the links


def test_status_newer_than_every_link_is_unconfirmed_not_an_error() -> None:
    body = row_with(T, status="v9 ☑ 6.5-rc1", links=f"[LORE v7,0/9]({URL})")
    fs = run(body, meta(version=7))
    f = only(fs, "version-unconfirmed")
    assert (f.severity, f.expected, f.actual, f.edits) == ("info", "v9", "v7", ())
    extra = dict(f.extra)
    assert extra["claimed_version"] == "9" and extra["series_title"] == T
    assert extra["series_author"] == "ast@plumgrid.com"
    assert "version-mismatch" not in codes(fs)


def test_status_lower_than_a_version_the_row_links_is_an_error_with_its_fix() -> None:
    links = f"[LORE v13,0/9](https://lore.kernel.org/all/v13@x/) [LORE v14,0/9]({URL})"
    metas = {URL: meta(version=14), "https://lore.kernel.org/all/v13@x/": meta(version=13)}
    body = row_with(T, status="v12 ☐", links=links)
    doc = scan(body)
    fs = audit([doc], {u: ok(u, m) for u, m in metas.items()}, Settings())
    f = next(f for f in fs if f.code == "version-mismatch" and f.expected == "v12")
    assert (f.severity, f.actual) == ("error", "v14")
    assert b"| v14 \xe2\x98\x90 |" in enrich.apply_edits(doc.raw, f.edits)


# ---------------------------------------------------------------- 3. inferred versions


def test_an_inferred_version_never_makes_an_error() -> None:
    # a label claiming v2 of a mail that states no version: a warning, no fix
    body = row_with(T, status="v1 ☐", links=f"[LORE v2,0/9]({URL})")
    f = only(run(body, inferred()), "version-mismatch")
    assert (f.severity, f.edits) == ("warning", ())
    # a status higher than an inferred v1 is only unconfirmed
    assert codes(run(row_with(T, status="v3 ☐"), inferred())) == ["version-unconfirmed"]
    assert all(
        f.severity != "error"
        for f in run(row_with(T, status="v3 ☐", links=f"[LORE v3]({URL})"), inferred())
    )


# ---------------------------------------------------------------- 4. authors


def test_in_body_author_is_compared() -> None:
    # the resolver reads the body's From: (tests/test_sources_parsers.py); the row
    # naming the sender instead is another person
    m = meta(name="Hasan Al Maruf", email="hasanalmaruf@fb.com")
    f = only(run(row_with(T, author="Johannes Weiner <hannes@cmpxchg.org>"), m), "author-mismatch")
    assert f.severity == "error" and f.edits == ()  # no rewrite without --fix-authors


def test_surname_first_is_one_person() -> None:
    people = parse_authors("Luck, Tony <tony.luck@intel.com>")
    assert [(p.name, p.email) for p in people] == [("Luck, Tony", "tony.luck@intel.com")]
    assert len(parse_authors("Huang, Kai <kai.huang@intel.com>")) == 1
    # two people stay two
    assert len(parse_authors("Peter Zijlstra <peterz@infradead.org>, Ingo Molnar")) == 2
    m = meta(name="Tony Luck", email="tony.luck@intel.com")
    assert run(row_with(T, author="Luck, Tony <tony.luck@intel.com>"), m) == []
    m2 = meta(name="Luck, Tony", email="tony.luck@intel.com")
    assert run(row_with(T, author="Tony Luck <tony.luck@intel.com>"), m2) == []


def test_name_without_email_is_email_missing_not_mismatch() -> None:
    fs = run(row_with(T, author="Alexei Starovoitov"), meta())
    assert codes(fs) == ["author-email-missing"]
    assert fs[0].severity == "info" and fs[0].edits


def test_a_commit_notice_or_a_reply_is_no_author() -> None:
    tip = dataclasses.replace(
        meta(name="tip-bot2 for Peter Zijlstra", email="tip-bot2@linutronix.de"),
        subject=f"[tip: sched/core] {T}",
        version=None,
        counter=None,
        total=None,
    )
    assert "author-mismatch" not in codes(run(row_with(T, author="Tim Chen <t@x>"), tip))
    reply = dataclasses.replace(
        meta(name="Nathan Chancellor", email="nathan@kernel.org"),
        subject=f"Re: [PATCH] {T}",
    )
    assert not [f for f in run(row_with(T, author="Other <o@x>"), reply) if "author" in f.code]


# ---------------------------------------------------------------- 5. template marks


def test_template_marks_claim_nothing_about_merging() -> None:
    for text in ("v1 ☐☑✓", "v6 ☐☑", "☐☑✓ 5.17-rc1"):
        st = parse_status(text, lambda i: i)
        assert st is not None and st.merged is None, text
    st = parse_status("☐☑✓ 5.17-rc1", lambda i: i)
    assert st is not None and st.releases == ("5.17-rc1",)  # a release is still a claim
    assert parse_status("v2 ☑✓ 5.10", lambda i: i).merged is True  # type: ignore[union-attr]
    assert parse_status("v2 ☐", lambda i: i).merged is False  # type: ignore[union-attr]


# ---------------------------------------------------------------- 7. a title that swallowed a URL


def test_a_broken_link_is_a_malformed_row_never_a_title() -> None:
    body = (
        "| 2014/05/01 | Jiri Kosina <jkosina@suse.cz> | [kGraft]https://lore.kernel.org/all/m@x/)"
        " | x | v1 ☐ | [LORE v1,0/9](https://lore.kernel.org/all/m@x/) |\n"
    )
    doc = scan(body)
    assert [f.code for f in doc.findings] == ["malformed-row"]
    assert "has no '('" in doc.findings[0].message
    assert doc.rows[0].claims.title is None
    m = meta("Live kernel patching", name="Jiri Kosina", email="jkosina@suse.cz", version=1)
    fs = audit([doc], {URL: ok(URL, m)}, Settings(fix_titles=True))
    assert "title-mismatch" not in codes(fs)
    assert not [e for f in fs for e in f.edits if "https://" in e.old]  # no URL is ever replaced


# ---------------------------------------------------------------- 8. label counters


def test_a_label_claiming_the_cover_letter_that_links_a_patch() -> None:
    patch8 = dataclasses.replace(meta(version=4, counter=8, total=10), cover_msgid="c@x")
    body = row_with(T, status="v4 ☐", links=f"[LORE v4,0/10]({URL})")
    doc = scan(body)
    f = only(audit([doc], {URL: ok(URL, patch8)}, Settings()), "patch-count-mismatch")
    assert (f.expected, f.actual, f.severity) == ("0/10", "8/10", "error")
    assert "the patch, not the cover letter" in f.message
    assert b"[LORE v4,8/10]" in enrich.apply_edits(doc.raw, f.edits)
    # [PATCH v3 1/1] states its count: 0/1 is wrong; a lone [PATCH] is written 0/1
    one = dataclasses.replace(meta(version=3, counter=1, total=1), subject=f"[PATCH v3 1/1] {T}")
    assert codes(run(row_with(T, status="v3 ☐", links=f"[LORE v3,0/1]({URL})"), one)) == [
        "patch-count-mismatch"
    ]
    lone = dataclasses.replace(meta(version=3, counter=1, total=1), subject=f"[PATCH v3] {T}")
    assert run(row_with(T, status="v3 ☐", links=f"[LORE v3,0/1]({URL})"), lone) == []


# ---------------------------------------------------------------- titles of one patch


def test_a_row_may_name_its_series_by_a_patch_it_links() -> None:
    # MEMORY_MANAGER.md:5129: the feature link is patch 1/2 of a series with no cover
    # letter, the row names patch 2/2, which its links cell links
    p1 = dataclasses.replace(
        meta("arm64: avoid flushing icache", version=2, counter=1, total=2),
        subject="[PATCH v2 1/2] arm64: avoid flushing icache",
    )
    p2 = dataclasses.replace(
        p1, subject="[PATCH v2 2/2] arm64: mm: hugetlb: free vmemmap pages", counter=2
    )
    body = row_with(
        "arm64: mm: hugetlb: free vmemmap pages",
        status="v2 ☑ 5.18-rc1",
        links="[PatchWork v2,2/2](https://lore.kernel.org/all/p2@x/)",
    )
    fs = run(body, {URL: p1, "https://lore.kernel.org/all/p2@x/": p2})
    assert "title-mismatch" not in codes(fs)


# ------------------------------------------------ enrich never edits from a suspicion


def test_no_edit_comes_from_a_warning_or_an_info() -> None:
    body = row_with(T, status="☐", links=f"[LORE 0/9]({URL}) [LORE v2,0/9]({URL})")
    fs = run(body, meta(version=3))
    for f in fs:
        if f.severity != "error":
            assert f.edits == () or f.code in ("author-email-missing", "moved-link"), f


# ---------------------------------------------------------------- 9. rows in the JSON report


def test_scan_json_lists_every_row_with_its_claims(tmp_path: Path) -> None:
    p = tmp_path / "t.md"
    p.write_text(
        "# t\n\n"
        "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
        "|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
        + row_with(
            T,
            author="Luck, Tony <tony.luck@intel.com>",
            status="RFC,v6 ☐☑✓ 6.5-rc1",
            links=f"[LORE v6,0/9]({URL})",
        ),
        encoding="utf-8",
    )
    r = run_cli(["scan", str(p), "--format", "json"])
    r.assert_clean()
    (row,) = r.json()["rows"]
    assert row == {
        "file": str(p),
        "line": 5,
        "date": "2015-03-25",
        "authors": [{"name": "Luck, Tony", "email": "tony.luck@intel.com"}],
        "title": T,
        "version": 6,
        "rfc": True,
        "merged": None,
        "release": "6.5-rc1",
        "labels": [{"url": URL, "site": "lore", "version": 6, "counter": 0, "total": 9}],
        "end_line": 5,
        "well_formed": True,
        "status": "RFC,v6 ☐☑✓ 6.5-rc1",
    }


def test_a_reviewers_reply_is_compared_through_its_threads_author() -> None:
    # DEBUGGING.md:1385 links Nathan Chancellor's reply and names him; the patch the
    # thread discusses is Rasmus Villemoes's (the resolver reads the thread's root)
    reply = dataclasses.replace(
        meta(name="Nathan Chancellor", email="nathan@kernel.org"),
        subject=f"Re: [PATCH] {T}",
        thread_author_name="Rasmus Villemoes",
        thread_author_email="linux@rasmusvillemoes.dk",
    )
    f = only(
        run(row_with(T, author="Nathan Chancellor <nathan@kernel.org>"), reply), "author-mismatch"
    )
    assert f.actual == "Rasmus Villemoes <linux@rasmusvillemoes.dk>"
    assert run(row_with(T, author="Rasmus Villemoes <linux@rasmusvillemoes.dk>"), reply) == []
