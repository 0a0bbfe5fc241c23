"""Shared pieces of the link-checker benchmarks (nothing leaves 127.0.0.0/8).

* :class:`BenchWorld`: ``patchcrawl.testweb.world.World`` with indexed look-ups, so the
  simulated sites answer in O(1) however large the world (the base class scans every
  message for ``thread()`` and every patchwork item for ``pw_by_msgid()``, which is
  right for tests and far too slow for 50,000 links).
* :class:`WebSet`: a ``KernelWeb`` (or ``HttpServerWeb``) per simulated host, each on a
  loopback address of its own (``127.0.0.2`` ...), so lychee's per-host limits
  (keyed on the host it connects to) match patchcrawl's (keyed on the original host).
* link sets of the corpus's shapes, markdown documents of them, the politeness bound,
  and a child runner that reads the child's own rusage with ``os.wait4``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import random
import re
import ssl
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from patchcrawl.testweb.server import KernelWeb, LoggedRequest  # noqa: E402
from patchcrawl.testweb.sites import make_handler  # noqa: E402
from patchcrawl.testweb.world import _WORDS as WORLD_WORDS  # noqa: E402
from patchcrawl.testweb.world import Message, PatchworkItem, Series, World  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
PATCHCRAWL = str(VENV_BIN / "patchcrawl")
LYCHEE = str(VENV_BIN / "lychee")


def qmid(msgid: str) -> str:
    return quote(msgid, safe="@")


# --------------------------------------------------------------------------- world


class BenchWorld(World):
    """A ``World`` whose look-ups are dictionary reads (call :meth:`freeze` when built)."""

    def __init__(self) -> None:
        super().__init__()
        self._children: dict[str, list[str]] | None = None
        self._pw_index: dict[tuple[str, str], PatchworkItem] | None = None
        self._series_index: dict[str, Series] | None = None

    def freeze(self) -> BenchWorld:
        children: dict[str, list[str]] = defaultdict(list)
        for m in self.messages.values():
            if m.in_reply_to:
                children[m.in_reply_to].append(m.msgid)
        self._children = dict(children)
        self._pw_index = {(i.host, i.msgid): i for i in self.patchwork.values()}
        self._series_index = {m.msgid: s for s in self.series for m in s.messages}
        return self

    def thread(self, msgid: str) -> list[Message]:
        if self._children is None:
            return super().thread(msgid)
        m = self.messages.get(msgid)
        if m is None:
            return []
        root, seen = m, {m.msgid}
        while root.in_reply_to and root.in_reply_to in self.messages:
            root = self.messages[root.in_reply_to]
            if root.msgid in seen:
                break
            seen.add(root.msgid)
        members, todo = {root.msgid}, [root.msgid]
        while todo:
            for child in self._children.get(todo.pop(), ()):
                if child not in members:
                    members.add(child)
                    todo.append(child)
        others = sorted(
            (self.messages[i] for i in members if i != root.msgid),
            key=lambda x: (x.date, x.msgid),
        )
        return [root, *others]

    def pw_by_msgid(self, host: str, msgid: str) -> PatchworkItem | None:
        if self._pw_index is None:
            return super().pw_by_msgid(host, msgid)
        return self._pw_index.get((host, msgid))

    def series_of(self, msgid: str) -> Series | None:
        if self._series_index is None:
            return super().series_of(msgid)
        return self._series_index.get(msgid)


# --------------------------------------------------------------------------- server


class WebSet:
    """One web per simulated host, each on its own loopback address (127.0.0.1, .2, ...;
    any 127.0.0.0/8 address routes to ``lo``), so lychee's per-host limits (keyed on
    the address it connects to) match patchcrawl's (keyed on the original host).
    ``kind``: ``KernelWeb``, or ``HttpServerWeb`` (headers and body in two writes,
    Nagle on); ``tls``: a server context, to answer https (``KernelWeb`` only)."""

    def __init__(
        self,
        handler: object,
        hosts: Sequence[str],
        latency: float,
        *,
        kind: type[KernelWeb] = KernelWeb,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.hosts = list(hosts)
        self.webs = {
            h: kind(handler, address=f"127.0.0.{i + 1}", latency=latency, tls=tls)  # type: ignore[arg-type]
            for i, h in enumerate(self.hosts)
        }

    def __enter__(self) -> WebSet:
        for w in self.webs.values():
            w.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for w in self.webs.values():
            w.stop()

    def rules(self) -> list[str]:
        """A ``--remap`` rule per host, sending its URLs (http or https) to its web."""
        return [
            rf"^https?://{re.escape(h)}(/.*)?$ {w.base_url}/{h}$1" for h, w in self.webs.items()
        ]

    def clear_log(self) -> None:
        for w in self.webs.values():
            w.clear_log()

    def log(self) -> list[LoggedRequest]:
        return [r for w in self.webs.values() for r in list(w.log)]

    def per_host(self) -> dict[str, int]:
        return dict(Counter(r.host for r in self.log()))

    def max_in_flight(self) -> dict[str, int]:
        return {h: w.max_in_flight(h) for h, w in self.webs.items()}

    def min_spacing(self) -> dict[str, float]:
        return {h: w.min_spacing(h) for h, w in self.webs.items()}

    def close_pairs(self, gap: float) -> dict[str, list[int]]:
        """Per host, the positions (in start order) of starts less than ``gap`` after the last."""
        out: dict[str, list[int]] = {}
        for h, w in self.webs.items():
            starts = sorted(r.start for r in w.requests_for_host(h))
            out[h] = [i + 1 for i in range(len(starts) - 1) if starts[i + 1] - starts[i] < gap]
        return out


# --------------------------------------------------------------------------- link sets

_DATE0 = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
_WORDS = WORLD_WORDS
_NAMES = [
    "Alexei Starovoitov",
    "Daniel Borkmann",
    "Andrii Nakryiko",
    "Yonghong Song",
    "Song Liu",
    "Martin Lau",
    "Jakub Kicinski",
    "Eric Dumazet",
    "Paolo Abeni",
    "Jiri Olsa",
    "Peter Zijlstra",
    "Vlastimil Babka",
    "Matthew Wilcox",
    "Christoph Hellwig",
]


@dataclasses.dataclass(frozen=True)
class Row:
    url: str
    date: str
    author: str
    title: str
    status: str  # "v3 ☐"
    label: str  # "LORE v3,0/4"


@dataclasses.dataclass
class LinkSet:
    world: BenchWorld
    rows: list[Row]

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.rows]

    @property
    def hosts(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.setdefault(r.url.split("/")[2], None)
        return list(seen)


def _series(w: BenchWorld, rng: random.Random, i: int, *, patchwork: bool, legacy: bool) -> Series:
    author = rng.choice(_NAMES)
    title = f"{rng.choice(_WORDS)}: " + " ".join(rng.choice(_WORDS) for _ in range(5)) + f" {i}"
    date = _DATE0 + dt.timedelta(minutes=rng.randint(0, 5_000_000))
    return w.add_series(
        title=title,
        author=author,
        version=rng.choice((2, 3, 4, 5, 11)),
        total=rng.choice((2, 3, 4, 5, 7)),
        prefixes=("bpf-next",) if patchwork else (),
        date=date,
        list="bpf" if patchwork else rng.choice(("lkml", "linux-mm", "netdev")),
        legacy_patchwork_ids=legacy,
        patchwork="bpf" if patchwork else None,
    )


def _row(s: Series, url: str, label: str) -> Row:
    """A feature-table row for the series' cover letter or (no cover) its single patch."""
    count = f",0/{s.total}" if s.cover is not None else ""
    return Row(
        url=url,
        date=f"{s.date:%Y/%m/%d}",
        author=s.author_name,
        title=s.title,
        status=f"v{s.version} ☐",
        label=f"{label} v{s.version}{count}",
    )


