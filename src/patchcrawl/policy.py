"""Severity overrides and ignores from the settings, applied to audit/scan findings.

``apply_policy`` is the one place the settings file's ``severity`` and
``[[ignore]]`` take effect, so every report format and the exit code agree.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
from collections.abc import Sequence

from patchcrawl.models import Finding, Severity
from patchcrawl.settings import Ignore, Settings


def _path_forms(path: str) -> set[str]:
    posix = path.replace("\\", "/")
    forms = {path, posix}
    stripped = posix
    while stripped.startswith("./"):
        stripped = stripped[2:]
    if stripped:
        forms.add(stripped)
        forms.add(posixpath.normpath(stripped))
    return forms


def ignore_matches(rule: Ignore, f: Finding) -> bool:
    """Does ``rule`` ignore ``f``?  Every condition the rule sets must hold.

    * ``codes``: the finding's code is one of them (empty: any code);
    * ``file``: a glob (``fnmatch``, ``*`` also crosses ``/``) matching the path as
      given, its ``/`` form or the form without ``./``;
    * ``url``: the regex is found (``re.search``) in the finding's URL;
    * ``line``: the finding's row line (``row_line``, else ``line``) equals it.
    """
    if rule.codes and f.code not in rule.codes:
        return False
    if rule.file is not None:
        pattern = rule.file.replace("\\", "/")
        while pattern.startswith("./"):
            pattern = pattern[2:]
        if not any(fnmatch.fnmatchcase(p, pattern) for p in _path_forms(f.file)):
            return False
    if rule.url is not None and (f.url is None or rule.url.search(f.url) is None):
        return False
    return rule.line is None or (f.row_line if f.row_line is not None else f.line) == rule.line


def sort_key(f: Finding) -> tuple[str, int, int, str, str, str]:
    return (f.file, f.line, f.column, f.code, f.url or "", f.message)


def apply_policy(findings: Sequence[Finding], settings: Settings) -> list[Finding]:
    """Findings after severity overrides (None drops the code) and ignores, sorted by
    (file, line, column, code) (then URL and message, so the order is total)."""
    overrides: dict[str, Severity | None] = dict(settings.severity)
    out: list[Finding] = []
    for f in findings:
        if f.code in overrides:
            sev = overrides[f.code]
            if sev is None:
                continue
            if sev != f.severity:
                f = dataclasses.replace(f, severity=sev)
        if any(ignore_matches(rule, f) for rule in settings.ignores):
            continue
        out.append(f)
    out.sort(key=sort_key)
    return out
