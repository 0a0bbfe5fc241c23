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
