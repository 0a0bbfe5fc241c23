"""Audited documents kept between runs of ``verify`` (``patchcrawl.doccache``).

A warm ``verify`` of unchanged documents takes each document and its findings from
the cache instead of scanning and auditing it again; the report is the one a full
scan and audit would give. Whatever the kept result stands on (the file's bytes,
what the pages say, the settings that shape an audit, the entry itself) is changed
here, and each time the document must be scanned and audited again, with the new
finding to show for it. Every run goes through the test web on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patchcrawl import doccache, pipeline, tables
from patchcrawl.fetch.cache import ResponseCache, cache_prune, cache_stats
from patchcrawl.models import Finding
from patchcrawl.reports import render
from patchcrawl.settings import Settings
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import Series, World
from tests.conftest import web_settings
from tests.scan_helpers import on_scan

HEAD = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:-:|:-:|:-:|:-:|:-:|:-:|\n"
ROWS = 6


class Docs:
    """Three documents of six rows over one simulated world. In each: row 1 claims
    v9 of a v2 series (version-mismatch), row 3 links a message lore does not have
    (dead-link), row 4 is dated five days after its mail (a date-mismatch only when
    the tolerance is under five days); the others agree with their mail."""

    def __init__(self, tmp: Path) -> None:
        self.world = World()
        self.series: list[list[Series]] = []
        self.paths: list[str] = []
        for f in range(3):
            out = [HEAD]
            row: list[Series] = []
            for r in range(ROWS):
                s = self.world.add_series(
                    title=f"mm: kept document test {f}-{r}",
                    author="Vlastimil Babka",
                    version=2,
                    total=3,
                    list="linux-mm",
                    date=dt.datetime(2021, 3, 1 + r, 12, tzinfo=dt.UTC),
                )
                assert s.cover is not None
                row.append(s)
                url = f"https://lore.kernel.org/all/{s.cover.msgid}/"
                if r == 3:
                    url = f"https://lore.kernel.org/all/gone-{f}-{r}@example.org/"
                version = 9 if r == 1 else 2
                day = s.date + dt.timedelta(days=5 if r == 4 else 0)
                out.append(
                    f"| {day:%Y/%m/%d} | Vlastimil Babka | {s.title} | x | v{version} ☐ "
                    f"| [LORE v{version},0/3]({url}) |\n"
                )
            # a link outside the table too (the first row's, a second time)
            first = row[0].cover
            assert first is not None
            prose = f"# part {f}\n\nSee <https://lore.kernel.org/all/{first.msgid}/>.\n\n"
            path = tmp / f"part{f}.md"
            path.write_text(prose + "".join(out), encoding="utf-8")
            self.series.append(row)
            self.paths.append(str(path))


@contextlib.contextmanager
def _served(tmp: Path) -> Iterator[tuple[Docs, Settings]]:
    """:class:`Docs` in ``tmp``, their world served, and settings that reach it (the
    cache in ``tmp / "c"``)."""
    docs = Docs(tmp)
    with KernelWeb(make_handler(docs.world)) as web:
        yield docs, web_settings(web, cache_dir=tmp / "c")


class Scans:
    """Counts the documents scanned, by path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        on_scan(monkeypatch, lambda path: self.paths.append(path))

    def take(self) -> list[str]:
        out, self.paths = self.paths, []
        return out


def _verify(paths: list[str], settings: Settings, *, slim: bool = True) -> dict[str, Any]:
    """``verify`` as the CLI runs it, its JSON report as a value, with what differs
    from run to run by nature (time, and whether answers came from the cache) left out."""
    report, checked = pipeline.verify(paths, settings, slim=slim)
    data: dict[str, Any] = json.loads(render(report, "json"))
    del data["generated_at"]
    summary = data["summary"]
    for key in ("seconds", "requests", "from_cache"):
        del summary[key]
    for link in data["links"]:
        del link["from_cache"]
    data["exit"] = pipeline.exit_code(report, checked)
    data["requests"] = checked.requests
    return data


def _codes(data: dict[str, Any], code: str) -> set[tuple[str, int]]:
    """The rows (file, line) with a finding of ``code``."""
    findings = data["findings"]
    assert isinstance(findings, list)
    return {(f["file"], f["line"]) for f in findings if f["code"] == code}


