"""The mainline index (``--kernel-git``) on a repository of real size, made locally.

A synthetic history of N commits (default 1,000,000) with T mainline tags (default
800: 100 releases of 7 rcs and a final), a merge every 500 commits, a ``Link:``
trailer on most commits and a stable tag off the line, written by ``git fast-import``
(empty trees: only commits and tags are read, as in a partial clone). Prints the
cold index build time, the index's size in the cache, the warm open time and the
lookup time per row (a cover letter with 10 patches, message-ids and subjects).

Run: ``.venv/bin/python bench/bench_mainline.py [--commits N] [--tags T] [--keep DIR]``.
Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from patchcrawl.mainline import Mail, open_index, series_commits  # noqa: E402


def msgid(n: int) -> str:
    return f"20240101-topic-{n // 10}-{n % 10}-dev{n // 10 % 977}@example.org"


def stream(commits: int, tags: int) -> Iterator[bytes]:
    every = max(1, commits // tags)
    releases: list[str] = []
    major, minor = 3, 0
    while len(releases) < tags:
        releases += [f"v{major}.{minor}-rc{rc}" for rc in range(1, 8)] + [f"v{major}.{minor}"]
        minor += 1
        if minor == 20:
            major, minor = major + 1, 0
    releases = releases[:tags]
    t = 1_300_000_000
    tag_i = 0
    for n in range(1, commits + 1):
        who = f"Dev {n % 977} <dev{n % 977}@example.org>"
        subject = f"subsys{n % 53}: change number {n}"
        link = f"\n\nLink: https://lore.kernel.org/r/{msgid(n)}" if n % 10 else ""
        msg = f"{subject}\n\nWhy this change is needed.{link}\nSigned-off-by: {who}\n".encode()
        head = f"commit refs/heads/master\nmark :{n}\nauthor {who} {t + n} +0000\n"
        head += f"committer {who} {t + n} +0000\ndata {len(msg)}\n"
        out = head.encode() + msg
        if n % 500 == 0 and n > 2:
            out += f"merge :{n - 2}\n".encode()
        yield out + b"\n"
        if n % every == 0 and tag_i < len(releases):
            name = releases[tag_i]
            tag_i += 1
            yield (
                f"tag {name}\nfrom :{n}\ntagger {who} {t + n} +0000\ndata {len(name)}\n{name}\n"
            ).encode()
    yield b"tag v3.0.5\nfrom :5\ntagger X <x@y> 1300000000 +0000\ndata 6\nstable\n"


def make_repo(path: Path, commits: int, tags: int) -> float:
    t0 = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "master", str(path)], check=True)
    proc = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    buf: list[bytes] = []
    for piece in stream(commits, tags):
        buf.append(piece)
        if len(buf) >= 5000:
            proc.stdin.write(b"".join(buf))
            buf.clear()
    proc.stdin.write(b"".join(buf) + b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "master"], check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=1_000_000)
    ap.add_argument("--tags", type=int, default=800)
    ap.add_argument("--rows", type=int, default=1200)
    ap.add_argument("--keep", help="make (or reuse) the repository here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(args.keep) if args.keep else Path(tmp) / "linux"
        if not (repo / ".git").exists():
            made = make_repo(repo, args.commits, args.tags)
            print(f"repository: {args.commits:,} commits, {args.tags} tags, made in {made:.1f} s")
        cache = Path(tmp) / "cache"
        t0 = time.perf_counter()
        index = open_index(str(repo), str(cache))
        build = time.perf_counter() - t0
        index.close()
        (name,) = os.listdir(cache / "mainline")
        size = (cache / "mainline" / name).stat().st_size
        print(f"index build (cold): {build:.1f} s; index size: {size / 1e6:.1f} MB")
        t0 = time.perf_counter()
        index = open_index(str(repo), str(cache))
        warm = time.perf_counter() - t0
        print(f"warm open (HEAD, tags, file): {warm * 1000:.0f} ms")
        step = max(1, args.commits // args.rows)
        t0 = time.perf_counter()
        found = 0
        for r in range(args.rows):
            n = (r * step) // 10 * 10 + 10  # a cover's number: its patches are n+1..n+9
            cover = Mail(url="", msgid=msgid(n), counter=0, total=9)
            patch = Mail(
                url="",
                msgid=None,
                title=f"subsys{(n + 1) % 53}: change number {n + 1}",
                author_email=f"dev{(n + 1) % 977}@example.org",
            )
            found += bool(series_commits(index, [cover, patch])[0])
        per_row = (time.perf_counter() - t0) / args.rows
        index.close()
        print(f"lookup: {per_row * 1e6:.0f} µs per row ({found}/{args.rows} rows found)")
        print(f"warm run adds: {warm + per_row * args.rows:.2f} s for {args.rows} rows")


if __name__ == "__main__":
    main()
