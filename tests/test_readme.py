"""The README's first two commands and its configuration example stay true."""

from __future__ import annotations

import re
from pathlib import Path

from patchcrawl.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_fresh_machine_commands() -> None:
    first_block = re.match(r"```sh\n(.*?)\n```", README, re.S)
    assert first_block is not None, "README must open with a sh code block"
    lines = first_block.group(1).splitlines()
    assert len(lines) == 2
    main_job, tests = lines
    assert "pip install" in main_job and main_job.endswith("patchcrawl verify")
    assert "pip install" in tests and "'.[test]'" in tests and tests.endswith("pytest")
    ci = (ROOT / ".ci/run").read_text()
    assert ".venv/bin/pytest" in ci


def test_readme_configuration_example_loads(tmp_path: Path) -> None:
    block = re.search(r"```toml\n(.*?)\n```", README, re.S)
    assert block is not None
    (tmp_path / "pyproject.toml").write_text(block.group(1), encoding="utf-8")
    settings = load_settings(None, str(tmp_path))
    assert settings.host_concurrency == 4
    assert settings.max_age == 7 * 86400
    assert settings.exclude[0].search("https://www.phoronix.com/news/x")
    assert not settings.exclude[0].search("https://lore.kernel.org/all/x/")
    assert settings.accept == (403,)
    assert dict(settings.severity)["moved-link"] is None
    assert settings.host_policy("lore.kernel.org") == (2, 1.0)
    assert settings.ignores and settings.ignores[0].line == 120
    assert settings.cache_dir == str(tmp_path / "cache")


def test_every_option_the_readme_names_exists() -> None:
    import click

    from patchcrawl.cli import app

    assert isinstance(app, click.Group)
    known: set[str] = set()
    for name in app.list_commands(click.Context(app)):
        command = app.get_command(click.Context(app), name)
        assert command is not None
        for param in command.params:
            known.update(getattr(param, "opts", []))
    named = set(re.findall(r"`(--[a-z][a-z-]+)", README))
    assert len(named) > 20
    assert named <= known, sorted(named - known)
