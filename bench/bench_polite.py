"""Issue #17's figures on the path users run: https, at kernel.org-like politeness.

The simulated lore.kernel.org, patchwork.kernel.org and lwn.net (and, for the scale set,
git.kernel.org and lkml.org) each answer https on a loopback address of their own
(127.0.0.1, .2, ...), with a certificate for those addresses from a test CA made by
``trustme`` and a fixed latency of 20 ms a request.  Both tools trust the CA through
``SSL_CERT_FILE``: patchcrawl as ``tests/test_tls.py`` shows, and lychee (0.24, rustls
with the platform's roots) reads the same variable; without it lychee answers
"SSL certificate not trusted" (UnknownIssuer), so no ``--insecure`` is needed.

Both tools run as users run them, cold, with the same ``--remap`` rules (one per host) and
the same politeness: ``patchcrawl verify --format json --host-concurrency 2
--host-interval 0.1 --max-concurrency 32`` with a fresh ``--cache-dir``, and ``lychee
--host-concurrency 2 --host-request-interval 100ms --max-concurrency 32 --cache=false``.
Per-host limits match because each simulated host has its own address (lychee keys
them on the host it connects to, patchcrawl on the original host).  When ``patchcrawl
verify --help`` offers ``--no-batch`` (lore batch lookups switched off), a run with it
is a row of its own.  ``--patchcrawl-args`` adds options to every patchcrawl run.
Tools alternate, ``--runs`` runs each (default 3), medians.

Scenarios (``--scenario``, repeatable, or ``all``):

* ``covers100``: 100 rows, each linking a cover letter as ``lore.kernel.org/all/<msgid>/``
  (``[PATCH vN 0/M] title`` from its author, lists lkml / linux-mm / netdev / bpf).
* ``lore5000``: ``--lore-size`` (5,000) lore links in the corpus's shapes and mix
  (``../shared/corpus/STATS.md``: ``/all/<msgid>`` 2301, ``/patchwork/patch/N`` 732,
  ``/r/<msgid>`` 610, ``/lkml/<msgid>`` 470, ``/patchwork/cover/N`` 402, other lists 67),
  written as the corpus writes them (no trailing slash on 49 in 50, which lore answers
  with a 301 to the slashed address; ``/r/`` is a 302 to ``/all/``; the legacy patchwork
  ids a 301 to ``/r/``).
* ``mixed``: ``--mixed-size`` (1,000) links of lore (the shapes above), patchwork.kernel.org
  (cover and patch pages, 497 : 281) and LWN articles in the corpus's proportions
  (4582 : 778 : 248).
* ``scale50000``: ``--scale-size`` (50,000) links of ``simweb.scale_set`` (the corpus's
  shapes over five hosts), patchcrawl only: wall against the bound and peak RSS.

Measured per run, from the server's own request log (what it really saw): requests per
host and per kind (lore message page, slash / ``/r/`` / legacy redirect, search, thread,
raw; patchwork page or API; LWN article...), requests to lore per lore reference, the
largest number in flight per host and the smallest gap between two starts on one host
(both tools' politeness, checked); and of the child itself (``os.wait4``): wall time,
CPU (user + sys) and peak RSS.

The bound.  A host that really received n requests, with at most c in flight, starts
at least I apart, each taking at least L (the server's fixed latency; the transfer and
the TLS handshakes only add to it), cannot finish before

    B(n) = L + max((n - 1) * I,  floor((n - 1) / c) * L + ((n - 1) mod c) * I)

Why: number the starts in time order, s_1 <= ... <= s_n.  Spacing gives s_{k+1} >= s_k + I.
The cap gives s_{k+c} >= s_k + L: when request k + c starts, at most c - 1 others are in
flight, so one of the c requests k .. k+c-1 has ended, and none ends before s_k + L.
Any chain of these steps from s_1 to s_n, a steps of one (I each) and b steps of c
(L each) with a + c*b = n - 1, bounds s_n from below; a*I + b*L is linear in b, so the
longest chain is one of the two ends, b = 0 or b = floor((n - 1) / c), and the last
answer comes L after s_n.  A greedy scheduler (start as soon as both rules allow)
reaches B(n) exactly, so the bound is tight.  At I = 0 it is ceil(n / c) * L; at
kernel.org-like settings (c*I = 0.2 s > L = 0.02 s) it is (n - 1) * I + L.  The run's
bound is the largest over hosts (hosts do not wait for one another, and the global
cap, 32, is above the sum of the hosts' caps).  Dependencies (a redirect's target is
known only from its answer) are ignored, which can only lower the bound: wall/bound
>= 1 for a tool that keeps both rules.  A tool's bound counts the requests *it* made:
patchcrawl's batch lookups lower its own bound, and the ratio to lychee shows the gain.

Run: ``.venv/bin/python bench/bench_polite.py --scenario covers100 mixed`` (``--runs 3``);
``--scenario all`` also runs lore5000 (lychee alone sends ~7,000 requests at 0.1 s
apart: ~12 minutes a run) and scale50000 (hours at this politeness without batching; use
``--scale-size``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import random
import shlex
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simweb as sw
from patchcrawl.testweb.http import Handler, WebRequest, WebResponse
from patchcrawl.testweb.server import LoggedRequest
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import Series, World

SCENARIOS = ("covers100", "lore5000", "mixed", "scale50000")
LORE = "lore.kernel.org"
PW = "patchwork.kernel.org"
LWN = "lwn.net"
SHORT = {LORE: "lore", PW: "pw", LWN: "lwn", "git.kernel.org": "git", "lkml.org": "lkml.org"}

#: lore link shapes in the corpus (corpus/STATS.md, table rows)
LORE_MIX: tuple[tuple[str, int], ...] = (
    ("all", 2301),
    ("pw-patch", 732),
    ("r", 610),
    ("lkml", 470),
    ("pw-cover", 402),
    ("list", 67),
)
#: lore : patchwork.kernel.org cover : patch : LWN article, for the mixed set
MIXED_MIX: tuple[tuple[str, int], ...] = (("lore", 4582), ("pw-cover", 497), ("pw-patch", 281))
MIXED_LWN = 248
OTHER_LISTS = ("linux-mm", "netdev", "bpf", "linux-fsdevel", "linux-trace-kernel")


@dataclasses.dataclass(frozen=True)
class Settings:
    latency: float
    conc: int
    interval: float
    max_conc: int
    runs: int
    extra: tuple[str, ...]
    timeout: float


# --------------------------------------------------------------------------- link sets


def _apportion(mix: Sequence[tuple[str, int]], n: int) -> list[str]:
    """``n`` shape names in the proportions of ``mix`` (largest remainders)."""
    total = sum(w for _, w in mix)
    exact = [(name, n * w / total) for name, w in mix]
    counts = {name: math.floor(x) for name, x in exact}
    left = n - sum(counts.values())
    for name, _x in sorted(exact, key=lambda e: e[1] - math.floor(e[1]), reverse=True)[:left]:
        counts[name] += 1
    return [name for name, _ in mix for _ in range(counts[name])]


def _series(
    w: sw.BenchWorld,
    rng: random.Random,
    i: int,
    *,
    total: int,
    lst: str,
    legacy: bool = False,
    patchwork: bool = False,
) -> Series:
    title = f"{rng.choice(sw._WORDS)}: " + " ".join(rng.choice(sw._WORDS) for _ in range(5))
    return w.add_series(
        title=f"{title} {i}",
        author=rng.choice(sw._NAMES),
        version=rng.choice((1, 2, 3, 4, 5, 11)),
        total=total,
        prefixes=("bpf-next",) if lst == "bpf" else (),
        date=sw._DATE0 + dt.timedelta(minutes=rng.randint(0, 5_000_000)),
        list=lst,
        legacy_patchwork_ids=legacy,
        patchwork="bpf" if patchwork else None,
    )


def _lore_row(w: sw.BenchWorld, rng: random.Random, i: int, shape: str) -> sw.Row:
    """One lore link of ``shape`` (see ``LORE_MIX``) to a message that exists."""
    slash = "/" if rng.random() < 0.02 else ""  # the corpus: 49 in 50 without
    single = rng.random() < 0.3  # a one-patch series: the link names the patch
    total = 1 if single else rng.choice((2, 3, 4, 5, 7, 9))
    if shape in ("pw-patch", "pw-cover"):
        s = _series(w, rng, i, total=1 if shape == "pw-patch" else total, lst="lkml", legacy=True)
        legacy_id = s.legacy_ids[s.first.msgid]
        return sw._row(s, f"https://{LORE}/patchwork/{shape[3:]}/{legacy_id}", "LORE")
    lst = {"all": rng.choice(("lkml", *OTHER_LISTS)), "r": "lkml", "lkml": "lkml"}.get(
        shape, rng.choice(OTHER_LISTS)
    )
    s = _series(w, rng, i, total=total, lst=lst)
    mid = sw.qmid(s.first.msgid)
    if shape == "r":
        return sw._row(s, f"https://{LORE}/r/{mid}", "LORE")
    view = {"all": "all", "lkml": "lkml"}.get(shape, lst)
    return sw._row(s, f"https://{LORE}/{view}/{mid}{slash}", "LORE")


def covers_set(n: int, seed: int = 17) -> sw.LinkSet:
    """``n`` cover letters, each linked as ``lore.kernel.org/all/<msgid>/``."""
    rng = random.Random(seed)
    w = sw.BenchWorld()
    rows = []
    for i in range(n):
        s = _series(w, rng, i, total=rng.choice((2, 3, 4, 5, 7, 9)), lst=rng.choice(OTHER_LISTS))
        assert s.cover is not None
        rows.append(sw._row(s, f"https://{LORE}/all/{sw.qmid(s.cover.msgid)}/", "LORE"))
    return sw.LinkSet(w.freeze(), rows)


def lore_set(n: int, seed: int = 5) -> sw.LinkSet:
    """``n`` lore links in the corpus's shapes and mix (``LORE_MIX``), shuffled."""
    rng = random.Random(seed)
    shapes = _apportion(LORE_MIX, n)
    rng.shuffle(shapes)
    w = sw.BenchWorld()
    rows = [_lore_row(w, rng, i, shape) for i, shape in enumerate(shapes)]
    return sw.LinkSet(w.freeze(), rows)


