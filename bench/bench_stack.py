"""The HTTP stack, measured where users run it (issue #17, items 3 and 4; loopback only).

``--part tls``: the path users take. lore.kernel.org, patchwork.kernel.org and lwn.net
each on a loopback address of its own answer **https** with a certificate from a test
CA (``trustme``; the child trusts it through ``SSL_CERT_FILE``), 20 ms a request, and
patchcrawl checks the links at kernel.org's politeness (``--host-concurrency 2
--host-interval 0.1``): wall time against the politeness bound, CPU seconds and peak
RSS of the child. (At 9dc47a8, before aiohttp was removed, this part ran once per
engine, ``PATCHCRAWL_HTTP_ENGINE=httpcore|aiohttp``: see ``bench/README.md``.)

``--part stall``: the delayed-ACK stall. The same hosts over plain http, served as
Python's ``http.server`` serves (``HttpServerWeb``: the headers and the body in two
writes, Nagle on), 30 ms a request, zero spacing, 4 per host (``bench_lychee.py``'s
setting): lychee, patchcrawl, and patchcrawl with ``TCP_QUICKACK`` off (its launcher
deletes ``socket.TCP_QUICKACK`` before patchcrawl is imported: the code of the
"before" runs is otherwise the same).

``--part probe``: why after every read. 30 GETs of a 15 kB page one after the other on
one keep-alive connection of patchcrawl's transport to ``HttpServerWeb`` (no latency),
with ``TCP_QUICKACK`` set after every read (as shipped), once (after the first answer
only), or never; the milliseconds of each GET.

Runs alternate (A B C A B C ...), after one untimed run each; medians. Every link
answers 200 in one request. Run: ``.venv/bin/python bench/bench_stack.py``
(``--part tls|stall|probe|all --links 600 --runs 3``; ``all``, the default, runs the three).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import ssl
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trustme

import simweb as sw
from patchcrawl.fetch import engine
from patchcrawl.fetch._httpx import httpx
from patchcrawl.testweb.stdlib_server import HttpServerWeb

MAX_CONCURRENCY = 32
#: patchcrawl's command, launched as its console script is; ``{prelude}`` runs first
LAUNCH = (
    "import sys\n{prelude}from patchcrawl.cli import console\n"
    "sys.argv[0] = 'patchcrawl'\nconsole()\n"
)
NO_QUICKACK = "import socket\ndel socket.TCP_QUICKACK\n"


@dataclass(frozen=True)
class Tool:
    """One contender: ``run(work)`` runs it once (fresh cache under ``work``) and checks
    that every link came back ok."""

    label: str
    run: Callable[[Path], sw.ChildRun]


def patchcrawl_tool(
    label: str,
    rules: Sequence[str],
    docs: Path,
    n: int,
    *,
    conc: int,
    interval: float,
    env: dict[str, str],
    prelude: str = "",
    extra: Sequence[str] = (),
) -> Tool:
    def run(work: Path) -> sw.ChildRun:
        out = work / "p.json"
        argv = sw.patchcrawl_argv(rules, docs, work / "cache", out, conc, MAX_CONCURRENCY, interval)
        argv += extra
        python = str(sw.VENV_BIN / "python")
        r = sw.run_child([python, "-c", LAUNCH.format(prelude=prelude), *argv[1:]], env=env)
        sw.check_patchcrawl(r, out, n)
        return r

    return Tool(label, run)


def lychee_tool(rules: Sequence[str], docs: Sequence[Path], n: int, conc: int) -> Tool:
    def run(work: Path) -> sw.ChildRun:
        out = work / "l.json"
        argv = sw.lychee_argv(rules, docs, out, conc, MAX_CONCURRENCY, cache=False)
        r = sw.run_child(argv, cwd=work)
        sw.check_lychee(r, out, n)
        return r

    return Tool("lychee", run)


def alternate(tools: Sequence[Tool], runs: int, web: sw.WebSet, tmp: Path) -> dict[str, sw.Samples]:
    """One untimed run of each tool, then ``runs`` rounds of one run each, in turn."""
    res = {t.label: sw.Samples() for t in tools}
    for i in range(-1, runs):
        for j, t in enumerate(tools):
            work = tmp / f"run{i + 1}-{j}"
            work.mkdir(parents=True)
            web.clear_log()
            r = t.run(work)
            shutil.rmtree(work, ignore_errors=True)
            if i < 0:
                continue
            res[t.label].add_run(r, web)
    return res


def table(
    res: dict[str, sw.Samples], conc: int, interval: float, latency: float, against: str | None
) -> None:
    ratio = f" | wall / {against}'s" if against else ""
    print(
        f"| tool | wall s (runs) | bound s | wall/bound | CPU s | peak RSS MB | requests"
        f" | max in flight{ratio} |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|" + ("---:|" if against else ""))
    base = sw.median(res[against].wall) if against else 0.0
    for label, s in res.items():
        wall = sw.median(s.wall)
        bound = sw.politeness_bound(s.per_host, conc, interval, latency)
        runs = ", ".join(f"{w:.2f}" for w in s.wall)
        reqs = "/".join(str(v) for v in s.per_host.values())
        mif = "/".join(str(v) for v in s.max_in_flight.values())
        extra = f" | {wall / base:.2f}" if against else ""
        print(
            f"| {label} | {wall:.2f} ({runs}) | {bound:.2f} | {wall / bound:.3f} | "
            f"{sw.median(s.cpu):.2f} | {sw.median(s.rss):.0f} | {reqs} | {mif}{extra} |"
        )


def tls_part(a: argparse.Namespace, tmp: Path) -> None:
    links = sw.three_host_set(a.links)
    docs = tmp / "tls-docs"
    sw.write_documents(links.rows, docs)
    ca = trustme.CA()
    cert = ca.issue_cert(*(f"127.0.0.{i + 1}" for i in range(len(links.hosts))))
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    conc, interval, latency = 2, 0.1, a.tls_latency
    handler = sw.handler_for(links.world)
    with sw.WebSet(handler, links.hosts, latency, tls=server) as web:
        env = {"SSL_CERT_FILE": str(ca_file)}
        tools = [
            patchcrawl_tool(
                label, web.rules(), docs, a.links, conc=conc, interval=interval, env=env, extra=x
            )
            for label, x in (("patchcrawl", ()), ("patchcrawl --no-batch", ("--no-batch",)))
        ]
        res = alternate(tools, a.runs, web, tmp / "tls")
    print(
        f"\n{a.links} links over https (test CA), {latency * 1000:.0f} ms a request, "
        f"host-concurrency {conc}, host-interval {interval} s, max-concurrency "
        f"{MAX_CONCURRENCY}; {a.runs} alternated runs each, medians\n"
    )
    table(res, conc, interval, latency, None)


def stall_part(a: argparse.Namespace, tmp: Path) -> None:
    links = sw.three_host_set(a.links)
    docs_dir = tmp / "stall-docs"
    docs = sw.write_documents(links.rows, docs_dir)
    conc, latency = 4, a.stall_latency
    handler = sw.handler_for(links.world)
    with sw.WebSet(handler, links.hosts, latency, kind=HttpServerWeb) as web:
        rules = web.rules()

        def patchcrawl(label: str, prelude: str = "", *extra: str) -> Tool:
            return patchcrawl_tool(
                label,
                rules,
                docs_dir,
                a.links,
                conc=conc,
                interval=0.0,
                env={},
                prelude=prelude,
                extra=extra,
            )

        # request for request as a link checker (--no-batch), and as shipped (lore's
        # links looked up in batches)
        tools = [
            lychee_tool(rules, docs, a.links, conc),
            patchcrawl("patchcrawl --no-batch", "", "--no-batch"),
            patchcrawl("patchcrawl --no-batch, no QUICKACK", NO_QUICKACK, "--no-batch"),
            patchcrawl("patchcrawl"),
        ]
        res = alternate(tools, a.runs, web, tmp / "stall")
    print(
        f"\n{a.links} links over http from HttpServerWeb (headers and body in two writes, "
        f"Nagle on), {latency * 1000:.0f} ms a request, host-concurrency {conc}, "
        f"host-interval 0, max-concurrency {MAX_CONCURRENCY}; {a.runs} alternated runs "
        "each, medians\n"
    )
    table(res, conc, 0.0, latency, "lychee")


async def _sequential(url: str, mode: str, n: int) -> list[float]:
    """``n`` GETs of ``url`` in a row on one connection; milliseconds each."""
    engine.QUICKACK = socket.TCP_QUICKACK if mode == "every read" else None
    transport = engine.make_transport(1)
    out: list[float] = []
    try:
        for i in range(n):
            t0 = time.perf_counter()
            resp = await transport.handle_async_request(httpx.Request("GET", url))
            if mode == "once" and i == 0:
                sock = resp.extensions["network_stream"].get_extra_info("socket")
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            await resp.aread()
            await resp.aclose()
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        await transport.aclose()
    return out


def probe_part() -> None:
    print("\nGETs in a row on one keep-alive connection to HttpServerWeb, 15 kB page, ms each\n")
    print("| TCP_QUICKACK | first | median of the rest | max of the rest |")
    print("|---|---:|---:|---:|")
    for mode in ("every read", "once", "never"):
        with HttpServerWeb() as web:
            web.page("https://lore.kernel.org/probe", "x" * 15000)
            ms = asyncio.run(_sequential(f"{web.base_url}/lore.kernel.org/probe", mode, 30))
        print(f"| {mode} | {ms[0]:.1f} | {sw.median(ms[1:]):.1f} | {max(ms[1:]):.1f} |")
    engine.QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--part", choices=("tls", "stall", "probe", "all"), default="all")
    ap.add_argument("--links", type=int, default=600)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tls-latency", type=float, default=0.02)
    ap.add_argument("--stall-latency", type=float, default=0.03)
    a = ap.parse_args(argv)
    sw.compile_patchcrawl()
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as d:
        if a.part in ("tls", "all"):
            tls_part(a, Path(d))
        if a.part in ("stall", "all"):
            stall_part(a, Path(d))
        if a.part in ("probe", "all"):
            probe_part()


if __name__ == "__main__":
    main()
