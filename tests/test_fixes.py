"""Fixes that know their safety: the vocabulary of codes, the kind of each fix, the
user's consent to the unsafe ones, and a fix applied whole or not at all."""

from __future__ import annotations

import dataclasses
from typing import get_args

from patchcrawl import enrich
from patchcrawl.audit import audit, audit_row
from patchcrawl.audit.fixes import applicability_of, consent, offered
from patchcrawl.models import (
    CODE_INFO,
    DEFAULT_SEVERITY,
    FINDING_CODES,
    FINDING_VOCABULARY,
    FIXABLE_NON_ERRORS,
    Document,
    Edit,
    Finding,
    FindingCode,
    Fix,
    Resolution,
)
from patchcrawl.settings import Settings
from tests.test_audit import meta, ok, only, row_with, scan

URL = "https://lore.kernel.org/all/m@x/"


# --------------------------------------------------------------------------- vocabulary


def test_the_table_the_literal_and_the_derived_names_agree() -> None:
    assert get_args(FindingCode) == FINDING_CODES
    assert len(FINDING_CODES) == 17 and len(set(FINDING_CODES)) == 17
    assert {c.code: c.severity for c in FINDING_VOCABULARY} == DEFAULT_SEVERITY
    assert {"moved-link", "author-email-missing"} == FIXABLE_NON_ERRORS


def test_families_and_fix_kinds() -> None:
    family = {c.code: c.family for c in FINDING_VOCABULARY}
    assert {c for c, f in family.items() if f == "link"} == {
        "dead-link",
        "moved-link",
        "blocked",
        "paywalled",
        "unreachable",
        "malformed-url",
    }
    assert {c for c, f in family.items() if f == "mainline"} == {
        "release-mismatch",
        "not-in-mainline",
        "merged-unmarked",
    }
    unsafe = {c.code for c in FINDING_VOCABULARY if c.fix == "unsafe"}
    assert unsafe == {"author-mismatch", "title-mismatch"}
    # a suspicion carries no fix: every code with a fix is an error or a fixable kind
    for c in FINDING_VOCABULARY:
        if c.fix is not None:
            assert c.severity == "error" or c.code in FIXABLE_NON_ERRORS, c


def test_applicability_of_a_code_and_severity() -> None:
    assert applicability_of("moved-link", "warning") == "safe"
    assert applicability_of("version-mismatch", "error") == "safe"
    assert applicability_of("author-mismatch", "error") == "unsafe"
    assert applicability_of("title-mismatch", "error") == "unsafe"
    # a suspicion's edit (an inferred version, a count the mail does not state)
    assert applicability_of("version-mismatch", "warning") == "display-only"
    assert applicability_of("patch-count-mismatch", "warning") == "display-only"
    # a code that carries no fix
    assert applicability_of("date-mismatch", "error") == "display-only"
    assert CODE_INFO["date-mismatch"].fix is None


# --------------------------------------------------------------------------- consent


def _finding(code: FindingCode, applicability: str, *edits: Edit) -> Finding:
    return Finding(
        code=code,
        severity="error",
        file=edits[0].file if edits else "f.md",
        line=1,
        column=1,
        message="m",
        edits=edits,
        applicability=applicability,  # type: ignore[arg-type]
    )


def test_consent_names_the_codes_of_the_flags() -> None:
    assert consent(Settings()) == frozenset()
    assert consent(Settings(fix_authors=True)) == {"author-mismatch"}
    assert consent(Settings(fix_titles=True)) == {"title-mismatch"}
    assert consent(Settings(fix_authors=True, fix_titles=True)) == {
        "author-mismatch",
        "title-mismatch",
    }


def test_offered_keeps_safe_and_consented_unsafe_fixes_only() -> None:
    e = Edit("f.md", 0, 2, "v2", "v1")
    safe = _finding("version-mismatch", "safe", e)
    assert offered(safe, frozenset()) is safe
    unsafe = _finding("author-mismatch", "unsafe", e)
    assert offered(unsafe, frozenset({"author-mismatch"})) is unsafe
    withheld = offered(unsafe, frozenset({"title-mismatch"}))  # consent for another code
    assert withheld.edits == () and withheld.fix is None
    assert withheld.applicability == "safe"  # a finding with no edits has the default
    display = _finding("version-mismatch", "display-only", e)
    assert offered(display, frozenset({"version-mismatch"})).edits == ()
    assert safe.fix == Fix((e,), "safe")


def _author_row() -> tuple[Document, dict[str, Resolution]]:
    body = row_with(
        "tracing: attach eBPF programs to kprobes", author="Mel Gorman <mgorman@suse.de>"
    )
    return scan(body), {URL: ok(URL, meta())}