def _lwn_row(w: BenchWorld, rng: random.Random, n: int) -> Row:
    aid = 900_000 + n
    title = "An introduction to " + " ".join(rng.choice(_WORDS) for _ in range(4)) + f" {n}"
    author = rng.choice(("Jonathan Corbet", "Jake Edge", "Daroc Alden", "Jonathan Corbet"))
    date = (_DATE0 + dt.timedelta(days=rng.randint(0, 3000))).date()
    w.add_lwn(aid, title, author, date)
    return Row(f"https://lwn.net/Articles/{aid}/", f"{date:%Y/%m/%d}", author, title, "", "LWN")


def three_host_set(n: int, seed: int = 7) -> LinkSet:
    """``n`` unique links, a third each: lore ``/all/<msgid>/`` cover letters, patchwork
    cover pages, LWN articles.  Every one answers 200 in one request (no redirect)."""
    rng = random.Random(seed)
    w = BenchWorld()
    rows: list[Row] = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            s = _series(w, rng, i, patchwork=False, legacy=False)
            assert s.cover is not None
            rows.append(_row(s, f"https://lore.kernel.org/all/{qmid(s.cover.msgid)}/", "LORE"))
        elif kind == 1:
            s = _series(w, rng, i, patchwork=True, legacy=False)
            assert s.cover is not None
            url = f"https://patchwork.kernel.org/project/bpf/cover/{qmid(s.cover.msgid)}/"
            rows.append(_row(s, url, "PatchWork"))
        else:
            rows.append(_lwn_row(w, rng, i))
    return LinkSet(w.freeze(), rows)


