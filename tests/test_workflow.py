"""The documented CI workflow and pre-commit hooks only use commands the CLI accepts."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from patchcrawl.cli import app

ROOT = Path(__file__).resolve().parent.parent


def _patchcrawl_commands(script: str) -> list[list[str]]:
    """Every ``patchcrawl ...`` invocation in a shell snippet, as argv after the name."""
    lexer = shlex.shlex(" ".join(script.splitlines()), posix=True, punctuation_chars=";&|>")
    lexer.whitespace_split = True
    out: list[list[str]] = []
    current: list[str] = []
    for token in [*lexer, ";"]:
        if token and set(token) <= set(";&|>"):
            if current and current[0] == "patchcrawl":
                out.append(current[1:])
            current = []
        else:
            current.append(token)
    return out


def _parse(argv: list[str]) -> click.Context:
    """Parse argv exactly as the CLI would, without running the command."""
    assert argv, "bare 'patchcrawl' invocation"
    name, rest = argv[0], argv[1:]
    assert isinstance(app, click.Group)
    command = app.get_command(click.Context(app), name)
    assert command is not None, f"unknown command {name!r}"
    return command.make_context(name, rest)


def _workflow() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docs/github/patchcrawl-audit.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_workflow_commands_are_accepted_by_the_cli() -> None:
    steps = _workflow()["jobs"]["audit"]["steps"]
    commands = [c for step in steps if "run" in step for c in _patchcrawl_commands(step["run"])]
    assert len(commands) >= 2
    for argv in commands:
        ctx = _parse(argv)  # every one is accepted
        if "no_progress" in ctx.params:  # verify and enrich: no progress bar in a log
            assert ctx.params["no_progress"] is True
    # stale entries (an earlier version's, edited documents') leave before the cache is saved
    (prune,) = [c for c in commands if c[:2] == ["cache", "prune"]]
    assert _parse(prune).params["max_age"] and _parse(prune).params["cache_dir"]
    verify = [c for c in commands if c[0] == "verify"]
    formats = {_parse(c).params["fmt"] for c in verify}
    assert {"sarif", "markdown"} <= formats
    assert all(_parse(c).params["baseline"] for c in verify)


def test_workflow_triggers_cache_and_sarif_upload() -> None:
    wf: dict[Any, Any] = _workflow()
    # PyYAML reads the bare key `on` as True
    triggers = wf.get("on", wf.get(True))
    assert isinstance(triggers, dict)
    assert "schedule" in triggers and "pull_request" in triggers
    assert any("md" in p for p in triggers["pull_request"]["paths"])
    steps = wf["jobs"]["audit"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    # the key changes every run, so a new cache is saved and really refreshes
    assert "github.run_id" in cache["with"]["key"]
    assert cache["with"]["restore-keys"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in steps)


def test_pre_commit_hooks_use_accepted_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    ids = {h["id"] for h in hooks}
    assert ids == {"patchcrawl-verify-offline", "patchcrawl-enrich-check"}
    for hook in hooks:
        words = shlex.split(hook["entry"])
        assert words[0] == "patchcrawl"
        ctx = _parse(words[1:])
        assert ctx.params["offline"] is True


def test_unknown_option_is_refused() -> None:
    with pytest.raises(click.UsageError):
        _parse(["verify", "--no-such-option"])


# ---------------------------------------------------------------- GitLab and a plain shell


def test_gitlab_job_commands_are_accepted_by_the_cli() -> None:
    data = yaml.safe_load((ROOT / "docs/gitlab/patchcrawl-audit.gitlab-ci.yml").read_text())
    job = data["patchcrawl-audit"]
    lines = [*job["script"], *job["after_script"]]
    commands = [c for line in lines for c in _patchcrawl_commands(line)]
    verify = [c for c in commands if c[0] == "verify"]
    assert len(verify) == 2 and commands[-1][:2] == ["cache", "prune"]
    for argv in commands:
        ctx = _parse(argv)
        if "no_progress" in ctx.params:
            assert ctx.params["no_progress"] is True
    assert {_parse(c).params["fmt"] for c in verify} == {"junit", "markdown"}
    assert all(_parse(c).params["baseline"] for c in verify)
    assert job["artifacts"]["reports"]["junit"] == "patchcrawl-junit.xml"
    assert job["allow_failure"] == {"exit_codes": 3}  # could not check: not a red pipeline
    assert ".patchcrawl-cache/" in job["cache"]["paths"]


def test_shell_script_runs_against_the_test_web(tmp_path: Path) -> None:
    """The plain shell example, run as it is with ``patchcrawl`` pointed at the test
    web: it writes both reports, prunes the cache and exits 1 on error findings."""
    import os
    import shutil
    import subprocess
    import sys

    from patchcrawl.testweb.planted import PLANTED, install_faults, planted_handler
    from patchcrawl.testweb.server import KernelWeb

    script = ROOT / "docs/ci/patchcrawl-audit.sh"
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    shutil.copyfile(PLANTED, tmp_path / "history.md")
    exe = Path(sys.executable).parent / "patchcrawl"
    with KernelWeb(planted_handler()) as web:
        install_faults(web)
        wrapper = tmp_path / "pc"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'if [ "$1" = verify ]; then exec {exe} "$@" --remap \'{web.remap_rule()}\''
            " --host-interval 0 --retries 2; fi\n"
            f'exec {exe} "$@"\n'
        )
        wrapper.chmod(0o755)
        env = {**os.environ, "PATCHCRAWL": str(wrapper), "PATCHCRAWL_CACHE_DIR": "c"}
        done = subprocess.run(
            ["sh", str(script), "history.md"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "new error findings" in done.stderr
    assert (tmp_path / "patchcrawl.md").read_text().startswith("## patchcrawl verify report")
    sarif = (tmp_path / "patchcrawl.sarif").read_text()
    assert '"executionSuccessful": true' in sarif
    assert "dead-link" in done.stdout  # the terminal report, from the cache
