"""enrich: byte-exact edits, git-compatible diffs, atomic writes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import cast

import pytest

from patchcrawl import enrich
from patchcrawl.atomic import StaleFileError, atomic_write
from patchcrawl.models import Document, Edit, Finding, FindingCode
from patchcrawl.settings import UsageError

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git not installed")


def doc(path: str, raw: bytes) -> Document:
    return Document(
        path=path, raw=raw, encoding="utf-8", newline="\n", tables=(), links=(), findings=()
    )


def edit(path: str, raw: bytes, old: str, new: str, nth: int = 0) -> Edit:
    ob = old.encode("utf-8")
    pos = -1
    for _ in range(nth + 1):
        pos = raw.index(ob, pos + 1)
    return Edit(file=path, start=pos, end=pos + len(ob), new=new, old=old)


def finding(code: str, *edits: Edit) -> Finding:
    """A finding whose fix is ``edits`` (``code`` may be a stand-in: enrich reads only
    the edits)."""
    return Finding(
        code=cast(FindingCode, code),
        severity="error",
        file=edits[0].file,
        line=1,
        column=1,
        message="m",
        edits=edits,
    )


def git_apply(tmp: Path, files: dict[str, bytes], diff: bytes) -> dict[str, bytes]:
    """Write ``files`` under tmp, ``git apply --check`` then ``git apply`` the diff."""
    for name, data in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (tmp / "fix.diff").write_bytes(diff)
    for args in (["--check"], []):
        r = subprocess.run(
            [GIT or "git", "apply", *args, "fix.diff"], cwd=tmp, capture_output=True, check=False
        )
        assert r.returncode == 0, r.stderr.decode() + "\n" + diff.decode("utf-8", "replace")
    return {name: (tmp / name).read_bytes() for name in files}


# --------------------------------------------------------------------------- apply_edits


def test_apply_edits_backwards_and_checks_old() -> None:
    raw = b"| v1 | [LORE v1,0/5](https://x/a) |\n"
    e1 = edit("f.md", raw, "v1", "v2")
    e2 = edit("f.md", raw, "0/5", "0/6")
    e3 = edit("f.md", raw, "https://x/a", "https://lore.kernel.org/all/a@b/")
    out = enrich.apply_edits(raw, [e1, e3, e2])
    assert out == b"| v2 | [LORE v1,0/6](https://lore.kernel.org/all/a@b/) |\n"
    bad = Edit("f.md", 2, 4, "v9", "v7")
    with pytest.raises(enrich.EditError, match="not 'v7'"):
        enrich.apply_edits(raw, [bad])
    with pytest.raises(enrich.EditError, match="overlapping"):
        enrich.apply_edits(raw, [Edit("f.md", 2, 4, "x", "v1"), Edit("f.md", 3, 5, "y", "1 ")])


def test_insertion_at_replacement_boundary_lands_before() -> None:
    raw = b"abc"
    ins = Edit("f", 1, 1, "X", "")
    rep = Edit("f", 1, 2, "Y", "b")
    assert enrich.apply_edits(raw, [ins, rep]) == b"aXYc"
    assert enrich.apply_edits(raw, [rep, ins]) == b"aXYc"


def test_identical_edits_deduped_conflicts_refused_first_wins() -> None:
    raw = "| 2020/01/01 | v1 ☐ |\n".encode()
    a = edit("f.md", raw, "v1", "v2")
    b = edit("f.md", raw, "v1", "v3")
    d = doc("f.md", raw)
    rejected: list[enrich.Rejected] = []
    diff = enrich.build_diff(
        [d],
        [finding("version-mismatch", a), finding("version-mismatch", a), finding("x", b)],
        rejected=rejected,
    )
    assert "+| 2020/01/01 | v2 ☐ |" in diff
    assert len(rejected) == 1 and rejected[0].edit == b
    assert "conflicts" in rejected[0].reason
    # stale edit (old text not in file) is rejected, not applied
    stale = Edit("f.md", 15, 17, "v9", "v7")
    plan = enrich.plan_edits([d], [finding("x", stale)])
    assert plan.by_file["f.md"] == [] and "not 'v7'" in plan.rejected[0].reason


def test_select_and_ignore_filter_by_code() -> None:
    raw = b"a v1 b https://old\n"
    d = doc("f.md", raw)
    fs = [
        finding("version-mismatch", edit("f.md", raw, "v1", "v2")),
        finding("moved-link", edit("f.md", raw, "https://old", "https://new")),
    ]
    only = enrich.build_diff([d], fs, select=["moved-link"])
    assert "+a v1 b https://new" in only
    skip = enrich.build_diff([d], fs, ignore=["moved-link"])
    assert "+a v2 b https://old" in skip
    assert enrich.build_diff([d], fs, select=[]) == ""


# --------------------------------------------------------------------------- diffs vs git


CASES: dict[str, bytes] = {
    "lf.md": b"# t\n\n| a | b |\n|---|---|\n| v1 | x |\n\ntext\n",
    "crlf.md": b"# t\r\n\r\n| a | b |\r\n|---|---|\r\n| v1 | x |  \r\n\r\nmore\r\n",
    "bom.md": "\ufeff| 时间 | 特性 |\n|---|---|\n| 2020/01/01 | v1 ☐☑✓ |\n".encode(),
    "cjk.md": "| 王贇 | 调度器 v1 驱动 | 描述 |\n| 程垲涛 | v1 |   \n".encode(),
    "noeol.md": b"line1\nline2\n| v1 | last |",
    "latin1.md": b"caf\xe9 \xff\n| v1 |\n\xfe\xfe end\n",
    "broken.md": b"| 2021/08/30 | a | [t](u) | desc\ncontinued | v1 \xe2\x98\x90 |\n |\n",
}


@needs_git
@pytest.mark.parametrize("name", sorted(CASES))
def test_diff_applies_with_git_and_matches_apply_edits(tmp_path: Path, name: str) -> None:
    raw = CASES[name]
    e = edit(name, raw, "v1", "v12")
    d = doc(name, raw)
    diff = enrich.build_diff_bytes([d], [finding("version-mismatch", e)])
    assert diff.startswith(f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n".encode())
    # str form is lossless
    text = enrich.build_diff([d], [finding("version-mismatch", e)])
    assert text.encode("utf-8", "surrogateescape") == diff
    out = git_apply(tmp_path, {name: raw}, diff)[name]
    assert out == enrich.apply_edits(raw, [e])
    assert out == raw.replace(b"v1", b"v12", 1)


@needs_git
def test_last_line_without_newline_changed_and_in_context(tmp_path: Path) -> None:
    raw = b"a\nb\nc\nd\ne\nf\ng\nh v1\ni\nj v1"
    e1 = edit("f.md", raw, "v1", "v2")
    e2 = edit("f.md", raw, "v1", "v3", nth=1)
    d = doc("f.md", raw)
    diff = enrich.build_diff_bytes([d], [finding("x", e1), finding("y", e2)])
    assert diff.count(b"\\ No newline at end of file") == 2
    assert git_apply(tmp_path, {"f.md": raw}, diff)["f.md"] == b"a\nb\nc\nd\ne\nf\ng\nh v2\ni\nj v3"
    # only the line before the last changes: the last is context without newline
    diff2 = enrich.build_diff_bytes([d], [finding("x", e1)])
    assert diff2.endswith(b" j v1\n\\ No newline at end of file\n")
    assert git_apply(tmp_path / "2", {"f.md": raw}, diff2)["f.md"].endswith(b"h v2\ni\nj v1")


@needs_git
def test_many_hunks_several_files_and_multiline_edit(tmp_path: Path) -> None:
    lines = [f"| row {i} | v1 |\r\n".encode() for i in range(60)]
    raw = b"".join(lines)
    e_far = [edit("a/x.md", raw, f"row {i} | v1", f"row {i} | v2") for i in (0, 5, 30, 59)]
    other = b"one\ntwo three\nfour\n"
    e_multi = Edit("b.md", 4, 13, "2\nthree", "two three")
    docs = [doc("a/x.md", raw), doc("b.md", other)]
    fs = [finding("x", *e_far), finding("y", e_multi)]
    diff = enrich.build_diff_bytes(docs, fs)
    assert diff.count(b"diff --git") == 2
    assert diff.count(b"\n@@ ") == 4  # x.md: 0+5 merged, 30, 59; b.md: 1
    out = git_apply(tmp_path, {"a/x.md": raw, "b.md": other}, diff)
    assert out["a/x.md"] == enrich.apply_edits(raw, e_far)
    assert out["b.md"] == b"one\n2\nthree\nfour\n"
    assert b"\r\n" in out["a/x.md"] and out["a/x.md"].count(b"\r\n") == 60


def test_no_edits_no_diff() -> None:
    assert enrich.build_diff([doc("f.md", b"x\n")], []) == ""


# --------------------------------------------------------------------------- write


@needs_git
def test_write_equals_git_apply_and_keeps_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = CASES["crlf.md"]
    work = tmp_path / "w"
    work.mkdir()
    (work / "crlf.md").write_bytes(raw)
    os.chmod(work / "crlf.md", 0o640)
    monkeypatch.chdir(work)
    e = edit("crlf.md", raw, "v1", "v7")
    d = doc("crlf.md", raw)
    diff = enrich.build_diff_bytes([d], [finding("x", e)])
    written = enrich.write([d], [finding("x", e)])
    assert written == ["crlf.md"]
    got = (work / "crlf.md").read_bytes()
    assert got == git_apply(tmp_path / "g", {"crlf.md": raw}, diff)["crlf.md"]
    assert stat.S_IMODE(os.stat(work / "crlf.md").st_mode) == 0o640
    assert [p.name for p in work.iterdir()] == ["crlf.md"]  # no temp files left


def test_write_refuses_changed_file_and_writes_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = b"| v1 |\n", b"| v1 | b |\n"
    Path("a.md").write_bytes(a)
    Path("b.md").write_bytes(b)
    da, db = doc("a.md", a), doc("b.md", b)
    Path("a.md").write_bytes(a + b"edited meanwhile\n")
    fs = [finding("x", edit("a.md", a, "v1", "v2")), finding("x", edit("b.md", b, "v1", "v2"))]
    with pytest.raises(enrich.WriteRefused) as info:
        enrich.write([da, db], fs)
    assert isinstance(info.value, UsageError)
    assert "a.md" in str(info.value) and "changed on disk" in str(info.value)
    assert info.value.refused == ["a.md"] and info.value.written == ["b.md"]
    assert Path("a.md").read_bytes() == a + b"edited meanwhile\n"
    assert Path("b.md").read_bytes() == b"| v2 | b |\n"


def test_atomic_write_symlink_and_stale(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    atomic_write(str(link), b"new", expected=b"old")
    assert link.is_symlink() and target.read_bytes() == b"new"
    with pytest.raises(StaleFileError, match=r"link\.md"):
        atomic_write(str(link), b"newer", expected=b"old")
    assert target.read_bytes() == b"new"
    atomic_write(str(tmp_path / "fresh.txt"), "tëxt")
    assert (tmp_path / "fresh.txt").read_text(encoding="utf-8") == "tëxt"


def _naive_accept(edits: list[Edit]) -> list[Edit]:
    kept: list[Edit] = []
    for e in edits:
        if any((k.start, k.end, k.new) == (e.start, e.end, e.new) for k in kept):
            continue
        if not any(enrich._overlaps(k, e) for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.end))


@needs_git
def test_random_edits_plan_matches_naive_and_git_agrees(tmp_path: Path) -> None:
    import random

    rnd = random.Random(1234)
    alphabet = [b"a", b"b", b" ", b"\n", b"\r\n", "é".encode(), "☐".encode(), b"|"]
    for case in range(25):
        raw = b"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 120)))
        if rnd.random() < 0.3:
            raw = b"\xef\xbb\xbf" + raw
        text = raw.decode("utf-8")
        # edits on character boundaries, in UTF-8 byte offsets
        bounds = [len(text[:i].encode()) for i in range(len(text) + 1)]
        edits = []
        for _ in range(rnd.randint(1, 12)):
            i = rnd.randrange(len(bounds))
            j = min(len(bounds) - 1, i + rnd.randint(0, 4))
            s, e = bounds[i], bounds[j]
            new = rnd.choice(["", "X", "v2", "né\nw", "☑"])
            edits.append(Edit("r.md", s, e, new, raw[s:e].decode()))
        d = doc("r.md", raw)
        fs = [finding("x", ed) for ed in edits]
        plan = enrich.plan_edits([d], fs)
        assert plan.by_file["r.md"] == _naive_accept(edits), case
        diff = enrich.build_diff_bytes([d], fs)
        expected = enrich.apply_edits(raw, plan.by_file["r.md"])
        if expected == raw:
            assert diff == b""
            continue
        got = git_apply(tmp_path / str(case), {"r.md": raw}, diff)["r.md"]
        assert got == expected, case


@needs_git
@pytest.mark.parametrize("name", ["my dir/a b.md", 'q"uo\\te\ttab.md', "调度/说明.md", "./dot.md"])
def test_awkward_paths_are_quoted_as_git_does(tmp_path: Path, name: str) -> None:
    raw = b"x v1\n"
    e = Edit(name, 2, 4, "v2", "v1")
    diff = enrich.build_diff_bytes([doc(name, raw)], [finding("x", e)])
    plain = name.removeprefix("./")
    assert git_apply(tmp_path, {plain: raw}, diff)[plain] == b"x v2\n"


def test_diff_names_are_relative_as_git_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchcrawl.enrich import _diff_path

    monkeypatch.chdir(tmp_path)
    assert _diff_path(str(tmp_path / "docs" / "BPF.md")) == "docs/BPF.md"
    assert _diff_path("./docs/./x.md") == "docs/x.md"
    assert _diff_path("/elsewhere/x.md") == "elsewhere/x.md"  # git apply refuses absolute names
