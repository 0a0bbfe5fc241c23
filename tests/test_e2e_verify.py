"""End to end over real HTTP: the real CLI, the real fetcher, KernelWeb serving planted.md's web.

Every run goes through ``patchcrawl.cli.main`` in-process (stdout/stderr captured)
with ``--remap`` pointing at the local server; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from patchcrawl.testweb.planted import (
    EXPECTED,
    PLANTED,
    RATE_LIMITED,
    install_faults,
    naming,
    planted_handler,
    row_lines,
)
from patchcrawl.testweb.server import KernelWeb
from tests.cli_helpers import closed_port, run_cli

SCHEMA = Path(__file__).resolve().parent / "data" / "patchcrawl-report-1.schema.json"
FAST = ["--no-progress", "--host-interval", "0", "--retries", "2", "--timeout", "3"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        data = json.loads(self.out)
        assert isinstance(data, dict)
        return data


def cli(*argv: str) -> Run:
    """Run ``patchcrawl argv`` in-process (:func:`tests.cli_helpers.run_cli`), text out."""
    r = run_cli(argv)
    r.assert_clean()
    return Run(r.code, r.text, r.err)


def verify_args(web: KernelWeb, cache: Path, *paths: str, fmt: str = "json") -> list[str]:
    return [
        "verify",
        *paths,
        "--remap",
        web.remap_rule(),
        "--cache-dir",
        str(cache),
        "--format",
        fmt,
        *FAST,
    ]


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings file of the checkout (pyproject.toml) may leak into these runs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PATCHCRAWL_CACHE_DIR", raising=False)


@dataclass
class Planted:
    web: KernelWeb
    cache: Path
    doc: str
    first: Run  # the first (network) run
    lines: dict[str, int]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    base = tmp_path_factory.mktemp("planted")
    doc = base / "planted.md"
    shutil.copyfile(PLANTED, doc)
    cache = base / "cache"
    with KernelWeb(planted_handler()) as web:
        install_faults(web)
        first = cli(*verify_args(web, cache, str(doc)))
        yield Planted(web, cache, str(doc), first, row_lines())


# ----------------------------------------------------------------------------- findings


def test_planted_rows_give_exactly_their_finding(planted: Planted) -> None:
    run = planted.first
    assert run.code == 1, run.err
    report = run.report
    by_line: dict[int, set[tuple[str, str]]] = {}
    for f in report["findings"]:
        by_line.setdefault(f["line"], set()).add((f["code"], f["severity"]))
    for name, want in EXPECTED.items():
        line = planted.lines[name]
        got = by_line.pop(line, set())
        if want is None:
            assert got == set(), f"{name} (line {line}) should give no finding, got {got}"
        else:
            assert got == {want}, f"{name} (line {line}): want {want}, got {got}"
    assert by_line == {}, f"findings on unexpected lines: {by_line}"


def test_finding_positions_point_at_the_url_or_cell(planted: Planted) -> None:
    text = Path(planted.doc).read_text(encoding="utf-8").splitlines()
    for f in planted.first.report["findings"]:
        assert f["file"] == planted.doc
        line = text[f["line"] - 1]
        if f.get("url") and f["code"] in ("dead-link", "moved-link", "blocked", "paywalled"):
            assert line[f["column"] - 1 :].startswith(f["url"])


def test_retried_rows_were_retried_and_came_out_ok(planted: Planted) -> None:
    links = planted.first.report["links"]
    for name in ("429-then-ok", "503-then-ok"):
        line = planted.lines[name]
        statuses = {x["status"] for x in links if x["line"] == line}
        assert statuses == {"ok"}, (name, statuses)


def test_json_report_validates_and_summary_agrees(planted: Planted) -> None:
    report = planted.first.report
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    summary = report["summary"]
    assert summary["by_status"] == dict(Counter(x["status"] for x in report["links"]))
    assert summary["links"] == len(report["links"])
    assert summary["rows"] == len(EXPECTED)
    assert sum(summary["findings"].values()) == len(report["findings"])
    assert summary["requests"] > 0


@pytest.mark.parametrize("fmt", ["sarif", "junit", "github", "markdown"])
def test_other_formats(planted: Planted, fmt: str) -> None:
    run = cli(*verify_args(planted.web, planted.cache, planted.doc, fmt=fmt))
    assert run.code == 1, run.err
    assert run.out.strip()
    if fmt == "sarif":
        sarif = json.loads(run.out)
        results = sarif["runs"][0]["results"]
        assert len(results) == len(planted.first.report["findings"])
    elif fmt == "junit":
        assert run.out.lstrip().startswith("<?xml") or "<testsuite" in run.out
        assert "title-mismatch" in run.out
    elif fmt == "github":
        assert re.search(r"^::error .*line=\d+", run.out, re.M)
    else:
        assert "dead-link" in run.out


# ----------------------------------------------------------------------------- cache


def test_second_run_within_max_age_sends_no_request(planted: Planted) -> None:
    planted.web.clear_log()
    run = cli(*verify_args(planted.web, planted.cache, planted.doc), "--max-age", "1h")
    # the host that is down for good is never cached; everything else is
    urls = [r.url for r in planted.web.log if "always-down" not in r.url]
    assert urls == []
    assert run.code == 1
    assert run.report["summary"]["from_cache"] > 0


def test_offline_after_a_run_gives_the_same_metadata_without_requests(planted: Planted) -> None:
    planted.web.clear_log()
    run = cli(*verify_args(planted.web, planted.cache, planted.doc), "--offline")
    assert planted.web.count == 0
    online = {(x["url"], x["line"]): x for x in planted.first.report["links"]}
    offline = {(x["url"], x["line"]): x for x in run.report["links"]}
    assert online.keys() == offline.keys()
    for key, was in online.items():
        now = offline[key]
        assert now.get("metadata") == was.get("metadata"), key
        if was["status"] != "unreachable":
            assert now["status"] == was["status"], key


def test_offline_on_a_fresh_cache_checks_nothing(planted: Planted, tmp_path: Path) -> None:
    planted.web.clear_log()
    run = cli(*verify_args(planted.web, tmp_path / "fresh", planted.doc), "--offline")
    assert planted.web.count == 0
    statuses = Counter(x["status"] for x in run.report["links"])
    assert set(statuses) == {"not-checked", "malformed"}
    assert not {f["code"] for f in run.report["findings"]} & {"dead-link", "unreachable"}


# ----------------------------------------------------------------------------- exit codes


def _clean_doc(dest: Path) -> Path:
    """planted.md's header and its clean and retried-then-ok rows only."""
    lines = PLANTED.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = row_lines()
    keep = {rows[n] for n, want in EXPECTED.items() if want is None}
    table = next(i for i, line in enumerate(lines, 1) if line.startswith("| 时间"))
    out = [line for i, line in enumerate(lines, 1) if i in (table, table + 1) or i in keep]
    dest.write_text("".join(out), encoding="utf-8")
    return dest