def test_the_rule_makes_the_unsafe_fix_whatever_the_flags() -> None:
    doc, res = _author_row()
    made = only(audit_row(doc, doc.rows[0], res, Settings()), "author-mismatch")
    assert made.applicability == "unsafe" and len(made.edits) == 1
    assert made.edits[0].new == "Alexei Starovoitov <ast@plumgrid.com>"
    # audit offers it only with the user's consent, and says what kind it is
    assert only(audit([doc], res, Settings()), "author-mismatch").fix is None
    given = only(audit([doc], res, Settings(fix_authors=True)), "author-mismatch")
    assert given.fix == Fix(made.edits, "unsafe")
    assert only(audit([doc], res, Settings(fix_titles=True)), "author-mismatch").fix is None


def test_a_suspicions_edit_is_display_only_and_never_offered() -> None:
    # the mail states no version ([PATCH 0/9]: v1 by convention only); the label says v2
    m = dataclasses.replace(meta(version=None), version=1, version_inferred=True)
    body = row_with(
        "tracing: attach eBPF programs to kprobes", status="☐", links=f"[LORE v2,0/9]({URL})"
    )
    doc = scan(body)
    res = {URL: ok(URL, m)}
    made = only(audit_row(doc, doc.rows[0], res, Settings()), "version-mismatch")
    assert made.severity == "warning" and made.expected == "v2" and made.actual == "v1"
    assert made.applicability == "display-only" and made.edits[0].new == "v1"
    assert only(audit([doc], res, Settings()), "version-mismatch").fix is None


def test_the_enrich_fix_list_says_each_fixs_applicability() -> None:
    doc, res = _author_row()
    fs = audit([doc], res, Settings(fix_authors=True))
    fixes = enrich.fix_list([doc], fs)
    kinds = {f["code"]: f["applicability"] for f in fixes}
    assert kinds["author-mismatch"] == "unsafe"
    assert all(v == "safe" for c, v in kinds.items() if c != "author-mismatch")


# --------------------------------------------------------------------------- whole or not at all


def _doc(raw: bytes) -> Document:
    return Document("f.md", raw, "utf-8", "\n", (), (), ())


def _edit(raw: bytes, old: str, new: str) -> Edit:
    start = raw.index(old.encode())
    return Edit("f.md", start, start + len(old.encode()), new, old)


RAW = b"| a v1 | b 0/4 | c x |\n"


def test_a_fix_whose_second_edit_conflicts_is_skipped_whole_and_counted() -> None:
    first = _finding("patch-count-mismatch", "safe", _edit(RAW, "0/4", "0/5"))
    both = _finding("version-mismatch", "safe", _edit(RAW, "v1", "v2"), _edit(RAW, "0/4", "0/3"))
    plan = enrich.plan_edits([_doc(RAW)], [first, both])
    assert plan.by_file["f.md"] == list(first.edits)  # not v1 -> v2: the fix is whole or none
    assert plan.applied == {"patch-count-mismatch": 1}
    assert plan.skipped == {"version-mismatch": 1}
    (rej,) = plan.rejected
    assert rej.finding is both and rej.edit == both.edits[1]
    assert "conflicts" in rej.reason and "skipped whole" in rej.reason
    assert enrich.apply_edits(RAW, plan.by_file["f.md"]) == b"| a v1 | b 0/5 | c x |\n"


def test_a_fix_with_a_stale_edit_is_skipped_whole() -> None:
    stale = Edit("f.md", 17, 18, "y", "z")  # the file holds "x" there
    f = _finding("title-mismatch", "unsafe", _edit(RAW, "v1", "v2"), stale)
    plan = enrich.plan_edits([_doc(RAW)], [f])
    assert plan.by_file["f.md"] == [] and plan.skipped == {"title-mismatch": 1}
    assert "are not 'z'" in plan.rejected[0].reason
    assert enrich.build_diff([_doc(RAW)], [f]) == ""


def test_a_fix_whose_own_edits_overlap_is_skipped() -> None:
    f = _finding("version-mismatch", "safe", _edit(RAW, "v1", "v2"), _edit(RAW, "a v1", "a v3"))
    plan = enrich.plan_edits([_doc(RAW)], [f])
    assert plan.by_file["f.md"] == [] and "its own fix" in plan.rejected[0].reason


def test_an_edit_an_earlier_fix_made_is_not_a_conflict_and_is_listed_once() -> None:
    shared = _edit(RAW, "v1", "v2")
    a = _finding("version-mismatch", "safe", shared)
    b = _finding("moved-link", "safe", shared, _edit(RAW, "x", "y"))
    plan = enrich.plan_edits([_doc(RAW)], [a, b])
    assert plan.applied == {"version-mismatch": 1, "moved-link": 1} and not plan.rejected
    listed = enrich.fix_list([_doc(RAW)], [a, b])
    assert [(f["code"], f["new"]) for f in listed] == [
        ("version-mismatch", "v2"),
        ("moved-link", "y"),
    ]


def test_a_display_only_fix_is_never_applied() -> None:
    f = _finding("version-mismatch", "display-only", _edit(RAW, "v1", "v2"))
    plan = enrich.plan_edits([_doc(RAW)], [f])
    assert plan.by_file["f.md"] == [] and not plan.applied and not plan.skipped
