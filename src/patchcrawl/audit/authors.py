"""The author cell against who wrote the mail.

Any person of the cell matching is a match.  Email first
(``liblore.series.email_matches``), then name (``name_matches`` or equal word sets or
one word set inside the other).  A CJK name against a romanised one, or names sharing
only some words, cannot be decided: no finding.  A lone name with no email that
matches is offered ``Name <email>`` (``author-email-missing``, a safe fix); another
person is ``author-mismatch``, whose rewrite of the cell is an unsafe fix.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence

from patchcrawl._liblore import email_matches, name_matches
from patchcrawl.audit.common import Linked, finding
from patchcrawl.audit.fixes import edits_of, make_edit
from patchcrawl.models import Cell, Document, Edit, Finding, Metadata, Person, Row
from patchcrawl.sources._common import subject_info
from patchcrawl.titles import has_cjk, looks_like_email, name_tokens

_SPECIALS = re.compile(r'[(),:;<>@\[\]"\\]')


def format_person(name: str | None, email: str | None) -> str:
    """``Name <email>`` as the tables write it (name quoted only when it must be)."""
    if not name:
        return f"<{email}>" if email else ""
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{email}>" if email else name


def compare_names(one: str, two: str) -> str:
    """``match``, ``differ`` or ``unknown`` (CJK vs romanised, partial overlap)."""
    if name_matches(one, two):
        return "match"
    a, b = name_tokens(one), name_tokens(two)
    if not a or not b:
        return "unknown"
    if a == b or (len(a) >= 2 and len(b) >= 2 and (a <= b or b <= a)):
        return "match"
    if has_cjk(one) != has_cjk(two):
        return "unknown"
    if a & b:
        return "unknown"
    # a CJK name inside a romanised one, e.g. "程垲涛 Chengkaitao Cheng" vs "Chengkaitao Cheng"
    return "differ"


def author_anchor(candidates: Sequence[Linked]) -> Linked | None:
    """The mail whose author the row's author cell names: the first that carries a
    patch, else the first reply seen as the patch it discusses."""
    anchor = next((x for x in candidates if _is_patch(x)), None)
    if anchor is None:
        # a reviewer's reply: its thread's author is the patch's
        anchor = next((_as_thread(x) for x in candidates if x.meta.thread_author_email), None)
    return anchor


def _is_patch(x: Linked) -> bool:
    """Does the mail carry a patch (or a series' cover letter)?  A commit notice
    (``[tip: sched/core] ...`` from tip-bot2), a pull request, a reply or a plain
    discussion is sent by someone other than the series' author: no author is
    compared with it."""
    meta = x.meta
    if meta.source == "patchwork":
        return True
    if not meta.subject:
        return False
    si = subject_info(meta.subject)
    if si.is_reply:
        return False  # a reply is the reviewer's, not the series author's
    return si.is_patch or si.rfc or (si.version is not None and not si.version_inferred)


def _as_thread(x: Linked) -> Linked:
    """A reply seen as the patch it discusses: its thread's author."""
    meta = dataclasses.replace(
        x.meta, author_name=x.meta.thread_author_name, author_email=x.meta.thread_author_email
    )
    return Linked(x.link, meta)


def check_author(doc: Document, row: Row, anchor: Linked) -> list[Finding]:
    """The author cell against who wrote the mail (its in-body ``From:`` when it has
    one: :mod:`patchcrawl.sources.lore`).

    Any person of the cell matching is a match.  The right person written without an
    email is ``author-email-missing`` (info, with the address as a fix); names that
    cannot be compared (a CJK name against a romanised one, names sharing only some
    words) make no finding; ``author-mismatch`` is for another person only.
    """
    people = row.claims.authors
    cell = row.cell("author")
    meta = anchor.meta
    if not people or cell is None or not (meta.author_email or meta.author_name):
        return []
    verdict = _author_verdict(people, meta)
    if verdict is None or verdict == "unknown":
        return []  # nothing on both sides to compare, or names that cannot be compared
    if verdict == "match":
        return _email_missing(doc, row, cell, anchor)
    return [_mismatch(doc, row, cell, anchor)]


def _email_missing(doc: Document, row: Row, cell: Cell, anchor: Linked) -> list[Finding]:
    """``author-email-missing``: the cell names the right person alone, without an
    email; the fix writes the mail's address beside the name."""
    people, meta = row.claims.authors, anchor.meta
    lone = people[0] if len(people) == 1 else None
    if (
        lone is None
        or lone.email
        or not meta.author_email
        or not (name := _person_name(lone))
        or "等" in name
    ):
        return []
    start, end = _stripped_range(cell)
    e = make_edit(doc, start, end, format_person(name, meta.author_email))
    if e is None:
        return []
    mail_person = format_person(meta.author_name, meta.author_email)
    return [
        finding(
            "author-email-missing",
            anchor.link,  # CONTRACT: a finding points at its URL
            f"author cell has no email; the mail is from {mail_person}",
            expected=cell.text.strip(),
            actual=mail_person,
            edits=(e,),
            file=doc.path,
            url=anchor.link.url,
            row_line=row.line,
        )
    ]


def _mismatch(doc: Document, row: Row, cell: Cell, anchor: Linked) -> Finding:
    """``author-mismatch``: the mail is from another person; the fix (unsafe: applied
    only with ``--fix-authors``) writes the mail's author in the cell."""
    meta = anchor.meta
    mail_person = format_person(meta.author_name, meta.author_email)
    said = cell.text.strip()
    edits: tuple[Edit, ...] = ()
    if meta.author_email:
        start, end = _stripped_range(cell)
        edits = edits_of(
            make_edit(doc, start, end, format_person(meta.author_name, meta.author_email))
        )
    return finding(
        "author-mismatch",
        anchor.link,  # CONTRACT: a finding points at its URL
        f"table says {said}, the mail is from {mail_person}",
        expected=said,
        actual=mail_person,
        edits=edits,
        file=doc.path,
        url=anchor.link.url,
        row_line=row.line,
    )


def _person_name(p: Person) -> str | None:
    if p.name and not looks_like_email(p.name):
        return p.name.strip() or None
    return None


def _author_verdict(people: Sequence[Person], meta: Metadata) -> str | None:
    """``match``, ``differ``, ``unknown``, or None when nothing could be compared."""
    verdict: str | None = None
    for p in people:
        if p.email and meta.author_email:
            if any(email_matches(e, meta.author_email) for e in p.emails or (p.email,)):
                return "match"
            if (
                not _person_name(p)
                and meta.author_name
                and _address_names(p.email, meta.author_name)
            ):
                return "match"  # guoren@kernel.org is Guo Ren, whatever address he sent from
            verdict = verdict or "differ"
        name = _person_name(p)
        if name and meta.author_name:
            v = compare_names(name, meta.author_name)
            if v == "match":
                return "match"
            if v == "unknown" or verdict is None:
                verdict = v
    return verdict


def _address_names(email: str, name: str) -> bool:
    """Does an address name the person (``guoren@`` or ``guo.ren@`` for Guo Ren)?  For a
    cell that gives only an address, compared with a mail sent from another one."""
    local = re.sub(r"[._+-]", "", email.split("@", 1)[0].lower())
    words = name_tokens(name)
    if not 2 <= len(words) <= 3 or not local:
        return False
    return any(local == "".join(order) for order in itertools.permutations(words))


def _stripped_range(cell: Cell) -> tuple[int, int]:
    """The byte range of a cell's text without its surrounding spaces."""
    text = cell.text
    lead = len(text) - len(text.lstrip())
    trail = len(text) - len(text.rstrip())
    start = cell.start + len(text[:lead].encode("utf-8"))
    end = cell.end - len(text[len(text) - trail :].encode("utf-8")) if trail else cell.end
    return start, end
