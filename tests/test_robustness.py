"""Bad input never gives a traceback: every odd document through ``scan``,
``verify --offline``, ``verify`` and ``enrich`` against the simulated web.

Each run must exit 0, 1, 2 or 3 with no "Traceback" and no "internal error", and
a report it prints must be a consistent ``patchcrawl.report/1``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from tests.cli_helpers import Run, run_cli
from tests.kernelweb.scenarios import Scenario, build
from tests.test_contract import CELLS, KINDS, STATUSES, check_report

FAST = ["--host-interval", "0", "--timeout", "2", "--retries", "0", "--no-progress"]
HEADER6 = "| date | author | feature | description | status | links |\n|---|---|---|---|---|---|\n"
LORE = "https://lore.kernel.org/all/20240101000000.1-1-x@example.org/"


def _row(i: int, url: str = LORE) -> str:
    date = f"2024/01/{i % 28 + 1:02d}"
    return f"| {date} | A B <a@b.org> | [t {i}]({url}) | d | v1 ☐ | [LORE]({url}) |\n"


CASES: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "only-whitespace": lambda: b"\n\n   \n\t\n",
    "binary": lambda: random.Random(1).randbytes(20000),
    "nul-bytes": lambda: (HEADER6 + _row(1)).encode().replace(b"A B", b"A\x00B") + b"\x00" * 50,
    "invalid-utf8": lambda: (
        HEADER6.encode()
        + b"| 2024/01/01 | \xff\xfe\xc3 | [t\xe4]("
        + LORE.encode()
        + b") | \x80 | v1 | x |\n"
    ),
    "latin1-with-urls": lambda: "Déjà vu: https://lwn.net/Articles/615085/ café\n".encode(
        "latin-1"
    ),
    "utf16": lambda: ("# doc\n\n" + HEADER6 + _row(1)).encode("utf-16"),
    "huge-single-line": lambda: (
        b"x" * 1_500_000 + b" https://lwn.net/Articles/615085/ " + b"|" * 50_000
    ),
    "one-column": lambda: f"| feature |\n|---|\n| [a]({LORE}) |\n| b |\n".encode(),
    "hundred-columns": lambda: (
        "|"
        + "|".join(f"c{i}" for i in range(100))
        + "|\n"
        + "|"
        + "|".join("---" for _ in range(100))
        + "|\n"
        + "|"
        + "|".join(f"https://lwn.net/Articles/{i}/" for i in range(100))
        + "|\n"
    ).encode(),
    "header-only": lambda: HEADER6.encode(),
    "header-without-delimiter": lambda: b"| date | author | feature |\n| 2024 | x | y |\n",
    "unclosed-fence": lambda: f"intro {LORE}\n\n```\n{HEADER6}{_row(1)}".encode(),
    "unclosed-fence-tilde": lambda: f"~~~~\n{LORE}\n````\n".encode(),
    "1500-rows": lambda: (
        HEADER6
        + "".join(
            _row(i, f"https://lore.kernel.org/all/2024-{i % 20}-x@example.org/")
            for i in range(1500)
        )
    ).encode(),
    "ragged-rows": lambda: (
        HEADER6
        + "| a |\n| a | b | c | d | e | f | g | h |\n|\n||\n|||||||\n"
        + "| 2024/01/01 | x | [a]("
        + LORE
        + ' "title") |\n'
    ).encode(),
    "weird-urls": lambda: (
        HEADER6
        + "| 2024/01/01 | x | [sp](<https://lore.kernel.org/all/a b@c/>) | d | v1 |"
        + " [f](ftp://ftp.kernel.org/pub/) |\n"
        + "| 2024/01/01 | x | [idn](https://bücher.example/x) | d | v1 | [m](mailto:a@b.org) |\n"
        + "| 2024/01/01 | x | [js](javascript:alert(1)) | d | v1 | [e]() |\n"
        + "| 2024/01/01 | x | [long](https://lore.kernel.org/all/"
        + "a" * 20000
        + "@x/) | d | v1 | x |\n"
        + "| 2024/01/01 | x | [p](https://lore.kernel.org:99999/x) | d | v1 |"
        + " [q](https://[::1/) |\n"
        + "\n<https://例え.テスト/ページ> [rel](../other.md) [frag](#top) [h](http://) "
        + "[d](data:text/html,<b>x</b>) [q](https://lore.kernel.org/all/%zz%00@x/?a=%ff#%) "
        + "https://lore.kernel.org/all/<a@b>/ https://lwn.net/Articles/615085/)))))\n"
        + '[ref]: https://lwn.net/Articles/615085/ "t"\n[unused]: <>\n'
        + '<a href="https://lwn.net/Articles/615085/">html</a> <a href=javascript:x>bad</a>\n'
    ).encode(),
    "very-long-url": lambda: ("see https://lwn.net/" + "a/" * 100_000 + " done\n").encode(),
    "bom-crlf-cjk": lambda: (
        "\ufeff# 历史\r\n\r\n"
        + HEADER6.replace("\n", "\r\n")
        + _row(1).replace("A B", "张三").replace("\n", "  \r\n")
    ).encode(),
    "cr-only-newlines": lambda: (HEADER6 + _row(1) + _row(2)).replace("\n", "\r").encode(),
    "nested-brackets": lambda: ("[" * 5000 + "x" + "](" * 5000 + LORE + ")" * 5000 + "\n").encode(),
    "many-pipes": lambda: ("|" * 200_000 + "\n" + "|---" * 2000 + "\n").encode(),
    "html-table": lambda: (
        f'<table><tr><td><a href="{LORE}">x</a></td></tr></table>\n<!-- {LORE} -->\n'
    ).encode(),
}


@pytest.fixture(scope="module")
def sc_web() -> Iterator[tuple[Scenario, KernelWeb]]:
    sc = build()
    with KernelWeb(make_handler(sc.world)) as web:
        yield sc, web


def _texts(path: str, data: bytes) -> dict[str, str] | None:
    """The text a report's positions refer to, when the document is UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text.replace("\r\n", "\n"):
        return None  # CR-only line ends: positions are the scanner's business
    return {path: text}


