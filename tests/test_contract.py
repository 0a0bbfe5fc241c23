"""CONTRACT.md, sentence by sentence, against the real CLI (``patchcrawl.cli.main``).

Network checks run against the simulated web (tests/kernelweb) on 127.0.0.1; nothing
here reaches a real host: every run either is ``--offline``/``scan`` or sends every
request through a ``--remap`` rule to the local server (or to a closed local port).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from patchcrawl.cli import app
from patchcrawl.models import DEFAULT_SEVERITY, FINDING_CODES
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from tests.cli_helpers import Run, closed_port, run_cli
from tests.kernelweb.scenarios import Scenario, build

ROOT = Path(__file__).resolve().parent.parent
GIT = shutil.which("git")

CELLS = {"date", "author", "feature", "description", "status", "links", "other", "none"}
KINDS = {
    "lore-message",
    "lore-patchwork-legacy",
    "patchwork",
    "lwn-article",
    "lwn-ml",
    "git-commit",
    "lkml-org",
    "other",
    "malformed",
}
STATUSES = {
    "ok",
    "moved",
    "dead",
    "blocked",
    "paywalled",
    "unreachable",
    "skipped",
    "not-checked",
    "malformed",
}
CONTRACT_DEFAULT_SEVERITY = {
    **dict.fromkeys(
        [
            "dead-link",
            "malformed-url",
            "title-mismatch",
            "author-mismatch",
            "version-mismatch",
            "patch-count-mismatch",
            "release-mismatch",
        ],
        "error",
    ),
    **dict.fromkeys(
        [
            "moved-link",
            "blocked",
            "unreachable",
            "malformed-row",
            "date-mismatch",
            "not-in-mainline",
        ],
        "warning",
    ),
    **dict.fromkeys(
        ["paywalled", "author-email-missing", "version-unconfirmed", "merged-unmarked"], "info"
    ),
}
SHARED_OPTIONS = [
    "--format",
    "--output",
    "--cache-dir",
    "--offline",
    "--max-age",
    "--remap",
    "--allow-private",
    "--host-concurrency",
    "--host-interval",
    "--max-concurrency",
    "--timeout",
    "--retries",
    "--config",
    "--no-progress",
]
FAST = ["--host-interval", "0", "--timeout", "3", "--retries", "1", "--no-progress"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sc_web() -> Iterator[tuple[Scenario, KernelWeb]]:
    sc = build()
    with KernelWeb(make_handler(sc.world)) as web:
        yield sc, web


@pytest.fixture
def web(sc_web: tuple[Scenario, KernelWeb]) -> KernelWeb:
    sc_web[1].clear_log()
    return sc_web[1]


def doc_text(sc: Scenario) -> str:
    cover = sc.kprobes.cover
    assert cover is not None
    legacy = sc.kprobes.legacy_ids[cover.msgid]
    return (
        "# BPF 历史\n"
        "\n"
        "| date | author | feature | description | status | links |\n"
        "|---|---|---|---|---|---|\n"
        f"| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | "
        f"[tracing: attach eBPF programs to kprobes](https://lore.kernel.org/patchwork/cover/{legacy})"
        f" | 中文描述 | v10 ☑ 4.1-rc1 | "
        f"[PatchWork v11,0/9](https://lore.kernel.org/all/{cover.msgid}/) |\n"
        "| 2022/01/10 | Carol Dead <carol@example.org> | net: the vanished series | x | v1 ☐ | "
        "[LORE v1,0/2](https://lore.kernel.org/all/20220110090000.3000-0-carol@example.org/) |\n"
        "\n"
        "见 [LWN 文章](https://lwn.net/Articles/615085/) and https://example.com/old too.\n"
    )


def clean_text() -> str:
    return "# clean\n\nSee [Ftrace and eBPF](https://lwn.net/Articles/615085/).\n"


def verify(web: KernelWeb, tmp: Path, *args: str | Path, **kw: Any) -> Run:
    return run_cli(
        ["verify", "--cache-dir", tmp / "cache", "--remap", web.remap_rule(), *FAST, *args], **kw
    )


def line_col(text: str, line: int, column: int) -> str:
    """The text from 1-based (line, column); columns count characters of the line
    (a leading BOM is not part of line 1)."""
    lines = text.lstrip("\ufeff").split("\n")
    return lines[line - 1][column - 1 :]


# --------------------------------------------------------------------------- commands, options


def _command(name: str) -> click.Command:
    assert isinstance(app, click.Group)
    cmd = app.get_command(click.Context(app), name)
    assert cmd is not None, name
    return cmd


@pytest.mark.parametrize("name", ["verify", "enrich"])
def test_every_shared_option_exists_with_its_long_name(name: str) -> None:
    cmd = _command(name)
    longs = {o for p in cmd.params for o in p.opts if o.startswith("--")}
    assert set(SHARED_OPTIONS) <= longs, set(SHARED_OPTIONS) - longs
    fmt = next(p for p in cmd.params if "--format" in p.opts)
    assert isinstance(fmt.type, click.Choice)
    assert set(fmt.type.choices) == {"terminal", "json", "markdown", "junit", "sarif", "github"}
    if name == "enrich":
        assert "--write" in longs


def test_scan_and_cache_commands(tmp_path: Path) -> None:
    _command("scan")
    for action in ("stats", "prune", "clear"):
        r = run_cli(["cache", action, "--cache-dir", tmp_path / "c"])
        assert r.code == 0, r.err
    assert run_cli(["cache", "bogus", "--cache-dir", tmp_path / "c"]).code == 2


# --------------------------------------------------------------------------- PATH


def test_path_file_and_directory_suffixes(tmp_path: Path) -> None:
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    for name in ("a.md", "b.MD", "sub/c.markdown", "d.txt", "e.mdx"):
        (d / name).write_text(clean_text())
    r = run_cli(["scan", d])
    assert r.code == 0, r.err
    files = {Path(link["file"]).name for link in r.json()["links"]}
    assert files == {"a.md", "b.MD", "c.markdown"}
    assert r.json()["summary"]["files"] == 3
    # a file given explicitly that is not markdown is an input error naming it
    for name in ("d.txt", "e.mdx"):
        one = run_cli(["scan", d / name])
        assert one.code == 2 and one.out == b""
        assert f"{d / name}: not a markdown file" in one.err
    assert run_cli(["scan", d / "b.MD"]).code == 0


def test_no_path_outside_checkout_means_cwd(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    r = run_cli(["scan"], cwd=tmp_path)
    assert r.code == 0, r.err
    assert [Path(link["file"]).name for link in r.json()["links"]] == ["x.md"]
    assert not Path(r.json()["links"][0]["file"]).is_absolute()


def test_no_path_inside_checkout_means_data(tmp_path: Path) -> None:
    r = run_cli(["scan"], cwd=ROOT)
    assert r.code == 0, r.err
    expected = {p.name for p in (ROOT / "data").rglob("*") if p.suffix in (".md", ".MD")}
    files = {link["file"] for link in r.json()["links"]}
    assert files and all(f.startswith("data/") for f in files)
    assert r.json()["summary"]["files"] == len(expected)
    # from a sub-directory of the checkout too
    sub = run_cli(["scan"], cwd=ROOT / "src")
    assert sub.code == 0 and sub.json()["summary"]["files"] == len(expected)


# --------------------------------------------------------------------------- format, output


def test_default_format_json_when_not_a_tty(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    r = run_cli(["verify", "--offline", "--cache-dir", tmp_path / "c", tmp_path / "x.md"])
    assert r.code == 0 and r.json()["schema"] == "patchcrawl.report/1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty")
def test_default_format_terminal_on_a_tty(tmp_path: Path) -> None:
    import pty

    (tmp_path / "x.md").write_text(clean_text())
    exe = Path(sys.executable).parent / "patchcrawl"
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [str(exe), "verify", "--offline", "--cache-dir", str(tmp_path / "c"), "x.md"],
            cwd=tmp_path,
            stdout=slave,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, proc.stderr
    assert out.strip() and '"schema"' not in out
    assert b"Traceback" not in proc.stderr


def test_output_writes_file_and_nothing_on_stdout(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    out = tmp_path / "r.json"
    r = run_cli(
        ["verify", "--offline", "--cache-dir", tmp_path / "c", "--output", out, tmp_path / "x.md"]
    )
    assert r.code == 0 and r.out == b""
    assert '"patchcrawl.report/1"' in out.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_output_failure_leaves_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    out = tmp_path / "r.json"
    out.write_bytes(b"OLD REPORT")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)  # what patchcrawl.atomic calls
    r = run_cli(
        ["verify", "--offline", "--cache-dir", tmp_path / "c", "--output", out, tmp_path / "x.md"]
    )
    r.assert_clean()
    assert r.code == 2 and "r.json" in r.err
    assert out.read_bytes() == b"OLD REPORT"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "r.json", "x.md"]


def test_output_into_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    out = tmp_path / "nope" / "r.json"
    r = run_cli(
        ["verify", "--offline", "--cache-dir", tmp_path / "c", "--output", out, tmp_path / "x.md"]
    )
    r.assert_clean()
    assert r.code == 2 and "r.json" in r.err
    assert not out.parent.exists()


# --------------------------------------------------------------------------- cache dir


def test_cache_dir_precedence(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "patchcrawl.toml").write_text('cache-dir = "from-config"\n')
    env = {"PATCHCRAWL_CACHE_DIR": str(tmp_path / "from-env")}

    def where(*args: str | Path, env: dict[str, str] | None = None) -> str:
        r = run_cli(["cache", "stats", "--format", "json", *args], cwd=proj, env=env)
        assert r.code == 0, r.err
        return str(r.json()["cache_dir"])

    assert Path(where()).resolve() == (proj / "from-config").resolve()
    assert where(env=env) == str(tmp_path / "from-env")
    assert where("--cache-dir", tmp_path / "from-opt", env=env) == str(tmp_path / "from-opt")


def test_cache_dir_env_used_by_verify(web: KernelWeb, tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    env = {"PATCHCRAWL_CACHE_DIR": str(tmp_path / "envcache")}
    args: list[str | os.PathLike[str]] = [
        "verify",
        "--remap",
        web.remap_rule(),
        *FAST,
        tmp_path / "x.md",
    ]
    r = run_cli(args, env=env)
    assert r.code == 0, r.err
    assert (tmp_path / "envcache").is_dir()
    web.clear_log()
    again = run_cli([*args, "--offline"], env=env)
    assert again.json()["links"][0]["status"] == "ok"
    assert again.json()["summary"]["from_cache"] >= 1
    assert web.count == 0


# --------------------------------------------------------------------------- offline, max-age


def test_offline_uncached_is_not_checked_and_sends_nothing(web: KernelWeb, tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(doc_text(build()))
    r = verify(web, tmp_path, "--offline", tmp_path / "x.md")
    assert r.code == 0, r.err
    rep = r.json()
    assert {link["status"] for link in rep["links"]} == {"not-checked"}
    assert rep["summary"]["requests"] == 0
    assert web.count == 0


def _offline_with_max_age(tmp_path: Path, value: str) -> Run:
    (tmp_path / "x.md").write_text(clean_text())
    args: list[str | os.PathLike[str]] = ["verify", "--offline", "--cache-dir", tmp_path / "c"]
    args += ["--max-age", value]
    return run_cli([*args, tmp_path / "x.md"])


@pytest.mark.parametrize("value", ["30m", "12h", "7d"])
def test_max_age_forms(tmp_path: Path, value: str) -> None:
    r = _offline_with_max_age(tmp_path, value)
    assert r.code == 0, r.err


@pytest.mark.parametrize("value", ["abc", "-1", "7x", "", "d7", "1.2.3h"])
def test_max_age_bad_values(tmp_path: Path, value: str) -> None:
    r = _offline_with_max_age(tmp_path, value)
    r.assert_clean()
    assert r.code == 2 and "duration" in r.err and r.out == b""


def test_max_age_zero_revalidates(web: KernelWeb, tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    assert verify(web, tmp_path, tmp_path / "x.md").code == 0
    web.clear_log()
    r = verify(web, tmp_path, "--max-age", "7d", tmp_path / "x.md")
    assert r.code == 0 and web.count == 0
    r = verify(web, tmp_path, "--max-age", "0m", tmp_path / "x.md")
    assert r.code == 0 and web.count >= 1


# --------------------------------------------------------------------------- remap


@pytest.mark.parametrize(
    "replacement",
    ["http://127.0.0.1:PORT/$1$2", "http://127.0.0.1:PORT/${1}${2}", r"http://127.0.0.1:PORT/\1\2"],
)
def test_remap_group_syntaxes(web: KernelWeb, tmp_path: Path, replacement: str) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    rule = "^https?://([^/?#]+)(.*)$ " + replacement.replace("PORT", str(web.port))
    r = run_cli(
        ["verify", "--cache-dir", tmp_path / "c", "--remap", rule, *FAST, tmp_path / "x.md"]
    )
    assert r.code == 0, r.err
    link = r.json()["links"][0]
    assert link["status"] == "ok" and link["url"] == "https://lwn.net/Articles/615085/"
    assert [q.url for q in web.requests_for_host("lwn.net")] == ["https://lwn.net/Articles/615085/"]


def test_remap_first_matching_rule_wins_and_matches_whole_url(
    web: KernelWeb, tmp_path: Path
) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    closed = closed_port()
    partial = rf"lwn\.net/Articles/615085/ http://127.0.0.1:{closed}/partial"
    first = rf"^https://lwn\.net/(.*)$ http://127.0.0.1:{web.port}/lwn.net/$1"
    last = rf"^.*$ http://127.0.0.1:{closed}/never"
    r = run_cli(
        [
            "verify",
            "--cache-dir",
            tmp_path / "c",
            *FAST,
            "--remap",
            partial,
            "--remap",
            first,
            "--remap",
            last,
            tmp_path / "x.md",
        ]
    )
    assert r.code == 0, r.err
    assert r.json()["links"][0]["status"] == "ok"
    assert len(web.requests_for_host("lwn.net")) == 1


def test_remap_redirects_remapped_reports_keep_original_urls(
    web: KernelWeb, tmp_path: Path
) -> None:
    (tmp_path / "x.md").write_text("# r\n\n[old](https://example.com/old)\n")
    r = verify(web, tmp_path, tmp_path / "x.md")
    r.assert_clean()
    link = r.json()["links"][0]
    assert link["url"] == "https://example.com/old"
    assert link["final_url"] == "https://example.com/new"
    assert link["status"] == "moved"
    assert "127.0.0.1" not in r.text
    # the redirect hop went to the local server too
    assert [q.path for q in web.requests_for_host("example.com")] == ["/old", "/new"]


@pytest.mark.parametrize("rule", ["foo", "( http://x/", "^https://(.*)$"])
def test_remap_bad_rules_are_usage_errors(tmp_path: Path, rule: str) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    r = run_cli(["verify", "--cache-dir", tmp_path / "c", "--remap", rule, tmp_path / "x.md"])
    r.assert_clean()
    assert r.code == 2 and "--remap" in r.err


@pytest.mark.parametrize("repl", [r"http://127.0.0.1:1/\2", "http://127.0.0.1:1/${name}"])
def test_remap_unknown_group_is_a_usage_error(tmp_path: Path, repl: str) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    rule = "^https://(.*)$ " + repl
    r = run_cli(["verify", "--cache-dir", tmp_path / "c", "--remap", rule, tmp_path / "x.md"])
    r.assert_clean()
    assert r.code == 2 and "--remap" in r.err


# --------------------------------------------------------------------------- allow-private


def test_private_address_refused_by_default_allowed_with_flag(
    web: KernelWeb, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{web.port}/lwn.net/Articles/615085/"
    (tmp_path / "x.md").write_text(f"# p\n\n[local]({url})\n")
    base: list[str | os.PathLike[str]] = [
        "verify",
        "--cache-dir",
        tmp_path / "c",
        *FAST,
        tmp_path / "x.md",
    ]
    r = run_cli(base)
    r.assert_clean()
    link = r.json()["links"][0]
    # CONTRACT.md: a refused private address is skipped, with the reason in detail,
    # makes no finding and never counts toward exit 3
    assert link["status"] == "skipped" and "refused" in (link["detail"] or "")
    codes = [f["code"] for f in r.json()["findings"]]
    assert codes == [] and r.code == 0
    assert web.count == 0  # never sent
    ok = run_cli([*base, "--allow-private"])
    assert ok.code == 0, ok.err
    assert ok.json()["links"][0]["status"] == "ok"
    assert web.count == 1


def test_redirect_to_private_address_refused(web: KernelWeb, tmp_path: Path) -> None:
    web.redirect("https://example.com/to-private", f"http://127.0.0.1:{web.port}/secret", 301)
    try:
        (tmp_path / "x.md").write_text("# p\n\n[x](https://example.com/to-private)\n")
        # only example.com is remapped: the redirect's private target is not a remap target
        rule = rf"^https://example\.com/(.*)$ http://127.0.0.1:{web.port}/example.com/$1"
        r = run_cli(
            ["verify", "--cache-dir", tmp_path / "c", "--remap", rule, *FAST, tmp_path / "x.md"]
        )
        r.assert_clean()
        assert r.json()["links"][0]["status"] in ("unreachable", "skipped")
        assert [q.path for q in web.requests_for_host(f"127.0.0.1:{web.port}")] == []
        assert not any(q.path == "/secret" for q in web.log)
    finally:
        web.clear()


# --------------------------------------------------------------------------- config


def test_config_file_changes_severity_and_excludes(web: KernelWeb, tmp_path: Path) -> None:
    sc = build()
    (tmp_path / "x.md").write_text(doc_text(sc))
    cfg = tmp_path / "conf.toml"
    cfg.write_text(
        'exclude = ["example\\\\.com"]\n'
        'severity = { version-mismatch = "warning", dead-link = "info" }\n'
    )
    r = verify(web, tmp_path, "--config", cfg, tmp_path / "x.md")
    assert r.code == 0, r.err
    rep = r.json()
    sev = {f["code"]: f["severity"] for f in rep["findings"]}
    assert sev.get("version-mismatch") == "warning" and sev.get("dead-link") == "info"
    old = next(link for link in rep["links"] if link["url"] == "https://example.com/old")
    assert old["status"] == "skipped"
    assert web.requests_for_host("example.com") == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("bogus-key = 1\n", "bogus-key"),
        ("retries = 'many'\n", "retries"),
        ("retries = 3 x\nfoo = 1\n", "line 1"),
        ("severity = { nope = 'error' }\n", "nope"),
        ("exclude = ['(']\n", "exclude"),
        ("max-age = '7x'\n", "max-age"),
    ],
)
def test_bad_config_is_exit_2_naming_file_and_key(
    tmp_path: Path, content: str, needle: str
) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    for cmd in (["scan"], ["verify", "--offline", "--cache-dir", tmp_path / "c"]):
        r = run_cli([*cmd, "--config", cfg, tmp_path / "x.md"])
        r.assert_clean()
        assert r.code == 2, r.err
        assert "bad.toml" in r.err and needle in r.err, r.err


def test_bad_pyproject_found_by_default_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    (tmp_path / "pyproject.toml").write_text("[tool.patchcrawl]\ntimeout = -3\n")
    r = run_cli(["verify", "--offline", "--cache-dir", tmp_path / "c", "x.md"], cwd=tmp_path)
    r.assert_clean()
    assert r.code == 2 and "pyproject.toml" in r.err and "timeout" in r.err


def test_no_progress_accepted(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    r = run_cli(
        ["verify", "--offline", "--no-progress", "--cache-dir", tmp_path / "c", tmp_path / "x.md"]
    )
    assert r.code == 0 and r.err == ""


# --------------------------------------------------------------------------- exit codes


def test_exit_0_and_1(web: KernelWeb, tmp_path: Path) -> None:
    (tmp_path / "clean.md").write_text(clean_text())
    (tmp_path / "bad.md").write_text(doc_text(build()))
    assert verify(web, tmp_path, tmp_path / "clean.md").code == 0
    r = verify(web, tmp_path, tmp_path / "bad.md")
    assert r.code == 1, r.err
    assert any(f["severity"] == "error" for f in r.json()["findings"])


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus-option"],
        ["--format", "xml"],
        ["--retries", "-1"],
        ["--timeout", "abc"],
        ["MISSING.md"],
        ["EMPTYDIR"],
        ["--update-baseline"],
    ],
)
def test_exit_2_usage_and_input_errors(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "x.md").write_text(clean_text())
    (tmp_path / "EMPTYDIR").mkdir()
    (tmp_path / "EMPTYDIR" / "notes.txt").write_text("no markdown here")
    extra = [] if args[0] in ("MISSING.md", "EMPTYDIR") else ["x.md"]
    r = run_cli(["verify", "--offline", "--cache-dir", "c", *args, *extra], cwd=tmp_path)
    r.assert_clean()
    assert r.code == 2, (r.code, r.err)
    assert r.err.strip() and r.out == b""


def test_exit_3_network_down_calls_nothing_dead(tmp_path: Path) -> None:
    sc = build()
    text = doc_text(sc) + "".join(
        f"* https://lore.kernel.org/all/2024{i:04d}-1-x@example.org/\n" for i in range(12)
    )
    (tmp_path / "x.md").write_text(text)
    rule = rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{closed_port()}/$1$2"
    r = run_cli(
        ["verify", "--cache-dir", tmp_path / "c", "--remap", rule, *FAST, tmp_path / "x.md"]
    )
    r.assert_clean()
    assert r.code == 3, r.err
    assert "network" in r.err.lower() and "dead" in r.err
    rep = r.json()
    assert all(link["status"] not in ("dead", "moved") for link in rep["links"])
    assert not {"dead-link", "moved-link"} & {f["code"] for f in rep["findings"]}


def test_exit_3_from_enrich_too(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(doc_text(build()))
    rule = rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{closed_port()}/$1$2"
    r = run_cli(
        ["enrich", "--cache-dir", tmp_path / "c", "--remap", rule, *FAST, tmp_path / "x.md"]
    )
    r.assert_clean()
    assert r.code == 3 and r.out == b""


# --------------------------------------------------------------------------- JSON report


EXAMPLE_LINK_KEYS: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "file": str,
    "line": int,
    "column": int,
    "cell": str,
    "kind": str,
    "status": str,
    "http_status": (int, type(None)),
    "final_url": (str, type(None)),
    "redirects": list,
    "from_cache": bool,
}
METADATA_KEYS = {
    "source",
    "title",
    "subject",
    "version",
    "counter",
    "total",
    "prefixes",
    "author_name",
    "author_email",
    "date",
    "msgid",
}


def check_report(rep: dict[str, Any], texts: dict[str, str]) -> None:
    """Every key and invariant of the example report of CONTRACT.md."""
    assert rep["schema"] == "patchcrawl.report/1"
    assert rep["tool"]["name"] == "patchcrawl" and isinstance(rep["tool"]["version"], str)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rep["generated_at"])
    s = rep["summary"]
    for key in ("files", "tables", "rows", "links", "table_links", "unique_urls"):
        assert isinstance(s[key], int) and s[key] >= 0, key
    for key in ("requests", "from_cache"):
        assert isinstance(s[key], int)
    assert isinstance(s["seconds"], (int, float))
    links, findings = rep["links"], rep["findings"]
    assert s["files"] == len(texts)
    assert s["links"] == len(links)
    assert s["table_links"] == sum(1 for link in links if link["cell"] != "none")
    assert sum(s["by_status"].values()) == len(links)
    assert s["by_status"] == {
        st: sum(1 for link in links if link["status"] == st) for st in s["by_status"]
    }
    assert set(s["findings"]) == {"error", "warning", "info"}
    for sev, n in s["findings"].items():
        assert n == sum(1 for f in findings if f["severity"] == sev)
    assert s["unique_urls"] <= len({link["url"] for link in links})
    for link in links:
        for key, typ in EXAMPLE_LINK_KEYS.items():
            assert isinstance(link[key], typ), (key, link)
        assert link["cell"] in CELLS and link["kind"] in KINDS and link["status"] in STATUSES
        assert link["file"] in texts
        assert line_col(texts[link["file"]], link["line"], link["column"]).startswith(link["url"])
        if "metadata" in link and link["metadata"] is not None:
            md = link["metadata"]
            assert set(md) >= METADATA_KEYS, METADATA_KEYS - set(md)
            assert link["status"] in ("ok", "moved", "paywalled", "dead", "blocked")
        if link["status"] in ("not-checked", "malformed", "skipped", "unreachable"):
            assert link.get("metadata") is None
        assert all(isinstance(u, str) for u in link["redirects"])
    for f in findings:
        assert f["code"] in FINDING_CODES
        assert f["severity"] in ("error", "warning", "info")
        assert f["file"] in texts and isinstance(f["message"], str) and f["message"]
        for key in ("line", "column"):
            assert isinstance(f[key], int) and f[key] >= 1
        if f["code"] != "malformed-row":
            assert line_col(texts[f["file"]], f["line"], f["column"]).startswith(f["url"])


def test_json_report_full(sc_web: tuple[Scenario, KernelWeb], tmp_path: Path) -> None:
    sc, web = sc_web
    text = doc_text(sc)
    (tmp_path / "bpf.md").write_text(text)
    r = verify(web, tmp_path, "--format", "json", "bpf.md", cwd=tmp_path)
    assert r.code == 1, r.err
    rep = r.json()
    check_report(rep, {"bpf.md": text})
    by_url = {link["url"]: link for link in rep["links"]}
    cover = sc.kprobes.cover
    assert cover is not None
    legacy = by_url[f"https://lore.kernel.org/patchwork/cover/{sc.kprobes.legacy_ids[cover.msgid]}"]
    assert legacy["kind"] == "lore-patchwork-legacy" and legacy["cell"] == "feature"
    assert legacy["status"] == "moved" and legacy["metadata"]["version"] == 11
    md = legacy["metadata"]
    assert md["total"] == 9 and md["prefixes"] == ["tip"] and md["msgid"] == cover.msgid
    assert md["author_email"] == "ast@plumgrid.com"
    lore = by_url[f"https://lore.kernel.org/all/{cover.msgid}/"]
    assert lore["cell"] == "links" and lore["kind"] == "lore-message" and lore["status"] == "ok"
    dead = by_url["https://lore.kernel.org/all/20220110090000.3000-0-carol@example.org/"]
    assert dead["status"] == "dead" and dead["cell"] == "links"
    lwn = by_url["https://lwn.net/Articles/615085/"]
    assert lwn["cell"] == "none" and lwn["kind"] == "lwn-article" and lwn["status"] == "ok"
    assert by_url["https://example.com/old"]["cell"] == "none"
    codes = {f["code"]: f for f in rep["findings"]}
    assert {"version-mismatch", "dead-link", "moved-link"} <= set(codes)
    vm = codes["version-mismatch"]
    assert vm["expected"] == "v10" and vm["actual"] == "v11"
    for f in rep["findings"]:
        assert f["severity"] == CONTRACT_DEFAULT_SEVERITY[f["code"]], f
    assert rep["summary"]["table_links"] == 3 and rep["summary"]["links"] == 5


def test_default_severities_table() -> None:
    assert set(FINDING_CODES) == set(CONTRACT_DEFAULT_SEVERITY)
    assert dict(DEFAULT_SEVERITY) == CONTRACT_DEFAULT_SEVERITY


@pytest.mark.parametrize("given", ["x.md", "./x.md", "../top/x.md", "sub/../x.md"])
def test_file_is_path_as_given(tmp_path: Path, given: str) -> None:
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    (top / "x.md").write_text(clean_text())
    r = run_cli(["scan", given], cwd=top)
    assert r.code == 0, r.err
    assert {link["file"] for link in r.json()["links"]} == {given}
    off = run_cli(["verify", "--offline", "--cache-dir", tmp_path / "c", given], cwd=top)
    assert {link["file"] for link in off.json()["links"]} == {given}


def test_line_column_with_cjk_bom_crlf_and_tabs(tmp_path: Path) -> None:
    text = (
        "\ufeff# 标题 ✓\r\n"
        "\r\n"
        "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\r\n"
        "|:----:|:----:|:---:|:----:|:---------:|:----:|\r\n"
        "| 2015/03/25 | 张三 <z@x.cn> | [内核：新特性](https://lore.kernel.org/all/a@b/)"
        " | 中文 😀 描述 | v2 ☐ |"
        " [LORE v2,0/3](https://lore.kernel.org/all/a@b/) |  \r\n"
        "\r\n"
        "参见\t<https://lwn.net/Articles/1/> 和 https://lwn.net/Articles/2/。\r\n"
        "- 😀😀 [x](https://example.com/a)\n"
    )
    (tmp_path / "x.md").write_bytes(text.encode())
    r = run_cli(["scan", "x.md"], cwd=tmp_path)
    assert r.code == 0, r.err
    rep = r.json()
    check_report(rep, {"x.md": text.replace("\r\n", "\n")})
    cells = [(link["url"], link["cell"]) for link in rep["links"]]
    assert cells == [
        ("https://lore.kernel.org/all/a@b/", "feature"),
        ("https://lore.kernel.org/all/a@b/", "links"),
        ("https://lwn.net/Articles/1/", "none"),
        ("https://lwn.net/Articles/2/", "none"),
        ("https://example.com/a", "none"),
    ]


# --------------------------------------------------------------------------- scan


def test_scan_json_section(tmp_path: Path) -> None:
    text = (
        "| date | feature | status |\n|---|---|---|\n"
        "| 2020/01/01 | [a](https://lore.kernel.org/all/a@b/) | v1 |\n"
        "| 2020/01/02 | [typo](https://lore.kernelorg/all/a@b/) | v1 | extra | cells |\n"
        "\n```\nhttps://lore.kernel.org/all/in-code@b/\n```\n"
        "and `https://lore.kernel.org/all/inline-code@b/` and https://lwn.net/Articles/3/\n"
    )
    (tmp_path / "x.md").write_text(text)
    r = run_cli(["scan", "--format", "json", "x.md"], cwd=tmp_path)
    assert r.code == 0, r.err
    rep = r.json()
    check_report(rep, {"x.md": text})
    assert {link["status"] for link in rep["links"]} <= {"not-checked", "malformed"}
    urls = [link["url"] for link in rep["links"]]
    assert not any("code@" in u for u in urls), urls
    assert {f["code"] for f in rep["findings"]} <= {"malformed-row", "malformed-url"}
    assert "malformed-url" in {f["code"] for f in rep["findings"]}
    for key in ("files", "tables", "rows", "links", "table_links", "unique_urls"):
        assert key in rep["summary"]
    assert rep["summary"]["rows"] == 2 and rep["summary"]["table_links"] == 2
    assert run_cli(["scan", "nope.md"], cwd=tmp_path).code == 2
    assert run_cli(["scan", "--format", "nope", "x.md"], cwd=tmp_path).code == 2


def test_scan_exit_0_even_with_error_findings(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("[x](https://lore.kernelorg/all/a@b/)\n")
    r = run_cli(["scan", "x.md"], cwd=tmp_path)
    assert r.code == 0 and r.json()["summary"]["findings"]["error"] == 1


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown", "junit", "sarif", "github"])
def test_every_format_renders(sc_web: tuple[Scenario, KernelWeb], tmp_path: Path, fmt: str) -> None:
    sc, web = sc_web
    (tmp_path / "x.md").write_text(doc_text(sc))
    r = verify(web, tmp_path, "--format", fmt, tmp_path / "x.md")
    r.assert_clean()
    assert r.code == 1 and r.out.strip()


# --------------------------------------------------------------------------- enrich


ENRICH_FILES = {
    # CRLF, a BOM, trailing spaces and a row the fixes do not touch
    "crlf.md": "\ufeff| date | author | feature | description | status | links |  \r\n"
    "|---|---|---|---|---|---|\r\n"
    "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | [tracing: attach eBPF programs to"
    " kprobes](https://lore.kernel.org/patchwork/cover/{legacy}) | x | v10 ☑ 4.1-rc1 |"
    " [PatchWork v10,0/9](https://lore.kernel.org/patchwork/cover/{legacy}) |   \r\n"
    "| 2015/03/31 | Jonathan Corbet | Ftrace and eBPF | 中文 | NA |"
    " [LWN](https://lwn.net/Articles/615085/) |\t\r\n"
    "no newline at end, trailing spaces   ",
    "lf.md": "intro  \n\n| date | author | feature | description | status | links |\n"
    "|---|---|---|---|---|---|\n"
    "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> | [tracing: attach eBPF programs to"
    " kprobes](https://lore.kernel.org/patchwork/cover/{legacy}) | x | v11 ☑ 4.1-rc1 |"
    " [PatchWork v11,0/8](https://lore.kernel.org/patchwork/cover/{legacy}) |\n",
}


def _enrich_files(sc: Scenario, tmp: Path) -> dict[str, bytes]:
    cover = sc.kprobes.cover
    assert cover is not None
    legacy = sc.kprobes.legacy_ids[cover.msgid]
    out = {}
    for name, text in ENRICH_FILES.items():
        data = text.replace("{legacy}", str(legacy)).encode()
        (tmp / name).write_bytes(data)
        out[name] = data
    return out


def _enrich(web: KernelWeb, tmp: Path, *args: str) -> Run:
    """``patchcrawl enrich ARGS`` in ``tmp`` against the test web, with the cache in ``tmp/c``."""
    return run_cli(
        ["enrich", *args, "--cache-dir", tmp / "c", "--remap", web.remap_rule(), *FAST], cwd=tmp
    )


def _changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


@pytest.mark.skipif(GIT is None, reason="git not installed")
def test_enrich_diff_changes_only_fixed_cells_and_applies(
    sc_web: tuple[Scenario, KernelWeb], tmp_path: Path
) -> None:
    sc, web = sc_web
    files = _enrich_files(sc, tmp_path)
    r = _enrich(web, tmp_path, "crlf.md", "lf.md")
    assert r.code == 0, r.err
    diff = r.out
    assert diff.startswith(b"--- ") or diff.startswith(b"diff ")
    assert b"127.0.0.1" not in diff
    subprocess.run([GIT or "git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "fix.diff").write_bytes(diff)
    chk = subprocess.run(
        [GIT or "git", "apply", "--check", "fix.diff"], cwd=tmp_path, capture_output=True
    )
    assert chk.returncode == 0, chk.stderr.decode() + diff.decode()
    subprocess.run([GIT or "git", "apply", "fix.diff"], cwd=tmp_path, check=True)
    for name, before in files.items():
        after = (tmp_path / name).read_bytes()
        assert after != before, name
        assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
        assert after.count(b"\r\n") == before.count(b"\r\n")
        changed = _changed_lines(before, after)
        assert len(changed) == 1, changed  # only the row with the fixed cells
        old, new = changed[0]
        assert old.rstrip(b"\r\n").endswith(b"|   ") == new.rstrip(b"\r\n").endswith(b"|   ")
        # outside the edited cells, every byte is kept: same cells before the feature
        assert old.split(b"|")[:3] == new.split(b"|")[:3]
    assert b"v11" in _changed_lines(files["crlf.md"], (tmp_path / "crlf.md").read_bytes())[0][1]
    assert b"0/9" in _changed_lines(files["lf.md"], (tmp_path / "lf.md").read_bytes())[0][1]
    # --write gives the same bytes as git apply
    for name, data in files.items():
        (tmp_path / "w").mkdir(exist_ok=True)
        (tmp_path / "w" / name).write_bytes(data)
    w = _enrich(web, tmp_path, "--write", "w/crlf.md", "w/lf.md")
    assert w.code == 0, w.err
    for name in files:
        assert (tmp_path / "w" / name).read_bytes() == (tmp_path / name).read_bytes()
    assert not [p for p in (tmp_path / "w").iterdir() if p.name.endswith(".tmp")]
    # idempotent: nothing left to enrich
    again = _enrich(web, tmp_path, "--check", "w/crlf.md", "w/lf.md")
    assert again.code == 0 and again.out == b"", again.text


def test_enrich_write_refuses_file_changed_since_read(
    sc_web: tuple[Scenario, KernelWeb], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, web = sc_web
    files = _enrich_files(sc, tmp_path)
    import patchcrawl.enrich as enrich_mod

    real_write = enrich_mod.write
    edited = b"someone else's edit\n" + files["lf.md"]

    def racing_write(*a: Any, **kw: Any) -> Any:
        (tmp_path / "lf.md").write_bytes(edited)
        return real_write(*a, **kw)

    monkeypatch.setattr(enrich_mod, "write", racing_write)
    r = _enrich(web, tmp_path, "--write", "lf.md")
    r.assert_clean()
    assert r.code == 2 and "lf.md" in r.err and "changed" in r.err
    assert (tmp_path / "lf.md").read_bytes() == edited
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