def test_clean_document_exits_0(tmp_path: Path) -> None:
    doc = _clean_doc(tmp_path / "clean.md")
    with KernelWeb(planted_handler()) as web:
        install_faults(web)
        run = cli(*verify_args(web, tmp_path / "cache", str(doc)))
        assert run.code == 0, run.out + run.err
        assert run.report["findings"] == []
        # the rate-limited message's first request (its page, or the search naming it)
        assert web.requests_to(naming(RATE_LIMITED))[0].status == 429


def test_network_down_exits_3_and_calls_nothing_dead(tmp_path: Path) -> None:
    port = closed_port()
    run = cli(
        "verify",
        str(PLANTED),
        "--remap",
        rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{port}/$1$2",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--format",
        "json",
        "--no-progress",
        "--host-interval",
        "0",
        "--retries",
        "1",
        "--timeout",
        "1",
    )
    assert run.code == 3
    err = run.err.strip().splitlines()
    assert len(err) == 1 and "network" in err[0], run.err
    report = run.report
    assert "dead" not in report["summary"]["by_status"]
    codes = {f["code"] for f in report["findings"]}
    assert not codes & {"dead-link", "moved-link", "title-mismatch", "version-mismatch"}


@pytest.mark.parametrize(
    ("case", "names"),
    [
        ("missing", "nope.md"),
        ("empty-dir", "emptydir"),
        ("bad-option", None),
        ("bad-config", "bad.toml"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, case: str, names: str | None) -> None:
    if case == "missing":
        argv = ["verify", str(tmp_path / "nope.md")]
    elif case == "empty-dir":
        (tmp_path / "emptydir").mkdir()
        (tmp_path / "emptydir" / "notes.txt").write_text("no markdown here\n")
        argv = ["verify", str(tmp_path / "emptydir")]
    elif case == "bad-option":
        argv = ["verify", str(PLANTED), "--no-such-option"]
    else:
        (tmp_path / "bad.toml").write_text("no-such-key = 1\n")
        argv = ["verify", str(PLANTED), "--config", str(tmp_path / "bad.toml"), "--offline"]
    run = cli(*argv, "--cache-dir", str(tmp_path / "cache"))
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    if names:
        assert names in lines[0]
    else:
        assert "--no-such-option" in lines[0]
    assert run.out == ""


# ----------------------------------------------------------------------------- enrich and scan


def test_enrich_diff_applies_and_write_is_idempotent(planted: Planted, tmp_path: Path) -> None:
    shutil.copyfile(PLANTED, tmp_path / "planted.md")
    base = [
        "--remap",
        planted.web.remap_rule(),
        "--cache-dir",
        str(planted.cache),
        *FAST,
    ]
    run = cli("enrich", "planted.md", *base)
    assert run.code == 0, run.err
    diff = run.out
    assert "--- a/planted.md" in diff and "+++ b/planted.md" in diff
    legacy = "https://lore.kernel.org/patchwork/cover/555274"
    minus = [x for x in diff.splitlines() if x.startswith("-") and legacy in x]
    plus = [x for x in diff.splitlines() if x.startswith("+") and "lore.kernel.org/all/" in x]
    assert minus and plus
    assert legacy not in "\n".join(x for x in diff.splitlines() if x.startswith("+"))
    (tmp_path / "fix.diff").write_text(diff, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    check = subprocess.run(
        ["git", "apply", "--check", "fix.diff"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    wrote = cli("enrich", "planted.md", "--write", *base)
    assert wrote.code == 0, wrote.err
    assert "planted.md" in wrote.err
    again = cli("enrich", "planted.md", *base)
    assert again.code == 0
    assert again.out == ""


def test_scan_lists_every_link_without_network(tmp_path: Path) -> None:
    run = cli("scan", str(PLANTED), "--format", "json")
    assert run.code == 0, run.err
    report = run.report
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert report["summary"]["rows"] == len(EXPECTED)
    assert {x["status"] for x in report["links"]} == {"not-checked", "malformed"}
    assert sorted(f["code"] for f in report["findings"]) == ["malformed-row", "malformed-url"]
    lines = row_lines()
    assert {f["line"] for f in report["findings"]} == {
        lines["malformed-url"],
        lines["malformed-row"],
    }
