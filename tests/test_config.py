"""Settings file discovery, keys, errors and the default cache directory."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from patchcrawl.config import (
    default_cache_dir,
    find_config_file,
    find_project_root,
    load_settings,
    user_cache_dir,
)
from patchcrawl.settings import HostPolicy, Settings, UsageError

FULL = """
[tool.other]
x = 1

[tool.patchcrawl]
cache-dir = "var/cache"
max-age = "3d"
host-concurrency = 2
host-interval = 1.5
max-concurrency = 8
timeout = "30s"
retries = 0
exclude = ['^https?://example\\.com/', "lkml\\\\.org"]
accept = [403, 429]
date-tolerance-days = 3
canonical-style = "r"
fix-authors = true
fix-titles = false
severity = { date-mismatch = "info", moved-link = "ignore", blocked = "error" }

[tool.patchcrawl.hosts."lore.kernel.org"]
concurrency = 1
interval = "2s"

[tool.patchcrawl.hosts."LWN.net"]
interval = 0.5

[[tool.patchcrawl.ignore]]
codes = ["dead-link"]
file = "data/old-*.md"
reason = "archived"

[[tool.patchcrawl.ignore]]
url = "^https://lwn\\\\.net/"

[[tool.patchcrawl.ignore]]
codes = "title-mismatch"
file = "data/x.md"
line = 42
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PATCHCRAWL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_settings_file(tmp_path: Path) -> None:
    s = load_settings(None, str(tmp_path))
    assert s.cache_dir == str(tmp_path / "xdg" / "patchcrawl")
    assert s.max_age == Settings().max_age and s.severity == () and s.ignores == ()


def test_every_key_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", FULL)
    sub = tmp_path / "docs" / "deep"
    sub.mkdir(parents=True)
    s = load_settings(None, str(sub))
    assert s.cache_dir == str(tmp_path / "var" / "cache")  # relative to the file's directory
    assert s.max_age == 3 * 86400
    assert (s.host_concurrency, s.host_interval, s.max_concurrency) == (2, 1.5, 8)
    assert (s.timeout, s.retries) == (30.0, 0)
    assert [p.pattern for p in s.exclude] == ["^https?://example\\.com/", "lkml\\.org"]
    assert s.accept == (403, 429)
    assert s.date_tolerance_days == 3 and s.canonical_style == "r"
    assert s.fix_authors is True and s.fix_titles is False
    assert dict(s.severity) == {"date-mismatch": "info", "moved-link": None, "blocked": "error"}
    assert dict(s.hosts) == {
        "lore.kernel.org": HostPolicy(concurrency=1, interval=2.0),
        "lwn.net": HostPolicy(concurrency=None, interval=0.5),
    }
    assert s.host_policy("lore.kernel.org") == (1, 2.0)
    assert s.host_policy("lwn.net") == (2, 0.5)
    ig = s.ignores
    assert len(ig) == 3
    assert ig[0].codes == ("dead-link",) and ig[0].file == "data/old-*.md" and ig[0].url is None
    assert ig[1].codes == () and ig[1].url is not None and ig[1].url.search("https://lwn.net/x")
    assert ig[2].codes == ("title-mismatch",) and ig[2].line == 42