def mixed_set(n: int, seed: int = 3) -> sw.LinkSet:
    """``n`` links of lore, patchwork.kernel.org and LWN in the corpus's proportions."""
    rng = random.Random(seed)
    mix = (*MIXED_MIX, ("lwn", MIXED_LWN))
    kinds = _apportion(mix, n)
    rng.shuffle(kinds)
    lore_shapes = iter(_apportion(LORE_MIX, kinds.count("lore")))
    w = sw.BenchWorld()
    rows: list[sw.Row] = []
    for i, kind in enumerate(kinds):
        if kind == "lore":
            rows.append(_lore_row(w, rng, i, next(lore_shapes)))
        elif kind == "lwn":
            rows.append(sw._lwn_row(w, rng, i))
        else:
            total = 1 if kind == "pw-patch" else rng.choice((2, 3, 4, 5, 7))
            s = _series(w, rng, i, total=total, lst="bpf", patchwork=True)
            item = kind[3:]
            url = f"https://{PW}/project/bpf/{item}/{sw.qmid(s.first.msgid)}/"
            rows.append(sw._row(s, url, "PatchWork"))
    return sw.LinkSet(w.freeze(), rows)


# --------------------------------------------------------------------------- TLS web


class Pki:
    """A test CA and one certificate for the loopback addresses the hosts live on."""

    def __init__(self, directory: Path, addresses: Sequence[str]) -> None:
        import trustme

        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert(*addresses)
        self.ca_file = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx


