"""The settings file: ``[tool.patchcrawl]`` in pyproject.toml, or patchcrawl.toml.

Where it is read from
---------------------
* ``--config FILE``: that file.  A file named ``pyproject.toml`` is read from its
  ``[tool.patchcrawl]`` table; in any other file (and in ``patchcrawl.toml``) the
  keys stand at top level or under ``[tool.patchcrawl]``, one form or the other, so
  the example below works pasted into any of them.
* otherwise, walking up from the current directory, the first directory that has
  a ``pyproject.toml`` with a ``[tool.patchcrawl]`` table, or else a
  ``patchcrawl.toml``, gives the settings (in one directory the pyproject table
  wins);
* otherwise the defaults.

Keys (all optional; an unknown key, a wrong type, a bad regular expression or an
unknown finding code is a usage error naming the file and the key)
-----------------------------------------------------------------------------------
``cache-dir`` (string)
    the persistent cache; a relative path is relative to the settings file's
    directory.  ``PATCHCRAWL_CACHE_DIR`` overrides it, ``--cache-dir`` overrides
    both; the default is ``cache/`` in the project checkout root, else the user
    cache directory (``$XDG_CACHE_HOME/patchcrawl`` or ``~/.cache/patchcrawl``).
``max-age`` (duration string ``"30m"``/``"12h"``/``"7d"``, or seconds)
    how old a cached answer may be before it is revalidated (default ``7d``).
``host-concurrency`` (integer >= 1), ``host-interval`` (seconds >= 0),
``max-concurrency`` (integer >= 1)
    politeness: parallel requests per host, spacing of request starts per host,
    global cap (defaults 4, 0.25, 32).
``timeout`` (seconds > 0), ``retries`` (integer >= 0)
    per request (defaults 20, 3).
``max-host-wait``, ``max-run-wait`` (duration or seconds)
    the most a host's ``Retry-After`` may make patchcrawl wait in all, for that host
    and for the whole run (defaults 5m, 15m); a host asking for more is given up for
    the run and its links are ``unreachable``, saying how long it asked to wait.
``exclude`` (list of regular expressions)
    URLs any of them matches (``re.search``) are ``skipped``, never fetched.
``accept`` (list of HTTP status codes)
    extra statuses counted as ``ok`` (e.g. ``[403]`` for a site that walls bots).
``date-tolerance-days`` (integer >= 0)
    how far a row's date may be from the message's date before ``date-mismatch``.
``canonical-style`` (``"all"`` | ``"r"`` | ``"list"``)
    the lore URL form ``enrich`` writes for moved links.
``fix-authors``, ``fix-titles`` (booleans)
    let ``enrich`` replace wrong authors / titles too.
``severity`` (table: finding code -> ``"error"`` | ``"warning"`` | ``"info"`` | ``"ignore"``)
    change a code's severity, or drop the code everywhere with ``"ignore"``.
``[[ignore]]`` (array of tables), each with at least one of:
    ``codes`` (list of finding codes, or one code; none = every code),
    ``file`` (glob on the path as given, ``*`` crosses ``/``),
    ``url`` (regular expression, ``re.search`` on the finding's URL),
    ``line`` (a row's first line; needs ``file``),
    and optionally ``reason`` (free text, for the reader).
``[hosts."lore.kernel.org"]`` (table per host)
    ``concurrency`` (integer >= 1) and ``interval`` (seconds >= 0) overriding
    the politeness defaults for that host and its subdomains.

Example (``pyproject.toml``)::

    [tool.patchcrawl]
    max-age = "3d"
    exclude = ['^https?://example\\.com/']
    severity = { date-mismatch = "info", moved-link = "ignore" }

    [tool.patchcrawl.hosts."lore.kernel.org"]
    concurrency = 2
    interval = 1.0

    [[tool.patchcrawl.ignore]]
    codes = ["dead-link"]
    file = "data/old-*.md"
    reason = "archived documents"
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, cast

from patchcrawl.models import FINDING_CODES, Severity
from patchcrawl.settings import HostPolicy, Ignore, Settings, UsageError, parse_duration

CACHE_ENV = "PATCHCRAWL_CACHE_DIR"


def find_project_root(start: str) -> str | None:
    """The nearest directory at or above ``start`` holding a pyproject.toml with a
    ``[tool.patchcrawl]`` table or a ``patchcrawl.toml``; None when there is none."""
    d = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(d, "patchcrawl.toml")) or _has_tool_table(
            os.path.join(d, "pyproject.toml")
        ):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _has_tool_table(pyproject: str) -> bool:
    """Does ``pyproject`` have a ``tool.patchcrawl`` table?  (Parsed only when it
    mentions patchcrawl at all; a file that does not parse counts as having one when
    a ``[tool.patchcrawl]`` header is visible, so loading it reports the TOML error.)"""
    try:
        with open(pyproject, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if b"patchcrawl" not in data:
        return False
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return re.search(rb"(?m)^\s*\[\[?\s*tool\.patchcrawl\b", data) is not None
    return isinstance(tool, dict) and "patchcrawl" in tool


def find_config_file(cwd: str) -> str | None:
    """The settings file used when ``--config`` is not given (see the module doc)."""
    d = os.path.abspath(cwd)
    while True:
        pp = os.path.join(d, "pyproject.toml")
        if _has_tool_table(pp):
            return pp
        pt = os.path.join(d, "patchcrawl.toml")
        if os.path.isfile(pt):
            return pt
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def user_cache_dir() -> str:
    """The platform's per-user cache directory for patchcrawl."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(base, "patchcrawl", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/patchcrawl")
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "patchcrawl")
    return os.path.expanduser("~/.cache/patchcrawl")