#: shares of the corpus's link kinds (corpus/STATS.md, rounded) for the scale set
SCALE_MIX: tuple[tuple[str, float], ...] = (
    ("lore-all", 0.30),
    ("lore-r", 0.08),
    ("lore-legacy", 0.25),
    ("patchwork", 0.17),
    ("lwn", 0.10),
    ("git", 0.06),
    ("lkml-org", 0.04),
)


def scale_set(n: int, seed: int = 11) -> LinkSet:
    """``n`` unique links in the corpus's shapes (``SCALE_MIX``)."""
    rng = random.Random(seed)
    w = BenchWorld()
    rows: list[Row] = []
    kinds = [k for k, share in SCALE_MIX for _ in range(round(share * 100))]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind in ("lore-all", "lore-r"):
            s = _series(w, rng, i, patchwork=False, legacy=False)
            assert s.cover is not None
            view = "all" if kind == "lore-all" else "r"
            slash = "/" if view == "all" else ""
            url = f"https://lore.kernel.org/{view}/{qmid(s.cover.msgid)}{slash}"
            rows.append(_row(s, url, "LORE"))
        elif kind == "lore-legacy":
            s = _series(w, rng, i, patchwork=False, legacy=True)
            assert s.cover is not None
            pid = s.legacy_ids[s.cover.msgid]
            rows.append(_row(s, f"https://lore.kernel.org/patchwork/cover/{pid}/", "PatchWork"))
        elif kind == "patchwork":
            s = _series(w, rng, i, patchwork=True, legacy=False)
            assert s.cover is not None
            url = f"https://patchwork.kernel.org/project/bpf/cover/{qmid(s.cover.msgid)}/"
            rows.append(_row(s, url, "PatchWork"))
        elif kind == "lwn":
            rows.append(_lwn_row(w, rng, i))
        elif kind == "git":
            sha = f"{rng.getrandbits(160):040x}"
            author = rng.choice(_NAMES)
            title = "bpf: " + " ".join(rng.choice(_WORDS) for _ in range(5)) + f" {i}"
            when = _DATE0 + dt.timedelta(minutes=rng.randint(0, 5_000_000))
            w.add_commit(sha, title, author, author.lower().replace(" ", ".") + "@kernel.org", when)
            url = (
                "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git"
                f"/commit/?id={sha}"
            )
            rows.append(Row(url, f"{when:%Y/%m/%d}", author, title, "☑", "commit"))
        else:  # lkml.org
            when = _DATE0 + dt.timedelta(days=rng.randint(0, 3000))
            path = f"{when.year}/{when.month}/{when.day}/{i}"
            author = rng.choice(_NAMES)
            title = "[PATCH] " + " ".join(rng.choice(_WORDS) for _ in range(5)) + f" {i}"
            w.add_lkml_org(path, title, author, "dev@kernel.org", when)
            rows.append(
                Row(f"https://lkml.org/lkml/{path}", f"{when:%Y/%m/%d}", author, title, "", "LKML")
            )
    return LinkSet(w.freeze(), rows)


# --------------------------------------------------------------------------- documents

HEADER = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n" + "|:---:" * 6 + "|\n"