class LoopbackLocations:
    """The simulated sites' handler, whose redirects can be put into the loopback space.

    The sites answer redirects in the original space (``https://lore.kernel.org/r/<id>``
    from the legacy patchwork ids, host-relative ``/all/<id>/`` from ``/r/``), as the real
    ones do.  patchcrawl applies ``--remap`` to every redirect target; lychee applies it
    to the links only, so it would follow an absolute one to the real host and a
    host-relative one to the wrong path.  While ``active`` (lychee's runs), every
    ``Location`` is rewritten to the loopback URL its ``--remap`` rule would give:
    the same requests on the wire, nothing leaves 127.0.0.0/8."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.bases: dict[str, str] = {}  # host -> https://127.0.0.x:port
        self.active = False

    def __call__(self, req: WebRequest) -> WebResponse:
        resp = self.handler(req)
        loc = resp.headers.get("location")
        if not self.active or loc is None:
            return resp
        parts = urlsplit(urljoin(f"https://{req.host}{req.path}", loc))
        host = parts.hostname or req.host
        base = self.bases.get(host) or next(iter(self.bases.values()))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {**resp.headers, "location": f"{base}/{host}{path}"}
        return WebResponse(resp.status, headers, resp.body)


class TlsWebSet(sw.WebSet):
    """``simweb.WebSet`` answering https: one ``KernelWeb`` a host, one address each."""

    def __init__(self, world: World, hosts: Sequence[str], latency: float, pki_dir: Path):
        self.handler = LoopbackLocations(make_handler(world))
        super().__init__(self.handler, hosts, latency)
        self.pki = Pki(pki_dir, [w.address for w in self.webs.values()])
        for w in self.webs.values():
            w.tls = self.pki.server_context()

    def __enter__(self) -> TlsWebSet:
        super().__enter__()
        self.handler.bases = {h: w.base_url for h, w in self.webs.items()}
        return self


# --------------------------------------------------------------------------- measures


def host_bound(n: int, conc: int, interval: float, latency: float) -> float:
    """B(n) of the docstring: the earliest a host can give its n-th answer."""
    if n <= 0:
        return 0.0
    k = n - 1
    return latency + max(k * interval, (k // conc) * latency + (k % conc) * interval)


def greedy_finish(n: int, conc: int, interval: float, latency: float) -> float:
    """The greedy schedule's last answer (each start as early as both rules allow)."""
    starts: list[float] = []
    for k in range(n):
        s = starts[-1] + interval if starts else 0.0
        if k >= conc:
            s = max(s, starts[k - conc] + latency)
        starts.append(s)
    return starts[-1] + latency if starts else 0.0


