"""The first hour with patchcrawl (issue #18): output choices refused before the crawl,
``enrich --format json``, diff paths ``git apply`` and ``patch -p1`` take, baseline
messages, and the small ones (environment, ``cache stats``, bare ``patchcrawl``,
``--help``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchcrawl.cli import human_size, human_time
from patchcrawl.testweb.planted import DEAD, PLANTED, RESENT, install_faults, planted_handler
from patchcrawl.testweb.server import KernelWeb
from tests.cli_helpers import Run, run_cli

FAST = ["--no-progress", "--host-interval", "0", "--retries", "2", "--timeout", "3"]


@pytest.fixture(scope="module")
def web() -> Iterator[KernelWeb]:
    with KernelWeb(planted_handler()) as served:
        install_faults(served)
        yield served


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "history.md"
    shutil.copyfile(PLANTED, path)
    return path


def run(web: KernelWeb, *args: str | Path, cwd: Path | None = None) -> Run:
    out = run_cli([*args, "--remap", web.remap_rule(), *FAST], cwd=cwd)
    out.assert_clean()
    return out


# ---------------------------------------------------------------- refused before the crawl


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--output", "/nonexistent-dir/r.json"], "no such directory /nonexistent-dir"),
        (["enrich", "--output", "/nonexistent-dir/x.diff"], "no such directory"),
        (["verify", "--output", "."], "is a directory"),
        (["enrich", "--format", "sarif"], "enrich --format sarif"),
        (["enrich", "--format", "junit"], "a report format of verify"),
        (["verify", "--baseline", "missing-baseline.json"], "no such baseline file"),
        (
            ["verify", "--baseline", "/nonexistent-dir/b.json", "--update-baseline"],
            "--baseline /nonexistent-dir/b.json: no such directory",
        ),
        (["verify", "--format", "nope"], "'nope' is not one of"),
    ],
)
def test_output_choices_are_refused_before_any_request(
    web: KernelWeb, doc: Path, args: list[str], message: str
) -> None:
    before = len(web.log)
    out = run_cli(
        [*args, doc, "--cache-dir", doc.parent / "c", "--remap", web.remap_rule(), *FAST],
        cwd=doc.parent,
    )
    assert out.code == 2, out.err
    assert message in out.err
    assert len(web.log) == before  # not one request was sent


def test_enrich_help_names_its_two_formats() -> None:
    text = run_cli(["enrich", "--help"]).text
    flat = " ".join(text.split())
    assert "enrich writes terminal (the unified diff, the default) or json" in flat


# ---------------------------------------------------------------- enrich --format json


def test_enrich_json_lists_fixes_and_rescue_scores(web: KernelWeb, doc: Path) -> None:
    out = run(web, "enrich", doc, "--format", "json", "--cache-dir", doc.parent / "c")
    assert out.code == 0, out.err
    data = out.json()
    assert set(data) >= {"diff", "written", "fixes", "complete"}
    assert data["written"] == [] and data["complete"] is True
    fixes = data["fixes"]
    text = doc.read_text(encoding="utf-8").splitlines()
    for fix in fixes:
        assert {"code", "file", "line", "column", "old", "new"} <= set(fix)
        # line and column point at the old text as the file holds it
        assert text[fix["line"] - 1][fix["column"] - 1 :].startswith(fix["old"])
        assert f"-{text[fix['line'] - 1]}" in data["diff"]
    codes = {f["code"] for f in fixes}
    assert codes >= {"moved-link", "version-mismatch", "patch-count-mismatch"}
    assert codes >= {"author-email-missing", "dead-link"}
    (rescue,) = [f for f in fixes if f["code"] == "dead-link"]
    assert DEAD in rescue["old"] and RESENT in rescue["new"]
    assert 0.8 <= rescue["score"] <= 1.0 and RESENT in rescue["rescue_url"]
    assert all("score" not in f for f in fixes if f["code"] != "dead-link")


# ---------------------------------------------------------------- diff paths


def _enrich_diff(web: KernelWeb, target: str, cwd: Path, cache: Path) -> str:
    out = run(web, "enrich", target, "--cache-dir", cache, "--select", "moved-link", cwd=cwd)
    assert out.code == 0, out.err
    return out.text


def test_diff_of_a_file_above_the_cwd_in_a_git_repo(web: KernelWeb, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    shutil.copyfile(PLANTED, repo / "x.md")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    diff = _enrich_diff(web, "../x.md", repo / "docs", tmp_path / "c")
    assert "--- a/x.md\n+++ b/x.md\n" in diff and "../" not in diff.split("@@")[0]
    (tmp_path / "fix.diff").write_text(diff, encoding="utf-8")
    # git apply reads names from the root of the tree; patch -p1 from where they lead
    check = subprocess.run(
        ["git", "apply", "--check", "-v", str(tmp_path / "fix.diff")],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "Checking patch x.md" in check.stderr, check.stderr
    if shutil.which("patch"):
        dry = subprocess.run(
            ["patch", "-p1", "--dry-run", "-i", str(tmp_path / "fix.diff")],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        assert dry.returncode == 0, dry.stdout + dry.stderr


def test_diff_outside_a_git_repo_is_relative_to_the_cwd(web: KernelWeb, tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    shutil.copyfile(PLANTED, tmp_path / "notes" / "x.md")
    diff = _enrich_diff(web, str(tmp_path / "notes" / "x.md"), tmp_path, tmp_path / "c")
    assert "--- a/notes/x.md\n+++ b/notes/x.md\n" in diff
    (tmp_path / "fix.diff").write_text(diff, encoding="utf-8")
    check = subprocess.run(
        ["git", "apply", "--check", "fix.diff"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


# ---------------------------------------------------------------- baseline


def test_update_baseline_says_what_it_wrote_and_exits_0(web: KernelWeb, doc: Path) -> None:
    base: list[str | Path] = ["--cache-dir", doc.parent / "c", "--baseline", doc.parent / "b.json"]
    wrote = run(web, "verify", doc, *base, "--update-baseline")
    assert wrote.code == 0, wrote.err
    entries = len(json.loads((doc.parent / "b.json").read_text("utf-8"))["findings"])
    assert entries == 13
    # the two moved-link findings of one row share an entry
    assert f"patchcrawl: wrote {entries} entries (14 findings) to {doc.parent / 'b.json'}" in (
        wrote.err
    )
    again = run(web, "verify", doc, *base, "--format", "terminal")
    assert again.code == 0, again.err
    assert "14 known findings suppressed by the baseline" in again.text
    assert re.search(r"^no findings$", again.text, re.M)
    data = run(web, "verify", doc, *base, "--format", "json").json()
    assert data["summary"]["baseline_suppressed"] == 14 and data["findings"] == []
    md = run(web, "verify", doc, *base, "--format", "markdown").text
    assert "14 known findings suppressed by the baseline." in md


# ---------------------------------------------------------------- small ones


def test_cache_stats_for_people(web: KernelWeb, doc: Path) -> None:
    cache = doc.parent / "c"
    assert run(web, "verify", doc, "--cache-dir", cache, "--format", "json").code == 1
    out = run_cli(["cache", "stats", "--cache-dir", cache])
    assert out.code == 0, out.err
    assert re.search(r"size on disk: \d+(\.\d)? (B|kB|MB|GB)\n", out.text), out.text
    assert re.search(r"oldest entry: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(", out.text), out.text
    assert re.search(r"entries: \d+ \(\d+ pages, \d+ resolutions, \d+ documents\)", out.text)
    data = json.loads(run_cli(["cache", "stats", "--cache-dir", cache, "--format", "json"]).out)
    assert isinstance(data["oldest"], float) and isinstance(data["bytes"], int)


def test_human_size_and_time() -> None:
    assert [human_size(n) for n in (0, 999, 1000, 1_234_567, 5 * 10**9)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "1.2 MB",
        "5.0 GB",
    ]
    assert human_time(None) == "-"
    assert human_time(0, now=3 * 86400 + 5) == "1970-01-01 00:00 UTC (3 days ago)"
    assert human_time(0, now=90) == "1970-01-01 00:00 UTC (1 minute ago)"
    assert human_time(0, now=10).endswith("(just now)")


def test_bare_patchcrawl_shows_its_help() -> None:
    out = run_cli([])
    assert out.code == 0
    assert out.text.startswith("Usage: patchcrawl")
    assert "Commands:" in out.text and "demo" in out.text
    assert "error" not in out.err.lower() and "error:" not in out.text


def test_verify_help_shows_defaults_and_every_exit_code() -> None:
    text = run_cli(["verify", "--help"]).text
    flat = " ".join(text.split())
    for default in ("(default: 4)", "(default: 0.25)", "(default: 32)", "(default: 20)"):
        assert default in flat, default
    assert "(default: 3)" in flat and "default: 7d" in flat
    for code in range(5):
        assert re.search(rf"^\s+{code}\s+\S", text, re.M), code


def test_non_markdown_file_in_verify(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    out = run_cli(["verify", tmp_path / "notes.txt", "--offline"])
    assert out.code == 2 and "notes.txt: not a markdown file" in out.err


def test_sarif_help_anchors_are_readme_sections() -> None:
    from patchcrawl.models import FINDING_CODES
    from patchcrawl.reports.sarif import _rules

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    anchors = {_github_anchor(h) for h in re.findall(r"^#+ (.+)$", readme, re.M)}
    rules = _rules(set(FINDING_CODES))
    assert len(rules) == len(FINDING_CODES)
    for rule in rules:
        fragment = rule["helpUri"].split("#", 1)[1]
        assert fragment in anchors, (rule["id"], fragment)


def _github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation but - and _ dropped,
    spaces to -."""
    text = re.sub(r"`", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")