def test_a_warm_run_takes_every_document_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = Docs(tmp_path)
    scans = Scans(monkeypatch)
    with KernelWeb(make_handler(docs.world)) as web:
        settings = web_settings(web, cache_dir=tmp_path / "c")
        cold = _verify(docs.paths, settings)
        assert scans.take() == docs.paths
        warm = _verify(docs.paths, settings)
        assert scans.take() == [], "an unchanged document was scanned again"
        # the same run without kept documents (junit's path): every file scanned
        full = _verify(docs.paths, settings, slim=False)
        assert scans.take() == docs.paths
    assert warm["requests"] == 0 and full["requests"] == 0
    cold["requests"] = 0
    assert warm == cold == full
    assert warm["exit"] == pipeline.EXIT_FINDINGS
    assert len(_codes(warm, "version-mismatch")) == 3
    assert len(_codes(warm, "dead-link")) == 3
    assert _codes(warm, "date-mismatch") == set()


@pytest.mark.parametrize("fmt", ["markdown", "sarif", "github", "terminal"])
def test_reports_from_kept_documents_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    with _served(tmp_path) as (docs, settings):
        pipeline.verify(docs.paths, settings, slim=True)
        scans = Scans(monkeypatch)
        kept, _ = pipeline.verify(docs.paths, settings, slim=True)
        assert scans.take() == []
        full, _ = pipeline.verify(docs.paths, settings, slim=False)
        assert scans.take() == docs.paths

    def text(report: object) -> str:
        assert isinstance(report, type(kept))
        same = dataclasses.replace(report, generated_at="now")
        return render(dataclasses.replace(same, summary=kept.summary), fmt)

    assert text(kept) == text(full)


def test_an_edited_document_is_scanned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _served(tmp_path) as (docs, settings):
        _verify(docs.paths, settings)
        edited = Path(docs.paths[1])
        text = edited.read_text(encoding="utf-8")
        row = text.splitlines().index(next(x for x in text.splitlines() if "test 1-5 " in x)) + 1
        edited.write_text(
            text.replace("test 1-5 | x | v2 ☐", "test 1-5 | x | v7 ☐"), encoding="utf-8"
        )
        scans = Scans(monkeypatch)
        after = _verify(docs.paths, settings)
        assert scans.take() == [docs.paths[1]]
    assert after["requests"] == 0
    assert (docs.paths[1], row) in _codes(after, "version-mismatch")
    assert len(_codes(after, "version-mismatch")) == 4


def test_a_page_that_says_something_else_means_a_new_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _served(tmp_path) as (docs, settings):
        before = _verify(docs.paths, settings)
        assert _codes(before, "title-mismatch") == set()
        cover = docs.series[2][0].cover
        assert cover is not None
        cover.subject = cover.subject.replace("kept document test", "a renamed series")
        scans = Scans(monkeypatch)
        # every page revalidated: only the third document links the changed page
        after = _verify(docs.paths, dataclasses.replace(settings, max_age=0.0))
        assert scans.take() == [docs.paths[2]]
    assert after["requests"] > 0
    (where,) = _codes(after, "title-mismatch")
    assert where[0] == docs.paths[2]


def test_settings_that_shape_the_audit_are_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _served(tmp_path) as (docs, settings):
        lenient = _verify(docs.paths, settings)
        scans = Scans(monkeypatch)
        strict = _verify(docs.paths, dataclasses.replace(settings, date_tolerance_days=1))
        assert scans.take() == docs.paths
        # politeness is not part of it: the documents kept by the strict run answer
        again = _verify(
            docs.paths, dataclasses.replace(settings, date_tolerance_days=1, host_concurrency=1)
        )
        assert scans.take() == []
    assert _codes(lenient, "date-mismatch") == set()
    assert len(_codes(strict, "date-mismatch")) == 3
    assert again == strict


def test_every_setting_is_in_the_key_unless_named_as_not_audited() -> None:
    names = {f.name for f in dataclasses.fields(Settings)}
    assert names > doccache.NOT_AUDITED  # no stale name
    base = Settings()
    key = doccache.document_key("a.md", base)
    changed: dict[str, Any] = {
        "date_tolerance_days": 3,
        "canonical_style": "r",
        "fix_authors": True,
        "fix_titles": True,
        "extra": {"x": 1},
    }
    assert set(changed) == names - doccache.NOT_AUDITED
    for name, value in changed.items():
        assert doccache.document_key("a.md", dataclasses.replace(base, **{name: value})) != key
    assert doccache.document_key("b.md", base) != key
    same: dict[str, Any] = {"host_concurrency": 1, "offline": True, "max_age": 1.0}
    for name, value in same.items():
        assert doccache.document_key("a.md", dataclasses.replace(base, **{name: value})) == key