def bound(per_host: dict[str, int], s: Settings) -> float:
    return max((host_bound(n, s.conc, s.interval, s.latency) for n in per_host.values()), default=0)


def request_kind(r: LoggedRequest) -> str:
    """What a logged request was, by host and path (``lore:message``, ``pw:api``...)."""
    host, path = r.host, r.path
    short = SHORT.get(host, host)
    segs = path.split("/")[1:]
    kind = "other"
    if host == LORE:
        if "q=" in r.query:
            kind = "search"
        elif segs[0] == "patchwork":
            kind = "legacy-redirect"
        elif segs[0] == "r":
            kind = "r-redirect"
        elif len(segs) == 2 and segs[1]:
            kind = "slash-redirect"
        elif len(segs) >= 3 and segs[2] == "":
            kind = "message"
        elif len(segs) >= 3 and segs[2].lower() == "t":
            kind = "thread"
        elif len(segs) >= 3 and segs[2].startswith("raw"):
            kind = "raw"
        elif len(segs) >= 3 and segs[2].endswith(".atom"):
            kind = "atom"
    elif host == PW:
        if segs[0] == "api":
            kind = "api"
        elif len(segs) >= 3 and segs[0] == "project":
            kind = segs[2]
    elif host == LWN:
        kind = "article" if segs[0] == "Articles" else "other"
    else:
        kind = "page"
    return f"{short}:{kind}"


@dataclasses.dataclass
class Sample:
    wall: float
    cpu: float
    rss: float
    bound: float
    per_host: dict[str, int]
    kinds: dict[str, int]
    max_in_flight: int
    min_gap: float
    close: int  # starts on one host less than 90 % of the interval after the one before


@dataclasses.dataclass
class Tool:
    name: str
    kind: str  # "patchcrawl" | "lychee"
    extra: tuple[str, ...] = ()
    samples: list[Sample] = dataclasses.field(default_factory=list)


def patchcrawl_argv(
    s: Settings, rules: Sequence[str], docs: Path, cache: Path, out: Path, extra: Sequence[str]
) -> list[str]:
    argv = sw.patchcrawl_argv(rules, docs, cache, out, s.conc, s.max_conc, s.interval)
    return [*argv[:-1], *s.extra, *extra, argv[-1]]


