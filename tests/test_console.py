"""The installed command (``patchcrawl.cli:console``) leaves with ``os._exit``: what it
prints must still arrive whole and its exit codes must be those of CONTRACT.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DOC = (
    "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:---:|:----:|:---:|:----:|:---------:|:----:|\n"
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchcrawl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_large_json_report_on_a_pipe_arrives_whole(tmp_path: Path) -> None:
    rows = "".join(
        f"| 2020/01/{i % 28 + 1:02d} | A B <a@b.c> | t{i} | d | v1 ☐ "
        f"| [LORE](https://lore.kernel.org/all/{i}@x/) |\n"
        for i in range(2000)
    )
    (tmp_path / "x.md").write_text(DOC + rows, encoding="utf-8")
    r = _run("scan", "--format", "json", "x.md", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)  # the whole report: more than a pipe buffer holds
    assert len(r.stdout) > 200_000  # a pipe holds 64 kB
    assert report["summary"]["links"] == 2000


def test_exit_codes_and_messages_survive_the_fast_exit(tmp_path: Path) -> None:
    r = _run("verify", "--no-such-option", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("patchcrawl: error:")
    assert len(r.stderr.strip().splitlines()) == 1
    (tmp_path / "bad.md").write_text(
        DOC + "| 2020/01/01 | A | t | d | v1 ☐ | [x](https:///x) |\n",
        encoding="utf-8",
    )
    r = _run("verify", "--offline", "--cache-dir", str(tmp_path / "c"), "bad.md", cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # malformed-url is an error finding
    assert "malformed-url" in r.stdout
