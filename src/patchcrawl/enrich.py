"""Edits -> unified diff / atomic in-place writes.

Only the bytes an edit names change: line endings (CRLF), a BOM, trailing spaces
and undecodable bytes everywhere else are copied through untouched, and the diff
is built from the same byte ranges, so ``git apply`` of the diff and ``--write``
give the same file.

Edits come from findings: each finding's fix (``Finding.fix``: its edits and how
safe they are, :mod:`patchcrawl.audit.fixes`) applies whole or not at all, as ruff's
``apply_fixes`` does.  In findings order, a fix is skipped entirely when one of its
edits overlaps an edit already accepted or its ``old`` text is not what the file
holds; the skip is reported in :attr:`EditPlan.rejected` and counted per code in
:attr:`EditPlan.skipped` (the fixes applied in :attr:`EditPlan.applied`).  Identical
edits are applied once.  Two insertions at the same offset with different text
conflict; an insertion at the boundary of a replacement does not (it lands outside
it).  A ``display-only`` fix is never applied.

The diff is bytes underneath; :func:`build_diff` returns it decoded as UTF-8 with
``surrogateescape`` so undecodable bytes survive: write it back with
``text.encode("utf-8", "surrogateescape")`` (or use :func:`build_diff_bytes`).
"""

from __future__ import annotations

import bisect
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from patchcrawl.atomic import StaleFileError, atomic_write
from patchcrawl.models import Document, Edit, Finding
from patchcrawl.settings import UsageError

CONTEXT = 3


class EditError(ValueError):
    """Edits that cannot be applied: overlapping, out of range, or ``old`` does not match."""


class WriteRefused(UsageError):
    """Some files changed on disk since they were read and were not written."""

    def __init__(self, message: str, written: list[str], refused: list[str]) -> None:
        super().__init__(message)
        self.written = written
        self.refused = refused


@dataclass(frozen=True, slots=True)
class Rejected:
    """A fix skipped whole: ``edit`` is the one of its edits that could not be applied."""

    edit: Edit
    reason: str
    finding: Finding | None = None


@dataclass(slots=True)
class EditPlan:
    by_file: dict[str, list[Edit]] = field(default_factory=dict)  # in document order
    rejected: list[Rejected] = field(default_factory=list)  # one per fix skipped
    # the fixes applied, in findings order, each with the edits it adds (an edit an
    # earlier fix already made is not added again)
    fixes: list[tuple[Finding, list[Edit]]] = field(default_factory=list)
    applied: Counter[str] = field(default_factory=Counter)  # fixes applied, per code
    skipped: Counter[str] = field(default_factory=Counter)  # fixes skipped whole, per code


