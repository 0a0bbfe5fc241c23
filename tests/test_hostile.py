"""Nothing a stranger writes can stop, blow up or mislead a run.

Documents and the pages they link are written by anyone, and CI runs patchcrawl on
pull requests.  Each case here is a hostile page, header, document or cache, served
by the project's own web on 127.0.0.1 (or planted on disk), and each test checks
what a run does with it: never exit 4, never a traceback, never a dead link that is
alive, never a request where none may go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patchcrawl.testweb.http import WebResponse
from patchcrawl.testweb.server import KernelWeb
from tests.cli_helpers import Run, run_cli, verify_argv

HEAD = (
    "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
)


@pytest.fixture
def web() -> Iterator[KernelWeb]:
    with KernelWeb() as w:
        yield w


def document(tmp_path: Path, *urls: str, name: str = "t.md") -> Path:
    rows = "".join(
        f"| 2024/01/02 | A B <a@b.org> | [feature {i}]({u}) | d | v1 ☐ | [LORE v1,0/2]({u}) |\n"
        for i, u in enumerate(urls)
    )
    p = tmp_path / name
    p.write_text("# t\n\n" + HEAD + rows, encoding="utf-8")
    return p


def verify(web: KernelWeb, path: Path, cache: Path, *extra: str) -> tuple[Run, dict[str, Any]]:
    run = run_cli(
        verify_argv(path, web.remap_rule(), cache, "--retries", "0", "--timeout", "5", *extra)
    )
    run.assert_clean()
    data = run.json()
    assert isinstance(data, dict)
    return run, data


def link(report: dict[str, Any], url: str) -> dict[str, Any]:
    return next(x for x in report["links"] if x["url"] == url)


# ---------------------------------------------------------------- 1. pages no parser can read

HOSTILE_PAGES: dict[str, tuple[str, WebResponse]] = {
    "charset-idna": (
        "https://example.org/idna",
        WebResponse(200, {"content-type": "text/html; charset=idna"}, b"<title>x</title>"),
    ),
    "charset-undefined": (
        "https://example.org/undefined",
        WebResponse(200, {"content-type": "text/html; charset=undefined"}, b"<title>x</title>"),
    ),
    "charset-punycode": (
        "https://example.org/punycode",
        WebResponse(200, {"content-type": "text/html; charset=punycode"}, b"<title>\xff</title>"),
    ),
    "meta-charset-idna": (
        "https://example.org/meta",
        WebResponse(
            200,
            {"content-type": "text/html"},
            b'<meta charset="idna"><title>\xe4\xf6</title>',
        ),
    ),
    "lore-encoded-word-idna": (
        "https://lore.kernel.org/all/idna@example.org/",
        WebResponse(
            200,
            {"content-type": "text/html; charset=UTF-8"},
            b"<html><head><title>x</title></head><body><pre id=b>"
            b"From: =?idna?q?xn--ls8h?= &lt;a@b.org&gt;\n"
            b'Subject: <a href="#r" id=t>=?idna?q?=FF=FE?= [PATCH 0/2] x</a>\n'
            b"Date: Tue, 2 Jan 2024 10:00:00 +0000\n"
            b"Message-ID: &lt;idna@example.org&gt; (<a href=raw>raw</a>)\n\nbody</pre>",
        ),
    ),
    "lore-raw-encoded-word": (
        "https://lore.kernel.org/all/raw@example.org/raw",
        WebResponse(
            200,
            {"content-type": "text/plain"},
            b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
            b"From: =?idna?q?xn--ls8h?= <a@b.org>\n"
            b"Subject: =?punycode?q?=FF?= [PATCH 0/2] x\n"
            b"Date: Tue, 45 Foo 2024 99:99:99 +9999\n"
            b"Message-ID: <raw@example.org>\n\nbody\n",
        ),
    ),
    "cgit-bad-date": (
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=abc",
        WebResponse(
            200,
            {"content-type": "text/html"},
            b"<table class='commit-info'><tr><th>author</th><td>A B &lt;a@b.org&gt;</td>"
            b"<td class='right'>2024-13-45 99:61:00 +0000</td></tr></table>"
            b"<div class='commit-subject'>x</div>",
        ),
    ),
    "patchwork-api-wrong-types": (
        "https://patchwork.kernel.org/api/1.2/patches/?msgid=pw@example.org",
        WebResponse(
            200,
            {"content-type": "application/json"},
            json.dumps(
                [
                    {
                        "id": "x",
                        "name": 7,
                        "submitter": "nobody",
                        "series": [{"version": "three", "id": None}],
                        "date": ["2024"],
                        "msgid": 5,
                    }
                ]
            ).encode(),
        ),
    ),
    "patchwork-api-deep": (
        "https://patchwork.kernel.org/api/1.2/covers/?msgid=deep@example.org",
        WebResponse(200, {"content-type": "application/json"}, b"[" * 100_000 + b"]" * 100_000),
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PAGES))
def test_a_page_no_parser_can_read_never_ends_the_run(
    web: KernelWeb, tmp_path: Path, case: str
) -> None:
    url, answer = HOSTILE_PAGES[case]
    web.route(url, answer)
    # the patchwork pages lead to the API; the lore raw page is asked for by its message
    page_url = {
        "patchwork-api-wrong-types": "https://patchwork.kernel.org/project/linux-mm/patch/pw@example.org/",
        "patchwork-api-deep": "https://patchwork.kernel.org/project/linux-mm/cover/deep@example.org/",
        "lore-raw-encoded-word": "https://lore.kernel.org/all/raw@example.org/",
    }.get(case, url)
    if case.startswith("patchwork"):
        msgid = page_url.rstrip("/").rsplit("/", 1)[1]
        web.page(
            page_url,
            "<html><head><title>x - Patchwork</title></head><body><h1>x</h1>"
            f'<table id="patch-meta"><tr><th>Message ID</th><td>{msgid}</td></tr></table>'
            "</body></html>",
        )
    if case == "lore-raw-encoded-word":
        web.page(
            page_url, "<html><head><title>cut</title></head><body><pre>Nothing</pre></body></html>"
        )
    path = document(tmp_path, page_url, "https://lwn.net/Articles/1/")
    web.page("https://lwn.net/Articles/1/", "<title>fine [LWN.net]</title>")
    for offline in (False, True):  # the cached page must not fail a later run either
        run, rep = verify(web, path, tmp_path / "cache", *(["--offline"] if offline else []))
        x = link(rep, page_url)
        assert x["status"] in ("ok", "unreachable"), x
        assert link(rep, "https://lwn.net/Articles/1/")["status"] == "ok"  # the run went on
        assert run.code in (0, 1)
        if not offline:  # the hostile answer was really asked for and read
            assert any(url.split("://", 1)[1] in r.url for r in web.log), [r.url for r in web.log]


# ---------------------------------------------------------------- 2. the address guard and --remap


@pytest.fixture
def internal() -> Iterator[KernelWeb]:
    """A service on this machine that no document may make patchcrawl reach."""
    with KernelWeb() as w:
        w.page("http://x/internal-admin", "<title>SECRET-ADMIN</title>")
        yield w


def plain_verify(path: Path, cache: Path, *remaps: str) -> tuple[Run, dict[str, Any]]:
    argv = ["verify", str(path), "--cache-dir", str(cache), "--format", "json", "--no-progress"]
    for r in remaps:
        argv += ["--remap", r]
    run = run_cli([*argv, "--host-interval", "0", "--retries", "0", "--timeout", "5"])
    run.assert_clean()
    return run, run.json()


def test_a_remap_that_keeps_the_host_does_not_turn_the_guard_off(
    internal: KernelWeb, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{internal.port}/x/internal-admin?utm=1"
    path = document(tmp_path, url)
    _run, rep = plain_verify(path, tmp_path / "c", r"^(https?://[^?#]*)\?.*$ $1")
    x = link(rep, url)
    assert x["status"] == "skipped" and x["detail"]
    assert internal.count == 0  # nothing was sent
    assert "SECRET" not in json.dumps(rep)


def test_a_redirect_from_the_remapped_host_to_an_internal_address_is_refused(
    web: KernelWeb, internal: KernelWeb, tmp_path: Path
) -> None:
    secret = f"http://127.0.0.1:{internal.port}/x/internal-admin?token=1"
    web.redirect("https://lore.kernel.org/all/m@x/", secret)
    path = document(tmp_path, "https://lore.kernel.org/all/m@x/")
    lore_only = rf"^https://lore\.kernel\.org/(.*)$ {web.base_url}/lore.kernel.org/$1"
    keep_host = r"^(https?://[^?#]*)\?.*$ $1"
    _run, rep = plain_verify(path, tmp_path / "c", lore_only, keep_host)
    assert web.count >= 1  # the user's own server was asked
    assert internal.count == 0  # its redirect to an internal address was not followed
    assert "SECRET" not in json.dumps(rep)


# ---------------------------------------------------------------- 3. the cache across remaps


def test_answers_through_a_remap_are_never_taken_by_a_plain_run(
    web: KernelWeb, tmp_path: Path
) -> None:
    web.page("https://lwn.net/Articles/7/", "<title>alive [LWN.net]</title>")
    path = document(tmp_path, "https://lwn.net/Articles/7/")
    cache = tmp_path / "c"
    verify(web, path, cache)  # filled through the test web
    # the same URL, now with no remap and offline: the remapped answer is not its answer
    run = run_cli(["verify", str(path), "--cache-dir", str(cache), "--format", "json", "--offline"])
    run.assert_clean()
    x = link(run.json(), "https://lwn.net/Articles/7/")
    assert x["status"] == "not-checked", x
    # and the remapped run still finds its own answers
    web.clear_log()
    _run, rep = verify(web, path, cache, "--offline")
    assert link(rep, "https://lwn.net/Articles/7/")["status"] == "ok" and web.count == 0


# ---------------------------------------------------------------- 4. memory: bombs and huge inputs

BOMB = Path(__file__).parent / "data" / "bombs" / "gzip-gzip-1GiB.bin"  # 1,827 bytes


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


def test_the_decoder_holds_the_cap_inside_every_layer() -> None:
    import tracemalloc
    import zlib

    from patchcrawl.fetch.decode import STEP, BodyTooLarge, BoundedDecoder

    bomb = BOMB.read_bytes()
    single = zlib.decompress(bomb, 16 + zlib.MAX_WBITS)  # one layer off: 1 GiB in ~1 MB
    for body, encoding in ((bomb, "gzip, gzip"), (single, "gzip")):
        tracemalloc.start()
        decoder = BoundedDecoder(encoding, 10 * 1024 * 1024)
        with pytest.raises(BodyTooLarge):
            for i in range(0, len(body), 65536):  # as it comes off the wire
                decoder.feed(body[i : i + 65536])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert decoder.size <= 10 * 1024 * 1024 + STEP
        assert peak < 3 * 10 * 1024 * 1024, peak  # the cap, a copy, a few steps; not 1 GiB


def test_the_decoder_reads_what_servers_send() -> None:
    import zlib

    from patchcrawl.fetch.decode import BoundedDecoder, DecodeError

    text = b"<title>x</title>" * 1000

    def decode(body: bytes, encoding: str | None) -> bytes:
        d = BoundedDecoder(encoding, 1 << 20)
        d.feed(body)
        return d.finish()

    raw_deflate = zlib.compressobj(wbits=-15)
    raw = raw_deflate.compress(text) + raw_deflate.flush()
    assert decode(text, None) == decode(text, "identity") == text
    assert decode(_gzip(text), "gzip") == decode(_gzip(text), "x-gzip") == text
    assert decode(zlib.compress(text), "deflate") == text
    assert decode(raw, "deflate") == text  # deflate without its zlib wrapper
    assert decode(_gzip(text[:5000]) + _gzip(text[5000:]), "gzip") == text  # two members
    assert decode(zlib.compress(_gzip(text)), "gzip, deflate") == text
    for bad, enc in ((b"not gzip at all", "gzip"), (text, "br"), (_gzip(text)[:40], "gzip")):
        with pytest.raises(DecodeError):
            decode(bad, enc)


def test_a_gzip_bomb_makes_its_link_unreachable_and_the_run_goes_on(
    web: KernelWeb, tmp_path: Path
) -> None:
    web.route(
        "https://lwn.net/Articles/666/",
        WebResponse(
            200, {"content-type": "text/html", "content-encoding": "gzip, gzip"}, BOMB.read_bytes()
        ),
    )
    web.page("https://lwn.net/Articles/1/", "<title>fine [LWN.net]</title>")
    path = document(tmp_path, "https://lwn.net/Articles/666/", "https://lwn.net/Articles/1/")
    _run, rep = verify(web, path, tmp_path / "c")
    bomb = link(rep, "https://lwn.net/Articles/666/")
    assert bomb["status"] == "unreachable" and "larger than" in bomb["detail"]
    assert link(rep, "https://lwn.net/Articles/1/")["status"] == "ok"


def test_documents_over_the_documented_size_are_refused_with_a_message(tmp_path: Path) -> None:
    from patchcrawl.tables import MAX_DOCUMENT, MAX_LINKS

    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (MAX_DOCUMENT + 1))
    many = tmp_path / "many.md"
    many.write_bytes(b"http://a.bc/\n" * (MAX_LINKS + 1))
    for p, words in ((big, "larger than 16 MiB"), (many, "links a document")):
        for cmd in ("scan", "verify"):
            r = run_cli(
                [cmd, str(p), "--format", "json", *(["--offline"] if cmd == "verify" else [])]
            )
            r.assert_clean()
            assert r.code == 2 and str(p) in r.err and words in r.err, r.err


# ---------------------------------------------------------------- 5. bytes and schemes


def test_unusable_urls_are_malformed_and_other_schemes_skipped(
    web: KernelWeb, tmp_path: Path
) -> None:
    bad = [
        "https://lwn.net/a\x00b/",
        "https://lwn.net/" + "a" * 100_000,
        "hhttps://lwn.net/Articles/1/",
        "tps://lwn.net/Articles/1/",
    ]
    skipped = ["mailto:a@b.org", "file:///etc/passwd", "javascript:alert(1)", "data:text/html,x"]
    web.page("https://lwn.net/Articles/1/", "<title>fine [LWN.net]</title>")
    p = tmp_path / "t.md"
    body = "".join(f"<{u}>\n\n" for u in bad * 3) + "".join(f"[x]({u})\n\n" for u in skipped)
    raw = body.encode() + b"<https://lwn.net/\xff\xfe/>\n\n<https://lwn.net/Articles/1/>\n"
    p.write_bytes(raw)
    web.clear_log()
    for fmt in ("json", "sarif", "markdown", "junit", "github", "terminal"):
        run = run_cli(verify_argv(p, web.remap_rule(), tmp_path / "c", "--format", fmt))
        run.assert_clean()
        assert run.code == 1, (fmt, run.err)  # malformed URLs are errors; never exit 3 or 4
        if fmt in ("json", "sarif"):
            json.loads(run.out.decode("utf-8"))  # valid UTF-8 JSON
    web.clear_log()
    rep = run_cli(verify_argv(p, web.remap_rule(), tmp_path / "fresh")).json()
    status = {x["url"]: x["status"] for x in rep["links"]}
    assert all(status[u] == "malformed" for u in bad)
    assert all(status[u] == "skipped" for u in skipped)
    assert status["https://lwn.net/Articles/1/"] == "ok"
    assert [x["status"] for x in rep["links"] if "\udcff" in x["url"]] == ["malformed"]
    # nothing was sent for any of the others, and nothing is counted as sent
    assert rep["summary"]["requests"] == 1 and web.count == 1


# ---------------------------------------------------------------- 9. exits, details, counts


def test_a_dozen_refused_addresses_are_skipped_not_sent_and_never_exit_3(
    internal: KernelWeb, tmp_path: Path
) -> None:
    urls = [f"http://127.0.0.1:{internal.port}/x/internal-admin?n={i}" for i in range(12)]
    urls += [f"http://10.0.0.{i}/" for i in range(1, 4)] + ["http://169.254.169.254/latest/"]
    p = tmp_path / "t.md"
    p.write_text("".join(f"<{u}>\n\n" for u in urls), encoding="utf-8")
    run, rep = plain_verify(p, tmp_path / "c")
    assert run.code == 0, run.err
    assert {x["status"] for x in rep["links"]} == {"skipped"}
    assert rep["summary"]["requests"] == 0 and internal.count == 0
    assert rep["findings"] == []


def test_details_name_the_original_address_not_the_remapped_one(tmp_path: Path) -> None:
    from tests.cli_helpers import closed_port

    port = closed_port()
    p = document(tmp_path, "https://lwn.net/Articles/5/")
    remap = rf"^https?://([^/?#]+)(.*)$ http://127.0.0.1:{port}/$1$2"
    run = run_cli(
        [
            *("verify", str(p), "--remap", remap, "--cache-dir", str(tmp_path / "c")),
            *("--format", "json", "--retries", "0", "--timeout", "2", "--no-progress"),
        ]
    )
    run.assert_clean()
    text = json.dumps(run.json())
    assert f"127.0.0.1:{port}" not in text  # reports keep original URLs


def test_debug_keeps_exit_4_and_adds_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchcrawl import pipeline

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("a planted bug")

    monkeypatch.setattr(pipeline, "run_scan", boom)
    p = tmp_path / "t.md"
    p.write_text("# t\n", encoding="utf-8")
    plain = run_cli(["scan", str(p)])
    assert plain.code == 4 and "Traceback" not in plain.err and "a planted bug" in plain.err
    debug = run_cli(["scan", str(p)], env={"PATCHCRAWL_DEBUG": "1"})
    assert debug.code == 4 and "Traceback" in debug.err and "a planted bug" in debug.err


# ---------------------------------------------------------------- 6. the cache itself


def _filled(web: KernelWeb, tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    web.page("https://lwn.net/Articles/8/", "<title>alive [LWN.net]</title>")
    path = document(tmp_path, "https://lwn.net/Articles/8/")
    cache = tmp_path / "c"
    _run, rep = verify(web, path, cache)
    return path, cache, rep


def test_a_cache_damaged_inside_is_set_aside_in_one_line_never_exit_4(
    web: KernelWeb, tmp_path: Path
) -> None:
    path, cache, _ = _filled(web, tmp_path)
    db = cache / "cache.db"
    data = bytearray(db.read_bytes())
    for i in range(4096, len(data), 997):  # the header stays, the pages are garbage
        data[i] = (data[i] + 0x5A) % 256
    db.write_bytes(bytes(data))
    run, rep = verify(web, path, cache)
    assert run.code in (0, 1)
    assert link(rep, "https://lwn.net/Articles/8/")["status"] == "ok"
    assert run.err.count("patchcrawl:") <= 1
    again, _ = verify(web, path, cache)  # and the next run is clean
    assert "corrupt" not in again.err


def test_a_cache_owned_by_someone_else_or_writable_by_others_is_not_used(
    web: KernelWeb, tmp_path: Path
) -> None:
    import os

    path, cache, _ = _filled(web, tmp_path)
    before = sorted(p.name for p in cache.iterdir())
    os.chmod(cache, 0o777)  # anyone may write it: its pickled values could be anyone's
    run, rep = verify(web, path, cache)
    assert "writable by others" in run.err and "not used" in run.err
    assert link(rep, "https://lwn.net/Articles/8/")["status"] == "ok"
    assert rep["summary"]["from_cache"] == 0
    assert sorted(p.name for p in cache.iterdir()) == before  # nothing renamed or removed
    os.chmod(cache, 0o755)
    if os.getuid() == 0:  # root can hand it to another user
        os.chown(cache, 65534, 65534)
        run, rep = verify(web, path, cache)
        assert "owned by another user" in run.err
        assert sorted(p.name for p in cache.iterdir()) == before


def test_a_cache_that_cannot_be_written_is_bypassed_not_called_corrupt(
    web: KernelWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    import diskcache

    _path, cache, _ = _filled(web, tmp_path)
    web.page("https://lwn.net/Articles/9/", "<title>new [LWN.net]</title>")
    path2 = document(tmp_path, "https://lwn.net/Articles/8/", "https://lwn.net/Articles/9/")
    before = sorted(p.name for p in cache.iterdir())
    for error in (
        sqlite3.OperationalError("attempt to write a readonly database"),
        sqlite3.OperationalError("database or disk is full"),
        OSError(28, "No space left on device"),
    ):

        def refuse(*_a: object, _e: BaseException = error, **_k: object) -> None:
            raise _e

        monkeypatch.setattr(diskcache.Cache, "set", refuse)
        monkeypatch.setattr(diskcache.Cache, "transact", refuse)
        run, rep = verify(web, path2, cache)
        assert "corrupt" not in run.err and run.err.count("patchcrawl:") == 1, run.err
        assert {x["status"] for x in rep["links"]} == {"ok"}
        assert sorted(p.name for p in cache.iterdir()) == before  # nothing set aside
        monkeypatch.undo()


def test_prune_and_clear_free_what_a_damaged_cache_left(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "cache.db.corrupt-20260101-000000-1").write_bytes(b"x" * 1000)
    (cache / "cache.db-wal.corrupt-20260101-000000-1").write_bytes(b"x")
    for action in ("prune", "clear"):
        r = run_cli(["cache", action, "--cache-dir", str(cache)])
        r.assert_clean()
        assert r.code == 0
    assert not list(cache.glob("*.corrupt-*"))


# ---------------------------------------------------------------- 7. writes


def test_output_to_a_device_is_written_through_and_dash_is_stdout(
    web: KernelWeb, tmp_path: Path
) -> None:
    """--output onto something that is no regular file (here a FIFO, as /dev/null or a
    terminal would be) writes through it; it was replaced by a regular file before,
    which for root and /dev/null breaks the machine."""
    import os
    import stat
    import threading

    web.page("https://lwn.net/Articles/1/", "<title>fine [LWN.net]</title>")
    path = document(tmp_path, "https://lwn.net/Articles/1/")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    run = run_cli(verify_argv(path, web.remap_rule(), tmp_path / "c", "--output", str(fifo)))
    run.assert_clean()
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe
    assert json.loads(got[0])["schema"] == "patchcrawl.report/1"  # the report went through it
    dash = run_cli(verify_argv(path, web.remap_rule(), tmp_path / "c", "--output", "-"))
    assert json.loads(dash.out)["schema"] == "patchcrawl.report/1"
    assert not (tmp_path / "-").exists()


def _enrichable(web: KernelWeb, tmp_path: Path) -> Path:
    """A document whose row enrich fixes (its status says v1, the mail v2)."""
    import datetime as dt

    from patchcrawl.testweb.sites import make_handler
    from patchcrawl.testweb.world import World

    world = World()
    world.add_message(
        subject="[PATCH v2 0/2] feature 0",
        author="A B",
        email="a@b.org",
        msgid="m@x",
        date=dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.UTC),
    )
    web.handler = make_handler(world)
    return document(tmp_path, "https://lore.kernel.org/all/m@x/")


def test_enrich_write_never_loses_an_edit_saved_meanwhile(
    web: KernelWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    path = _enrichable(web, tmp_path)
    original = path.read_bytes()
    real_chmod = os.chmod
    for attempt in range(8):
        path.write_bytes(original)
        mine = original + f"\nmy edit {attempt}\n".encode()

        def edit_meanwhile(p: str, mode: int, _mine: bytes = mine) -> None:
            path.write_bytes(_mine)  # the user saves while enrich writes its temp file
            real_chmod(p, mode)

        monkeypatch.setattr(os, "chmod", edit_meanwhile)
        args = verify_argv(path, web.remap_rule(), tmp_path / "c")
        args[0] = "enrich"
        run = run_cli([a for a in args if a not in ("--format", "json")] + ["--write"])
        monkeypatch.undo()
        assert run.code == 2 and "changed on disk" in run.err, run.err
        assert path.read_bytes() == mine  # the user's edit is there, whole
    assert not list(tmp_path.glob(".*.tmp"))


def test_enrich_write_refuses_a_read_only_file_unless_forced(
    web: KernelWeb, tmp_path: Path
) -> None:
    import os

    path = _enrichable(web, tmp_path)
    original = path.read_bytes()
    os.chmod(path, 0o444)
    args = verify_argv(path, web.remap_rule(), tmp_path / "c")
    args[0] = "enrich"
    args = [a for a in args if a not in ("--format", "json")]
    run = run_cli([*args, "--write"])
    assert run.code == 2 and "read-only" in run.err and str(path) in run.err, run.err
    assert path.read_bytes() == original
    forced = run_cli([*args, "--write", "--force"])
    assert forced.code == 0, forced.err
    assert path.read_bytes() != original
    assert os.stat(path).st_mode & 0o777 == 0o444  # its mode kept


# ---------------------------------------------------------------- 8. waiting


def test_a_day_long_retry_after_gives_the_host_up_and_says_why(
    web: KernelWeb, tmp_path: Path
) -> None:
    import re

    for i in range(6):
        web.page(f"https://lwn.net/Articles/{i}/", "<title>fine [LWN.net]</title>")
    web.fault(re.compile(r"lwn\.net/Articles/"), status=429, retry_after=86400)
    web.page("https://lkml.org/lkml/2024/1/1/1", "<title>other host</title>")
    urls = [f"https://lwn.net/Articles/{i}/" for i in range(6)] + [
        "https://lkml.org/lkml/2024/1/1/1"
    ]
    path = document(tmp_path, *urls)
    run = run_cli(verify_argv(path, web.remap_rule(), tmp_path / "c", "--retries", "3"))
    run.assert_clean()
    rep = run.json()
    lwn = [x for x in rep["links"] if "lwn.net" in x["url"]]
    assert {x["status"] for x in lwn} == {"unreachable"}
    assert all("asked to wait 86,400 s" in x["detail"] for x in lwn)
    findings = [f for f in rep["findings"] if f["code"] == "unreachable"]
    assert findings and all("asked to wait 86,400 s" in f["message"] for f in findings)
    assert link(rep, "https://lkml.org/lkml/2024/1/1/1")["status"] == "ok"  # others go on
    # the first 429 gave the host up: only the requests already on the wire went
    assert len(web.requests_for_host("lwn.net")) <= 4  # the host's concurrency


def test_retry_after_within_the_budgets_is_honoured(web: KernelWeb, tmp_path: Path) -> None:
    web.page("https://lwn.net/Articles/1/", "<title>fine [LWN.net]</title>")
    web.fault("https://lwn.net/Articles/1/", status=429, retry_after=0.2, times=1)
    path = document(tmp_path, "https://lwn.net/Articles/1/")
    _run, rep = verify(web, path, tmp_path / "c", "--retries", "2")
    assert link(rep, "https://lwn.net/Articles/1/")["status"] == "ok"
    assert len(web.requests_for_host("lwn.net")) == 2


def test_a_redirect_to_an_unusable_url_is_that_links_problem(
    web: KernelWeb, tmp_path: Path
) -> None:
    web.route(
        "https://lwn.net/Articles/2/",
        WebResponse(301, {"location": "http://[::1", "content-type": "text/html"}, b"moved"),
    )
    web.page("https://lwn.net/Articles/1/", "<title>fine [LWN.net]</title>")
    path = document(tmp_path, "https://lwn.net/Articles/2/", "https://lwn.net/Articles/1/")
    _run, rep = verify(web, path, tmp_path / "c")
    x = link(rep, "https://lwn.net/Articles/2/")
    assert x["status"] == "unreachable" and "unusable URL" in x["detail"]
    assert link(rep, "https://lwn.net/Articles/1/")["status"] == "ok"


def test_a_cache_writable_by_the_users_own_group_is_used(web: KernelWeb, tmp_path: Path) -> None:
    import os

    path, cache, _ = _filled(web, tmp_path)
    os.chmod(cache, 0o775)  # a umask of 002, as many distributions give their users
    run, rep = verify(web, path, cache)
    assert "not used" not in run.err
    assert rep["summary"]["from_cache"] >= 1
