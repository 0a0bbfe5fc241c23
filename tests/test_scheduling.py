"""Per-host scheduling: each host has its own queue and workers (crawl.HostQueue).

A ref waiting for a busy host must never hold a worker another host could use. The
test web holds the answer to the first request for one host until the server has
seen every request for another host: the gate opens only if that other host's refs
went out while the first host was busy (no timing involved: a crawl that starved the
other host would leave the gate shut until its limit ran out).
"""

from __future__ import annotations

import re
from pathlib import Path

from patchcrawl import pipeline
from patchcrawl.testweb.server import KernelWeb
from tests.conftest import web_settings

N = 8


def _document(tmp_path: Path) -> str:
    """Rows that alternate between a slow host (lkml.org) and another (lwn.net)."""
    lines = ["| date | author | feature | links |", "|---|---|---|---|"]
    for i in range(N):
        lines.append(f"| 2020/01/0{i % 9 + 1} | A | t | https://lkml.org/lkml/2020/1/{i + 1} |")
        lines.append(f"| 2020/01/0{i % 9 + 1} | A | t | https://lwn.net/Articles/{900 + i}/ |")
    path = tmp_path / "doc.md"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_busy_host_does_not_hold_the_workers_of_another(
    kernelweb: KernelWeb, tmp_path: Path
) -> None:
    doc = _document(tmp_path)
    gate = kernelweb.fault(
        re.compile(r"lkml\.org/lkml/"),
        times=1,
        until=lambda: len(kernelweb.requests_for_host("lwn.net")) >= N,
        until_limit=8.0,
    )
    # one request at a time per host, two in all: the held lkml.org request takes one
    # global slot; lwn.net's requests can only go out through the other
    s = web_settings(kernelweb, host_concurrency=1, max_concurrency=2, timeout=20.0)
    checked = pipeline.check_paths([doc], s)
    assert gate.opened is True, "lwn.net's requests waited behind lkml.org's"
    assert len(kernelweb.requests_for_host("lwn.net")) == N
    assert len(kernelweb.requests_for_host("lkml.org")) == N
    assert len(checked.resolutions) == 2 * N
