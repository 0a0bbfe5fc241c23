"""Baselines: adopt patchcrawl on a large old document and fail CI only on new problems.

``verify --update-baseline --baseline FILE`` records the current findings;
``verify --baseline FILE`` then reports only findings that are not in it.

The fingerprint
---------------
A finding's fingerprint is the SHA-256 (hex, first 32 digits) of these fields,
each followed by a NUL byte::

    "patchcrawl-baseline/1", file, code, url, expected, actual, row-text-hash

* ``file`` is the path as given, normalised (``./data/x.md`` -> ``data/x.md``,
  backslashes -> ``/``);
* ``url``, ``expected`` and ``actual`` are the finding's (empty when None);
  for ``unreachable`` and ``blocked`` ``expected``/``actual`` are left out (empty):
  they carry a transient detail (``timeout``, ``503``, which wall answered) that
  must not make a known problem look new from one run to the next;
* ``row-text-hash`` is the SHA-256 of the *normalised text of the row* the finding
  sits in (whitespace runs collapsed to one space, ends stripped), or of the text
  of the finding's line when it is not in a table row (prose links).

The line number is **not** part of it, so findings survive rows being inserted or
removed above them; editing the row itself (or the prose line) makes its findings
new again, which is what a reviewer wants to see.  Two identical rows with the
same problem give the same fingerprint, so the baseline stores a count per
fingerprint and tolerates at most that many.

The row text comes from the ``documents`` passed in (``Report.documents``); when
none is passed for a file, the file is read from disk.  Use the same choice when
writing and filtering (reading from disk gives the same bytes as the scanner).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from patchcrawl import __version__
from patchcrawl.models import Document, Finding, RowIndex
from patchcrawl.reports._common import json_safe
from patchcrawl.settings import UsageError

SCHEMA = "patchcrawl.baseline/1"
_SALT = "patchcrawl-baseline/1"
_WS = re.compile(r"\s+")
# codes whose expected/actual hold a transient network detail (not fingerprinted)
VOLATILE_CODES = frozenset({"unreachable", "blocked"})


def normalise_path(path: str) -> str:
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return os.path.normpath(p).replace("\\", "/") if p else p


def normalise_text(text: str) -> str:
    return _WS.sub(" ", text).strip()


class _Texts:
    """Finds the row (or line) text a finding sits in, from documents or from disk."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._docs = {d.path: d for d in documents}
        self._index: dict[str, RowIndex] = {}
        self._raw: dict[str, bytes | None] = {}

    def _raw_of(self, path: str) -> bytes | None:
        doc = self._docs.get(path)
        if doc is not None:
            return doc.raw
        if path not in self._raw:
            try:
                with open(path, "rb") as fh:
                    self._raw[path] = fh.read()
            except OSError:
                self._raw[path] = None
        return self._raw[path]

    def text(self, f: Finding) -> str:
        doc = self._docs.get(f.file)
        if doc is not None:
            index = self._index.get(f.file)
            if index is None:
                index = self._index[f.file] = RowIndex(doc)
            row = index.of(f)
            if row is not None:
                return doc.raw[row.start : row.end].decode("utf-8", errors="replace")
        raw = self._raw_of(f.file)
        if raw is None:
            return ""
        lines = raw.decode("utf-8", errors="replace").splitlines()
        line = f.row_line or f.line
        if 1 <= line <= len(lines):
            # a row in a file we only have as text: its first line stands for it,
            # unless the finding is on a continuation line of the same row
            if f.row_line is not None and doc is None:
                return _row_text_from_lines(lines, f.row_line)
            return lines[line - 1]
        return ""


