"""Real rows against real mail: the metadata findings' precision and recall.

``tests/data/realmail`` holds rows copied byte for byte from the corpus and the header
lines of the real mails they link, copied from public raw-mail archives (README.md
there says where from).  The test web serves those mails as lore and patchwork do,
``verify`` runs over the rows, and every metadata finding at warning or error is
held to ``verdicts.tsv``: each one listed with its verdict (``true``: the row really
disagrees with the mail; ``false``: it does not; ``unknown``: nobody can tell from
the archives) and a reason, and each real disagreement no finding reported
(``missed``).  A finding the table does not list, or a listed one that is gone,
fails the test: the table is read again by a person whenever the audit changes
(``scripts/realmail_verdicts.py`` drafts it).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from tests.cli_helpers import run_cli
from tests.kernelweb import realmail

PRECISION_MIN = 0.97
RECALL_MIN = 0.95
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def web() -> Iterator[KernelWeb]:
    with KernelWeb(make_handler(realmail.world())) as w:
        yield w


@pytest.fixture(scope="module")
def report(web: KernelWeb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cache = tmp_path_factory.mktemp("realmail-cache")
    run = run_cli(realmail.verify_args(web.remap_rule(), str(cache)))
    run.assert_clean()
    assert run.code == 1  # the set holds real errors
    data = run.json()
    assert isinstance(data, dict)
    return data


def _key(r: dict[str, str]) -> tuple[str, str, str, str, str]:
    return (r["row"], r["code"], r["claim"], r["expected"], r["actual"])


def test_every_counted_finding_is_in_the_verdict_table(report: dict[str, Any]) -> None:
    found = realmail.counted_findings(report)
    listed = {_key(r) for r in realmail.read_verdicts() if r["verdict"] != "missed"}
    new = sorted(set(found) - listed)
    gone = sorted(listed - set(found))
    assert not new, f"findings the verdict table does not judge yet: {new}"
    assert not gone, f"judged findings no longer reported: {gone}"


def test_precision_and_recall_of_metadata_findings(report: dict[str, Any]) -> None:
    table = realmail.read_verdicts()
    n = Counter(r["verdict"] for r in table)
    assert set(n) <= {"true", "false", "unknown", "missed"}
    true, false, missed = n["true"], n["false"], n["missed"]
    precision = true / (true + false)
    recall = true / (true + missed)
    by_code = Counter((r["code"] or "(missed)", r["verdict"]) for r in table)
    print(f"\nreal-mail set: precision {precision:.3f}, recall {recall:.3f}; {dict(n)}")
    for (code, verdict), count in sorted(by_code.items()):
        print(f"  {code:22} {verdict:8} {count}")
    assert precision >= PRECISION_MIN
    assert recall >= RECALL_MIN


def test_every_verdict_has_a_reason_and_a_real_row() -> None:
    rows = set(realmail.row_index().values())
    for r in realmail.read_verdicts():
        assert r["reason"].strip(), r
        assert r["row"] in rows, r


def test_claims_compared_cover_every_row(report: dict[str, Any]) -> None:
    """Every row of the set is read, and most have all their mail links answered."""
    rows = report["rows"]
    assert len(rows) == len(realmail.row_index())
    by_url = {(x["url"], x["row_line"]): x for x in report["links"]}
    complete = 0
    for row in rows:
        mails = [
            x
            for (url, line), x in by_url.items()
            if line == row["line"]
            and x["cell"] in ("feature", "links")
            and x["kind"] in ("lore-message", "patchwork")
            and ("@" in url)
        ]
        if mails and all(x["metadata"] for x in mails):
            complete += 1
    print(f"\n{len(rows)} rows, {complete} with every message-id link answered")
    assert complete >= 80


def test_the_mails_are_real_and_sourced() -> None:
    mails = realmail.load()
    sources = realmail.sources()
    assert len(mails) >= 100
    for mail in mails:
        assert mail.msgid in sources, mail.file
        assert mail.header("From") and mail.header("Subject") and mail.header("Date"), mail.file
        if mail.body:
            assert mail.body.startswith("From:") and "\n" not in mail.body, mail.file


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_rows_are_byte_exact_copies_of_the_corpus() -> None:
    lines = realmail.ROWS.read_bytes().split(b"\n")
    for at, ref in realmail.row_index().items():
        path, _, line = ref.rpartition(":")
        source = (CORPUS / path).read_bytes().split(b"\n")
        assert lines[at - 1] == source[int(line) - 1], ref


def test_enrich_changes_only_rows_with_a_true_finding(
    web: KernelWeb, tmp_path: Path, report: dict[str, Any]
) -> None:
    copy = tmp_path / "rows.md"
    shutil.copyfile(realmail.ROWS, copy)
    args = realmail.verify_args(web.remap_rule(), str(tmp_path / "cache"))
    args[0], args[1] = "enrich", str(copy)
    fmt = args.index("--format")
    del args[fmt : fmt + 2]
    run = run_cli([*args, "--write", "--no-rescue"])
    run.assert_clean()
    before = realmail.ROWS.read_bytes().split(b"\n")
    after = copy.read_bytes().split(b"\n")
    assert len(before) == len(after)
    changed = {n for n, (a, b) in enumerate(zip(before, after, strict=True), 1) if a != b}
    assert changed, "the set holds fixable errors"
    index = realmail.row_index()
    verdicts = realmail.read_verdicts()
    true_rows = {r["row"] for r in verdicts if r["verdict"] == "true"}
    truth = realmail.truth()
    email_rows = {
        row
        for (row, claim), v in truth.items()
        if claim == "author" and v[0][0] == "agree-no-email"
    }
    for n in changed:
        row = index.get(n)
        assert row is not None, f"line {n} changed, which is no row"
        assert row in true_rows or row in email_rows, (row, after[n - 1][:200])
    # every changed byte is in a cell a proved finding (or a missing email) fixes
    fixed = [
        f
        for f in report["findings"]
        if f["fix"] and (f["severity"] == "error" or f["code"] == "author-email-missing")
    ]
    assert {f["row_line"] for f in fixed} >= changed
    assert not [
        f
        for f in report["findings"]
        if f["fix"]
        and f["severity"] != "error"
        and f["code"] not in ("author-email-missing", "moved-link")
    ]


def test_the_real_mail_pages_look_like_lore(web: KernelWeb) -> None:
    """The page of a mail sent on someone's behalf shows its own header lines and the
    body's From: line, and /raw gives the header lines exactly as the archive has them."""
    import httpx

    mail = next(m for m in realmail.load() if m.body)
    base = web.base_url + "/lore.kernel.org/all/" + re.sub("/", "%2F", mail.msgid)
    page = httpx.get(base + "/").text
    assert "id=t>" in page and '(<a\nhref="raw">raw</a>)' in page
    assert mail.body.replace("<", "&lt;").replace(">", "&gt;") in page
    raw = httpx.get(base + "/raw").text
    assert mail.headers in raw
