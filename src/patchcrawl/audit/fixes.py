"""Fixes that know their safety (ruff's model): how an audit rule makes an edit, what
kind of fix a finding's edits are, and which fixes a run offers.

A rule makes every edit it can justify and says nothing about flags: the kind of the
fix comes from the code (:data:`patchcrawl.models.FINDING_VOCABULARY`: an author or a
title rewrite is ``unsafe``, a moved link's address ``safe``) and from the finding's
severity (a suspicion's edit is ``display-only``).  Which fixes are then offered (kept
in ``Finding.edits``, which reports show and ``enrich`` applies) is decided once, for
every finding, by :func:`offered`: the safe ones; the unsafe ones the user consented to
(``--fix-authors``, ``--fix-titles``: :func:`consent`); never a display-only one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from patchcrawl.models import (
    CODE_INFO,
    FIXABLE_NON_ERRORS,
    Applicability,
    Document,
    Edit,
    Finding,
    FindingCode,
    Severity,
)
from patchcrawl.settings import Settings


def make_edit(
    doc: Document,
    start: int,
    end: int,
    new: str,
    expect: Callable[[str], bool] | None = None,
) -> Edit | None:
    """An edit of ``doc`` replacing bytes [start, end).

    None when the bytes are not UTF-8, when nothing would change, or when ``expect``
    says the bytes there are not what the claim said they were (a position that is
    off must never turn into a wrong edit).
    """
    if not (0 <= start <= end <= len(doc.raw)):
        return None
    try:
        old = doc.raw[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if old == new or (expect is not None and not expect(old)):
        return None
    return Edit(file=doc.path, start=start, end=end, new=new, old=old)


def edits_of(*edits: Edit | None) -> tuple[Edit, ...]:
    """The edits that could be made (:func:`make_edit` gives None for one that cannot)."""
    return tuple(e for e in edits if e is not None)


def applicability_of(code: FindingCode, severity: Severity) -> Applicability:
    """The kind of fix a finding's edits are: its code's (``CodeInfo.fix``), or
    ``display-only`` for a suspicion (CONTRACT.md: never an edit from a suspicion, but
    for the moved link and the right author's missing address) and for a code that
    carries no fix."""
    kind = CODE_INFO[code].fix
    if kind is None or (severity != "error" and code not in FIXABLE_NON_ERRORS):
        return "display-only"
    return kind


def consent(settings: Settings) -> frozenset[FindingCode]:
    """The codes whose ``unsafe`` fixes the user agreed to: ``--fix-authors`` for
    ``author-mismatch``, ``--fix-titles`` for ``title-mismatch``."""
    agreed: list[FindingCode] = []
    if settings.fix_authors:
        agreed.append("author-mismatch")
    if settings.fix_titles:
        agreed.append("title-mismatch")
    return frozenset(agreed)


def offered(f: Finding, agreed: frozenset[FindingCode]) -> Finding:
    """``f`` with its fix if it is offered: a safe one, an unsafe one of a code in
    ``agreed``; else ``f`` without edits."""
    if not f.edits or f.applicability == "safe":
        return f
    if f.applicability == "unsafe" and f.code in agreed:
        return f
    return dataclasses.replace(f, edits=(), applicability="safe")