def default_cache_dir(cwd: str) -> str:
    """``cache/`` in the project checkout root, else the user cache directory."""
    root = find_project_root(cwd)
    if root is not None:
        return os.path.join(root, "cache")
    return user_cache_dir()


def load_settings(config_file: str | None, cwd: str) -> Settings:
    """Settings from defaults and the settings file; ``cache_dir`` is always filled in
    (``PATCHCRAWL_CACHE_DIR`` > the file's ``cache-dir`` > :func:`default_cache_dir`).

    Raises UsageError (naming the file and the key) for any problem in the file.
    """
    settings = Settings()
    path: str | None
    if config_file is not None:
        path = config_file if os.path.isabs(config_file) else os.path.join(cwd, config_file)
        if not os.path.isfile(path):
            raise UsageError(f"{config_file}: no such settings file")
        table, prefix = _read(path, config_file, explicit=True)
        shown = config_file
    else:
        path = find_config_file(cwd)
        table, prefix, shown = {}, "", ""
        if path is not None:
            shown = os.path.relpath(path, cwd) if _is_below(path, cwd) else path
            table, prefix = _read(path, shown, explicit=False)
    if path is not None and table:
        settings = _apply(settings, table, _Ctx(shown, prefix, os.path.dirname(path)))
    env = os.environ.get(CACHE_ENV)
    if env:
        settings = replace(settings, cache_dir=os.path.join(cwd, os.path.expanduser(env)))
    elif settings.cache_dir is None:
        settings = replace(settings, cache_dir=default_cache_dir(cwd))
    return settings


def _is_below(path: str, cwd: str) -> bool:
    try:
        return not os.path.relpath(path, cwd).startswith("..")
    except ValueError:  # another drive (Windows)
        return False