def write_documents(rows: Sequence[Row], directory: Path, per_file: int = 250) -> list[Path]:
    """Markdown feature tables, ``per_file`` rows a file, one link a row."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for f, start in enumerate(range(0, len(rows), per_file)):
        out = [f"# Feature history, part {f + 1}\n\n", HEADER]
        for r in rows[start : start + per_file]:
            title = r.title.replace("|", "\\|")
            cells = (r.date, r.author, title, title, r.status, f"[{r.label}]({r.url})")
            out.append("| " + " | ".join(cells) + " |\n")
        p = directory / f"part{f + 1:03d}.md"
        p.write_text("".join(out), encoding="utf-8")
        paths.append(p)
    return paths


# --------------------------------------------------------------------------- measures


def politeness_bound(
    per_host: dict[str, int], concurrency: int, interval: float, latency: float
) -> float:
    """The fastest a polite crawl can finish: the busiest host decides.

    A host with n requests needs ceil(n / concurrency) rounds of one latency each,
    and its starts are ``interval`` apart (the last starts at (n - 1) * interval).
    """
    return max(
        (
            max(math.ceil(n / concurrency) * latency, (n - 1) * interval + latency)
            for n in per_host.values()
        ),
        default=0.0,
    )


@dataclasses.dataclass(frozen=True)
class ChildRun:
    wall: float
    cpu: float  # user + sys of the child
    maxrss_mb: float
    rc: int
    stdout: str
    stderr: str
    started: float = 0.0  # time.monotonic() just before the child was started
    ended: float = 0.0  # time.monotonic() once it was reaped


def run_child(
    argv: Sequence[str],
    cwd: Path | None = None,
    timeout: float = 1800.0,
    env: dict[str, str] | None = None,
) -> ChildRun:
    """Run ``argv`` (``env``: added to the environment); wall time, the child's own CPU
    and peak RSS (``os.wait4``)."""
    started = time.monotonic()
    t0 = time.perf_counter()
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    ) as p:
        stdout, stderr = _communicate(p, timeout)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(
        wall=wall,
        cpu=ru.ru_utime + ru.ru_stime,
        maxrss_mb=ru.ru_maxrss / 1024,
        rc=p.returncode,
        stdout=stdout.decode(errors="replace"),
        stderr=stderr.decode(errors="replace"),
        started=started,
        ended=time.monotonic(),
    )


@dataclasses.dataclass
class Samples:
    """The runs of one tool: wall, CPU and peak RSS of each; what the hosts saw."""

    wall: list[float] = dataclasses.field(default_factory=list)
    cpu: list[float] = dataclasses.field(default_factory=list)
    rss: list[float] = dataclasses.field(default_factory=list)
    per_host: dict[str, int] = dataclasses.field(default_factory=dict)
    max_in_flight: dict[str, int] = dataclasses.field(default_factory=dict)

    def add_run(self, r: ChildRun, web: WebSet) -> None:
        self.wall.append(r.wall)
        self.cpu.append(r.cpu)
        self.rss.append(r.maxrss_mb)
        self.per_host = web.per_host()
        for h, n in web.max_in_flight().items():
            self.max_in_flight[h] = max(self.max_in_flight.get(h, 0), n)


@dataclasses.dataclass(frozen=True)
class Timeline:
    """Where a run's wall time went, read from the server's request log (its stamps
    are this process's monotonic clock: the simulated web runs in threads here)."""

    first: float  # child started -> the first request head read by the server
    span: float  # first request -> last answer
    busy: float  # share of the span the hosts' slots were busy (all hosts together)
    gap_p50: float  # an answer -> the next request on the same slot (seconds)
    gap_p99: float
    tail: float  # last answer -> child reaped


def timeline(log: Sequence[LoggedRequest], run: ChildRun, concurrency: int) -> Timeline | None:
    """:class:`Timeline` of ``run`` from ``log`` (None when nothing was requested).

    A host's k-th answer frees a slot that its (k + concurrency)-th request takes: the
    gap between the two is the time the slot stood idle (requests and answers both
    sorted in time; with every request on the same latency the pairing is exact)."""
    done = [r for r in log if r.end is not None]
    if not done:
        return None
    first = min(r.start for r in done)
    last = max(r.end for r in done if r.end is not None)
    span = max(last - first, 1e-9)
    by_host: dict[str, list[LoggedRequest]] = defaultdict(list)
    for r in done:
        by_host[r.host].append(r)
    busy = sum((r.end or r.start) - r.start for r in done)
    gaps: list[float] = []
    for reqs in by_host.values():
        starts = sorted(r.start for r in reqs)
        ends = sorted(r.end for r in reqs if r.end is not None)
        gaps += [max(0.0, s - e) for e, s in zip(ends, starts[concurrency:], strict=False)]
    gaps.sort()

    def q(f: float) -> float:
        return gaps[min(len(gaps) - 1, int(len(gaps) * f))] if gaps else 0.0

    return Timeline(
        first=first - run.started,
        span=span,
        busy=busy / (concurrency * len(by_host) * span),
        gap_p50=q(0.5),
        gap_p99=q(0.99),
        tail=run.ended - last,
    )


def _communicate(p: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """Read both pipes to EOF without reaping the child (``wait4`` does that)."""
    import selectors

    assert p.stdout is not None and p.stderr is not None
    bufs: dict[int, list[bytes]] = {p.stdout.fileno(): [], p.stderr.fileno(): []}
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    sel.register(p.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    open_ = 2
    while open_:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            raise TimeoutError(f"{p.args!r} took longer than {timeout} s")
        for key, _ in sel.select(left):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_ -= 1
            else:
                bufs[key.fd].append(chunk)
    sel.close()
    return b"".join(bufs[p.stdout.fileno()]), b"".join(bufs[p.stderr.fileno()])


def compile_patchcrawl() -> None:
    """Write patchcrawl's bytecode (``__pycache__``), as an installed package has it.

    An editable install compiles its modules on first import and keeps the bytecode,
    unless ``PYTHONDONTWRITEBYTECODE`` is set (as on some CI and sandbox images): then
    every timed run would compile all of patchcrawl again, ~0.1 s that an installation
    from a wheel (pip compiles its modules when it installs them) never pays."""
    import compileall

    compileall.compile_dir(str(ROOT / "src" / "patchcrawl"), quiet=1)


def median(xs: Iterable[float]) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def handler_for(world: World) -> object:
    return make_handler(world)


#: ``floor_client.py --client``: hand-written HTTP/1.1, httpx as it ships, httpx's
#: requests handed to patchcrawl's transport (as its fetcher does)
FLOOR_CLIENTS = ("raw", "httpx", "httpx-direct")


def floor_argv(rules: Sequence[str], concurrency: int, client: str, *inputs: str) -> list[str]:
    """``floor_client.py`` (fetch and nothing else) with the same remap rules and host
    concurrency; ``inputs``: markdown files, or ``--urls FILE``."""
    argv = [sys.executable, str(Path(__file__).resolve().parent / "floor_client.py")]
    argv += ["--host-concurrency", str(concurrency), "--client", client]
    for r in rules:
        argv += ["--remap", r]
    return [*argv, *inputs]


def check_floor(r: ChildRun) -> None:
    if r.rc != 0:
        out = f"{r.stdout[-2000:]}{r.stderr[-2000:]}"
        raise SystemExit(f"floor_client failed (exit {r.rc}):\n{out}")


def patchcrawl_argv(
    rules: Sequence[str],
    docs: Path,
    cache: Path,
    out: Path,
    concurrency: int,
    max_concurrency: int,
    interval: float = 0.0,
) -> list[str]:
    """``patchcrawl verify`` on ``docs`` with a JSON report in ``out``, the given
    politeness and one ``--remap`` per rule (the simulated hosts)."""
    argv = [
        PATCHCRAWL,
        "verify",
        "--format",
        "json",
        "--output",
        str(out),
        "--no-progress",
        "--cache-dir",
        str(cache),
        "--host-concurrency",
        str(concurrency),
        "--host-interval",
        str(interval),
        "--max-concurrency",
        str(max_concurrency),
    ]
    for rule in rules:
        argv += ["--remap", rule]
    return [*argv, str(docs)]


def lychee_argv(
    rules: Sequence[str],
    docs: Sequence[Path],
    out: Path,
    concurrency: int,
    max_concurrency: int,
    *,
    cache: bool,
    interval: float = 0.0,
) -> list[str]:
    """lychee on ``docs`` with a JSON report in ``out``, the same politeness and rules."""
    argv = [
        LYCHEE,
        "--no-progress",
        "--format",
        "json",
        "--output",
        str(out),
        "--host-concurrency",
        str(concurrency),
        "--host-request-interval",
        f"{int(interval * 1000)}ms",
        "--max-concurrency",
        str(max_concurrency),
        f"--cache={'true' if cache else 'false'}",
    ]
    for r in rules:
        argv += ["--remap", r]
    return [*argv, *(str(d) for d in docs)]


def check_patchcrawl(r: ChildRun, out: Path, n: int) -> int:
    """Exit unless the run checked all ``n`` links ok; how many came from the cache."""
    if r.rc not in (0, 1):
        raise SystemExit(f"patchcrawl failed (exit {r.rc}):\n{r.stderr[-3000:]}")
    summary = json.loads(out.read_text())["summary"]
    if summary["by_status"].get("ok", 0) != n:
        raise SystemExit(f"patchcrawl: not every link ok: {summary['by_status']}")
    return int(summary["from_cache"])


def check_lychee(r: ChildRun, out: Path, n: int) -> int:
    """Exit unless lychee found all ``n`` links ok; how many came from its cache."""
    if r.rc != 0:
        raise SystemExit(f"lychee failed (exit {r.rc}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    data = json.loads(out.read_text())
    if data["successful"] + data.get("cached", 0) < n:
        raise SystemExit(f"lychee: not every link ok: {data}")
    return int(data.get("cached", 0))