def lychee_argv(s: Settings, rules: Sequence[str], docs: Sequence[Path], out: Path) -> list[str]:
    argv = [sw.LYCHEE, "--no-progress", "--format", "json", "--output", str(out)]
    argv += ["--host-concurrency", str(s.conc)]
    argv += ["--host-request-interval", f"{round(s.interval * 1000)}ms"]
    argv += ["--max-concurrency", str(s.max_conc), "--cache=false"]
    for r in rules:
        argv += ["--remap", r]
    return [*argv, *(str(d) for d in docs)]


def has_no_batch() -> bool:
    """Does this patchcrawl have ``verify --no-batch``?"""
    r = subprocess.run(
        [sw.PATCHCRAWL, "verify", "--help"], capture_output=True, text=True, check=False
    )
    return "--no-batch" in r.stdout


def _check_patchcrawl(r: sw.ChildRun, out: Path, n: int) -> None:
    if r.rc not in (0, 1):
        raise SystemExit(f"patchcrawl failed (exit {r.rc}):\n{r.stderr[-3000:]}")
    by_status: dict[str, int] = json.loads(out.read_text())["summary"]["by_status"]
    if by_status.get("ok", 0) + by_status.get("moved", 0) != n:
        raise SystemExit(f"patchcrawl: not every link ok or moved: {by_status}")


def _check_lychee(r: sw.ChildRun, out: Path, n: int) -> None:
    data = json.loads(out.read_text()) if out.exists() else {}
    if r.rc != 0:
        errors = json.dumps(data.get("error_map", {}))[:3000]
        raise SystemExit(f"lychee failed (exit {r.rc}):\n{r.stderr[-2000:]}\n{errors}")
    if data["successful"] < n:
        raise SystemExit(
            "lychee: not every link ok: "
            + str({k: v for k, v in data.items() if not k.endswith("_map")})
        )


def _run_tool(
    tool: Tool,
    s: Settings,
    web: TlsWebSet,
    docs_dir: Path,
    docs: Sequence[Path],
    work: Path,
    n: int,
    *,
    timed: bool = True,
) -> sw.ChildRun:
    out = work / "report.json"
    if tool.kind == "patchcrawl":
        cache = work / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        argv = patchcrawl_argv(s, web.rules(), docs_dir, cache, out, tool.extra)
        r = sw.run_child(argv, timeout=s.timeout)
        _check_patchcrawl(r, out, n)
        shutil.rmtree(cache, ignore_errors=True)
    else:
        web.handler.active = True
        try:
            r = sw.run_child(lychee_argv(s, web.rules(), docs, out), cwd=work, timeout=s.timeout)
        finally:
            web.handler.active = False
        _check_lychee(r, out, n)
    strays = {q.host for q in web.log()} - set(web.hosts)
    if strays:
        raise SystemExit(f"{tool.name}: requests for hosts the links do not name: {strays}")
    return r


def _sample(r: sw.ChildRun, web: TlsWebSet, s: Settings) -> Sample:
    log = web.log()
    per_host = dict(Counter(q.host for q in log))
    mif = web.max_in_flight()
    gaps = web.min_spacing()
    return Sample(
        wall=r.wall,
        cpu=r.cpu,
        rss=r.maxrss_mb,
        bound=bound(per_host, s),
        per_host=per_host,
        kinds=dict(Counter(request_kind(q) for q in log)),
        max_in_flight=max(mif.values(), default=0),
        min_gap=min(gaps.values(), default=math.inf),
        close=sum(len(v) for v in web.close_pairs(0.9 * s.interval).values()),
    )


# --------------------------------------------------------------------------- scenarios


@dataclasses.dataclass
class Result:
    scenario: str
    links: int
    lore_refs: int
    legacy_refs: int  # lore.kernel.org/patchwork/<kind>/<id>: no message-id in the link
    hosts: list[str]
    tools: list[Tool]


