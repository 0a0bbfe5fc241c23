"""audit + enrich on the real documents in data/: self-consistent metadata gives no
false positives, and every edit the audit makes becomes a diff git accepts."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from patchcrawl import enrich
from patchcrawl.audit import audit
from patchcrawl.models import Document, Edit, Metadata, Resolution
from patchcrawl.settings import Settings
from patchcrawl.tables import scan_bytes

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = sorted(p for p in DATA.glob("*.md") if p.name != "README.md") if DATA.is_dir() else []
GIT = shutil.which("git")
MAIL_KINDS = {"lore-message", "lore-patchwork-legacy", "patchwork"}


def load(p: Path) -> Document:
    return scan_bytes(p.name, p.read_bytes())


def self_consistent(doc: Document) -> dict[str, Resolution]:
    """Metadata for each row's feature link built from what the row itself claims."""
    out: dict[str, Resolution] = {}
    urls = [lk.url for r in doc.rows for lk in r.links if lk.cell == "feature"]
    for row in doc.rows:
        c = row.claims
        feature = next((lk for lk in row.links if lk.cell == "feature"), None)
        if feature is None or feature.kind not in MAIL_KINDS or urls.count(feature.url) > 1:
            continue  # a URL several rows link cannot agree with all of them
        person = c.authors[0] if c.authors else None
        out[feature.url] = Resolution(
            url=feature.url,
            status="ok",
            metadata=Metadata(
                source="lore",
                title=c.title,
                subject=f"[PATCH] {c.title}",
                version=c.status.version if c.status and c.status.version else 1,
                author_name=person.name if person else None,
                author_email=person.email if person else None,
                date=c.date.isoformat() if c.date else None,
            ),
        )
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_rows_agreeing_with_their_mail_give_no_errors(path: Path) -> None:
    doc = load(path)
    res = self_consistent(doc)
    assert res, "the document should have feature links"
    fs = audit([doc], res, Settings())
    bad = [f for f in fs if f.severity != "info" and f.code != "version-mismatch"]
    assert bad == []
    # a status cell with several versions linked can still disagree with labels, never
    # with the feature link it was built from
    assert not any(f.message.startswith("table ") for f in fs if f.code == "version-mismatch"), [
        f.message for f in fs if f.code == "version-mismatch"
    ]


def mangled(doc: Document) -> dict[str, Resolution]:
    """Every mail link moved, and its mail disagreeing with the label and status."""
    out: dict[str, Resolution] = {}
    rnd = random.Random(7)
    for i, link in enumerate(doc.links):
        if link.kind not in MAIL_KINDS or link.url in out:
            continue
        label = link.label
        version = (label.version or 1) + rnd.randint(1, 3) if label else rnd.randint(2, 9)
        total = (label.total or 1) + 1 if label and label.total is not None else None
        msgid = f"{i}.fake-{rnd.randint(0, 99999)}@example.org"
        out[link.url] = Resolution(
            url=link.url,
            status="moved",
            final_url=f"https://lore.kernel.org/lkml/{msgid}/",
            metadata=Metadata(
                source="lore",
                title="completely different subject about nothing",
                subject=f"[PATCH v{version} 0/{total}] completely different subject",
                version=version,
                counter=0,
                total=total,
                author_name="Nobody Atall",
                author_email="nobody@example.org",
                date="1999-01-01T00:00:00+00:00",
                msgid=msgid,
            ),
        )
    return out


@pytest.mark.skipif(GIT is None, reason="git not installed")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_edit_becomes_a_diff_git_applies(path: Path, tmp_path: Path) -> None:
    doc = load(path)
    fs = audit([doc], mangled(doc), Settings(fix_authors=True, fix_titles=True))
    kinds = {f.code for f in fs}
    assert {"moved-link", "title-mismatch", "author-mismatch", "version-mismatch"} <= kinds
    rejected: list[enrich.Rejected] = []
    diff = enrich.build_diff_bytes([doc], fs, rejected=rejected)
    assert diff
    (tmp_path / path.name).write_bytes(doc.raw)
    (tmp_path / "d.diff").write_bytes(diff)
    r = subprocess.run(
        [GIT or "git", "apply", "d.diff"], cwd=tmp_path, capture_output=True, check=False
    )
    assert r.returncode == 0, r.stderr.decode()
    plan = enrich.plan_edits([doc], fs)
    expected = enrich.apply_edits(doc.raw, plan.by_file[doc.path])
    assert (tmp_path / path.name).read_bytes() == expected
    # only edited bytes changed: undo each edit from the end and get the original back
    undo = doc.raw
    assert _unapply(expected, plan.by_file[doc.path]) == undo


def _unapply(new: bytes, edits: list[Edit]) -> bytes:
    shift = 0
    pieces: list[bytes] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        s = e.start + shift
        pieces.append(new[pos:s])
        pieces.append(e.old.encode())
        pos = s + len(e.new.encode())
        shift += len(e.new.encode()) - (e.end - e.start)
    pieces.append(new[pos:])
    return b"".join(pieces)