def test_patchcrawl_toml_and_precedence(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")  # no tool table: not used
    write(tmp_path / "patchcrawl.toml", "retries = 7\n")
    assert load_settings(None, str(tmp_path)).retries == 7
    assert find_config_file(str(tmp_path)) == str(tmp_path / "patchcrawl.toml")
    # in one directory the pyproject table wins
    write(tmp_path / "pyproject.toml", "[tool.patchcrawl]\nretries = 5\n")
    assert load_settings(None, str(tmp_path)).retries == 5
    # a nearer patchcrawl.toml wins over a farther pyproject.toml
    write(tmp_path / "sub" / "patchcrawl.toml", "retries = 9\n")
    assert load_settings(None, str(tmp_path / "sub")).retries == 9


def test_explicit_config(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.patchcrawl]\nretries = 5\n")
    write(tmp_path / "conf" / "mine.toml", 'retries = 1\ncache-dir = "c"\n')
    s = load_settings("conf/mine.toml", str(tmp_path))
    assert s.retries == 1 and s.cache_dir == str(tmp_path / "conf" / "c")
    s = load_settings(str(tmp_path / "pyproject.toml"), "/")
    assert s.retries == 5
    with pytest.raises(UsageError, match=r"nope\.toml: no such settings file"):
        load_settings("nope.toml", str(tmp_path))


@pytest.mark.parametrize("name", ["patchcrawl.toml", "conf/mine.toml"])
def test_both_forms_in_patchcrawl_toml_and_config_files(tmp_path: Path, name: str) -> None:
    """In patchcrawl.toml and a --config file the keys stand at top level or under
    [tool.patchcrawl] (the pyproject form pasted as it is), with the same meaning."""
    top = (
        'retries = 6\n[hosts."lore.kernel.org"]\ninterval = 2.0\n'
        '[[ignore]]\ncodes = ["dead-link"]\n'
    )
    tool = (
        "[tool.patchcrawl]\nretries = 6\n"
        '[tool.patchcrawl.hosts."lore.kernel.org"]\ninterval = 2.0\n'
        '[[tool.patchcrawl.ignore]]\ncodes = ["dead-link"]\n'
        "[tool.other]\nx = 1\n"  # another tool's table in the same file is left alone
    )
    config = None if name == "patchcrawl.toml" else name
    got = []
    for text in (top, tool):
        write(tmp_path / name, text)
        s = load_settings(config, str(tmp_path))
        got.append((s.retries, s.host_policy("lore.kernel.org"), s.ignores[0].codes))
    assert got[0] == got[1] == (6, (4, 2.0), ("dead-link",))
    # errors name the key as written
    write(tmp_path / name, "[tool.patchcrawl]\nretries = -1\n")
    shown = name
    with pytest.raises(UsageError, match=rf"{re.escape(shown)}: 'tool\.patchcrawl\.retries'"):
        load_settings(config, str(tmp_path))
    write(tmp_path / name, "retries = -1\n")
    with pytest.raises(UsageError, match=rf"{re.escape(shown)}: 'retries'"):
        load_settings(config, str(tmp_path))


def test_one_form_at_a_time(tmp_path: Path) -> None:
    write(tmp_path / "patchcrawl.toml", "retries = 2\n[tool.patchcrawl]\ntimeout = 3\n")
    with pytest.raises(UsageError, match=r"both at top level \('retries'\) and under"):
        load_settings(None, str(tmp_path))
    write(tmp_path / "patchcrawl.toml", "[tool.ruff]\nline-length = 100\n")
    with pytest.raises(UsageError, match=r"'tool' has no 'patchcrawl' table"):
        load_settings(None, str(tmp_path))


def test_cache_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[tool.patchcrawl]\ncache-dir = "mine"\n')
    assert load_settings(None, str(tmp_path)).cache_dir == str(tmp_path / "mine")
    monkeypatch.setenv("PATCHCRAWL_CACHE_DIR", str(tmp_path / "env"))
    assert load_settings(None, str(tmp_path)).cache_dir == str(tmp_path / "env")


def test_default_cache_dir(tmp_path: Path) -> None:
    assert default_cache_dir(str(tmp_path)) == user_cache_dir()
    assert user_cache_dir() == str(tmp_path / "xdg" / "patchcrawl")
    write(tmp_path / "proj" / "pyproject.toml", "[tool.patchcrawl]\n")
    (tmp_path / "proj" / "data").mkdir()
    assert find_project_root(str(tmp_path / "proj" / "data")) == str(tmp_path / "proj")
    assert default_cache_dir(str(tmp_path / "proj" / "data")) == str(tmp_path / "proj" / "cache")
    assert load_settings(None, str(tmp_path / "proj")).cache_dir == str(tmp_path / "proj" / "cache")


def test_user_cache_dir_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_cache_dir() == os.path.join(str(tmp_path), ".cache", "patchcrawl")


IGN = "[[tool.patchcrawl.ignore]]\n"
LORE = '[tool.patchcrawl.hosts."lore.kernel.org"]\n'
HOSTKEY = 'hosts."lore.kernel.org"'


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ("colour = 1", "colour", "unknown key"),
        ("retries = 'three'", "retries", "must be an integer, not a string"),
        ("retries = true", "retries", "must be an integer, not a boolean"),
        ("retries = -1", "retries", "must be at least 0"),
        ("host-concurrency = 0", "host-concurrency", "must be at least 1"),
        ("timeout = 0", "timeout", "must be more than 0"),
        ("max-age = 'soon'", "max-age", "not a duration"),
        ("exclude = ['(']", "exclude[0]", "bad regular expression"),
        ("exclude = 3", "exclude", "must be a list"),
        ("accept = [999]", "accept[0]", "not an HTTP status code"),
        ("canonical-style = 'x'", "canonical-style", "must be one of"),
        ("fix-titles = 'yes'", "fix-titles", "must be true or false"),
        ("cache-dir = 3", "cache-dir", "must be a non-empty string"),
        ("severity = { dead = 'error' }", "severity.dead", "unknown finding code"),
        ("severity = { dead-link = 'fatal' }", "severity.dead-link", "must be one of"),
        ("severity = 3", "severity", "must be a table"),
        (IGN + "file = 'x'\nbogus = 1", "ignore[0].bogus", "unknown key"),
        (IGN + "codes = ['nope']", "ignore[0].codes", "unknown finding code 'nope'"),
        (IGN + "url = '['", "ignore[0].url", "bad regular expression"),
        (IGN + "codes = ['dead-link']\nline = 3", "ignore[0].line", "needs 'file'"),
        (IGN + "reason = 'x'", "ignore[0]", "needs at least one of"),
        (LORE + "speed = 1", HOSTKEY + ".speed", "unknown key"),
        (LORE + "concurrency = 0.5", HOSTKEY + ".concurrency", "must be an integer, not a number"),
    ],
)
def test_errors_name_the_file_and_the_key(
    tmp_path: Path, body: str, key: str, problem: str
) -> None:
    text = body if body.startswith("[") else f"[tool.patchcrawl]\n{body}\n"
    write(tmp_path / "pyproject.toml", text + "\n")
    expected = f"pyproject.toml: 'tool.patchcrawl.{key}': {problem}"
    with pytest.raises(UsageError, match="^" + re.escape(expected)):
        load_settings(None, str(tmp_path))