def run_scenario(name: str, links: sw.LinkSet, tools: list[Tool], s: Settings, tmp: Path) -> Result:
    work = tmp / name
    docs_dir = work / "docs"
    docs = sw.write_documents(links.rows, docs_dir)
    warm_dir = work / "warmup"
    warm_docs = sw.write_documents(links.rows[:6], warm_dir)
    n = len(links.rows)
    lore_refs = sum(1 for u in links.urls if u.split("/")[2] == LORE)
    legacy_refs = sum(1 for u in links.urls if u.split("/")[2] == LORE and "/patchwork/" in u)
    with TlsWebSet(links.world, links.hosts, s.latency, work) as web:
        os.environ["SSL_CERT_FILE"] = str(web.pki.ca_file)  # both tools' children trust it
        for tool in tools:  # untimed: the page cache, the server's code paths, TLS setup
            _run_tool(tool, s, web, warm_dir, warm_docs, work, min(6, n))
        for i in range(s.runs):
            for tool in tools:
                web.clear_log()
                r = _run_tool(tool, s, web, docs_dir, docs, work, n)
                tool.samples.append(_sample(r, web, s))
                print(
                    f"  {name} run {i + 1}/{s.runs} {tool.name}: {r.wall:.2f} s, "
                    f"{sum(tool.samples[-1].per_host.values())} requests",
                    file=sys.stderr,
                    flush=True,
                )
    return Result(name, n, lore_refs, legacy_refs, links.hosts, tools)