def _read(path: str, shown: str, *, explicit: bool) -> tuple[dict[str, Any], str]:
    """(the settings table, its key prefix for messages) from ``path``."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read the settings file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{shown}: not valid TOML: {exc}") from None
    tool = data.get("tool")
    if os.path.basename(path) == "pyproject.toml":
        table = tool.get("patchcrawl", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise UsageError(f"{shown}: 'tool.patchcrawl' must be a table")
        return table, "tool.patchcrawl."
    # patchcrawl.toml or a --config file: the keys at top level, or under
    # [tool.patchcrawl] as in pyproject.toml (the README's example pasted as it is)
    if isinstance(tool, dict) and "patchcrawl" in tool:
        table = tool["patchcrawl"]
        if not isinstance(table, dict):
            raise UsageError(f"{shown}: 'tool.patchcrawl' must be a table")
        beside = sorted(k for k in data if k != "tool")
        if beside:
            raise UsageError(
                f"{shown}: settings both at top level ({beside[0]!r}) and under "
                "[tool.patchcrawl]: use one of the two forms"
            )
        return table, "tool.patchcrawl."
    if isinstance(tool, dict):
        raise UsageError(
            f"{shown}: 'tool' has no 'patchcrawl' table (write the keys at top level, or "
            "under [tool.patchcrawl])"
        )
    return data, ""


class _Ctx:
    def __init__(self, file: str, prefix: str, directory: str) -> None:
        self.file = file
        self.prefix = prefix
        self.directory = directory

    def error(self, key: str, problem: str) -> UsageError:
        return UsageError(f"{self.file}: '{self.prefix}{key}': {problem}")


# ---- value checkers: (ctx, key, value) -> converted value -----------------------------


def _int(minimum: int) -> Callable[[_Ctx, str, Any], int]:
    def check(ctx: _Ctx, key: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ctx.error(key, f"must be an integer, not {_tname(value)}")
        if value < minimum:
            raise ctx.error(key, f"must be at least {minimum}, not {value}")
        return value

    return check


def _seconds(positive: bool) -> Callable[[_Ctx, str, Any], float]:
    def check(ctx: _Ctx, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ctx.error(key, f"must be a number of seconds or a duration, not {_tname(value)}")
        if isinstance(value, str):
            try:
                out = parse_duration(value)
            except UsageError:
                raise ctx.error(key, f"not a duration: {value!r} (use e.g. 30m, 12h, 7d)") from None
        else:
            out = float(value)
        if out < 0 or (positive and out == 0):
            raise ctx.error(key, f"must be {'more than' if positive else 'at least'} 0")
        return out

    return check


def _bool(ctx: _Ctx, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(key, f"must be true or false, not {_tname(value)}")
    return value


def _str(ctx: _Ctx, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(key, f"must be a non-empty string, not {_tname(value)}")
    return value


def _regex(ctx: _Ctx, key: str, value: Any) -> re.Pattern[str]:
    text = _str(ctx, key, value)
    try:
        return re.compile(text)
    except re.error as exc:
        raise ctx.error(key, f"bad regular expression {text!r}: {exc}") from None


def _regex_list(ctx: _Ctx, key: str, value: Any) -> tuple[re.Pattern[str], ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ctx.error(key, f"must be a list of regular expressions, not {_tname(value)}")
    return tuple(_regex(ctx, f"{key}[{i}]", v) for i, v in enumerate(items))


def _status_list(ctx: _Ctx, key: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list of HTTP status codes, not {_tname(value)}")
    out = []
    for i, v in enumerate(value):
        if not isinstance(v, int) or isinstance(v, bool) or not 100 <= v <= 599:
            raise ctx.error(f"{key}[{i}]", f"not an HTTP status code: {v!r}")
        out.append(v)
    return tuple(out)


def _code(ctx: _Ctx, key: str, value: Any) -> str:
    if not isinstance(value, str) or value not in FINDING_CODES:
        raise ctx.error(key, f"unknown finding code {value!r} (known: {', '.join(FINDING_CODES)})")
    return value


def _choice(*choices: str) -> Callable[[_Ctx, str, Any], str]:
    def check(ctx: _Ctx, key: str, value: Any) -> str:
        if value not in choices:
            raise ctx.error(key, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
        return cast(str, value)

    return check


def _tname(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


# ---- the keys ---------------------------------------------------------------------------

_SIMPLE: dict[str, tuple[str, Callable[[_Ctx, str, Any], Any]]] = {
    "max-age": ("max_age", _seconds(positive=False)),
    "host-concurrency": ("host_concurrency", _int(1)),
    "host-interval": ("host_interval", _seconds(positive=False)),
    "max-concurrency": ("max_concurrency", _int(1)),
    "timeout": ("timeout", _seconds(positive=True)),
    "retries": ("retries", _int(0)),
    "max-host-wait": ("max_host_wait", _seconds(positive=False)),
    "max-run-wait": ("max_run_wait", _seconds(positive=False)),
    "exclude": ("exclude", _regex_list),
    "accept": ("accept", _status_list),
    "date-tolerance-days": ("date_tolerance_days", _int(0)),
    "canonical-style": ("canonical_style", _choice("all", "r", "list")),
    "fix-authors": ("fix_authors", _bool),
    "fix-titles": ("fix_titles", _bool),
    "batch": ("batch", _bool),
    "batch-size": ("batch_size", _int(1)),
}
KEYS: tuple[str, ...] = ("cache-dir", "kernel-git", *_SIMPLE, "severity", "ignore", "hosts")
_IGNORE_KEYS = ("codes", "file", "url", "line", "reason")
_HOST_KEYS = ("concurrency", "interval")
_SEVERITY_VALUES = ("error", "warning", "info", "ignore")


def _unknown(ctx: _Ctx, key: str, known: tuple[str, ...]) -> UsageError:
    return ctx.error(key, f"unknown key (known keys: {', '.join(known)})")


def _table(ctx: _Ctx, key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ctx.error(key, f"must be a table, not {_tname(value)}")
    return value


def _apply(settings: Settings, table: Mapping[str, Any], ctx: _Ctx) -> Settings:
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key == "cache-dir":
            text = os.path.expanduser(_str(ctx, key, value))
            changes["cache_dir"] = os.path.normpath(os.path.join(ctx.directory, text))
        elif key == "kernel-git":
            text = os.path.expanduser(_str(ctx, key, value))
            changes["kernel_git"] = os.path.normpath(os.path.join(ctx.directory, text))
        elif key in _SIMPLE:
            attr, check = _SIMPLE[key]
            changes[attr] = check(ctx, key, value)
        elif key == "severity":
            changes["severity"] = _severity(ctx, key, _table(ctx, key, value))
        elif key == "ignore":
            changes["ignores"] = _ignores(ctx, key, value)
        elif key == "hosts":
            changes["hosts"] = _hosts(ctx, key, _table(ctx, key, value))
        else:
            raise _unknown(ctx, key, KEYS)
    return replace(settings, **changes)


def _severity(
    ctx: _Ctx, key: str, table: Mapping[str, Any]
) -> tuple[tuple[str, Severity | None], ...]:
    out: list[tuple[str, Severity | None]] = []
    for code, value in table.items():
        sub = f"{key}.{code}"
        _code(ctx, sub, code)
        if value not in _SEVERITY_VALUES:
            raise ctx.error(sub, f"must be one of {', '.join(_SEVERITY_VALUES)}, not {value!r}")
        out.append((code, None if value == "ignore" else cast(Severity, value)))
    return tuple(out)


def _ignores(ctx: _Ctx, key: str, value: Any) -> tuple[Ignore, ...]:
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise ctx.error(key, f"must be an array of tables ([[ignore]]), not {_tname(value)}")
    out = []
    for i, item in enumerate(items):
        sub = f"{key}[{i}]"
        entry = _table(ctx, sub, item)
        for k in entry:
            if k not in _IGNORE_KEYS:
                raise _unknown(ctx, f"{sub}.{k}", _IGNORE_KEYS)
        codes_raw = entry.get("codes", [])
        codes_list = [codes_raw] if isinstance(codes_raw, str) else codes_raw
        if not isinstance(codes_list, list):
            raise ctx.error(
                f"{sub}.codes", f"must be a list of finding codes, not {_tname(codes_raw)}"
            )
        codes = tuple(_code(ctx, f"{sub}.codes", c) for c in codes_list)
        file = _str(ctx, f"{sub}.file", entry["file"]) if "file" in entry else None
        url = _regex(ctx, f"{sub}.url", entry["url"]) if "url" in entry else None
        line = _int(1)(ctx, f"{sub}.line", entry["line"]) if "line" in entry else None
        if "reason" in entry:
            _str(ctx, f"{sub}.reason", entry["reason"])
        if line is not None and file is None:
            raise ctx.error(f"{sub}.line", "needs 'file' too (a row is a line of one file)")
        if not codes and file is None and url is None:
            raise ctx.error(sub, "needs at least one of 'codes', 'file', 'url'")
        out.append(Ignore(codes=codes, file=file, url=url, line=line))
    return tuple(out)


def _hosts(ctx: _Ctx, key: str, table: Mapping[str, Any]) -> tuple[tuple[str, HostPolicy], ...]:
    out = []
    for host, value in table.items():
        sub = f'{key}."{host}"'
        entry = _table(ctx, sub, value)
        for k in entry:
            if k not in _HOST_KEYS:
                raise _unknown(ctx, f"{sub}.{k}", _HOST_KEYS)
        conc = (
            _int(1)(ctx, f"{sub}.concurrency", entry["concurrency"])
            if "concurrency" in entry
            else None
        )
        interval = (
            _seconds(positive=False)(ctx, f"{sub}.interval", entry["interval"])
            if "interval" in entry
            else None
        )
        out.append((host.lower(), HostPolicy(concurrency=conc, interval=interval)))
    return tuple(out)
