"""Run the real CLI entry point in-process (fast) and look at what it printed."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from patchcrawl.cli import main
from tests.fetchutil import closed_port

__all__ = ["Run", "closed_port", "run_cli", "verify_argv"]


@dataclass
class Run:
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.out)

    def assert_clean(self) -> None:
        """No traceback, no internal error, an exit code of the contract."""
        assert self.code in (0, 1, 2, 3), (self.code, self.err)
        assert "Traceback" not in self.err, self.err
        assert "internal error" not in self.err, self.err


def run_cli(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Run:
    """``patchcrawl ARGS`` through :func:`patchcrawl.cli.main`, with the exception
    handling of the real entry point; stdout and stderr are not TTYs."""
    full_env: dict[str, str | None] = {"PATCHCRAWL_DEBUG": None, "PATCHCRAWL_CACHE_DIR": None}
    full_env.update(env or {})
    runner = CliRunner()
    ctx = contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext()
    with ctx, runner.isolation(env=full_env) as (out, err, _):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return Run(code, out.getvalue(), err.getvalue().decode("utf-8", "replace"))


def verify_argv(path: str | Path, remap: str, cache: str | Path, *extra: str) -> list[str]:
    """``verify PATH`` against the test web (``remap``), JSON out, fast and quiet."""
    return [
        "verify",
        str(path),
        "--remap",
        remap,
        "--cache-dir",
        str(cache),
        "--format",
        "json",
        "--no-progress",
        "--host-interval",
        "0",
        *extra,
    ]