def report(res: Result, s: Settings) -> bool:
    """Print the scenario's tables and must-shows; True when every must-show is met."""
    med = sw.median
    print(
        f"\n### {res.scenario}: {res.links} links ({res.lore_refs} to lore), https, "
        f"latency {s.latency * 1000:.0f} ms, host-concurrency {s.conc}, "
        f"host-interval {s.interval:g} s, max-concurrency {s.max_conc}; "
        f"{s.runs} run(s) each, alternated, medians\n"
    )
    print(
        "| tool | wall s | bound s | wall/bound | requests per host | requests per lore ref "
        "| CPU s | peak RSS MB | max in flight | min gap ms | starts < 0.9 interval apart |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    walls: dict[str, float] = {}
    per_ref: dict[str, float] = {}
    ratios: dict[str, float] = {}
    rss: dict[str, float] = {}
    for t in res.tools:
        ss = t.samples
        wall = med(x.wall for x in ss)
        walls[t.name] = wall
        ratios[t.name] = med(x.wall / x.bound for x in ss if x.bound)
        rss[t.name] = max(x.rss for x in ss)
        last = ss[-1].per_host
        hosts = ", ".join(f"{SHORT.get(h, h)} {last.get(h, 0)}" for h in res.hosts)
        lore = med(x.per_host.get(LORE, 0) for x in ss)
        per_ref[t.name] = lore / res.lore_refs if res.lore_refs else math.nan
        print(
            f"| {t.name} | {wall:.2f} | {med(x.bound for x in ss):.2f} | {ratios[t.name]:.3f} "
            f"| {hosts} | {per_ref[t.name]:.2f} | {med(x.cpu for x in ss):.2f} "
            f"| {med(x.rss for x in ss):.0f} | {max(x.max_in_flight for x in ss)} "
            f"| {min(x.min_gap for x in ss) * 1000:.1f} | {max(x.close for x in ss)} |"
        )
    kinds = sorted({k for t in res.tools for k in t.samples[-1].kinds})
    print("\nrequests per kind (server's log, last run)\n")
    print("| tool | " + " | ".join(kinds) + " |")
    print("|---|" + "---:|" * len(kinds))
    for t in res.tools:
        ks = t.samples[-1].kinds
        print(f"| {t.name} | " + " | ".join(str(ks.get(k, 0)) for k in kinds) + " |")
    print()
    ok = True
    lychee = walls.get("lychee")
    for name, wall in walls.items():
        if name != "lychee" and lychee:
            print(f"{name}/lychee wall = {wall / lychee:.2f}  ({wall:.2f} s / {lychee:.2f} s)")
    pc = "patchcrawl"
    if res.scenario in ("covers100", "lore5000") and lychee:
        half = walls[pc] <= 0.5 * lychee
        few = per_ref[pc] <= 0.1
        ok &= half and few
        print(f"must-show: patchcrawl wall <= 0.5 x lychee's: {_met(half)}")
        print(f"must-show: <= 0.1 requests to lore per lore ref ({per_ref[pc]:.2f}): {_met(few)}")
        if res.legacy_refs:
            # a legacy id names no message: one request for its redirect is the floor
            ks = next(t for t in res.tools if t.name == pc).samples[-1].kinds
            lore = next(t for t in res.tools if t.name == pc).samples[-1].per_host.get(LORE, 0)
            rest = lore - ks.get("lore:legacy-redirect", 0)
            refs = res.lore_refs - res.legacy_refs
            print(
                f"  of which: {res.legacy_refs} legacy patchwork ids "
                f"({res.legacy_refs / res.lore_refs:.0%} of lore refs) at "
                f"{ks.get('lore:legacy-redirect', 0) / res.legacy_refs:.2f} requests each; "
                f"the {refs} message links at {rest / refs:.3f} requests each"
            )
    if res.scenario == "mixed":
        within = ratios[pc] <= 1.05
        ok &= within
        print(
            f"must-show: patchcrawl wall within 5 % of its bound ({ratios[pc]:.3f}): "
            + _met(within)
        )
    if res.scenario == "scale50000":
        small = rss[pc] < 300
        ok &= small
        print(
            f"must-show: patchcrawl wall/bound {ratios[pc]:.3f}; peak RSS < 300 MB "
            f"({rss[pc]:.0f} MB): {_met(small)}"
        )
    return ok


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def make_links(name: str, ns: argparse.Namespace) -> sw.LinkSet:
    if name == "covers100":
        return covers_set(ns.covers_size)
    if name == "lore5000":
        return lore_set(ns.lore_size)
    if name == "mixed":
        return mixed_set(ns.mixed_size)
    return sw.scale_set(ns.scale_size)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--scenario", nargs="+", choices=[*SCENARIOS, "all"], default=["covers100", "mixed"]
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.020)
    ap.add_argument("--host-concurrency", type=int, default=2)
    ap.add_argument("--host-interval", type=float, default=0.1)
    ap.add_argument("--max-concurrency", type=int, default=32)
    ap.add_argument("--covers-size", type=int, default=100)
    ap.add_argument("--lore-size", type=int, default=5000)
    ap.add_argument("--mixed-size", type=int, default=1000)
    ap.add_argument("--scale-size", type=int, default=50000)
    ap.add_argument(
        "--patchcrawl-args", default="", help="extra options for every patchcrawl run (one string)"
    )
    ap.add_argument("--no-lychee", action="store_true", help="patchcrawl rows only")
    ap.add_argument(
        "--skip-no-batch", action="store_true", help="no `--no-batch` row (hours at full scale)"
    )
    ap.add_argument("--timeout", type=float, default=6 * 3600, help="per run, seconds")
    ns = ap.parse_args(argv)
    for n, c in ((1, 2), (7, 2), (50, 3), (20, 4)):  # the closed form is the greedy schedule's
        for i_, lat in ((0.1, 0.02), (0.0, 0.03), (0.01, 0.05)):
            assert math.isclose(host_bound(n, c, i_, lat), greedy_finish(n, c, i_, lat))
    scenarios = list(SCENARIOS) if "all" in ns.scenario else list(dict.fromkeys(ns.scenario))
    s = Settings(
        latency=ns.latency,
        conc=ns.host_concurrency,
        interval=ns.host_interval,
        max_conc=ns.max_concurrency,
        runs=ns.runs,
        extra=tuple(shlex.split(ns.patchcrawl_args)),
        timeout=ns.timeout,
    )
    sw.compile_patchcrawl()
    no_batch = has_no_batch()
    print(
        f"patchcrawl verify --no-batch {'exists: a row of its own' if no_batch else 'absent'}",
        file=sys.stderr,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-polite-"))
    ok = True
    try:
        for name in scenarios:
            tools = [Tool("patchcrawl", "patchcrawl")]
            if no_batch and not ns.skip_no_batch:
                tools.append(Tool("patchcrawl --no-batch", "patchcrawl", ("--no-batch",)))
            if name != "scale50000" and not ns.no_lychee:
                tools.append(Tool("lychee", "lychee"))
            res = run_scenario(name, make_links(name, ns), tools, s, tmp)
            ok &= report(res, s)
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