def _check(run: Run, path: str, data: bytes, *, json_out: bool = True) -> None:
    run.assert_clean()
    if run.code in (0, 1) and json_out:
        rep = run.json()
        texts = _texts(path, data)
        if texts is not None:
            check_report(rep, texts)
        else:
            s = rep["summary"]
            assert s["links"] == len(rep["links"])
            assert sum(s["by_status"].values()) == len(rep["links"])
            for link in rep["links"]:
                assert link["cell"] in CELLS and link["kind"] in KINDS
                assert link["status"] in STATUSES
                assert link["line"] >= 1 and link["column"] >= 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_documents_never_crash(
    name: str, tmp_path: Path, sc_web: tuple[Scenario, KernelWeb]
) -> None:
    _, web = sc_web
    data = CASES[name]()
    path = "doc.md"
    (tmp_path / path).write_bytes(data)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    scan = run_cli(["scan", path], cwd=tmp_path)
    _check(scan, path, data)
    assert scan.code == 0, scan.err
    assert {link["status"] for link in scan.json()["links"]} <= {"not-checked", "malformed"}
    off = run_cli(["verify", "--offline", *cache, path], cwd=tmp_path)
    _check(off, path, data)
    online = run_cli(["verify", *cache, "--remap", web.remap_rule(), *FAST, path], cwd=tmp_path)
    _check(online, path, data)
    assert online.code in (0, 1), online.err
    before = (tmp_path / path).read_bytes()
    enrich = run_cli(["enrich", *cache, "--remap", web.remap_rule(), *FAST, path], cwd=tmp_path)
    enrich.assert_clean()
    assert enrich.code == 0, enrich.err
    assert (tmp_path / path).read_bytes() == before  # no --write: nothing touched
    for fmt in ("terminal", "markdown", "junit", "sarif", "github"):
        r = run_cli(["verify", "--offline", *cache, "--format", fmt, path], cwd=tmp_path)
        r.assert_clean()