def _row_text_from_lines(lines: list[str], first: int) -> str:
    """The row starting at ``first`` (1-based), continuation lines included.

    A row broken across lines continues while the next line does not start a new
    row (``|``) and is not blank: the same text the scanner's byte range holds,
    up to whitespace, which normalisation removes.
    """
    out = [lines[first - 1]]
    i = first
    while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith("|"):
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def fingerprint(finding: Finding, row_text: str) -> str:
    """The baseline fingerprint of ``finding`` sitting in ``row_text`` (see module doc)."""
    row_hash = hashlib.sha256(normalise_text(row_text).encode("utf-8")).hexdigest()
    volatile = finding.code in VOLATILE_CODES
    parts = (
        _SALT,
        normalise_path(finding.file),
        finding.code,
        finding.url or "",
        "" if volatile else (finding.expected or ""),
        "" if volatile else (finding.actual or ""),
        row_hash,
    )
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape"))  # a URL's non-UTF-8 bytes too
        h.update(b"\0")
    return h.hexdigest()[:32]


def fingerprints(findings: Iterable[Finding], documents: Sequence[Document] = ()) -> list[str]:
    """Fingerprints of ``findings`` in order (row text from ``documents`` or disk)."""
    texts = _Texts(documents)
    return [fingerprint(f, texts.text(f)) for f in findings]


@dataclass(frozen=True)
class Baseline:
    """Known findings: fingerprint -> how many times it may occur."""

    counts: dict[str, int] = field(default_factory=dict)
    path: str | None = None

    def __len__(self) -> int:
        return sum(self.counts.values())

    def filter(
        self, findings: Sequence[Finding], documents: Sequence[Document] = ()
    ) -> tuple[list[Finding], list[Finding]]:
        """Split ``findings`` into (new, known), each keeping the input order."""
        left = Counter(self.counts)
        new: list[Finding] = []
        known: list[Finding] = []
        for f, fp in zip(findings, fingerprints(findings, documents), strict=True):
            if left[fp] > 0:
                left[fp] -= 1
                known.append(f)
            else:
                new.append(f)
        return new, known


def load_baseline(path: str) -> Baseline:
    """Read a baseline written by :func:`write_baseline`; a UsageError names what is wrong."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such baseline file (create it with --update-baseline)"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the baseline: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a patchcrawl baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"{path}: not a patchcrawl baseline (schema is not {SCHEMA!r})")
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise UsageError(f"{path}: baseline has no 'findings' list")
    counts: Counter[str] = Counter()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not isinstance(count, int) or isinstance(count, bool):
            raise UsageError(f"{path}: baseline entry {i} needs a 'fingerprint' and a 'count'")
        counts[fp] += max(count, 0)
    return Baseline(dict(counts), path)


def baseline_data(
    findings: Sequence[Finding], documents: Sequence[Document] = ()
) -> dict[str, Any]:
    """The JSON document :func:`write_baseline` writes (deterministic; no timestamp)."""
    entries: dict[str, dict[str, Any]] = {}
    for f, fp in zip(findings, fingerprints(findings, documents), strict=True):
        if fp in entries:
            entries[fp]["count"] += 1
            continue
        entries[fp] = {
            "fingerprint": fp,
            "count": 1,
            "code": f.code,
            "file": f.file,
            "line": f.line,  # informative only: not part of the fingerprint
            "url": f.url,
            "message": f.message,
        }
    ordered = sorted(
        entries.values(), key=lambda e: (e["file"], e["line"], e["code"], e["fingerprint"])
    )
    return {
        "schema": SCHEMA,
        "tool": {"name": "patchcrawl", "version": __version__},
        "fingerprint": "sha256(file, code, url, expected, actual, sha256(normalised row text))",
        "findings": ordered,
    }


def write_baseline(
    path: str, findings: Sequence[Finding], documents: Sequence[Document] = ()
) -> tuple[int, int]:
    """Write the baseline atomically: temp file in the same directory, fsync, os.replace.
    Returns (entries written, findings they stand for): identical findings share an entry."""
    data = baseline_data(findings, documents)
    text = json_safe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".patchcrawl-baseline-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the baseline: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return len(data["findings"]), len(findings)