def test_offline_runs_take_kept_documents_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``verify --offline`` (the pre-commit hook) answers from the cache at any age:
    the same resolutions, so the same kept documents, with no request and no scan."""
    with _served(tmp_path) as (docs, settings):
        online = _verify(docs.paths, settings)
    scans = Scans(monkeypatch)
    offline = _verify(docs.paths, dataclasses.replace(settings, offline=True, max_age=0.0))
    assert scans.take() == []
    online["requests"] = 0
    assert offline == online


def test_severity_and_ignores_still_apply_to_kept_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept findings are the audit's own; the policy is applied on every run."""
    with _served(tmp_path) as (docs, settings):
        _verify(docs.paths, settings)
        scans = Scans(monkeypatch)
        quiet = _verify(
            docs.paths, dataclasses.replace(settings, severity=(("version-mismatch", None),))
        )
        assert scans.take() == []
    assert _codes(quiet, "version-mismatch") == set()
    assert len(_codes(quiet, "dead-link")) == 3


def test_a_damaged_entry_is_scanned_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _served(tmp_path) as (docs, settings):
        cold = _verify(docs.paths, settings)
        key = doccache.document_key(docs.paths[0], settings)
        with ResponseCache(tmp_path / "c") as cache:
            entry = cache.get_document(key)
            assert entry is not None
            content, digest, _payload = entry
            cache.put_document(key, content, digest, b"\x80\x05not a pickle")
        scans = Scans(monkeypatch)
        warm = _verify(docs.paths, settings)
        assert scans.take() == [docs.paths[0]]
        again = _verify(docs.paths, settings)  # and it was kept anew
        assert scans.take() == []
    cold["requests"] = 0
    assert warm == cold == again


def test_a_run_without_network_keeps_nothing_that_a_later_run_believes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = Docs(tmp_path)
    with KernelWeb(make_handler(docs.world)) as web:
        settings = web_settings(web, cache_dir=tmp_path / "c")
    # the web is gone: its port refuses connections
    down = _verify(docs.paths, dataclasses.replace(settings, retries=0))
    assert down["exit"] == pipeline.EXIT_UNAVAILABLE
    assert _codes(down, "dead-link") == set()
    with KernelWeb(make_handler(docs.world)) as web:
        settings = web_settings(web, cache_dir=tmp_path / "c")
        scans = Scans(monkeypatch)
        up = _verify(docs.paths, settings)
        assert scans.take() == docs.paths  # what the pages say now is new to every document
    assert up["exit"] == pipeline.EXIT_FINDINGS
    assert len(_codes(up, "dead-link")) == 3


def test_the_cache_commands_see_kept_documents(tmp_path: Path) -> None:
    with _served(tmp_path) as (docs, settings):
        _verify(docs.paths, settings)
    with ResponseCache(tmp_path / "c") as cache:
        stamps = [t for key, t in cache.items() if key.startswith("document\0")]
    assert len(stamps) == len(docs.paths)
    assert all(t > 0 for t in stamps)
    stats = cache_stats(tmp_path / "c")
    entries = stats["entries"]
    assert stats["kinds"]["documents"] == len(docs.paths)
    assert stats["kinds"]["resolutions"] > 0 and stats["kinds"]["pages"] > 0
    assert sum(stats["kinds"].values()) == entries
    assert cache_prune(tmp_path / "c", 3600.0) == 0
    assert cache_prune(tmp_path / "c", 0.0) == entries
    with ResponseCache(tmp_path / "c") as cache:
        for p in docs.paths:
            assert cache.get_document(doccache.document_key(p, settings)) is None


def test_enrich_and_junit_scan_every_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They need the cells, which a kept document has not: both scan as before."""
    with _served(tmp_path) as (docs, settings):
        pipeline.verify(docs.paths, settings, slim=True)
        scans = Scans(monkeypatch)
        diff = pipeline.enrich(
            docs.paths, settings, select=None, ignore=None, write=False, rescue=False
        ).diff
        assert scans.take() == docs.paths
    assert b"-| 2021/03/02 | Vlastimil Babka | mm: kept document test 0-1 | x | v9" in diff


def test_kept_findings_are_findings() -> None:
    """``unpack`` refuses what is not what ``pack`` wrote."""
    doc = tables.scan_bytes("a.md", (HEAD + "| 2021/03/01 | A | t | x | v1 | |\n").encode())
    slim = pipeline._slim(doc)
    f = Finding("dead-link", "error", "a.md", 3, 1, "gone", url="https://x/")
    payload = doccache.pack(slim, [f], [])
    back = doccache.unpack(payload, doc.raw)
    assert back is not None and back[0] == slim and back[1] == (f,)
    import pickle

    assert doccache.unpack(pickle.dumps((slim, ("not a finding",), ())), doc.raw) is None
    assert doccache.unpack(pickle.dumps((slim, (f,), ("not a ref",))), doc.raw) is None
    assert doccache.unpack(b"garbage", doc.raw) is None