def test_all_bad_documents_in_one_directory(
    tmp_path: Path, sc_web: tuple[Scenario, KernelWeb]
) -> None:
    _, web = sc_web
    d = tmp_path / "docs"
    d.mkdir()
    for name, make in CASES.items():
        if name != "1500-rows":
            (d / f"{name}.md").write_bytes(make())
    r = run_cli(["verify", "--cache-dir", tmp_path / "c", "--remap", web.remap_rule(), *FAST, d])
    r.assert_clean()
    assert r.code in (0, 1)
    assert r.json()["summary"]["files"] == len(CASES) - 1


def test_unicode_and_space_in_file_names(tmp_path: Path) -> None:
    name = "dir with space/历史 ✓.md"
    (tmp_path / "dir with space").mkdir()
    (tmp_path / name).write_text(f"[x]({LORE})\n")
    r = run_cli(["scan", name], cwd=tmp_path)
    assert r.code == 0 and r.json()["links"][0]["file"] == name


# --------------------------------------------------------------------------- unreadable paths


def _usage_error(args: list[str], cwd: Path) -> Run:
    r = run_cli(args, cwd=cwd)
    r.assert_clean()
    assert r.code == 2, (r.code, r.err)
    assert r.out == b"" and r.err.startswith("patchcrawl: ")
    return r


@pytest.mark.parametrize("cmd", [["scan"], ["verify", "--offline", "--cache-dir", "c"]])
def test_unreadable_paths_exit_2(tmp_path: Path, cmd: list[str]) -> None:
    (tmp_path / "dir.md").mkdir()
    (tmp_path / "broken.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "nomd").mkdir()
    (tmp_path / "nomd" / "a.txt").write_text("x")
    _usage_error([*cmd, "missing.md"], tmp_path)
    assert "broken.md" in _usage_error([*cmd, "broken.md"], tmp_path).err
    _usage_error([*cmd, "dir.md"], tmp_path)  # a directory named like a file, no markdown
    _usage_error([*cmd, "nomd"], tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.md")
        _usage_error([*cmd, "fifo.md"], tmp_path)
    if os.geteuid() != 0:
        locked = tmp_path / "locked.md"
        locked.write_text("x\n")
        locked.chmod(0)
        try:
            assert "locked.md" in _usage_error([*cmd, "locked.md"], tmp_path).err
        finally:
            locked.chmod(0o644)


@pytest.mark.timeout(30)
def test_directory_walk_skips_dangling_symlinks_and_fifos(tmp_path: Path) -> None:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "good.md").write_text(f"[x]({LORE})\n")
    (d / ".#good.md").symlink_to("user@host.1234:1700000000")  # an editor's lock file
    (d / "sub.md").mkdir()
    (d / "sub.md" / "inner.markdown").write_text("https://lwn.net/Articles/615085/\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(d / "pipe.md")  # reading it would block forever
    r = run_cli(["scan", d])
    assert r.code == 0, r.err
    files = {Path(link["file"]).name for link in r.json()["links"]}
    assert files == {"good.md", "inner.markdown"}


# --------------------------------------------------------------------------- write paths


def test_enrich_write_to_read_only_directory_is_clean(
    tmp_path: Path, sc_web: tuple[Scenario, KernelWeb]
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    sc, web = sc_web
    cover = sc.kprobes.cover
    assert cover is not None
    d = tmp_path / "ro"
    d.mkdir()
    legacy = sc.kprobes.legacy_ids[cover.msgid]
    doc = d / "x.md"
    doc.write_text(HEADER6 + _row(1, f"https://lore.kernel.org/patchwork/cover/{legacy}"))
    d.chmod(0o555)
    try:
        r = run_cli(
            [
                "enrich",
                "--write",
                "--cache-dir",
                tmp_path / "c",
                "--remap",
                web.remap_rule(),
                *FAST,
                doc,
            ]
        )
        r.assert_clean()
        assert r.code == 2
    finally:
        d.chmod(0o755)
