"""``patchcrawl demo``: the whole tool offline, with a cache and settings of its own."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from patchcrawl import demo
from patchcrawl.testweb import planted
from tests.cli_helpers import run_cli


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory the demo's own temporary files go to, watched."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def test_demo_keeps_nothing_of_its_own_and_touches_no_user_cache(
    tmp_path: Path, own_tmp: Path
) -> None:
    user = tmp_path / "user"
    user.mkdir()
    # a settings file the demo must not read: it would exclude every link
    (user / "patchcrawl.toml").write_text("exclude = ['.*']\n", encoding="utf-8")
    env = {"PATCHCRAWL_CACHE_DIR": str(tmp_path / "user-cache"), "COLUMNS": "100"}
    run = run_cli(["demo", "--no-progress"], cwd=user, env={**env, "XDG_CACHE_HOME": "x"})
    assert run.code == 0, run.err
    text = run.text
    # what a reader needs: the report, what each finding shows, the diff, the ending
    for code, severity in (v for v in planted.EXPECTED.values() if v is not None):
        assert f" {severity} " in text and code in text
    assert "What each finding shows:" in text
    assert "+++ b/history.md" in text and "@@ " in text
    assert "score 1.00 of 1" in text
    assert "The simulated web is stopped and the document removed" in text
    # no cache of the user's, no settings read, no temporary directory left
    assert not (tmp_path / "user-cache").exists() and not (user / "x").exists()
    assert sorted(p.name for p in user.iterdir()) == ["patchcrawl.toml"]
    assert list(own_tmp.iterdir()) == []


def test_demo_dir_keeps_the_document_and_never_overwrites(tmp_path: Path, own_tmp: Path) -> None:
    target = tmp_path / "try"
    first = run_cli(["demo", str(target), "--no-progress"])
    assert first.code == 0, first.err
    kept = target / "history.md"
    assert kept.read_bytes() == planted.PLANTED.read_bytes()
    assert f"The document stays in {target}" in " ".join(first.text.split())
    again = run_cli(["demo", str(target), "--no-progress"])  # the same file: fine
    assert again.code == 0, again.err
    kept.write_text("# my own notes\n", encoding="utf-8")
    refused = run_cli(["demo", str(target), "--no-progress"])
    assert refused.code == 2
    assert "exists and is not the demo's document" in refused.err
    assert kept.read_text(encoding="utf-8") == "# my own notes\n"
    assert list(own_tmp.iterdir()) == []


def test_demo_checks_itself(monkeypatch: pytest.MonkeyPatch, own_tmp: Path) -> None:
    """A planted defect that does not give its finding is a bug the demo reports."""
    monkeypatch.setitem(planted.EXPECTED, "clean", ("dead-link", "error"))
    run = run_cli(["demo", "--no-progress"])
    assert run.code == 1
    assert "did not give their planted finding" in run.err
    assert "(clean): no finding" in run.err


def test_demo_explains_every_code_it_plants() -> None:
    planted_codes = {v[0] for v in planted.EXPECTED.values() if v is not None}
    assert planted_codes <= set(demo.SHOWS)
