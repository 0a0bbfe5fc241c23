"""The README's first two commands and its configuration example stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("name", ["pyproject.toml", "patchcrawl.toml", "settings.toml"])
def test_readme_configuration_example_loads(tmp_path: Path, name: str) -> None:
    """Pasted as it is into pyproject.toml, patchcrawl.toml or a --config file."""
    block = re.search(r"```toml\n(.*?)\n```", README, re.S)
    assert block is not None
    (tmp_path / name).write_text(block.group(1), encoding="utf-8")
    settings = load_settings(name if name == "settings.toml" else None, str(tmp_path))
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


def normalise_demo(text: str) -> str:
    """What varies from one ``patchcrawl demo`` to the next: the server's port, the
    temporary directory, the seconds a run took."""
    text = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", text)
    text = re.sub(r"(?m)^  \S*patchcrawl-demo-[^/\s]+/history\.md$", "  TMP/history.md", text)
    return re.sub(r"(?m)· \d+\.\d s$", "· N s", text)


def test_readme_sample_output_is_what_patchcrawl_demo_prints() -> None:
    """The README's sample is ``patchcrawl demo`` at 80 columns, exactly (but for what
    :func:`normalise_demo` evens out)."""
    from tests.cli_helpers import run_cli

    section = README.split("\n## Sample output\n", 1)[1]
    block = re.search(r"```text\n\$ patchcrawl demo\n(.*?)```", section, re.S)
    assert block is not None, "the sample output is a ```text block that starts with the command"
    run = run_cli(["demo", "--no-progress"], env={"COLUMNS": "80"})
    assert run.code == 0, run.err
    assert normalise_demo(run.text) == normalise_demo(block.group(1))


def test_readme_states_python_and_install_without_cloning() -> None:
    assert "Python >= 3.11" in README
    assert "pipx install git+https://github.com/patchcrawl/patchcrawl" in README
    # and pyproject.toml says the same
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject


def test_readme_shows_config_in_both_forms() -> None:
    """A --config example with the keys at top level and one under [tool.patchcrawl]."""
    assert re.search(r"`patchcrawl verify --config \S+\.toml`", README)
    blocks = re.findall(r"```toml\n(.*?)\n```", README, re.S)
    assert any(b.lstrip().startswith("[tool.patchcrawl]") for b in blocks)
    assert any(re.match(r"(#[^\n]*\n)*[a-z-]+ = ", b) for b in blocks)


def test_every_readme_toml_block_loads_as_a_config_file(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)\n```", README, re.S)
    assert len(blocks) >= 2
    for i, block in enumerate(blocks):
        (tmp_path / f"c{i}.toml").write_text(block, encoding="utf-8")
        settings = load_settings(f"c{i}.toml", str(tmp_path))
        assert settings.host_policy("lore.kernel.org")[0] == 2
