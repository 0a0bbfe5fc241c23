"""The feature cell's title against the title of the mail it links.

Compared with the feature link's title (see :mod:`patchcrawl.titles`), or when the
feature cell has no link, with any links-cell mail link (a match with one is a
match).  Rewriting a title is an unsafe fix: applied only with ``--fix-titles``.
"""

from __future__ import annotations

import re

from patchcrawl.audit.common import Linked, finding, meta_version
from patchcrawl.audit.fixes import edits_of, make_edit
from patchcrawl.models import Document, Edit, Finding, Metadata, Row
from patchcrawl.sources._common import subject_info
from patchcrawl.titles import is_description, title_similarity, titles_match


def check_title(
    doc: Document,
    row: Row,
    feature: Linked | None,
    linked: list[Linked],
    has_feature_link: bool,
) -> list[Finding]:
    title = row.claims.title
    if not title or not title.strip() or is_description(title):
        return []
    candidates = _candidates(feature, linked, has_feature_link)
    if not candidates:
        return []
    names = dict.fromkeys(t for x in candidates for t in _titles(x.meta))
    if any(titles_match(title, t) for t in names):
        return []
    best = (
        candidates[0]
        if feature is not None
        else max(candidates, key=lambda x: meta_version(x.meta) or 0)
    )
    actual = best.meta.title or ""
    score = title_similarity(title, actual)
    return [
        finding(
            "title-mismatch",
            best.link,
            f"table says {title.strip()!r}, the mail says {actual!r}",
            file=doc.path,
            url=best.link.url,
            expected=title.strip(),
            actual=actual,
            row_line=row.line,
            edits=_title_edits(doc, row, title, actual),
            extra=(("similarity", f"{score:.2f}"),),
        )
    ]


def _candidates(
    feature: Linked | None, linked: list[Linked], has_feature_link: bool
) -> list[Linked]:
    """The mails (with a title) whose title the row's title may be: the feature link's
    and the row's other mails of its series, or, when the feature cell has no link, the
    links cell's mails; none when the feature cell links a mail that was not read."""
    if feature is not None:
        # the feature link, and the row's other mails of the same series: a series
        # without a cover letter is named by its main patch, which the row may link
        # beside the first
        candidates = [feature] + [
            x for x in linked if x is not feature and x.meta.title == feature.meta.title
        ]
    elif not has_feature_link:
        candidates = [x for x in linked if x.link.cell == "links"]
    else:
        return []
    return [x for x in candidates if x.meta.title]


def _title_edits(doc: Document, row: Row, title: str, actual: str) -> tuple[Edit, ...]:
    """The row's title replaced by the mail's (Markdown-escaped)."""
    c = row.claims
    if c.title_start is None or c.title_end is None:
        return ()
    return edits_of(
        make_edit(
            doc,
            c.title_start,
            c.title_end,
            _escape_md(actual),
            lambda o: o.strip() == title.strip(),
        )
    )


def _escape_md(text: str) -> str:
    return re.sub(r"([\[\]|\\])", r"\\\1", text)


def _titles(meta: Metadata) -> list[str]:
    """The titles a row may name a linked mail by: its series' (the cover letter's) and,
    for a patch, the patch's own subject (a row about one patch of a series)."""
    out = [meta.title] if meta.title else []
    if meta.subject:
        own = subject_info(meta.subject).title
        if own and own not in out:
            out.append(own)
    return out
