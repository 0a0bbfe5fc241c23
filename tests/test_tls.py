"""The crawler over TLS: the test web answering https on 127.0.0.1.

Real lore, patchwork and LWN are https only (httpcore, HTTP/2 where offered; the
test web speaks HTTP/1.1): these tests run that path end to end against a certificate
from a test CA (``trustme``), trusted through ``SSL_CERT_FILE`` as a user behind a
mirror or a proxy with its own CA would, and check that a certificate the crawler
cannot trust makes a link ``unreachable`` (exit 3), never ``dead``.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from patchcrawl import pipeline
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.conftest import web_settings

HEAD = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:-:|:-:|:-:|:-:|:-:|:-:|\n"


def _document(tmp: Path) -> tuple[World, str]:
    """Three rows: a lore cover letter (claiming the wrong version), a patchwork
    cover page, a message lore does not have."""
    w = World()
    lore = w.add_series(title="mm: tls test one", author="Vlastimil Babka", version=3, total=2)
    pw = w.add_series(
        title="bpf: tls test two", author="Alexei Starovoitov", version=1, total=2, patchwork="bpf"
    )
    assert lore.cover is not None and pw.cover is not None
    rows = [
        f"| 2021/03/01 | Vlastimil Babka | {lore.title} | x | v2 ☐ "
        f"| [LORE](https://lore.kernel.org/all/{lore.cover.msgid}/) |",
        f"| 2021/03/01 | Alexei Starovoitov | {pw.title} | x | v1 ☐ "
        f"| [PatchWork](https://patchwork.kernel.org/project/bpf/cover/{pw.cover.msgid}/) |",
        "| 2021/03/01 | Nobody | gone | x | v1 ☐ "
        "| [LORE](https://lore.kernel.org/all/gone@example.org/) |",
    ]
    path = tmp / "tls.md"
    path.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    return w, str(path)


class Pki:
    def __init__(self, tmp: Path, *hosts: str) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert(*hosts)
        self.ca_file = tmp / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx


def _statuses(checked: pipeline.Checked) -> dict[str, str]:
    return {url: r.status for url, r in checked.resolutions.items()}


def test_verify_over_https_reads_the_same_as_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, path = _document(tmp_path)
    pki = Pki(tmp_path, "127.0.0.1")
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    with KernelWeb(make_handler(world), tls=pki.server()) as web:
        assert web.base_url.startswith("https://")
        secure, checked = pipeline.verify([path], web_settings(web, cache_dir=tmp_path / "s"))
        assert {r.method for r in web.log} == {"GET"} and len(web.log) >= 3
    with KernelWeb(make_handler(world)) as web:
        plain, _ = pipeline.verify([path], web_settings(web, cache_dir=tmp_path / "p"))
    statuses = _statuses(checked)
    assert sorted(statuses.values()) == ["dead", "ok", "ok"], statuses
    assert [r.resolution for r in secure.links] == [r.resolution for r in plain.links]
    assert secure.findings == plain.findings
    codes = sorted(f.code for f in secure.findings)
    assert "version-mismatch" in codes and "dead-link" in codes
    (lore,) = [r for r in secure.links if "/all/" in r.link.url and "gone@" not in r.link.url]
    assert lore.resolution.metadata is not None and lore.resolution.metadata.version == 3


@pytest.mark.parametrize("hosts", [(), ("localhost",)], ids=["untrusted-ca", "wrong-host"])
def test_a_certificate_that_cannot_be_trusted_is_unreachable_not_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hosts: tuple[str, ...]
) -> None:
    world, path = _document(tmp_path)
    pki = Pki(tmp_path, *(hosts or ("127.0.0.1",)))
    if hosts:  # the CA is trusted, but the certificate names another host
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    else:  # a CA nobody trusts
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with KernelWeb(make_handler(world), tls=pki.server()) as web:
        report, checked = pipeline.verify([path], web_settings(web, cache_dir=tmp_path / "c"))
        requests = checked.requests
    assert set(_statuses(checked).values()) == {"unreachable"}
    # a certificate problem is not retried: lore's search for the two lore links, then
    # each page on its own
    assert requests == 4
    details = " ".join(r.resolution.detail or "" for r in report.links).lower()
    assert "certificate" in details or "ssl" in details, details
    # a warning each, no error: three links are too few to call the whole check
    # undone (exit 3 needs at least 10 unreachable), and none is called dead
    assert sorted(f.code for f in report.findings) == ["unreachable"] * 3
    assert pipeline.exit_code(report, checked) == pipeline.EXIT_OK


def test_the_command_over_https(tmp_path: Path) -> None:
    """``patchcrawl verify`` in a process of its own, trusting the CA through
    ``SSL_CERT_FILE`` in its environment, as a user would."""
    world, path = _document(tmp_path)
    pki = Pki(tmp_path, "127.0.0.1")
    out = tmp_path / "r.json"
    with KernelWeb(make_handler(world), tls=pki.server()) as web:
        argv = [sys.executable, "-m", "patchcrawl", "verify", path, "--format", "json"]
        argv += ["--output", str(out), "--no-progress", "--host-interval", "0"]
        argv += ["--cache-dir", str(tmp_path / "c"), "--remap", web.remap_rule()]
        env = dict(os.environ, SSL_CERT_FILE=str(pki.ca_file))
        r = subprocess.run(argv, env=env, capture_output=True, timeout=120)
    assert r.returncode == 1, r.stderr.decode()[-2000:]
    data = json.loads(out.read_text())
    statuses = sorted(x["status"] for x in data["links"])
    assert statuses == ["dead", "ok", "ok"]
    codes = {f["code"] for f in data["findings"]}
    assert {"dead-link", "version-mismatch"} <= codes, codes


def test_a_pinned_connection_still_checks_the_certificate_for_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection goes to the address the guard checked, and TLS still names the
    host: a certificate for ``rebind.example`` is accepted, one for another name is not
    (pinned connections over http: ``tests/test_fetch.py``)."""
    from patchcrawl.fetch import safety
    from tests.fetchutil import fetch

    async def lookup(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    real = safety.is_internal
    monkeypatch.setattr(safety, "lookup", lookup)
    monkeypatch.setattr(safety, "is_internal", lambda a: str(a) != "127.0.0.1" and real(a))
    results = {}
    for name in ("rebind.example", "other.example"):
        pki = Pki(tmp_path, name)
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
        with KernelWeb(tls=pki.server()) as web:
            web.page("https://lore.kernel.org/tls", "over tls")
            url = f"https://rebind.example:{web.port}/lore.kernel.org/tls"
            (r,), _ = fetch(web_settings(web, remap=()), url)
            results[name] = (r.status, r.error, r.detail or "")
    assert results["rebind.example"][:2] == (200, None), results
    status, error, detail = results["other.example"]
    assert status is None and error == "tls", results
    assert "rebind.example" in detail or "certificate" in detail.lower(), detail


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_run_of_either_scheme_takes_the_one_http_stack(tmp_path: Path, tls: bool) -> None:
    """httpcore (and h2) for ``http`` and ``https`` alike; aiohttp, the ``http``
    transport until issue #17, is never imported."""
    world, path = _document(tmp_path)
    pki = Pki(tmp_path, "127.0.0.1")
    code = (
        "import sys\n"
        "from patchcrawl.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "print(*(name in sys.modules for name in ('aiohttp', 'httpcore', 'h2')))\n"
    )
    with KernelWeb(make_handler(world), tls=pki.server() if tls else None) as web:
        argv = [sys.executable, "-c", code, "verify", path, "--format", "json", "--no-progress"]
        argv += ["--output", str(tmp_path / "r.json"), "--cache-dir", str(tmp_path / "c")]
        argv += ["--host-interval", "0", "--remap", web.remap_rule()]
        env = dict(os.environ, SSL_CERT_FILE=str(pki.ca_file))
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        assert len(web.log) >= 3
    assert r.stdout.split("\n")[:2] == [
        "exit 1",
        "False True True",
    ], r.stderr[-2000:]
    data = json.loads((tmp_path / "r.json").read_text())
    assert sorted(x["status"] for x in data["links"]) == ["dead", "ok", "ok"]
