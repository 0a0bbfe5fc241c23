"""Requests per host for one ``verify`` of a mixed lore / patchwork / LWN document.

Not a timing: it counts what the simulated web (``src/patchcrawl/testweb``, on
127.0.0.1) was asked, per host and per kind of page, for one cold run (empty cache).
The document mixes the shapes of the corpus's rows: a row linking a series' cover
letter on lore *and* on patchwork, patchwork cover and patch links alone, patchwork
``?series=N`` list links, lore cover and patch links alone, LWN articles.

    .venv/bin/python bench/bench_requests.py [--series N]

It imports ``patchcrawl`` from the checkout it sits in (``src/``), so the same
script run from a worktree of an older commit measures that commit.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]

from patchcrawl.cli import main as cli_main  # noqa: E402
from patchcrawl.testweb.server import KernelWeb, LoggedRequest  # noqa: E402
from patchcrawl.testweb.sites import make_handler  # noqa: E402
from patchcrawl.testweb.world import Series, World  # noqa: E402

PW = "https://patchwork.kernel.org/project/netdevbpf"
LORE = "https://lore.kernel.org/all"
HEADER = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|---|---|---|---|---|---|\n"


def q(msgid: str) -> str:
    return quote(msgid, safe="@")


SHAPES = {
    "lore + patchwork, same cover": 0,
    "patchwork cover alone": 1,
    "lore cover + patchwork patch": 2,
    "patchwork patch + ?series=N": 3,
    "lore + patchwork, same patch": 4,
}


def build(
    n: int, shapes: tuple[int, ...] = (0, 1, 2, 3, 4), others: bool = True
) -> tuple[World, list[str]]:
    """A world of ``n`` patchwork-tracked series, ``n`` lore-only ones and ``n`` LWN
    articles, and the table rows of a document that links them in the mixed shapes
    (only the patchwork rows of ``shapes``; no lore-only or LWN rows unless ``others``)."""
    w = World()
    rows: list[str] = []
    date0 = dt.datetime(2021, 3, 1, 9, 30, tzinfo=dt.UTC)

    def series(i: int, *, pw: bool) -> Series:
        return w.add_series(
            title=f"bpf: widget number {i} for the verifier",
            author="Andrii Nakryiko" if i % 2 else "Kumar Kartikeya Dwivedi",
            version=1 + i % 4,
            total=2 + i % 5,
            prefixes=("bpf-next",),
            list="bpf" if pw else "linux-mm",
            date=date0 + dt.timedelta(days=i),
            patchwork="netdevbpf" if pw else None,
        )

    def row(s: Series, links: list[tuple[str, str]]) -> None:
        cells = ", ".join(f"[{label}]({url})" for label, url in links)
        who = f"{s.author_name} <{s.author_email}>"
        rows.append(
            f"| {s.date:%Y/%m/%d} | {who} | {s.title} | {s.title} | v{s.version} ☐ | {cells} |\n"
        )

    for i in range(n):
        s = series(i, pw=True)
        assert s.cover is not None
        c, p2 = s.cover.msgid, s.patches[1 % len(s.patches)].msgid
        shape = shapes[i % len(shapes)]
        if shape == 0:  # the same cover letter on lore and on patchwork
            row(s, [("LORE", f"{LORE}/{q(c)}/"), ("PatchWork", f"{PW}/cover/{q(c)}/")])
        elif shape == 1:  # patchwork cover alone
            row(s, [("PatchWork", f"{PW}/cover/{q(c)}/")])
        elif shape == 2:  # a patchwork patch of the series, and its cover on lore
            row(s, [("LORE", f"{LORE}/{q(c)}/"), ("PatchWork", f"{PW}/patch/{q(p2)}/")])
        elif shape == 4:  # the same patch on lore and on patchwork
            row(s, [("LORE", f"{LORE}/{q(p2)}/"), ("PatchWork", f"{PW}/patch/{q(p2)}/")])
        else:  # a patchwork patch alone, and the series' list page
            sid = s.patchwork_series
            row(s, [("PatchWork", f"{PW}/patch/{q(p2)}/"), ("series", f"{PW}/list/?series={sid}")])
    for i in range(n if others else 0):
        s = series(1000 + i, pw=False)
        first = s.first.msgid
        row(s, [("LORE", f"{LORE}/{q(first)}/")])
        if i % 2:
            row(s, [("LORE", f"{LORE}/{q(s.patches[-1].msgid)}/")])
    for i in range(n if others else 0):
        aid = 880_000 + i
        w.add_lwn(aid, f"A look at widget {i}", "Jonathan Corbet", dt.date(2021, 4, 1 + i % 28))
        rows.append(
            f"| 2021/04/01 | Jonathan Corbet | A look at widget {i} | - | ☐ | "
            f"[LWN](https://lwn.net/Articles/{aid}/) |\n"
        )
    return w, rows


def kind_of(r: LoggedRequest) -> str:
    if r.host.startswith("patchwork"):
        if r.path.startswith("/api/"):
            return "patchwork API"
        return "patchwork page"
    if r.host.startswith("lore"):
        if r.path.endswith("/T/"):
            return "lore thread"
        if r.path.endswith("/raw"):
            return "lore raw"
        return "lore page"
    return r.host


def measure(
    n: int, shapes: tuple[int, ...] = (0, 1, 2, 3, 4), others: bool = True
) -> tuple[Counter[str], int, int]:
    world, rows = build(n, shapes, others)
    with tempfile.TemporaryDirectory() as tmp, KernelWeb(make_handler(world)) as web:
        doc = Path(tmp) / "mixed.md"
        doc.write_text("# Mixed\n\n" + HEADER + "".join(rows), encoding="utf-8")
        argv = [
            "verify", str(doc), "--remap", web.remap_rule(), "--cache-dir", f"{tmp}/cache",
            "--format", "json", "--no-progress", "--host-interval", "0",
            "--output", f"{tmp}/report.json",
        ]  # fmt: skip
        with contextlib.suppress(SystemExit):
            cli_main(argv)
        report = json.loads(Path(f"{tmp}/report.json").read_text(encoding="utf-8"))
        if report["summary"]["by_status"].get("ok", 0) != report["summary"]["unique_urls"]:
            print("warning: not every link is ok:", report["summary"]["by_status"])
        counts = Counter(kind_of(r) for r in web.log)
    links = sum(r.count("](") for r in rows)
    pw_links = sum(r.count("](https://patchwork") for r in rows)
    return counts, links, pw_links


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", type=int, default=24, help="series of each kind (default 24)")
    args = ap.parse_args()
    counts, links, pw_links = measure(args.series)
    print(f"{links} links ({pw_links} on patchwork), one cold verify")
    print(f"| {'requests to':<16} | {'count':>5} |")
    print(f"|{'-' * 18}|{'-' * 7}|")
    for k in sorted(counts):
        print(f"| {k:<16} | {counts[k]:>5} |")
    print(f"| {'total':<16} | {sum(counts.values()):>5} |")
    pw = counts["patchwork page"] + counts["patchwork API"]
    print(f"patchwork requests per patchwork link: {pw / max(pw_links, 1):.2f}")
    print()
    print("each row shape alone (8 rows), requests per row:")
    print(f"| {'row shape':<30} | patchwork page | patchwork API | lore | total |")
    print(f"|{'-' * 32}|{'-' * 16}|{'-' * 15}|{'-' * 6}|{'-' * 7}|")
    for name, shape in SHAPES.items():
        c, _, _ = measure(8, (shape,), others=False)
        lore_n = sum(v for k, v in c.items() if k.startswith("lore"))
        per = [c["patchwork page"] / 8, c["patchwork API"] / 8, lore_n / 8, sum(c.values()) / 8]
        print(
            f"| {name:<30} | "
            + " | ".join(f"{x:>{w}.2f}" for x, w in zip(per, (14, 13, 4, 5), strict=True))
            + " |"
        )


if __name__ == "__main__":
    main()