def select_findings(
    findings: Iterable[Finding],
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[Finding]:
    """Findings whose code is in ``select`` (all when None) and not in ``ignore``."""
    sel = set(select) if select is not None else None
    ign = set(ignore or ())
    return [f for f in findings if (sel is None or f.code in sel) and f.code not in ign]


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _clash(accepted: list[Edit], e: Edit) -> Edit | None:
    """An edit of ``accepted`` (sorted, non-overlapping) that ``e`` overlaps, if any."""
    i = bisect.bisect_left(accepted, (e.start, e.end), key=lambda a: (a.start, a.end))
    for a in accepted[max(0, i - 2) : i + 2]:
        if _overlaps(a, e):
            return a
    return None


def _key(e: Edit) -> tuple[str, int, int, str]:
    return (e.file, e.start, e.end, e.new)


def plan_edits(
    documents: Sequence[Document],
    findings: Iterable[Finding],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> EditPlan:
    """Which edits to apply per file: each selected finding's fix whole or not at all
    (identical edits once, a fix that conflicts with an earlier one or is stale
    skipped, first wins)."""
    raws = {d.path: d.raw for d in documents}
    plan = EditPlan(by_file={d.path: [] for d in documents})
    seen: set[tuple[str, int, int, str]] = set()
    accepted: dict[str, list[Edit]] = {}  # per file, sorted by (start, end), non-overlapping
    for f in select_findings(findings, select, ignore):
        fix = f.fix
        if fix is None or fix.applicability == "display-only":
            continue
        fresh = list({_key(e): e for e in fix.edits if _key(e) not in seen}.values())
        refused = _refusal(f, fresh, raws, accepted)
        if refused is not None:
            plan.rejected.append(refused)
            plan.skipped[f.code] += 1
            continue
        for e in fresh:
            seen.add(_key(e))
            plan.by_file[e.file].append(e)
            bisect.insort(accepted.setdefault(e.file, []), e, key=lambda a: (a.start, a.end))
        plan.fixes.append((f, fresh))
        plan.applied[f.code] += 1
    plan.by_file = {p: sorted(es, key=lambda e: (e.start, e.end)) for p, es in plan.by_file.items()}
    return plan


def _refusal(
    f: Finding, edits: list[Edit], raws: dict[str, bytes], accepted: dict[str, list[Edit]]
) -> Rejected | None:
    """Why ``f``'s fix (its ``edits`` not applied yet) cannot be applied, naming the
    first edit that cannot: a file that was not scanned, bytes that are not its ``old``
    text, or an overlap with an edit accepted before or with another of its own."""
    whole = f" (its fix of {len(f.edits)} edits skipped whole)" if len(f.edits) > 1 else ""
    own: dict[str, list[Edit]] = {}
    for e in edits:
        raw = raws.get(e.file)
        if raw is None:
            return Rejected(e, f"{e.file}: not a scanned document{whole}", f)
        if not (0 <= e.start <= e.end <= len(raw)) or raw[e.start : e.end] != e.old.encode("utf-8"):
            return Rejected(e, f"{e.file}: bytes {e.start}-{e.end} are not {e.old!r}{whole}", f)
        clash = _clash(accepted.get(e.file, []), e)
        if clash is not None:
            return Rejected(
                e,
                f"{e.file}: edit at bytes {e.start}-{e.end} ({f.code}) conflicts with"
                f" an earlier edit at {clash.start}-{clash.end}; kept the earlier one{whole}",
                f,
            )
        mine = own.setdefault(e.file, [])
        if (clash := _clash(mine, e)) is not None:
            return Rejected(
                e,
                f"{e.file}: edit at bytes {e.start}-{e.end} ({f.code}) overlaps another"
                f" edit of its own fix at {clash.start}-{clash.end}{whole}",
                f,
            )
        bisect.insort(mine, e, key=lambda a: (a.start, a.end))
    return None


def apply_edits(raw: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply ``edits`` to ``raw`` from the end backwards; raises :class:`EditError`."""
    unique: dict[tuple[int, int, str], Edit] = {}
    for e in edits:
        unique.setdefault((e.start, e.end, e.new), e)
    ordered = sorted(unique.values(), key=lambda e: (e.start, e.end), reverse=True)
    for i, a in enumerate(ordered):
        if not (0 <= a.start <= a.end <= len(raw)):
            raise EditError(f"{a.file}: edit at bytes {a.start}-{a.end} is out of range")
        if raw[a.start : a.end] != a.old.encode("utf-8"):
            raise EditError(f"{a.file}: bytes {a.start}-{a.end} are not {a.old!r}")
        for b in ordered[i + 1 :]:
            if _overlaps(a, b):
                raise EditError(f"{a.file}: overlapping edits at {b.start} and {a.start}")
    out = raw
    for e in ordered:
        out = out[: e.start] + e.new.encode("utf-8") + out[e.end :]
    return out


# --------------------------------------------------------------------------
# unified diff
# --------------------------------------------------------------------------

_NO_EOL = b"\n\\ No newline at end of file\n"


def _line_starts(raw: bytes) -> list[int]:
    starts = [0]
    i = raw.find(b"\n")
    while i != -1:
        if i + 1 < len(raw):
            starts.append(i + 1)
        i = raw.find(b"\n", i + 1)
    return starts


def _split_lines(data: bytes) -> list[bytes]:
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        i = data.find(b"\n", pos)
        if i == -1:
            out.append(data[pos:])
            break
        out.append(data[pos : i + 1])
        pos = i + 1
    return out


def _emit(prefix: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return prefix + line
    return prefix + line + _NO_EOL


# a run of changed lines: (first line, last line, its old lines, its new lines)
_Block = tuple[int, int, list[bytes], list[bytes]]


def file_diff(path: str, raw: bytes, edits: Sequence[Edit], context: int = CONTEXT) -> bytes:
    """``git diff``-style text (bytes) for one file's edits; empty when nothing changes.

    The edits' lines make blocks of changed lines; blocks whose ``context`` lines
    overlap make one hunk."""
    if not edits:
        return b""
    if not raw:
        return _new_file_diff(path, edits)
    starts = _line_starts(raw)
    changed = _changed_blocks(raw, starts, edits)
    if not changed:
        return b""
    all_lines = _split_lines(raw)
    out = [_header(path)]
    delta = 0  # lines the hunks so far added (or removed, negative)
    for group in _hunk_groups(changed, context):
        hunk, delta = _hunk(all_lines, len(starts), group, context, delta)
        out.append(hunk)
    return b"".join(out)


def _new_file_diff(path: str, edits: Sequence[Edit]) -> bytes:
    """The diff of edits to an empty file: every line of the result added."""
    new = apply_edits(b"", edits)
    if not new:
        return b""
    lines = _split_lines(new)
    added = b"".join(_emit(b"+", ln) for ln in lines)
    return _header(path) + f"@@ -0,0 +1,{len(lines)} @@\n".encode() + added


def _changed_blocks(raw: bytes, starts: list[int], edits: Sequence[Edit]) -> list[_Block]:
    """The runs of lines the edits change (edits on one line, or on lines that touch,
    make one run), each with its lines before and after; a run the edits leave as it
    was is dropped."""
    n = len(starts)

    def line_of(offset: int) -> int:
        return max(0, bisect.bisect_right(starts, offset) - 1)

    blocks: list[tuple[int, int, list[Edit]]] = []
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        first = line_of(e.start)
        last = line_of(e.end - 1) if e.end > e.start else first
        if blocks and first <= blocks[-1][1]:
            a, b, es = blocks[-1]
            blocks[-1] = (a, max(b, last), [*es, e])
        else:
            blocks.append((first, last, [e]))
    changed: list[_Block] = []
    for a, b, es in blocks:
        base = starts[a]
        old = raw[base : starts[b + 1] if b + 1 < n else len(raw)]
        shifted = [Edit(e.file, e.start - base, e.end - base, e.new, e.old) for e in es]
        new = apply_edits(old, shifted)
        if new != old:
            changed.append((a, b, _split_lines(old), _split_lines(new)))
    return changed


def _hunk_groups(changed: list[_Block], context: int) -> list[list[_Block]]:
    """The blocks grouped into hunks: blocks whose context lines overlap share one."""
    groups: list[list[_Block]] = []
    for blk in changed:
        if groups and blk[0] - groups[-1][-1][1] - 1 <= 2 * context:
            groups[-1].append(blk)
        else:
            groups.append([blk])
    return groups


def _hunk(
    all_lines: list[bytes], n: int, group: list[_Block], context: int, delta: int
) -> tuple[bytes, int]:
    """One hunk (its ``@@`` line and body) of a file of ``n`` lines, and ``delta`` with
    the lines this hunk adds (the new side's start moves by the hunks before it)."""
    lo = max(0, group[0][0] - context)
    hi = min(n - 1, group[-1][1] + context)
    body: list[bytes] = []
    old_count = new_count = 0
    cur = lo
    for a, b, old_lines, new_lines in group:
        for ln in all_lines[cur:a]:
            body.append(_emit(b" ", ln))
            old_count += 1
            new_count += 1
        body.extend(_emit(b"-", ln) for ln in old_lines)
        body.extend(_emit(b"+", ln) for ln in new_lines)
        old_count += len(old_lines)
        new_count += len(new_lines)
        cur = b + 1
    for ln in all_lines[cur : hi + 1]:
        body.append(_emit(b" ", ln))
        old_count += 1
        new_count += 1
    old_start = lo + 1
    new_start = old_start + delta if new_count else old_start + delta - 1
    head = f"@@ -{old_start},{old_count} +{new_start},{new_count} @@\n".encode()
    return head + b"".join(body), delta + new_count - old_count


_C_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _git_path(prefix: str, path: str) -> str:
    """``a/path``, C-quoted as git writes it when the path holds quotes or controls."""
    full = prefix + path
    if not any(ch in _C_ESCAPES or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return full
    out = "".join(
        _C_ESCAPES.get(ch, f"\\{ord(ch):03o}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch)
        for ch in full
    )
    return f'"{out}"'


def repository_root(directory: str) -> str | None:
    """The root of the git working tree holding ``directory`` (a ``.git`` directory, or
    the ``.git`` file of a worktree or submodule), or None outside one."""
    d = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _diff_path(path: str) -> str:
    """The path a diff names, as ``git diff`` would: relative to the root of the git
    working tree that holds the file (``git apply`` reads names so, from anywhere in
    the tree), else to the current directory (``patch -p1`` from there). A name that
    would climb out with ``..`` (which ``git apply`` and ``patch`` both refuse) is the
    absolute path without its leading ``/``."""
    full = os.path.abspath(path)
    root = repository_root(os.path.dirname(full))
    base = root if root is not None else os.getcwd()
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive (Windows)
        rel = full
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        rel = os.path.splitdrive(full)[1].lstrip("/\\")
    return rel.replace(os.sep, "/")


def fix_list(
    documents: Sequence[Document],
    findings: Iterable[Finding],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """The fixes the diff is made of, one per edit applied, in file order: ``code``,
    ``severity``, ``file`` (as given), ``line`` and ``column`` (1-based, of the edited
    text), ``old``, ``new``, the finding's ``message`` and ``url``, and the fix's
    ``applicability`` (``safe``, or ``unsafe`` for an author or title rewrite the user
    consented to); a rescued dead link adds its ``score`` (0..1) and ``rescue_url``.
    An edit two findings share is listed once, under the first."""
    plan = plan_edits(documents, findings, select=select, ignore=ignore)
    raws = {d.path: d.raw for d in documents}
    out = [_fix_entry(f, e, raws[e.file]) for f, edits in plan.fixes for e in edits]
    out.sort(key=lambda x: (x["file"], x["line"], x["column"]))
    return out


def _fix_entry(f: Finding, e: Edit, raw: bytes) -> dict[str, Any]:
    """One entry of :func:`fix_list`: edit ``e`` of ``f``'s fix."""
    line_start = raw.rfind(b"\n", 0, e.start) + 1
    entry: dict[str, Any] = {
        "code": f.code,
        "severity": f.severity,
        "file": e.file,
        "line": raw.count(b"\n", 0, e.start) + 1,
        "column": len(raw[line_start : e.start].decode("utf-8", "replace")) + 1,
        "old": e.old,
        "new": e.new,
        "message": f.message,
        "url": f.url,
        "applicability": f.applicability,
    }
    extra = dict(f.extra)
    if "score" in extra:
        entry["score"] = float(str(extra["score"]))
        entry["rescue_url"] = extra.get("rescue_url")
    return entry


def _header(path: str) -> bytes:
    p = _diff_path(path)
    a, b = _git_path("a/", p), _git_path("b/", p)
    return f"diff --git {a} {b}\n--- {a}\n+++ {b}\n".encode("utf-8", "surrogateescape")


def build_diff_bytes(
    documents: Sequence[Document],
    findings: Iterable[Finding],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    rejected: list[Rejected] | None = None,
) -> bytes:
    """The unified diff of every selected finding's edits, as bytes."""
    plan = plan_edits(documents, findings, select=select, ignore=ignore)
    if rejected is not None:
        rejected.extend(plan.rejected)
    raws = {d.path: d.raw for d in documents}
    return b"".join(file_diff(p, raws[p], es) for p, es in plan.by_file.items() if es)


def build_diff(
    documents: Sequence[Document],
    findings: Iterable[Finding],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    rejected: list[Rejected] | None = None,
) -> str:
    """:func:`build_diff_bytes` decoded as UTF-8 with ``surrogateescape`` (lossless)."""
    data = build_diff_bytes(documents, findings, select=select, ignore=ignore, rejected=rejected)
    return data.decode("utf-8", "surrogateescape")


def write(
    documents: Sequence[Document],
    findings: Iterable[Finding],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    rejected: list[Rejected] | None = None,
    force: bool = False,
) -> list[str]:
    """Apply the edits in place, atomically; returns the paths changed (``force``: a
    read-only file too).

    A file whose bytes on disk differ from ``Document.raw`` is not written; after
    the other files are written a :class:`WriteRefused` (a ``UsageError``) names
    every such file.
    """
    plan = plan_edits(documents, findings, select=select, ignore=ignore)
    if rejected is not None:
        rejected.extend(plan.rejected)
    written: list[str] = []
    refused: list[str] = []
    messages: list[str] = []
    for doc in documents:
        edits = plan.by_file.get(doc.path) or []
        if not edits:
            continue
        new = apply_edits(doc.raw, edits)
        if new == doc.raw:
            continue
        try:
            atomic_write(doc.path, new, expected=doc.raw, force=force)
        except StaleFileError as exc:
            refused.append(doc.path)
            messages.append(str(exc))
            continue
        written.append(doc.path)
    if refused:
        raise WriteRefused("; ".join(messages), written, refused)
    return written
