"""``enrich`` on the original BPF history (``data/BPF-2021-02-15.md``) over the test web.

The simulated web is built from the document's own claims
(``world_from_documents``): every retired ``lore.kernel.org/patchwork`` link
redirects to its message on lore, as the real redirector does.  ``enrich --select
moved-link --write`` must replace each of them, in every cell, by the canonical
``https://lore.kernel.org/all/<msgid>/`` its redirect chain ends at, touch no
other byte, and a second run must find nothing left to do.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchcrawl.tables import scan_file
from patchcrawl.testweb.corpus_world import corpus_handler, world_from_documents
from patchcrawl.testweb.server import KernelWeb
from tests.cli_helpers import run_cli

SEED = Path(__file__).resolve().parent.parent / "data" / "BPF-2021-02-15.md"
FAST = ["--no-progress", "--host-interval", "0", "--retries", "0", "--timeout", "5"]
LEGACY = re.compile(r"https?://lore\.kernel\.org/patchwork/(?:cover|patch)/\d+/?")


@pytest.fixture(scope="module")
def seed_web() -> Iterator[KernelWeb]:
    world, _ = world_from_documents([scan_file(str(SEED))])
    with KernelWeb(corpus_handler(world)) as web:
        yield web


def test_every_legacy_patchwork_link_becomes_its_canonical_lore_url(
    seed_web: KernelWeb, tmp_path: Path
) -> None:
    doc = tmp_path / "BPF.md"
    shutil.copyfile(SEED, doc)
    before = doc.read_bytes()
    scanned = scan_file(str(doc))
    legacy = [link for link in scanned.links if LEGACY.fullmatch(link.url)]
    assert len(legacy) >= 5, "the seed should carry retired patchwork links"
    args: list[str | os.PathLike[str]] = [
        "--remap",
        seed_web.remap_rule(),
        "--cache-dir",
        tmp_path / "c",
        *FAST,
    ]

    check = run_cli(["enrich", "--check", "--select", "moved-link", *args, doc])
    check.assert_clean()
    assert check.code == 1, check.err  # something to enrich

    # where each legacy link really leads, as verify sees it, and the fix it proposes
    report = run_cli(["verify", "--format", "json", *args, doc])
    report.assert_clean()
    legacy_urls = {lk.url for lk in legacy}
    target = {x["url"]: x["final_url"] for x in report.json()["links"] if x["url"] in legacy_urls}
    assert set(target) == legacy_urls
    assert all(
        re.fullmatch(r"https://lore\.kernel\.org/all/[^/]+/", t or "") for t in target.values()
    ), target
    moved = [f for f in report.json()["findings"] if f["code"] == "moved-link"]
    edits = {(e["start"], e["end"]): e["new"] for f in moved for e in f["fix"]}
    for link in legacy:  # every legacy link, in every cell, gets the end of its own chain
        assert edits[(link.start, link.end)] == target[link.url]

    wrote = run_cli(["enrich", "--write", "--select", "moved-link", *args, doc])
    wrote.assert_clean()
    assert wrote.code == 0, wrote.err
    after = doc.read_bytes()
    assert not LEGACY.search(after.decode("utf-8")), "a legacy patchwork link was left"
    # exactly those edits, and not another byte
    expected = bytearray(before)
    for (start, end), new in sorted(edits.items(), reverse=True):
        expected[start:end] = new.encode("utf-8")
    assert after == bytes(expected)

    again = run_cli(["enrich", "--select", "moved-link", *args, doc])
    again.assert_clean()
    assert again.code == 0 and again.out == b"", again.text  # idempotent: an empty diff
    clean = run_cli(["enrich", "--check", "--select", "moved-link", *args, doc])
    assert clean.code == 0, clean.err


def test_ignore_moved_link_leaves_legacy_links_alone(seed_web: KernelWeb, tmp_path: Path) -> None:
    doc = tmp_path / "BPF.md"
    shutil.copyfile(SEED, doc)
    args: list[str | os.PathLike[str]] = [
        "--remap",
        seed_web.remap_rule(),
        "--cache-dir",
        tmp_path / "c",
        *FAST,
    ]
    r = run_cli(["enrich", "--ignore", "moved-link", *args, doc])
    r.assert_clean()
    lines = r.text.splitlines()
    removed = [
        u for x in lines if x.startswith("-") and not x.startswith("---") for u in LEGACY.findall(x)
    ]
    added = [
        u for x in lines if x.startswith("+") and not x.startswith("+++") for u in LEGACY.findall(x)
    ]
    # rows may change for other fixes, but every legacy link in them stays as it was
    assert sorted(removed) == sorted(added), "--ignore moved-link still moved links"