def test_errors_in_patchcrawl_toml_have_no_prefix(tmp_path: Path) -> None:
    write(tmp_path / "patchcrawl.toml", "[hosts]\nx = 1\n")
    with pytest.raises(UsageError, match=r"^patchcrawl\.toml: 'hosts\.\"x\"': must be a table"):
        load_settings(None, str(tmp_path))


def test_invalid_toml(tmp_path: Path) -> None:
    write(tmp_path / "patchcrawl.toml", "retries = = 3\n")
    with pytest.raises(UsageError, match=r"^patchcrawl\.toml: not valid TOML: .*line 1"):
        load_settings(None, str(tmp_path))


def test_shown_path_is_relative_when_below(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.patchcrawl]\nnope = 1\n")
    (tmp_path / "a").mkdir()
    with pytest.raises(UsageError, match=str(tmp_path / "pyproject.toml").replace(".", r"\.")):
        load_settings(None, str(tmp_path / "a"))


def test_project_root_needs_a_real_tool_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'patchcrawl-fan'\n# [tool.patchcrawl]\n")
    assert find_project_root(str(tmp_path)) is None
    write(tmp_path / "pyproject.toml", "[tool]\npatchcrawl = { retries = 2 }\n")
    assert find_project_root(str(tmp_path)) == str(tmp_path)
    assert load_settings(None, str(tmp_path)).retries == 2
